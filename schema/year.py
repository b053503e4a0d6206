"""Year: one release year, its totals and the ranking of its genres (data rule 18)."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.years import most_popular_genre, rank_genres
from schema.context import Info, given
from schema.errors import check_page_size
from schema.figures import YearFigures, from_columns
from schema.genre_year import GenreYear
from schema.metric import GenreMetric


@strawberry.type(description="One release year.")
class Year(YearFigures):
    @classmethod
    def from_row(cls, row: Any) -> Year:
        """From a `year_totals` row."""
        return from_columns(cls, row)

    @strawberry.field(description="Null when no genre has a value for the metric that year.")
    async def most_popular_genre(
        self, info: Info, by: GenreMetric = GenreMetric.AVERAGE_POPULARITY
    ) -> GenreYear | None:
        row = most_popular_genre(await info.context.loaders.genres_of_year.load(self.year), by.value)
        return GenreYear.from_row(row) if row is not None else None

    @strawberry.field(
        description="Genres with releases that year, best first by the metric (ties: genre name); NULLs last."
    )
    async def genres(
        self, info: Info, order_by: GenreMetric = GenreMetric.AVERAGE_POPULARITY, first: int | None = strawberry.UNSET
    ) -> list[GenreYear]:
        check_page_size(given(first), info.context.max_page_size, pages=False)  # a year's genres: a few dozen at most
        rows = await info.context.loaders.genres_of_year.load(self.year)
        return [GenreYear.from_row(row) for row in rank_genres(rows, order_by.value, given(first))]
