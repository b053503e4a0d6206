"""CompanyYear: the figures of one production company in one release year (data rule 16)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers.companies import order_releases_by_genre
from schema.context import Info, given
from schema.errors import check_page_size
from schema.figures import YearFigures, from_columns
from schema.genre_releases import GenreReleases
from schema.movie_order import MovieOrder

if TYPE_CHECKING:
    from schema.company import Company
    from schema.movie_page import MovieConnection


@strawberry.type(description="Production Company Details of one year.")
class CompanyYear(YearFigures):
    company_id: strawberry.Private[int]
    # Loaded with the year by Company.years when the selection asks for them, else None.
    genre_releases: strawberry.Private[list[GenreReleases] | None]

    @classmethod
    def from_row(cls, row: Any) -> CompanyYear:
        """From a `company_years` row."""
        return from_columns(cls, row, genre_releases=None)  # its company_id among them

    @classmethod
    def with_genres(cls, rows: Sequence[Any], genre_rows: Iterable[Any]) -> list[CompanyYear]:
        """From a company's `company_years` rows and its `company_year_genres` rows of those years."""
        releases = GenreReleases.by_year(order_releases_by_genre(genre_rows))
        return [from_columns(cls, row, genre_releases=releases.get(row.year, [])) for row in rows]

    @strawberry.field(description="Ordered by releases descending, then genre name.")
    def releases_by_genre(self) -> list[GenreReleases]:
        # A plain field (schema.plain_execution completes it without graphql-core's per-field work).
        if self.genre_releases is None:
            raise RuntimeError("releasesByGenre was not loaded with its year (Company.years loads it when asked)")
        return self.genre_releases

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
