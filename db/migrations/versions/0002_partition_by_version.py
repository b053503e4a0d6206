"""partition the data tables by version (PostgreSQL)

Each data table becomes `PARTITION BY LIST (version_id)`, and every version already stored
moves into a partition of its own, named `<table>_v<id>` as db.partitions names them. SQLite
has no partitions and is left as it is.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The data tables as revision 0001 made them: primary key, and secondary indexes by name.
TABLES: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, ...]]]] = {
    "rejections": (("version_id", "line"), {}),
    "movies": (("version_id", "id"), {}),
    "genres": (("version_id", "id"), {}),
    "companies": (("version_id", "id"), {"companies_by_name": ("version_id", "name", "id")}),
    "movie_genres": (("version_id", "movie_id", "genre_id"), {}),
    "movie_companies": (("version_id", "movie_id", "company_id"), {}),
    "year_totals": (("version_id", "year"), {}),
    "genre_years": (("version_id", "genre_id", "year"), {"genre_years_by_year": ("version_id", "year")}),
    "company_years": (("version_id", "company_id", "year"), {}),
    "company_year_genres": (("version_id", "company_id", "year", "genre_id"), {}),
}
OLD = "{}_unpartitioned"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (key, indexes) in TABLES.items():
        _set_aside(table, indexes)
        op.execute(f"CREATE TABLE {table} (LIKE {OLD.format(table)} INCLUDING DEFAULTS) PARTITION BY LIST (version_id)")
        _add_keys(table, key, indexes)
        # Every version gets all its partitions, as a load makes them, even where it has no rows.
        versions = op.get_bind().exec_driver_sql(
            f"SELECT id FROM dataset_versions UNION SELECT version_id FROM {OLD.format(table)}"
        )
        for version_id in versions.scalars():
            partition = f"{table}_v{int(version_id)}"
            op.execute(f"CREATE TABLE {partition} (LIKE {table} INCLUDING DEFAULTS)")
            op.execute(
                f"INSERT INTO {partition} SELECT * FROM {OLD.format(table)} WHERE version_id = {int(version_id)}"
            )
            op.execute(f"ALTER TABLE {table} ATTACH PARTITION {partition} FOR VALUES IN ({int(version_id)})")
        op.execute(f"DROP TABLE {OLD.format(table)}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (key, indexes) in TABLES.items():
        _set_aside(table, indexes)
        op.execute(f"CREATE TABLE {table} (LIKE {OLD.format(table)} INCLUDING DEFAULTS)")
        op.execute(f"INSERT INTO {table} SELECT * FROM {OLD.format(table)}")
        _add_keys(table, key, indexes)
        op.execute(f"DROP TABLE {OLD.format(table)}")  # with its partitions


def _set_aside(table: str, indexes: dict[str, tuple[str, ...]]) -> None:
    """Rename a table and its key and indexes out of the way of the new one."""
    op.execute(f"ALTER TABLE {table} RENAME TO {OLD.format(table)}")
    op.execute(f"ALTER TABLE {OLD.format(table)} RENAME CONSTRAINT {table}_pkey TO {OLD.format(table)}_pkey")
    for name in indexes:
        op.execute(f"ALTER INDEX {name} RENAME TO {OLD.format(name)}")


def _add_keys(table: str, key: tuple[str, ...], indexes: dict[str, tuple[str, ...]]) -> None:
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({', '.join(key)})")
    for name, columns in indexes.items():
        op.execute(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})")
