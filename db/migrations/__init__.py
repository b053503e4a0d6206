"""Alembic migrations; applied by `db.migrate.upgrade`, which every CLI command calls."""
