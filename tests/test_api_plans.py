"""How PostgreSQL answers the analysts' queries: through indexes, never by scanning a version's
movies, links or yearly tables (the 450,000-record figures are in docs/benchmarks.md)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection

from db.tables import company_movies, genre_movies
from importer.pipeline import ImportOptions, import_file
from importer.sample.generate import generate_file
from resolvers.data_quality import rejection_page
from resolvers.exports import EXPORTS, ExportFilter
from resolvers.movie_lists import MovieFilter, first_pages, movie_page
from resolvers.rankings import COMPANIES, GENRES, count_ranked, rank_all, rank_page, totals_by_id

# Tables small enough that a scan is the right plan: genres (20 a version) and versions.
SCANNABLE = re.compile(r"Seq Scan on (genres|genre_totals|genre_years|dataset_versions)_?\w*")
WARNER = 6194


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, int]]:
    """A PostgreSQL store holding 20,000 generated records and 2,000 refused ones, analysed."""
    from tests.conftest import _postgres_schema_url

    urls = _postgres_schema_url()
    from db.engine import make_engine
    from db.migrate import upgrade

    engine = make_engine(next(urls))
    upgrade(engine)
    path = tmp_path_factory.mktemp("plans") / "movies.csv"
    generate_file(path, records=20_000, seed=5)
    with path.open("a", encoding="utf-8") as file:
        file.writelines(f"{i},too few fields\n" for i in range(2_000))  # rule 1
    report = import_file(engine, path, ImportOptions(force=True))  # past the rejection check
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    yield engine, report.version  # type: ignore[misc]
    engine.dispose()
    next(urls, None)


@contextmanager
def explained(connection: Connection) -> Iterator[dict[str, str]]:
    """The plan of every SELECT the connection runs while the block runs."""
    plans: dict[str, str] = {}

    def explain(_connection: Any, cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().startswith("SELECT"):
            cursor.execute(f"EXPLAIN {statement}", parameters)
            plans[statement] = "\n".join(row[0] for row in cursor.fetchall())

    event.listen(connection, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        event.remove(connection, "before_cursor_execute", explain)


def _first_cursor(connection: Connection, v: int) -> str:
    return rank_page(connection, COMPANIES, v, "PROFIT", (None, None), 5, None).end_cursor  # type: ignore[return-value]


QUERIES: dict[str, Callable[[Connection, int], object]] = {
    "ranking over all years": lambda c, v: rank_page(c, COMPANIES, v, "REVENUE", (None, None), 20, None),
    "next page of it": lambda c, v: rank_page(c, COMPANIES, v, "PROFIT", (None, None), 20, _first_cursor(c, v)),
    "ranking over 1995": lambda c, v: rank_page(c, COMPANIES, v, "REVENUE", (1995, 1995), 20, None),
    "genre ranking over the 1990s": lambda c, v: rank_all(c, GENRES, v, "AVERAGE_POPULARITY", (1990, 1999)),
    "totals of companies": lambda c, v: totals_by_id(c, COMPANIES, v, [WARNER, 4, 33], 1990, 1999),
    "a company-year's movies": lambda c, v: movie_page(c, v, MovieFilter(year=1995, company_id=WARNER), "POPULARITY", 20, None),
    "a year's movies": lambda c, v: movie_page(c, v, MovieFilter(year=1995), "POPULARITY", 20, None),
    "a genre-year's movies by title": lambda c, v: movie_page(c, v, MovieFilter(year=1995, genre_id=16), "TITLE", 20, None),
    "a company-year's movies of a genre": lambda c, v: movie_page(c, v, MovieFilter(company_id=WARNER, genre_id=18, year=1995), "REVENUE", 20, None),
    "ranking's count over 1995": lambda c, v: count_ranked(c, COMPANIES, v, 1995, 1995),
    "ranking's count over all years": lambda c, v: count_ranked(c, COMPANIES, v, None, None),
    "every movie by popularity": lambda c, v: movie_page(c, v, MovieFilter(), "POPULARITY", 20, None),
    "company-years' first pages": lambda c, v: first_pages(c, v, company_movies, "company_id", [(WARNER, 1995), (4, 1995)], "POPULARITY", 20),
    "genre-years' first pages": lambda c, v: first_pages(c, v, genre_movies, "genre_id", [(16, 1995)], "POPULARITY", 20),
    "rejections": lambda c, v: rejection_page(c, v, 100, None),
    "company-years CSV": lambda c, v: EXPORTS["company-years"].rows_after(c, v, ExportFilter(company_id=WARNER), None),
    "movies CSV": lambda c, v: EXPORTS["movies"].rows_after(c, v, ExportFilter(company_id=WARNER, year=1995), None),
    "a genre's movies CSV, resumed": lambda c, v: EXPORTS["movies"].rows_after(c, v, ExportFilter(genre_id=18), [10_000]),
}  # fmt: skip


@pytest.mark.parametrize("name", list(QUERIES))
def test_each_new_query_reads_through_indexes(loaded: tuple[Engine, int], name: str) -> None:
    engine, version = loaded
    with engine.connect() as connection, explained(connection) as plans:
        QUERIES[name](connection, version)
    assert plans
    for statement, plan in plans.items():
        scans = [line.strip() for line in plan.splitlines() if "Seq Scan" in line and not SCANNABLE.search(line)]
        assert scans == [], f"{statement}\n{plan}"
        if "dataset_versions" not in statement:
            assert "Index" in plan, f"{statement}\n{plan}"
