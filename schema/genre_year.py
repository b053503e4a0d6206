"""GenreYear: the figures of one genre in one release year (data rule 17)."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.coverage import Coverage
from schema.genre import Genre
from schema.scalars import BigInt


@strawberry.type(description="Movie Genre Details of one year.")
class GenreYear:
    year: int
    releases: int
    budget: BigInt | None
    revenue: BigInt | None
    profit: BigInt | None
    average_popularity: float | None
    total_popularity: float | None
    coverage: Coverage
    genre_id: strawberry.Private[int]
    genre_name: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Any) -> GenreYear:
        """From a `genre_years` row joined with `genre_name`."""
        return cls(
            year=row.year, releases=row.releases, budget=row.budget, revenue=row.revenue, profit=row.profit,
            average_popularity=row.average_popularity, total_popularity=row.total_popularity,
            coverage=Coverage.from_row(row), genre_id=row.genre_id, genre_name=row.genre_name,
        )  # fmt: skip

    @strawberry.field
    def genre(self) -> Genre:
        return Genre(id=self.genre_id, name=self.genre_name)
