"""A load written as a psql script: the steps of a load as the SQL a direct load would run.

The script reuses the store's own SQL (the tables of db.tables, the staging tables of
db.staging, the version's partitions of db.partitions, the statements of db.build and
db.precompute) with the new version's id read from its serial sequence. Applied with
`psql -v ON_ERROR_STOP=1 -f OUT.sql` to an empty PostgreSQL database it yields what a direct
import of the same file yields, in one transaction: a version that goes live when it passes
its checks, or nothing at all. Only the database learns, when the script runs, the version's
id, its counts and whether its tables filled, so the script counts those in SQL.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TextIO

from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from db.build import BuildCounts, build_statements
from db.live_version import NOTIFY_TRIGGER_SQL
from db.load import REJECTION_COLUMNS, Outcome, StagingRows, VersionLoad
from db.migrate import alembic_config
from db.partitions import DIRECT_TARGETS, create_attached_sql
from db.precompute import precompute_statements
from db.staging import SUPERSEDED, Row, Staging, load_settings_sql
from db.tables import LIVE, STAGED, indexes_of, metadata
from db.versions import Version

SCRIPT = "script"  # the status a scripted load ends with: nothing was loaded, a script was written
ROWS_PER_INSERT = 1_000
# The version the script creates: the last value of the serial in this session.
VERSION_ID = "currval(pg_get_serial_sequence('dataset_versions', 'id'))"
_VERSION_PARAM = re.compile(r"(?<!:):v\b")
_ANY_PARAM = re.compile(r"(?<!:):[A-Za-z_]\w*")  # `::type` casts are not parameters
TABLES_FILLED = "tables_filled"  # the check (importer.checks) whose verdict only the database knows
_STAGING = Staging.temporary()

# What alembic keeps, so that `movie-stats` finds the schema migrated and leaves it alone.
_alembic_version = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)

POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]  # the script's SQL dialect; its constructor is unannotated upstream


class UnscriptableValue(ValueError):
    """A value that no SQL literal can hold (a NUL character, a number that is not finite)."""

    def __init__(self, line: int, error: ValueError) -> None:
        super().__init__(f"line {line}: {error}")
        self.line = line


class ScriptLoad(VersionLoad):
    """A full load of an empty PostgreSQL database, written to `out` as SQL."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(wait_for_lock=True)
        self.out = out
        self._required_tables: Sequence[str] = ()

    def begin(self) -> None:
        self.out.write("SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n")
        self._write(_schema_statements())
        self.out.write("BEGIN;\n")

    def commit(self) -> None:
        self.out.write("COMMIT;\n")

    def abandon(self) -> None:
        """Nothing to undo: the caller discards the half-written script."""

    def live_version(self) -> Version | None:
        return None  # the script loads an empty database, which its guard makes sure of

    def live_version_id(self) -> int | None:
        return None  # as when the load started: the guard refuses a database with a live version

    def create_version(
        self, *, mode: str, source_name: str, source_sha256: str, base_version_id: int | None
    ) -> int | None:
        assert base_version_id is None, "a script loads an empty database"
        version = _version_statement(mode, source_name, source_sha256)
        self._write([*load_settings_sql(), _guard_statement(), version, create_attached_sql(VERSION_ID)])
        self._write(_STAGING.ddl(dialect=POSTGRESQL, temporary_suffix=" ON COMMIT DROP"))
        return None  # the database numbers it when the script runs

    def write_batch(self, tables: StagingRows, rejections: Sequence[tuple[int, str]]) -> None:
        for table, columns, rows in tables:
            assert not isinstance(rows, bytes), "a script takes rows, not COPY data"
            self._write_inserts(table, columns, _rendered(rows))
        rendered = (f"({VERSION_ID}, {sql_literal(line)}, {sql_literal(reason)})" for line, reason in rejections)
        self._write_inserts("rejections", ("version_id", *REJECTION_COLUMNS), rendered)

    def build(self, base_version_id: int | None) -> BuildCounts:
        statements = build_statements(incremental=False, targets=DIRECT_TARGETS, staging=_STAGING).in_order()
        self._write(map(_bind_version, statements))
        return BuildCounts(staged=0, loaded=0, movies=0)  # counted when the script runs (`finish`)

    def precompute(self) -> None:
        self._write(map(_bind_version, precompute_statements(DIRECT_TARGETS).values()))

    def table_rows(self, tables: Sequence[str]) -> dict[str, int]:
        """Every table supposed filled: `finish` writes the check that finds out."""
        self._required_tables = tables
        return dict.fromkeys(tables, 1)

    def movies_dropped(self, live_version_id: int) -> int:
        raise AssertionError("a script loads an empty database: there is no live version to compare with")

    def finish(self, outcome: Outcome) -> str:
        """Record the figures and checks on the version row, then take it live as a direct load would."""
        self._write(self._finish_statements(outcome))
        return SCRIPT

    def _finish_statements(self, outcome: Outcome) -> list[str]:
        staged, superseded = "(SELECT count(*) FROM stage_movies)", f"(SELECT count(*) FROM {SUPERSEDED})"
        figures = outcome.figures
        update = (
            f"UPDATE dataset_versions SET records = {figures['records']}, rejected = {figures['rejected']}, "
            f"warnings = {sql_literal(json.dumps(figures['warnings']))}, "
            # The distinct-id counts come from the database, not from ids held in memory here.
            f"loaded = {staged} - {superseded}, duplicates = {superseded}, "
            f"movies = (SELECT count(*) FROM movies WHERE version_id = {VERSION_ID}), "
            f"checks = {self._checks_sql(outcome.checks)} WHERE id = {VERSION_ID}"
        )
        if outcome.stage_only:
            return [update]
        promote = (
            f"UPDATE dataset_versions SET status = {sql_literal(LIVE)}, promoted_at = now() WHERE id = {VERSION_ID}"
        )
        if outcome.force:
            return [update, promote]
        passed = "NOT EXISTS (SELECT 1 FROM json_array_elements(checks) c WHERE c ->> 'passed' = 'false')"
        is_live = f"SELECT 1 FROM dataset_versions WHERE id = {VERSION_ID} AND status = {sql_literal(LIVE)}"
        warning = (  # psql would otherwise finish quietly with a staged version
            f"DO $$ BEGIN IF NOT EXISTS ({is_live}) THEN RAISE WARNING "
            f"'Version % failed its checks and stays staged: see `movie-stats datasets --json`.', {VERSION_ID}; "
            "END IF; END $$"
        )
        return [update, f"{promote} AND {passed}", warning]

    def _checks_sql(self, checks: list[dict[str, object]]) -> str:
        """The checks as a JSON expression; whether the tables filled is only known once the script ran."""
        empty = ", ".join(
            f"CASE WHEN NOT EXISTS (SELECT 1 FROM {table} WHERE version_id = {VERSION_ID}) THEN {sql_literal(table)} END"
            for table in self._required_tables
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

    def _write_inserts(self, table: str, columns: Sequence[str], rows: Iterable[str]) -> None:
        """Multi-row INSERTs of ROWS_PER_INSERT rendered rows each."""
        rows = iter(rows)
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES\n"
        while chunk := list(islice(rows, ROWS_PER_INSERT)):
            self.out.write(head + ",\n".join(chunk) + ";\n")

    def _write(self, statements: Iterable[str]) -> None:
        self.out.writelines(f"{statement};\n" for statement in statements)


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


def _schema_statements() -> list[str]:
    """CREATE ... IF NOT EXISTS of every table and index, the live-version trigger, and the alembic revision they match."""
    dialect = POSTGRESQL
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
    # The checks assume no live version (no shrink check), and two live versions would break
    # the one_live_version index with a less helpful message.
    message = (
        "This database already has a live dataset version, and the script loads an empty database. "
        "Load the file with `movie-stats import FILE` instead."
    )
    return (
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM dataset_versions WHERE status = {sql_literal(LIVE)}) "
        f"THEN RAISE EXCEPTION {sql_literal(message)}; END IF; END $$"
    )


def _version_statement(mode: str, source_name: str, source_sha256: str) -> str:
    values = (STAGED, mode, source_name, source_sha256)
    columns = "status, mode, source_name, source_sha256, base_version_id, loaded_at, warnings, checks"
    return f"INSERT INTO dataset_versions ({columns}) VALUES ({', '.join(map(sql_literal, values))}, NULL, now(), '{{}}', '[]')"


def _bind_version(statement: str) -> str:
    """A statement of db.build or db.precompute with the new version's id in place of `:v`."""
    bound = _VERSION_PARAM.sub(VERSION_ID, statement)
    if leftover := _ANY_PARAM.search(bound):  # `:base` belongs to incremental loads only
        raise ValueError(f"cannot script a statement with parameter {leftover.group()}: {statement}")
    return bound


def _rendered(rows: Iterable[Row]) -> Iterator[str]:
    """Staging rows as `(...)` tuples of literals; every staging row starts with its line."""
    for row in rows:
        try:
            yield f"({', '.join(map(sql_literal, row))})"
        except ValueError as error:
            raise UnscriptableValue(int(row[0]), error) from error  # type: ignore[call-overload]  # a line number
