"""Read replicas: the API's reads go to PostgreSQL standbys that already have the live version.

Each replica has its own engine and its own live-version watcher (db.live_version polls a hot
standby). An answer on version V is computed on a replica whose watcher has seen V live, and
therefore holds all of V's rows (they were committed before the promote that made V live, and
a standby replays commits in order). When no replica has V yet (it lags behind a promote, or
is down), the answer is computed on the primary instead: every answer is the live version's,
from a store that has all of it, and replicas take the load again once they catch up.
Replicas are picked in turn.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from app.database import open_database
from db.api_database import Database
from db.live_version import LiveVersionWatcher, watch_live_version
from db.replication import current_wal_lsn, lag_bytes, replay_position

logger = logging.getLogger("movie_stats.replicas")


@dataclass(frozen=True, slots=True)
class Replica:
    """One standby the API reads from."""

    name: str  # host:port/database, never the password
    db: Database
    live: LiveVersionWatcher


class ReadRouter:
    """Chooses the database an answer on a given version is computed on."""

    def __init__(self, primary: Database, replicas: list[Replica]) -> None:
        self.primary = primary
        self.replicas = replicas
        self._turn = itertools.count()

    def database_for(self, version_id: int) -> Database:
        """A replica that has seen `version_id` live, in turn; else the primary."""
        if self.replicas:
            ready = [
                r
                for r in self.replicas
                if r.live.known and r.live.last_error is None and r.live.current() == version_id
            ]
            if ready:
                return ready[next(self._turn) % len(ready)].db
        return self.primary

    async def status(self) -> list[dict[str, Any]]:
        """Each replica's lag behind the primary, for /readyz."""
        if not self.replicas:
            return []
        primary_lsn = await self.primary.run(current_wal_lsn)
        return [await self._status(replica, primary_lsn) for replica in self.replicas]

    async def _status(self, replica: Replica, primary_lsn: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": replica.name, "live_version": replica.live.current()}
        try:
            position = await replica.db.run(replay_position)
            behind = None
            if position.replay_lsn is not None:
                behind = await self.primary.run(lag_bytes, primary_lsn, position.replay_lsn)
        except Exception as error:  # noqa: BLE001 - an unreachable replica is reported, and not read from
            return entry | {"ok": False, "error": f"{error.__class__.__name__}: {error}"}
        return entry | {
            "ok": position.standby and replica.live.last_error is None,
            "standby": position.standby,
            "lag_bytes": behind,
            "seconds_since_last_replay": position.seconds_since_last_replay,
        }

    def start(self) -> None:
        """Start every replica's watcher (each waits briefly for its first read)."""
        for replica in self.replicas:
            replica.live.start()

    def close(self) -> None:
        """Stop the watchers and close the replicas' connections."""
        for replica in self.replicas:
            replica.live.close()
            replica.db.dispose()


def open_read_router(
    primary: Database, urls: list[str], *, statement_timeout_ms: int, max_connections: int
) -> ReadRouter:
    """A router over the replicas at `urls` (none: every read goes to the primary)."""
    replicas = []
    for url in urls:
        db = open_database(url, statement_timeout_ms=statement_timeout_ms, max_connections=max_connections)
        parsed = make_url(url)
        replicas.append(
            Replica(f"{parsed.host}:{parsed.port or 5432}/{parsed.database}", db, watch_live_version(db.engine))
        )
    return ReadRouter(primary, replicas)
