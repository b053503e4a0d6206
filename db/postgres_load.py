"""A load into PostgreSQL: staged and committed, then built and precomputed over several connections.

The first transaction creates the version (`loading`), its tables, which stay unattached
(unseen by readers), and staging tables that all connections can read, and stages the file
by COPY. The build, the precompute and the index builds run on a connection a core
(db.build.build_version_in_parallel, db.precompute.precompute_and_index), committing as they
go; the last transaction attaches the tables, checks the version and makes it live. On an
error in between the load removes what it committed; a killed load leaves it to the next
command (db.versions.remove_abandoned). The import lock, an advisory lock, is held throughout.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from contextlib import ExitStack

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from db import locks, partitions, versions
from db.build import BuildCounts, build_version_in_parallel
from db.load import REJECTION_COLUMNS, DatabaseLoad, StagingRows
from db.precompute import precompute_and_index
from db.staging import EncodedRows, Staging, copy_sql, drop_staging, encode_for_copy, load_settings_sql

# psycopg2 reads the COPY data in chunks of this size (its default is 8 KiB): fewer round trips
# through Python per batch.
COPY_CHUNK_BYTES = 1 << 20


class PostgresLoad(DatabaseLoad):
    """One load into PostgreSQL, into tables of the version's own that are attached at the end."""

    encode = encode_for_copy
    attaches = True

    def __init__(self, engine: Engine, *, wait_for_lock: bool) -> None:
        super().__init__(engine, wait_for_lock=wait_for_lock)
        self._held = ExitStack()

    def begin(self) -> None:
        with ExitStack() as held:
            self._connection = held.enter_context(self.engine.connect())
            held.enter_context(locks.import_lock(self.connection, wait=self.wait_for_lock))
            with self.connection.begin():
                versions.remove_abandoned(self.connection)
            self.connection.begin()  # the transaction that creates the version and stages the file
            self._held = held.pop_all()

    def commit(self) -> None:
        if self.connection.in_transaction():
            self.connection.commit()
        self._held.close()

    def abandon(self) -> None:
        """Remove what the load committed; if that fails too, the next command will.

        The load holds the import lock, so the only version left `loading` is its own. One that
        is no longer `loading` stays: a Ctrl-C can land just after the last commit made it live.
        """
        try:
            if not self.connection.invalidated:  # else the database went away: remove_abandoned_if_idle will
                if self.connection.in_transaction():
                    self.connection.rollback()
                with self.connection.begin():
                    versions.remove_abandoned(self.connection)
        except Exception:  # noqa: BLE001 - the load's own error is the one to report
            pass
        finally:
            self._held.close()

    @property
    def staging(self) -> Staging:
        """The version's own movies and links tables, and unlogged tables, which every connection reads."""
        return Staging.for_version(self.id)

    def _create_tables(self) -> None:
        partitions.create_for_load(self.connection, self.id)
        drop_staging(self.connection, self.staging)
        for statement in [*load_settings_sql(), *self.staging.ddl(dialect=self.connection.dialect)]:
            self.connection.exec_driver_sql(statement)

    def write_batch(self, tables: StagingRows, rejections: Sequence[tuple[int, str]]) -> None:
        for table, columns, rows in tables:
            _copy_rows(self.connection, self.staging.names[table], columns, rows)
        if rejections:
            rows = encode_for_copy((self.id, line, reason) for line, reason in rejections)
            target = partitions.partition_name("rejections", self.id)
            _copy_rows(self.connection, target, ("version_id", *REJECTION_COLUMNS), rows)

    def build(self, base_version_id: int | None) -> BuildCounts:
        self.connection.commit()  # the staged file, which the build's other connections read
        targets = partitions.version_tables(self.id)
        return build_version_in_parallel(self.engine, self.connection, self.id, base_version_id, self.staging, targets)

    def precompute(self) -> None:
        precompute_and_index(self.engine, self.id)  # and the indexes of all the version's tables

    def attach(self) -> None:
        self.connection.begin()  # the last transaction: attach, check, go live
        partitions.attach(self.connection, self.id)


def _copy_rows(connection: Connection, table: str, columns: Sequence[str], rows: EncodedRows) -> None:
    """Append rows, or their COPY data, to a table in one COPY."""
    data = rows if isinstance(rows, bytes) else encode_for_copy(rows)
    if not data:
        return
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # always open here
    try:
        cursor.copy_expert(copy_sql(table, columns), io.BytesIO(data), size=COPY_CHUNK_BYTES)
    finally:
        cursor.close()
