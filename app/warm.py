"""Warm after a promote: the registered documents' answers are cached for a new live version
before this process starts serving it, so the first request after a promote or rollback is a hit.

`WarmedLiveVersion` wraps the live-version watcher the view reads. When the watcher learns of a
new live version, the wrapper keeps answering the version already served while it computes the
answers of every registered document (trusted documents from the database, and documents
clients registered as persisted queries) on the new one, then switches. Warming is bounded by
WARM_BUDGET_SECONDS, so a process serves a new version within a second of its promote even
when there is a lot to warm; what the budget did not cover is computed on first request.

With the in-memory cache every process warms its own cache. With Redis the cache is shared:
the first process to learn of the version takes a lock (SET NX) and warms it, the others wait
(within the same budget) for its "done" mark and then switch; answers already cached (a
rollback to a version served earlier) are not computed again.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.metrics import Metrics
from db.documents import list_documents
from db.live_version import LiveVersionWatcher

if TYPE_CHECKING:  # the view imports nothing from here; only the annotation needs it
    from app.graphql_view import GraphQLView

logger = logging.getLogger("movie_stats.warm")

WARM_BUDGET_SECONDS = 0.5
LOCK_SECONDS = 30  # a warming process that died frees the lock after this
WAIT_STEP_SECONDS = 0.02
FOLLOW_SECONDS = 0.02  # how often a process looks for a new version when no request asks


@dataclass(frozen=True, slots=True)
class WarmReport:
    """What warming one version did."""

    version: int
    warmed: int  # answers computed and cached
    already_cached: int
    not_cacheable: int  # documents that need variables (or fail) on this version
    seconds: float
    by: str  # "this process", or "another process" when one sharing Redis did it


Warm = Callable[[int, float], Awaitable[WarmReport]]  # (version, deadline as time.monotonic()) -> report


class WarmedLiveVersion:
    """The live version as served: switches to a new one only once its answers are warm."""

    def __init__(self, watcher: LiveVersionWatcher) -> None:
        self.watcher = watcher
        self._warm: Warm | None = None
        self._follower: asyncio.Task[None] | None = None
        self._served: int | None = None
        self.last_report: WarmReport | None = None

    def current(self) -> int | None:
        """The version to answer from (no I/O: the follower task moves it on)."""
        return self.watcher.current() if self._warm is None else self._served

    @property
    def known(self) -> bool:
        """As the watcher's."""
        return self.watcher.known

    @property
    def last_error(self) -> str | None:
        """As the watcher's."""
        return self.watcher.last_error

    def start(self) -> None:
        """Start the watcher; the version it finds is served at once."""
        self.watcher.start()
        self._served = self.watcher.current()

    def warm_with(self, warm: Warm) -> None:
        """From now on, warm each new version with `warm` before serving it (call on the event loop)."""
        self._warm = warm
        self._follower = asyncio.get_running_loop().create_task(self._follow())

    async def _follow(self) -> None:
        """Look for a new version every FOLLOW_SECONDS; warm it, then serve it."""
        while True:
            latest = self.watcher.current()
            if latest != self._served:
                if self._served is not None and latest is not None:  # nothing to warm for, else
                    await self._warm_version(latest)
                self._served = latest
            await asyncio.sleep(FOLLOW_SECONDS)

    async def _warm_version(self, version: int) -> None:
        if self._warm is None:  # set before the follower starts
            return
        try:
            self.last_report = await self._warm(version, time.monotonic() + WARM_BUDGET_SECONDS)
        except Exception:
            logger.exception("warming version %s failed; serving it cold", version)

    def close(self) -> None:
        """Stop following and the watcher."""
        if self._follower is not None:
            self._follower.cancel()
        self.watcher.close()


class SharedWarmLock:
    """Lets one process of those sharing a Redis cache warm a version; the others wait for it."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis, self.prefix = redis, prefix

    async def acquire(self, version: int) -> bool:
        """True when this process should warm `version` (it took the lock, or Redis is unreachable)."""
        try:
            return bool(await self.redis.set(f"{self.prefix}lock:{version}", b"1", nx=True, ex=LOCK_SECONDS))
        except (OSError, TimeoutError, RedisError) as error:
            logger.warning("warming: Redis unavailable, warming alone: %s", error)
            return True

    async def mark_done(self, version: int) -> None:
        """Tell the waiting processes the version is warm."""
        try:
            await self.redis.set(f"{self.prefix}done:{version}", b"1", ex=LOCK_SECONDS)
            await self.redis.delete(f"{self.prefix}lock:{version}")
        except (OSError, TimeoutError, RedisError) as error:
            logger.warning("warming: Redis unavailable on finish: %s", error)

    async def wait_done(self, version: int, deadline: float) -> bool:
        """Wait, until `deadline`, for the warming process to finish; True when it did."""
        while time.monotonic() < deadline:
            try:
                if await self.redis.exists(f"{self.prefix}done:{version}"):
                    return True
            except (OSError, TimeoutError, RedisError):
                return False
            await asyncio.sleep(WAIT_STEP_SECONDS)
        return False

    async def close(self) -> None:
        """Release the connections."""
        await self.redis.aclose()


def log_reports_to_stderr() -> None:
    """Print warm reports on stderr (one line each), unless the operator configured the logger."""
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


class AnswerWarmer:
    """Computes and caches the answers of the registered documents on a version."""

    def __init__(self, view: GraphQLView, lock: SharedWarmLock | None, metrics: Metrics) -> None:
        self.view, self.lock, self.metrics = view, lock, metrics

    async def __call__(self, version: int, deadline: float) -> WarmReport:
        """Warm `version` until `deadline`; log and count what was done."""
        started = time.monotonic()
        if self.lock is not None and not await self.lock.acquire(version):
            finished = await self.lock.wait_done(version, deadline)
            by = "another process" if finished else "another process (still warming)"
            return self._report(WarmReport(version, 0, 0, 0, time.monotonic() - started, by))
        counts = {"warmed": 0, "cached": 0, "not cacheable": 0}
        if self.view.cache.enabled:  # CACHE_TTL_SECONDS=0: nothing to warm
            for document in await self._documents(deadline):
                if time.monotonic() >= deadline:
                    break
                for outcome in await self.view.warm(document, version):
                    counts[outcome] += 1
        if self.lock is not None:
            await self.lock.mark_done(version)
        seconds = time.monotonic() - started
        self.metrics.warmed.inc(counts["warmed"])
        self.metrics.warm_seconds.inc(seconds)
        report = WarmReport(
            version, counts["warmed"], counts["cached"], counts["not cacheable"], seconds, "this process"
        )
        return self._report(report)

    async def _documents(self, deadline: float) -> list[str]:
        trusted = [document.document for document in await self.view.db.run(list_documents)]
        return list(dict.fromkeys([*trusted, *await self.view.documents.automatic_documents(deadline)]))

    @staticmethod
    def _report(report: WarmReport) -> WarmReport:
        logger.info(
            "warmed version %s: %d answers computed, %d already cached, %d not cacheable, in %.3f s by %s",
            report.version, report.warmed, report.already_cached, report.not_cacheable, report.seconds, report.by,
        )  # fmt: skip
        return report


def make_warm_lock(redis_url: str | None, namespace: str) -> SharedWarmLock | None:
    """The lock shared through Redis when one is configured (else each process warms its own cache)."""
    if not redis_url:
        return None
    return SharedWarmLock(Redis.from_url(redis_url, socket_timeout=1.0), f"{namespace}:warm:")
