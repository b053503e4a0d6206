"""Checks a version must pass before it goes live (data rule 20). Pure: figures in, verdicts out."""

from __future__ import annotations

from dataclasses import asdict, dataclass

DEFAULT_MAX_REJECTED_SHARE = 0.01
DEFAULT_MAX_SHRINK_SHARE = 0.10
REQUIRED_TABLES = ("movies", "genres", "companies", "year_totals", "genre_years", "company_years")


@dataclass(frozen=True, slots=True)
class CheckLimits:
    """Thresholds of the go-live checks; the CLI exposes each as a flag."""

    max_rejected_share: float = DEFAULT_MAX_REJECTED_SHARE
    max_shrink_share: float = DEFAULT_MAX_SHRINK_SHARE


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's verdict, with the figures behind it and how to override it."""

    name: str
    passed: bool
    detail: str
    override: str

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form, as stored on the version row."""
        return asdict(self)


def run_checks(
    *,
    limits: CheckLimits,
    records: int,
    rejected: int,
    full_load: bool,
    movies: int,
    live_movies: int | None,
    table_rows: dict[str, int],
) -> list[CheckResult]:
    """Every check, passed or not."""
    results = []
    share = rejected / records if records else 0.0
    results.append(
        CheckResult(
            name="rejected_share",
            passed=share <= limits.max_rejected_share,
            detail=f"{rejected} of {records} records rejected ({share:.2%}; limit {limits.max_rejected_share:.2%})",
            override="--max-rejected-share",
        )
    )
    if full_load and live_movies:
        shrink = (live_movies - movies) / live_movies
        results.append(
            CheckResult(
                name="shrink",
                passed=shrink <= limits.max_shrink_share,
                detail=f"{movies} movies against {live_movies} live "
                f"({max(shrink, 0.0):.2%} fewer; limit {limits.max_shrink_share:.2%})",
                override="--max-shrink-share",
            )
        )
    empty = [name for name in REQUIRED_TABLES if not table_rows.get(name)]
    results.append(
        CheckResult(
            name="tables_filled",
            passed=not empty,
            detail=f"empty: {', '.join(empty)}" if empty else "every required table has rows",
            override="--force",
        )
    )
    return results
