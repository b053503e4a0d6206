"""Production companies: search with keyset paging, lookups by id, their yearly figures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import Row, func, select, tuple_
from sqlalchemy.engine import Connection

from db.api_database import Database
from db.tables import companies, company_year_genres, company_years, genres
from db.text_match import contains_text
from resolvers.paging import decode_cursor, encode_cursor
from resolvers.years import in_years


@dataclass(frozen=True, slots=True)
class CompanyPage:
    """One page of a company search."""

    total_count: int
    nodes: list[Row[*tuple[Any, ...]]]  # app.home keeps them as a list
    has_next_page: bool
    end_cursor: str | None


async def search_companies(
    db: Database, *, version_id: int, search: str | None, first: int, after: str | None
) -> CompanyPage:
    """Companies whose name contains `search` (any case, literally), by name then id."""
    position = decode_cursor(after) if after is not None else None
    return await db.run(_search, version_id, search, first, position)


def _search(
    connection: Connection, version_id: int, search: str | None, first: int, position: tuple[str, int] | None
) -> CompanyPage:
    matches = companies.c.version_id == version_id
    if search:
        matches = matches & contains_text(companies.c.name, search)
    total = connection.execute(select(func.count()).select_from(companies).where(matches)).scalar_one()
    page = select(companies.c.id, companies.c.name).where(matches)
    if position is not None:
        page = page.where(tuple_(companies.c.name, companies.c.id) > tuple_(*position))
    rows = connection.execute(page.order_by(companies.c.name, companies.c.id).limit(first + 1)).all()
    nodes = list(rows[:first])
    end = encode_cursor(nodes[-1].name, nodes[-1].id) if nodes else None
    return CompanyPage(total_count=total, nodes=nodes, has_next_page=len(rows) > first, end_cursor=end)


def companies_by_id(connection: Connection, version_id: int, ids: Sequence[int]) -> dict[int, Row[*tuple[Any, ...]]]:
    """Companies of a version by id."""
    query = select(companies.c.id, companies.c.name).where(
        companies.c.version_id == version_id, companies.c.id.in_(ids)
    )
    return {row.id: row for row in connection.execute(query)}


def years_of_companies(
    connection: Connection, version_id: int, ids: Sequence[int], first: int | None, last: int | None
) -> list[Row[*tuple[Any, ...]]]:
    """Company-year figures of several companies within inclusive bounds, by company and year."""
    table = company_years
    query = select(table).where(table.c.version_id == version_id, table.c.company_id.in_(ids))
    query = in_years(query, table.c.year, first, last)
    return list(connection.execute(query.order_by(table.c.company_id, table.c.year)))


class GenreReleasesRow(NamedTuple):
    """One genre's releases in a company-year. A tuple: a SQLAlchemy Row's attributes cost 7x its
    index, and a company's 1,400 of these are read several times over (sorted, grouped, built)."""

    company_id: int
    year: int
    genre_id: int
    genre_name: str
    releases: int


def releases_by_genre(
    connection: Connection, version_id: int, company_ids: Sequence[int], first: int | None, last: int | None
) -> list[GenreReleasesRow]:
    """Releases by genre of several companies within inclusive year bounds."""
    table = company_year_genres
    query = (
        select(table.c.company_id, table.c.year, table.c.genre_id, genres.c.name.label("genre_name"), table.c.releases)
        .join(genres, (genres.c.version_id == table.c.version_id) & (genres.c.id == table.c.genre_id))
        .where(table.c.version_id == version_id, table.c.company_id.in_(company_ids))
    )
    return list(map(GenreReleasesRow._make, connection.execute(in_years(query, table.c.year, first, last))))


def order_releases_by_genre(rows: Iterable[GenreReleasesRow]) -> list[GenreReleasesRow]:
    """Releases by genre ordered by releases descending, then genre name (then id).

    Two stable sorts by C-level keys: by name and id, then by releases descending (a stable
    sort keeps the name order among equal releases), cheaper than one sort by a Python key.
    """
    ordered = sorted(rows, key=_NAME_AND_ID)
    ordered.sort(key=_RELEASES, reverse=True)
    return ordered


_NAME_AND_ID = attrgetter("genre_name", "genre_id")
_RELEASES = attrgetter("releases")
