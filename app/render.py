"""How the command line shows its results: readable text for people, one JSON object for tools."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import PurePath
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from db.documents import TrustedDocument
from db.versions import Version
from importer.report import ImportReport

SHOWN_REJECTIONS = 20


def to_json(value: Any) -> str:
    """Serialize reports, versions and plain values as indented JSON."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def import_report(console: Console, report: ImportReport) -> None:
    """Show what an import did."""
    if report.status == "unchanged":
        console.print(report.message, markup=False)
        return
    target = "a SQL script" if report.status == "script" else f"version {report.version}: [bold]{report.status}[/]"
    console.print(f"[bold]{report.source}[/] (sha256 {report.sha256[:12]}…, {report.mode} load) → {target}")
    rows = [("records", f"{report.records:,}"), ("rejected", f"{report.rejected:,}")]
    if report.status != "script":  # a script counts these when it runs
        rows += [
            ("loaded", f"{report.loaded:,} distinct movies"),
            ("duplicates", f"{report.duplicates:,} (the last record of an id wins)"),
            ("movies", f"{report.movies:,} in the version"),
        ]
    rows += [
        ("warnings", ", ".join(f"{kind} {count:,}" for kind, count in report.warnings.items()) or "none"),
        ("time", f"{report.seconds:.2f} s" + _phases(report.phases)),
    ]
    for label, value in rows:
        console.print(f"  {label:<11} {value}")
    for check in report.checks:
        mark = "[green]pass[/]" if check["passed"] else "[red]FAIL[/]"
        console.print(f"  check       {mark} {check['name']}: {check['detail']}")
    if report.rejections:
        console.print(f"Rejected records (first {min(SHOWN_REJECTIONS, report.rejected)} of {report.rejected:,}):")
        for rejection in report.rejections[:SHOWN_REJECTIONS]:
            console.print(f"  line {rejection['line']}: {rejection['reason']}", markup=False)
    console.print(report.message, markup=False)


def _phases(phases: dict[str, float]) -> str:
    return f" ({', '.join(f'{name} {seconds:.2f}' for name, seconds in phases.items())})" if phases else ""


def versions_table(console: Console, versions: list[Version]) -> None:
    """List dataset versions, newest first."""
    if not versions:
        console.print("No dataset versions yet. Load one with `movie-stats import FILE`.")
        return
    table = Table(
        "version", "status", "mode", "file", "sha256", "loaded at (UTC)", "movies", "rejected", "duplicates", "checks"
    )  # fmt: skip
    for v in versions:
        style = "bold green" if v.status == "live" else None
        failed = [check["name"] for check in v.failed_checks]
        checks = f"FAILED {', '.join(failed)}" if failed else "passed" if v.checks else ""
        table.add_row(
            str(v.id), v.status, v.mode, v.source_name, v.source_sha256[:12],
            v.loaded_at.strftime("%Y-%m-%d %H:%M:%S"), f"{v.movies:,}", f"{v.rejected:,}", f"{v.duplicates:,}", checks,
            style=style,
        )  # fmt: skip
    console.print(table)


def documents_table(console: Console, documents: list[TrustedDocument]) -> None:
    """The registered documents, one row each."""
    if not documents:
        console.print("No documents registered: add them with `movie-stats documents add FILE...`.")
        return
    table = Table("id", "operations", "file", "added")
    for document in documents:
        table.add_row(
            f"sha256:{document.sha256}", document.name, document.source, f"{document.added_at:%Y-%m-%d %H:%M}"
        )
    console.print(table)
