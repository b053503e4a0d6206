"""How the API tells a database outage from a bad query, and stops asking a database that is down.

`is_unavailable` sorts errors: a refused or lost connection, a pool that stays busy, a server
shutting down are outages (503 DATABASE_UNAVAILABLE); a statement timeout is not. `Breaker`
keeps requests from piling onto a database that just failed, and `HungCallWatchdog` cuts the
socket of a call a frozen server never answers (statement_timeout is enforced by the server,
so a frozen or partitioned server would leave the call waiting forever).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

logger = logging.getLogger("movie_stats.database")

# PostgreSQL's statement_timeout and SQLite's progress-handler interrupt: answers, not outages.
_TIMEOUT_MESSAGES = ("canceling statement due to statement timeout", "interrupted")


# What an outage answers, whichever way the store was called (db.api_database, db.postgres_loop).
UNAVAILABLE_MESSAGE = "The database is unavailable; try again shortly."


def refused_message(breaker: Breaker) -> str:
    """Why a call the open breaker refused was not tried."""
    return f"The database is unavailable ({breaker.last_error}); try again shortly."


def unanswered_message(seconds: float) -> str:
    """Why a call left unanswered past its deadline was cut."""
    return f"The database did not answer within {seconds:g} s; try again shortly."


def busy_message(connections: int, seconds: float) -> str:
    """Why a call that found no free connection within its wait was refused."""
    return f"All {connections} database connections stayed busy for {seconds:g} s; try again shortly."


def is_unavailable(error: BaseException) -> bool:
    """Whether the error means the database cannot be used right now (not that the query is wrong)."""
    if isinstance(error, PoolTimeoutError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OperationalError | InterfaceError):
        return not any(text in str(error.orig) for text in _TIMEOUT_MESSAGES)
    return False


class Breaker:
    """After an outage, refuse at once for `open_seconds`, then let one call through to try again."""

    def __init__(self, open_seconds: float) -> None:
        self.open_seconds = open_seconds
        self._lock = threading.Lock()
        self._open_until = 0.0  # 0: closed
        self._trial = False  # a call is trying the database after the open period
        self.last_error = ""

    def admit(self) -> bool:
        """Whether a call may go to the database now."""
        with self._lock:
            if not self._open_until:
                return True
            if self._trial or time.monotonic() < self._open_until:
                return False
            self._trial = True
            return True

    def failed(self, error: BaseException) -> None:
        """An outage: open (again)."""
        with self._lock:
            if not self._open_until:
                logger.warning("database unavailable, answering 503 for %.1f s: %s", self.open_seconds, error)
            self._open_until = time.monotonic() + self.open_seconds
            self._trial = False
            self.last_error = f"{error.__class__.__name__}: {error}".splitlines()[0]

    def succeeded(self) -> None:
        """The database answered (an error of the query's own counts too): close."""
        if self._open_until:
            with self._lock:
                if self._open_until:
                    logger.warning("database answers again")
                self._open_until, self._trial = 0.0, False

    @property
    def is_open(self) -> bool:
        """Whether calls are being refused."""
        return bool(self._open_until)


@dataclass(slots=True)
class _Watch:
    fileno: int
    deadline: float
    cut: bool = False


class HungCallWatchdog:
    """Shut down the socket of a database call still waiting past its deadline, unblocking its thread."""

    def __init__(self, check_every_seconds: float = 0.1) -> None:
        self._watches: dict[int, _Watch] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._check_every = check_every_seconds
        self._thread = threading.Thread(target=self._loop, name="db-watchdog", daemon=True)
        self._thread.start()

    def watch(self, fileno: int, seconds: float) -> _Watch:
        """Start watching a call on the connection whose socket is `fileno`."""
        watch = _Watch(fileno, time.monotonic() + seconds)
        with self._lock:
            self._watches[id(watch)] = watch
        return watch

    def done(self, watch: _Watch) -> bool:
        """Stop watching; True when the watchdog cut the call."""
        with self._lock:
            self._watches.pop(id(watch), None)
        return watch.cut

    def cut_all(self) -> None:
        """Cut every call under way (shutdown: no thread may stay blocked on a hung server)."""
        with self._lock:
            watches = list(self._watches.values())
        for watch in watches:
            self._cut(watch)

    def close(self) -> None:
        """Stop the watchdog thread."""
        self._stop.set()
        self._thread.join(1)

    def _loop(self) -> None:
        while not self._stop.wait(self._check_every):
            now = time.monotonic()
            with self._lock:
                late = [watch for watch in self._watches.values() if watch.deadline < now and not watch.cut]
            for watch in late:
                logger.warning("database call unanswered past its deadline: cutting its connection")
                self._cut(watch)

    @staticmethod
    def _cut(watch: _Watch) -> None:
        watch.cut = True
        try:
            # shutdown() acts on the socket itself, shared by the duplicate: libpq's blocked
            # recv() returns at once and psycopg2 raises "server closed the connection".
            with socket.socket(fileno=os.dup(watch.fileno)) as duplicate:
                duplicate.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the call ended and its socket closed meanwhile
