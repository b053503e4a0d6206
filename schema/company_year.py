"""CompanyYear: the figures of one production company in one release year (data rule 16)."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.companies import order_releases_by_genre
from schema.context import Info
from schema.coverage import Coverage
from schema.genre_releases import GenreReleases
from schema.scalars import BigInt


@strawberry.type(description="Production Company Details of one year.")
class CompanyYear:
    year: int
    releases: int
    budget: BigInt | None
    revenue: BigInt | None
    profit: BigInt | None
    average_popularity: float | None
    total_popularity: float | None
    coverage: Coverage
    company_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> CompanyYear:
        """From a `company_years` row."""
        return cls(
            year=row.year, releases=row.releases, budget=row.budget, revenue=row.revenue, profit=row.profit,
            average_popularity=row.average_popularity, total_popularity=row.total_popularity,
            coverage=Coverage.from_row(row), company_id=row.company_id,
        )  # fmt: skip

    @strawberry.field(description="Ordered by releases descending, then genre name.")
    async def releases_by_genre(self, info: Info) -> list[GenreReleases]:
        rows = await info.context.loaders.releases_by_genre.load((self.company_id, self.year))
        return [GenreReleases.from_row(row) for row in order_releases_by_genre(rows)]
