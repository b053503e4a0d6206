"""`import --emit-sql`: write a load as a plain SQL script for psql instead of loading it.

The script reuses the importer's own SQL (the tables of db.tables, the staging tables of
db.staging, the version's partitions of db.partitions, the statements of db.build and
db.precompute) with the new version's id read from its serial sequence. Applied with
`psql -v ON_ERROR_STOP=1 -f OUT.sql` to an empty PostgreSQL database it yields what a direct
import of the same file yields, in one transaction: a version that goes live when it passes
its checks, or nothing at all.
"""

from __future__ import annotations

import io
import json
import math
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import TextIO

from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from db.build import build_statements
from db.live_version import NOTIFY_TRIGGER_SQL
from db.migrate import alembic_config
from db.partitions import DIRECT_TARGETS, create_attached_sql
from db.precompute import precompute_statements
from db.staging import SUPERSEDED, Staging, load_settings_sql
from db.tables import LIVE, STAGED, indexes_of, metadata
from importer.batches import REJECTION_COLUMNS, Progress, cleaned_batches
from importer.checks import REQUIRED_TABLES, run_checks
from importer.errors import ImportRefused
from importer.output import written_whole
from importer.pipeline import FULL, ImportOptions, ImportReport
from importer.read import CsvSource
from importer.snapshot import FileSnapshot

SCRIPT = "script"  # the report's status: nothing was loaded, a script was written
ROWS_PER_INSERT = 1_000
# The version the script creates: the last value of the serial in this session.
VERSION_ID = "currval(pg_get_serial_sequence('dataset_versions', 'id'))"
_VERSION_PARAM = re.compile(r"(?<!:):v\b")
_ANY_PARAM = re.compile(r"(?<!:):[A-Za-z_]\w*")  # `::type` casts are not parameters
TABLES_FILLED = "tables_filled"  # the check of importer.checks that only the database can run

# What alembic keeps, so that `movie-stats` finds the schema migrated and leaves it alone.
_alembic_version = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


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
    report = ImportReport(source=path.name, sha256=snapshot.sha256, mode=FULL, status=SCRIPT)
    # CsvSource refuses a file with a bad header before anything is written. newline="": a
    # newline inside a title must reach the file as is, on every platform.
    with (
        CsvSource(path, snapshot) as source,  # a file that changes while read is refused: no script is left
        written_whole(out_path) as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="") as out,
    ):
        _write_script(out, source, report, options, progress)
    report.message = _outcome_message(report, options, out_path)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def sql_literal(value: object) -> str:
    """One value as a PostgreSQL literal (with standard_conforming_strings on, as the script sets)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):  # before int: a bool is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return repr(value)  # shortest text that reads back as the same double, as COPY gets it
    if isinstance(value, str):
        if "\0" in value:  # COPY refuses it too ("invalid byte sequence"): the direct import fails
            raise ValueError("PostgreSQL text cannot hold a NUL character")
        # Only quotes need escaping: with standard_conforming_strings a backslash is a backslash.
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def _write_script(
    out: TextIO, source: CsvSource, report: ImportReport, options: ImportOptions, progress: Progress | None
) -> None:
    out.write("SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n")
    _write_statements(out, _schema_statements())
    out.write("BEGIN;\n")
    _write_statements(
        out, [*load_settings_sql(), _guard_statement(), _version_statement(report), create_attached_sql(VERSION_ID)]
    )
    _write_statements(out, Staging.temporary().ddl(postgresql=True))
    for batch in cleaned_batches(source, report, progress):
        for table, columns, rows in batch.tables:
            _write_inserts(out, table, columns, _rendered(source.path, rows))
        rendered = (f"({VERSION_ID}, {sql_literal(r.line)}, {sql_literal(r.reason)})" for r in batch.rejected)
        _write_inserts(out, "rejections", ("version_id", *REJECTION_COLUMNS), rendered)
    statements = [
        *build_statements(
            incremental=False, postgresql=True, targets=DIRECT_TARGETS, staging=Staging.temporary()
        ).in_order(),
        *precompute_statements(DIRECT_TARGETS).values(),
    ]
    _write_statements(out, [_bind_version(statement) for statement in statements])
    _write_statements(out, _finish_statements(report, options))
    out.write("COMMIT;\n")


def _schema_statements() -> list[str]:
    """CREATE ... IF NOT EXISTS of every table and index, the live-version trigger, and the alembic revision they match."""
    dialect = postgresql.dialect()
    statements = []
    for table in (*metadata.sorted_tables, _alembic_version):
        statements.append(str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)).strip())
        statements += [
            str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect))
            for index in indexes_of(table, dialect.name)
        ]
    statements += NOTIFY_TRIGGER_SQL
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    statements.append(
        f"INSERT INTO alembic_version (version_num) SELECT {sql_literal(head)} "
        "WHERE NOT EXISTS (SELECT 1 FROM alembic_version)"
    )
    return statements


def _guard_statement() -> str:
    # The checks below assume no live version (no shrink check), and two live versions would
    # break the one_live_version index with a less helpful message.
    message = (
        "This database already has a live dataset version, and the script loads an empty database. "
        "Load the file with `movie-stats import FILE` instead."
    )
    return (
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM dataset_versions WHERE status = {sql_literal(LIVE)}) "
        f"THEN RAISE EXCEPTION {sql_literal(message)}; END IF; END $$"
    )


def _version_statement(report: ImportReport) -> str:
    values = (STAGED, FULL, report.source, report.sha256)
    columns = "status, mode, source_name, source_sha256, base_version_id, loaded_at, warnings, checks"
    return f"INSERT INTO dataset_versions ({columns}) VALUES ({', '.join(map(sql_literal, values))}, NULL, now(), '{{}}', '[]')"


def _finish_statements(report: ImportReport, options: ImportOptions) -> list[str]:
    """Record the figures and checks on the version row, then take it live as the import would."""
    staged, superseded = "(SELECT count(*) FROM stage_movies)", f"(SELECT count(*) FROM {SUPERSEDED})"
    checks = _checks_if_filled(report, options)
    report.checks = [check for check in checks if check["name"] != TABLES_FILLED]  # the ones known now
    figures = (
        f"UPDATE dataset_versions SET records = {report.records}, rejected = {report.rejected}, "
        f"warnings = {sql_literal(json.dumps(report.warnings))}, "
        # The distinct-id counts come from the database, not from ids held in memory here.
        f"loaded = {staged} - {superseded}, duplicates = {superseded}, "
        f"movies = (SELECT count(*) FROM movies WHERE version_id = {VERSION_ID}), "
        f"checks = {_checks_sql(checks)} WHERE id = {VERSION_ID}"
    )
    if options.stage_only:
        return [figures]
    promote = f"UPDATE dataset_versions SET status = {sql_literal(LIVE)}, promoted_at = now() WHERE id = {VERSION_ID}"
    if options.force:
        return [figures, promote]
    passed = "NOT EXISTS (SELECT 1 FROM json_array_elements(checks) c WHERE c ->> 'passed' = 'false')"
    is_live = f"SELECT 1 FROM dataset_versions WHERE id = {VERSION_ID} AND status = {sql_literal(LIVE)}"
    warning = (  # psql would otherwise finish quietly with a staged version
        f"DO $$ BEGIN IF NOT EXISTS ({is_live}) THEN RAISE WARNING "
        f"'Version % failed its checks and stays staged: see `movie-stats datasets --json`.', {VERSION_ID}; END IF; END $$"
    )
    return [figures, f"{promote} AND {passed}", warning]


def _checks_if_filled(report: ImportReport, options: ImportOptions) -> list[dict[str, object]]:
    """The import's checks as importer.checks runs them, supposing every required table has rows."""
    results = run_checks(
        limits=options.limits,
        records=report.records,
        rejected=report.rejected,
        full_load=True,
        movies=0,  # only the shrink check reads it, and with no live version (the guard) there is none
        live=None,
        table_rows=dict.fromkeys(REQUIRED_TABLES, 1),
    )
    return [result.as_dict() for result in results]


