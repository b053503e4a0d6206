"""/schema.graphql: the SDL of the schema this process serves, for client code generators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response


def schema_file(schema: strawberry.Schema) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint answering the served schema's SDL as text."""
    sdl = schema.as_str() + "\n"

    async def endpoint(_request: Request) -> Response:
        return PlainTextResponse(sdl, headers={"cache-control": "no-cache"})

    return endpoint
