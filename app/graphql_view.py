"""/graphql: GET (cached, with ETag) and POST (never cached), GraphiQL for browsers.

The hot path of a cached GET is: read the live version, hash the raw request, answer 304 or
the cached bytes. GraphQL parsing and execution only happen on a miss.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from app.cached_gets import CACHE_HEADER, JSON, CachedGets
from app.deadline import OffLoopRunner, timed_out
from app.http_cache import etag_for, normalized_key, raw_key
from app.persisted import NO_QUERY_MESSAGE, DocumentStore, RequestedDocument
from app.pinning import DATASET_VERSION_HEADER, missing_version_message
from app.playground import graphiql_page
from app.replicas import ReadRouter
from app.server import MAX_REQUEST_BYTES
from db.api_database import Database, FailingCalls
from db.limits import MAX_INTEGER
from db.tables import LOADING
from db.versions import live_version_id
from resolvers.datasets import find_version, list_all_versions
from schema import MovieStatsSchema
from schema.context import Context
from schema.documents import parsed
from schema.errors import (
    INTERNAL_ERROR,
    RETRY_AFTER_SECONDS,
    RETRY_LATER_CODES,
    ApiError,
    BadRequest,
    DatasetNotFound,
    MethodNotAllowed,
    NoLiveDataset,
    NotFound,
    OperationNotAllowed,
    QueryTooLarge,
    ResponseTooLarge,
    UnsupportedMediaType,
    ensure_coded,
    request_error,
)
from schema.sql_answers import SqlAnswers

logger = logging.getLogger("movie_stats.sql_answers")

NO_STORE = "no-store"
MAX_QUERY_CHARS = 65_536  # far above MAX_QUERY_TOKENS of any real query; bounds the parse caches' memory
GET_OPERATIONS = frozenset({OperationType.QUERY})
POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})  # mutations then fail validation


@dataclass(frozen=True, slots=True)
class ViewOptions:
    """What the view needs from the settings."""

    max_page_size: int
    max_query_tokens: int
    http_max_age_seconds: int
    graphiql: bool
    request_timeout_seconds: float = 10.0
    max_response_bytes: int = 4_194_304
    execution_threads: int = 8


class GraphQLView:
    """Answers /graphql for one app: its schema, database, live-version reader and cache."""

    def __init__(
        self,
        schema: MovieStatsSchema,
        db: Database,
        gets: CachedGets,
        options: ViewOptions,
        documents: DocumentStore | None = None,
        reads: ReadRouter | None = None,
    ) -> None:
        self.schema, self.db, self.gets, self.options = schema, db, gets, options
        self.live, self.cache = gets.live, gets.cache  # the live version and response cache GETs are looked up in
        self.documents = documents or DocumentStore(db, None, trusted_only=False, redis_prefix="")
        self.reads = reads or ReadRouter(db, [])  # DATABASE_READ_URL: answers computed on a replica
        self.ide_html = graphiql_page() if options.graphiql else None
        self.runner = OffLoopRunner(options.execution_threads)
        self.sql_answers = SqlAnswers(schema.checks, options.max_page_size)  # whole answers in one statement

    def close(self) -> None:
        """Stop the execution threads (each ends with its request, bounded by the deadline)."""
        self.runner.close()

    async def handle(self, request: Request) -> Response:
        """The endpoint."""
        try:
            if request.method == "POST":
                return await self._post(request)
            return await self._get(request)
        except ApiError as error:
            return error_response(request, error)

    async def _get(self, request: Request) -> Response:
        query_string: bytes = request.scope["query_string"]
        if query_string and b"dataset=" not in query_string:
            return await self._get_live(request, query_string)  # the hot path: no parsing before a hit
        params = request.query_params
        if not (params.get("query") or params.get("extensions") or params.get("documentId")):
            if self.ide_html is not None and "text/html" in request.headers.get("accept", ""):
                return HTMLResponse(self.ide_html, headers={"cache-control": NO_STORE})
            raise BadRequest(NO_QUERY_MESSAGE)
        if "dataset" not in params:
            return await self._get_live(request, query_string)
        version_id = await self._chosen_version(params.get("dataset", ""))
        if answer := await self.gets.answer(version_id, query_string, request.headers.get("if-none-match"), True):
            return Response(answer.body, answer.status, headers=answer.headers, media_type=answer.media_type)
        key = raw_key(version_id, query_string)
        return await self._get_missed(request, version_id, key, etag_for(key), pinned=True)

    async def _get_live(self, request: Request, query_string: bytes) -> Response:
        """A GET on the live version: 304, a cached body, or a miss."""
        version_id = self.gets.missed_version(request.scope)
        if version_id is not None:  # app.fast_path already looked in the cache for this version
            key = raw_key(version_id, query_string)
            return await self._get_missed(request, version_id, key, etag_for(key))
        version_id = await self._live_version()
        if answer := await self.gets.answer(version_id, query_string, request.headers.get("if-none-match")):
            return Response(answer.body, answer.status, headers=answer.headers, media_type=answer.media_type)
        key = raw_key(version_id, query_string)
        return await self._get_missed(request, version_id, key, etag_for(key))

    async def _get_missed(
        self, request: Request, version_id: int, key: str, etag: str, *, pinned: bool = False
    ) -> Response:
        """Parse the request; answer from the entry of its normalized form, or execute and cache."""
        params = request.query_params
        document = await self._query_text(params.get("query"), params.get("extensions"), params.get("documentId"))
        query = document.text
        variables = _variables(params.get("variables") or None)
        operation_name = params.get("operationName") or None
        normal_key = normalized_key(version_id, query, variables, operation_name, self.options.max_query_tokens)
        if normal_key is not None and (body := await self.cache.get(normal_key)) is not None:
            await self.documents.register(document)  # it ran before: its answer is cached
            await self.cache.set(key, body)
            return self._cached(body, etag, "hit", version_id, request, pinned)
        body, status, cacheable = await self._execute(query, variables, operation_name, version_id, GET_OPERATIONS)
        if status == 200:
            await self.documents.register(document)
        if not cacheable:
            return _json(body, status, NO_STORE, "miss")
        await self.cache.set(key, body)
        if normal_key is not None:
            await self.cache.set(normal_key, body)
        return self._cached(body, etag, "miss", version_id, request, pinned)

    async def _post(self, request: Request) -> Response:
        _check_json_body(request)
        try:
            payload = orjson.loads(await _body(request))
        except orjson.JSONDecodeError as error:
            raise BadRequest(f"The request body is not JSON ({error}).") from error
        if not isinstance(payload, dict):
            raise BadRequest('POST a JSON object: {"query": "...", "variables": {...}, "operationName": "..."}.')
        document = await self._query_text(payload.get("query"), payload.get("extensions"), payload.get("documentId"))
        variables = payload.get("variables")
        if variables is not None and not isinstance(variables, dict):
            raise BadRequest("`variables` must be a JSON object.")
        dataset = request.query_params.get("dataset")
        version_id = await (self._chosen_version(dataset) if dataset is not None else self._live_version())
        body, status, _ = await self._execute(
            document.text, variables, _operation_name(payload.get("operationName")), version_id, POST_OPERATIONS
        )
        if status == 200:
            await self.documents.register(document)
        response = _json(body, status, NO_STORE, "bypass")
        response.headers[DATASET_VERSION_HEADER] = str(version_id)
        return response

    def _cached(
        self, body: bytes, etag: str, outcome: str, version_id: int, request: Request, pinned: bool
    ) -> Response:
        headers = self.gets.validators(etag, outcome, version_id, request.scope["query_string"], pinned)
        return Response(body, 200, headers=headers, media_type=JSON)

    async def warm(self, query: str, version_id: int) -> list[str]:
        """Cache the answers of a registered document (no variables) on a version, as GETs would find them.

        One answer per operation (keyed by its name), and the key without a name too when there
        is a single operation. Each outcome is "warmed", "cached" (already) or "not cacheable".
        """
        max_tokens = self.options.max_query_tokens
        names = _operation_names(query, max_tokens)
        targets: list[tuple[str | None, str | None]] = [(name, name) for name in names]
        targets += [(None, names[0])] if len(names) == 1 else []
        outcomes = []
        for key_name, run_name in targets or [(None, None)]:
            key = normalized_key(version_id, query, None, key_name, max_tokens)
            if key is None:
                outcomes.append("not cacheable")
            elif await self.cache.get(key) is not None:
                outcomes.append("cached")
            else:
                try:
                    _check_length(query)  # an operator's document (`documents add`) never went through _query_text
                    body, _status, cacheable = await self._execute(query, None, run_name, version_id, GET_OPERATIONS)
                except ApiError:
                    cacheable = False
                if cacheable:
                    await self.cache.set(key, body)
                outcomes.append("warmed" if cacheable else "not cacheable")
        return outcomes

    async def _query_text(self, query: Any, extensions: Any, document_id: Any) -> RequestedDocument:
        """The query a request runs: the text sent, or one registered under the hash it names.

        A text sent is held to its length bound first, before it is hashed, parsed or kept in a
        parse cache; registered ones were held to it when they were sent, and register once they ran.
        """
        if isinstance(query, str):
            _check_length(query)
        return await self.documents.query_for(query, extensions, document_id)

    async def live_version_id(self) -> int | None:
        """The live version as this process knows it; the store's answer while it has not learned it yet."""
        if not self.live.known:  # the store has not answered since start: ask it (its error says why)
            return await self.db.run(live_version_id)
        return self.live.current()

    async def version_for(self, dataset: str | None) -> int:
        """The version a request reads: the one `?dataset=` names, else the live one (app.export)."""
        return await (self._chosen_version(dataset) if dataset is not None else self._live_version())

    async def _live_version(self) -> int:
        version_id = await self.live_version_id()
        if version_id is None:
            raise NoLiveDataset("No dataset is live yet: load one with `movie-stats import FILE`.")
        return version_id

    async def _chosen_version(self, dataset: str) -> int:
        number = _version_number(dataset)
        version = await find_version(self.db, number) if number is not None else None
        if version is None:
            raise DatasetNotFound(missing_version_message(dataset, await list_all_versions(self.db)))
        if version.status == LOADING:  # its tables are not attached yet: it would read as empty
            raise DatasetNotFound(
                f"Dataset version {dataset!r} is still being loaded; it can be read once it is staged or live."
            )
        return version.id

    async def _execute(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        version_id: int,
        allowed: frozenset[OperationType],
    ) -> tuple[bytes, int, bool]:
        """Run the query on one version: (body, HTTP status, cacheable)."""
        if operation_name is None and len(names := _operation_names(query, self.options.max_query_tokens)) > 1:
            # The GraphQL spec asks for `operationName` here; Strawberry would run the first one.
            # (With an anonymous one among them, validation refuses the query: it cannot be named.)
            raise BadRequest(
                f"The query holds {len(names)} operations ({', '.join(names)}): "
                "name the one to run with `operationName`."
            )

        db = self.reads.database_for(version_id)
        data, db = await self._in_one_statement(db, query, variables, operation_name, version_id)
        if data is not None:
            return self._bounded(b'{"data":' + data.encode() + b"}"), 200, True

        async def execute() -> Any:
            context = Context.for_version(db, version_id, self.options.max_page_size)
            return await self.schema.execute(
                query, variables, context, operation_name=operation_name, allowed_operation_types=allowed
            )

        try:
            result = await self.runner.run(execute, self.options.request_timeout_seconds)
        except InvalidOperationTypeError as error:
            raise OperationNotAllowed("Only queries are served over GET, and this API has no mutations.") from error
        except (CannotGetOperationTypeError, MissingQueryError) as error:
            if operation_name is not None:
                raise BadRequest(f"The query has no operation named {operation_name!r}.") from error
            raise BadRequest("The query has no operation to run: send a `query { ... }`.") from error
        if not result.errors:
            return self._bounded(orjson.dumps({"data": result.data})), 200, True
        errors = ensure_coded(result.errors)
        body = orjson.dumps({"errors": [error.formatted for error in errors], "data": result.data})
        return self._bounded(body), _status(result.data, errors), False

    async def _in_one_statement(
        self,
        db: Database,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        version_id: int,
    ) -> tuple[str | None, Database]:
        """The `data` JSON text of a compiled answer (schema.sql_answers), else None and the database
        the normal path answers on: a database that failed the statement fails its calls the same way."""
        timeout_seconds = self.options.request_timeout_seconds
        try:
            async with asyncio.timeout(timeout_seconds):  # no task of its own, unlike wait_for
                return await self.sql_answers.answer(db, query, variables, operation_name, version_id), db
        except TimeoutError:
            raise timed_out(timeout_seconds) from None
        except (ApiError, OperationalError) as error:  # unavailable, or its statement timeout: the same answer
            return None, FailingCalls(db, error)
        except Exception:  # a statement this store refused: the normal path answers
            logger.exception("A compiled answer failed; answered by the normal path")
            return None, db

    def _bounded(self, body: bytes) -> bytes:
        """The body, unless it is larger than MAX_RESPONSE_BYTES."""
        if len(body) > self.options.max_response_bytes:
            raise ResponseTooLarge(
                f"The answer is {len(body):,} bytes, more than the {self.options.max_response_bytes:,} "
                "allowed (MAX_RESPONSE_BYTES): ask for fewer fields, a narrower year span or a smaller page."
            )
        return body


