"""Faults answer fast and truthfully (issue 18, item 3), on a PostgreSQL and a Redis of the test's own.

Database down, restarted or frozen; Redis down or frozen: no answer is a 500, an outage is a 503
DATABASE_UNAVAILABLE with Retry-After within about a second, cached answers keep being served,
and /readyz answers within a second whatever is down.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import httpx
import pytest

from db.engine import make_engine
from db.migrate import upgrade
from tests.api_support import Api, api_settings, load, serve
from tests.conftest import head5000, unavailable
from tests.faults import PG_BIN, OwnPostgres, OwnRedis

CACHED = "{ genre(id: 18) { name } }"
# Statements limited to 0.5 s: a call a frozen server leaves unanswered is cut after 1.5 s.
STATEMENT_TIMEOUT_MS = 500


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    """A cluster of this module's own holding head-5000 as version 1."""
    if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
        unavailable("PostgreSQL 15 binaries", FileNotFoundError(PG_BIN / "initdb"))
    cluster = OwnPostgres()
    try:
        cluster.start()
        engine = make_engine(cluster.url)
        upgrade(engine)
        engine.dispose()
        load(cluster.url, head5000())
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def postgres(own_postgres: OwnPostgres) -> Iterator[OwnPostgres]:
    """The module's cluster, running and thawed again after each test."""
    yield own_postgres
    try:
        own_postgres.thaw()
    except (OSError, ValueError):
        own_postgres.start()  # a test left it stopped


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    """A redis-server of this test's own."""
    if shutil.which("redis-server") is None:
        unavailable("redis-server", FileNotFoundError("redis-server"))
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


def _timed(send, *args) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = send(*args)
    return response, time.perf_counter() - started


def _miss(api: Api, year: int) -> httpx.Response:
    """A GET no cache holds yet (each year once)."""
    return api.get(f"{{ year(year: {year}) {{ releases }} }}")


def _until_ok(api: Api, seconds: float) -> float:
    """Send misses until one answers 200; how long it took."""
    started, year = time.monotonic(), 1900
    while _miss(api, year).status_code != 200:
        assert time.monotonic() - started < seconds, f"no 200 within {seconds} s"
        year += 1
        time.sleep(0.1)
    return time.monotonic() - started


def _unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503 and response.headers["retry-after"] == "1", response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert error["message"].startswith("The database")


def test_database_down_answers_503_fast_and_keeps_serving_cached_answers(postgres: OwnPostgres) -> None:
    with serve(api_settings(postgres.url, statement_timeout_ms=STATEMENT_TIMEOUT_MS)) as api:
        assert api.get(CACHED).status_code == 200
        postgres.stop()
        cached, seconds = _timed(api.get, CACHED)
        assert cached.status_code == 200 and cached.headers["x-cache"] == "hit" and seconds < 0.1
        assert cached.json() == {"data": {"genre": {"name": "Drama"}}}
        for year in (1990, 1991, 1992):
            response, seconds = _timed(_miss, api, year)
            _unavailable(response)
            assert seconds < 1.0
        posted, seconds = _timed(api.post, CACHED)  # POST is never answered from the cache
        _unavailable(posted)
        assert seconds < 1.0
        home = api.client.get("/", headers={"accept": "application/json"})  # any endpoint: 503, never 500
        _unavailable(home)
        ready, seconds = _timed(api.client.get, "/readyz")
        assert ready.status_code == 503 and seconds < 1.0
        checks = ready.json()["checks"]
        assert checks["database"]["ok"] is False
        assert checks["live_dataset"] == {"ok": False, "error": "database unavailable", "serving_cached": "1"}
        postgres.start()
        assert _until_ok(api, 5.0) < 5.0
        assert api.client.get("/readyz").status_code == 200


def test_no_500_after_a_database_restart(postgres: OwnPostgres) -> None:
    with serve(api_settings(postgres.url, statement_timeout_ms=STATEMENT_TIMEOUT_MS)) as api:
        for year in range(1970, 1980):  # fill the pool with connections the restart will kill
            assert _miss(api, year).status_code == 200
        postgres.restart()
        statuses = [_miss(api, year).status_code for year in range(1980, 1990)]
        assert statuses == [200] * 10  # each dead pooled connection retried once, on a fresh one
        assert api.post("{ dataset { version } }").json() == {"data": {"dataset": {"version": "1"}}}


