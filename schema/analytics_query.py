"""The Query fields analysts start from: rankings over spans, movie lists, the dataset versions."""

from __future__ import annotations

import strawberry

from resolvers.data_quality import kept_versions
from resolvers.movie_lists import MovieFilter, movie_page
from resolvers.rankings import rank_companies, rank_genres_over
from schema.context import FromYear, Info, given
from schema.dataset import Dataset
from schema.errors import check_page_size
from schema.metric import GenreMetric
from schema.movie_order import MovieOrder
from schema.movie_page import MovieConnection
from schema.ranking import CompanyMetric, CompanyRanking, GenreTotals


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        description="Companies ranked by a figure summed over the span, best first; ties by name, then id; "
        "a company whose figure is null comes last. Only companies with releases in the span."
    )
    async def company_ranking(
        self,
        info: Info,
        by: CompanyMetric = CompanyMetric.REVENUE,
        from_: FromYear = strawberry.UNSET,
        to: int | None = strawberry.UNSET,
        first: int = 20,
        after: str | None = strawberry.UNSET,
    ) -> CompanyRanking:
        check_page_size(first, info.context.max_page_size)
        page = await rank_companies(
            info.context.db, version_id=info.context.version_id, metric=by.value,
            first_year=given(from_), last_year=given(to), first=first, after=given(after),
        )  # fmt: skip
        return CompanyRanking.from_row(page, (given(from_), given(to)))

    @strawberry.field(description="Every genre with releases in the span, ranked the same way.")
    async def genre_ranking(
        self,
        info: Info,
        by: GenreMetric = GenreMetric.AVERAGE_POPULARITY,
        from_: FromYear = strawberry.UNSET,
        to: int | None = strawberry.UNSET,
    ) -> list[GenreTotals]:
        rows = await rank_genres_over(
            info.context.db, version_id=info.context.version_id, metric=by.value,
            first_year=given(from_), last_year=given(to),
        )  # fmt: skip
        return [GenreTotals.from_row(row) for row in rows]

    @strawberry.field(
        description="Movies matching every filter given: the rows behind any figure. "
        "search matches the title case-insensitively anywhere."
    )
    async def movies(
        self,
        info: Info,
        year: int | None = strawberry.UNSET,
        genre_id: int | None = strawberry.UNSET,
        company_id: int | None = strawberry.UNSET,
        search: str | None = strawberry.UNSET,
        order_by: MovieOrder = MovieOrder.POPULARITY,
        first: int = 20,
        after: str | None = strawberry.UNSET,
    ) -> MovieConnection:
        check_page_size(first, info.context.max_page_size)
        where = MovieFilter(
            year=given(year), genre_id=given(genre_id), company_id=given(company_id), search=given(search)
        )
        page = await info.context.db.run(
            movie_page, info.context.version_id, where, order_by.value, first, given(after)
        )
        return MovieConnection.from_row(page)

    @strawberry.field(description="Every dataset version kept (live, staged, retired), newest first.")
    async def datasets(self, info: Info) -> list[Dataset]:
        return [Dataset.from_row(version) for version in await kept_versions(info.context.db)]
