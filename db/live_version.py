"""Which dataset version is live, known without a database read per request.

Promote, rollback and a load going live change `dataset_versions`, usually in another process.
Each API process keeps the live id in memory and learns of a change by itself:

- PostgreSQL: a trigger on `dataset_versions` (NOTIFY_TRIGGER_SQL) sends a notification when a
  change commits. One thread per process LISTENs and re-reads the live id when notified, after
  every reconnect, and every `recheck_seconds` in case a notification was lost. A hot standby
  cannot LISTEN: there the thread only re-reads on that interval.
- SQLite: every call checks `PRAGMA data_version`, which changes when another connection
  commits (microseconds, in-process), and re-reads the id only then.

The backend is chosen once, in `watch_live_version`.
"""

from __future__ import annotations

import logging
import os
import select
import sqlite3
import threading
from typing import Any, Protocol

from sqlalchemy import Engine

from db.engine import is_sqlite
from db.tables import LIVE

logger = logging.getLogger("movie_stats.live_version")

CHANNEL = "movie_stats_live"
RECHECK_SECONDS = 0.5
RETRY_SECONDS = 0.5  # pause before reconnecting after an error
FIRST_READ_SECONDS = 2.0  # how long start() waits for the first answer
LIVE_SQL = f"SELECT id FROM dataset_versions WHERE status = '{LIVE}'"

# The statement-level trigger that tells listeners "dataset_versions changed", on commit. The
# payload is the table's schema, so processes of other schemas in one database ignore it.
NOTIFY_TRIGGER_SQL = (
    "CREATE OR REPLACE FUNCTION notify_dataset_versions() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN PERFORM pg_notify('{CHANNEL}', TG_TABLE_SCHEMA); RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS dataset_versions_notify ON dataset_versions",
    "CREATE TRIGGER dataset_versions_notify AFTER INSERT OR UPDATE OR DELETE ON dataset_versions "
    "FOR EACH STATEMENT EXECUTE FUNCTION notify_dataset_versions()",
)
DROP_NOTIFY_TRIGGER_SQL = (
    "DROP TRIGGER IF EXISTS dataset_versions_notify ON dataset_versions",
    "DROP FUNCTION IF EXISTS notify_dataset_versions()",
)


class LiveVersionWatcher(Protocol):
    """The live version id of one store, kept current without a read per call."""

    def start(self) -> None:
        """Read the live id once and begin watching for changes."""

    def current(self) -> int | None:
        """The live version id as last learned (None: no version is live)."""

    @property
    def known(self) -> bool:
        """Whether a read has ever succeeded (False: the store has been unreachable since start)."""

    @property
    def last_error(self) -> str | None:
        """The error of the latest failed read, None once a read succeeds again."""

    def close(self) -> None:
        """Stop watching and close the watcher's own connection."""


def watch_live_version(engine: Engine, *, recheck_seconds: float = RECHECK_SECONDS) -> LiveVersionWatcher:
    """The watcher for the engine's store (not started)."""
    if is_sqlite(engine):
        return SqliteLiveVersion(engine)
    return PostgresLiveVersion(engine, recheck_seconds=recheck_seconds)


class _LastRead:
    """What both watchers remember of their latest read."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._known = False
        self._last_error: str | None = None

    @property
    def known(self) -> bool:
        return self._known

    @property
    def last_error(self) -> str | None:
        return self._last_error


class SqliteLiveVersion(_LastRead):
    """SQLite: re-read the live id when PRAGMA data_version says another connection committed."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine
        self._connection: Any = None
        self._data_version: int | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self.current()

    def current(self) -> int | None:
        with self._lock:
            try:
                self._refresh()
            except sqlite3.Error as error:  # locked at this instant, or the file is unusable
                self._last_error = f"{error.__class__.__name__}: {error}"
        return self._version

    def _refresh(self) -> None:
        if self._connection is None:
            self._connection = _own_connection(self._engine)
            # Never wait on a writer: a locked read keeps the last known id, and the next call retries.
            self._connection.execute("PRAGMA busy_timeout=0")
        data_version = self._connection.execute("PRAGMA data_version").fetchone()[0]
        if data_version == self._data_version:
            return
        row = self._connection.execute(LIVE_SQL).fetchone()
        self._version = None if row is None else int(row[0])
        self._data_version, self._known, self._last_error = data_version, True, None

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class PostgresLiveVersion(_LastRead):
    """PostgreSQL: a thread that LISTENs for the trigger's notifications and re-reads on them."""

    def __init__(self, engine: Engine, *, recheck_seconds: float) -> None:
        super().__init__()
        self._engine = engine
        self._recheck_seconds = recheck_seconds
        self._first_read = threading.Event()
        self._stop = threading.Event()
        self._wake_up, self._wake = os.pipe()  # written by close(): the thread's wait ends at once
        self._thread = threading.Thread(target=self._watch, name="live-version", daemon=True)
        self._connection: Any = None

    def start(self) -> None:
        self._thread.start()
        # Serve from the first request on when the store answers; a store that does not answer
        # leaves `known` False, and the thread keeps trying.
        self._first_read.wait(FIRST_READ_SECONDS)

    def current(self) -> int | None:
        return self._version

    def close(self) -> None:
        if self._stop.is_set():
            return  # closed already
        self._stop.set()
        os.write(self._wake, b"x")
        self._thread.join(timeout=self._recheck_seconds + 1)
        if not self._thread.is_alive():
            os.close(self._wake_up)
            os.close(self._wake)

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                self._connect_and_follow()
            except Exception as error:  # noqa: BLE001 - any failure: remember it, reconnect, read again
                if self._last_error is None:
                    logger.warning("live version: store unreachable, serving version %s: %s", self._version, error)
                self._last_error = f"{error.__class__.__name__}: {error}"
            finally:
                self._disconnect()
                self._first_read.set()
            self._stop.wait(RETRY_SECONDS)

    def _connect_and_follow(self) -> None:
        self._connection = connection = _own_connection(self._engine)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery(), current_schema()")
            standby, schema = cursor.fetchone()
            if not standby:  # a hot standby refuses LISTEN; there the interval re-read is all there is
                cursor.execute(f"LISTEN {CHANNEL}")
        self._read(connection)
        while not self._stop.is_set():
            if standby:
                self._stop.wait(self._recheck_seconds)
                self._read(connection)
                continue
            ready, _, _ = select.select([connection, self._wake_up], [], [], self._recheck_seconds)
            if self._stop.is_set():
                return
            if ready:
                connection.poll()
                notified = any(note.payload == schema for note in connection.notifies)
                connection.notifies.clear()
                if not notified:
                    continue
            self._read(connection)

    def _read(self, connection: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute(LIVE_SQL)
            row = cursor.fetchone()
        version = None if row is None else int(row[0])
        if version != self._version and self._known:
            logger.info("live version: %s -> %s", self._version, version)
        self._version, self._known, self._last_error = version, True, None
        self._first_read.set()

    def _disconnect(self) -> None:
        if self._connection is not None:
            self._connection.close()  # psycopg2 closes a broken connection without raising
            self._connection = None


def _own_connection(engine: Engine) -> Any:
    """A driver connection made by the engine (its connect settings) but kept out of its pool."""
    pooled = engine.raw_connection()
    connection = pooled.driver_connection
    pooled.detach()
    return connection