def test_frozen_database_answers_503_within_a_second_then_at_once(postgres: OwnPostgres) -> None:
    with serve(api_settings(postgres.url, statement_timeout_ms=STATEMENT_TIMEOUT_MS)) as api:
        assert api.get(CACHED).status_code == 200 and _miss(api, 1960).status_code == 200
        postgres.freeze()
        try:
            cached, seconds = _timed(api.get, CACHED)
            assert cached.status_code == 200 and seconds < 0.1  # no database read on a hit
            first, seconds = _timed(_miss, api, 1961)
            _unavailable(first)
            assert 0.7 < seconds < 1.25  # statement timeout + 0.25 s without an answer: cut
            assert (
                first.json()["errors"][0]["message"] == "The database did not answer within 0.75 s; try again shortly."
            )
            then, seconds = _timed(_miss, api, 1962)
            _unavailable(then)
            assert seconds < 0.1  # the breaker answers at once for a while
            ready, seconds = _timed(api.client.get, "/readyz")
            assert ready.status_code == 503 and seconds < 1.0
        finally:
            postgres.thaw()
        assert _until_ok(api, 5.0) < 5.0


def test_redis_down_means_uncached_answers_and_a_degraded_200_readiness(
    postgres: OwnPostgres, own_redis: OwnRedis
) -> None:
    settings = api_settings(postgres.url, redis_url=own_redis.url, cache_namespace="faults")
    with serve(settings) as api:
        assert api.get(CACHED).headers["x-cache"] == "miss"
        assert api.get(CACHED).headers["x-cache"] == "hit"
        own_redis.stop()
        response, seconds = _timed(api.get, CACHED)  # still in this process's own LRU
        assert response.status_code == 200 and response.headers["x-cache"] == "hit" and seconds < 0.1
        for year in (1990, 1991, 1992):  # not cached anywhere: computed, Redis skipped
            response, seconds = _timed(api.get, f"{{ year(year: {year}) {{ releases }} }}")
            assert response.status_code == 200 and response.headers["x-cache"] == "miss" and seconds < 0.2
        ready, seconds = _timed(api.client.get, "/readyz")
        assert ready.status_code == 200 and seconds < 1.0
        assert ready.json()["status"] == "degraded"
        cache = ready.json()["checks"]["cache"]
        assert cache["ok"] is False and cache["degraded"] is True and cache["serving"] == "uncached"


def test_frozen_redis_costs_one_50ms_wait_then_is_skipped(postgres: OwnPostgres, own_redis: OwnRedis) -> None:
    # No in-process layer: every lookup goes to Redis.
    settings = api_settings(postgres.url, redis_url=own_redis.url, cache_namespace="faults", cache_max_bytes=0)
    with serve(settings) as api:
        assert api.get(CACHED).status_code == 200
        own_redis.freeze()
        try:
            first, seconds = _timed(api.get, CACHED)
            assert first.status_code == 200 and first.headers["x-cache"] == "miss"
            assert seconds < 0.3  # one Redis call cut at 50 ms, then the answer computed
            later = [_timed(api.get, CACHED)[1] for _ in range(5)]
            assert max(later) < 0.1  # Redis skipped: no wait at all
            ready, seconds = _timed(api.client.get, "/readyz")
            assert ready.status_code == 200 and seconds < 1.0 and ready.json()["status"] == "degraded"
        finally:
            own_redis.thaw()


def test_database_down_from_the_start_answers_503_never_500(postgres: OwnPostgres) -> None:
    postgres.stop()
    with serve(api_settings(postgres.url, statement_timeout_ms=STATEMENT_TIMEOUT_MS)) as api:
        assert not api.app.state.services.graphql.live.known  # no live version learned: nothing to serve
        for send in (api.get, api.post):
            response, seconds = _timed(send, CACHED)
            _unavailable(response)
            assert seconds < 1.0
        ready, seconds = _timed(api.client.get, "/readyz")
        assert ready.status_code == 503 and seconds < 1.0
        assert ready.json()["checks"]["live_dataset"]["serving_cached"] is None
        postgres.start()
        assert _until_ok(api, 5.0) < 5.0
