"""`serve` and the benchmark's ceiling run on uvloop and httptools (issue 22), not asyncio and h11."""

from __future__ import annotations

import uvicorn
import uvloop
from starlette.applications import Starlette
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.server_stack import SERVER_STACK


def test_the_server_stack_loads_uvloop_and_httptools() -> None:
    config = uvicorn.Config(Starlette(), **SERVER_STACK)
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    loop_factory = config.get_loop_factory()
    assert loop_factory is not None
    loop = loop_factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
