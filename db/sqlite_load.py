"""A load into SQLite: every step in the one transaction that holds the store's write lock.

BEGIN IMMEDIATE takes SQLite's write lock, so this transaction is also the import lock, and
a load that fails or is killed leaves nothing behind. The version's rows go straight into
the data tables (SQLite has no partitions), staged through temporary tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from db.build import BuildCounts, build_version
from db.load import REJECTION_COLUMNS, DatabaseLoad, StagingRows
from db.locks import ImportBusy, say_waiting
from db.partitions import DIRECT_TARGETS
from db.precompute import precompute
from db.sqlite_engine import SQLITE_BEGIN
from db.staging import Row, Staging, drop_staging

WAIT_MS = 24 * 3600 * 1000  # "wait" means wait, not give up after a while


class SqliteLoad(DatabaseLoad):
    """One load in one transaction of SQLite."""

    staging = Staging.temporary()

    def __init__(self, engine: Engine, *, wait_for_lock: bool) -> None:
        super().__init__(engine, wait_for_lock=wait_for_lock)
        self._busy_timeout: int | None = None

    def begin(self) -> None:
        self._connection = self.engine.connect().execution_options(**{SQLITE_BEGIN: "immediate"})
        raw = self.connection.connection.dbapi_connection  # outside SQLAlchemy's autobegin
        assert raw is not None
        self._busy_timeout = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.execute("PRAGMA busy_timeout=0")
        try:
            try:
                self.connection.begin()
            except OperationalError as error:
                if "database is locked" not in str(error):
                    raise
                self.connection.rollback()
                if not self.wait_for_lock:  # another writer holds the lock, and this load does not wait
                    raise ImportBusy() from error
                say_waiting()
                raw.execute(f"PRAGMA busy_timeout={WAIT_MS}")
                self.connection.begin()
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        self.connection.commit()
        self._release()

    def abandon(self) -> None:
        if not self.connection.invalidated:  # a statement interrupted by Ctrl-C invalidates (closes) it
            self.connection.rollback()
        self._release()

    def _release(self) -> None:
        """Give the connection its own busy timeout back, and close it."""
        if not self.connection.invalidated and self._busy_timeout is not None:
            raw = self.connection.connection.dbapi_connection
            assert raw is not None
            raw.execute(f"PRAGMA busy_timeout={int(self._busy_timeout)}")
        self.connection.close()

    def _create_tables(self) -> None:
        drop_staging(self.connection, self.staging)
        for statement in self.staging.ddl(dialect=self.connection.dialect):
            self.connection.exec_driver_sql(statement)

    def write_batch(self, tables: StagingRows, rejections: Sequence[tuple[int, str]]) -> None:
        for table, columns, rows in tables:
            assert not isinstance(rows, bytes), "SQLite takes rows, not COPY data"
            _insert_rows(self.connection, self.staging.names[table], columns, rows)
        rows = [(self.id, line, reason) for line, reason in rejections]
        _insert_rows(self.connection, DIRECT_TARGETS["rejections"], ("version_id", *REJECTION_COLUMNS), rows)

    def build(self, base_version_id: int | None) -> BuildCounts:
        return build_version(
            self.connection, self.id, base_version_id, self.staging, DIRECT_TARGETS, index_staged_ids=True
        )

    def precompute(self) -> None:
        precompute(self.connection, self.id, DIRECT_TARGETS)


def _insert_rows(connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Row]) -> None:
    """Append rows to a table in one executemany."""
    if rows := list(rows):
        placeholders = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)
