"""lighter indexes to build at each load: the movie lists lose their primary keys, and on
PostgreSQL the indexes that are not keys leave out version_id

`company_movies` and `genre_movies` are read only through a range of their year index, so
the primary key each load built for them served no query; the year index no longer ends in
the movie id, so that the entries of an entity-year share one posting list. On PostgreSQL each
version is a partition of its own, where version_id is the same on every row: an index led by
it costs each load more to build (db.tables), so the indexes that are not keys drop it there.

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

MOVIE_LISTS = {"company_movies": "company_id", "genre_movies": "genre_id"}
RANKING_METRICS = ("releases", "budget", "revenue", "profit", "average_popularity", "total_popularity")
# PostgreSQL's indexes that are not keys, by name: (table, columns after version_id before, now).
_UNKEYED = {
    "movies_by_popularity": ("movies", "popularity DESC NULLS LAST, id", "popularity DESC NULLS LAST, id"),
    "movies_by_year": ("movies", "release_year", "release_year"),
    "companies_by_name": ("companies", "name, id", "name, id"),
    "genre_years_by_year": ("genre_years", "year", "year"),
    "company_years_by_year": ("company_years", "year", "year"),
    **{
        f"company_totals_by_{metric}": ("company_totals", *[f"{metric} DESC NULLS LAST, name, company_id"] * 2)
        for metric in RANKING_METRICS
    },
    **{f"{table}_by_year": (table, f"{owner}, year, movie_id", f"{owner}, year") for table, owner in MOVIE_LISTS.items()},
}
_COLUMNS = "version_id, {owner}, movie_id, year, popularity"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        for table in MOVIE_LISTS:
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")  # and its partitions' keys
        for name, (table, _before, now) in _UNKEYED.items():
            op.execute(f"DROP INDEX {name}")  # with its partitions' indexes
            op.execute(f"CREATE INDEX {name} ON {table} ({now})")
        return
    for table, owner in MOVIE_LISTS.items():
        op.drop_index(f"{table}_by_year", table)
        _recreate_sqlite(table, owner, keyed=False)
        op.create_index(f"{table}_by_year", table, ["version_id", owner, "year"])


def downgrade() -> None:
    if _postgresql():
        for name, (table, before, _now) in _UNKEYED.items():
            op.execute(f"DROP INDEX {name}")
            op.execute(f"CREATE INDEX {name} ON {table} (version_id, {before})")
        for table, owner in MOVIE_LISTS.items():
            op.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (version_id, {owner}, movie_id)")
        return
    for table, owner in MOVIE_LISTS.items():
        op.drop_index(f"{table}_by_year", table)
        _recreate_sqlite(table, owner, keyed=True)
        op.create_index(f"{table}_by_year", table, ["version_id", owner, "year", "movie_id"])


def _recreate_sqlite(table: str, owner: str, *, keyed: bool) -> None:
    """SQLite cannot drop or add a primary key: the table is made anew and its rows copied over."""
    op.rename_table(table, f"{table}_old")
    op.create_table(
        table,
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(owner, sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("movie_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("popularity", sa.Float(), nullable=True),
        *([sa.PrimaryKeyConstraint("version_id", owner, "movie_id")] if keyed else []),
    )
    columns = _COLUMNS.format(owner=owner)
    op.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_old")
    op.drop_table(f"{table}_old")
