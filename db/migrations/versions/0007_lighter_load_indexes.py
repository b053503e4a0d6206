"""lighter indexes to build at each load: three precomputed tables lose their primary keys,
and their indexes leave out version_id on PostgreSQL

`company_movies`, `genre_movies` and `company_year_genres` are read only through a range of
their entity-years, so a key of every column cost each load more than it served: the movie
lists keep their year index, without its trailing movie id, and company_year_genres gets an
index of its key's columns instead. On PostgreSQL each version is a partition of its own,
where version_id is the same on every row, and an index led by it costs each load more to
build (db.tables): with no key left on these tables, their indexes leave it out there, as
does `movies_by_popularity`, which cost four times as much with it.

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
        ("company_year_genres_by_company_year", None, "company_id, year, genre_id"),
        "version_id, company_id, year, genre_id",
    ),
}

_POPULARITY = "popularity DESC NULLS LAST, id"


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
        op.execute("DROP INDEX movies_by_popularity")  # with its partitions' indexes
        op.execute(f"CREATE INDEX movies_by_popularity ON movies ({_POPULARITY})")


def downgrade() -> None:
    postgresql = _postgresql()
    if postgresql:
        op.execute("DROP INDEX movies_by_popularity")
        op.execute(f"CREATE INDEX movies_by_popularity ON movies (version_id, {_POPULARITY})")
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
