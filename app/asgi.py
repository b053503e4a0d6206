"""The ASGI app: routes, lifespan (database, cache, schema) and middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from app.access_log import AccessLog, log_to_stderr
from app.compression import Compression
from app.database import Database, open_database
from app.export import export_csv
from app.fast_path import CachedGetFastPath
from app.graphql_view import GraphQLView, ViewOptions, error_response
from app.health import healthz, readyz
from app.home import HomePage
from app.http_cache import ResponseCache, make_response_cache
from app.http_protocol import GraphQLMediaType, HeadAsGet
from app.playground import ASSETS_ROUTE, AssetFiles
from app.schema_file import schema_file
from app.settings import Settings
from db.live_version import watch_live_version
from schema import Limits, build_schema
from schema.errors import ApiError


@dataclass(frozen=True, slots=True)
class Services:
    """What the lifespan opens and the endpoints use."""

    db: Database
    cache: ResponseCache
    graphql: GraphQLView


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
        live = watch_live_version(db.engine)
        await anyio.to_thread.run_sync(live.start)
        view = GraphQLView(schema, db, live, cache, options)
        app.state.services = Services(db, cache, view)
        try:
            yield
        finally:
            view.close()
            await cache.close()
            live.close()
            db.dispose()

    async def graphql(request: Request) -> Response:
        return await request.app.state.services.graphql.handle(request)

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
            Route("/", HomePage().respond, methods=["GET"]),
            Route("/schema.graphql", schema_file(schema), methods=["GET"]),
            Mount(ASSETS_ROUTE, AssetFiles()),
        ],
        # Outermost first: HEAD and compression must wrap the fast path's cache hits too.
        middleware=[
            Middleware(AccessLog),
            Middleware(HeadAsGet),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origin_list(),
                allow_methods=["GET", "POST", "HEAD"],
                allow_headers=["*"],
                expose_headers=["ETag", "X-Cache"],
                max_age=86400,
            ),
            Middleware(Compression),
            Middleware(GraphQLMediaType, path="/graphql"),
            Middleware(CachedGetFastPath),
        ],
        lifespan=lifespan,
        exception_handlers={ApiError: error_response},  # e.g. the home page while the database is down
    )
