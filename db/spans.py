"""A span's figures: the yearly figures of rules 10-14 summed over the years of a span.

Releases, money and coverage add up; profit stays over the movies with both amounts known,
since each year's profit already is (rule 12); averagePopularity is the span's total
popularity over its movies with a known popularity (rule 14), not a mean of yearly means.
The one SQL spelling serves the precompute of whole-dataset totals (db.precompute) and the
span rankings read at request time (resolvers.rankings), on both stores, so both agree.
"""

from __future__ import annotations

# Popularity sums pass through an exact decimal, so that no query plan's order of the years
# changes a figure (PostgreSQL; SQLite's NUMERIC cast keeps the float as it is).
_TOTAL_POPULARITY = "CAST(sum(CAST({y}.total_popularity AS NUMERIC)) AS DOUBLE PRECISION)"


def span_figures(y: str) -> dict[str, str]:
    """The figures of a span as SQL aggregates over the yearly rows aliased `y`, by column name."""
    total_popularity = _TOTAL_POPULARITY.format(y=y)
    return {
        "years": "count(*)",
        "releases": f"CAST(sum({y}.releases) AS INTEGER)",
        "budget": f"CAST(sum({y}.budget) AS BIGINT)",
        "revenue": f"CAST(sum({y}.revenue) AS BIGINT)",
        "profit": f"CAST(sum({y}.profit) AS BIGINT)",
        "with_budget": f"CAST(sum({y}.with_budget) AS INTEGER)",
        "with_revenue": f"CAST(sum({y}.with_revenue) AS INTEGER)",
        "with_both": f"CAST(sum({y}.with_both) AS INTEGER)",
        "with_popularity": f"CAST(sum({y}.with_popularity) AS INTEGER)",
        "average_popularity": f"{total_popularity} / NULLIF(sum({y}.with_popularity), 0)",
        "total_popularity": total_popularity,
    }


def span_select_list(y: str) -> str:
    """`span_figures` as a SELECT list."""
    return ", ".join(f"{sql} AS {name}" for name, sql in span_figures(y).items())
