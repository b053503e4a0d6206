"""CSV downloads (/export/*.csv) over real HTTP, on both stores, from the real head-5000 file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from db.engine import make_engine
from db.migrate import upgrade
from importer.pipeline import ImportOptions, import_file
from resolvers.exports import CHUNK_ROWS, EXPORTS, ExportFilter
from tests.api_support import Api
from tests.conftest import head5000
from tests.test_api_queries import RefData, reference

WARNER = 6194
YEAR_FIELDS = {  # CSV column: GraphQL field of CompanyYear
    "year": "year", "releases": "releases", "budget": "budget", "revenue": "revenue", "profit": "profit",
    "average_popularity": "averagePopularity", "total_popularity": "totalPopularity",
}  # fmt: skip
COVERAGE_FIELDS = {
    "with_budget": "withBudget", "with_revenue": "withRevenue", "with_both": "withBoth",
    "with_popularity": "withPopularity",
}  # fmt: skip
FLOATS = {"average_popularity", "total_popularity", "popularity"}


@pytest.fixture(scope="module")
def ref() -> RefData:
    """The reference reading of head-5000."""
    return reference(head5000())


def parsed(text: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Header and rows of a CSV download, with numbers as numbers and empty fields as None."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)

    def value(column: str, field: str) -> Any:
        if field == "":
            return None
        if column in FLOATS:
            return float(field)
        return int(field) if field.lstrip("-").isdigit() and column not in ("title", "release_date") else field

    return header, [{c: value(c, f) for c, f in zip(header, row, strict=True)} for row in reader]


def test_warner_bros_years_as_csv_equal_the_graphql_answer(api: Api, ref: RefData) -> None:
    response = api.client.get("/export/company-years.csv", params={"companyId": WARNER, "from": 1990, "to": 1999})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="company-years-v1.csv"'
    header, rows = parsed(response.text)
    assert header == ["company_id", "company_name", *YEAR_FIELDS, *COVERAGE_FIELDS]
    query = """{ company(id: 6194) { years(from: 1990, to: 1999) { year releases budget revenue profit
        averagePopularity totalPopularity coverage { withBudget withRevenue withBoth withPopularity } } } }"""
    years = api.data(query)["company"]["years"]
    as_graphql = [
        {
            **{field: row[column] for column, field in YEAR_FIELDS.items()},
            "coverage": {field: row[column] for column, field in COVERAGE_FIELDS.items()},
        }
        for row in rows
    ]
    assert as_graphql == years
    assert {(row["company_id"], row["company_name"]) for row in rows} == {(WARNER, "Warner Bros.")}
    # And against the reference reading: releases per year of the span.
    per_year: dict[int, int] = {}
    for movie in ref.movies.values():
        if WARNER in movie.companies and movie.year is not None and 1990 <= movie.year <= 1999:
            per_year[movie.year] = per_year.get(movie.year, 0) + 1
    assert [(row["year"], row["releases"]) for row in rows] == sorted(per_year.items())


def test_the_movies_of_warner_bros_1995_as_csv(api: Api, ref: RefData) -> None:
    response = api.client.get("/export/movies.csv", params={"companyId": WARNER, "year": 1995})
    header, rows = parsed(response.text)
    assert header == ["id", "title", "release_date", "year", "budget", "revenue", "profit", "popularity"]
    expected = sorted(m.id for m in ref.movies.values() if WARNER in m.companies and m.year == 1995)
    assert [row["id"] for row in rows] == expected and len(rows) == 19
    for row in rows:
        movie = ref.movies[row["id"]]
        assert (row["year"], row["budget"], row["revenue"], row["popularity"]) == (
            1995, movie.budget, movie.revenue, movie.popularity,
        )  # fmt: skip
        both = movie.budget is not None and movie.revenue is not None
        assert row["profit"] == (movie.revenue - movie.budget if both else None)  # type: ignore[operator]


def test_every_movie_once_across_chunks(api: Api, ref: RefData) -> None:
    """More rows than one chunk: the keyset resumes after each chunk without loss or repeat."""
    _, rows = parsed(api.client.get("/export/movies.csv").text)
    assert len(ref.movies) > 2 * CHUNK_ROWS
    assert [row["id"] for row in rows] == sorted(ref.movies)


def test_a_genres_movies_download_is_whole_across_chunks(api: Api, ref: RefData) -> None:
    """Filtered and longer than one chunk: each chunk resumes after the last without loss or repeat."""
    dramas = sorted(movie.id for movie in ref.movies.values() if 18 in movie.genres)
    assert len(dramas) > CHUNK_ROWS
    _, rows = parsed(api.client.get("/export/movies.csv", params={"genreId": 18}).text)
    assert [row["id"] for row in rows] == dramas


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, int]]:
    """head-5000 loaded into a SQLite store of this module's own."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('export') / 'store.db'}")
    upgrade(engine)
    version = import_file(engine, head5000(), ImportOptions()).version
    assert version is not None
    yield engine, version
    engine.dispose()


