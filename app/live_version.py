"""Which dataset version is live, read from the database for every request.

Promote and rollback are done by other processes directly in the database, so no process may
remember the answer. But requests arriving together may share one read, as long as that read
*starts after* each of them arrived: a request never joins a read already under way, it waits
for the next one. So every answer is at least as fresh as a read of its own, and under load
the indexed one-row query runs once per batch of requests instead of once per request.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.engine import Connection

from app.database import Database
from db.tables import LIVE, dataset_versions

_LIVE_QUERY = select(dataset_versions.c.id).where(dataset_versions.c.status == LIVE)


def read_live_version(connection: Connection) -> int | None:
    """The live version id (one row through the partial unique index `one_live_version`)."""
    return connection.execute(_LIVE_QUERY).scalar()


class LiveVersion:
    """Reads the live version id, batching the requests that arrive during one read."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._next: asyncio.Future[int | None] | None = None  # the read not yet started
        self._running = False

    async def current(self) -> int | None:
        """The live version id as of a read that started after this call."""
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
        asyncio.get_running_loop().create_task(self._read(waiting))

    async def _read(self, waiting: asyncio.Future[int | None]) -> None:
        try:
            result = await self._database.run(read_live_version)
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
