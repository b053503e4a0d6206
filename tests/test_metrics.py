"""/metrics after known traffic, and the request id (issue 23, item 7)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.access_log import WRITER
from tests.api_support import Api, api_settings, serve
from tests.conftest import REDIS_URL

QUERY = "{ genre(id: 18) { name } }"


@pytest.fixture
def fresh_api(loaded_url: str) -> Iterator[Api]:
    """An app of its own over the loaded store: its metrics start at zero."""
    with serve(api_settings(loaded_url)) as api:
        yield api


def _samples(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = api.client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _requests(route: str, method: str, status: int, code: str = "") -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"route": route, "method": method, "status": str(status), "code": code}
    return "movie_stats_requests_total", tuple(sorted(labels.items()))


def _cache(layer: str, result: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return "movie_stats_cache_lookups_total", (("layer", layer), ("result", result))


def test_metrics_count_known_traffic_exactly(fresh_api: Api) -> None:
    api = fresh_api
    first = api.get(QUERY)  # a miss, then two hits
    assert api.get(QUERY).headers["x-cache"] == api.get(QUERY).headers["x-cache"] == "hit"
    assert (
        api.client.get(
            "/graphql", params={"query": QUERY}, headers={"if-none-match": first.headers["etag"]}
        ).status_code
        == 304
    )
    assert api.client.get("/graphql", params={"query": QUERY}, headers={"if-none-match": '"old"'}).status_code == 200
    assert api.get("{ nosuchfield }").status_code == 400
    many_errors = api.get("{ " + " ".join(f"nosuchfield{i}" for i in range(30)) + " }")  # gzipped: over 1 KB
    assert many_errors.status_code == 400 and many_errors.headers["content-encoding"] == "gzip"
    assert api.client.get("/graphql", params={"documentId": "sha256:" + "a" * 64}).status_code == 404
    assert api.post(QUERY).status_code == 200
    assert api.client.get("/healthz").status_code == 200
    assert api.client.get("/export/genre-years.csv", params={"genreId": 18}).status_code == 200
    assert api.client.get("/export/nothing.csv").status_code == 404

    samples = _samples(api)
    assert {key: value for key, value in samples.items() if key[0] == "movie_stats_requests_total"} == {
        _requests("/graphql", "GET", 200): 4.0,
        _requests("/graphql", "GET", 304): 1.0,
        _requests("/graphql", "GET", 400, "GRAPHQL_VALIDATION_FAILED"): 2.0,
        _requests("/graphql", "GET", 404, "PERSISTED_QUERY_NOT_FOUND"): 1.0,
        _requests("/graphql", "POST", 200): 1.0,
        _requests("/healthz", "GET", 200): 1.0,
        _requests("/export/", "GET", 200): 1.0,  # every download under one route
        _requests("/export/", "GET", 404, "EXPORT_NOT_FOUND"): 1.0,
    }
    assert {key: value for key, value in samples.items() if key[0] == "movie_stats_cache_lookups_total"} == {
        # Lookups: a GET looks up its exact request, then on a miss the request's normalized form.
        _cache("memory", "hit"): 3.0,  # two repeats, and the one whose ETag was old
        _cache("memory", "miss"): 7.0,  # 2 for the first, 2 for each invalid query, 1 for the unknown id
        _cache("http", "hit"): 1.0,
        _cache("http", "miss"): 1.0,
    }
    assert samples[("movie_stats_request_duration_seconds_count", (("route", "/graphql"),))] == 9.0
    assert samples[("movie_stats_live_version", ())] == 1.0
    # Between requests only long-held connections are out (PostgreSQL's live-version reader keeps one).
    in_use = samples[("movie_stats_db_connections_in_use", (("database", "primary"),))]
    assert in_use == api.engine.pool.checkedout() <= 1
    assert samples[("movie_stats_warmed_answers_total", ())] == 0.0
    # The scrape itself is counted once it is answered.
    assert _samples(api)[_requests("/metrics", "GET", 200)] == 1.0


def test_request_id_round_trips_and_is_logged_with_a_timestamp(loaded_url: str) -> None:
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]  # a plain sink
    access = logging.getLogger("movie_stats.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        with serve(api_settings(loaded_url, access_log=True)) as api:
            kept = api.client.get("/graphql", params={"query": QUERY}, headers={"x-request-id": "edge-42.a:b"})
            replaced = api.client.get("/healthz", headers={"x-request-id": "not an id; drop table"})
            made = api.client.get("/healthz")
        WRITER.flush()  # lines are written by a background thread
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    assert kept.headers["x-request-id"] == "edge-42.a:b"
    assert re.fullmatch("[0-9a-f]{32}", replaced.headers["x-request-id"])
    assert re.fullmatch("[0-9a-f]{32}", made.headers["x-request-id"])
    assert made.headers["x-request-id"] != replaced.headers["x-request-id"]
    logged = [orjson.loads(line) for line in lines]
    assert [entry["request_id"] for entry in logged] == [
        "edge-42.a:b",
        replaced.headers["x-request-id"],
        made.headers["x-request-id"],
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"]) for entry in logged)


def test_cache_lookups_are_counted_per_layer_in_front_of_redis(loaded_url: str, namespace: str) -> None:
    settings = api_settings(loaded_url, redis_url=REDIS_URL, cache_namespace=namespace)
    with serve(settings) as first, serve(settings) as second:
        assert first.get(QUERY).headers["x-cache"] == "miss"  # exact and normalized: both layers miss
        assert first.get(QUERY).headers["x-cache"] == "hit"  # this process's memory
        assert second.get(QUERY).headers["x-cache"] == "hit"  # its memory misses, Redis has it
        lookups = {
            process: {k[1]: v for k, v in _samples(api).items() if k[0] == "movie_stats_cache_lookups_total"}
            for process, api in (("first", first), ("second", second))
        }
    assert lookups["first"] == {
        (("layer", "memory"), ("result", "miss")): 2.0,
        (("layer", "redis"), ("result", "miss")): 2.0,
        (("layer", "memory"), ("result", "hit")): 1.0,
    }
    assert lookups["second"] == {
        (("layer", "memory"), ("result", "miss")): 1.0,
        (("layer", "redis"), ("result", "hit")): 1.0,
    }
