"""The load seam: the steps that turn clean rows into a dataset version, one implementation a store.

`importer.pipeline` drives a load through these steps and never asks which store it is on:
`db.sqlite_load` runs them in one transaction, `db.postgres_load` over several connections
committing as it goes, and `db.script_load` writes them as a psql script. Which one a load
gets is chosen once, where the store is opened (`db.engine.open_load`).

A load is used as a context manager: entering it takes the import lock (ImportBusy when it
is taken and the load does not wait); leaving it normally makes the load's work permanent,
and leaving it on an error abandons it, so readers never see part of a version.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from db import versions
from db.build import BuildCounts
from db.diff import movies_dropped
from db.staging import EncodedRows, Encoder
from db.tables import LIVE, STAGED
from db.tables import metadata as store
from db.versions import Version

StagingRows = Sequence[tuple[str, Sequence[str], EncodedRows]]  # (staging table, columns, rows)
REJECTION_COLUMNS = ("line", "reason")  # plus the version id, which the load adds


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a load records on its version once built: the figures, the checks, and whether it goes live."""

    figures: Mapping[str, object]  # records, loaded, rejected, duplicates, movies, warnings
    checks: list[dict[str, Any]]  # as importer.checks.CheckResult.as_dict gives them
    stage_only: bool = False
    force: bool = False

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(check["passed"] for check in self.checks)

    @property
    def goes_live(self) -> bool:
        """Whether the version goes live: unless staged on purpose, when it passed its checks or is forced."""
        return not self.stage_only and (self.force or self.passed)


class VersionLoad(ABC):
    """One load of a file into a new version of one store, step by step."""

    # How the staging rows of a batch are encoded before `write_batch` (in worker processes too).
    encode: Encoder = list
    # Whether the version's tables are kept apart while loading, to be attached (`attach`) at the end.
    attaches: bool = False

    def __init__(self, *, wait_for_lock: bool) -> None:
        self.wait_for_lock = wait_for_lock
        self.version_id: int | None = None

    def __enter__(self) -> VersionLoad:
        self.begin()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if error is None:
            self.commit()
        else:
            self.abandon()

    @abstractmethod
    def begin(self) -> None:
        """Take the import lock and start the load (ImportBusy when taken and not waiting)."""

    @abstractmethod
    def commit(self) -> None:
        """Make what the load did permanent, and release the lock."""

    @abstractmethod
    def abandon(self) -> None:
        """Undo what the load did, as far as it can (the next command removes the rest), and release the lock."""

    @abstractmethod
    def live_version(self) -> Version | None:
        """The live version, which an incremental load copies and a full one is checked against."""

    @abstractmethod
    def live_version_id(self) -> int | None:
        """The id of the live version now, which no promote or rollback changes until the load ends."""

    @abstractmethod
    def create_version(
        self, *, mode: str, source_name: str, source_sha256: str, base_version_id: int | None
    ) -> int | None:
        """Create the version (`loading`), its tables and the staging tables; its id, if known before the load runs."""

    @abstractmethod
    def write_batch(self, tables: StagingRows, rejections: Sequence[tuple[int, str]]) -> None:
        """Stage a batch's clean rows (encoded by `encode`) and store its rejections, as (line, reason)."""

    @abstractmethod
    def build(self, base_version_id: int | None) -> BuildCounts:
        """Fill the version from staging (upserting into a copy of the base version), and drop staging."""

    @abstractmethod
    def precompute(self) -> None:
        """Fill the version's precomputed tables."""

    def attach(self) -> None:
        """Make the version's tables part of the data tables, where the load kept them apart (`attaches`)."""
        raise NotImplementedError(f"{type(self).__name__} writes into the data tables: it has nothing to attach")

    @abstractmethod
    def table_rows(self, tables: Sequence[str]) -> dict[str, int]:
        """Whether each table has rows of the version (1 or 0)."""

    @abstractmethod
    def movies_dropped(self, live_version_id: int) -> int:
        """How many movie ids of the live version the new version lacks."""

    @abstractmethod
    def finish(self, outcome: Outcome) -> str:
        """Record the outcome on the version, and take it live if it goes live; the status it ends with."""


class DatabaseLoad(VersionLoad):
    """The steps that read and write the version row alike on every database (the others are the store's own)."""

    def __init__(self, engine: Engine, *, wait_for_lock: bool) -> None:
        super().__init__(wait_for_lock=wait_for_lock)
        self.engine = engine
        self._connection: Connection | None = None

    @property
    def connection(self) -> Connection:
        """The connection that holds the import lock, and runs every step that is not spread over others."""
        assert self._connection is not None, "the load has not begun"
        return self._connection

    @property
    def id(self) -> int:
        """The id of the version being loaded."""
        assert self.version_id is not None, "the load has created no version yet"
        return self.version_id

    def live_version(self) -> Version | None:
        live_id = versions.live_version_id(self.connection)
        return versions.get_version(self.connection, live_id) if live_id is not None else None

    def live_version_id(self) -> int | None:
        return versions.live_version_id(self.connection, lock=True)

    def create_version(self, *, mode: str, source_name: str, source_sha256: str, base_version_id: int | None) -> int:
        self.version_id = versions.create_version(
            self.connection,
            mode=mode,
            source_name=source_name,
            source_sha256=source_sha256,
            base_version_id=base_version_id,
        )
        self._create_tables()
        return self.version_id

    @abstractmethod
    def _create_tables(self) -> None:
        """Create the tables the load writes to: its staging tables, and the version's own where the store keeps them apart."""

    def table_rows(self, tables: Sequence[str]) -> dict[str, int]:
        rows = {}
        for name in tables:
            table = store.tables[name]
            query = select(table.c.version_id).where(table.c.version_id == self.id).limit(1)
            rows[name] = len(self.connection.execute(query).all())
        return rows

    def movies_dropped(self, live_version_id: int) -> int:
        return movies_dropped(self.connection, live_version_id, self.id)

    def finish(self, outcome: Outcome) -> str:
        versions.finish_version(self.connection, self.id, status=STAGED, checks=outcome.checks, **outcome.figures)
        if outcome.goes_live:
            versions.promote(self.connection, self.id, force=outcome.force)
        return LIVE if outcome.goes_live else STAGED
