"""The staging tables of one load, and its rows as COPY data (PostgreSQL).

A load streams clean records in here; `db.build` then turns the staging tables into a
dataset version with set-based SQL inside the database. On SQLite, and in a SQL script, the
staging tables are temporary: they vanish with the transaction (a script) or are dropped by
`drop_staging` (SQLite), and the build copies the rows it keeps into the data tables.

The PostgreSQL importer builds a version over several connections, which cannot see one
another's temporary tables, and it writes the version into tables of its own (db.partitions).
So it stages the movies and their links straight into those tables (`Staging.for_version`):
COPY writes each row once, a page of WAL at a time, where copying it over from a staging table
took a second write and a WAL record per row (docs/benchmarks.md). Meanwhile those tables
have the staging columns they lack (`ord`, and the entity's `name` for a link), which the build
drops once it has removed the rows of the records that later ones override (rule 4) and named
the entities (rule 9). Dropped columns keep their bytes in the rows until a table is
rewritten: about a tenth more disk per version. Only the list of overridden records gets a
table of its own, unlogged and named after the version. The build removes it once the version
is built, and `db.versions.remove_abandoned` does if the load is killed first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Dialect

from db.fields import LINK_FIELDS, MOVIE_COLUMNS
from db.partitions import partition_name
from db.tables import movies

# `ord` is the record's line in the file: the larger one is the later record (rules 4, 9).
_STAGING_DDL = {
    "stage_movies": "ord INTEGER NOT NULL, {movie_columns}",  # as db.tables.movies declares them
    **{
        link.stage: f"ord INTEGER NOT NULL, movie_id INTEGER NOT NULL, {link.entity_id} INTEGER NOT NULL, name TEXT NOT NULL"
        for link in LINK_FIELDS
    },
    # Filled by db.build: the records that a later record of the same id overrides (rule 4).
    "stage_superseded": "ord INTEGER PRIMARY KEY",
}
STAGING_TABLES = tuple(_STAGING_DDL)
SUPERSEDED = "stage_superseded"
# The columns a load writes to each staging table its records fill.
STAGING_COLUMNS = {
    "stage_movies": ("ord", *MOVIE_COLUMNS),
    **{link.stage: ("ord", "movie_id", link.entity_id, "name") for link in LINK_FIELDS},
}
# PostgreSQL: the data table that stages each of these in the version's own table, and the
# staging columns that table lacks while it does (Staging.for_version).
_IN_PLACE = {
    "stage_movies": ("movies", {"ord": "INTEGER"}),
    "stage_movie_genres": ("movie_genres", {"ord": "INTEGER", "name": "TEXT"}),
    "stage_movie_companies": ("movie_companies", {"ord": "INTEGER", "name": "TEXT"}),
}
# How the planner runs a load's statements on PostgreSQL (SET LOCAL: for its transaction only).
LOAD_SETTINGS = {
    # Joins and aggregates are hashed in memory instead of spilling to disk.
    "work_mem": "256MB",
    # While a version's tables are filled they have neither indexes nor statistics, and for a
    # small file the planner guesses a few rows and picks nested loops that scan one table once
    # per row of another: the precompute of the real head-5000 file took 3 s instead of 0.06 s.
    # Every join of a load pairs whole tables, which a hash join reads once each.
    "enable_nestloop": "off",
    # PostgreSQL's JIT compiled the build's statements (its cost estimates cross jit_above_cost
    # for any sizable file) and took longer compiling than it saved (docs/benchmarks.md).
    "jit": "off",
}
# Text columns that may hold an empty string but never NULL.
NOT_NULL_TEXT = frozenset({"title", "name", "reason"})

Row = Sequence[object]
EncodedRows = list[Row] | bytes  # rows as a load writes them (db.load): a list, or COPY data
Encoder = Callable[[Iterable[Row]], EncodedRows]  # how a load wants them (db.load.VersionLoad.encode)


@dataclass(frozen=True, slots=True)
class Staging:
    """The staging tables of one load: what each of STAGING_TABLES is called, and how it is made."""

    names: Mapping[str, str]
    version_id: int | None = None  # PostgreSQL's importer: the version whose own tables stage (`for_version`)

    @classmethod
    def temporary(cls) -> Staging:
        """Temporary tables private to the load's connection and transaction."""
        return cls({name: name for name in STAGING_TABLES})

    @classmethod
    def for_version(cls, version_id: int) -> Staging:
        """The version's own movies and links tables, and an unlogged table named after it (PostgreSQL).

        Every connection of the load can read them. The version's tables must exist
        (db.partitions.create_for_load).
        """
        names = {name: f"{name}_v{int(version_id)}" for name in STAGING_TABLES}
        names.update({name: partition_name(table, version_id) for name, (table, _columns) in _IN_PLACE.items()})
        return cls(names, version_id)

    @property
    def in_place(self) -> frozenset[str]:
        """The staging tables that are the version's own tables, to keep rows in rather than copy them from."""
        return frozenset(_IN_PLACE) if self.version_id is not None else frozenset()

    def ddl(self, *, dialect: Dialect, temporary_suffix: str = "") -> list[str]:
        """The statements that create the staging tables, their movie columns typed as `dialect` keeps them.

        `temporary_suffix` ends each CREATE TEMPORARY TABLE (" ON COMMIT DROP" on PostgreSQL).
        """
        movie_columns = _movie_columns(dialect)
        tables = {name: columns.format(movie_columns=movie_columns) for name, columns in _STAGING_DDL.items()}
        if self.version_id is not None:
            # COPY leaves out version_id, which the default fills in and the table's check checks.
            staged_in_place = [
                f"ALTER TABLE {self.names[name]} "
                + "".join(f"ADD COLUMN {column} {kind}, " for column, kind in columns.items())
                + f"ALTER COLUMN version_id SET DEFAULT {int(self.version_id)}"
                for name, (_table, columns) in _IN_PLACE.items()
            ]
            unlogged = [
                f"CREATE UNLOGGED TABLE {self.names[name]} ({columns})"
                for name, columns in tables.items()
                if name not in self.in_place
            ]
            return [*staged_in_place, *unlogged]
        return [
            f"CREATE TEMPORARY TABLE {self.names[name]} ({columns}){temporary_suffix}"
            for name, columns in tables.items()
        ]

    def removal(self) -> list[str]:
        """The statements that remove the staging tables that exist, and the staging columns of the version's tables."""
        statements = [
            f"DROP TABLE IF EXISTS {self.names[name]}" for name in STAGING_TABLES if name not in self.in_place
        ]
        for name in sorted(self.in_place):
            drops = "".join(f"DROP COLUMN IF EXISTS {column}, " for column in _IN_PLACE[name][1])
            statements.append(f"ALTER TABLE IF EXISTS {self.names[name]} {drops}ALTER COLUMN version_id DROP DEFAULT")
        return statements


