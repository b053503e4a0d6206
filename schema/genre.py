"""Genre: a TMDB genre and its details per year."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.context import FromYear, Info, given

if TYPE_CHECKING:
    from schema.genre_year import GenreYear
    from schema.ranking import GenreTotals


@strawberry.type(description="A movie genre.")
class Genre:
    id: int
    name: str

    @classmethod
    def from_row(cls, row: Any) -> Genre:
        """From a row with `id` and `name`."""
        return cls(id=row.id, name=row.name)

    @strawberry.field(description="Movie Genre Details: one entry per year with releases, ascending.")
    async def years(
        self,
        info: Info,
        from_: FromYear = strawberry.UNSET,
        to: int | None = strawberry.UNSET,
    ) -> list[Annotated[GenreYear, strawberry.lazy("schema.genre_year")]]:
        from schema.genre_year import GenreYear

        rows = await info.context.loaders.genre_years.load((self.id, given(from_), given(to)))
        return [GenreYear.from_row(row) for row in rows]

    @strawberry.field(description="The genre's figures summed over the span.")
    async def totals(
        self, info: Info, from_: FromYear = strawberry.UNSET, to: int | None = strawberry.UNSET
    ) -> Annotated[GenreTotals, strawberry.lazy("schema.ranking")]:
        from schema.ranking import GenreTotals, no_releases

        row = await info.context.drill_down.genre_totals.load((self.id, given(from_), given(to)))
        return GenreTotals.from_row(row if row is not None else no_releases(self.id, self.name))
