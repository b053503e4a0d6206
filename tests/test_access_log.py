"""The access log: same fields as ever, written by a background thread, never on the event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from app.access_log import WRITER, AccessLog, log_to_stderr, logger


async def _hit(request: object) -> Response:
    return Response(b"{}", headers={"x-cache": "hit"}, media_type="application/json")


@pytest.fixture
def lines() -> Iterator[list[tuple[str, str]]]:
    """(thread name, message) of every access line logged while the test runs."""
    seen: list[tuple[str, str]] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append((record.threadName or "", record.getMessage()))  # type: ignore[method-assign]  # a recorder
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield seen
    finally:
        WRITER.flush()
        logger.removeHandler(handler)
        logger.setLevel(previous)


def test_each_request_is_one_line_written_by_the_background_thread(lines: list[tuple[str, str]]) -> None:
    app = AccessLog(Starlette(routes=[Route("/graphql", _hit)]))

    async def two_requests() -> list[int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
            return [(await client.get(path)).status_code for path in ("/graphql?query=x", "/nowhere")]

    assert asyncio.run(two_requests()) == [200, 404]
    WRITER.flush()
    assert [thread for thread, _ in lines] == ["access-log", "access-log"]
    assert threading.current_thread().name != "access-log"
    entries = [orjson.loads(message) for _, message in lines]
    keys = ["cache", "duration_ms", "method", "path", "request_id", "status", "time"]
    assert [sorted(entry) for entry in entries] == [keys] * 2
    assert [(e["method"], e["path"], e["status"], e["cache"]) for e in entries] == [
        ("GET", "/graphql", 200, "hit"),
        ("GET", "/nowhere", 404, None),
    ]
    assert all(isinstance(e["duration_ms"], float) and e["duration_ms"] >= 0 for e in entries)


def test_stderr_gets_every_line_whole_and_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert not logger.handlers
    log_to_stderr()
    try:
        for number in range(2000):
            WRITER.put((0.0, None, "GET", f"/graphql/{number}", 200, 0.5, "hit"))
        WRITER.flush()
        written = capsys.readouterr().err.splitlines()
    finally:
        logger.handlers.clear()
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
    assert [orjson.loads(line)["path"] for line in written] == [f"/graphql/{number}" for number in range(2000)]
