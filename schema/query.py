"""Query: the entry points of the API (/work/shared/design/api.graphql)."""

from __future__ import annotations

import strawberry

from resolvers.companies import search_companies
from resolvers.datasets import find_version
from resolvers.genres import list_genres
from resolvers.years import find_year, list_years
from schema.analytics_query import AnalyticsQuery
from schema.company import Company
from schema.context import FromYear, Info, given
from schema.dataset import Dataset
from schema.errors import DatasetNotFound, check_page_size
from schema.genre import Genre
from schema.movie import Movie
from schema.page import CompanyConnection
from schema.year import Year


@strawberry.type
class Query(AnalyticsQuery):
    @strawberry.field(description="The dataset version that answers this request.")
    async def dataset(self, info: Info) -> Dataset:
        row = await find_version(info.context.db, info.context.version_id)
        if row is None:  # pruned while this request ran
            raise DatasetNotFound(f"Dataset version {info.context.version_id} no longer exists.")
        return Dataset.from_row(row)

    @strawberry.field(
        description="Production companies, by name; `search` matches case-insensitively anywhere in the name."
    )
    async def companies(
        self, info: Info, search: str | None = strawberry.UNSET, first: int = 20, after: str | None = strawberry.UNSET
    ) -> CompanyConnection:
        check_page_size(first, info.context.max_page_size)
        page = await search_companies(
            info.context.db, version_id=info.context.version_id, search=given(search), first=first, after=given(after)
        )
        return CompanyConnection.from_row(page)

    @strawberry.field(description="A production company by its TMDB id.")
    async def company(self, info: Info, id: int) -> Company | None:
        row = await info.context.loaders.company.load(id)
        return Company.from_row(row) if row is not None else None

    @strawberry.field(description="All genres, by name.")
    async def genres(self, info: Info) -> list[Genre]:
        return [Genre.from_row(row) for row in await list_genres(info.context.db, version_id=info.context.version_id)]

    @strawberry.field(description="A genre by its TMDB id.")
    async def genre(self, info: Info, id: int) -> Genre | None:
        row = await info.context.loaders.genre.load(id)
        return Genre.from_row(row) if row is not None else None

    @strawberry.field(description="One release year; null when no movie was released that year.")
    async def year(self, info: Info, year: int) -> Year | None:
        row = await find_year(info.context.db, version_id=info.context.version_id, year=year)
        return Year.from_row(row) if row is not None else None

    @strawberry.field(description="Release years with at least one movie, ascending, within the inclusive bounds.")
    async def years(
        self,
        info: Info,
        from_: FromYear = strawberry.UNSET,
        to: int | None = strawberry.UNSET,
    ) -> list[Year]:
        rows = await list_years(info.context.db, version_id=info.context.version_id, first=given(from_), last=given(to))
        return [Year.from_row(row) for row in rows]

    @strawberry.field(description="A movie by its TMDB id.")
    async def movie(self, info: Info, id: int) -> Movie | None:
        row = await info.context.loaders.movie.load(id)
        return Movie.from_row(row) if row is not None else None
