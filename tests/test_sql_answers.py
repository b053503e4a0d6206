"""Answers built in one statement (schema.sql_answers, db.postgres_json) are the normal path's very bytes.

Every compilable query shape runs through both paths on real PostgreSQL, over the real head-5000
file and a generated file: the compiled `data` text must equal orjson's dump of graphql-core's
result byte for byte. Shapes outside the subset must not compile, and over HTTP a compiled
answer is one SQL statement.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import parse
from sqlalchemy import text
from sqlalchemy.exc import DataError
from strawberry.schema.schema import validate_document

from app.database import open_database
from app.metrics import Metrics
from db import postgres_loop
from db.api_database import Database
from db.engine import make_engine
from db.json_plan import SOURCES
from db.migrate import upgrade
from db.postgres_json import float_json, postgres_statement
from importer.sample.generate import generate_file
from schema import Limits, build_schema
from schema.context import Context
from schema.errors import DatabaseUnavailable
from schema.sql_answers import SqlAnswers
from schema.sql_plan import _TYPES, PlanLimits, _Nested, compile_operation
from tests.api_support import api_settings, count_statements, load, serve
from tests.conftest import _postgres_schema_url, head5000

MAX_PAGE_SIZE = 100
_FIGURES = "year releases budget revenue profit averagePopularity totalPopularity"
_COVERAGE = "coverage { __typename releases withBudget withRevenue withBoth withPopularity }"
_METRICS = ("AVERAGE_POPULARITY", "TOTAL_POPULARITY", "RELEASES", "BUDGET", "REVENUE", "PROFIT")

SHAPES = [
    # the four questions of bench/api_bench.py, and as bench/wrk_vary.lua varies them
    "{ companies(first: 20) { totalCount nodes { id name years { year releases budget revenue "
    "profit averagePopularity releasesByGenre { genre { name } releases } } } } }",
    "{ company(id: 6194) { name years { year releases budget revenue profit averagePopularity "
    "coverage { withBudget withRevenue withBoth } releasesByGenre { genre { name } releases } } } }",
    "{ year(year: 1995) { releases mostPopularGenre { genre { name } averagePopularity } "
    "genres { genre { name } releases averagePopularity } } }",
    "{ u17: __typename genre(id: 18) { name years { year releases budget revenue averagePopularity } } }",
    "query Named { __typename }",
    # companies: page sizes at their edges, page info, typenames
    "{ companies(first: 0) { __typename totalCount pageInfo { __typename hasNextPage } nodes { id } } }",
    "{ companies(first: 100) { pageInfo { hasNextPage } totalCount nodes { name id } } }",
    "{ companies { totalCount } a: companies(first: 1) { nodes { n: name } } }",
    "{ companies(search: null, after: null, first: 3) { nodes { id years(from: 1990, to: 1990) { year } } } }",
    # a company: every field, spans, missing
    f"{{ c: company(id: 6194) {{ __typename id name y: years(from: 1995, to: 1996) {{ __typename {_FIGURES} "
    f"{_COVERAGE} releasesByGenre {{ __typename releases genre {{ __typename id name }} }} }} }} }}",
    "{ company(id: 6194) { years(from: 2000) { year } early: years(to: 1930) { year releases } } }",
    "{ company(id: 6194) { years(from: 2000, to: 1990) { year } none: years(from: null, to: null) { year } } }",
    "{ company(id: 999999999) { name } m: company(id: -1) { id } big: company(id: 2147483647) { id } }",
    # genres
    "{ genres { __typename id name } }",
    f"{{ genre(id: 35) {{ id name years(from: 1970, to: 2000) {{ {_FIGURES} {_COVERAGE} genre {{ id name }} }} }} }}",
    "{ genre(id: 18) { years(from: 1800, to: 1801) { year } } g: genre(id: 424242) { name } }",
    # years
    "{ year(year: 2000) { year releases "
    + " ".join(f"by_{m.lower()}: mostPopularGenre(by: {m}) {{ genre {{ name }} {_FIGURES} }}" for m in _METRICS)
    + " } }",
    "{ year(year: 1995) { "
    + " ".join(
        f"by_{m.lower()}: genres(orderBy: {m}, first: 6) {{ genre {{ id name }} {_FIGURES} {_COVERAGE} }}"
        for m in _METRICS
    )
    + " } }",
    "{ year(year: 1995) { a: genres(first: 0) { releases } b: genres(first: 100) { releases } c: genres(first: null) "
    "{ releases } } }",
    "{ year(year: 1066) { releases } }",
    f"{{ years {{ __typename {_FIGURES} {_COVERAGE} }} }}",
    "{ years(from: 1990, to: 1995) { year mostPopularGenre(by: BUDGET) { __typename genre { name } budget } } }",
]
# Outside the subset, or refused by a check: the normal path answers.
NOT_COMPILED = [
    "query Q($id: Int!) { company(id: $id) { name } }",
    "{ company(id: 6194) { ...C } } fragment C on Company { name }",
    "{ company(id: 6194) { ... on Company { name } } }",
    "{ company(id: 6194) @include(if: true) { name } }",
    '{ companies(search: "warner") { totalCount } }',
    "{ companies(first: 101) { totalCount } }",
    "{ companies(first: -1) { totalCount } }",
    "{ companies { pageInfo { endCursor } } }",
    "{ company(id: 6194) { totals { releases } } }",
    "{ company(id: 6194) { name name } }",
    "{ year(year: 1995) { genres(first: 101) { releases } } }",
    "{ movies(first: 1) { totalCount } }",
    "{ dataset { version } }",
    "{ company(id: 6194) { nosuchfield } }",
    "{ company { name } }",
    "{ a: __typename } { b: __typename }",
    "mutation { __typename }",
    "{ " + "genres { years { genre { years { year } } } } " + "}",  # refused by the cost limit
    "{ __schema { queryType { name } } }",
]


# Invalid documents shaped like the subset: graphql-core's validation refuses each, and none compiles.
INVALID = [
    "{ company(id: 6194, id: 5) { name } }",
    "{ company(ident: 6194) { name } }",
    "{ company { name } }",
    "{ company(id: null) { name } }",
    "{ company(id: 2147483648) { name } }",
    '{ company(id: "6194") { name } }',
    "{ company(id: 6194.5) { name } }",
    "{ company(id: 6194) { name { first } } }",
    "{ company(id: 6194) }",
    "{ company(id: 6194) { years(from: RELEASES) { year } } }",
    "{ companies(first: null) { totalCount } }",
    "{ year(year: 1995) { mostPopularGenre(by: POPULARITY) { releases } } }",
    "{ year(year: 1995) { genres(orderBy: 3) { releases } } }",
    "{ year(year: 1995) { releases(first: 1) } }",
    "{ __typename(x: 1) }",
    "{ __typename { name } }",
    "{ genre(id: 18) { a: name a: id } }",
    "{ year(year: 1995) { genres { genre { releases } } } }",
]


def _load_generated(url: str, tmp_path: Path) -> int:
    path = tmp_path / "generated.csv.gz"
    generate_file(path, records=3000, seed=7)
    return load(url, path)


_ODD_NAME = 'Odd "Co" \t\x01\u2028 \u00e9 \U0001f3ac'  # escaped by to_json as by orjson
_ODD_COMPANY = "[{'name': '" + _ODD_NAME + "', 'id': 990001}]"


def _load_edges(url: str, tmp_path: Path) -> int:
    """The real file's first 300 records, and movies making the data's edges.

    A company whose only movie has no release date (no years), a year whose movie has no genre,
    names to escape, popularities printed in exponent form (below 10^-4).
    """
    with gzip.open(head5000(), "rt", encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))[:301]
    header = rows[0]

    def movie(id_: int, date: str, genres: str, companies: str, popularity: str) -> list[str]:
        values = {"id": str(id_), "title": f"Edge {id_}", "release_date": date, "genres": genres}
        values |= {"production_companies": companies, "popularity": popularity, "budget": "0", "revenue": "0"}
        return [values.get(column, "") for column in header]

    rows.append(movie(990101, "", "[{'id': 18, 'name': 'Drama'}]", _ODD_COMPANY, "1.5"))
    rows.append(movie(990102, "1888-01-01", "[]", "[]", "0.000001"))
    rows.append(movie(990103, "1889-05-05", "[{'id': 18, 'name': 'Drama'}]", "[]", "0.00003"))
    rows.append(movie(990104, "1889-06-06", "[{'id': 99, 'name': 'Documentary'}]", "[]", "0.0000025"))
    path = tmp_path / "edges.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows(rows)
    return load(url, path)


@pytest.fixture(scope="module", params=["head5000", "generated", "edges"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, str]]:
    """A PostgreSQL store holding the real head-5000 file, or a generated one, live: (url, version, which)."""
    generator = _postgres_schema_url()
    url = next(generator)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    if request.param == "head5000":
        version = load(url, head5000())
    elif request.param == "generated":
        version = _load_generated(url, tmp_path_factory.mktemp("generated"))
    else:
        version = _load_edges(url, tmp_path_factory.mktemp("edges"))
    yield url, version, request.param
    next(generator, None)


def _both(db: Database, version_id: int, queries: list[str]) -> list[tuple[str | None, bytes]]:
    """Each query's compiled `data` text (None: not compiled) and the normal path's whole body."""
    schema = build_schema()
    answers = SqlAnswers(schema.checks, MAX_PAGE_SIZE)

    async def run() -> list[tuple[str | None, bytes]]:
        results = []
        for query in queries:
            compiled = await answers.answer(db, query, None, None, version_id)
            context = Context.for_version(db, version_id, MAX_PAGE_SIZE)
            result = await schema.execute(query, context_value=context)
            normal = orjson.dumps(
                {"data": result.data} if not result.errors else {"errors": [e.formatted for e in result.errors]}
            )
            results.append((compiled, normal))
        return results

    return asyncio.run(run())


def _edge_shapes(db: Database, version_id: int) -> list[str]:
    """Shapes at the data's edges: a company with no years, a year with no genres (each where there is one)."""

    def find(connection: Any, _version: int) -> tuple[int, int]:
        company = connection.execute(
            text(
                "SELECT min(id) FROM companies c WHERE version_id = :v AND NOT EXISTS "
                "(SELECT 1 FROM company_years y WHERE y.version_id = :v AND y.company_id = c.id)"
            ),
            {"v": version_id},
        ).scalar_one()
        year = connection.execute(
            text(
                "SELECT min(year) FROM year_totals t WHERE version_id = :v AND NOT EXISTS "
                "(SELECT 1 FROM genre_years g WHERE g.version_id = :v AND g.year = t.year)"
            ),
            {"v": version_id},
        ).scalar_one()
        return company, year

    company, year = asyncio.run(db.run(find, version_id))
    shapes = [f"{{ company(id: {company}) {{ id name years {{ year releasesByGenre {{ releases }} }} }} }}"]
    shapes += [f"{{ year(year: {year}) {{ releases mostPopularGenre {{ genre {{ name }} }} genres {{ releases }} }} }}"]
    return [shape for shape in shapes if "None" not in shape]