def error_response(_request: Request, error: Exception) -> Response:
    """The answer to an ApiError raised by any endpoint (a 503 with Retry-After when it is an outage)."""
    assert isinstance(error, ApiError)  # registered for ApiError only
    return _json(orjson.dumps(request_error(error)), error.http_status, NO_STORE, "bypass")


def http_error_response(request: Request, error: Exception) -> Response:
    """A 404 or 405 of the router, with a code and what to do, as every other error of the API."""
    assert isinstance(error, HTTPException)  # registered for 404 and 405 only
    if error.status_code == 405:
        allowed = ", ".join(sorted((error.headers or {}).get("Allow", "").replace(" ", "").split(",")))  # a set's order
        response = error_response(request, MethodNotAllowed(f"{request.method} is not served here; use {allowed}."))
        response.headers["allow"] = allowed
        return response
    return error_response(
        request,
        NotFound(
            f"Nothing is served at {request.url.path}: "
            "GraphQL is at /graphql, downloads under /export/, the home page at /."
        ),
    )


def _status(data: Any, errors: list[GraphQLError]) -> int:
    codes = {(error.extensions or {}).get("code") for error in errors}
    if codes & RETRY_LATER_CODES:
        return 503  # an outage or a timeout is never an answer, even a partial one: retry
    if data is not None:
        return 200
    return 500 if INTERNAL_ERROR in codes else 400


