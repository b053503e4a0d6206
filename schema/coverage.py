"""Coverage: how many movies of a group have known money figures (data rule 13)."""

from __future__ import annotations

from typing import Any

import strawberry


@strawberry.type(description="How many movies of the group have a known budget, revenue, both.")
class Coverage:
    releases: int
    with_budget: int
    with_revenue: int
    with_both: int
    with_popularity: int = strawberry.field(
        description="Movies with a known popularity: what averagePopularity rests on."
    )

    @classmethod
    def from_row(cls, row: Any) -> Coverage:
        """From any precomputed figures row."""
        return cls(
            releases=row.releases,
            with_budget=row.with_budget,
            with_revenue=row.with_revenue,
            with_both=row.with_both,
            with_popularity=row.with_popularity,
        )
