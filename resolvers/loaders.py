"""Per-request DataLoaders: every lookup of one kind made while resolving a level is one query.

A page of companies with all their years and genres is therefore a fixed number of SQL
statements whatever the page size. Loaders are built per request, bound to its version.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from db.api_database import Database
from resolvers.companies import GenreReleasesRow, companies_by_id, releases_by_genre, years_of_companies
from resolvers.genres import genres_by_id
from resolvers.movies import companies_of_movies, genres_of_movies, movies_by_id
from resolvers.years import genre_years_of_genres, genre_years_of_years

K = TypeVar("K")
R = TypeVar("R")  # a row: SQLAlchemy's, or a tuple of the resolver's own
YearsKey = tuple[int, int | None, int | None]  # (owner id, from, to)


@dataclass(frozen=True, slots=True)
class Loaders:
    """The loaders of one request."""

    company: DataLoader[int, Row[*tuple[Any, ...]] | None]
    genre: DataLoader[int, Row[*tuple[Any, ...]] | None]
    movie: DataLoader[int, Row[*tuple[Any, ...]] | None]
    company_years: DataLoader[YearsKey, list[Row[*tuple[Any, ...]]]]
    genre_years: DataLoader[YearsKey, list[Row[*tuple[Any, ...]]]]
    releases_by_genre: DataLoader[YearsKey, list[GenreReleasesRow]]
    genres_of_year: DataLoader[int, list[Row[*tuple[Any, ...]]]]
    genres_of_movie: DataLoader[int, list[Row[*tuple[Any, ...]]]]
    companies_of_movie: DataLoader[int, list[Row[*tuple[Any, ...]]]]


def make_loaders(db: Database, version_id: int) -> Loaders:
    """Fresh loaders reading one version."""

    def by_id(fetch: Callable[..., dict[int, Row[*tuple[Any, ...]]]]) -> DataLoader[int, Row[*tuple[Any, ...]] | None]:
        async def load(ids: Sequence[int]) -> list[Row[*tuple[Any, ...]] | None]:
            found = await db.run(fetch, version_id, list(ids))
            return [found.get(id_) for id_ in ids]

        return DataLoader(load_fn=load)

    def grouped(
        fetch: Callable[..., list[Row[*tuple[Any, ...]]]], owner: str
    ) -> DataLoader[int, list[Row[*tuple[Any, ...]]]]:
        async def load(ids: Sequence[int]) -> list[list[Row[*tuple[Any, ...]]]]:
            rows = await db.run(fetch, version_id, list(ids))
            return _group(rows, ids, column(rows, owner))

        return DataLoader(load_fn=load)

    def yearly(fetch: Callable[..., list[R]], owner: str) -> DataLoader[YearsKey, list[R]]:
        async def load(keys: Sequence[YearsKey]) -> list[list[R]]:
            by_bounds: dict[tuple[int | None, int | None], list[int]] = defaultdict(list)
            for id_, first, last in keys:
                by_bounds[(first, last)].append(id_)
            found: dict[YearsKey, list[R]] = {}
            for (first, last), ids in by_bounds.items():  # one query per distinct range, usually one
                rows = await db.run(fetch, version_id, ids, first, last)
                for id_, owned in by_key(rows, column(rows, owner)).items():
                    found[(id_, first, last)] = owned
            return [found.get(key, []) for key in keys]

        return DataLoader(load_fn=load)

    return Loaders(
        company=by_id(companies_by_id),
        genre=by_id(genres_by_id),
        movie=by_id(movies_by_id),
        company_years=yearly(years_of_companies, "company_id"),
        genre_years=yearly(genre_years_of_genres, "genre_id"),
        releases_by_genre=yearly(releases_by_genre, "company_id"),
        genres_of_year=grouped(genre_years_of_years, "year"),
        genres_of_movie=grouped(genres_of_movies, "movie_id"),
        companies_of_movie=grouped(companies_of_movies, "movie_id"),
    )


def column(rows: Sequence[Any], name: str) -> Callable[[Any], Any]:
    """Read column `name` of such rows by its position: a SQLAlchemy Row's attributes cost 7x its index."""
    fields = getattr(rows[0], "_fields", ()) if rows else ()
    return itemgetter(fields.index(name)) if name in fields else attrgetter(name)


def by_key(rows: Iterable[R], key_of: Callable[[R], K]) -> dict[K, list[R]]:
    """Rows grouped by a key, each group in the order the rows came."""
    groups: dict[K, list[R]] = defaultdict(list)
    for row in rows:
        groups[key_of(row)].append(row)
    return groups


def _group(
    rows: list[Row[*tuple[Any, ...]]], keys: Sequence[K], key_of: Callable[[Row[*tuple[Any, ...]]], K]
) -> list[list[Row[*tuple[Any, ...]]]]:
    """Rows grouped under the keys asked for, in the order the query returned them."""
    groups = by_key(rows, key_of)
    return [groups.get(key, []) for key in keys]
