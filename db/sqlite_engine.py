"""The embedded store's engine: SQLite in WAL mode, with transactions begun where SQLAlchemy says."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection

# Execution option: `"immediate"` makes a SQLite transaction take the write lock at BEGIN,
# which is how one import at a time is enforced there (db.sqlite_load).
SQLITE_BEGIN = "sqlite_begin"


def sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    """An engine on the SQLite file of `url`; a writer waits up to `busy_timeout_ms` for another."""
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below, not the driver, decide when transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for a load
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "deferred")
        connection.exec_driver_sql(f"BEGIN {mode.upper()}")

    return engine
