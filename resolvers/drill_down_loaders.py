"""Per-request DataLoaders of span totals and of the movies behind yearly figures.

A list of companies asking for their totals, or a page of company-years asking for their
movies, costs a fixed number of statements whatever its length (see resolvers.loaders).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table
from strawberry.dataloader import DataLoader

from db.api_database import Database
from db.tables import company_movies, genre_movies
from resolvers.movie_lists import MoviePage, first_pages, group_filter, movie_page
from resolvers.rankings import COMPANIES, GENRES, Ranked, totals_by_id

SpanKey = tuple[int, int | None, int | None]  # (entity id, from, to)
GroupPageKey = tuple[int, int, str, int, str | None]  # (entity id, year, order, first, after)


@dataclass(frozen=True, slots=True)
class DrillDownLoaders:
    """The loaders of one request."""

    company_totals: DataLoader[SpanKey, Row[*tuple[Any, ...]] | None]
    genre_totals: DataLoader[SpanKey, Row[*tuple[Any, ...]] | None]
    company_year_movies: DataLoader[GroupPageKey, MoviePage]
    genre_year_movies: DataLoader[GroupPageKey, MoviePage]


def make_drill_down_loaders(db: Database, version_id: int) -> DrillDownLoaders:
    """Fresh loaders reading one version."""

    def totals(ranked: Ranked) -> DataLoader[SpanKey, Row[*tuple[Any, ...]] | None]:
        async def load(keys: Sequence[SpanKey]) -> list[Row[*tuple[Any, ...]] | None]:
            by_span: dict[tuple[int | None, int | None], list[int]] = defaultdict(list)
            for id_, first, last in keys:
                by_span[(first, last)].append(id_)
            found: dict[SpanKey, Row[*tuple[Any, ...]]] = {}
            for (first, last), ids in by_span.items():  # one query per distinct span, usually one
                for id_, row in (await db.run(totals_by_id, ranked, version_id, ids, first, last)).items():
                    found[(id_, first, last)] = row
            return [found.get(key) for key in keys]

        return DataLoader(load_fn=load)

    def group_movies(link: Table, owner: str) -> DataLoader[GroupPageKey, MoviePage]:
        async def load(keys: Sequence[GroupPageKey]) -> list[MoviePage]:
            pages: dict[GroupPageKey, MoviePage] = {}
            first_page_groups: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
            for key in keys:
                id_, year, order, first, after = key
                if after is None:
                    first_page_groups[(order, first)].append((id_, year))
                else:  # a later page belongs to one group: its own query
                    where = group_filter(owner, id_, year)
                    pages[key] = await db.run(movie_page, version_id, where, order, first, after)
            for (order, first), groups in first_page_groups.items():
                found = await db.run(first_pages, version_id, link, owner, groups, order, first)
                for (id_, year), page in found.items():
                    pages[(id_, year, order, first, None)] = page
            return [pages[key] for key in keys]

        return DataLoader(load_fn=load)

    return DrillDownLoaders(
        company_totals=totals(COMPANIES),
        genre_totals=totals(GENRES),
        company_year_movies=group_movies(company_movies, "company_id"),
        genre_year_movies=group_movies(genre_movies, "genre_id"),
    )
