"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "id"),
    )
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.create_index("companies_by_name", ["version_id", "name", "id"], unique=False)

    op.create_table(
        "company_year_genres",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("company_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("genre_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("releases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "company_id", "year", "genre_id"),
    )
    op.create_table(
        "company_years",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("company_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("releases", sa.Integer(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=True),
        sa.Column("revenue", sa.BigInteger(), nullable=True),
        sa.Column("profit", sa.BigInteger(), nullable=True),
        sa.Column("with_budget", sa.Integer(), nullable=False),
        sa.Column("with_revenue", sa.Integer(), nullable=False),
        sa.Column("with_both", sa.Integer(), nullable=False),
        sa.Column("average_popularity", sa.Float(), nullable=True),
        sa.Column("total_popularity", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("version_id", "company_id", "year"),
    )
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("records", sa.Integer(), server_default="0", nullable=False),
        sa.Column("loaded", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("duplicates", sa.Integer(), server_default="0", nullable=False),
        sa.Column("movies", sa.Integer(), server_default="0", nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.create_index(
            "one_live_version",
            ["status"],
            unique=True,
            postgresql_where=sa.text("status = 'live'"),
            sqlite_where=sa.text("status = 'live'"),
        )

    op.create_table(
        "genre_years",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("genre_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("releases", sa.Integer(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=True),
        sa.Column("revenue", sa.BigInteger(), nullable=True),
        sa.Column("profit", sa.BigInteger(), nullable=True),
        sa.Column("with_budget", sa.Integer(), nullable=False),
        sa.Column("with_revenue", sa.Integer(), nullable=False),
        sa.Column("with_both", sa.Integer(), nullable=False),
        sa.Column("average_popularity", sa.Float(), nullable=True),
        sa.Column("total_popularity", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("version_id", "genre_id", "year"),
    )
    with op.batch_alter_table("genre_years", schema=None) as batch_op:
        batch_op.create_index("genre_years_by_year", ["version_id", "year"], unique=False)

    op.create_table(
        "genres",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "id"),
    )
    op.create_table(
        "movie_companies",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("movie_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("company_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("version_id", "movie_id", "company_id"),
    )
    op.create_table(
        "movie_genres",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("movie_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("genre_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("version_id", "movie_id", "genre_id"),
    )
    op.create_table(
        "movies",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("original_title", sa.Text(), nullable=True),
        sa.Column("imdb_id", sa.Text(), nullable=True),
        sa.Column("original_language", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("release_date", sa.String(length=10), nullable=True),
        sa.Column("release_year", sa.Integer(), nullable=True),
        sa.Column("budget", sa.BigInteger(), nullable=True),
        sa.Column("revenue", sa.BigInteger(), nullable=True),
        sa.Column("popularity", sa.Float(), nullable=True),
        sa.Column("runtime", sa.Float(), nullable=True),
        sa.Column("vote_average", sa.Float(), nullable=True),
        sa.Column("vote_count", sa.Integer(), nullable=True),
        sa.Column("adult", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("version_id", "id"),
    )
    op.create_table(
        "rejections",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "line"),
    )
    op.create_table(
        "year_totals",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("releases", sa.Integer(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=True),
        sa.Column("revenue", sa.BigInteger(), nullable=True),
        sa.Column("profit", sa.BigInteger(), nullable=True),
        sa.Column("with_budget", sa.Integer(), nullable=False),
        sa.Column("with_revenue", sa.Integer(), nullable=False),
        sa.Column("with_both", sa.Integer(), nullable=False),
        sa.Column("average_popularity", sa.Float(), nullable=True),
        sa.Column("total_popularity", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("version_id", "year"),
    )


def downgrade() -> None:
    op.drop_table("year_totals")
    op.drop_table("rejections")
    op.drop_table("movies")
    op.drop_table("movie_genres")
    op.drop_table("movie_companies")
    op.drop_table("genres")
    with op.batch_alter_table("genre_years", schema=None) as batch_op:
        batch_op.drop_index("genre_years_by_year")

    op.drop_table("genre_years")
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "one_live_version", postgresql_where=sa.text("status = 'live'"), sqlite_where=sa.text("status = 'live'")
        )

    op.drop_table("dataset_versions")
    op.drop_table("company_years")
    op.drop_table("company_year_genres")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_index("companies_by_name")

    op.drop_table("companies")
