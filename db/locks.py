"""One import at a time on PostgreSQL: an advisory lock (SQLite's own write lock serves there: db.sqlite_load)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection

logger = logging.getLogger("movie_stats.import")

IMPORT_LOCK_CLASS = 0x6D6F7669  # "movi": any constant unique to this application
# Advisory locks are per database; the schema's name makes stores in one database independent.
_LOCK_KEY_SQL = "(:class, hashtext(current_schema()))"


def say_waiting() -> None:
    """Tell the operator (on stderr, through logging) that the import queues behind another one."""
    logger.warning("Another import is running: this one waits for it to finish (--no-wait to fail at once instead).")


class ImportBusy(Exception):
    """Another import is running."""

    def __init__(self) -> None:
        super().__init__(
            "Another import is running. Wait for it to finish, or run this one again with --wait to queue behind it."
        )


@contextmanager
def import_lock(connection: Connection, *, wait: bool) -> Iterator[None]:
    """Hold the import lock for the whole block: ImportBusy when taken and not waiting.

    A session-level advisory lock, so that it spans the several transactions of a load
    (db.postgres_load); the server releases it if the process dies.
    """
    key = {"class": IMPORT_LOCK_CLASS}
    if not connection.execute(text(f"SELECT pg_try_advisory_lock{_LOCK_KEY_SQL}"), key).scalar():
        if not wait:
            connection.rollback()
            raise ImportBusy()
        say_waiting()
        connection.execute(text(f"SELECT pg_advisory_lock{_LOCK_KEY_SQL}"), key)
    connection.commit()  # end the transaction the query began; the lock stays with the session
    try:
        yield
    finally:
        if not connection.invalidated:  # a lost connection took its lock with it
            if connection.in_transaction():
                connection.rollback()
            connection.execute(text(f"SELECT pg_advisory_unlock{_LOCK_KEY_SQL}"), key)
            connection.commit()
