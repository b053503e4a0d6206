"""GenreYear: the figures of one genre in one release year (data rule 17)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.context import Info, given
from schema.errors import check_page_size
from schema.figures import YearFigures, from_columns
from schema.genre import Genre
from schema.movie_order import MovieOrder

if TYPE_CHECKING:
    from schema.movie_page import MovieConnection


@strawberry.type(description="Movie Genre Details of one year.")
class GenreYear(YearFigures):
    genre_id: strawberry.Private[int]
    genre_name: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Any) -> GenreYear:
        """From a `genre_years` row joined with `genre_name`."""
        return from_columns(cls, row)  # its genre_id and genre_name among them

    @strawberry.field
    def genre(self) -> Genre:
        return Genre(id=self.genre_id, name=self.genre_name)

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
        key = (self.genre_id, self.year, order_by.value, first, given(after))
        return MovieConnection.from_row(await info.context.drill_down.genre_year_movies.load(key))
