"""How `movie-stats diff` shows a version diff to people (`--json` prints dataclasses.asdict)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from db.diff import MovieRef, VersionDiff


def diff_text(console: Console, diff: VersionDiff) -> None:
    """Show how version b differs from version a: movies, then the years that moved most."""
    console.print(
        f"Version {diff.a} → version {diff.b}: {diff.added:,} added, {diff.removed:,} removed, "
        f"{diff.changed:,} changed movies.",
        highlight=False,
    )
    if diff.empty and not diff.years:
        console.print("The two versions hold the same movies and figures.")
        return
    _movies(console, "Added", diff.added, diff.added_examples)
    _movies(console, "Removed", diff.removed, diff.removed_examples)
    _movies(console, "Changed", diff.changed, diff.changed_examples)
    if not diff.years:
        return
    table = Table("year", "releases", "budget", "revenue", "profit", title="Years whose totals moved most")
    for change in diff.years:
        before, after = change.before, change.after
        table.add_row(
            str(change.year),
            _moved(before.releases, after.releases),
            _moved(before.budget, after.budget),
            _moved(before.revenue, after.revenue),
            _moved(before.profit, after.profit),
        )
    console.print(table)


def _movies(console: Console, label: str, count: int, examples: list[MovieRef]) -> None:
    if not examples:
        return
    shown = f" (first {len(examples):,} of {count:,})" if len(examples) < count else ""
    console.print(f"{label}{shown}:", highlight=False)
    for movie in examples:
        title = " ".join(movie.title.split())  # one line per movie, whatever the title holds
        console.print(Text(f"  {movie.id:>9}  {title}"))  # Text: a title is never markup


def _moved(before: int | None, after: int | None) -> str:
    """`before → after (±change)`; an unknown amount shows as `–`."""
    text = f"{_amount(before)} → {_amount(after)}"
    if before is None or after is None or before == after:
        return text
    return f"{text} ({after - before:+,})"


def _amount(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"
