"""store movie popularity as an exact decimal (PostgreSQL)

The precompute sums popularities as exact decimals, so that no figure depends on the order a
query plan reads the movies in (data rule 14). It used to convert every float to `numeric` as
it summed, once per movie and per genre or company link: a third of the time of the yearly
tables. Stored as `numeric`, each value is converted once, by COPY. SQLite sums floats and is
left as it is.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # On the partitioned table: PostgreSQL rewrites every version's partition.
        op.execute("ALTER TABLE movies ALTER COLUMN popularity TYPE numeric USING popularity::numeric")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE movies ALTER COLUMN popularity TYPE double precision USING popularity::double precision"
        )