def _movie_columns(dialect: Dialect) -> str:
    """The movie columns of db.tables.movies (db.fields) with their types and constraints, in this store's SQL."""
    return ", ".join(
        f"{column.name} {column.type.compile(dialect=dialect)}{'' if column.nullable else ' NOT NULL'}"
        for column in movies.columns
        if column.name in MOVIE_COLUMNS
    )


def load_settings_sql() -> list[str]:
    """The statements that apply LOAD_SETTINGS to a load's transaction (PostgreSQL)."""
    return [f"SET LOCAL {name} = '{value}'" for name, value in LOAD_SETTINGS.items()]


def drop_staging(connection: Connection, staging: Staging) -> None:
    """Drop the staging tables that exist, and the staging columns of the version's tables that stage in place."""
    for statement in staging.removal():
        connection.exec_driver_sql(statement)


class CopyData:
    """Encodes rows as the UTF-8 data of a `COPY ... (FORMAT csv)`, written by the csv module's C writer.

    An unquoted empty field is NULL (None); a COPY adds FORCE_NOT_NULL (`copy_sql`) so that an
    empty title or name stays an empty string. A plain callable, so that worker processes can
    encode batches for the process that holds the connection, which sends the bytes as they
    are; `copy_data` tells a cleaner that writes whole columns (importer.columnar) what to write.
    """

    copy_data = True

    def __call__(self, rows: Iterable[Row]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode("utf-8")


encode_for_copy = CopyData()


def copy_sql(table: str, columns: Sequence[str]) -> str:
    """The COPY statement that reads `encode_for_copy`'s data into `columns` of `table`."""
    not_null = [column for column in columns if column in NOT_NULL_TEXT]
    options = f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else ""
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{options})"
