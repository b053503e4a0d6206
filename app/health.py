"""/healthz (the process answers) and /readyz (it can serve: database, live dataset, cache)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from db.versions import live_version_id

logger = logging.getLogger("movie_stats.health")
NO_STORE = {"cache-control": "no-store"}


async def healthz(_request: Request) -> JSONResponse:
    """Alive: the event loop answers."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


async def readyz(request: Request) -> JSONResponse:
    """Ready: 200 when every check passes, else 503 naming what failed."""
    services = request.app.state.services
    checks: dict[str, dict[str, object]] = {}
    try:
        live = await services.db.run(live_version_id)
        checks["database"] = {"ok": True}
        checks["live_dataset"] = {"ok": live is not None, "version": None if live is None else str(live)}
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"; the body says which
        logger.warning("readiness: database unreachable: %s", error)
        checks["database"] = {"ok": False, "error": f"{error.__class__.__name__}: {error}"}
        checks["live_dataset"] = {"ok": False, "error": "database unreachable"}
    if services.cache.redis:
        try:
            await services.cache.ping()
            checks["cache"] = {"ok": True}
        except Exception as error:  # noqa: BLE001 - as above
            checks["cache"] = {"ok": False, "error": f"{error.__class__.__name__}: {error}"}
    if services.graphql.reads.replicas:
        # Informative: answers fall back to the primary while a replica lags or is down.
        try:
            checks["replicas"] = {"ok": True, "replicas": await services.graphql.reads.status()}
        except Exception as error:  # noqa: BLE001 - the primary's own failure is reported above
            checks["replicas"] = {"ok": True, "error": f"{error.__class__.__name__}: {error}"}
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503, NO_STORE
    )
