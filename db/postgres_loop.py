"""PostgreSQL statements sent from the event loop itself: psycopg2's asynchronous mode, no worker thread.

A compiled answer (schema.sql_answers) is one short prepared statement. Through `Database.run`
it would pay for a hop to a worker thread and back, a pooled SQLAlchemy connection and a
transaction: on small answers, more of the process's time than the statement costs the server.
Here it is sent on one of a few asynchronous psycopg2 connections (autocommit; libpq's
non-blocking protocol driven by the event loop's reader and writer callbacks), opened with the
engine's own connection arguments. When every one of them is busy, the caller goes the usual way.

Failures keep the store's semantics (db.faults): an error comes wrapped as SQLAlchemy wraps it;
an outage opens the breaker and raises the `unavailable` error; a statement the server leaves
unanswered past the hang deadline is cut, its connection closed; a pooled connection the server
dropped (a restart) is tried once more on a fresh one. A connection is closed, never reused, when
its call did not end cleanly (an error, a cancelled request).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg2
import psycopg2.extensions
from psycopg2.extensions import connection as RawConnection
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from db.faults import Breaker, is_unavailable
from db.json_plan import Statement

T = TypeVar("T")

CONNECT_SECONDS = 2.0  # as libpq's connect_timeout the engine's URL sets (libpq applies it to blocking connects only)


class _Connection:
    """An asynchronous psycopg2 connection and the statements prepared on it."""

    __slots__ = ("raw", "prepared")

    def __init__(self, raw: RawConnection | None) -> None:
        self.raw = raw
        self.prepared: set[str] = set()


class LoopStatements:
    """Compiled answers run on the calling event loop over at most `size` asynchronous connections.

    Thread-safe: requests on several event loops (one per thread) share it; a connection serves
    one call at a time, on the loop of that call.
    """

    def __init__(
        self,
        engine: Engine,
        size: int,
        *,
        breaker: Breaker,
        unavailable: Callable[[str], Exception],
        hang_seconds: float | None,
    ) -> None:
        arguments, keywords = engine.dialect.create_connect_args(engine.url)
        self._connect_arguments = (tuple(arguments), {**keywords, "client_encoding": "utf8"})
        self.size, self.breaker, self._unavailable, self._hang_seconds = size, breaker, unavailable, hang_seconds
        self._lock = threading.Lock()
        self._idle: list[_Connection] = []
        self._open = 0  # connections in use or idle, and ones being opened
        self._closed = False

    async def answer(self, statement: Statement, version_id: int) -> str | None:
        """The statement's answer, or None when every connection is busy (raises as `Database.run` does)."""
        taken = self._take()
        if taken is None:
            return None  # (before the breaker is asked: a trial call it admits must report back)
        connection, reused = taken
        if not self.breaker.admit():
            self._release(connection)
            raise self._unavailable(f"The database is unavailable ({self.breaker.last_error}); try again shortly.")
        try:
            try:
                text = await self._answer_on(connection, statement, version_id)
            except DBAPIError as error:
                if not (reused and is_unavailable(error)):
                    raise
                self._discard(connection)  # a connection the server dropped: once more, on a fresh one
                connection = _Connection(None)
                with self._lock:
                    self._open += 1
                text = await self._answer_on(connection, statement, version_id)
        except DBAPIError as error:
            self._discard(connection)
            if is_unavailable(error):
                self.breaker.failed(error)
                raise self._unavailable("The database is unavailable; try again shortly.") from error
            self.breaker.succeeded()  # it answered, with an error of the statement's own
            raise
        except _Unanswered as error:
            self._discard(connection)
            self.breaker.failed(error)
            raise self._unavailable(
                f"The database did not answer within {error.seconds:g} s; try again shortly."
            ) from None
        except BaseException:  # cancelled (the request's deadline, a client gone): its state is unknown
            self._discard(connection)
            raise
        self.breaker.succeeded()
        self._release(connection)
        return text

    async def _answer_on(self, connection: _Connection, statement: Statement, version_id: int) -> str:
        if connection.raw is None:
            async with _answered_within(CONNECT_SECONDS):
                connection.raw = await _wrapped(self._connect(), "connect")
        *preparing, (execute, parameters) = statement.commands(connection.prepared, version_id)
        async with _answered_within(self._hang_seconds):
            for sql, _none in preparing:  # (a call that fails closes the connection, with what it prepared)
                await _wrapped(_run(connection.raw, sql, None), sql)
            text: str = await _wrapped(_run(connection.raw, execute, parameters), execute)
        return text

    async def _connect(self) -> RawConnection:
        arguments, keywords = self._connect_arguments
        raw: RawConnection = psycopg2.connect(*arguments, **keywords, async_=True)
        try:
            await _ready(raw)
        except BaseException:
            raw.close()
            raise
        return raw

    def _take(self) -> tuple[_Connection, bool] | None:
        with self._lock:
            if self._closed:
                return None
            if self._idle:
                return self._idle.pop(), True
            if self._open >= self.size:
                return None
            self._open += 1
        return _Connection(None), False

    def _release(self, connection: _Connection) -> None:
        with self._lock:
            if not self._closed and connection.raw is not None:
                self._idle.append(connection)
                return
        self._discard(connection)

    def _discard(self, connection: _Connection) -> None:
        with self._lock:
            self._open -= 1
        if connection.raw is not None:
            connection.raw.close()

    def close(self) -> None:
        """Close the idle connections; those in use close when their call ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
        for connection in idle:
            if connection.raw is not None:
                connection.raw.close()


class _Unanswered(Exception):
    """The server left a call unanswered past its deadline (frozen, or cut off by the network)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer within {seconds:g} s")
        self.seconds = seconds


@asynccontextmanager
async def _answered_within(seconds: float | None) -> AsyncIterator[None]:
    """Raise _Unanswered when the block takes longer than `seconds` (None: no limit)."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise _Unanswered(seconds or 0.0) from None


async def _run(raw: RawConnection | None, sql: str, parameters: tuple[Any, ...] | None) -> Any:
    """Send one command and wait for its result: its first column's first value, if it returns rows."""
    assert raw is not None  # connected first
    cursor = raw.cursor()
    try:
        cursor.execute(sql, parameters)
        await _ready(raw)
        row = cursor.fetchone() if cursor.description else None
        return row[0] if row is not None else None
    finally:
        cursor.close()


async def _wrapped(call: Awaitable[T], sql: str) -> T:
    """`await call`, a psycopg2 error wrapped as SQLAlchemy wraps it (what db.faults and callers expect)."""
    try:
        return await call
    except psycopg2.Error as error:
        raise DBAPIError.instance(sql, None, error, psycopg2.Error) from error


async def _ready(raw: RawConnection) -> None:
    """Wait until libpq has finished what was asked of the connection (psycopg2's poll protocol)."""
    loop = asyncio.get_running_loop()
    while True:
        state = raw.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        woken = loop.create_future()
        descriptor = raw.fileno()
        if state == psycopg2.extensions.POLL_READ:
            loop.add_reader(descriptor, _wake, woken)
            try:
                await woken
            finally:
                loop.remove_reader(descriptor)
        else:  # POLL_WRITE
            loop.add_writer(descriptor, _wake, woken)
            try:
                await woken
            finally:
                loop.remove_writer(descriptor)


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)
