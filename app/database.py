"""The API's store handle (db.api_database), wired to answer an outage with the API's 503 error."""

from __future__ import annotations

from db.api_database import Database
from db.api_database import open_database as open_store
from schema.errors import DatabaseUnavailable


def open_database(url: str, *, statement_timeout_ms: int, max_connections: int = 10) -> Database:
    """The API's database, raising DatabaseUnavailable (503 DATABASE_UNAVAILABLE) when the store is down."""
    return open_store(
        url, statement_timeout_ms=statement_timeout_ms, unavailable=DatabaseUnavailable, max_connections=max_connections
    )
