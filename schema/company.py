"""Company: a production company and its details per year."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from schema.company_year import CompanyYear
from schema.context import FromYear, Info, given

if TYPE_CHECKING:
    from schema.ranking import CompanyTotals


@strawberry.type(description="A production company.")
class Company:
    id: int
    name: str

    @classmethod
    def from_row(cls, row: Any) -> Company:
        """From a row with `id` and `name`."""
        return cls(id=row.id, name=row.name)

    @strawberry.field(description="Production Company Details: one entry per year with releases, ascending.")
    async def years(
        self,
        info: Info,
        from_: FromYear = strawberry.UNSET,
        to: int | None = strawberry.UNSET,
    ) -> list[CompanyYear]:
        key = (self.id, given(from_), given(to))
        if not _asks_for(info.selected_fields, "releasesByGenre"):
            return [CompanyYear.from_row(row) for row in await info.context.loaders.company_years.load(key)]
        # Loaded with the years (at once), so that each year's releasesByGenre is a plain field.
        loaders = info.context.loaders
        rows, genre_rows = await asyncio.gather(loaders.company_years.load(key), loaders.releases_by_genre.load(key))
        return CompanyYear.with_genres(rows, genre_rows)

    @strawberry.field(
        description="The company's figures summed over the span (zero releases and null figures when it has none there)."
    )
    async def totals(
        self, info: Info, from_: FromYear = strawberry.UNSET, to: int | None = strawberry.UNSET
    ) -> Annotated[CompanyTotals, strawberry.lazy("schema.ranking")]:
        from schema.ranking import CompanyTotals, no_releases

        row = await info.context.drill_down.company_totals.load((self.id, given(from_), given(to)))
        return CompanyTotals.from_row(row if row is not None else no_releases(self.id, self.name))


def _asks_for(fields: list[Selection], name: str) -> bool:
    """Whether the selection of this field asks for `name`, directly or within fragments."""
    return any(_names(child, name) for field in fields for child in field.selections)


def _names(selection: Selection, name: str) -> bool:
    if isinstance(selection, SelectedField):
        return selection.name == name
    return any(_names(child, name) for child in selection.selections)  # a fragment: look inside it
