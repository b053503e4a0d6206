"""CompanyYear: the figures of one production company in one release year (data rule 16)."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.companies import order_releases_by_genre
from schema.context import Info
from schema.figures import YearFigures, figures_of
from schema.genre_releases import GenreReleases


@strawberry.type(description="Production Company Details of one year.")
class CompanyYear(YearFigures):
    company_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> CompanyYear:
        """From a `company_years` row."""
        return cls(**figures_of(row), company_id=row.company_id)

    @strawberry.field(description="Ordered by releases descending, then genre name.")
    async def releases_by_genre(self, info: Info) -> list[GenreReleases]:
        rows = await info.context.loaders.releases_by_genre.load((self.company_id, self.year))
        return [GenreReleases.from_row(row) for row in order_releases_by_genre(rows)]
