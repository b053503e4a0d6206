"""Bulk writes of one load into session-private staging tables: COPY on PostgreSQL.

A load streams clean records in here; `db.build` then turns the staging tables into a
dataset version with set-based SQL inside the database. Staging tables are temporary: they
vanish with the transaction (PostgreSQL) or are dropped by `drop_staging` (SQLite), so a
crashed load leaves nothing behind.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from sqlalchemy.engine import Connection

from db.engine import is_sqlite

MOVIE_COLUMNS = (
    "id",
    "title",
    "original_title",
    "imdb_id",
    "original_language",
    "status",
    "release_date",
    "release_year",
    "budget",
    "revenue",
    "popularity",
    "runtime",
    "vote_average",
    "vote_count",
    "adult",
)
_STAGING_DDL = {
    # `ord` is the record's line in the file: the larger one is the later record (rules 4, 9).
    "stage_movies": "ord INTEGER NOT NULL, id INTEGER NOT NULL, title TEXT NOT NULL, "
    "original_title TEXT, imdb_id TEXT, original_language TEXT, status TEXT, release_date TEXT, "
    "release_year INTEGER, budget BIGINT, revenue BIGINT, popularity DOUBLE PRECISION, "
    "runtime DOUBLE PRECISION, vote_average DOUBLE PRECISION, vote_count INTEGER, adult BOOLEAN",
    "stage_movie_genres": "ord INTEGER NOT NULL, movie_id INTEGER NOT NULL, entity_id INTEGER NOT NULL, name TEXT NOT NULL",
    "stage_movie_companies": "ord INTEGER NOT NULL, movie_id INTEGER NOT NULL, entity_id INTEGER NOT NULL, name TEXT NOT NULL",
}
STAGING_TABLES = tuple(_STAGING_DDL)
LOAD_WORK_MEM = "256MB"
# psycopg2 reads the COPY data in chunks of this size (its default is 8 KiB): fewer round trips
# through Python per batch.
COPY_CHUNK_BYTES = 1 << 20
# Text columns that may hold an empty string but never NULL.
NOT_NULL_TEXT = frozenset({"title", "name", "reason"})

Row = Sequence[object]


def staging_ddl(*, postgresql: bool) -> list[str]:
    """CREATE statements of the staging tables (dropped at commit on PostgreSQL)."""
    suffix = " ON COMMIT DROP" if postgresql else ""
    return [f"CREATE TEMPORARY TABLE {name} ({columns}){suffix}" for name, columns in _STAGING_DDL.items()]


def create_staging(connection: Connection) -> None:
    """Create empty staging tables private to this connection's transaction."""
    drop_staging(connection)
    if not is_sqlite(connection):
        # The build's joins and aggregates are hashed in memory instead of spilling to disk.
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{LOAD_WORK_MEM}'")
    for statement in staging_ddl(postgresql=not is_sqlite(connection)):
        connection.exec_driver_sql(statement)


def drop_staging(connection: Connection) -> None:
    """Drop the staging tables (and `stage_kept`, made by db.build) if present."""
    for name in (*STAGING_TABLES, "stage_kept"):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def write_rows(connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Row]) -> None:
    """Append rows to a table in one bulk statement (COPY on PostgreSQL)."""
    rows = list(rows)
    if not rows:
        return
    if is_sqlite(connection):
        placeholders = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
        connection.exec_driver_sql(sql, rows)  # executemany
        return
    # COPY's CSV format, written by the csv module's C writer: an unquoted empty field is NULL
    # (None), and FORCE_NOT_NULL keeps an empty title or name an empty string.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    buffer.seek(0)
    not_null = [column for column in columns if column in NOT_NULL_TEXT]
    options = f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else ""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{options})"
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(sql, buffer, size=COPY_CHUNK_BYTES)
    finally:
        cursor.close()
