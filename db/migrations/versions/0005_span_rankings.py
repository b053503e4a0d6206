"""rankings over spans and the movies behind every figure

The yearly tables gain `with_popularity` (what a span's averagePopularity divides by);
`company_totals` and `genre_totals` hold each entity's figures over all its years;
`company_movies` and `genre_movies` list the movies behind each company-year and genre-year.
Names and titles compare by code point on PostgreSQL too (`COLLATE "C"`). Every version
already stored gets its new rows, computed as a load computes them (db.precompute).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

YEARLY = {  # yearly table: (its key beyond version_id and year, the link it is computed through)
    "year_totals": (None, None),
    "genre_years": ("genre_id", "movie_genres"),
    "company_years": ("company_id", "movie_companies"),
}
TOTALS = {
    "company_totals": ("company_id", "company_years", "companies"),
    "genre_totals": ("genre_id", "genre_years", "genres"),
}
MOVIE_LISTS = {"company_movies": ("company_id", "movie_companies"), "genre_movies": ("genre_id", "movie_genres")}
CODE_POINT_COLUMNS = {"movies": "title", "companies": "name", "genres": "name"}
METRICS = ("releases", "budget", "revenue", "profit", "average_popularity", "total_popularity")
SPAN = (
    "count(*), CAST(sum(y.releases) AS INTEGER), CAST(sum(y.budget) AS BIGINT), CAST(sum(y.revenue) AS BIGINT), "
    "CAST(sum(y.profit) AS BIGINT), CAST(sum(y.with_budget) AS INTEGER), CAST(sum(y.with_revenue) AS INTEGER), "
    "CAST(sum(y.with_both) AS INTEGER), CAST(sum(y.with_popularity) AS INTEGER), "
    "CAST(sum(CAST(y.total_popularity AS NUMERIC)) AS DOUBLE PRECISION) / NULLIF(sum(y.with_popularity), 0), "
    "CAST(sum(CAST(y.total_popularity AS NUMERIC)) AS DOUBLE PRECISION)"
)
FIGURES = (
    "releases, budget, revenue, profit, with_budget, with_revenue, with_both, with_popularity, "
    "average_popularity, total_popularity"
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _best_first(column: str) -> sa.TextClause:
    # SQLite puts NULLs last when descending, and refuses NULLS LAST in an index.
    return sa.text(f"{column} DESC NULLS LAST" if _postgresql() else f"{column} DESC")


def upgrade() -> None:
    postgresql = _postgresql()
    if postgresql:
        for table, column in CODE_POINT_COLUMNS.items():
            op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE text COLLATE "C"')
    for table, (owner, link) in YEARLY.items():
        op.add_column(table, sa.Column("with_popularity", sa.Integer(), server_default="0", nullable=False))
        _count_known_popularities(table, owner, link)
    op.create_index("company_years_by_year", "company_years", ["version_id", "year"])
    op.create_index("movies_by_popularity", "movies", ["version_id", _best_first("popularity"), "id"])
    op.create_index("movies_by_year", "movies", ["version_id", "release_year"])
    name_type = sa.Text(collation="C") if postgresql else sa.Text()
    partitioned: dict[str, Any] = {"postgresql_partition_by": "LIST (version_id)"}
    for table, (owner, _, _) in TOTALS.items():
        op.create_table(
            table,
            sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column(owner, sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("name", name_type, nullable=False),
            sa.Column("years", sa.Integer(), nullable=False),
            sa.Column("releases", sa.Integer(), nullable=False),
            sa.Column("budget", sa.BigInteger(), nullable=True),
            sa.Column("revenue", sa.BigInteger(), nullable=True),
            sa.Column("profit", sa.BigInteger(), nullable=True),
            sa.Column("with_budget", sa.Integer(), nullable=False),
            sa.Column("with_revenue", sa.Integer(), nullable=False),
            sa.Column("with_both", sa.Integer(), nullable=False),
            sa.Column("average_popularity", sa.Float(), nullable=True),
            sa.Column("total_popularity", sa.Float(), nullable=True),
            sa.Column("with_popularity", sa.Integer(), server_default="0", nullable=False),
            sa.Column("ranking_size", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("version_id", owner),
            **partitioned,
        )
    for metric in METRICS:
        op.create_index(
            f"company_totals_by_{metric}", "company_totals", ["version_id", _best_first(metric), "name", "company_id"]
        )
    for table, (owner, _) in MOVIE_LISTS.items():
        op.create_table(
            table,
            sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column(owner, sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("movie_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("year", sa.Integer(), nullable=True),
            sa.Column("popularity", sa.Numeric(asdecimal=False) if postgresql else sa.Float(), nullable=True),
            sa.PrimaryKeyConstraint("version_id", owner, "movie_id"),
            **partitioned,
        )
        op.create_index(f"{table}_by_year", table, ["version_id", owner, "year", "movie_id"])
    versions = op.get_bind().exec_driver_sql("SELECT id FROM dataset_versions WHERE status <> 'loading'").scalars()
    for version_id in list(versions):
        _fill(int(version_id), postgresql)


def _count_known_popularities(table: str, owner: str | None, link: str | None) -> None:
    """Backfill `with_popularity` of every stored version from its movies."""
    if owner is None:
        source = "SELECT m.version_id, m.release_year AS year, count(m.popularity) AS n FROM movies m GROUP BY 1, 2"
        match = ""
    else:
        source = (
            f"SELECT l.version_id, l.{owner}, m.release_year AS year, count(m.popularity) AS n FROM {link} l "
            "JOIN movies m ON m.version_id = l.version_id AND m.id = l.movie_id GROUP BY 1, 2, 3"
        )
        match = f" AND k.{owner} = {table}.{owner}"
    op.execute(
        f"UPDATE {table} SET with_popularity = k.n FROM ({source}) k "
        f"WHERE k.version_id = {table}.version_id AND k.year = {table}.year{match}"
    )


def _fill(version_id: int, postgresql: bool) -> None:
    """The new tables' rows of one stored version (and, on PostgreSQL, its partitions)."""
    v = int(version_id)
    if postgresql:
        for table in (*TOTALS, *MOVIE_LISTS):
            op.execute(f"CREATE TABLE {table}_v{v} PARTITION OF {table} FOR VALUES IN ({v})")
    for table, (owner, link) in MOVIE_LISTS.items():
        op.execute(
            f"INSERT INTO {table} (version_id, {owner}, movie_id, year, popularity) "
            f"SELECT {v}, l.{owner}, l.movie_id, m.release_year, m.popularity "
            f"FROM {link} l JOIN movies m ON m.version_id = l.version_id AND m.id = l.movie_id WHERE l.version_id = {v}"
        )
    for table, (owner, yearly, entity) in TOTALS.items():
        op.execute(
            f"INSERT INTO {table} (version_id, {owner}, name, years, {FIGURES}, ranking_size) "
            f"SELECT {v}, y.{owner}, e.name, {SPAN}, count(*) OVER () "
            f"FROM {yearly} y JOIN {entity} e ON e.version_id = y.version_id AND e.id = y.{owner} "
            f"WHERE y.version_id = {v} GROUP BY y.{owner}, e.name"
        )


def downgrade() -> None:
    for table in (*MOVIE_LISTS, *TOTALS):
        op.drop_table(table)  # with its partitions
    op.drop_index("movies_by_year", "movies")
    op.drop_index("movies_by_popularity", "movies")
    op.drop_index("company_years_by_year", "company_years")
    for table in YEARLY:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("with_popularity")
    if _postgresql():
        for table, column in CODE_POINT_COLUMNS.items():
            op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE text COLLATE pg_catalog."default"')
