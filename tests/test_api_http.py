"""The HTTP behaviour of /graphql, /healthz and /readyz, against the real app under uvicorn."""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

import orjson
import pytest
from graphql import GraphQLError
from sqlalchemy.exc import OperationalError

from app.database import open_database
from app.http_cache import normalized_key
from db import versions
from db.engine import make_engine
from schema.errors import MASKED_MESSAGE, coded
from tests.api_support import Api, api_settings, load, serve, write_subset
from tests.csvfiles import catalogue, write_csv

WARNER_1995 = "{ company(id: 6194) { name years(from: 1995, to: 1995) { releases budget } } }"


def _code(response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


def test_get_and_post_answer_the_same(api: Api) -> None:
    get, post = api.get(WARNER_1995), api.post(WARNER_1995)
    assert get.status_code == post.status_code == 200
    assert get.json() == post.json()
    assert get.json()["data"]["company"]["years"] == [{"releases": 19, "budget": 443500000}]
    assert get.headers["content-type"] == "application/json"


def test_get_is_cacheable_and_post_is_not(api: Api) -> None:
    first = api.get("{ genres { id } }")
    second = api.get("{ genres { id } }")
    assert first.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=60"
    assert first.headers["etag"].startswith('"') and first.headers["etag"] == second.headers["etag"]
    assert second.headers["x-cache"] == "hit" and second.content == first.content
    post = api.post("{ genres { id } }")
    assert post.headers["cache-control"] == "no-store" and "etag" not in post.headers


def test_same_query_spelled_differently_hits_the_normalized_entry(api: Api) -> None:
    api.get("{ genre(id: 18) { name } }")
    respelled = api.get("query   {\n genre(id: 18) {\n name }\n } # comment")
    assert respelled.headers["x-cache"] == "hit"
    assert respelled.json()["data"]["genre"]["name"] == "Drama"


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("{ genre(id: 18) { name } }", "query {genre(id:18){name}} # a comment", True),  # spacing, `query {`
        ("{ a, b }", "{ a b }", True),  # commas are whitespace
        ('{ c(s: "x#y") }', '{ c(s: """x#y""") }', True),  # the same string value; `#` inside it is no comment
        ('{ c(s: "x#y") }', '{ c(s: "x#z") }', False),
        ('{ c(s: "a b") }', '{ c(s: "a", b) }', False),
        ('{ c(s: "x") }', "{ c(s: x) }", False),  # a string, an enum value
        ("{ a }", "query Named { a }", False),  # operationName can pick a named one
        ("{ a }", "mutation { a }", False),
        ("{ a }", "query @skip(if: true) { a }", False),
        ("{ a: b }", "{ b: a }", False),
        ("fragment F on query { a } { ...F }", "fragment F on Query { a } { ...F }", False),
    ],
)
def test_the_normalized_key_is_the_same_exactly_for_the_same_document(first: str, second: str, same: bool) -> None:
    """The normalized form is the parse's tokens: spelling aside, two texts share it only as one document."""
    assert (normalized_key(1, first, None, None, 2000) == normalized_key(1, second, None, None, 2000)) is same
    assert normalized_key(1, first, None, None, 2000) is not None


def test_if_none_match_gives_304(api: Api) -> None:
    etag = api.get(WARNER_1995).headers["etag"]
    response = api.client.get("/graphql", params={"query": WARNER_1995}, headers={"if-none-match": etag})
    assert response.status_code == 304 and response.content == b""
    assert response.headers["etag"] == etag
    other = api.client.get("/graphql", params={"query": WARNER_1995}, headers={"if-none-match": '"other"'})
    assert other.status_code == 200


