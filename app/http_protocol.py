"""HTTP details clients expect: HEAD answered as GET without a body, and GraphQL's own media type.

GraphQL over HTTP asks a server to answer `application/graphql-response+json` to a client that
accepts it; the body is the same JSON. Both are ASGI middleware so that app.fast_path's answers
get them too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


class HeadAsGet:
    """Answer HEAD exactly as GET (status and headers, Content-Length included), without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the last body message ends the response
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class GraphQLMediaType:
    """On `path`, answer JSON as `application/graphql-response+json` when the client prefers it."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app, self.path = app, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        accept = request_header(scope, b"accept")
        graphql_response = prefers_graphql_response(accept) if accept else False

        async def send_typed(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Raw headers, not MutableHeaders: this runs on every cache hit (app.fast_path).
                headers = message.setdefault("headers", [])
                _add_vary_accept(headers)  # HTML or JSON, and which JSON, follow Accept
                if graphql_response:
                    for index, (name, value) in enumerate(headers):
                        if name == b"content-type" and value.startswith(JSON.encode()):
                            headers[index] = (name, GRAPHQL_RESPONSE.encode())
            await send(message)

        await self.app(scope, receive, send_typed)


def request_header(scope: Scope, name: bytes) -> str | None:
    """A request header's first value, read straight from the ASGI scope (no Headers object: hot paths)."""
    value: bytes
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _add_vary_accept(headers: list[tuple[bytes, bytes]]) -> None:
    """Add Accept to a response's Vary, as one header, as MutableHeaders.add_vary_header does."""
    varies = [value for name, value in headers if name == b"vary"]
    if varies:
        headers[:] = [(name, value) for name, value in headers if name != b"vary"]
    headers.append((b"vary", b", ".join([*varies, b"Accept"])))


def prefers_graphql_response(accept: str) -> bool:
    """Whether Accept ranks graphql-response+json at least as high as application/json (and above q=0)."""
    weights: dict[str, float] = {}
    for item in accept.split(","):
        media_type, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media_type.lower()] = max(weight, weights.get(media_type.lower(), 0.0))
    wanted = weights.get(GRAPHQL_RESPONSE, 0.0)
    return wanted > 0 and wanted >= weights.get(JSON, 0.0)
