"""Per-version partitions on PostgreSQL: each dataset version's rows sit in tables of their own.

Every data table (db.tables) is partitioned by `version_id`. A load fills plain tables named
after its version (`movies_v7`, ...) that have no index to keep up to date, builds their
indexes once they are full (`index_statements`, one sorted pass each, on any connection), and
attaches them at the end as the partitions `version_id = 7`, which adopts those indexes and
takes a moment (docs/benchmarks.md). Until attached, no reader of the data tables sees them;
removing a version drops its tables instead of deleting rows one by one.

SQLite has no partitions (db.sqlite_load): there a version's rows go straight into the shared
tables, and removing a version deletes them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType

from sqlalchemy import delete, inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import ClauseElement

from db.tables import VERSIONED_DATA_TABLES, indexes_of

VERSIONED_TABLES = tuple(table.name for table in VERSIONED_DATA_TABLES)
# Building an index sorts its table once; this keeps the sort in memory (SET LOCAL it).
INDEX_MAINTENANCE_WORK_MEM = "256MB"
# Dropping a partition locks its parent table against readers for a moment. Waiting long for
# that lock would queue every new reader behind the drop, so a busy table makes it give up.
DROP_LOCK_TIMEOUT = "1s"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout runs out


class PartitionsBusy(Exception):
    """A version's tables could not be dropped: others kept using the data tables."""


# Where a load writes when rows go straight into the data tables (SQLite, and scripts).
DIRECT_TARGETS: Mapping[str, str] = MappingProxyType({table: table for table in VERSIONED_TABLES})


def partition_name(table: str, version_id: int) -> str:
    """The table that holds `version_id`'s rows of `table` (PostgreSQL)."""
    return f"{table}_v{int(version_id)}"


def version_tables(version_id: int) -> dict[str, str]:
    """Each data table's table of `version_id`'s rows (PostgreSQL)."""
    return {table: partition_name(table, version_id) for table in VERSIONED_TABLES}


def create_attached_sql(version_sql: str) -> str:
    """One statement creating the attached partitions of the version that `version_sql` gives.

    For a script, which learns its version id only when it runs (db.script_load); its
    rows then go through the data tables (DIRECT_TARGETS).
    """
    creates = " ".join(  # each named as partition_name names it
        f"EXECUTE format('CREATE TABLE %I PARTITION OF {table} FOR VALUES IN (%s)', '{table}_v' || v, v);"
        for table in VERSIONED_TABLES
    )
    return f"DO $$ DECLARE v integer := {version_sql}; BEGIN {creates} END $$"


def create_for_load(connection: Connection, version_id: int) -> None:
    """Create the version's tables, not yet attached and without indexes.

    Each checks that its rows belong to the version, which proves to ATTACH PARTITION that
    they all do, so attaching does not scan the table to find out.
    """
    for table in VERSIONED_TABLES:
        connection.exec_driver_sql(
            f"CREATE TABLE {partition_name(table, version_id)} "
            f"(LIKE {table} INCLUDING DEFAULTS, CHECK (version_id = {int(version_id)}))"
        )


def _key_index(table: str, version_id: int) -> str:
    """The unique index that becomes the primary key of the version's table when it is attached."""
    return f"{partition_name(table, version_id)}_pkey"


def index_statements(version_id: int) -> dict[str, list[str]]:
    """For each data table, the statements that give the version's filled table its parent's indexes.

    They take a lock that lets others read the table, so they can run while the precompute
    reads it, on other connections. The primary key is built as a plain unique index, because
    adding the constraint itself would lock the table against those readers; `attach` makes
    it the primary key. A table without a primary key gets its other indexes only.
    """
    statements = {}
    for table in VERSIONED_DATA_TABLES:
        partition = partition_name(table.name, version_id)
        key = ", ".join(column.name for column in table.primary_key.columns)
        statements[table.name] = (
            [f"CREATE UNIQUE INDEX {_key_index(table.name, version_id)} ON {partition} ({key})"] if key else []
        )
        for index in indexes_of(table, "postgresql"):
            columns = ", ".join(_index_column_sql(expression) for expression in index.expressions)
            unique = "UNIQUE " if index.unique else ""
            statements[table.name].append(
                f"CREATE {unique}INDEX {index.name}_v{int(version_id)} ON {partition} ({columns})"
            )
    return statements


def _index_column_sql(expression: object) -> str:
    """One column of an index as PostgreSQL spells it: a column name, or an expression (db.tables.BestFirst)."""
    name = getattr(expression, "name", None)
    if isinstance(name, str):
        return name
    assert isinstance(expression, ClauseElement), expression
    return str(expression.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]  # SQLAlchemy leaves dialect constructors unannotated


def attach(connection: Connection, version_id: int) -> None:
    """Attach the version's filled and indexed tables (`index_statements`) as its partitions.

    Attaching adopts the tables' indexes and checks, so it takes a moment, under a lock that
    lets readers of other versions carry on.
    """
    for table in VERSIONED_DATA_TABLES:
        partition, key = partition_name(table.name, version_id), _key_index(table.name, version_id)
        if table.primary_key.columns:
            connection.exec_driver_sql(f"ALTER TABLE {partition} ADD CONSTRAINT {key} PRIMARY KEY USING INDEX {key}")
        connection.exec_driver_sql(
            f"ALTER TABLE {table.name} ATTACH PARTITION {partition} FOR VALUES IN ({int(version_id)})"
        )


def remove_rows(connection: Connection, version_ids: Collection[int]) -> None:
    """Remove the versions' rows from every data table: drop the tables of their own, then delete what is left.

    Versions loaded into partitions (PostgreSQL) have all their rows in their own tables,
    which are dropped, so the deletes find nothing; elsewhere (SQLite) the deletes remove them.
    """
    existing = set(inspect(connection).get_table_names())
    own = [partition_name(table, v) for v in version_ids for table in VERSIONED_TABLES]
    if dropped := [table for table in own if table in existing]:
        _drop(connection, dropped, version_ids)
    for table in VERSIONED_DATA_TABLES:
        connection.execute(delete(table).where(table.c.version_id.in_(version_ids)))


def _drop(connection: Connection, tables: list[str], version_ids: Collection[int]) -> None:
    """Drop a version's partitions, or give up (PartitionsBusy) when readers keep the data tables too long."""
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
    try:
        for table in tables:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    except OperationalError as error:
        if getattr(error.orig, "pgcode", None) != LOCK_NOT_AVAILABLE:
            raise
        raise PartitionsBusy(
            f"Could not remove versions {', '.join(map(str, version_ids))}: dropping a version's tables needs "
            f"the data tables to itself for a moment, and readers or an import kept them for over "
            f"{DROP_LOCK_TIMEOUT}. Nothing was removed; run the command again."
        ) from error
