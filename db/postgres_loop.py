"""PostgreSQL statements sent from the event loop itself: psycopg2's asynchronous mode, no worker thread.

A compiled answer (schema.sql_answers) is one short prepared statement. Through `Database.run`
it would pay for a hop to a worker thread and back, a pooled SQLAlchemy connection and a
transaction: on small answers, more of the process's time than the statement costs the server.
Here it is sent on one of a few asynchronous psycopg2 connections (autocommit; libpq's
non-blocking protocol driven by the event loop's reader and writer callbacks), opened with the
engine's own connection arguments. When every one of them is busy, a call waits for the first freed.

Failures keep the store's semantics (db.faults): an error comes wrapped as SQLAlchemy wraps it;
an outage opens the breaker and raises the `unavailable` error; a statement the server leaves
unanswered past the hang deadline is cut, its connection closed; a pooled connection the server
dropped (a restart) is tried once more on a fresh one. A connection is closed, never reused, when
its call did not end cleanly (an error, a cancelled request).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg2
import psycopg2.extensions
from psycopg2.extensions import connection as RawConnection
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from db.faults import (
    UNAVAILABLE_MESSAGE,
    Breaker,
    busy_message,
    is_unavailable,
    refused_message,
    unanswered_message,
)
from db.json_plan import Statement

T = TypeVar("T")

CONNECT_SECONDS = 2.0  # as libpq's connect_timeout the engine's URL sets (libpq applies it to blocking connects only)


class _Connection:
    """An asynchronous psycopg2 connection and the statements prepared on it."""

    __slots__ = ("raw", "prepared")

    def __init__(self, raw: RawConnection | None) -> None:
        self.raw = raw
        self.prepared: set[str] = set()

    def reset(self) -> None:
        """Close it: the next call opens a fresh one."""
        if self.raw is not None:
            self.raw.close()
        self.raw, self.prepared = None, set()


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
        wait_seconds: float,
    ) -> None:
        arguments, keywords = engine.dialect.create_connect_args(engine.url)
        self._connect_arguments = (tuple(arguments), {**keywords, "client_encoding": "utf8"})
        self.size, self.breaker, self._unavailable, self._hang_seconds = size, breaker, unavailable, hang_seconds
        self._wait_seconds = wait_seconds  # longest a call waits for a free connection
        self._lock = threading.Lock()
        self._idle: list[_Connection] = []
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[_Connection]]] = deque()
        self._open = 0  # connections in use or idle, and ones being opened
        self._closed = False
        self._taken: Callable[[], None] = _nothing  # told as a call takes a connection (app.metrics)
        self._returned: Callable[[], None] = _nothing  # and as it gives it back

    def watch(self, taken: Callable[[], None], returned: Callable[[], None]) -> None:
        """Call `taken` as a call takes a connection and `returned` as it gives it back."""
        self._taken, self._returned = taken, returned

    async def answer(self, statement: Statement, version_id: int) -> str:
        """The statement's answer (raises as `Database.run` does)."""
        connection = await self._take()  # (before the breaker is asked: a trial call it admits must report back)
        self._taken()
        try:
            return await self._answer_with(connection, statement, version_id)
        finally:
            self._returned()

    async def _answer_with(self, connection: _Connection, statement: Statement, version_id: int) -> str:
        reused = connection.raw is not None
        if not self.breaker.admit():
            self._release(connection)
            raise self._unavailable(refused_message(self.breaker))
        try:
            try:
                text = await self._answer_on(connection, statement, version_id)
            except DBAPIError as error:
                if not (reused and is_unavailable(error)):
                    raise
                connection.reset()  # a connection the server dropped: once more, on a fresh one
                text = await self._answer_on(connection, statement, version_id)
        except DBAPIError as error:
            self._discard(connection)
            if is_unavailable(error):
                self.breaker.failed(error)
                raise self._unavailable(UNAVAILABLE_MESSAGE) from error
            self.breaker.succeeded()  # it answered, with an error of the statement's own
            raise
        except _Unanswered as error:
            self._discard(connection)
            self.breaker.failed(error)
            raise self._unavailable(unanswered_message(error.seconds)) from None
        except BaseException:  # cancelled (the request's deadline, a client gone): its state is unknown
            self._discard(connection)
            raise
        self.breaker.succeeded()
        self._release(connection)
        return text

    async def _answer_on(self, connection: _Connection, statement: Statement, version_id: int) -> str:
        limit = CONNECT_SECONDS
        try:
            if connection.raw is None:
                async with asyncio.timeout(limit):
                    connection.raw = await _wrapped(self._connect(), "connect")
            *preparing, (execute, parameters) = statement.commands(connection.prepared, version_id)
            limit = self._hang_seconds or 0.0
            async with asyncio.timeout(self._hang_seconds):  # None: no limit
                for sql, _none in preparing:  # (a call that fails closes the connection, with what it prepared)
                    await _wrapped(_run(connection.raw, sql, None), sql)
                text: str = await _wrapped(_run(connection.raw, execute, parameters), execute)
        except TimeoutError:
            raise _Unanswered(limit) from None
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

    async def _take(self) -> _Connection:
        """An idle connection, a slot to open one in, or the first one freed within the wait."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._closed:
                raise self._unavailable("The server is shutting down; try again shortly.")
            if self._idle:
                return self._idle.pop()
            if self._open < self.size:
                self._open += 1
                return _Connection(None)
            waiter: asyncio.Future[_Connection] = loop.create_future()
            self._waiters.append((loop, waiter))
        try:
            async with asyncio.timeout(self._wait_seconds):
                return await waiter
        except TimeoutError:
            raise self._unavailable(busy_message(self.size, self._wait_seconds)) from None
        finally:
            with self._lock:
                if (loop, waiter) in self._waiters:
                    self._waiters.remove((loop, waiter))

    def _release(self, connection: _Connection) -> None:
        """A connection whose call ended cleanly: to the first waiter, else idle."""
        if connection.raw is None:
            self._discard(connection)
            return
        with self._lock:
            if not self._closed:
                if not self._hand_over(connection):
                    self._idle.append(connection)
                return
        self._discard(connection)

    def _discard(self, connection: _Connection) -> None:
        """Close a connection; its slot goes to the first waiter (to open a fresh one), else is freed."""
        connection.reset()
        with self._lock:
            if self._closed or not self._hand_over(connection):
                self._open -= 1

    def _hand_over(self, connection: _Connection) -> bool:
        """Give `connection` to the first waiter still waiting, on its own loop (holding the lock)."""
        while self._waiters:
            loop, waiter = self._waiters.popleft()
            if loop is _running_loop():
                loop.call_soon(self._give, waiter, connection)
                return True
            try:
                loop.call_soon_threadsafe(self._give, waiter, connection)  # (wakes that loop's thread)
            except RuntimeError:  # its loop has closed
                continue
            return True
        return False

    def _give(self, waiter: asyncio.Future[_Connection], connection: _Connection) -> None:
        if waiter.done():  # it stopped waiting meanwhile (its time ran out, or its request went away)
            self._release(connection)
        else:
            waiter.set_result(connection)

    def close(self) -> None:
        """Close the idle connections; those in use close when their call ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
        for connection in idle:
            connection.reset()


class _Unanswered(Exception):
    """The server left a call unanswered past its deadline (frozen, or cut off by the network)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer within {seconds:g} s")
        self.seconds = seconds


def _nothing() -> None:
    pass


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


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
        reading = state == psycopg2.extensions.POLL_READ  # else POLL_WRITE
        watch, unwatch = (loop.add_reader, loop.remove_reader) if reading else (loop.add_writer, loop.remove_writer)
        woken = loop.create_future()
        descriptor = raw.fileno()
        watch(descriptor, _wake, woken)
        try:
            await woken
        finally:
            unwatch(descriptor)


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)
