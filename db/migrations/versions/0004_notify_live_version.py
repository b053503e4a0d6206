"""notify listeners when dataset_versions changes (PostgreSQL)

Every API process keeps the live version id in memory (db.live_version). A statement-level
trigger on dataset_versions sends a notification when a promote, a rollback or a load going
live commits, so each process re-reads the id at once instead of once per request. SQLite
needs nothing: its watcher reads PRAGMA data_version.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from db.live_version import DROP_NOTIFY_TRIGGER_SQL, NOTIFY_TRIGGER_SQL

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in NOTIFY_TRIGGER_SQL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DROP_NOTIFY_TRIGGER_SQL:
            op.execute(statement)
