"""CompanyConnection and PageInfo: one page of a company search."""

from __future__ import annotations

import strawberry

from resolvers.companies import CompanyPage
from schema.company import Company


@strawberry.type(description="Where a page ends and whether another follows.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of companies; `totalCount` counts every match.")
class CompanyConnection:
    total_count: int
    page_info: PageInfo
    nodes: list[Company]

    @classmethod
    def from_row(cls, page: CompanyPage) -> CompanyConnection:
        """From a search result page."""
        return cls(
            total_count=page.total_count,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            nodes=[Company.from_row(row) for row in page.nodes],
        )
