"""Gzip for answers of 1 KB or more, with ETags that stay correct per encoding.

A strong ETag names one representation, so the gzip one gets its own tag (`"…-gzip"`, as
Apache does). A client revalidating with that tag must still get its 304: the suffix is taken
off If-None-Match before the app compares tags, and put back on the 304 it answers. This
middleware sits outside app.fast_path, so cache hits answered there are compressed too.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 1024
COMPRESS_LEVEL = 6  # most of level 9's saving on JSON for a fraction of its CPU
GZIP_SUFFIX = "-gzip"


class Compression:
    """Starlette's GZipMiddleware, plus per-encoding ETags and 304s that keep Vary."""

    def __init__(self, app: ASGIApp) -> None:
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_SIZE, compresslevel=COMPRESS_LEVEL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.gzip(scope, receive, send)
            return
        if_none_match = Headers(scope=scope).get("if-none-match")
        revalidates_gzip = if_none_match is not None and GZIP_SUFFIX + '"' in if_none_match
        if revalidates_gzip:
            scope = dict(scope)
            scope["headers"] = [
                (name, value.replace(GZIP_SUFFIX.encode() + b'"', b'"') if name == b"if-none-match" else value)
                for name, value in scope["headers"]
            ]

        async def send_tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                compressed = headers.get("content-encoding") == "gzip"
                if message["status"] == 304:
                    headers.add_vary_header("Accept-Encoding")  # a 304 carries the 200's Vary
                if (compressed or (message["status"] == 304 and revalidates_gzip)) and _strong(headers):
                    headers["etag"] = headers["etag"][:-1] + GZIP_SUFFIX + '"'
            await send(message)

        if _refuses_gzip(Headers(scope=scope).get("accept-encoding", "")):  # Starlette only looks for the word
            await self.gzip.app(scope, receive, send_tagged)
            return
        await self.gzip(scope, receive, send_tagged)


def _refuses_gzip(accept_encoding: str) -> bool:
    """Whether Accept-Encoding names gzip with a weight of 0 (`gzip;q=0`): not acceptable."""
    for coding in accept_encoding.lower().split(","):
        name, _, parameters = coding.partition(";")
        if name.strip() == "gzip":
            weight = parameters.replace(" ", "").removeprefix("q=")
            try:
                return parameters.strip() != "" and float(weight) == 0
            except ValueError:
                return False
    return False


def _strong(headers: MutableHeaders) -> bool:
    etag = headers.get("etag", "")
    return etag.startswith('"') and etag.endswith('"') and not etag.endswith(GZIP_SUFFIX + '"')
