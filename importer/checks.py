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


@dataclass(frozen=True, slots=True)
class LiveFigures:
    """What the shrink check compares a full load with: the live version's movies, and how many of them it drops."""

    movies: int
    dropped: int  # live movie ids the new version lacks, whatever it adds
    waived: str | None = None  # why the check does not apply (the live version is a generated sample)


def run_checks(
    *,
    limits: CheckLimits,
    records: int,
    rejected: int,
    full_load: bool,
    movies: int,
    live: LiveFigures | None,
    table_rows: dict[str, int],
    live_at_start: int | None,
    live_now: int | None,
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
    if full_load and live is not None and live.movies:
        results.append(shrink_check(limits, movies, live))
    empty = [name for name in REQUIRED_TABLES if not table_rows.get(name)]
    results.append(
        CheckResult(
            name="tables_filled",
            passed=not empty,
            detail=f"empty: {', '.join(empty)}" if empty else "every required table has rows",
            override="--force",
        )
    )
    results.append(live_unchanged_check(live_at_start, live_now))
    return results


def live_unchanged_check(live_at_start: int | None, live_now: int | None) -> CheckResult:
    """The live version is still the one the load started from: a promote or rollback run meanwhile is not undone.

    The new version was checked against (and, incremental, built on) the version live when it started.
    """
    if live_at_start == live_now:
        return CheckResult("live_unchanged", True, "the live version is the one the load started from", "--force")
    then = f"version {live_at_start}" if live_at_start is not None else "none"
    now = f"version {live_now} is live" if live_now is not None else "no version is live"
    detail = f"{now} now, and was {then} when the load started: a promote or rollback ran meanwhile"
    return CheckResult("live_unchanged", False, detail, "--force")


def shrink_check(limits: CheckLimits, movies: int, live: LiveFigures) -> CheckResult:
    """A full load keeps the live version's movies: it may drop at most the allowed share of their ids.

    Identities, not counts: a file that drops a third of the movies and adds as many new ones
    fails, though it holds as many movies as before.
    """
    if live.waived:
        return CheckResult("shrink", True, f"not applied: {live.waived}", "--max-shrink-share")
    share = live.dropped / live.movies
    return CheckResult(
        name="shrink",
        passed=share <= limits.max_shrink_share,
        detail=f"{live.dropped} of the {live.movies} live movies are missing "
        f"({share:.2%}; limit {limits.max_shrink_share:.2%}); {movies} movies in all",
        override="--max-shrink-share",
    )
