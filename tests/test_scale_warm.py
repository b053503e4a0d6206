"""Warm after a promote (issue 23, item 4): registered documents' answers are cached for a new
version before a process serves it, so the first request after a promote or rollback is a hit."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from db import versions
from db.documents import add_document, document_sha256
from db.engine import make_engine
from tests.api_support import Api, api_settings, load, serve, write_subset
from tests.conftest import REDIS_URL, head5000

DOCUMENTS = (
    "query Year1995 { year(year: 1995) { releases budget } dataset { version } }",
    "{ genre(id: 18) { name years(from: 1995, to: 1995) { releases } } }",
    "query ByGenre($id: Int!) { genre(id: $id) { name } }",  # needs variables: cannot be warmed
)


@pytest.fixture
def two_versions(database_url: str, tmp_path: Path) -> tuple[str, int, int]:
    """head-5000 live, its first 2,000 records staged, and the documents registered."""
    first = load(database_url, head5000())
    smaller = tmp_path / "head2000.csv.gz"
    write_subset(head5000(), smaller, keep=2000)
    second = load(database_url, smaller, stage_only=True)
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for document in DOCUMENTS:
            add_document(connection, document, name="test", source="test")
    engine.dispose()
    return database_url, first, second


def _promote(api: Api, version: int) -> None:
    with api.engine.begin() as connection:
        versions.promote(connection, version, force=True)  # a subset: it failed the shrink check
    api.await_live(version)


def _warmed_total(api: Api) -> float:
    families = text_string_to_metric_families(api.client.get("/metrics").text)
    return sum(s.value for f in families for s in f.samples if s.name == "movie_stats_warmed_answers_total")


def _by_id(api: Api, document: str, **params: str):
    return api.client.get("/graphql", params={"documentId": f"sha256:{document_sha256(document)}", **params})


@pytest.fixture
def warm_log() -> Iterator[list[str]]:
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]  # a plain sink
    logger = logging.getLogger("movie_stats.warm")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_first_request_after_promote_and_rollback_is_a_hit(two_versions, warm_log: list[str]) -> None:
    url, first, second = two_versions
    with serve(api_settings(url)) as api:
        expected = {v: _by_id(api, DOCUMENTS[0], dataset=str(v)).json() for v in (first, second)}
        _promote(api, second)
        for document, params in ((DOCUMENTS[0], {"operationName": "Year1995"}), (DOCUMENTS[0], {}), (DOCUMENTS[1], {})):
            response = _by_id(api, document, **params)
            assert response.status_code == 200 and response.headers["x-cache"] == "hit", (document, params)
            assert response.headers["dataset-version"] == str(second)
        assert _by_id(api, DOCUMENTS[0]).json() == expected[second]
        # Year1995: its named and unnamed keys (the unnamed one cached already by the pinned GET
        # above); the genre query: one key; ByGenre's two keys need variables.
        assert _warmed_total(api) == 2.0
        assert warm_log[-1].startswith(
            f"warmed version {second}: 2 answers computed, 1 already cached, 2 not cacheable, in "
        )

        with api.engine.begin() as connection:
            versions.rollback(connection)
        api.await_live(first)
        rolled_back = _by_id(api, DOCUMENTS[1])
        assert rolled_back.headers["x-cache"] == "hit" and rolled_back.headers["dataset-version"] == str(first)
        assert orjson.loads(_by_id(api, DOCUMENTS[0]).content) == expected[first]


def test_with_redis_one_process_warms_for_all(two_versions, namespace: str, warm_log: list[str]) -> None:
    url, _first, second = two_versions
    settings = api_settings(url, redis_url=REDIS_URL, cache_namespace=namespace)
    with serve(settings) as one, serve(settings) as two:
        with one.engine.begin() as connection:
            versions.promote(connection, second, force=True)  # a subset: it failed the shrink check
        one.await_live(second)
        two.await_live(second)
        for api in (one, two):
            response = _by_id(api, DOCUMENTS[1])
            assert response.headers["x-cache"] == "hit" and response.headers["dataset-version"] == str(second)
        assert sorted([_warmed_total(one), _warmed_total(two)]) == [0.0, 3.0]
    reports = [line for line in warm_log if line.startswith(f"warmed version {second}:")]
    assert len(reports) == 2
    assert sum("by this process" in line for line in reports) == 1
    assert sum("by another process" in line for line in reports) == 1
