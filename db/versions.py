"""Dataset versions: create, find, promote, roll back and prune them.

Exactly one version is live. Going live is a status change of two rows in one transaction,
so readers see the old version or the new one, never a mix, and nothing is copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from db import locks, partitions, staging
from db.tables import LIVE, LOADING, RETIRED, STAGED, dataset_versions


class VersionError(Exception):
    """A version command cannot be carried out (unknown version, nothing to roll back to...)."""


@dataclass(frozen=True, slots=True)
class Version:
    """One row of `dataset_versions`."""

    id: int
    status: str
    mode: str
    source_name: str
    source_sha256: str
    base_version_id: int | None
    loaded_at: datetime
    promoted_at: datetime | None
    records: int
    loaded: int
    rejected: int
    duplicates: int
    movies: int
    warnings: dict[str, int]
    checks: list[dict[str, Any]]

    @classmethod
    def from_row(cls, row: Any) -> Version:
        """Build from a `dataset_versions` row."""
        values = dict(row._mapping)
        for key in ("loaded_at", "promoted_at"):  # SQLite hands back naive datetimes
            if values[key] is not None and values[key].tzinfo is None:
                values[key] = values[key].replace(tzinfo=UTC)
        return cls(**values)

    @property
    def failed_checks(self) -> list[dict[str, Any]]:
        """The go-live checks this version failed when it was loaded."""
        return [check for check in self.checks if not check.get("passed")]


def now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def create_version(
    connection: Connection, *, mode: str, source_name: str, source_sha256: str, base_version_id: int | None
) -> int:
    """Insert a version that is being loaded (`loading`): no reader uses it until its load stages it."""
    result = connection.execute(
        insert(dataset_versions).values(
            status=LOADING,
            mode=mode,
            source_name=source_name,
            source_sha256=source_sha256,
            base_version_id=base_version_id,
            loaded_at=now(),
            warnings={},
            checks=[],
        )
    )
    key = result.inserted_primary_key
    assert key is not None  # an INSERT of one row
    return int(key[0])


def finish_version(connection: Connection, version_id: int, **values: Any) -> None:
    """Record a load's figures and final status on its version row."""
    connection.execute(update(dataset_versions).where(dataset_versions.c.id == version_id).values(**values))


def live_version_id(connection: Connection, *, lock: bool = False) -> int | None:
    """The id of the live version, or None before the first load.

    `lock`: no other transaction changes which version is live until this one ends (PostgreSQL
    locks the row; SQLite's write lock, which a load holds, already keeps every other writer out).
    """
    query = select(dataset_versions.c.id).where(dataset_versions.c.status == LIVE)
    return connection.execute(query.with_for_update() if lock else query).scalar()


def get_version(connection: Connection, version_id: int) -> Version:
    """One version; VersionError when there is no such version."""
    row = connection.execute(select(dataset_versions).where(dataset_versions.c.id == version_id)).first()
    if row is None:
        raise VersionError(f"There is no dataset version {version_id}. Run `movie-stats datasets` to list them.")
    return Version.from_row(row)


def list_versions(connection: Connection) -> list[Version]:
    """Every version, newest first."""
    rows = connection.execute(select(dataset_versions).order_by(dataset_versions.c.id.desc()))
    return [Version.from_row(row) for row in rows]


def latest_staged_id(connection: Connection) -> int | None:
    """The newest staged version, if any."""
    return connection.execute(
        select(func.max(dataset_versions.c.id)).where(dataset_versions.c.status == STAGED)
    ).scalar()


class FailedChecks(VersionError):
    """The version failed its go-live checks; promoting it takes --force."""


