"""Version-pinned and unpinned GET answers: what HTTP caches may keep, and for how long.

An answer pinned to a version (`?dataset=N`) can never change: a version's tables are never
written once it is staged, and no id is given twice (PostgreSQL's sequence counts up; on
SQLite the next id is the highest plus one, and prune always keeps the newest version). So
every cache on the way may keep it for a year. An unpinned answer follows
the live version, which a promote or rollback moves: it stays fresh briefly, and names the
version that answered and the pinned URL of the same answer, so a client or CDN can switch
to the immutable form.
"""

from __future__ import annotations

from db.tables import LOADING
from db.versions import Version

IMMUTABLE = "public, max-age=31536000, immutable"
GRAPHQL_PATH = "/graphql"
DATASET_VERSION_HEADER = "dataset-version"


def unpinned_cache_control(max_age_seconds: int) -> str:
    """Brief freshness; caches may serve a stale copy as long again while they refetch it."""
    return f"public, max-age={max_age_seconds}, stale-while-revalidate={max_age_seconds}"


def pinned_location(query_string: bytes, version_id: int, path: str = GRAPHQL_PATH) -> str:
    """The URL of the same GET pinned to `version_id` (for `Content-Location`)."""
    query = query_string.decode("latin-1")
    return f"{path}?{query}{'&' if query else ''}dataset={version_id}"


def missing_version_message(asked: str, existing: list[Version]) -> str:
    """Why `?dataset=` found nothing, and which versions can be asked for instead."""
    readable = [f"{version.id} ({version.status})" for version in existing if version.status != LOADING]
    listed = ", ".join(readable) if readable else "none yet"
    return f"There is no dataset version {asked!r} (pruned, or never loaded); versions that exist: {listed}."
