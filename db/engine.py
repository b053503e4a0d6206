"""Where the store is opened: engines for PostgreSQL (production) and SQLite (the embedded default).

The one place that tells the two apart: `open_load` picks the store's implementation of the
load seam (db.load), and the importer never asks which store it is on.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.engine import Connection

from db.load import VersionLoad
from db.postgres_load import PostgresLoad
from db.sqlite_engine import sqlite_engine
from db.sqlite_load import SqliteLoad


def make_engine(
    url: str,
    *,
    statement_timeout_ms: int = 0,
    busy_timeout_ms: int = 30_000,
    pool_size: int | None = None,
    pre_ping: bool = True,
) -> Engine:
    """Create an engine; `statement_timeout_ms` > 0 limits every statement (API use).

    `pool_size`: PostgreSQL connections kept open (SQLAlchemy's default 5 when None); the API keeps
    as many as it runs calls at once, so no call opens and closes a connection of its own.
    `pre_ping`: test a pooled connection before each use (the API retries a dead one instead).
    """
    if url.startswith("sqlite"):
        return sqlite_engine(url, busy_timeout_ms)
    parsed = make_url(url)
    if statement_timeout_ms:
        # Keep any `options` the URL already carries (a search_path, say).
        options = f"{parsed.query.get('options', '')} -c statement_timeout={statement_timeout_ms}".strip()
        parsed = parsed.update_query_dict({"options": options})
    # UTF-8 whatever the server's encoding: the importer sends COPY data as UTF-8 bytes.
    sizing = (
        {} if pool_size is None else {"pool_size": pool_size, "max_overflow": 2}
    )  # 2: slack for a watcher's connect
    return create_engine(parsed, pool_pre_ping=pre_ping, client_encoding="utf8", **sizing)


def store_name(url: str) -> str:
    """The store a URL names, for people: its file, or its server and database (never the credentials)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite database {parsed.database}"
    return f"the PostgreSQL database {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def is_sqlite(bind: Engine | Connection) -> bool:
    """True when the bind talks to SQLite."""
    return bind.dialect.name == "sqlite"


def open_load(engine: Engine, *, wait_for_lock: bool) -> VersionLoad:
    """A load of a new version into the engine's store (not begun: use it as a context manager)."""
    kind = SqliteLoad if is_sqlite(engine) else PostgresLoad
    return kind(engine, wait_for_lock=wait_for_lock)
