"""The dataset versions kept and what each load rejected, in file order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from db.api_database import Database
from db.tables import LOADING, dataset_versions, rejections
from db.versions import Version, list_versions
from resolvers import cursors

_CURSOR = "line"


@dataclass(frozen=True, slots=True)
class RejectionPage:
    """One page of a version's rejections (`line`, `reason` rows)."""

    total_count: int
    nodes: Sequence[Row[*tuple[Any, ...]]]
    has_next_page: bool
    end_cursor: str | None


async def kept_versions(db: Database) -> list[Version]:
    """Every version live, staged or retired, newest first (not those still loading)."""
    return [version for version in await db.run(list_versions) if version.status != LOADING]


def rejection_page(connection: Connection, version_id: int, first: int, after: str | None) -> RejectionPage:
    """The rejected records of a version after the cursor's line, by line (file order)."""
    of_version = rejections.c.version_id == version_id
    query = select(rejections.c.line, rejections.c.reason).where(of_version)
    if after is not None:
        (line,) = cursors.decode(after, _CURSOR, ((int,),))
        query = query.where(rejections.c.line > line)
    rows = connection.execute(query.order_by(rejections.c.line).limit(first + 1)).all()
    nodes = rows[:first]
    counted = select(dataset_versions.c.rejected).where(dataset_versions.c.id == version_id)  # at load time
    total = connection.execute(counted).scalar_one()
    end = cursors.encode(_CURSOR, nodes[-1].line) if nodes else None
    return RejectionPage(total, nodes, len(rows) > first, end)


async def rejections_of(db: Database, *, version_id: int, first: int, after: str | None) -> RejectionPage:
    """One page of a version's rejections."""
    return await db.run(rejection_page, version_id, first, after)
