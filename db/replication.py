"""Where a PostgreSQL streaming replica stands against its primary (for /readyz)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection


@dataclass(frozen=True, slots=True)
class ReplayPosition:
    """How far a standby has replayed the primary's WAL."""

    standby: bool  # False: the server is not a replica at all (pg_is_in_recovery() is false)
    replay_lsn: str | None
    seconds_since_last_replay: float | None  # grows while the primary is idle too; read with lag_bytes


def current_wal_lsn(connection: Connection) -> str:
    """The primary's current write position."""
    lsn: str = connection.exec_driver_sql("SELECT pg_current_wal_lsn()::text").scalar_one()
    return lsn


def replay_position(connection: Connection) -> ReplayPosition:
    """The standby's replay position and the age of the last transaction it replayed."""
    standby, lsn, seconds = connection.exec_driver_sql(
        "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
        "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8"
    ).one()
    return ReplayPosition(standby, lsn, seconds)


def lag_bytes(connection: Connection, primary_lsn: str, replay_lsn: str) -> int:
    """Bytes of WAL between the primary's position and a standby's replay position."""
    statement = text("SELECT pg_wal_lsn_diff(CAST(:primary AS pg_lsn), CAST(:replay AS pg_lsn))")
    return max(0, int(connection.execute(statement, {"primary": primary_lsn, "replay": replay_lsn}).scalar_one()))