def _version_number(text: str) -> int | None:
    """`?dataset=` as a version id, or None when it cannot be one."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_INTEGER)):
        return None
    number = int(text)
    return number if 0 < number <= MAX_INTEGER else None


@lru_cache(maxsize=1024)
def _operation_names(query: str, max_tokens: int) -> tuple[str, ...]:
    """The names of the query's operations if all of them have one, else none (nor if it does not parse)."""
    try:
        document = parsed(query, max_tokens)  # the parse execution reuses (schema.documents)
    except GraphQLError:
        return ()  # execution reports the syntax error
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    if any(node.name is None for node in operations):
        return ()
    return tuple(node.name.value for node in operations if node.name)


def _check_length(query: str) -> None:
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLarge(
            f"The query is {len(query):,} characters long; at most {MAX_QUERY_CHARS:,} are accepted. "
            "Pass long values as `variables`, or ask for less."
        )


def _check_json_body(request: Request) -> None:
    """Refuse a POST body that is not uncompressed JSON, as GraphQL over HTTP asks: a form or text
    body is also what a browser sends cross-site without asking first (no CORS preflight)."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        shown = f"`{media_type}`" if media_type else "none"
        raise UnsupportedMediaType(
            f"POST a JSON body with `Content-Type: application/json` (this one has {shown}), or use GET."
        )
    if request.headers.get("content-encoding", "identity").strip().lower() != "identity":
        raise UnsupportedMediaType("Send the POST body uncompressed: compressed request bodies are not accepted.")


async def _body(request: Request) -> bytes:
    """The request body, refused past MAX_REQUEST_BYTES (without reading the rest)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise QueryTooLarge(f"The request body is over {MAX_REQUEST_BYTES:,} bytes; send a smaller query.")
        chunks.append(chunk)
    return b"".join(chunks)


def _operation_name(value: Any) -> str | None:
    """A POST's `operationName`: a string, or absent (null or empty)."""
    if value is not None and not isinstance(value, str):
        raise BadRequest("`operationName` must be a string.")
    return value or None


def _variables(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        variables = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"`variables` is not JSON ({error}).") from error
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest("`variables` must be a JSON object.")
    return variables


def _json(body: bytes, status: int, cache_control: str, outcome: str) -> Response:
    headers = {"cache-control": cache_control, CACHE_HEADER: outcome}
    if status == 503:
        headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    return Response(body, status, headers=headers, media_type=JSON)
