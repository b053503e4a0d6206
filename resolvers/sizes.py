"""How long the lists of one version are: what the query cost limit estimates answers with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from db.tables import (
    company_year_genres,
    company_years,
    dataset_versions,
    genre_years,
    genres,
    movie_companies,
    movie_genres,
    year_totals,
)

if TYPE_CHECKING:
    from db.api_database import Database


@dataclass(frozen=True, slots=True)
class ListSizes:
    """Whole lists of a version (exact) and the lists each entity has (averages, rounded up)."""

    genres: int
    years: int
    years_per_genre: int
    years_per_company: int
    genres_per_year: int
    genres_per_company_year: int
    genres_per_movie: int
    companies_per_movie: int
    datasets: int  # versions in the store when the sizes were read (staged loads may add a few since)
    warnings_per_dataset: int  # the most kinds of warning a version counts


async def list_sizes(db: Database, *, version_id: int) -> ListSizes:
    """The list sizes of one version (a version's data never changes: read once)."""
    return await db.run(_list_sizes, version_id)


def _list_sizes(connection: Connection, version_id: int) -> ListSizes:
    def count(table: Table) -> int:
        query = select(func.count()).select_from(table).where(table.c.version_id == version_id)
        return connection.execute(query).scalar_one()

    def per(table: Table, *owner: ColumnElement[int]) -> int:
        """Rows per owner, on average, rounded up (1 when the table is empty)."""
        owners = select(*owner).where(table.c.version_id == version_id).distinct().subquery()
        groups = connection.execute(select(func.count()).select_from(owners)).scalar_one()
        rows = count(table)
        return max(1, -(-rows // groups)) if groups else 1

    recorded = [warnings for (warnings,) in connection.execute(select(dataset_versions.c.warnings))]
    return ListSizes(
        genres=count(genres),
        years=count(year_totals),
        years_per_genre=per(genre_years, genre_years.c.genre_id),
        years_per_company=per(company_years, company_years.c.company_id),
        genres_per_year=per(genre_years, genre_years.c.year),
        genres_per_company_year=per(company_year_genres, company_year_genres.c.company_id, company_year_genres.c.year),
        genres_per_movie=per(movie_genres, movie_genres.c.movie_id),
        companies_per_movie=per(movie_companies, movie_companies.c.movie_id),
        datasets=max(1, len(recorded)),
        warnings_per_dataset=max([1, *map(len, recorded)]),
    )