def _checks_sql(checks: list[dict[str, object]]) -> str:
    """The checks as a JSON expression; whether the tables filled is only known once the script ran."""
    empty = ", ".join(
        f"CASE WHEN NOT EXISTS (SELECT 1 FROM {table} WHERE version_id = {VERSION_ID}) THEN {sql_literal(table)} END"
        for table in REQUIRED_TABLES
    )
    elements = []
    for check in checks:
        known = f"{sql_literal(json.dumps(check))}::json"
        if check["name"] != TABLES_FILLED:
            elements.append(known)
            continue
        not_filled = (  # worded as importer.checks words it
            f"json_build_object('name', {sql_literal(TABLES_FILLED)}, 'passed', false, "
            f"'detail', 'empty: ' || e.tables, 'override', {sql_literal(check['override'])})"
        )
        elements.append(f"CASE WHEN e.tables = '' THEN {known} ELSE {not_filled} END")
    return f"(SELECT json_build_array({', '.join(elements)}) FROM (SELECT concat_ws(', ', {empty}) AS tables) e)"


def _bind_version(statement: str) -> str:
    """A statement of db.build or db.precompute with the new version's id in place of `:v`."""
    bound = _VERSION_PARAM.sub(VERSION_ID, statement)
    if leftover := _ANY_PARAM.search(bound):  # `:base` belongs to incremental loads only
        raise ValueError(f"cannot script a statement with parameter {leftover.group()}: {statement}")
    return bound


def _rendered(path: Path, rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Staging rows as `(...)` tuples of literals; every staging row starts with its line."""
    for row in rows:
        try:
            yield f"({', '.join(map(sql_literal, row))})"
        except ValueError as error:
            raise ImportRefused(f"{path}: line {row[0]}: {error}. Remove it from the file and try again.") from error


def _write_inserts(out: TextIO, table: str, columns: Sequence[str], rows: Iterable[str]) -> None:
    """Multi-row INSERTs of ROWS_PER_INSERT rendered rows each."""
    rows = iter(rows)
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES\n"
    while chunk := list(islice(rows, ROWS_PER_INSERT)):
        out.write(head + ",\n".join(chunk) + ";\n")


def _write_statements(out: TextIO, statements: Iterable[str]) -> None:
    out.writelines(f"{statement};\n" for statement in statements)


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
