"""The API's handle on the store: sync SQLAlchemy run in worker threads, with a time limit.

Resolvers never touch the engine on the event loop: `Database.run` hands a function and a
fresh connection to a worker thread, and at most `max_connections` of them run at once so a
burst never waits on the connection pool while holding a thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection

from db.engine import is_sqlite, make_engine

T = TypeVar("T")

# SQLite calls the progress handler every this many virtual-machine instructions.
_SQLITE_PROGRESS_STEPS = 10_000
_DEADLINE = "api_statement_deadline"


class Database:
    """An engine plus the thread limiter that keeps blocking calls off the event loop."""

    def __init__(self, engine: Engine, max_connections: int = 10) -> None:
        self.engine = engine
        self.limiter = anyio.CapacityLimiter(max_connections)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Call `function(connection, *args)` in a worker thread on a pooled connection."""
        return await anyio.to_thread.run_sync(self._call, function, args, limiter=self.limiter)

    def _call(self, function: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self.engine.connect() as connection:
            return function(connection, *args)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_database(url: str, *, statement_timeout_ms: int, max_connections: int = 10) -> Database:
    """The API's database: statements limited in time on both backends, Unicode lower() on SQLite."""
    engine = make_engine(url, statement_timeout_ms=statement_timeout_ms, pool_size=max_connections)
    if is_sqlite(engine):
        _sqlite_for_api(engine, statement_timeout_ms)
    return Database(engine, max_connections)


def _sqlite_for_api(engine: Engine, statement_timeout_ms: int) -> None:
    """SQLite has no statement_timeout: interrupt from the progress handler past a deadline.

    Also replace its ASCII-only lower() by Python's, so case-insensitive search agrees with
    PostgreSQL's (a UTF-8 database lowercases every letter).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record) -> None:
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        if statement_timeout_ms:
            deadline = record.info[_DEADLINE] = [0.0]
            dbapi_connection.set_progress_handler(
                lambda: deadline[0] != 0.0 and time.monotonic() > deadline[0], _SQLITE_PROGRESS_STEPS
            )

    if not statement_timeout_ms:
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _start_clock(connection: Connection, *_args) -> None:
        connection.info[_DEADLINE][0] = time.monotonic() + statement_timeout_ms / 1000

    @event.listens_for(engine, "rollback")
    @event.listens_for(engine, "commit")
    def _stop_clock(connection: Connection) -> None:
        connection.info[_DEADLINE][0] = 0.0


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value
