"""Release years: totals per year and the genre ranking of a year (data rule 18)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from db.api_database import Database
from db.tables import genre_years, genres, year_totals

# GraphQL's GenreMetric values, by the column that holds them.
METRIC_COLUMNS = {
    "AVERAGE_POPULARITY": "average_popularity",
    "TOTAL_POPULARITY": "total_popularity",
    "RELEASES": "releases",
    "BUDGET": "budget",
    "REVENUE": "revenue",
    "PROFIT": "profit",
}


def in_years(query: Select[Any], column: ColumnElement[int], first: int | None, last: int | None) -> Select[Any]:
    """Restrict a query to years within inclusive bounds; None means unbounded."""
    if first is not None:
        query = query.where(column >= first)
    if last is not None:
        query = query.where(column <= last)
    return query


def year_totals_between(
    connection: Connection, version_id: int, first: int | None, last: int | None
) -> list[Row[*tuple[Any, ...]]]:
    """Totals of the years with releases, ascending, within inclusive bounds."""
    query = select(year_totals).where(year_totals.c.version_id == version_id)
    query = in_years(query, year_totals.c.year, first, last)
    return list(connection.execute(query.order_by(year_totals.c.year)))


def year_total(connection: Connection, version_id: int, year: int) -> Row[*tuple[Any, ...]] | None:
    """Totals of one year; None when nothing was released that year."""
    query = select(year_totals).where(year_totals.c.version_id == version_id, year_totals.c.year == year)
    return connection.execute(query).first()


def genre_years_of_years(connection: Connection, version_id: int, years: Sequence[int]) -> list[Row[*tuple[Any, ...]]]:
    """Genre-year figures (with `genre_name`) of every genre with releases in the given years."""
    query = _genre_years_named().where(genre_years.c.version_id == version_id, genre_years.c.year.in_(years))
    return list(connection.execute(query))


def genre_years_of_genres(
    connection: Connection, version_id: int, genre_ids: Sequence[int], first: int | None, last: int | None
) -> list[Row[*tuple[Any, ...]]]:
    """Genre-year figures (with `genre_name`) of several genres within inclusive bounds, by year."""
    query = _genre_years_named().where(genre_years.c.version_id == version_id, genre_years.c.genre_id.in_(genre_ids))
    query = in_years(query, genre_years.c.year, first, last)
    return list(connection.execute(query.order_by(genre_years.c.genre_id, genre_years.c.year)))


def _genre_years_named() -> Select[Any]:
    return select(genre_years, genres.c.name.label("genre_name")).join(
        genres, (genres.c.version_id == genre_years.c.version_id) & (genres.c.id == genre_years.c.genre_id)
    )


def rank_genres(
    rows: Iterable[Row[*tuple[Any, ...]]], metric: str, first: int | None = None
) -> list[Row[*tuple[Any, ...]]]:
    """Genre-years best first by a metric, ties by genre name, NULL values last (rule 18)."""
    column = METRIC_COLUMNS[metric]

    def key(row: Row[*tuple[Any, ...]]) -> tuple[bool, float, str, int]:
        value = getattr(row, column)
        return (value is None, -(value or 0), row.genre_name, row.genre_id)

    ranked = sorted(rows, key=key)
    return ranked if first is None else ranked[:first]


def most_popular_genre(rows: Iterable[Row[*tuple[Any, ...]]], metric: str) -> Row[*tuple[Any, ...]] | None:
    """The best genre-year by a metric among those with a value for it; None when none has one."""
    ranked = rank_genres(rows, metric)
    column = METRIC_COLUMNS[metric]
    return ranked[0] if ranked and getattr(ranked[0], column) is not None else None


async def find_year(db: Database, *, version_id: int, year: int) -> Row[*tuple[Any, ...]] | None:
    """Totals of one year; None when nothing was released that year."""
    return await db.run(year_total, version_id, year)


async def list_years(
    db: Database, *, version_id: int, first: int | None, last: int | None
) -> list[Row[*tuple[Any, ...]]]:
    """Totals of the years with releases, ascending, within inclusive bounds."""
    return await db.run(year_totals_between, version_id, first, last)
