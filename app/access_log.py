"""Access logs: one JSON line per request on the `movie_stats.access` logger."""

from __future__ import annotations

import logging
import sys
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import REQUEST_ID_STATE, utc_timestamp

logger = logging.getLogger("movie_stats.access")


class AccessLog:
    """ASGI middleware: time, request id, method, path, status, duration_ms and cache outcome of each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen = {"status": 500, "cache": None}

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for name, value in message.get("headers", ()):
                    if name == b"x-cache":
                        seen["cache"] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            line = {
                "time": utc_timestamp(),
                "request_id": scope.get("state", {}).get(REQUEST_ID_STATE),
                "method": scope["method"],
                "path": scope["path"],
                "status": seen["status"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "cache": seen["cache"],
            }
            logger.info(orjson.dumps(line).decode())


def log_to_stderr() -> None:
    """Print access lines on stderr, unless the operator already configured the logger."""
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
