"""Which dataset version is live, read from the database for every request.

Promote and rollback are done by other processes directly in the database, so no process may
remember the answer. But requests arriving together may share one read, as long as that read
*starts after* each of them arrived: a request never joins a read already under way, it waits
for the next one. So every answer is at least as fresh as a read of its own, and under load
the indexed one-row query runs once per batch of requests instead of once per request.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from app.database import Database
from db.engine import is_sqlite
from db.tables import LIVE

# db.versions.live_version_id as driver SQL, for the per-request read on a dedicated autocommit
# connection: no pool checkout, no BEGIN/ROLLBACK, just one indexed one-row SELECT.
_LIVE_SQL = f"SELECT id FROM dataset_versions WHERE status = '{LIVE}'"


class LiveVersion:
    """Reads the live version id, batching the requests that arrive during one read."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._next: asyncio.Future[int | None] | None = None  # the read not yet started
        self._running = False
        self._task: asyncio.Task[None] | None = None  # keeps the running read referenced
        self._connection: Any = None  # dedicated DBAPI connection; one read at a time uses it
        # One thread of its own: the connection stays on it, and no pool worker is taken.
        self._reader_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-version")
        self._inline: Any = None  # SQLite only: a connection that can never wait (busy_timeout=0)
        if is_sqlite(database.engine):
            self._inline = database.engine.raw_connection()
            self._inline.driver_connection.execute("PRAGMA busy_timeout=0")

    async def current(self) -> int | None:
        """The live version id as of a read that started after this call."""
        if self._inline is not None:
            # An in-process SQLite read of one indexed row takes microseconds, and with
            # busy_timeout=0 it cannot wait on a lock: it answers at once or raises "database is
            # locked", and only then do we take the worker-thread path. The thread hop would cost
            # far more than the read.
            try:
                row = self._inline.driver_connection.execute(_LIVE_SQL).fetchone()
                return None if row is None else int(row[0])
            except sqlite3.OperationalError:
                pass
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            if not self._running:
                asyncio.get_running_loop().call_soon(self._start)
        return await asyncio.shield(self._next)

    def _start(self) -> None:
        if self._running or self._next is None:
            return
        self._running = True
        waiting, self._next = self._next, None
        self._task = asyncio.get_running_loop().create_task(self._read(waiting))

    async def _read(self, waiting: asyncio.Future[int | None]) -> None:
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._reader_thread, self._read_now)
        except Exception as error:  # noqa: BLE001 - handed to every waiting request
            if not waiting.done():
                waiting.set_exception(error)
        else:
            if not waiting.done():
                waiting.set_result(result)
        finally:
            self._running = False
            if self._next is not None:  # requests arrived during this read: read again for them
                self._start()

    def _read_now(self) -> int | None:
        if self._connection is None:
            self._connection = self._database.engine.raw_connection()
            if not is_sqlite(self._database.engine):  # SQLite's is in autocommit already (db.engine)
                self._connection.driver_connection.autocommit = True
        try:
            cursor = self._connection.cursor()
            try:
                cursor.execute(_LIVE_SQL)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except Exception:
            self._connection.invalidate()
            self._connection = None
            raise
        return None if row is None else int(row[0])

    def close(self) -> None:
        """Give the dedicated connections back."""
        self._reader_thread.shutdown(wait=True)
        for connection in (self._connection, self._inline):
            if connection is not None:
                connection.close()
        self._connection = self._inline = None
