"""GenreReleases: how many of a company's movies of one year have a genre."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.genre import Genre


@strawberry.type(description="Releases of one genre within a company-year.")
class GenreReleases:
    genre: Genre
    releases: int

    @classmethod
    def from_row(cls, row: Any) -> GenreReleases:
        """From a `company_year_genres` row joined with `genre_name`."""
        return cls(genre=Genre(id=row.genre_id, name=row.genre_name), releases=row.releases)
