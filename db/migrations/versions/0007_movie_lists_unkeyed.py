"""the movie lists lose their primary keys, and their year indexes stop at the year

`company_movies` and `genre_movies` are read only through a range of their year index, so
the primary key each load built for them served no query; the year index no longer ends in
the movie id, so that the entries of an entity-year share one posting list (db.tables).

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
COLUMNS = "version_id, {owner}, movie_id, year, popularity"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    for table, owner in MOVIE_LISTS.items():
        op.drop_index(f"{table}_by_year", table)  # with its partitions' indexes
        if _postgresql():
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")  # and its partitions' keys
        else:
            _recreate_sqlite(table, owner, keyed=False)
        op.create_index(f"{table}_by_year", table, ["version_id", owner, "year"])


def downgrade() -> None:
    for table, owner in MOVIE_LISTS.items():
        op.drop_index(f"{table}_by_year", table)
        if _postgresql():
            op.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (version_id, {owner}, movie_id)")
        else:
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
    columns = COLUMNS.format(owner=owner)
    op.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_old")
    op.drop_table(f"{table}_old")
