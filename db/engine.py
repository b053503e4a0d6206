"""Engines for PostgreSQL (production) and SQLite (the embedded default)."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection

# Execution option: `"immediate"` makes a SQLite transaction take the write lock at BEGIN,
# which is how one import at a time is enforced there (PostgreSQL uses an advisory lock).
SQLITE_BEGIN = "sqlite_begin"


def make_engine(
    url: str, *, statement_timeout_ms: int = 0, busy_timeout_ms: int = 30_000, pool_size: int | None = None
) -> Engine:
    """Create an engine; `statement_timeout_ms` > 0 limits every statement (API use).

    `pool_size`: PostgreSQL connections kept open (SQLAlchemy's default 5 when None); the API keeps
    as many as it runs calls at once, so no call opens and closes a connection of its own.
    """
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_ms)
    parsed = make_url(url)
    if statement_timeout_ms:
        # Keep any `options` the URL already carries (a search_path, say).
        options = f"{parsed.query.get('options', '')} -c statement_timeout={statement_timeout_ms}".strip()
        parsed = parsed.update_query_dict({"options": options})
    # UTF-8 whatever the server's encoding: the importer sends COPY data as UTF-8 bytes.
    sizing = (
        {} if pool_size is None else {"pool_size": pool_size, "max_overflow": 2}
    )  # 2: slack for a watcher's connect
    return create_engine(parsed, pool_pre_ping=True, client_encoding="utf8", **sizing)


def is_sqlite(bind: Engine | Connection) -> bool:
    """True when the bind talks to SQLite."""
    return bind.dialect.name == "sqlite"


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
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
