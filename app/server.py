"""How uvicorn runs the app: what `movie-stats serve`, the tests and the benchmark's ceiling use.

uvloop's event loop and httptools' HTTP parser, named explicitly (not uvicorn's "auto") so a
missing dependency fails at start instead of silently serving at a third of the speed on
asyncio and h11.
"""

from __future__ import annotations

from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from schema.errors import ApiError, BadRequest, QueryTooLarge, request_error

MAX_REQUEST_BYTES = 1024 * 1024  # a request line or body larger than this is refused
SHUTDOWN_GRACE_SECONDS = 2  # after SIGTERM, requests still running this long are cut
MAX_URL_BYTES = 65_535  # llhttp's own bound on a request target (httptools.parse_url)


class GraphQLErrorsHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering a request it cannot read with a GraphQL error body.

    uvicorn answers an unparsable request with a plain-text 400. A client of this API expects
    JSON with a code, and the usual cause is a GET whose query is too long for a URL.
    """

    def send_400_response(self, msg: str) -> None:
        error: ApiError
        if len(getattr(self, "url", b"")) > MAX_URL_BYTES:
            status, error = (
                414,
                QueryTooLarge(
                    f"The request URL is longer than {MAX_URL_BYTES:,} bytes: send a query this long by POST."
                ),
            )
        else:
            status, error = 400, BadRequest(f"The request is not readable HTTP/1.1 ({msg}).")
        body = orjson.dumps(request_error(error))
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


SERVER_STACK: dict[str, Any] = {"loop": "uvloop", "http": GraphQLErrorsHttpTools, "ws": "none"}
SERVER_OPTIONS: dict[str, Any] = {
    **SERVER_STACK,
    # SIGTERM: stop accepting at once, give running requests this long, then close them.
    "timeout_graceful_shutdown": SHUTDOWN_GRACE_SECONDS,
}