def promote(connection: Connection, version_id: int, *, force: bool = False) -> int | None:
    """Make a version live; the live one retires. Returns the previously live id.

    A version that failed its checks stays out unless forced (FailedChecks).
    """
    target = get_version(connection, version_id)
    if target.status == LIVE:
        return version_id
    if target.status not in (STAGED, RETIRED):
        raise VersionError(f"Version {version_id} is {target.status}; only staged or retired versions can go live.")
    failed = target.failed_checks
    if failed and not force:
        reasons = "; ".join(f"{check['name']}: {check['detail']}" for check in failed)
        raise FailedChecks(
            f"Version {version_id} failed its checks ({reasons}). "
            f"Run `movie-stats promote {version_id} --force` to take it live anyway."
        )
    previous = live_version_id(connection)
    table = dataset_versions
    connection.execute(update(table).where(table.c.status == LIVE).values(status=RETIRED))
    connection.execute(update(table).where(table.c.id == version_id).values(status=LIVE, promoted_at=now()))
    return previous


def rollback(connection: Connection) -> tuple[int | None, int]:
    """Make the most recently live other version live again; returns (from, to), from None when none was live."""
    current = live_version_id(connection)
    previous = _rollback_target(connection, current)
    if previous is None:
        raise VersionError("There is no previously live version to roll back to.")
    promote(connection, previous, force=True)  # it was live before: its checks were settled then
    return current, previous


def _rollback_target(connection: Connection, current: int | None) -> int | None:
    """The most recently live version other than `current`: what `rollback` takes live."""
    table = dataset_versions
    query = select(table.c.id).where(table.c.status == RETIRED, table.c.promoted_at.is_not(None))
    if current is not None:
        query = query.where(table.c.id != current)
    previous = connection.execute(query.order_by(table.c.promoted_at.desc(), table.c.id.desc()).limit(1)).scalar()
    return None if previous is None else int(previous)


def prune(connection: Connection, keep: int) -> list[int]:
    """Delete all but the newest `keep` versions; the live version, and the one `rollback` would take live, always stay.

    Versions being loaded neither count nor go: their load, or `remove_abandoned`, settles them.
    """
    versions = [version for version in list_versions(connection) if version.status != LOADING]
    live = {v.id for v in versions if v.status == LIVE}
    kept = {v.id for v in versions[:keep]} | live | {_rollback_target(connection, next(iter(live), None))}
    doomed = sorted(v.id for v in versions if v.id not in kept)
    delete_versions(connection, doomed)
    return doomed


def delete_versions(connection: Connection, version_ids: list[int]) -> None:
    """Remove versions and all their rows."""
    if not version_ids:
        return
    partitions.remove_rows(connection, version_ids)
    connection.execute(delete(dataset_versions).where(dataset_versions.c.id.in_(version_ids)))


def remove_abandoned(connection: Connection) -> list[int]:
    """Remove the versions left `loading` by loads that died or failed; the caller holds the import lock.

    Only a load that commits as it goes (db.postgres_load) leaves a version `loading`: it
    commits its version's tables, unattached, and its staging tables before it builds the
    version, so one killed after that leaves them behind, invisible to readers; one that fails
    after that calls this itself. With the lock held, no version left `loading` is still being
    loaded. Returns the ids removed: none when the tables are busy for now (PartitionsBusy).
    """
    abandoned = _loading_ids(connection)
    if abandoned:
        try:
            with connection.begin_nested():
                delete_versions(connection, abandoned)
        except partitions.PartitionsBusy:
            return []
        for version_id in abandoned:
            staging.drop_staging(connection, staging.Staging.for_version(version_id))
    return abandoned


def remove_abandoned_if_idle(engine: Engine) -> list[int]:
    """`remove_abandoned`, unless an import is running: what every command does first.

    A load in one transaction (db.sqlite_load) never leaves a version `loading` for others to see.
    """
    with engine.connect() as connection:
        if not _loading_ids(connection):
            return []
        connection.rollback()
        try:
            with locks.import_lock(connection, wait=False), connection.begin():
                return remove_abandoned(connection)
        except locks.ImportBusy:
            return []  # its own version is `loading`, and the others wait for it to finish


def _loading_ids(connection: Connection) -> list[int]:
    return list(connection.execute(select(dataset_versions.c.id).where(dataset_versions.c.status == LOADING)).scalars())