def test_every_compilable_shape_answers_the_normal_paths_bytes(store: tuple[str, int, str]) -> None:
    url, version_id, which = store
    db = open_database(url, statement_timeout_ms=5000)
    try:
        edges = _edge_shapes(db, version_id)
        assert len(edges) == 2 or which != "edges"
        shapes = SHAPES + edges
        for query, (compiled, normal) in zip(shapes, _both(db, version_id, shapes), strict=True):
            assert compiled is not None, query
            assert b'{"data":' + compiled.encode() + b"}" == normal, query
    finally:
        db.dispose()


def test_every_field_of_the_subset_is_a_field_of_its_type() -> None:
    graphql_schema = build_schema().checks.schema
    for type_name, fields in _TYPES.values():
        assert set(fields) <= set(graphql_schema.type_map[type_name].fields), type_name  # type: ignore[attr-defined]  # object types
        for spec in fields.values():  # every source the subset reads is one db.json_plan documents
            assert not isinstance(spec, _Nested) or spec.source in SOURCES, (type_name, spec)


def test_compiled_documents_are_valid_and_invalid_ones_never_compile() -> None:
    schema = build_schema()
    checks = schema.checks
    limits = PlanLimits(MAX_PAGE_SIZE, checks.max_depth, checks.max_aliases)
    for query in SHAPES:
        compilation = compile_operation(parse(query), None, checks.schema, limits)
        assert compilation is not None and compilation.valid, query
        assert validate_document(checks.schema, parse(query), checks.rules) == [], query
    for query in INVALID:
        assert compile_operation(parse(query), None, checks.schema, limits) is None, query
        assert validate_document(checks.schema, parse(query), checks.rules) != [], query


