"""GET /export/{name}.csv: the rows behind the figures as CSV, streamed, cached like GraphQL GET.

The rows come from resolvers.exports in chunks, so memory stays flat whatever the size. A
download of the live version carries the ETag and public Cache-Control of a GraphQL GET
(keyed by the version and the request), and answers 304 to a matching If-None-Match; one of
a chosen `?dataset=N` never changes, and is immutable, as GraphQL's is (app.pinning).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app.graphql_view import NO_STORE, GraphQLView
from app.http_cache import etag_for, etag_matches, raw_key
from app.pinning import DATASET_VERSION_HEADER, IMMUTABLE, pinned_location
from db.api_database import Database
from db.limits import MAX_INTEGER
from resolvers.exports import CHUNK_ROWS, EXPORTS, Export, ExportFilter
from schema.errors import ApiError, BadRequest, ExportNotFound, request_error

# Query parameters, by the ExportFilter field each sets (named as the GraphQL arguments are).
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,10}")  # years and ids: a GraphQL Int, within an Integer column
PARAMETERS = {"from": "from_year", "to": "to_year", "year": "year", "companyId": "company_id", "genreId": "genre_id"}


async def export_csv(request: Request, view: GraphQLView) -> Response:
    """The endpoint."""
    name = request.path_params["name"]
    try:
        export = EXPORTS.get(name)
        if export is None:
            raise ExportNotFound(f"There is no /export/{name}.csv; the downloads are: {_names()}.")
        where = _filters(request.query_params, export)
        dataset = request.query_params.get("dataset")
        version_id = await view.version_for(dataset)
    except ApiError as error:
        body = orjson.dumps(request_error(error))
        return Response(body, error.http_status, headers={"cache-control": NO_STORE}, media_type="application/json")
    headers = {
        "content-disposition": f'attachment; filename="{name}-v{version_id}.csv"',
        DATASET_VERSION_HEADER: str(version_id),
    }
    if dataset is None:  # where this download of this version stays the same
        headers["content-location"] = pinned_location(request.scope["query_string"], version_id, request.url.path)
    etag = etag_for(raw_key(version_id, f"{request.url.path}?".encode() + request.scope["query_string"]))
    headers |= {"etag": etag, "cache-control": view.gets.public if dataset is None else IMMUTABLE}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    rows = _csv_lines(view.db, export, version_id, where)
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers=headers)


def _names() -> str:
    return ", ".join(f"/export/{name}.csv" for name in EXPORTS)


def _filters(params: QueryParams, export: Export) -> ExportFilter:
    """The download's filters from its query string; BadRequest for one it does not take."""
    accepted = [param for param, field in PARAMETERS.items() if field in export.filters]
    values: dict[str, int] = {}
    for param, text in params.multi_items():
        if param == "dataset":
            continue
        if param not in accepted:
            raise BadRequest(f"This download takes {', '.join(accepted)} and dataset, not {param!r}.")
        if not WHOLE_NUMBER.fullmatch(text) or not -MAX_INTEGER - 1 <= int(text) <= MAX_INTEGER:
            raise BadRequest(
                f"`{param}` must be a whole number from {-MAX_INTEGER - 1} to {MAX_INTEGER}, not {text!r}."
            )
        values[PARAMETERS[param]] = int(text)
    return ExportFilter(**values)


async def _csv_lines(db: Database, export: Export, version_id: int, where: ExportFilter) -> AsyncIterator[str]:
    """The header, then the rows chunk by chunk; unknown values are empty fields."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export.header)
    after = None
    while True:
        rows = await db.run(export.rows_after, version_id, where, after)
        writer.writerows(rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < CHUNK_ROWS:
            return
        after = [rows[-1][position] for position in export.key]
