"""The ASGI app: routes, lifespan (database, cache, schema) and middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from app.access_log import AccessLog, log_to_stderr
from app.compression import Compression
from app.deadline import freeze_startup_objects
from app.database import open_database
from app.export import export_csv
from app.fast_path import CachedGetFastPath
from app.graphql_view import GraphQLView, ViewOptions, error_response
from app.health import healthz, readyz
from app.home import HomePage
from app.http_cache import ResponseCache, make_response_cache
from app.http_protocol import GraphQLMediaType, HeadAsGet
from app.metrics import Metrics, RequestMetrics, make_metrics, metrics_endpoint
from app.persisted import make_document_store
from app.playground import ASSETS_ROUTE, AssetFiles
from app.replicas import open_read_router
from app.schema_file import schema_file
from app.settings import Settings
from app.warm import AnswerWarmer, WarmedLiveVersion, log_reports_to_stderr, make_warm_lock
from db.api_database import Database
from db.live_version import watch_live_version
from schema import Limits, build_schema
from schema.errors import ApiError


@dataclass(frozen=True, slots=True)
class Services:
    """What the lifespan opens and the endpoints use."""

    db: Database
    cache: ResponseCache
    graphql: GraphQLView
    metrics: Metrics = field(default_factory=Metrics)


def create_app(settings: Settings) -> Starlette:
    """The movie statistics API."""
    schema = build_schema(
        Limits(
            max_depth=settings.max_query_depth,
            max_tokens=settings.max_query_tokens,
            max_aliases=settings.max_query_aliases,
            introspection=settings.introspection,
            max_cost=settings.max_query_cost,
        )
    )
    options = ViewOptions(
        max_page_size=settings.max_page_size,
        max_query_tokens=settings.max_query_tokens,
        http_max_age_seconds=settings.http_max_age_seconds,
        graphiql=settings.graphiql,
        request_timeout_seconds=settings.request_timeout_seconds,
        max_response_bytes=settings.max_response_bytes,
        execution_threads=settings.db_max_connections,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = open_database(
            settings.resolved_database_url(),
            statement_timeout_ms=settings.statement_timeout_ms,
            max_connections=settings.db_max_connections,
        )
        cache = make_response_cache(
            settings.redis_url,
            namespace=settings.cache_namespace,
            ttl_seconds=settings.cache_ttl_seconds,
            max_bytes=settings.cache_max_bytes,
        )
        live = WarmedLiveVersion(watch_live_version(db.engine))
        await anyio.to_thread.run_sync(live.start)
        documents = make_document_store(
            db, settings.redis_url, trusted_only=settings.trusted_documents_only, namespace=settings.cache_namespace
        )
        reads = open_read_router(
            db, settings.read_database_urls(), statement_timeout_ms=settings.statement_timeout_ms,
            max_connections=settings.db_max_connections,
        )  # fmt: skip
        await anyio.to_thread.run_sync(reads.start)
        metrics = make_metrics()
        metrics.watch_pool(db.engine, "primary")
        cache.on_lookup = metrics.count_response_cache
        for replica in reads.replicas:
            metrics.watch_pool(replica.db.engine, replica.name)
        view = GraphQLView(schema, db, live, cache, options, documents, reads)
        warm_lock = make_warm_lock(settings.redis_url, settings.cache_namespace)
        live.warm_with(AnswerWarmer(view, warm_lock, metrics))
        log_reports_to_stderr()
        app.state.services = Services(db, cache, view, metrics)
        freeze_startup_objects()
        try:
            yield
        finally:
            view.close()
            metrics.close()
            if warm_lock is not None:
                await warm_lock.close()
            await documents.close()
            await cache.close()
            live.close()
            reads.close()
            db.dispose()

    async def graphql(request: Request) -> Response:
        services: Services = request.app.state.services
        return await services.graphql.handle(request)

    async def export(request: Request) -> Response:
        return await export_csv(request, request.app.state.services.graphql)

    if settings.access_log:
        log_to_stderr()
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/export/{name}.csv", export, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/", HomePage().respond, methods=["GET"]),
            Route("/schema.graphql", schema_file(schema), methods=["GET"]),
            Mount(ASSETS_ROUTE, AssetFiles()),
        ],
        # Outermost first: HEAD and compression must wrap the fast path's cache hits too.
        middleware=[
            Middleware(RequestMetrics),
            Middleware(AccessLog),
            Middleware(HeadAsGet),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origin_list(),
                allow_methods=["GET", "POST", "HEAD"],
                allow_headers=["*"],
                expose_headers=["ETag", "X-Cache", "Dataset-Version", "Content-Location", "X-Request-Id"],
                max_age=86400,
            ),
            Middleware(Compression),
            Middleware(GraphQLMediaType, path="/graphql"),
            Middleware(CachedGetFastPath),
        ],
        lifespan=lifespan,
        exception_handlers={ApiError: error_response},  # e.g. the home page while the database is down
    )


def create_app_from_environment() -> Starlette:
    """The app with the environment's settings: what each `serve --workers N` process runs."""
    return create_app(Settings())
