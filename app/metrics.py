"""/metrics in the Prometheus format, and the request id every answer carries.

Counted per request: route, status and error code, latency, and which cache layer answered
(in-process or Redis for the response cache, HTTP for a 304). Also the live version, database
connections in use and answers warmed after a promote.

With several worker processes (`movie-stats serve --workers N`), prometheus-client's
multiprocess mode adds up what every worker counted: PROMETHEUS_MULTIPROC_DIR names the folder
they write to, and must be set before prometheus_client is first imported (the `serve`
command does so before it starts the workers).
"""

from __future__ import annotations

import itertools
import os
import re
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http_protocol import request_header
from db.api_database import Database

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
REQUEST_ID_HEADER = b"x-request-id"
REQUEST_ID_STATE = "request_id"  # scope["state"] key, read by the access log
ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})
EXPORT_ROUTE = "/export/"  # every CSV download counts under this one route
# A client's id is kept when it is a plain token; anything else is replaced, so log lines stay parseable.
_CLIENT_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
# How the API's error answers begin (schema.errors.request_error, and GraphQLView._execute's).
_ERROR_BODIES = (b'{"errors"', b'{"data":null,"errors"')
MAX_ERROR_BODY_BYTES = 65_536  # enough for the first error's code; the rest of a huge answer is not kept
_ID_PREFIX = uuid.uuid4().hex[:16]
_id_counter = itertools.count()
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The service's metrics, in a registry of their own (one per app)."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "movie_stats_requests", "HTTP requests answered.", ["route", "method", "status", "code"], registry=r
        )
        self.latency = Histogram(
            "movie_stats_request_duration_seconds", "Time to answer.", ["route"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.cache = Counter(
            "movie_stats_cache_lookups", "Cached-answer lookups by layer (memory, redis, http).", ["layer", "result"],
            registry=r,
        )  # fmt: skip
        self.live_version = Gauge(
            "movie_stats_live_version", "The live dataset version.", registry=r, multiprocess_mode="livemostrecent"
        )
        self.pool_in_use = Gauge(
            "movie_stats_db_connections_in_use", "Database connections checked out.", ["database"], registry=r,
            multiprocess_mode="livesum",
        )  # fmt: skip
        self.warmed = Counter(
            "movie_stats_warmed_answers", "Answers computed for a version before it went live.", registry=r
        )
        self.warm_seconds = Counter(
            "movie_stats_warm_seconds", "Time spent warming answers for new versions.", registry=r
        )
        # labels() takes a lock and builds a key: keep each child once found (on every request's path).
        self._request_children: dict[tuple[str, str, int, str], Counter] = {}
        self._latency_children: dict[str, Histogram] = {}
        self._cache_children: dict[tuple[str, str], Counter] = {}

    def count_request(self, route: str, method: str, status: int, code: str, seconds: float) -> None:
        """One answered request."""
        labels = (route, method, status, code)
        child = self._request_children.get(labels)
        if child is None:
            child = self._request_children[labels] = self.requests.labels(route, method, str(status), code)
        child.inc()
        latency = self._latency_children.get(route)
        if latency is None:
            latency = self._latency_children[route] = self.latency.labels(route)
        latency.observe(seconds)

    def count_cache(self, layer: str, result: str) -> None:
        """One lookup of a cached answer."""
        child = self._cache_children.get((layer, result))
        if child is None:
            child = self._cache_children[(layer, result)] = self.cache.labels(layer, result)
        child.inc()

    def count_response_cache(self, layer: str, hit: bool) -> None:
        """One lookup in a layer of the response cache (its `on_lookup` hook)."""
        self.count_cache(layer, "hit" if hit else "miss")

    def watch_pool(self, db: Database, name: str) -> None:
        """Follow how many of the store's connections are in use (pooled, and those of compiled answers)."""
        gauge = self.pool_in_use.labels(name)
        checked_out = getattr(db.engine.pool, "checkedout", None)  # QueuePool counts those already out
        gauge.set(checked_out() if checked_out is not None else 0)
        db.watch_connections(gauge.inc, gauge.dec)

    def render(self) -> bytes:
        """Every metric in the Prometheus text format (all workers' in multiprocess mode)."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
        return generate_latest(registry)

    def close(self) -> None:
        """A worker that stops no longer counts in the `live*` gauges."""
        if self.multiprocess_dir is not None:
            multiprocess.mark_process_dead(os.getpid(), self.multiprocess_dir)  # type: ignore[no-untyped-call]  # unannotated upstream


def make_metrics() -> Metrics:
    """Metrics for this process: multiprocess mode when the environment asks for it."""
    return Metrics(os.environ.get(MULTIPROCESS_ENV) or None)


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics."""
    services = request.app.state.services
    live = services.graphql.live.current()
    if live is not None:
        services.metrics.live_version.set(live)
    return Response(
        services.metrics.render(), headers={"content-type": CONTENT_TYPE_LATEST, "cache-control": "no-store"}
    )


class RequestMetrics:
    """ASGI middleware: give each request an id (kept from X-Request-Id when sane) and count it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})[REQUEST_ID_STATE] = request_id
        seen = _Seen()

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen.status = message["status"]
                for name, value in message.get("headers", ()):
                    if name == b"content-encoding":
                        seen.gzip = value == b"gzip"
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id.encode())]
            elif message["type"] == "http.response.body":
                seen.note_body(message.get("body", b""), more=message.get("more_body", False))
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self._count(scope, seen, time.perf_counter() - started)

    def _count(self, scope: Scope, seen: _Seen, seconds: float) -> None:
        services = getattr(scope["app"].state, "services", None)
        if services is None:  # before the lifespan opened them
            return
        metrics: Metrics = services.metrics
        path = scope["path"]
        route = path if path in ROUTES else EXPORT_ROUTE if path.startswith(EXPORT_ROUTE) else "other"
        metrics.count_request(route, scope["method"], seen.status, seen.code, seconds)
        if route != "/graphql" or scope["method"] != "GET":
            return
        # The response cache's own layers count their lookups themselves (ResponseCache.on_lookup).
        if seen.status == 304:
            metrics.count_cache("http", "hit")
        elif request_header(scope, b"if-none-match") is not None:
            metrics.count_cache("http", "miss")


@dataclass(slots=True)
class _Seen:
    """What the middleware noticed of an answer."""

    status: int = 500
    code: str = ""
    gzip: bool = False
    _error_body: bytearray | None = None

    def note_body(self, chunk: bytes, *, more: bool) -> None:
        """Find the first error's code in an error answer (JSON, maybe gzipped: app.compression)."""
        if self._error_body is None:
            # A plain body shows it is an error by its first bytes; a gzipped one only by its status.
            if not (chunk.startswith(_ERROR_BODIES) if not self.gzip else self.status >= 400):
                return
            self._error_body = bytearray()
        if len(self._error_body) < MAX_ERROR_BODY_BYTES:
            self._error_body += chunk
        if not more:
            body = bytes(self._error_body)
            try:
                body = zlib.decompress(body, wbits=31) if self.gzip else body
            except zlib.error:
                body = b""
            self.code = _first_error_code(body)


def _request_id(scope: Scope) -> str:
    value: bytes
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _CLIENT_ID.fullmatch(value):
            return value.decode("ascii")
    # Random per process, counted within it: unique like a uuid4, without a system call per request.
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


def _first_error_code(body: bytes) -> str:
    try:
        return str(orjson.loads(body)["errors"][0]["extensions"]["code"])
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        return "unknown"


def utc_timestamp(epoch_seconds: float) -> str:
    """A moment as the access log writes it (ISO 8601, UTC, milliseconds)."""
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="milliseconds")
