"""CompanyYear: the figures of one production company in one release year (data rule 16)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers.companies import order_releases_by_genre
from resolvers.loaders import loaded
from schema.context import Info, given
from schema.errors import check_page_size
from schema.figures import YearFigures, figures_of
from schema.genre_releases import GenreReleases
from schema.movie_order import MovieOrder

if TYPE_CHECKING:
    from schema.company import Company
    from schema.movie_page import MovieConnection


@strawberry.type(description="Production Company Details of one year.")
class CompanyYear(YearFigures):
    company_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> CompanyYear:
        """From a `company_years` row."""
        return cls(**figures_of(row), company_id=row.company_id)

    @strawberry.field(description="Ordered by releases descending, then genre name.")
    def releases_by_genre(self, info: Info) -> list[GenreReleases]:
        # Synchronous when Company.years already loaded them (the usual case), else awaitable.
        rows = loaded(info.context.loaders.releases_by_genre, (self.company_id, self.year))
        if isinstance(rows, list):
            return _genre_releases(rows)
        return _genre_releases_later(rows)  # type: ignore[return-value]  # graphql-core awaits it

    @strawberry.field
    async def company(self, info: Info) -> Annotated[Company, strawberry.lazy("schema.company")]:
        from schema.company import Company

        return Company.from_row(await info.context.loaders.company.load(self.company_id))

    @strawberry.field(description="The movies behind these figures.")
    async def movies(
        self,
        info: Info,
        order_by: MovieOrder = MovieOrder.POPULARITY,
        first: int = 20,
        after: str | None = strawberry.UNSET,
    ) -> Annotated[MovieConnection, strawberry.lazy("schema.movie_page")]:
        from schema.movie_page import MovieConnection

        check_page_size(first, info.context.max_page_size)
        key = (self.company_id, self.year, order_by.value, first, given(after))
        return MovieConnection.from_row(await info.context.drill_down.company_year_movies.load(key))


def _genre_releases(rows: list[Any]) -> list[GenreReleases]:
    return [GenreReleases.from_row(row) for row in order_releases_by_genre(rows)]


async def _genre_releases_later(rows: Awaitable[list[Any]]) -> list[GenreReleases]:
    return _genre_releases(await rows)
