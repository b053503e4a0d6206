"""/healthz (the process answers) and /readyz (it can serve: database, live dataset, cache).

/readyz answers within a second whatever is down: each check has its own time limit, and they
run side by side. The cache is never a reason to be unready: without it the process serves,
uncached, so a broken Redis is reported as `degraded` with 200.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.http_cache import ResponseCache
from db.versions import live_version_id

if TYPE_CHECKING:
    from app.services import Services

logger = logging.getLogger("movie_stats.health")
NO_STORE = {"cache-control": "no-store"}
CHECK_SECONDS = 0.5  # each check's limit; they run concurrently, so /readyz answers within it


async def healthz(_request: Request) -> JSONResponse:
    """Alive: the event loop answers."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


async def readyz(request: Request) -> JSONResponse:
    """Ready: 200 when the database answers and a dataset is live (cache state reported), else 503."""
    services = request.app.state.services
    database, cache, replicas = await asyncio.gather(
        _database_check(services), _cache_check(services.cache), _replicas_check(services)
    )
    checks = {**database, **({"cache": cache} if cache is not None else {})}
    if replicas is not None:
        checks["replicas"] = replicas
    ready = checks["database"]["ok"] and checks["live_dataset"]["ok"]
    status = "ready" if ready and (cache is None or cache["ok"]) else "degraded" if ready else "unavailable"
    return JSONResponse({"status": status, "checks": checks}, 200 if ready else 503, NO_STORE)


async def _database_check(services: Services) -> dict[str, dict[str, object]]:
    try:
        live = await asyncio.wait_for(services.db.run(live_version_id), CHECK_SECONDS)
    except TimeoutError:
        return _database_down(services, f"no answer within {CHECK_SECONDS:g} s")
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"; the body says which
        return _database_down(services, f"{error.__class__.__name__}: {error}")
    return {
        "database": {"ok": True},
        "live_dataset": {"ok": live is not None, "version": None if live is None else str(live)},
    }


def _database_down(services: Services, error: str) -> dict[str, dict[str, object]]:
    logger.warning("readiness: database unavailable: %s", error)
    known = services.graphql.live.known
    serving = services.graphql.live.current() if known else None
    return {
        "database": {"ok": False, "error": error.splitlines()[0]},
        # Cached answers of the version last known live are still served meanwhile.
        "live_dataset": {
            "ok": False,
            "error": "database unavailable",
            "serving_cached": str(serving) if serving else None,
        },
    }


async def _cache_check(cache: ResponseCache) -> dict[str, object] | None:
    if not cache.redis:
        return None
    if cache.skipping:
        return {"ok": False, "degraded": True, "error": cache.last_error, "serving": "uncached"}
    try:
        await cache.ping(CHECK_SECONDS)
    except Exception as error:  # noqa: BLE001 - any failure: the cache is degraded; the body says which
        return {"ok": False, "degraded": True, "error": f"{error.__class__.__name__}: {error}", "serving": "uncached"}
    return {"ok": True}


async def _replicas_check(services: Services) -> dict[str, object] | None:
    """Each read replica's lag; informative (ok), since answers fall back to the primary meanwhile."""
    reads = services.graphql.reads
    if not reads.replicas:
        return None
    try:
        return {"ok": True, "replicas": await asyncio.wait_for(reads.status(), CHECK_SECONDS)}
    except Exception as error:  # noqa: BLE001 - the primary's own failure is reported beside it
        return {"ok": True, "error": f"{error.__class__.__name__}: {error}"}