def test_mutations_are_refused(api: Api) -> None:
    over_get = api.get("mutation { anything }")
    assert over_get.status_code == 405 and _code(over_get) == "OPERATION_NOT_ALLOWED"
    over_post = api.post("mutation { anything }")
    assert over_post.status_code == 400 and _code(over_post) == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (
            "{ "
            + "genre(id: 18) { years { genre { years { genre { years { genre { years { genre { years { genre { name } } } } } } } } } } }"
            + " }",
            "QUERY_TOO_DEEP",
        ),
        ("{ " + " ".join(f"a{i}: genres {{ id }}" for i in range(31)) + " }", "TOO_MANY_ALIASES"),
        ("{ " + "genres { id } " * 700 + "}", "TOO_MANY_TOKENS"),
        ("{ companies(first: 101) { totalCount } }", "PAGE_SIZE_EXCEEDED"),
        ("{ companies(first: -1) { totalCount } }", "INVALID_PAGE_SIZE"),
        ("{ year(year: 1995) { genres(first: 101) { releases } } }", "PAGE_SIZE_EXCEEDED"),
        ('{ companies(after: "not a cursor") { totalCount } }', "INVALID_CURSOR"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ genres { id }", "GRAPHQL_PARSE_FAILED"),
        ("{ genres { " + "__typename " * 1500 + "} }", "TOO_MANY_SELECTIONS"),
    ],
    ids=[
        "depth",
        "aliases",
        "tokens",
        "page-size",
        "negative-first",
        "genres-first",
        "cursor",
        "validation",
        "syntax",
        "too-many-selections",
    ],  # fmt: skip
)
def test_refused_queries_say_why_with_a_code(api: Api, query: str, code: str) -> None:
    response = api.get(query)
    # 400 when nothing could be answered; a nullable field's error leaves the rest: 200 (GraphQL)
    assert response.status_code == (400 if response.json()["data"] is None else 200)
    assert _code(response) == code
    assert response.headers["cache-control"] == "no-store"
    message = response.json()["errors"][0]["message"]
    assert "Unexpected error" not in message
    assert message != "Validation aborted."  # graphql-core's own words, explained


def test_request_errors_have_codes(api: Api) -> None:
    missing = api.client.get("/graphql")
    assert missing.status_code == 400 and _code(missing) == "BAD_REQUEST"
    bad_json = api.client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and _code(bad_json) == "BAD_REQUEST"
    named_by_number = api.client.post("/graphql", json={"query": "{ dataset { version } }", "operationName": 5})
    assert named_by_number.status_code == 400
    assert named_by_number.json()["errors"][0]["message"] == "`operationName` must be a string."
    for dataset in ("999", "0", "abc", "²", str(2**31), str(2**64)):  # ² passes str.isdigit()
        unknown = api.get("{ dataset { version } }", dataset=dataset)
        assert unknown.status_code == 404 and _code(unknown) == "DATASET_NOT_FOUND", dataset
        assert unknown.json()["errors"][0]["message"] == (
            f"There is no dataset version {dataset!r} (pruned, or never loaded); versions that exist: 1 (live)."
        )
    several = "query A { genres { id } } query B { years { year } }"
    for response in (api.get(several), api.post(several)):  # the GraphQL spec asks for operationName
        assert response.status_code == 400 and _code(response) == "BAD_REQUEST"
        assert response.json()["errors"][0]["message"] == (
            "The query holds 2 operations (A, B): name the one to run with `operationName`."
        )
    assert api.get(several, operationName="B").json()["data"]["years"][0]["year"] > 1800
    with_anonymous = api.get("query A { genres { id } } { years { year } }")
    assert with_anonymous.status_code == 400 and _code(with_anonymous) == "GRAPHQL_VALIDATION_FAILED"
    assert "anonymous operation must be the only" in with_anonymous.json()["errors"][0]["message"]
    unknown_operation = api.get(several, operationName="C")
    assert unknown_operation.status_code == 400
    assert unknown_operation.json()["errors"][0]["message"] == "The query has no operation named 'C'."


@pytest.mark.parametrize(
    ("variables", "says"),
    [({"year": "1995"}, "Int cannot represent non-integer value: '1995'"), ({}, "Expected a value of non-null type")],
    ids=["wrong-type", "missing"],
)
def test_bad_variable_values_are_the_clients_error(
    api: Api, variables: dict[str, object], says: str, caplog: pytest.LogCaptureFixture
) -> None:
    query = "query Releases($year: Int!) { year(year: $year) { releases } }"
    with caplog.at_level(logging.ERROR, logger="movie_stats.errors"):
        over_get, over_post = api.get(query, variables), api.post(query, variables)
    for response in (over_get, over_post):
        assert response.status_code == 400 and _code(response) == "INVALID_VARIABLES"
        message = response.json()["errors"][0]["message"]
        assert message.startswith("Variable '$year' has invalid value") and says in message
    assert over_get.headers["cache-control"] == "no-store"
    assert not caplog.records  # nothing went wrong on the server's side
    good = api.get(query, {"year": 1995})
    assert good.status_code == 200 and good.json()["data"]["year"]["releases"] == 331


