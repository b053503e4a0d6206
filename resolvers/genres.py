"""Genres: the list of a version and lookups by id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from db.api_database import Database
from db.tables import genres


async def list_genres(db: Database, *, version_id: int) -> list[Row[*tuple[Any, ...]]]:
    """Every genre of a version, by name then id."""
    return await db.run(_all_genres, version_id)


def _all_genres(connection: Connection, version_id: int) -> list[Row[*tuple[Any, ...]]]:
    query = select(genres.c.id, genres.c.name).where(genres.c.version_id == version_id)
    return list(connection.execute(query.order_by(genres.c.name, genres.c.id)))


def genres_by_id(connection: Connection, version_id: int, ids: Sequence[int]) -> dict[int, Row[*tuple[Any, ...]]]:
    """Genres of a version by id."""
    query = select(genres.c.id, genres.c.name).where(genres.c.version_id == version_id, genres.c.id.in_(ids))
    return {row.id: row for row in connection.execute(query)}
