"""The dataset version a request reads, and `Version`, the row the schema turns into a Dataset."""

from __future__ import annotations

from db.api_database import Database
from db.versions import Version, VersionError, get_version, list_versions

__all__ = ["Version", "find_version", "list_all_versions"]


async def find_version(db: Database, version_id: int) -> Version | None:
    """One version row, or None when there is no such version."""
    try:
        return await db.run(get_version, version_id)
    except VersionError:
        return None


async def list_all_versions(db: Database) -> list[Version]:
    """Every version, newest first."""
    return await db.run(list_versions)