def test_an_answer_the_schema_cannot_represent_stays_masked() -> None:
    # graphql-core reports an output value its type cannot serialize as a GraphQLError wrapping
    # another, like a bad variable, but at a path: the server's fault.
    inner = GraphQLError("Int cannot represent non 32-bit signed integer value: 4294967296")
    error = GraphQLError(inner.message, path=["year", "releases"], original_error=inner)
    assert coded(error).extensions == {"code": "INTERNAL_ERROR"}


def test_unexpected_errors_are_masked() -> None:
    error = GraphQLError("boom", original_error=RuntimeError("password=secret in /srv/app.py"))
    masked = coded(error)
    assert masked.message == MASKED_MESSAGE and masked.extensions == {"code": "INTERNAL_ERROR"}
    assert "secret" not in orjson.dumps(masked.formatted).decode()


def test_graphiql_for_browsers(api: Api) -> None:
    page = api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_graphiql_and_introspection_can_be_turned_off(loaded_url: str) -> None:
    with serve(api_settings(loaded_url, graphiql=False, introspection=False)) as api:
        page = api.client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 400
        response = api.get("{ __schema { queryType { name } } }")
        assert response.status_code == 400 and _code(response) == "GRAPHQL_VALIDATION_FAILED"


def test_introspection_on_by_default(api: Api) -> None:
    assert api.data("{ __schema { queryType { name } } }") == {"__schema": {"queryType": {"name": "Query"}}}


def test_health_and_readiness(api: Api) -> None:
    health = api.client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["live_dataset"] == {"ok": True, "version": "1"}


def test_empty_store_is_not_ready_and_says_so(database_url: str) -> None:
    with serve(api_settings(database_url)) as api:
        ready = api.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == {"ok": True}
        assert ready.json()["checks"]["live_dataset"]["ok"] is False
        response = api.get("{ dataset { version } }")
        assert response.status_code == 503 and _code(response) == "NO_LIVE_DATASET"


def test_access_log_is_one_json_line_per_request(api: Api) -> None:
    logger = logging.getLogger("movie_stats.access")
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    query = f"{{ g{uuid.uuid4().hex}: genres {{ name }} }}"  # never asked before: a miss, then a hit
    try:
        api.get(query)
        api.get(query)
        # The server logs after the response has gone out: give its thread a moment.
        deadline = time.monotonic() + 5
        while len(lines) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    entries = [orjson.loads(line) for line in lines]
    assert [e["cache"] for e in entries] == ["miss", "hit"]
    assert {k: entries[-1][k] for k in ("method", "path", "status")} == {
        "method": "GET",
        "path": "/graphql",
        "status": 200,
    }
    assert isinstance(entries[-1]["duration_ms"], float)


def test_a_version_still_being_loaded_cannot_be_read(database_url: str, tmp_path: Path) -> None:
    """On PostgreSQL a load commits its version `loading`, tables unattached, before it builds it."""
    live = load(database_url, write_csv(tmp_path / "a.csv", catalogue(10)))
    engine = make_engine(database_url)
    with engine.begin() as connection:
        loading = versions.create_version(
            connection, mode="full", source_name="b.csv", source_sha256="0" * 64, base_version_id=live
        )
    engine.dispose()
    with serve(api_settings(database_url)) as api:
        response = api.get("{ dataset { version } }", dataset=str(loading))
        assert response.status_code == 404 and _code(response) == "DATASET_NOT_FOUND"
        assert response.json()["errors"][0]["message"] == (
            f"Dataset version '{loading}' is still being loaded; it can be read once it is staged or live."
        )
        assert api.data("{ dataset { version } }") == {"dataset": {"version": str(live)}}


