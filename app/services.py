"""What one API process serves with: made when the app is made, started and stopped by its lifespan.

Made up front, nothing here connects or reads yet (engines, Redis clients and thread pools all
start lazily), so every component can be handed to what uses it in its constructor, middleware
included; `start` then learns the live version and reaches the replicas, and `close` releases
everything.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from app.cached_gets import CachedGets
from app.database import open_database
from app.deadline import freeze_startup_objects
from app.graphql_view import GraphQLView, ViewOptions
from app.http_cache import ResponseCache, make_response_cache
from app.metrics import Metrics, make_metrics
from app.persisted import DocumentStore, make_document_store
from app.replicas import ReadRouter, open_read_router
from app.settings import Settings
from app.warm import AnswerWarmer, SharedWarmLock, WarmedLiveVersion, log_reports_to_stderr, make_warm_lock
from db.api_database import Database
from db.live_version import watch_live_version
from schema import MovieStatsSchema


@dataclass(frozen=True, slots=True)
class Services:
    """The database, caches, live version and GraphQL view of one process."""

    db: Database
    cache: ResponseCache
    live: WarmedLiveVersion
    gets: CachedGets
    documents: DocumentStore
    reads: ReadRouter
    graphql: GraphQLView
    metrics: Metrics
    warm_lock: SharedWarmLock | None

    async def start(self) -> None:
        """Learn the live version, reach the replicas, warm each new version before serving it."""
        await anyio.to_thread.run_sync(self.live.start)
        await anyio.to_thread.run_sync(self.reads.start)
        self.metrics.watch_pool(self.db, "primary")
        for replica in self.reads.replicas:
            self.metrics.watch_pool(replica.db, replica.name)
        self.cache.on_lookup = self.metrics.count_response_cache
        self.live.warm_with(AnswerWarmer(self.graphql, self.warm_lock, self.metrics))
        log_reports_to_stderr()
        freeze_startup_objects()

    async def close(self) -> None:
        """Stop every thread and close every connection."""
        self.graphql.close()
        self.metrics.close()
        if self.warm_lock is not None:
            await self.warm_lock.close()
        await self.documents.close()
        await self.cache.close()
        self.live.close()
        self.reads.close()
        self.db.dispose()


def make_services(settings: Settings, schema: MovieStatsSchema, options: ViewOptions) -> Services:
    """Every component of a process, wired, none started."""
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
    gets = CachedGets(cache, live, settings.http_max_age_seconds)
    documents = make_document_store(
        db, settings.redis_url, trusted_only=settings.trusted_documents_only, namespace=settings.cache_namespace
    )
    reads = open_read_router(
        db, settings.read_database_urls(), statement_timeout_ms=settings.statement_timeout_ms,
        max_connections=settings.db_max_connections,
    )  # fmt: skip
    view = GraphQLView(schema, db, gets, options, documents, reads)
    warm_lock = make_warm_lock(settings.redis_url, settings.cache_namespace)
    return Services(db, cache, live, gets, documents, reads, view, make_metrics(), warm_lock)
