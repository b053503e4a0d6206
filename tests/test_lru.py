"""The in-process response cache: an LRU bounded in bytes (CACHE_MAX_BYTES), in front of Redis when set."""

from __future__ import annotations

import gc
import os
import tracemalloc
import uuid

import anyio
import pytest
import redis

from app.http_cache import make_response_cache
from app.lru import ByteLRU, entry_cost
from tests.api_support import Api, api_settings, serve
from tests.conftest import REDIS_URL


class Clock:
    """A clock the test moves by hand, for the entries' lifetime."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_least_recently_used_go_first_once_the_bytes_are_spent() -> None:
    body = b"x" * 1000
    lru = ByteLRU(max_bytes=3 * entry_cost("k0", body), ttl_seconds=60)
    for key in ("k0", "k1", "k2"):
        lru.set(key, body)
    assert lru.get("k0") == body  # k0 is now the most recently used: k1 goes first
    lru.set("k3", body)
    assert [key for key in ("k0", "k1", "k2", "k3") if lru.get(key) is not None] == ["k0", "k2", "k3"]
    assert lru.size_bytes == 3 * entry_cost("k0", body) and len(lru) == 3
    lru.set("k2", b"y" * 10)  # replacing an entry gives its bytes back
    assert lru.size_bytes == 2 * entry_cost("k0", body) + entry_cost("k2", b"y" * 10)


def test_a_body_larger_than_the_bound_is_not_stored() -> None:
    lru = ByteLRU(max_bytes=5000, ttl_seconds=60)
    lru.set("small", b"s")
    lru.set("huge", b"h" * 10_000)
    assert lru.get("huge") is None and lru.get("small") == b"s"


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    lru = ByteLRU(max_bytes=1 << 20, ttl_seconds=60, clock=clock)
    lru.set("k", b"body")
    clock.now += 59.9
    assert lru.get("k") == b"body"
    clock.now += 0.1
    assert lru.get("k") is None and lru.size_bytes == 0 and len(lru) == 0


@pytest.mark.parametrize("sizes", [(10, 1), (100, 1), (1000, 1), (200, 6000)])
def test_20000_distinct_bodies_hold_no_more_memory_than_the_bound(sizes: tuple[int, int]) -> None:
    """tracemalloc counts what Python really allocated: the accounting may not undercount it."""
    bound = 2 * 1024 * 1024
    smallest, spread = sizes
    bodies = [os.urandom(smallest + (number * 37) % spread) for number in range(20_000)]  # made before measuring
    lru = ByteLRU(max_bytes=bound, ttl_seconds=3600)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number, body in enumerate(bodies):
            # the key and a copy of the body made here: the cache's own objects, as a request's are
            lru.set(f"1:r:{number:040x}", bytes(memoryview(body)))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert lru.size_bytes <= bound
    assert 300 < len(lru) < 20_000  # it evicted, and it kept many
    assert held <= bound, f"{held} bytes held for a bound of {bound}"
    assert held >= 0.7 * lru.size_bytes  # and the accounting is not wildly pessimistic either


@pytest.mark.slow
@pytest.mark.parametrize("loaded_url", ["sqlite"], indirect=True)  # the cache is the same whatever the store
def test_distinct_queries_past_many_times_the_bound_keep_the_in_memory_cache_within_it(loaded_url: str) -> None:
    bound = 64 * 1024  # about 40 queries' answers: 3,000 queries fill it some 70 times over
    with serve(api_settings(loaded_url, cache_max_bytes=bound)) as api:
        memory = api.app.state.services.cache.memory
        for number in range(3_000):
            response = api.get(f"{{ q{number}: genres {{ name }} }}")
            assert response.status_code == 200 and response.headers["x-cache"] == "miss"
            assert memory.size_bytes <= bound
        assert 20 < len(memory) < 300  # two entries per query (as sent, normalized): nearly all evicted
        assert api.get("{ q2999: genres { name } }").headers["x-cache"] == "hit"  # the newest stay
        assert api.get("{ q0: genres { name } }").headers["x-cache"] == "miss"  # the oldest went


def test_the_lru_answers_before_redis_and_fills_from_it(namespace: str) -> None:
    async def scenario() -> tuple[bytes | None, bytes | None, bytes | None]:
        first = make_response_cache(REDIS_URL, namespace=namespace, ttl_seconds=60)
        second = make_response_cache(REDIS_URL, namespace=namespace, ttl_seconds=60)
        try:
            await first.set("1:r:k", b"body")
            from_redis = await second.get("1:r:k")  # another process: from Redis, now in its own LRU too
            client = redis.Redis.from_url(REDIS_URL)
            try:
                assert 0 < client.ttl(f"{namespace}:1:r:k") <= 60  # Redis entries carry their TTL
                client.delete(f"{namespace}:1:r:k")
            finally:
                client.close()
            return from_redis, await first.get("1:r:k"), await second.get("1:r:k")
        finally:
            await first.close()
            await second.close()

    assert anyio.run(scenario) == (b"body", b"body", b"body")  # after the delete, both answer from memory


def test_cache_max_bytes_zero_sends_every_lookup_to_redis(namespace: str) -> None:
    async def scenario() -> bytes | None:
        cache = make_response_cache(REDIS_URL, namespace=namespace, ttl_seconds=60, max_bytes=0)
        try:
            await cache.set("1:r:k", b"body")
            client = redis.Redis.from_url(REDIS_URL)
            try:
                client.delete(f"{namespace}:1:r:k")
            finally:
                client.close()
            return await cache.get("1:r:k")
        finally:
            await cache.close()

    assert anyio.run(scenario) is None


def test_the_api_answers_a_hit_from_memory(api: Api) -> None:
    query = f"{{ g{uuid.uuid4().hex}: genres {{ id }} }}"
    assert api.get(query).headers["x-cache"] == "miss"
    assert len(api.app.state.services.cache.memory) >= 2  # the request as sent and its normalized form
    assert api.get(query).headers["x-cache"] == "hit"
