"""GenreReleases: how many of a company's movies of one year have a genre."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import strawberry

from resolvers.companies import GenreReleasesRow
from schema.genre import Genre


@strawberry.type(description="Releases of one genre within a company-year.")
class GenreReleases:
    genre: Genre
    releases: int

    @classmethod
    def from_row(cls, row: Any) -> GenreReleases:
        """From a `company_year_genres` row joined with `genre_name`."""
        return cls(genre=Genre(id=row.genre_id, name=row.genre_name), releases=row.releases)

    @classmethod
    def by_year(cls, rows: Iterable[GenreReleasesRow]) -> dict[int, list[GenreReleases]]:
        """From a company's rows of several years, per year, in their order.

        A company's years repeat the same few (genre, releases) pairs: one object is built for each.
        """
        made: dict[tuple[int, str, int], GenreReleases] = {}
        years: dict[int, list[GenreReleases]] = defaultdict(list)
        for row in rows:
            key = (row.genre_id, row.genre_name, row.releases)
            entry = made.get(key)
            if entry is None:
                made[key] = entry = cls.from_row(row)
            years[row.year].append(entry)
        return years
