"""Hostile queries against the real app (issue 18, items 1, 2 and 5): every request is bounded.

A query's cost is refused before it runs (QUERY_TOO_COSTLY), a request past its deadline answers
503 REQUEST_TIMEOUT and its work stops, answers have a size limit, a request running beside a
hostile one is not held up, SIGTERM stops the server whatever runs, and bad input is a 400 with a
code. Costs below are exact for the head-5000 file: 20 genres, 59 years per genre on average.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    parse,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.database import open_database
from app.deadline import FIELDS_BETWEEN_CLOCK_READS, SHORT_SECONDS, ExecutionTurn, Turns
from app.server import MAX_REQUEST_BYTES, MAX_URL_BYTES, SHUTDOWN_GRACE_SECONDS
from resolvers.sizes import list_sizes
from schema import build_schema
from schema.cost import ListSizesCache, query_cost
from tests.api_support import Api, api_settings, count_statements, free_port, serve

DEPTH_10 = "{ genres { years { genre { years { genre { years { genre { years { genre { name } } } } } } } } } }"
DEPTH_10_COST = 493_051_221
# Within the limit (cost 14,201) but the largest answer of the head-5000 file: ~0.4 s of work.
LARGE = (
    "{ genres { name years { year releases budget revenue profit averagePopularity totalPopularity "
    "coverage { releases withBudget withRevenue withBoth } } } }"
)
README_COMPANY = """{
  company(id: 6194) { name years(from: 1995, to: 1995) {
    year releases budget revenue profit averagePopularity
    coverage { withBudget withRevenue withBoth }
    releasesByGenre { genre { name } releases } } } }"""
README_GENRE = """{
  year(year: 1995) { releases mostPopularGenre { genre { name } averagePopularity } }
  genre(id: 18) { name years(from: 1995, to: 1995) {
    releases budget revenue profit averagePopularity totalPopularity } } }"""
CODES = {
    "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_DEEP", "TOO_MANY_TOKENS", "TOO_MANY_ALIASES",
    "QUERY_TOO_COSTLY", "INVALID_ARGUMENT", "INVALID_CURSOR", "INVALID_VARIABLES", "PAGE_SIZE_EXCEEDED",
    "INVALID_PAGE_SIZE", "RESPONSE_TOO_LARGE", "REQUEST_TIMEOUT", "STATEMENT_TIMEOUT", "BAD_REQUEST",
}  # fmt: skip


def _error(response: httpx.Response) -> dict:
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return {"message": errors[0]["message"], "code": errors[0]["extensions"]["code"]}


def _timed(send, *args, **kwargs) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = send(*args, **kwargs)
    return response, time.perf_counter() - started


def _costs(url: str, queries: list[str], variables: dict | None = None) -> list[int]:
    """query_cost of each query on the live version (1) of the store at `url`."""
    import anyio

    db = open_database(url, statement_timeout_ms=5000)
    try:
        sizes = anyio.run(lambda: list_sizes(db, version_id=1))
    finally:
        db.dispose()
    schema = build_schema()._schema
    return [query_cost(schema, parse(query), None, variables, sizes, 100) for query in queries]


# --- item 1: the cost limit --------------------------------------------------------------


def test_depth_10_query_is_refused_unrun_naming_its_cost_and_the_limit(api: Api) -> None:
    api.post(DEPTH_10)  # the first request on a version reads its list sizes
    with count_statements(api.engine) as statements:
        response, seconds = _timed(api.post, DEPTH_10)
    assert response.status_code == 400 and seconds < 0.5
    assert _error(response) == {
        "code": "QUERY_TOO_COSTLY",
        "message": f"The query would cost up to {DEPTH_10_COST:,} (the limit is 50,000, MAX_QUERY_COST): each list "
        "multiplies the cost of what it selects. Ask for fewer nested lists, narrower year spans (from, to) "
        "or smaller pages (first).",
    }
    assert statements == []  # refused before anything ran
    assert api.get(DEPTH_10).status_code == 400  # GET too, and never cached


def test_readme_queries_cost_a_thousandth_of_the_limit(api: Api, loaded_url: str) -> None:
    assert _costs(loaded_url, [README_COMPANY, README_GENRE, LARGE, DEPTH_10]) == [26, 15, 14_201, DEPTH_10_COST]
    for query in (README_COMPANY, README_GENRE, LARGE):
        assert api.post(query).status_code == 200


def test_cost_counts_pages_spans_and_variables(loaded_url: str) -> None:
    page = "query($n: Int!) { companies(first: $n) { nodes { name years { year } } } }"
    # companies + nodes + n x (name + years + 2 years a company on average x year)
    assert _costs(loaded_url, [page], {"n": 7}) == [1 + 1 + 7 * 4]
    assert _costs(loaded_url, [page], {"n": 70}) == [1 + 1 + 70 * 4]
    assert _costs(loaded_url, [page], {"n": 10**9}) == [1 + 1 + 100 * 4]  # above MAX_PAGE_SIZE: refused by the field
    span = "{ genre(id: 18) { years(from: 1990, to: 1994) { year } } }"
    assert _costs(loaded_url, [span, span.replace("(from: 1990, to: 1994)", "")]) == [1 + 1 + 5, 1 + 1 + 59]


@pytest.mark.parametrize(
    ("query", "selections"),
    [
        ("{ " + "dataset { version } " * 400 + "}", 400),
        (
            "{ ...A ...B ...C ...D } "
            + " ".join(f"fragment {f} on Query {{ {'dataset { version } ' * 90}}}" for f in "ABCD"),
            360,
        ),
    ],
    ids=["repeated", "spread"],
)
def test_a_selection_set_wider_than_100_is_refused_before_validation(api: Api, query: str, selections: int) -> None:
    """Repeated fields are valid GraphQL, but the rule that fields merge compares them pairwise: 400 of
    them took 0.6 s of CPU to validate, within the token limit. Fragments spread count with their fields."""
    response = api.post(query)
    assert response.status_code == 400
    assert _error(response) == {
        "code": "TOO_MANY_SELECTIONS",
        "message": f"{selections} selections in one selection set, counting the fragments it spreads; "
        "at most 100 are accepted: ask for each field once.",
    }
    assert api.post("{ " + "dataset { version } " * 100 + "}").json() == {"data": {"dataset": {"version": "1"}}}


def test_datasets_cost_what_the_store_holds(loaded_url: str) -> None:
    """One version, which counts no warning (head-5000): the list of datasets is not costed as a list
    of years (it was, at 16,021 here, and refused at 38,365 on the generated 45,000-record file)."""
    warnings = "{ datasets { version warnings { kind count } } }"
    rejections = "{ datasets { rejections(first: 100) { nodes { line reason } } } }"
    # datasets + 1 version x (version + warnings + at least 1 kind x (kind + count)); a page of 100 rejections.
    assert _costs(loaded_url, [warnings, rejections]) == [1 + 1 * (1 + 1 + 1 * 2), 1 + 1 * (1 + 1 + 100 * 2)]


def test_max_query_cost_setting_is_the_limit(loaded_url: str) -> None:
    with serve(api_settings(loaded_url, max_query_cost=20)) as api:
        response = api.post(README_COMPANY)
        assert response.status_code == 400 and _error(response)["code"] == "QUERY_TOO_COSTLY"
        assert _error(response)["message"].startswith("The query would cost up to 26 (the limit is 20, MAX_QUERY_COST)")
        assert api.post(README_GENRE).status_code == 200  # cost 15


def test_a_cold_start_reads_a_versions_list_sizes_once_however_many_requests_ask(loaded_url: str) -> None:
    """32 requests at once on a cold process used to read the sizes 32 times and exhaust the pool (503)."""
    import asyncio

    db = open_database(loaded_url, statement_timeout_ms=5000)

    async def ask(cache: ListSizesCache, requests: int, cancel_first: bool = False) -> list[object]:
        asking = [asyncio.ensure_future(cache.get(db, 1)) for _ in range(requests)]
        await asyncio.sleep(0)  # every request has asked: the first reads, the others wait
        if cancel_first:
            asking[0].cancel()  # the reading request goes away: one of the waiting ones reads instead
            asking = asking[1:]
        return await asyncio.gather(*asking)

    try:
        with count_statements(db.engine) as one_read:
            alone = asyncio.run(ask(ListSizesCache(), 1))
        with count_statements(db.engine) as statements:
            together = asyncio.run(ask(ListSizesCache(), 32))
        with count_statements(db.engine) as after_cancel:
            survivors = asyncio.run(ask(ListSizesCache(), 8, cancel_first=True))
    finally:
        db.dispose()
    assert len(one_read) >= 1 and together == alone * 32 and survivors == alone * 7
    assert statements == one_read
    assert len(after_cancel) <= 2 * len(one_read)  # the cancelled read, perhaps, then one more


# --- item 1: the deadline, the event loop, the answer size, SIGTERM ---------------------------


def test_request_past_its_deadline_answers_503_and_its_work_stops(loaded_url: str) -> None:
    with serve(api_settings(loaded_url, request_timeout_seconds=0.005)) as api:
        api.post("{ genre(id: 18) { name } }")  # list sizes read, threads started
        response, seconds = _timed(api.post, LARGE)
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert _error(response) == {
            "code": "REQUEST_TIMEOUT",
            "message": "The request took longer than 0.005 s (REQUEST_TIMEOUT_SECONDS) and was stopped; "
            "ask for less, or try again later.",
        }
        assert seconds < 0.3  # the whole answer takes ~0.1 s of work
        cpu = time.process_time()
        time.sleep(0.5)
        assert time.process_time() - cpu < 0.1  # nothing kept running after the answer


def _normal_answers_beside(
    base_url: str, attack_query: str, *, pause_seconds: float = 0.0
) -> tuple[list[int], list[httpx.Response], int]:
    """Milliseconds of 15 normal misses (sorted) sent while another client repeats `attack_query`:
    with its answers, and how many of those overlapped the time the normal ones took."""
    normal = "{ year(year: %d) { releases mostPopularGenre { genre { name } } } }"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        client.post("/graphql", json={"query": normal % 1979})  # warm: code paths, list sizes
        stop, attacks, spans = threading.Event(), [], []

        def attack() -> None:  # POST: never cached, so each one is refused or computed again
            with httpx.Client(base_url=base_url, timeout=30) as attacker:
                while not stop.is_set():
                    started = time.monotonic()
                    attacks.append(attacker.post("/graphql", json={"query": attack_query}))
                    spans.append((started, time.monotonic()))

        attacker = threading.Thread(target=attack)
        attacker.start()
        try:
            deadline = time.monotonic() + 30
            while not attacks and time.monotonic() < deadline:  # the attacks are under way
                time.sleep(0.005)
            window_start = time.monotonic()
            seconds = []
            for year in range(1980, 1995):  # a different query each time: never a cache hit
                response, took = _timed(client.post, "/graphql", json={"query": normal % year})
                assert response.status_code == 200, response.text
                seconds.append(took)
                time.sleep(pause_seconds)  # land at different points of the attacks' work
            window_end = time.monotonic()
        finally:
            stop.set()
            attacker.join()
    during = sum(start < window_end and end > window_start for start, end in spans)
    return sorted(round(s * 1000) for s in seconds), attacks, during


@pytest.mark.parametrize("server_process", [{}], indirect=True, ids=["defaults"])
def test_normal_queries_answer_within_100ms_beside_depth_10_ones(server_process: tuple[subprocess.Popen, str]) -> None:
    _process, base_url = server_process
    milliseconds, attacks, during = _normal_answers_beside(base_url, DEPTH_10)
    assert {_error(response)["code"] for response in attacks} == {"QUERY_TOO_COSTLY"} and during >= 2
    # All but one under 100 ms, and none stalled: one slow answer can be the shared machine's
    # scheduling rather than the server (the refusals themselves run off the event loop).
    assert milliseconds[-2] < 100 and milliseconds[-1] < 500, milliseconds


@pytest.mark.parametrize("server_process", [{}], indirect=True, ids=["defaults"])
def test_normal_queries_answer_within_100ms_beside_the_largest_admitted_answers(
    server_process: tuple[subprocess.Popen, str],
) -> None:
    _process, base_url = server_process
    milliseconds, attacks, during = _normal_answers_beside(base_url, LARGE, pause_seconds=0.01)
    assert {response.status_code for response in attacks} == {200} and during >= 1
    # Alone, such a query takes ~3 ms; a large execution gives way to it between two fields.
    assert milliseconds[-2] < 100 and milliseconds[-1] < 500, milliseconds


def test_an_execution_past_its_first_20ms_waits_while_a_younger_one_runs() -> None:
    turns = Turns()
    old, young = ExecutionTurn(turns), ExecutionTurn(turns)
    turns.enter(old)
    time.sleep(SHORT_SECONDS)
    for _ in range(FIELDS_BETWEEN_CLOCK_READS):  # fields go by: it notices its age and grows old
        assert old.go_on()
    assert not old.young
    turns.enter(young)
    assert young.go_on() and young.young  # a young one never waits
    waited = []

    def next_field_of_old() -> None:
        started = time.monotonic()
        waited.append((old.go_on(), time.monotonic() - started))

    thread = threading.Thread(target=next_field_of_old)
    thread.start()
    time.sleep(0.2)
    assert thread.is_alive()  # paused: the young one runs
    turns.grow_old(young)  # it ends
    thread.join(1)
    assert waited and waited[0][0] is True and 0.2 <= waited[0][1] < 1.0
    turns.enter(young := ExecutionTurn(turns))
    old.stopped = True  # its deadline passes while it waits: it stops instead of waiting on
    assert old.go_on() is False
    turns.grow_old(young)


def test_answers_larger_than_max_response_bytes_are_refused(api: Api, loaded_url: str) -> None:
    query = "{ years { year releases } }"
    size = len(api.post(query).content)
    assert size > 2000
    with serve(api_settings(loaded_url, max_response_bytes=2000)) as limited:
        response = limited.post(query)
        assert response.status_code == 400
        assert _error(response) == {
            "code": "RESPONSE_TOO_LARGE",
            "message": f"The answer is {size:,} bytes, more than the 2,000 allowed (MAX_RESPONSE_BYTES): "
            "ask for fewer fields, a narrower year span or a smaller page.",
        }


@pytest.fixture
def server_process(
    request: pytest.FixtureRequest, loaded_url: str, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen, str]]:
    """`movie-stats serve` in a process of its own (its own interpreter lock), settings as parametrized."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": loaded_url, "ACCESS_LOG": "false", **getattr(request, "param", {})}
    command = [str(Path(sys.executable).parent / "movie-stats"), "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env=environment, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base_url}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            assert time.monotonic() < deadline and process.poll() is None, "the server did not start"
            time.sleep(0.1)
    try:
        yield process, base_url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        process.stderr.close()


@pytest.mark.parametrize(
    "server_process",
    [{"MAX_QUERY_COST": str(10**12), "REQUEST_TIMEOUT_SECONDS": "600"}],
    indirect=True,
    ids=["unbounded"],
)
def test_sigterm_stops_the_server_within_seconds_while_a_huge_query_runs(
    server_process: tuple[subprocess.Popen, str],
) -> None:
    process, base_url = server_process
    errors = []

    def send() -> None:
        try:
            httpx.post(f"{base_url}/graphql", json={"query": DEPTH_10}, timeout=60)
        except httpx.TransportError as error:  # the server closes the connection as it stops
            errors.append(error)

    client = threading.Thread(target=send)
    client.start()
    time.sleep(1.0)  # it runs: half a billion fields would take hours
    assert process.poll() is None
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    exit_code = process.wait(10)
    stopped_in = time.monotonic() - started
    client.join(10)
    # uvicorn ends by re-raising the signal it caught, after its shutdown: killed by SIGTERM, cleanly.
    # The grace, then the cut execution's thread and the shutdown: ~0.5 s, up to 2 s on a busy host.
    assert exit_code == -signal.SIGTERM and stopped_in < SHUTDOWN_GRACE_SECONDS + 3, (exit_code, stopped_in)


# --- item 2: bad input is a 400 with a code ----------------------------------------------------


def _get_target(query: str, variables: dict | None = None) -> str:
    """The request target of GET /graphql for this query and variables."""
    params = {"query": query, **({"variables": json.dumps(variables)} if variables is not None else {})}
    return f"/graphql?{urlencode(params)}"


def _long_get(api: Api, query: str, variables: dict | None = None) -> httpx.Response:
    """GET /graphql with a request line of any length (httpx refuses to send one over 64 KiB)."""
    connection = http.client.HTTPConnection(httpx.URL(api.base_url).host, httpx.URL(api.base_url).port, timeout=30)
    try:
        connection.request("GET", _get_target(query, variables))
        answer = connection.getresponse()
        return httpx.Response(answer.status, headers=answer.getheaders(), content=answer.read())
    finally:
        connection.close()


URL_TOO_LONG = {
    "code": "QUERY_TOO_LARGE",
    "message": "The request URL is longer than 65,535 bytes: send a query this long by POST.",
}
SEARCH = "query($s: String) { companies(search: $s, first: 1) { totalCount } }"
AFTER = "query($a: String) { companies(first: 1, after: $a) { totalCount } }"
NUL_MESSAGE = "holds a NUL character (U+0000), which no text in this API can contain: remove it."


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        ('{ companies(search: "a\\u0000b") { totalCount } }', None, f"`search` {NUL_MESSAGE}"),
        (SEARCH, {"s": "Warner\x00"}, f"`$s` {NUL_MESSAGE}"),
        ('{ companies(after: "\\u0000") { totalCount } }', None, f"`after` {NUL_MESSAGE}"),
        (AFTER, {"a": "x" * 100_000}, "`$a` is 100,000 characters long; string arguments may be at most 1,000."),
        (SEARCH, {"s": "y" * 1001}, "`$s` is 1,001 characters long; string arguments may be at most 1,000."),
    ],
    ids=["nul-literal", "nul-variable", "nul-cursor", "cursor-100kb", "search-1001"],
)
def test_arguments_no_store_can_take_are_a_400_invalid_argument(
    api: Api, query: str, variables: dict | None, message: str
) -> None:
    get = _long_get(api, query, variables)
    if len(_get_target(query, variables)) > MAX_URL_BYTES:  # the HTTP parser refuses such a URL before the app sees it
        assert get.status_code == 414 and _error(get) == URL_TOO_LONG
        get = None
    for response in (api.post(query, variables), get):
        if response is None:
            continue
        assert response.status_code == 400 and response.headers["content-type"] == "application/json"
        assert _error(response) == {"code": "INVALID_ARGUMENT", "message": message}


