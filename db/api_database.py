"""The API's handle on the store: sync SQLAlchemy run in worker threads, with time limits.

Resolvers never touch the engine on an event loop: `Database.run` hands a function and a
pooled connection to one of `max_connections` worker threads (a plain thread pool, so requests
executing on several threads' event loops share it safely). Outages answer fast and truthfully
(db.faults): a call that cannot start within POOL_WAIT_SECONDS, a refused connection or a
server that stops answering raise the error the caller passes as `unavailable` (the API's
DatabaseUnavailable, given by app.database), and a dead pooled connection (after a server
restart) is retried once on a fresh one.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry

from db.engine import is_sqlite, make_engine
from db.faults import (
    UNAVAILABLE_MESSAGE,
    Breaker,
    HungCallWatchdog,
    busy_message,
    is_unavailable,
    refused_message,
    unanswered_message,
)
from db.json_plan import Statement, StatementBuilder
from db.postgres_json import postgres_statement
from db.postgres_loop import LoopStatements

T = TypeVar("T")


class _Hung(Exception):
    """The watchdog cut a call the server never answered."""


# SQLite calls the progress handler every this many virtual-machine instructions.
_SQLITE_PROGRESS_STEPS = 10_000
_DEADLINE = "api_statement_deadline"
POOL_WAIT_SECONDS = 1.0  # longest a call waits for a free connection before answering 503
BREAKER_OPEN_SECONDS = 1.0  # after an outage, how long calls are refused before one tries again
HANG_GRACE_SECONDS = 0.25  # past statement_timeout, a call no answer came for is cut (frozen server)
# libpq: give up connecting after 2 s (its minimum), and probe idle connections so a dead peer
# (a network partition) is noticed in seconds rather than the kernel's two hours.
_POSTGRES_CONNECT = {
    "connect_timeout": "2",
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "1",
    "keepalives_count": "3",
}


class Database:
    """An engine plus the worker threads that keep blocking calls off the event loop.

    `json_statements` is how the store answers a whole query in one statement building its JSON
    (db.postgres_json on PostgreSQL, chosen in `open_database`; None on SQLite).
    """

    def __init__(
        self,
        engine: Engine,
        max_connections: int = 10,
        *,
        unavailable: Callable[[str], Exception],
        hang_seconds: float | None = None,
        json_statements: StatementBuilder | None = None,
        on_loop: LoopStatements | None = None,
        breaker: Breaker | None = None,
    ) -> None:
        self.engine = engine
        self.json_statements = json_statements
        self._on_loop = on_loop
        self._unavailable = unavailable  # the error an outage raises, built from its message
        self.max_connections = max_connections
        self.breaker = breaker or Breaker(BREAKER_OPEN_SECONDS)  # one for every way the store is called
        self._executor = ThreadPoolExecutor(max_connections, thread_name_prefix="db")
        # None: no call can hang past its time limit (SQLite enforces it in-process: open_database).
        self._watchdog = HungCallWatchdog() if hang_seconds is not None else None
        self._hang_seconds = hang_seconds or 0.0

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Call `function(connection, *args)` in a worker thread on a pooled connection."""
        if not self.breaker.admit():
            raise self._unavailable(refused_message(self.breaker))
        started = threading.Event()
        future = self._executor.submit(self._call, started, function, args)
        waiting = asyncio.wrap_future(future)
        done, _ = await asyncio.wait({waiting}, timeout=POOL_WAIT_SECONDS)
        if not done and not started.is_set() and future.cancel():
            raise self._unavailable(busy_message(self.max_connections, POOL_WAIT_SECONDS))
        return await waiting

    def watch_connections(self, taken: Callable[[], None], returned: Callable[[], None]) -> None:
        """Call `taken` and `returned` as any call takes and gives back one of the store's connections."""
        event.listen(self.engine, "checkout", lambda *_args: taken())
        event.listen(self.engine, "checkin", lambda *_args: returned())
        if self._on_loop is not None:
            self._on_loop.watch(taken, returned)

    async def json_answer(self, statement: Statement, version_id: int) -> str:
        """A compiled answer's JSON text, the statement sent from the event loop (a store with `json_statements`)."""
        if self._on_loop is None:
            raise TypeError("this store compiles no answers: its json_statements is None")
        return await self._on_loop.answer(statement, version_id)

    def _call(self, started: threading.Event, function: Callable[..., T], args: tuple[Any, ...]) -> T:
        started.set()
        try:
            result = self._attempt(function, args, retry=True)
        except _Hung as error:
            self.breaker.failed(error)
            raise self._unavailable(str(error)) from error
        except DBAPIError as error:
            if is_unavailable(error):
                self.breaker.failed(error)
                raise self._unavailable(UNAVAILABLE_MESSAGE) from error
            self.breaker.succeeded()  # it answered, with an error of the query's own
            raise
        except Exception:
            self.breaker.succeeded()  # not the database's doing: never leave a trial call open
            raise
        self.breaker.succeeded()
        return result

    def _attempt(self, function: Callable[..., T], args: tuple[Any, ...], *, retry: bool) -> T:
        try:
            return self._watched(function, args)
        except DBAPIError as error:
            if not (retry and error.connection_invalidated):
                raise
        # A pooled connection the server dropped (a restart): once more, on a fresh one.
        return self._watched(function, args)

    def _watched(self, function: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self.engine.connect() as connection:
            if self._watchdog is None:
                return function(connection, *args)
            dbapi_connection: Any = connection.connection.dbapi_connection  # psycopg2's: it has fileno()
            watch = self._watchdog.watch(dbapi_connection.fileno(), self._hang_seconds)
            try:
                return function(connection, *args)
            except DBAPIError as error:
                if self._watchdog.done(watch):
                    raise _Hung(unanswered_message(self._hang_seconds)) from error
                raise
            finally:
                self._watchdog.done(watch)

    def dispose(self) -> None:
        """Unblock calls under way, stop the worker threads and close every pooled connection."""
        if self._watchdog is not None:
            self._watchdog.cut_all()
            self._watchdog.close()
        if self._on_loop is not None:
            self._on_loop.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.engine.dispose()


class FailingCalls(Database):
    """A store whose every call raises one error: an outage met once, for the normal path to answer it.

    When the one statement of a compiled answer (schema.sql_answers) fails for want of the
    database, the normal path answers instead over this handle, so the answer is the one it
    gives when its own calls fail so (the same errors, paths and status).
    """

    def __init__(self, db: Database, error: Exception) -> None:  # no threads or pool of its own
        self.engine, self.max_connections, self.breaker = db.engine, db.max_connections, db.breaker
        self.json_statements, self._on_loop, self._error = None, None, error

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Raise the error."""
        raise self._error

    def dispose(self) -> None:
        """Nothing to release."""


def open_database(
    url: str, *, statement_timeout_ms: int, unavailable: Callable[[str], Exception], max_connections: int = 10
) -> Database:
    """The API's database: statements limited in time on both backends, Unicode lower() on SQLite."""
    if url.startswith("postgresql"):
        parsed = make_url(url)
        url = parsed.update_query_dict({**_POSTGRES_CONNECT, **parsed.query}).render_as_string(hide_password=False)
    # No pre-ping: a dead pooled connection is retried once instead, and a ping to a frozen server
    # would hang where the watchdog cannot see it.
    engine = make_engine(url, statement_timeout_ms=statement_timeout_ms, pre_ping=False, pool_size=max_connections)
    hang_seconds = statement_timeout_ms / 1000 + HANG_GRACE_SECONDS if statement_timeout_ms else None
    if is_sqlite(engine):  # its time limit is enforced in-process (progress handler); a server may hang
        _sqlite_for_api(engine, statement_timeout_ms)
        return Database(engine, max_connections, unavailable=unavailable)
    breaker = Breaker(BREAKER_OPEN_SECONDS)
    on_loop = LoopStatements(
        engine,
        max_connections,
        breaker=breaker,
        unavailable=unavailable,
        hang_seconds=hang_seconds,
        wait_seconds=POOL_WAIT_SECONDS,
    )
    return Database(
        engine,
        max_connections,
        unavailable=unavailable,
        hang_seconds=hang_seconds,
        json_statements=postgres_statement,
        on_loop=on_loop,
        breaker=breaker,
    )


def _sqlite_for_api(engine: Engine, statement_timeout_ms: int) -> None:
    """SQLite has no statement_timeout: interrupt from the progress handler past a deadline.

    Also replace its ASCII-only lower() by Python's, so case-insensitive search agrees with
    PostgreSQL's (a UTF-8 database lowercases every letter).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        if statement_timeout_ms:
            deadline = record.info[_DEADLINE] = [0.0]
            dbapi_connection.set_progress_handler(
                lambda: deadline[0] != 0.0 and time.monotonic() > deadline[0], _SQLITE_PROGRESS_STEPS
            )

    if not statement_timeout_ms:
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _start_clock(connection: Connection, *_args: object) -> None:
        connection.info[_DEADLINE][0] = time.monotonic() + statement_timeout_ms / 1000

    @event.listens_for(engine, "rollback")
    @event.listens_for(engine, "commit")
    def _stop_clock(connection: Connection) -> None:
        connection.info[_DEADLINE][0] = 0.0


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value
