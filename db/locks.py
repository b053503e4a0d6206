"""One import at a time: a PostgreSQL advisory lock, or SQLite's own write lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection

from db.engine import is_sqlite

IMPORT_LOCK_CLASS = 0x6D6F7669  # "movi": any constant unique to this application
# Advisory locks are per database; the schema's name makes stores in one database independent.
_LOCK_KEY_SQL = "(:class, hashtext(current_schema()))"
SQLITE_WAIT_MS = 24 * 3600 * 1000  # "wait" means wait, not give up after a while


class ImportBusy(Exception):
    """Another import is running."""

    def __init__(self) -> None:
        super().__init__(
            "Another import is running. Wait for it to finish, or run this one again with --wait to queue behind it."
        )


@contextmanager
def sqlite_lock_wait(connection: Connection, wait: bool) -> Iterator[None]:
    """On SQLite, make BEGIN IMMEDIATE wait for the write lock, or fail at once."""
    if not is_sqlite(connection):
        yield
        return
    raw = connection.connection.dbapi_connection  # outside SQLAlchemy's autobegin
    previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]  # type: ignore[union-attr]
    raw.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_MS if wait else 0}")  # type: ignore[union-attr]
    try:
        yield
    finally:
        # A statement interrupted by Ctrl-C makes SQLAlchemy invalidate (close) the connection.
        if not connection.invalidated:
            raw.execute(f"PRAGMA busy_timeout={int(previous)}")  # type: ignore[union-attr]


@contextmanager
def import_lock(connection: Connection, *, wait: bool) -> Iterator[None]:
    """Hold the import lock on PostgreSQL for the whole block: ImportBusy when taken and not waiting.

    A session-level advisory lock, so that it spans the several transactions of a load
    (importer.pipeline); the server releases it if the process dies. On SQLite this does
    nothing: the BEGIN IMMEDIATE of the load's one transaction takes SQLite's write lock.
    """
    if is_sqlite(connection):
        yield
        return
    key = {"class": IMPORT_LOCK_CLASS}
    if wait:
        connection.execute(text(f"SELECT pg_advisory_lock{_LOCK_KEY_SQL}"), key)
    elif not connection.execute(text(f"SELECT pg_try_advisory_lock{_LOCK_KEY_SQL}"), key).scalar():
        connection.rollback()
        raise ImportBusy()
    connection.commit()  # end the transaction the query began; the lock stays with the session
    try:
        yield
    finally:
        if not connection.invalidated:  # a lost connection took its lock with it
            if connection.in_transaction():
                connection.rollback()
            connection.execute(text(f"SELECT pg_advisory_unlock{_LOCK_KEY_SQL}"), key)
            connection.commit()


def is_lock_timeout(error: Exception) -> bool:
    """True when SQLite refused a BEGIN IMMEDIATE because another writer holds the lock."""
    return "database is locked" in str(error)
