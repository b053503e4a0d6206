"""How uvicorn runs the app: what `movie-stats serve` and the tests both use."""

from __future__ import annotations

from typing import Any

from app.server_stack import SERVER_STACK

MAX_REQUEST_BYTES = 1024 * 1024  # a request line or body larger than this is refused
SHUTDOWN_GRACE_SECONDS = 3  # after SIGTERM, requests still running this long are cut

SERVER_OPTIONS: dict[str, Any] = {
    **SERVER_STACK,
    # h11 answers a longer request line with a bare 400 and no body; up to this size the app
    # sees the request and answers a GraphQL error (a query or an argument too long).
    "h11_max_incomplete_event_size": MAX_REQUEST_BYTES,
    # SIGTERM: stop accepting at once, give running requests this long, then close them.
    "timeout_graceful_shutdown": SHUTDOWN_GRACE_SECONDS,
}
