"""Company: a production company and its details per year."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.company_year import CompanyYear
from schema.context import FromYear, Info, given


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


def _asks_for(info: Info, name: str) -> bool:
    """Whether the selection of this field names `name` directly (fragments are not looked into)."""
    return any(getattr(child, "name", None) == name for field in info.selected_fields for child in field.selections)
