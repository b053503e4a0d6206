"""CompanyTotals, GenreTotals and CompanyRanking: figures over a span of years, and their ranking."""

from __future__ import annotations

from enum import Enum
from types import SimpleNamespace
from typing import Any

import strawberry

from resolvers.rankings import RankingPage, count_ranked_companies
from schema.company import Company
from schema.context import Info
from schema.coverage import Coverage
from schema.figures import group_figures_of
from schema.genre import Genre
from schema.page import PageInfo
from schema.scalars import BigInt


@strawberry.enum(
    description="What companies are ranked by: the figure summed over the span "
    "(averagePopularity: over every movie with a known popularity in the span)."
)
class CompanyMetric(Enum):
    RELEASES = "RELEASES"
    BUDGET = "BUDGET"
    REVENUE = "REVENUE"
    PROFIT = "PROFIT"
    AVERAGE_POPULARITY = "AVERAGE_POPULARITY"
    TOTAL_POPULARITY = "TOTAL_POPULARITY"


def no_releases(id_: int, name: str) -> Any:
    """The totals row of an entity with no release in a span: zero releases, null figures."""
    figures = dict.fromkeys(("budget", "revenue", "profit", "average_popularity", "total_popularity"))
    counts = dict.fromkeys(("years", "releases", "with_budget", "with_revenue", "with_both", "with_popularity"), 0)
    return SimpleNamespace(id=id_, name=name, **figures, **counts)


@strawberry.type
class SpanFigures:
    """Figures over a span of release years, by data rules 10-16 applied to all its movies there."""

    years: int = strawberry.field(description="Years of the span with at least one release.")
    releases: int
    budget: BigInt | None
    revenue: BigInt | None
    profit: BigInt | None
    average_popularity: float | None
    total_popularity: float | None
    coverage: Coverage


def span_figures_of(row: Any) -> dict[str, Any]:
    """SpanFigures' constructor arguments from a totals row (resolvers.rankings)."""
    return {"years": row.years, **group_figures_of(row)}


@strawberry.type(
    description="Figures of one company over a span of release years, by data rules 10-16 applied to all "
    "its movies released in the span."
)
class CompanyTotals(SpanFigures):
    company: Company

    @classmethod
    def from_row(cls, row: Any) -> CompanyTotals:
        """From a totals row with the company's `id` and `name`."""
        return cls(**span_figures_of(row), company=Company(id=row.id, name=row.name))


@strawberry.type(description="Figures of one genre over a span of release years.")
class GenreTotals(SpanFigures):
    genre: Genre

    @classmethod
    def from_row(cls, row: Any) -> GenreTotals:
        """From a totals row with the genre's `id` and `name`."""
        return cls(**span_figures_of(row), genre=Genre(id=row.id, name=row.name))


@strawberry.type(description="A page of companies ranked over a span; `totalCount` counts every company ranked.")
class CompanyRanking:
    page_info: PageInfo
    nodes: list[CompanyTotals]
    span: strawberry.Private[tuple[int | None, int | None]]

    @classmethod
    def from_row(cls, page: RankingPage, span: tuple[int | None, int | None]) -> CompanyRanking:
        """From a ranking page over `span`."""
        return cls(
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            nodes=[CompanyTotals.from_row(row) for row in page.nodes],
            span=span,
        )

    @strawberry.field
    async def total_count(self, info: Info) -> int:
        first, last = self.span
        return await count_ranked_companies(
            info.context.db, version_id=info.context.version_id, first_year=first, last_year=last
        )
