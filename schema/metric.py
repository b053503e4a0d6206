"""The metrics genres of a year can be ranked by (data rule 18)."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class GenreMetric(Enum):
    """A figure of a genre-year to rank genres by."""

    AVERAGE_POPULARITY = "AVERAGE_POPULARITY"
    TOTAL_POPULARITY = "TOTAL_POPULARITY"
    RELEASES = "RELEASES"
    BUDGET = "BUDGET"
    REVENUE = "REVENUE"
    PROFIT = "PROFIT"
