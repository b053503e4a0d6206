"""The rows of the CSV downloads: every company-year, genre-year or movie matching the filters.

Each is read in chunks by keyset (`rows_after`), so a download of any size holds one chunk
in memory at a time. Columns are named once here, with the header the file carries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, and_, select, tuple_
from sqlalchemy.engine import Connection

from db.tables import companies, company_years, genre_years, genres, movies
from resolvers.movie_lists import ENTITY_MOVIES, MovieFilter, matching
from resolvers.years import in_years

CHUNK_ROWS = 2_000
_FIGURES = (
    "releases", "budget", "revenue", "profit", "average_popularity", "total_popularity",
    "with_budget", "with_revenue", "with_both", "with_popularity",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """The filters of a download (the GraphQL fields' arguments); None leaves one out."""

    from_year: int | None = None
    to_year: int | None = None
    year: int | None = None
    company_id: int | None = None
    genre_id: int | None = None


@dataclass(frozen=True, slots=True)
class Export:
    """One download: its header, and its rows in key order from a version."""

    header: tuple[str, ...]
    key: tuple[int, ...]  # the positions of the columns that order the rows and resume after one
    filters: frozenset[str]  # ExportFilter fields it takes

    def rows_after(
        self, connection: Connection, version_id: int, where: ExportFilter, after: Sequence[Any] | None
    ) -> list[tuple[Any, ...]]:
        """The next CHUNK_ROWS rows after the key `after` (None: from the start)."""
        query = _QUERIES[self.header[1]](version_id, where)
        key = [list(query.selected_columns)[position] for position in self.key]
        if after is not None:
            query = query.where(tuple_(*key) > tuple_(*after) if len(key) > 1 else key[0] > after[0])
        return [tuple(row) for row in connection.execute(query.order_by(*key).limit(CHUNK_ROWS))]


def _entity_years(yearly: Table, entities: Table, owner: str) -> Callable[[int, ExportFilter], Select[Any]]:
    """The query of an entity's yearly figures (company-years, genre-years) with its name."""
    name = f"{owner.removesuffix('_id')}_name"

    def query_for(version_id: int, where: ExportFilter) -> Select[Any]:
        y = yearly
        query = select(y.c[owner], entities.c.name.label(name), y.c.year, *(y.c[f] for f in _FIGURES))
        query = query.join(entities, and_(entities.c.version_id == version_id, entities.c.id == y.c[owner]))
        query = query.where(y.c.version_id == version_id)
        if (entity_id := getattr(where, owner)) is not None:
            query = query.where(y.c[owner] == entity_id)
        if where.year is not None:
            query = query.where(y.c.year == where.year)
        return in_years(query, y.c.year, where.from_year, where.to_year)

    return query_for


def _movies(version_id: int, where: ExportFilter) -> Select[Any]:
    """The movies in id order, a company's or genre's as ids read once from its list (an IN, not a join).

    Joined, the list is probed once for each movie past the last chunk's, and SQLite reads an
    entity's whole list (its index stops at the year) at every probe: minutes per chunk.
    """
    m = movies
    years = MovieFilter(year=where.year, from_year=where.from_year, to_year=where.to_year)
    profit = (m.c.revenue - m.c.budget).label("profit")  # rule 12: NULL unless both are known
    query = matching(version_id, years).with_only_columns(
        m.c.id, m.c.title, m.c.release_date, m.c.release_year.label("year"),
        m.c.budget, m.c.revenue, profit, m.c.popularity,
    )  # fmt: skip
    for link, owner in ENTITY_MOVIES:
        if (entity_id := getattr(where, owner)) is not None:
            listed = select(link.c.movie_id).where(link.c.version_id == version_id, link.c[owner] == entity_id)
            query = query.where(m.c.id.in_(listed))
    return query


_QUERIES = {
    "company_name": _entity_years(company_years, companies, "company_id"),
    "genre_name": _entity_years(genre_years, genres, "genre_id"),
    "title": _movies,
}
_YEARLY = ("year", *_FIGURES)
_SPAN = frozenset({"from_year", "to_year", "year"})
EXPORTS = {
    "company-years": Export(("company_id", "company_name", *_YEARLY), (0, 2), _SPAN | {"company_id"}),
    "genre-years": Export(("genre_id", "genre_name", *_YEARLY), (0, 2), _SPAN | {"genre_id"}),
    "movies": Export(
        ("id", "title", "release_date", "year", "budget", "revenue", "profit", "popularity"),
        (0,),
        _SPAN | {"company_id", "genre_id"},
    ),
}
