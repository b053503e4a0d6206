"""WarningCount, Rejection and RejectionConnection: the data quality of a dataset version."""

from __future__ import annotations

import strawberry

from resolvers.data_quality import RejectionPage
from schema.page import PageInfo


@strawberry.type(description="How many values a data rule turned into unknown, of one kind.")
class WarningCount:
    kind: str
    count: int


@strawberry.type(description="A record the load rejected: its line in the file and why.")
class Rejection:
    line: int
    reason: str


@strawberry.type(description="A page of rejections, in file order; `totalCount` counts them all.")
class RejectionConnection:
    total_count: int
    page_info: PageInfo
    nodes: list[Rejection]

    @classmethod
    def from_row(cls, page: RejectionPage) -> RejectionConnection:
        """From a rejection page."""
        return cls(
            total_count=page.total_count,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            nodes=[Rejection(line=row.line, reason=row.reason) for row in page.nodes],
        )