def test_near_the_depth_and_alias_limits_documents_are_validated_as_the_normal_path_does() -> None:
    schema = build_schema(Limits(max_depth=2, max_aliases=2))
    limits = PlanLimits(MAX_PAGE_SIZE, 2, 2)
    deep, aliased = SHAPES[1], "{ a: __typename b: __typename }"
    for query in (deep, aliased):
        compilation = compile_operation(parse(query), None, schema.checks.schema, limits)
        assert compilation is not None and not compilation.valid
    assert compile_operation(parse("{ a: __typename b: genres { id } }"), None, schema.checks.schema, limits)
    answers = SqlAnswers(schema.checks, MAX_PAGE_SIZE)
    assert answers._compile(deep, None, postgres_statement) is None  # too deep: refused by validation
    assert answers._compile(aliased, None, postgres_statement) is not None  # two aliases are allowed


def test_shapes_outside_the_subset_are_left_to_the_normal_path(store: tuple[str, int, str]) -> None:
    url, version_id, _which = store
    db = open_database(url, statement_timeout_ms=5000)
    try:
        for query, (compiled, _normal) in zip(NOT_COMPILED, _both(db, version_id, NOT_COMPILED), strict=True):
            assert compiled is None, query
    finally:
        db.dispose()


def test_over_http_a_compiled_answer_is_one_prepared_statement_sent_from_the_event_loop(
    store: tuple[str, int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _version, _which = store
    sent: list[str] = []
    run = postgres_loop._run

    async def noting(raw: Any, sql: str, parameters: tuple[Any, ...] | None) -> Any:
        sent.append(sql)
        return await run(raw, sql, parameters)

    monkeypatch.setattr(postgres_loop, "_run", noting)
    with serve(api_settings(url, cache_ttl_seconds=0)) as api:
        assert api.get("{ __typename }").status_code == 200  # the version's list sizes, read once
        sent.clear()
        with count_statements(api.engine) as through_threads:
            first = api.get(SHAPES[2])
            assert [statement.split()[0] for statement in sent] == ["PREPARE", "EXECUTE"]
            bodies = []
            for number in range(8):  # past PostgreSQL's five custom plans, to its generic one
                sent.clear()
                response = api.get(SHAPES[2].replace("{ year", f"{{ u{number}: __typename year", 1))
                assert response.status_code == 200 and len(sent) == 1 and sent[0].startswith("EXECUTE")
                bodies.append(response.content.replace(f'"u{number}":"Query",'.encode(), b""))
        assert through_threads == []  # nothing went through the engine's pool
    assert first.status_code == 200 and first.json()["data"]["year"]["releases"] > 0
    assert bodies == [first.content] * 8


def test_with_every_loop_connection_busy_a_compiled_answer_waits_for_one(store: tuple[str, int, str]) -> None:
    url, version_id, _which = store
    db = open_database(url, statement_timeout_ms=5000, max_connections=2)
    compiled = SqlAnswers(build_schema(Limits()).checks, MAX_PAGE_SIZE)._compile(SHAPES[2], None, postgres_statement)
    assert compiled is not None

    async def answers(count: int) -> list[str]:
        return await asyncio.gather(*(db.json_answer(compiled.statement, version_id) for _ in range(count)))

    try:
        with count_statements(db.engine) as through_threads:
            texts = asyncio.run(answers(6))  # six calls on two connections: four wait their turn
        assert len(texts) == 6 and len(set(texts)) == 1 and orjson.loads(texts[0])["year"]["releases"] > 0
        assert through_threads == []
    finally:
        db.dispose()


@dataclass(frozen=True)
class _Sleep:
    """A real statement that holds its connection `seconds` long."""

    seconds: float

    def commands(self, prepared: set[str], version_id: int) -> list[tuple[str, tuple[Any, ...] | None]]:
        return [("SELECT pg_sleep(%s)::text", (self.seconds,))]


def test_a_call_that_finds_no_connection_free_within_a_second_answers_unavailable(
    store: tuple[str, int, str],
) -> None:
    url, version_id, _which = store
    db = open_database(url, statement_timeout_ms=5000, max_connections=1)

    async def two_calls() -> tuple[str | BaseException, ...]:
        return tuple(
            await asyncio.gather(
                db.json_answer(_Sleep(1.6), version_id), db.json_answer(_Sleep(0), version_id), return_exceptions=True
            )
        )

    try:
        started = time.monotonic()
        slow, waited = asyncio.run(two_calls())
        assert slow == "" and 1.5 < time.monotonic() - started < 3
        assert isinstance(waited, DatabaseUnavailable)
        assert str(waited) == "All 1 database connections stayed busy for 1 s; try again shortly."
        assert asyncio.run(db.json_answer(_Sleep(0), version_id)) == ""  # the connection serves again
    finally:
        db.dispose()


def test_the_connections_in_use_gauge_counts_those_of_compiled_answers(store: tuple[str, int, str]) -> None:
    url, version_id, _which = store
    db = open_database(url, statement_timeout_ms=5000, max_connections=2)
    metrics = Metrics()
    metrics.watch_pool(db, "primary")

    def in_use() -> float | None:
        return metrics.registry.get_sample_value("movie_stats_db_connections_in_use", {"database": "primary"})

    async def during_a_call() -> float | None:
        call = asyncio.create_task(db.json_answer(_Sleep(0.5), version_id))
        await asyncio.sleep(0.25)
        counted = in_use()
        await call
        return counted

    try:
        assert in_use() == 0
        assert asyncio.run(during_a_call()) == 1
        assert in_use() == 0
    finally:
        db.dispose()


def _orjson_floats() -> list[float]:
    """Doubles below 10^16 in size (larger ones fail the statement: test below), at every edge of orjson's forms."""
    chosen = [0.0, -0.0, 1e-4, 9.99e-5, 1e-5, 1.5e-5, 1e-6, 2.5e-7, 1e-300, 5e-324, 1e15, 1.5e15, 999999999999999.9]
    chosen += [9999999999999998.0, 123.456, 10.0, 8.55711805263158, 1234567890123456.8, 2.0**53, 2.0**53 + 2]
    rng = random.Random(22)
    chosen += [rng.uniform(1, 10) * 10.0 ** rng.randint(-30, 15) for _ in range(5000)]
    chosen += [rng.random() * 10.0 ** rng.randint(-8, 8) for _ in range(5000)]
    chosen += [float(rng.randint(0, 10**16 - 1)) for _ in range(500)]
    return chosen + [-value for value in chosen]


def test_floats_print_as_orjson_prints_them(store: tuple[str, int, str]) -> None:
    url, _version, _which = store
    values = _orjson_floats() + [math.nan, math.inf, -math.inf]
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            printed = (
                connection.exec_driver_sql(
                    f"SELECT {float_json('x')} FROM unnest(%(xs)s::float8[]) WITH ORDINALITY AS t(x, n) ORDER BY n",
                    {"xs": [repr(value) for value in values]},
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    assert printed == [orjson.dumps(value).decode() for value in values]


def test_floats_from_ten_to_the_sixteenth_fail_the_statement(store: tuple[str, int, str]) -> None:
    url, _version, _which = store
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            for value in (1e16, -5.908203781498042e16, 1.7976931348623157e308):
                with pytest.raises(DataError, match="division by zero"):
                    connection.exec_driver_sql(f"SELECT {float_json('%(x)s::float8')}", {"x": value}).scalar_one()
                connection.rollback()
    finally:
        engine.dispose()
