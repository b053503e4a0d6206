"""GenreYear: the figures of one genre in one release year (data rule 17)."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.figures import YearFigures, figures_of
from schema.genre import Genre


@strawberry.type(description="Movie Genre Details of one year.")
class GenreYear(YearFigures):
    genre_id: strawberry.Private[int]
    genre_name: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Any) -> GenreYear:
        """From a `genre_years` row joined with `genre_name`."""
        return cls(**figures_of(row), genre_id=row.genre_id, genre_name=row.genre_name)

    @strawberry.field
    def genre(self) -> Genre:
        return Genre(id=self.genre_id, name=self.genre_name)
