"""What app.metrics.RequestMetrics adds to one request, in-process (not a test).

    .venv/bin/python bench/metrics_overhead.py

Calls a trivial ASGI app 100,000 times bare and wrapped by the middleware (request id,
counters, latency histogram, cache layer) and prints microseconds per request for each.
"""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

from app.metrics import Metrics, RequestMetrics

CALLS = 100_000


async def _cached_answer(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-cache", b"hit"), (b"etag", b'"x"')]})
    await send({"type": "http.response.body", "body": b'{"data":{}}'})


async def _ignore(message) -> None:
    return None


async def _receive() -> dict:
    return {}


async def main() -> None:
    """Print µs per request, bare and wrapped."""
    services = SimpleNamespace(metrics=Metrics(), cache=SimpleNamespace(redis=False))
    scope = {"type": "http", "method": "GET", "path": "/graphql", "headers": [(b"host", b"x")], "query_string": b"q"}
    scope["app"] = SimpleNamespace(state=SimpleNamespace(services=services))
    for name, app in (("bare", _cached_answer), ("with RequestMetrics", RequestMetrics(_cached_answer))):
        started = time.perf_counter()
        for _ in range(CALLS):
            await app(dict(scope), _receive, _ignore)
        print(f"{name:<20} {(time.perf_counter() - started) / CALLS * 1e6:6.2f} µs/request")


if __name__ == "__main__":
    asyncio.run(main())