def test_each_chunk_of_a_genres_movies_costs_sqlite_alike(sqlite_store: tuple[Engine, int]) -> None:
    """A resumed chunk reads the genre's list once, as the first does, not once per movie past the last chunk's.

    Counted in SQLite's virtual-machine steps (its progress handler), not in seconds. Joined to
    the list, the second chunk took some 500 times the first's work per row here, and at 45,000
    records a minute, past the API's statement timeout: the download was cut off at 2,000 rows.
    """
    engine, version = sqlite_store
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0  # carry on

    work_per_row = []
    with engine.connect() as connection:
        connection.connection.dbapi_connection.set_progress_handler(step, 100)  # type: ignore[union-attr]
        after = None
        while True:
            steps = 0
            rows = EXPORTS["movies"].rows_after(connection, version, ExportFilter(genre_id=18), after)
            if not rows:
                break
            work_per_row.append(steps / len(rows))
            after = [rows[-1][0]]
    assert len(work_per_row) == 2  # a whole chunk, then the rest
    assert work_per_row[1] < 4 * work_per_row[0]


def test_genre_years_filtered_by_genre_and_span(api: Api, ref: RefData) -> None:
    _, rows = parsed(api.client.get("/export/genre-years.csv", params={"genreId": 16, "from": 1990, "to": 1999}).text)
    per_year: dict[int, int] = {}
    for movie in ref.movies.values():
        if 16 in movie.genres and movie.year is not None and 1990 <= movie.year <= 1999:
            per_year[movie.year] = per_year.get(movie.year, 0) + 1
    assert [(row["genre_name"], row["year"], row["releases"]) for row in rows] == [
        ("Animation", year, count) for year, count in sorted(per_year.items())
    ]


def test_downloads_follow_graphql_gets_cache_rules(api: Api) -> None:
    path = "/export/company-years.csv?companyId=6194"
    first = api.client.get(path)
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    again = api.client.get(path, headers={"if-none-match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert api.client.get("/export/company-years.csv?companyId=4").headers["etag"] != etag
    assert (first.headers["dataset-version"], first.headers["content-location"]) == ("1", path + "&dataset=1")
    chosen = api.client.get(first.headers["content-location"])  # the pinned URL it names
    assert "content-location" not in chosen.headers and chosen.headers["dataset-version"] == "1"
    assert chosen.status_code == 200 and chosen.headers["etag"] != etag
    assert chosen.headers["cache-control"] == "public, max-age=31536000, immutable"  # a version never changes
    assert chosen.text == first.text


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/export/nothing.csv", 404, "EXPORT_NOT_FOUND"),
        ("/export/movies.csv?year=nineteen", 400, "BAD_REQUEST"),
        ("/export/movies.csv?companyId=2147483648", 400, "BAD_REQUEST"),  # past a GraphQL Int
        ("/export/company-years.csv?genreId=16", 400, "BAD_REQUEST"),
        ("/export/movies.csv?dataset=999", 404, "DATASET_NOT_FOUND"),
    ],
)
def test_a_bad_download_request_says_what_to_do(api: Api, path: str, status: int, code: str) -> None:
    response = api.client.get(path)
    assert response.status_code == status
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["errors"][0]["extensions"]["code"] == code


def test_filters_take_every_graphql_int(api: Api) -> None:
    """The bounds of a GraphQL Int are filters like any other: here they match nothing."""
    response = api.client.get("/export/movies.csv", params={"companyId": 2**31 - 1, "from": -(2**31)})
    assert response.status_code == 200
    assert parsed(response.text) == (
        ["id", "title", "release_date", "year", "budget", "revenue", "profit", "popularity"],
        [],
    )