def test_lone_surrogates_are_a_400_before_they_reach_a_store(api: Api) -> None:
    literal = api.post('{ companies(search: "\\ud800") { totalCount } }')
    assert literal.status_code == 400
    assert _error(literal) == {
        "code": "GRAPHQL_PARSE_FAILED",
        "message": "Syntax Error: Invalid Unicode escape sequence: '\\ud800'.",
    }
    body = b'{"query": "' + SEARCH.encode() + b'", "variables": {"s": "\\ud800"}}'
    variable = api.client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert variable.status_code == 400 and _error(variable)["code"] == "BAD_REQUEST"
    assert _error(variable)["message"].startswith("The request body is not JSON (")


@pytest.mark.parametrize("payload", [["a\x00", 1], ["Warner Bros.", 10**30], ["Warner Bros.", -1]], ids=str)
def test_forged_cursors_are_a_400_invalid_cursor(api: Api, payload: list) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    response = api.post(AFTER, {"a": cursor})
    assert response.status_code == 400
    assert _error(response) == {
        "code": "INVALID_CURSOR",
        "message": "`after` is not a cursor this API handed out: use a `pageInfo.endCursor`.",
    }


def test_oversized_queries_and_bodies_are_a_413_with_a_graphql_body(api: Api) -> None:
    long_cursor = '{ companies(first: 1, after: "' + "x" * 100_000 + '") { totalCount } }'
    response = api.post(long_cursor)
    assert response.status_code == 413
    assert _error(response) == {
        "code": "QUERY_TOO_LARGE",
        "message": f"The query is {len(long_cursor):,} characters long; at most 65,536 are accepted. "
        "Pass long values as `variables`, or ask for less.",
    }
    # Over GET, a URL past 64 KiB is refused by the HTTP parser itself, still with a GraphQL body.
    response = _long_get(api, long_cursor)
    assert response.status_code == 414 and response.headers["content-type"] == "application/json"
    assert _error(response) == URL_TOO_LONG
    body = b'{"query": "{ genres { name } }", "variables": {"x": "' + b"z" * MAX_REQUEST_BYTES + b'"}}'
    response = api.client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert _error(response) == {
        "code": "QUERY_TOO_LARGE",
        "message": "The request body is over 1,048,576 bytes; send a smaller query.",
    }


