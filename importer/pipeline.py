"""The import: read -> clean -> stage -> build -> precompute -> check -> go live.

A load is all or nothing for readers: they only ever see a finished version, and a refused
file, an error or a killed process leaves the live version exactly as it was.

On SQLite it is one transaction. On PostgreSQL the build, the precompute and the index builds
run on two connections (db.build.build_version_in_parallel, db.precompute.precompute_and_index),
so the load commits as it goes: the first transaction creates the version (`loading`), its
tables, which stay unattached (unseen by readers), and staging tables that all connections can
read, and stages the file; the last attaches the tables, checks the version and makes it live.
On an error in between, the load removes what it committed; a killed load leaves it to the
next command (db.versions.remove_abandoned). The import lock is held throughout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from db import locks, partitions, staging, versions
from db.build import BuildCounts, build_version, build_version_in_parallel
from db.diff import movies_dropped
from db.engine import SQLITE_BEGIN
from db.precompute import precompute, precompute_and_index
from db.tables import LIVE, STAGED
from db.tables import metadata as store
from importer.batches import REJECTION_COLUMNS, Progress, cleaned_batches
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
    with (
        CsvSource(path, snapshot) as source,
        engine.connect().execution_options(**{SQLITE_BEGIN: "immediate"}) as connection,
        locks.sqlite_lock_wait(connection, options.wait_for_lock),
        locks.import_lock(connection, wait=options.wait_for_lock),
    ):
        if partitions.in_use(connection):
            _load_in_two_transactions(engine, connection, source, options, report, progress)
        else:
            _load_in_one_transaction(connection, source, options, report, progress)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _load_in_one_transaction(
    connection: Connection, source: CsvSource, options: ImportOptions, report: ImportReport, progress: Progress | None
) -> None:
    """SQLite: the whole load in the transaction that holds the write lock."""
    try:
        transaction = connection.begin()
    except OperationalError as error:
        if locks.is_lock_timeout(error):
            raise locks.ImportBusy() from error
        raise
    with transaction:
        version_id, live = _stage(connection, source, options, report, progress)
        if version_id is None:
            return
        with _phase(report, "build"):
            staging_tables = _staging_tables(connection, version_id)
            counts = build_version(connection, version_id, _base_id(options, live), staging_tables)
        _count(report, counts)
        with _phase(report, "precompute"):
            precompute(connection, version_id)
        with _phase(report, "check"):
            _check_and_finish(connection, version_id, live, options, report)


def _load_in_two_transactions(
    engine: Engine,
    connection: Connection,
    source: CsvSource,
    options: ImportOptions,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    """PostgreSQL: stage, commit; build and precompute on two connections; attach, check, go live."""
    with connection.begin():
        versions.remove_abandoned(connection)
    with connection.begin():
        version_id, live = _stage(connection, source, options, report, progress)
    if version_id is None:
        return
    try:
        with _phase(report, "build"):
            staging_tables = _staging_tables(connection, version_id)
            counts = build_version_in_parallel(engine, connection, version_id, _base_id(options, live), staging_tables)
        _count(report, counts)
        with _phase(report, "precompute"):  # and the indexes of all the version's tables
            precompute_and_index(engine, version_id)
        with connection.begin():
            with _phase(report, "attach"):
                partitions.attach(connection, version_id)
            with _phase(report, "check"):
                _check_and_finish(connection, version_id, live, options, report)
    except BaseException:
        _remove_unfinished(connection)
        raise


def _stage(
    connection: Connection, source: CsvSource, options: ImportOptions, report: ImportReport, progress: Progress | None
) -> tuple[int | None, versions.Version | None]:
    """Create the new version and its tables, and stage the file: its id (None if unchanged) and the live version."""
    live_id = versions.live_version_id(connection)
    live = versions.get_version(connection, live_id) if live_id is not None else None
    if live is not None and live.source_sha256 == report.sha256 and not options.force:
        report.version = live.id
        report.message = (
            f"Unchanged: version {live.id} (live) was loaded from the same file. Use --force to load it again."
        )
        return None, live
    if options.mode == INCREMENTAL and live is None:
        raise versions.VersionError("An incremental load needs a live version to start from; load a full file first.")
    version_id = versions.create_version(
        connection, mode=options.mode, source_name=report.source, source_sha256=report.sha256, base_version_id=live_id
    )
    report.version = version_id
    partitions.create_for_load(connection, version_id)
    with _phase(report, "stage"):  # read, clean and COPY into staging: Python-bound
        staging_tables = _staging_tables(connection, version_id)
        staging.create_staging(connection, staging_tables)
        _stage_records(connection, source, version_id, options, report, progress, staging_tables)
    return version_id, live


def _staging_tables(connection: Connection, version_id: int) -> staging.Staging:
    """Where a load stages: tables all its connections read on PostgreSQL, temporary ones on SQLite."""
    return staging.Staging.for_version(version_id) if partitions.in_use(connection) else staging.Staging.temporary()


def _base_id(options: ImportOptions, live: versions.Version | None) -> int | None:
    """The version an incremental load copies: the live one."""
    return live.id if options.mode == INCREMENTAL and live is not None else None


def _count(report: ImportReport, counts: BuildCounts) -> None:
    report.loaded, report.duplicates, report.movies = counts.loaded, counts.duplicates, counts.movies


def _remove_unfinished(connection: Connection) -> None:
    """Remove the version of a load that failed after its first commit; if that fails too, the next command will.

    The load holds the import lock, so the only version left `loading` is its own. One that
    is no longer `loading` stays: a Ctrl-C can land just after the last commit made it live.
    """
    if connection.invalidated:  # the database went away: the next command's remove_abandoned_if_idle
        return
    try:
        if connection.in_transaction():
            connection.rollback()
        with connection.begin():
            versions.remove_abandoned(connection)
    except Exception:  # noqa: BLE001 - the load's own error is the one to report
        return


def _check_and_finish(
    connection: Connection, version_id: int, live: versions.Version | None, options: ImportOptions, report: ImportReport
) -> None:
    results = run_checks(
        limits=options.limits,
        records=report.records,
        rejected=report.rejected,
        full_load=options.mode == FULL,
        movies=report.movies,
        live=_live_figures(connection, version_id, live, options),
        table_rows=_table_rows(connection, version_id),
    )
    report.checks = [result.as_dict() for result in results]
    goes_live = not options.stage_only and (options.force or all(result.passed for result in results))
    report.status = LIVE if goes_live else STAGED
    versions.finish_version(
        connection,
        version_id,
        status=STAGED,
        records=report.records,
        loaded=report.loaded,
        rejected=report.rejected,
        duplicates=report.duplicates,
        movies=report.movies,
        warnings=report.warnings,
        checks=report.checks,
    )
    if goes_live:
        versions.promote(connection, version_id, force=options.force)
    report.message = _outcome_message(report, results, options)


def _live_figures(
    connection: Connection, version_id: int, live: versions.Version | None, options: ImportOptions
) -> LiveFigures | None:
    """What the shrink check compares a full load with; None when it has nothing to compare with."""
    if options.mode != FULL or live is None or not live.movies:
        return None
    if options.replace_sample and is_sample(live.source_name):
        waived = f"the live version {live.id} is a generated sample, which a real file replaces whatever its size"
        return LiveFigures(movies=live.movies, dropped=0, waived=waived)
    return LiveFigures(movies=live.movies, dropped=movies_dropped(connection, live.id, version_id))


def _stage_records(
    connection: Connection,
    source: CsvSource,
    version_id: int,
    options: ImportOptions,
    report: ImportReport,
    progress: Progress | None,
    staging_tables: staging.Staging,
) -> None:
    workers = worker_count(source.path, options.workers)
    encode = staging.row_encoder(connection)
    rejections_table = partitions.load_targets(connection, version_id)["rejections"]
    # closing(): on an error, stop the worker processes now, not when the traceback is freed.
    with closing(cleaned_batches(source, report, progress, encode=encode, workers=workers)) as batches:
        for batch in batches:
            for table, columns, rows in batch.tables:
                staging.write_rows(connection, staging_tables.names[table], columns, rows)
            if batch.rejected:
                rejections = [(version_id, r.line, r.reason) for r in batch.rejected]
                staging.write_rows(connection, rejections_table, ("version_id", *REJECTION_COLUMNS), rejections)


@contextmanager
def _phase(report: ImportReport, name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    report.phases[name] = round(time.perf_counter() - started, 3)


def _table_rows(connection: Connection, version_id: int) -> dict[str, int]:
    """Whether each required table has rows for this version (1 or 0: no full count needed)."""
    rows = {}
    for name in REQUIRED_TABLES:
        table = store.tables[name]
        query = select(table.c.version_id).where(table.c.version_id == version_id).limit(1)
        rows[name] = len(connection.execute(query).all())
    return rows


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