def test_promote_and_rollback_change_a_cached_answer(database_url: str, tmp_path: Path) -> None:
    from tests.conftest import head5000

    load(database_url, head5000())
    smaller = tmp_path / "smaller.csv.gz"
    write_subset(head5000(), smaller, keep=2000)
    staged = load(database_url, smaller, stage_only=True)
    query = "{ dataset { version movies } year(year: 1995) { releases } }"
    with serve(api_settings(database_url)) as api:
        before = api.get(query)
        assert api.get(query).headers["x-cache"] == "hit"
        assert before.json()["data"]["dataset"] == {"version": "1", "movies": 4999}

        # A staged version can be checked before it goes live; pinned, its answer never changes.
        pinned = api.get(query, dataset=str(staged))
        assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable" and "etag" in pinned.headers
        assert api.post(query, dataset=str(staged)).headers["cache-control"] == "no-store"
        for response in (pinned, api.post(query, dataset=str(staged))):
            assert response.json()["data"]["dataset"]["version"] == str(staged)
            assert 1990 <= response.json()["data"]["dataset"]["movies"] <= 2000
        assert api.get(query).json() == before.json()

        with api.engine.begin() as connection:  # as another process would: straight in the database
            versions.promote(connection, staged, force=True)  # a subset: it failed the shrink check
        api.await_live(staged)
        after = api.get(query)
        assert after.headers["x-cache"] == "hit"  # the staged version's pinned answer, computed above
        assert after.json()["data"]["dataset"]["version"] == str(staged)
        assert after.json()["data"]["dataset"]["movies"] < 4999
        assert after.json()["data"]["year"]["releases"] < before.json()["data"]["year"]["releases"]
        stale = api.client.get("/graphql", params={"query": query}, headers={"if-none-match": before.headers["etag"]})
        assert stale.status_code == 200 and stale.json() == after.json()

        with api.engine.begin() as connection:
            versions.rollback(connection)
        api.await_live(1)
        assert api.get(query).json() == before.json()


def test_statements_have_a_time_limit(database_url: str) -> None:
    import anyio

    db = open_database(database_url, statement_timeout_ms=50)
    slow = (
        "SELECT pg_sleep(2)"
        if database_url.startswith("postgresql")
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    )
    try:
        with pytest.raises(OperationalError) as raised:
            anyio.run(db.run, lambda connection: connection.exec_driver_sql(slow).all())
        assert "statement timeout" in str(raised.value) or "interrupted" in str(raised.value)
        assert anyio.run(db.run, lambda connection: connection.exec_driver_sql("SELECT 1").scalar()) == 1
    finally:
        db.dispose()


def test_an_unknown_path_or_method_answers_with_a_code_and_what_to_do(api: Api) -> None:
    missing = api.client.get("/graphgl")
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/json")
    assert missing.json()["errors"] == [
        {
            "message": "Nothing is served at /graphgl: GraphQL is at /graphql, downloads under /export/, the home page at /.",
            "extensions": {"code": "NOT_FOUND"},
        }
    ]
    put = api.client.put("/graphql", json={"query": "{ dataset { version } }"})
    assert (put.status_code, put.headers["allow"]) == (405, "GET, HEAD, POST")
    assert put.json()["errors"] == [
        {"message": "PUT is not served here; use GET, HEAD, POST.", "extensions": {"code": "METHOD_NOT_ALLOWED"}}
    ]


def test_a_years_genres_too_many_says_to_leave_first_out(api: Api) -> None:
    """Year.genres has no `after`: the advice to page with it would lead nowhere."""
    response = api.get("{ year(year: 1995) { genres(first: 101) { releases } } }")
    assert (
        response.json()["errors"][0]["message"]
        == "`first` may be at most 100, not 101: leave it out for the whole list."
    )
    paged = api.get("{ companies(first: 101) { totalCount } }")
    assert paged.json()["errors"][0]["message"] == "`first` may be at most 100, not 101: page with `after` instead."


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"content-type": "text/plain"}, "this one has `text/plain`"),
        ({"content-type": "application/x-www-form-urlencoded"}, "this one has `application/x-www-form-urlencoded`"),
        ({}, "this one has none"),
        ({"content-type": "application/json", "content-encoding": "gzip"}, "compressed request bodies"),
    ],
    ids=["text", "form", "none", "gzip"],
)
def test_a_post_that_is_not_plain_json_is_415(api: Api, headers: dict[str, str], message: str) -> None:
    """What a browser may send cross-site without a CORS preflight, or a body this server cannot read as sent."""
    response = api.client.post("/graphql", content=b'{"query": "{ dataset { version } }"}', headers=headers)
    assert (response.status_code, _code(response)) == (415, "UNSUPPORTED_MEDIA_TYPE")
    assert message in response.json()["errors"][0]["message"]
    with_charset = {"content-type": "application/json; charset=utf-8"}
    answered = api.client.post("/graphql", content=b'{"query": "{ dataset { version } }"}', headers=with_charset)
    assert answered.json() == {"data": {"dataset": {"version": "1"}}}