# --- item 5: any query the schema accepts answers, or is refused with a code, in time ---------


def _values(type_: GraphQLInputType) -> st.SearchStrategy[str]:
    """GraphQL literals of an input type: ordinary values, edge values and hostile ones."""
    if isinstance(type_, GraphQLNonNull):
        return _values(type_.of_type)
    if isinstance(type_, GraphQLList):
        return st.lists(_values(type_.of_type), max_size=3).map(lambda items: f"[{', '.join(items)}]")
    if isinstance(type_, GraphQLEnumType):
        return st.sampled_from(sorted(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    if type_.name == "Int":
        edges = st.sampled_from([0, 1, -1, 16, 18, 100, 101, 1995, 6194, 2**31 - 1, -(2**31)])
        return st.one_of(edges, st.integers(-(2**31), 2**31 - 1)).map(str)
    if type_.name == "Boolean":
        return st.sampled_from(["true", "false"])
    hostile = st.sampled_from(["\x00", "\ud800", "%", "_", "\\", "a" * 1001, "WzEsMl0=", "Warner"])
    return st.one_of(hostile, st.text(max_size=20)).map(lambda text: json.dumps(text))


def _selection(type_: GraphQLObjectType, depth: int) -> st.SearchStrategy[str]:
    """A selection set on `type_`, nesting at most `depth` more object levels."""
    fields = [st.tuples(st.just("__typename"), st.just({}), st.just(""))]  # every type has one
    for name, field in sorted(type_.fields.items()):
        inner = get_named_type(field.type)
        if isinstance(inner, GraphQLObjectType) and depth == 0:
            continue
        arguments = st.fixed_dictionaries({}, optional={arg: _values(spec.type) for arg, spec in field.args.items()})
        below = (
            _selection(inner, depth - 1).map(lambda text: f" {{ {text} }}")
            if isinstance(inner, GraphQLObjectType)
            else st.just("")
        )
        fields.append(st.tuples(st.just(name), arguments, below))
    chosen = st.lists(st.one_of(fields), min_size=1, max_size=3)
    return chosen.map(
        lambda picks: " ".join(
            f"f{index}: {name}"
            + (f"({', '.join(f'{arg}: {value}' for arg, value in arguments.items())})" if arguments else "")
            + below
            for index, (name, arguments, below) in enumerate(picks)
        )
    )


SCHEMA = build_schema()._schema
QUERIES = (
    st.integers(0, 5).flatmap(lambda depth: _selection(SCHEMA.query_type, depth)).map(lambda text: f"{{ {text} }}")
)


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=QUERIES)
def test_any_query_the_schema_accepts_answers_or_is_refused_with_a_code_in_time(api: Api, query: str) -> None:
    response, seconds = _timed(api.post, query)
    assert seconds < 10 + 1  # REQUEST_TIMEOUT_SECONDS, plus the HTTP round trip
    body = response.json()
    assert response.status_code in (200, 400, 503), (response.status_code, body)
    codes = {error["extensions"]["code"] for error in body.get("errors", ())}
    assert codes <= CODES, (query, body)
    assert response.status_code != 200 or "data" in body
