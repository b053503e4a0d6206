"""The import: read -> clean -> stage -> build -> precompute -> check -> go live.

A load is all or nothing for readers: they only ever see a finished version, and a refused
file, an error or a killed process leaves the live version exactly as it was. The steps run
through the store's load (db.load): in one transaction on SQLite, over several connections
committing as they go on PostgreSQL, or written as SQL (importer.sql_script); this module
never asks which. The import lock is held throughout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Engine

from db.engine import open_load
from db.load import Outcome, VersionLoad
from db.tables import LIVE
from db.versions import Version, VersionError
from importer.batches import Progress, cleaned_batches
from importer.checks import REQUIRED_TABLES, CheckResult, LiveFigures, run_checks
from importer.options import (  # noqa: F401 - re-exported: callers import them from here
    AUTO_WORKERS,
    AUTO_WORKERS_MIN_BYTES,
    FULL,
    INCREMENTAL,
    MAX_WORKERS,
    ImportOptions,
    is_sample,
    source_name,
)
from importer.read import CsvSource
from importer.report import ImportReport
from importer.snapshot import FileSnapshot


def worker_count(path: Path, requested: int | None) -> int:
    """How many worker processes clean `path`: as requested, else AUTO_WORKERS for a large file."""
    if requested is not None:
        return requested
    return AUTO_WORKERS if path.stat().st_size >= AUTO_WORKERS_MIN_BYTES else 0  # none on one core


def import_file(engine: Engine, path: Path, options: ImportOptions, progress: Progress | None = None) -> ImportReport:
    """Load one file into a new dataset version; see the module docstring for the guarantees."""
    started = time.perf_counter()
    snapshot = FileSnapshot.take(path)  # refuses a FIFO or a device before anything else (rule 22)
    report = ImportReport(source=source_name(path.name, options), sha256=snapshot.sha256, mode=options.mode)
    # CsvSource refuses a file with a bad header before the database is touched, and one that
    # changes while it is read (rule 22) before the load commits anything.
    with CsvSource(path, snapshot) as source, open_load(engine, wait_for_lock=options.wait_for_lock) as load:
        load_source(load, source, options, report, progress)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def load_source(
    load: VersionLoad, source: CsvSource, options: ImportOptions, report: ImportReport, progress: Progress | None
) -> None:
    """Load the source's records through `load`, step by step, counting them and timing the steps on `report`."""
    live = load.live_version()
    if live is not None and live.source_sha256 == report.sha256 and not options.force:
        report.version = live.id
        report.message = (
            f"Unchanged: version {live.id} (live) was loaded from the same file. Use --force to load it again."
        )
        return
    if options.mode == INCREMENTAL and live is None:
        raise VersionError("An incremental load needs a live version to start from; load a full file first.")
    report.version = load.create_version(
        mode=options.mode,
        source_name=report.source,
        source_sha256=report.sha256,
        base_version_id=live.id if live is not None else None,
    )
    with _phase(report, "stage"):  # read, clean and write to staging: Python-bound
        _stage_records(load, source, options, report, progress)
    with _phase(report, "build"):
        counts = load.build(live.id if options.mode == INCREMENTAL and live is not None else None)
    report.loaded, report.duplicates, report.movies = counts.loaded, counts.duplicates, counts.movies
    with _phase(report, "precompute"):
        load.precompute()
    if load.attaches:
        with _phase(report, "attach"):
            load.attach()
    with _phase(report, "check"):
        _check_and_finish(load, live, options, report)


def _stage_records(
    load: VersionLoad, source: CsvSource, options: ImportOptions, report: ImportReport, progress: Progress | None
) -> None:
    workers = worker_count(source.path, options.workers)
    # closing(): on an error, stop the worker processes now, not when the traceback is freed.
    with closing(cleaned_batches(source, report, progress, encode=load.encode, workers=workers)) as batches:
        for batch in batches:
            load.write_batch(batch.tables, [(rejection.line, rejection.reason) for rejection in batch.rejected])


def _check_and_finish(load: VersionLoad, live: Version | None, options: ImportOptions, report: ImportReport) -> None:
    results = run_checks(
        limits=options.limits,
        records=report.records,
        rejected=report.rejected,
        full_load=options.mode == FULL,
        movies=report.movies,
        live=_live_figures(load, live, options),
        table_rows=load.table_rows(REQUIRED_TABLES),
        live_at_start=live.id if live is not None else None,
        live_now=load.live_version_id(),  # and kept so until the load ends
    )
    report.checks = [result.as_dict() for result in results]
    figures = {
        "records": report.records,
        "loaded": report.loaded,
        "rejected": report.rejected,
        "duplicates": report.duplicates,
        "movies": report.movies,
        "warnings": report.warnings,
    }
    outcome = Outcome(figures, report.checks, stage_only=options.stage_only, force=options.force)
    report.status = load.finish(outcome)
    report.message = _outcome_message(report, results, options)


def _live_figures(load: VersionLoad, live: Version | None, options: ImportOptions) -> LiveFigures | None:
    """What the shrink check compares a full load with; None when it has nothing to compare with."""
    if options.mode != FULL or live is None or not live.movies:
        return None
    if options.replace_sample and is_sample(live.source_name):
        waived = f"the live version {live.id} is a generated sample, which a real file replaces whatever its size"
        return LiveFigures(movies=live.movies, dropped=0, waived=waived)
    return LiveFigures(movies=live.movies, dropped=load.movies_dropped(live.id))


@contextmanager
def _phase(report: ImportReport, name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    report.phases[name] = round(time.perf_counter() - started, 3)


def _outcome_message(report: ImportReport, results: list[CheckResult], options: ImportOptions) -> str:
    failed = [result for result in results if not result.passed]
    if report.status == LIVE:
        forced = f" despite failed checks ({', '.join(r.name for r in failed)}; --force)" if failed else ""
        return f"Version {report.version} is live{forced}."
    if options.stage_only and not failed:
        return f"Version {report.version} is staged and passed its checks. Run `movie-stats promote {report.version}`."
    reasons = "; ".join(f"{r.name}: {r.detail} (override with {r.override})" for r in failed)
    return (
        f"Version {report.version} failed its checks and stays staged: {reasons}. "
        f"Run `movie-stats promote {report.version} --force` to take it live anyway."
    )
