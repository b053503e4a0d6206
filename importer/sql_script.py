"""`import --emit-sql`: write a load as a plain SQL script for psql instead of loading it.

The import's own steps (importer.pipeline) run against a load that writes SQL instead of
running it (db.script_load): the same records, checks and statements as a direct import.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

from db.script_load import TABLES_FILLED, ScriptLoad, UnscriptableValue
from db.script_load import sql_literal as sql_literal  # re-exported: the tests render values with it
from importer.batches import Progress
from importer.errors import ImportRefused
from importer.options import FULL, ImportOptions
from importer.output import written_whole
from importer.pipeline import load_source
from importer.read import CsvSource
from importer.report import ImportReport
from importer.snapshot import FileSnapshot


def write_sql_script(
    path: Path, out_path: Path, progress: Progress | None = None, *, options: ImportOptions | None = None
) -> ImportReport:
    """Write a full load of `path` as a psql script at `out_path`; nothing is loaded."""
    options = options or ImportOptions()
    if options.mode != FULL:
        raise ImportRefused(
            "--emit-sql writes a full load for an empty database; an incremental load needs the live "
            "version of the target database. Apply a full script first, then import incrementally."
        )
    started = time.perf_counter()
    snapshot = FileSnapshot.take(path)  # refuses a FIFO or a device (rule 22)
    report = ImportReport(source=path.name, sha256=snapshot.sha256, mode=FULL)
    # CsvSource refuses a file with a bad header before anything is written. newline="": a
    # newline inside a title must reach the file as is, on every platform.
    try:
        with (
            CsvSource(path, snapshot) as source,  # a file that changes while read is refused: no script is left
            written_whole(out_path) as raw,
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as out,
            ScriptLoad(out) as load,
        ):
            load_source(load, source, options, report, progress)
    except UnscriptableValue as error:
        raise ImportRefused(f"{path}: {error}. Remove it from the file and try again.") from error
    report.checks = [check for check in report.checks if check["name"] != TABLES_FILLED]  # the ones known now
    report.message = _outcome_message(report, options, out_path)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _outcome_message(report: ImportReport, options: ImportOptions, out_path: Path) -> str:
    if options.stage_only:
        fate = "The version it loads stays staged (--stage)."
    elif options.force:
        fate = "The version it loads goes live (--force)."
    elif failed := report.failed_checks:
        reasons = "; ".join(f"{c['name']}: {c['detail']} (override with {c['override']})" for c in failed)
        fate = f"The version it loads will fail its checks and stay staged: {reasons}."
    else:
        fate = f"The version it loads goes live once its last check ({TABLES_FILLED}) passes in the database."
    return (
        f"Wrote {out_path}: a full load of {report.records:,} records ({report.rejected:,} rejected). "
        f"Apply it to an empty PostgreSQL database with `psql -v ON_ERROR_STOP=1 -f {out_path}`; "
        f"loaded, duplicates and movies are counted when it runs. {fate}"
    )
