"""The figures every yearly group shares: money, popularity and coverage (data rules 10-14)."""

from __future__ import annotations

from typing import Any, TypeVar

import strawberry

from schema.coverage import Coverage
from schema.scalars import BigInt

T = TypeVar("T")


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

    @strawberry.field
    def coverage(self) -> Coverage:
        # Built when asked for, from the row's own columns (from_columns keeps them all).
        return Coverage.from_row(self)


def from_columns(cls: type[T], row: Any, **more: Any) -> T:
    """An instance of `cls` whose attributes are the row's columns (its fields among them) and `more`.

    The yearly lists are the API's longest (a genre's 133 years): building each entry through its
    dataclass __init__ from keyword arguments, with its Coverage, cost about twice as much.
    """
    instance = cls.__new__(cls)
    instance.__dict__ = row._asdict()
    instance.__dict__.update(more)
    return instance


def group_figures_of(row: Any) -> dict[str, Any]:
    """The figures of a group of movies (data rules 10-14), from a span row."""
    return {
        "releases": row.releases,
        "budget": row.budget,
        "revenue": row.revenue,
        "profit": row.profit,
        "average_popularity": row.average_popularity,
        "total_popularity": row.total_popularity,
        "coverage": Coverage.from_row(row),
    }
