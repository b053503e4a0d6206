"""The figures every yearly group shares: money, popularity and coverage (data rules 10-14)."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.coverage import Coverage
from schema.scalars import BigInt


@strawberry.type
class YearFigures:
    """Base of CompanyYear, GenreYear and Year (each a precomputed table with these columns)."""

    year: int
    releases: int
    budget: BigInt | None
    revenue: BigInt | None
    profit: BigInt | None
    average_popularity: float | None
    total_popularity: float | None
    coverage: Coverage


def figures_of(row: Any) -> dict[str, Any]:
    """YearFigures' constructor arguments from a row of any precomputed yearly table."""
    return {"year": row.year, **group_figures_of(row)}


def group_figures_of(row: Any) -> dict[str, Any]:
    """The figures of a group of movies (data rules 10-14), from a yearly or a span row."""
    return {
        "releases": row.releases,
        "budget": row.budget,
        "revenue": row.revenue,
        "profit": row.profit,
        "average_popularity": row.average_popularity,
        "total_popularity": row.total_popularity,
        "coverage": Coverage.from_row(row),
    }
