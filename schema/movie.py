"""Movie: one movie with its genres and production companies."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.company import Company
from schema.context import Info
from schema.genre import Genre
from schema.scalars import BigInt


@strawberry.type(description="A movie of the dataset.")
class Movie:
    id: int
    title: str
    release_date: str | None
    budget: BigInt | None
    revenue: BigInt | None
    popularity: float | None
    original_title: str | None
    imdb_id: str | None
    year: int | None = strawberry.field(description="The release year; null when the release date is unknown.")
    profit: BigInt | None = strawberry.field(description="revenue - budget when both are known, else null.")

    @classmethod
    def from_row(cls, row: Any) -> Movie:
        """From a `movies` row."""
        return cls(
            id=row.id, title=row.title, release_date=row.release_date, budget=row.budget, revenue=row.revenue,
            popularity=row.popularity, original_title=row.original_title, imdb_id=row.imdb_id,
            year=row.release_year, profit=_profit(row.budget, row.revenue),
        )  # fmt: skip

    @strawberry.field
    async def genres(self, info: Info) -> list[Genre]:
        return [Genre.from_row(row) for row in await info.context.loaders.genres_of_movie.load(self.id)]

    @strawberry.field
    async def companies(self, info: Info) -> list[Company]:
        return [Company.from_row(row) for row in await info.context.loaders.companies_of_movie.load(self.id)]


def _profit(budget: int | None, revenue: int | None) -> BigInt | None:
    """Rule 12 for one movie: revenue - budget when both are known."""
    return BigInt(revenue - budget) if budget is not None and revenue is not None else None
