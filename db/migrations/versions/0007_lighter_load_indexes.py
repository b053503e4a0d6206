"""lighter indexes to build at each load: three precomputed tables lose their primary keys,
and on PostgreSQL the indexes that are not keys leave out version_id

`company_movies`, `genre_movies` and `company_year_genres` are read only through a range of
an index of their entity-years, so a primary key of every column cost each load more than it
served: the movie lists' year indexes lose their trailing movie id, and company_year_genres
gets an index of its company-years in place of its key. On PostgreSQL each version is a
partition of its own, where version_id is the same on every row: an index led by it costs
each load more to build (db.tables), so the indexes that are not keys drop it there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RANKING_METRICS = ("releases", "budget", "revenue", "profit", "average_popularity", "total_popularity")
# Tables that lose their primary key: (columns, of which nullable), (index, its columns after
# version_id before, now; None: there was none), and the key they had.
_UNKEYED_TABLES = {
    "company_movies": (
        ("version_id", "company_id", "movie_id", "year", "popularity"),
        ("year", "popularity"),
        ("company_movies_by_year", "company_id, year, movie_id", "company_id, year"),
        "version_id, company_id, movie_id",
    ),
    "genre_movies": (
        ("version_id", "genre_id", "movie_id", "year", "popularity"),
        ("year", "popularity"),
        ("genre_movies_by_year", "genre_id, year, movie_id", "genre_id, year"),
        "version_id, genre_id, movie_id",
    ),
    "company_year_genres": (
        ("version_id", "company_id", "year", "genre_id", "releases"),
        (),
        ("company_year_genres_by_company_year", None, "company_id, year"),
        "version_id, company_id, year, genre_id",
    ),
}
# PostgreSQL's other indexes that are not keys, by name: (table, columns after version_id).
_OTHER_INDEXES = {
    "movies_by_popularity": ("movies", "popularity DESC NULLS LAST, id"),
    "movies_by_year": ("movies", "release_year"),
    "companies_by_name": ("companies", "name, id"),
    "genre_years_by_year": ("genre_years", "year"),
    "company_years_by_year": ("company_years", "year"),
    **{
        f"company_totals_by_{metric}": ("company_totals", f"{metric} DESC NULLS LAST, name, company_id")
        for metric in RANKING_METRICS
    },
}


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    postgresql = _postgresql()
    for table, (columns, nullable, (index, before, now), _key) in _UNKEYED_TABLES.items():
        if before is not None:
            op.drop_index(index, table)  # on PostgreSQL with its partitions' indexes
        if postgresql:
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")  # and its partitions' keys
            op.execute(f"CREATE INDEX {index} ON {table} ({now})")
        else:
            _recreate_sqlite(table, columns, nullable, key=None)
            op.execute(f"CREATE INDEX {index} ON {table} (version_id, {now})")
    if postgresql:
        for index, (table, columns) in _OTHER_INDEXES.items():
            op.execute(f"DROP INDEX {index}")  # with its partitions' indexes
            op.execute(f"CREATE INDEX {index} ON {table} ({columns})")


def downgrade() -> None:
    postgresql = _postgresql()
    if postgresql:
        for index, (table, columns) in _OTHER_INDEXES.items():
            op.execute(f"DROP INDEX {index}")
            op.execute(f"CREATE INDEX {index} ON {table} (version_id, {columns})")
    for table, (columns, nullable, (index, before, _now), key) in _UNKEYED_TABLES.items():
        op.drop_index(index, table)
        if postgresql:
            op.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({key})")
        else:
            _recreate_sqlite(table, columns, nullable, key=key)
        if before is not None:
            op.execute(f"CREATE INDEX {index} ON {table} (version_id, {before})")


def _recreate_sqlite(table: str, columns: tuple[str, ...], nullable: tuple[str, ...], key: str | None) -> None:
    """SQLite cannot drop or add a primary key: the table is made anew and its rows copied over."""
    op.rename_table(table, f"{table}_old")
    op.create_table(
        table,
        *(
            sa.Column(column, sa.Float() if column == "popularity" else sa.Integer(), nullable=column in nullable)
            for column in columns
        ),
        *([sa.PrimaryKeyConstraint(*key.split(", "))] if key else []),
    )
    listed = ", ".join(columns)
    op.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {table}_old")
    op.drop_table(f"{table}_old")
