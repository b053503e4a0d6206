"""Company: a production company and its details per year."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

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
        rows = await info.context.loaders.company_years.load((self.id, given(from_), given(to)))
        if _asks_for(info, "releasesByGenre"):  # one load for every year now: each year then answers synchronously
            await info.context.loaders.releases_by_genre.load_many([(self.id, row.year) for row in rows])
        return [CompanyYear.from_row(row) for row in rows]

    @strawberry.field(
        description="The company's figures summed over the span (zero releases and null figures when it has none there)."
    )
    async def totals(
        self, info: Info, from_: FromYear = strawberry.UNSET, to: int | None = strawberry.UNSET
    ) -> Annotated[CompanyTotals, strawberry.lazy("schema.ranking")]:
        from schema.ranking import CompanyTotals, no_releases

        row = await info.context.drill_down.company_totals.load((self.id, given(from_), given(to)))
        return CompanyTotals.from_row(row if row is not None else no_releases(self.id, self.name))


def _asks_for(info: Info, name: str) -> bool:
    """Whether the selection of this field names `name` directly (fragments are not looked into)."""
    return any(getattr(child, "name", None) == name for field in info.selected_fields for child in field.selections)
