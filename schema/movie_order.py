"""MovieOrder: how a list of movies is ordered."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(
    description="Numbers best first (descending, unknowns last); RELEASE_DATE and TITLE ascending "
    "(unknown dates last); ties by id."
)
class MovieOrder(Enum):
    POPULARITY = "POPULARITY"
    REVENUE = "REVENUE"
    BUDGET = "BUDGET"
    PROFIT = "PROFIT"
    RELEASE_DATE = "RELEASE_DATE"
    TITLE = "TITLE"
