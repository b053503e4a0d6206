"""The response cache on a real Redis (conftest.REDIS_URL, db 15), one namespace per test."""

from __future__ import annotations

import anyio
import redis

from app.http_cache import ResponseCache, make_response_cache
from db import versions
from tests.api_support import api_settings, serve
from tests.conftest import REDIS_URL


def _keys(namespace: str) -> list[bytes]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return list(client.scan_iter(match=f"{namespace}:*"))
    finally:
        client.close()


def test_bodies_round_trip_as_bytes_with_a_ttl(namespace: str) -> None:
    async def scenario() -> tuple[bytes | None, bytes | None]:
        cache = make_response_cache(REDIS_URL, namespace=namespace, ttl_seconds=60)
        try:
            body = b'{"data":{"x":"\xc3\xa9"}}\xff'  # not even valid UTF-8: stored as is
            await cache.set("1:r:abc", body)
            await cache.ping()
            return await cache.get("1:r:abc"), await cache.get("1:r:missing")
        finally:
            await cache.close()

    assert anyio.run(scenario) == (b'{"data":{"x":"\xc3\xa9"}}\xff', None)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert 0 < client.ttl(f"{namespace}:1:r:abc") <= 60
    finally:
        client.close()


def test_processes_share_answers_and_all_see_a_promote(loaded_url: str, namespace: str) -> None:
    settings = api_settings(loaded_url, redis_url=REDIS_URL, cache_namespace=namespace)
    query = "{ dataset { version } genre(id: 16) { name } }"
    with serve(settings) as first, serve(settings) as second:
        assert first.get(query).headers["x-cache"] == "miss"
        shared = second.get(query)
        assert shared.headers["x-cache"] == "hit"  # computed by the other process
        assert shared.json()["data"]["dataset"]["version"] == "1"
        assert _keys(namespace)
        assert second.client.get("/readyz").json()["checks"]["cache"] == {"ok": True}

        with first.engine.begin() as connection:  # a new version goes live behind both processes' backs
            previous = versions.live_version_id(connection)
            new = versions.create_version(
                connection, mode="full", source_name="copy", source_sha256="0" * 64, base_version_id=previous
            )
            versions.finish_version(connection, new, status="staged")
            versions.promote(connection, new)
        try:
            for api in (first, second):
                api.await_live(new)
                response = api.get(query)
                assert response.json()["data"]["dataset"]["version"] == str(new)
        finally:
            with first.engine.begin() as connection:
                versions.promote(connection, previous)
                versions.delete_versions(connection, [new])
        second.await_live(1)
        assert second.get(query).json()["data"]["dataset"]["version"] == "1"


def test_unreachable_redis_degrades_to_misses_and_readiness_says_degraded(loaded_url: str, namespace: str) -> None:
    settings = api_settings(loaded_url, redis_url="redis://127.0.0.1:1/0", cache_namespace=namespace)
    with serve(settings) as api:
        response = api.get("{ genre(id: 16) { name } }")
        assert response.status_code == 200 and response.headers["x-cache"] == "miss"
        ready = api.client.get("/readyz")  # the process serves, uncached: it stays in its load balancer
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["cache"]["ok"] is False and ready.json()["checks"]["cache"]["degraded"] is True


def test_memory_backend_is_the_default() -> None:
    cache = make_response_cache(None, namespace="x", ttl_seconds=60)
    assert isinstance(cache, ResponseCache) and not cache.redis
    assert make_response_cache(REDIS_URL, namespace="x", ttl_seconds=0).backend is None  # caching off
