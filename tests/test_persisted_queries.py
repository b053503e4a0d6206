"""Persisted queries: Apollo's APQ flow, documentId, trusted-only mode, shared through Redis (issue 23, item 2)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import orjson
import pytest
import redis

import app.persisted
from app.persisted import DOCUMENT_TTL_SECONDS
from db.engine import make_engine
from db.migrate import upgrade
from tests.api_support import api_settings, count_statements, load, serve
from tests.conftest import REDIS_URL, head5000
from tests.test_cli import MOVIE_STATS, cli_environment

QUERY = "query Drama { genre(id: 18) { name } }"
DRAMA = {"data": {"genre": {"name": "Drama"}}}
OTHER = "{ genre(id: 35) { name } }"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _apq(sha256: str) -> str:
    return orjson.dumps({"persistedQuery": {"version": 1, "sha256Hash": sha256}}).decode()


def _error(response) -> tuple[str, str]:
    error = response.json()["errors"][0]
    return error["message"], error["extensions"]["code"]


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store with the real head-5000 file live, for this module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('persisted') / 'movie-stats.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    load(url, head5000())
    return url


def test_apollo_flow_unknown_hash_then_register_then_get_by_hash_hits(store_url: str) -> None:
    sha256 = _sha(QUERY)
    with serve(api_settings(store_url)) as api:
        unknown = api.client.get("/graphql", params={"extensions": _apq(sha256), "variables": "{}"})
        assert unknown.status_code == 404 and unknown.headers["cache-control"] == "no-store"
        assert _error(unknown) == ("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")

        # The client sends the query once with its hash (Apollo does so by POST): that registers it.
        registered = api.client.post("/graphql", json={"query": QUERY, "extensions": orjson.loads(_apq(sha256))})
        assert registered.status_code == 200 and registered.json() == DRAMA

        by_hash = {"extensions": _apq(sha256), "variables": "{}", "operationName": "Drama"}
        first = api.client.get("/graphql", params=by_hash)
        assert first.status_code == 200 and first.json() == DRAMA
        assert first.headers["cache-control"].startswith("public, max-age=")
        second = api.client.get("/graphql", params=by_hash)
        assert second.headers["x-cache"] == "hit" and second.content == first.content
        assert api.client.post("/graphql", json={"extensions": orjson.loads(_apq(sha256))}).json() == DRAMA


def test_a_wrong_hash_is_refused_and_registers_nothing(store_url: str) -> None:
    wrong = _sha(OTHER)
    with serve(api_settings(store_url)) as api:
        refused = api.client.get("/graphql", params={"query": QUERY, "extensions": _apq(wrong)})
        assert refused.status_code == 400
        assert _error(refused) == (
            "The sha256Hash sent is not the SHA-256 of the query sent with it: hash the query's exact UTF-8 text.",
            "PERSISTED_QUERY_HASH_MISMATCH",
        )
        still_unknown = api.client.get("/graphql", params={"extensions": _apq(wrong)})
        assert _error(still_unknown)[1] == "PERSISTED_QUERY_NOT_FOUND"
        for extensions, message in (
            ('{"persistedQuery": {"version": 2, "sha256Hash": "00"}}', "Only `"),
            (_apq("xyz"), "A persisted query's hash must be 64 hexadecimal digits"),
            ("[1]", "`extensions` must be a JSON object."),
        ):
            response = api.client.get("/graphql", params={"extensions": extensions})
            assert response.status_code == 400 and _error(response)[1] == "BAD_REQUEST"
            assert _error(response)[0].startswith(message)


def test_document_id_form_over_get_and_post(store_url: str) -> None:
    with serve(api_settings(store_url)) as api:
        api.client.post("/graphql", json={"query": QUERY, "extensions": orjson.loads(_apq(_sha(QUERY)))})
        document_id = f"sha256:{_sha(QUERY)}"
        assert api.client.get("/graphql", params={"documentId": document_id}).json() == DRAMA
        assert api.client.post("/graphql", json={"documentId": document_id}).json() == DRAMA
        bad = api.client.get("/graphql", params={"documentId": "md5:abc"})
        assert bad.status_code == 400 and _error(bad)[0].startswith("`documentId` must be `sha256:`")


def _cli(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MOVIE_STATS, *args], env=cli_environment(url), cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def test_trusted_mode_answers_only_documents_added_ahead(database_url: str, tmp_path: Path) -> None:
    load(database_url, head5000())
    (tmp_path / "drama.graphql").write_text(QUERY + "\n")
    (tmp_path / "broken.graphql").write_text("{ nosuchfield }")
    added = _cli(database_url, tmp_path, "documents", "add", "drama.graphql", "--json")
    assert added.returncode == 0, added.stderr
    assert orjson.loads(added.stdout)["documents"] == [
        {"id": f"sha256:{_sha(QUERY)}", "new": True, "name": "Drama", "source": "drama.graphql"}
    ]
    again = _cli(database_url, tmp_path, "documents", "add", "drama.graphql", "--json")
    assert orjson.loads(again.stdout)["documents"][0]["new"] is False
    refused = _cli(database_url, tmp_path, "documents", "add", "broken.graphql")
    assert refused.returncode == 1
    assert "broken.graphql: the document does not fit the schema: Cannot query field 'nosuchfield'" in refused.stderr
    listed = orjson.loads(_cli(database_url, tmp_path, "documents", "--json").stdout)["documents"]
    assert [(row["sha256"], row["document"], row["name"]) for row in listed] == [(_sha(QUERY), QUERY, "Drama")]

    with serve(api_settings(database_url, trusted_documents_only=True)) as api:
        assert api.client.get("/graphql", params={"documentId": f"sha256:{_sha(QUERY)}"}).json() == DRAMA
        assert api.get(QUERY).json() == DRAMA  # the registered text itself is trusted too
        for response in (api.get(OTHER), api.post(OTHER)):
            assert response.status_code == 403 and _error(response)[1] == "TRUSTED_DOCUMENT_REQUIRED"
        # Nothing registers on the fly: APQ's second step is refused as well.
        apq = api.client.post("/graphql", json={"query": OTHER, "extensions": orjson.loads(_apq(_sha(OTHER)))})
        assert apq.status_code == 403
        unknown = api.client.get("/graphql", params={"extensions": _apq(_sha(OTHER))})
        assert unknown.status_code == 404 and _error(unknown)[1] == "PERSISTED_QUERY_NOT_FOUND"


def test_documents_registered_on_one_process_are_known_to_another_through_redis(store_url: str, namespace: str) -> None:
    settings = api_settings(store_url, redis_url=REDIS_URL, cache_namespace=namespace)
    with serve(settings) as first, serve(settings) as second:
        registered = first.client.post("/graphql", json={"query": OTHER, "extensions": orjson.loads(_apq(_sha(OTHER)))})
        assert registered.status_code == 200
        answer = second.client.get("/graphql", params={"documentId": f"sha256:{_sha(OTHER)}"})
        assert answer.json() == {"data": {"genre": {"name": "Comedy"}}}
        assert _stored(namespace, _sha(OTHER)) == OTHER
        assert 0 < _ttl(namespace, _sha(OTHER)) <= DOCUMENT_TTL_SECONDS  # it expires unless asked for again


def _ttl(namespace: str, sha256: str) -> int:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return int(client.ttl(f"{namespace}:documents:{sha256}"))
    finally:
        client.close()


def _stored(namespace: str, sha256: str) -> str | None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        value = client.get(f"{namespace}:documents:{sha256}")
    finally:
        client.close()
    return None if value is None else value.decode()


def test_unregistered_hash_floods_cost_one_lookup_a_second(store_url: str) -> None:
    with serve(api_settings(store_url)) as api:
        with count_statements(api.engine) as statements:
            for _ in range(20):
                api.client.get("/graphql", params={"documentId": f"sha256:{'a' * 64}"})
        assert sum("trusted_documents" in statement for statement in statements) == 1


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ genre(id: 18) { nope } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ genre(id: 18) { name ", "GRAPHQL_PARSE_FAILED"),
    ],
)
def test_a_document_that_does_not_run_is_not_registered(
    store_url: str, namespace: str, document: str, code: str
) -> None:
    """Sent with its hash, a document registers only once it has run: a broken one is never kept."""
    settings = api_settings(store_url, redis_url=REDIS_URL, cache_namespace=namespace)
    with serve(settings) as api:
        sent = api.client.post("/graphql", json={"query": document, "extensions": orjson.loads(_apq(_sha(document)))})
        assert sent.status_code == 400 and _error(sent)[1] == code
        by_hash = api.client.get("/graphql", params={"documentId": f"sha256:{_sha(document)}"})
        assert by_hash.status_code == 404 and _error(by_hash)[1] == "PERSISTED_QUERY_NOT_FOUND"
    assert _stored(namespace, _sha(document)) is None


def test_documents_kept_in_process_are_bounded_in_size(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_REMEMBERED_CHARACTERS the least recently used documents are forgotten (without Redis: for good)."""
    documents = [f"{{ genre(id: {genre}) {{ name }} }}  # {'x' * 400}" for genre in (18, 35, 16)]
    monkeypatch.setattr(app.persisted, "MAX_REMEMBERED_CHARACTERS", 2 * len(documents[0]))
    with serve(api_settings(store_url)) as api:
        for document in documents:
            sent = api.client.post(
                "/graphql", json={"query": document, "extensions": orjson.loads(_apq(_sha(document)))}
            )
            assert sent.status_code == 200
        found = [api.client.get("/graphql", params={"documentId": f"sha256:{_sha(d)}"}).status_code for d in documents]
    assert found == [404, 200, 200]
