"""Schema migrations, applied automatically so an operator never runs alembic by hand."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config() -> Config:
    """An Alembic config pointing at this package's migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", "db:migrations")
    return config


def upgrade(engine: Engine) -> bool:
    """Bring the schema to the newest revision; returns True when anything was applied."""
    config = alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return False
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return True
