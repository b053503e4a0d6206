"""The ASGI app: routes, middleware, and a lifespan that starts and stops the services (app.services)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from app.access_log import AccessLog, log_to_stderr
from app.compression import Compression
from app.export import export_csv
from app.fast_path import CachedGetFastPath
from app.graphql_view import ViewOptions, error_response, http_error_response
from app.health import healthz, readyz
from app.home import HomePage
from app.http_protocol import GraphQLMediaType, HeadAsGet
from app.metrics import RequestMetrics, metrics_endpoint
from app.playground import ASSETS_ROUTE, AssetFiles
from app.schema_file import schema_file
from app.services import make_services
from app.settings import Settings
from schema import Limits, build_schema
from schema.errors import ApiError


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
    services = make_services(settings, schema, options)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.close()

    async def graphql(request: Request) -> Response:
        return await services.graphql.handle(request)

    async def export(request: Request) -> Response:
        return await export_csv(request, services.graphql)

    if settings.access_log:
        log_to_stderr()
    app = Starlette(
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
                expose_headers=[
                    "ETag",
                    "X-Cache",
                    "Dataset-Version",
                    "Content-Location",
                    "Content-Disposition",
                    "X-Request-Id",
                ],
                max_age=86400,
            ),
            Middleware(Compression),
            Middleware(GraphQLMediaType, path="/graphql"),
            Middleware(CachedGetFastPath, gets=services.gets),
        ],
        lifespan=lifespan,
        # An ApiError of any endpoint (e.g. the home page while the database is down), and the router's own.
        exception_handlers={ApiError: error_response, 404: http_error_response, 405: http_error_response},
    )
    app.state.services = services  # for the endpoints that are plain functions (health, metrics, home)
    return app


def create_app_from_environment() -> Starlette:
    """The app with the environment's settings: what each `serve --workers N` process runs."""
    return create_app(Settings())
