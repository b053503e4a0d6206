"""Answers stay byte-identical: a recorded set of GET answers on the real head-5000 file.

The fixture was recorded from the code before the serving-speed work (issue 22) changed how
queries execute; every answer (status and body bytes) must still be the same, on both backends.
Re-record only when an answer is meant to change: RECORD_ANSWERS=1 pytest tests/test_answers_recorded.py
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from tests.api_support import Api

FIXTURE = Path(__file__).parent / "fixtures" / "answers_head5000.json"
RECORD = os.environ.get("RECORD_ANSWERS") == "1"

_YEAR_FIELDS = "year releases budget revenue profit averagePopularity totalPopularity"
_COVERAGE = "coverage { releases withBudget withRevenue withBoth }"
QUERIES = {
    # the four questions of bench/api_bench.py
    "bench company page": "{ companies(first: 20) { totalCount nodes { id name years { year releases budget revenue "
    "profit averagePopularity releasesByGenre { genre { name } releases } } } } }",
    "bench company years": "{ company(id: 6194) { name years { year releases budget revenue profit averagePopularity "
    "coverage { withBudget withRevenue withBoth } } } }",
    "bench year 1995": "{ year(year: 1995) { releases mostPopularGenre { genre { name } averagePopularity } "
    "genres { genre { name } releases averagePopularity } } }",
    "bench genre years": "{ genre(id: 18) { name years { year releases budget revenue averagePopularity } } }",
    # the rest of the surface
    "companies page 2": '{ companies(first: 7, after: "WyIxMiBHYXVnZSBQcm9kdWN0aW9ucyIsNjYzXQ==") { totalCount pageInfo { hasNextPage endCursor } '
    "nodes { id name } } }",
    "companies first page info": "{ companies(first: 3) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }",
    "companies search": '{ companies(search: "warner", first: 50) { totalCount pageInfo { hasNextPage endCursor } '
    "nodes { id name years(from: 1990, to: 1999) { year releases releasesByGenre { genre { id name } releases } } } } }",
    "companies search wildcard literal": '{ companies(search: "%_", first: 5) { totalCount nodes { id name } } }',
    "company full years": "{ company(id: 6194) { id name years(from: 1980) { "
    + _YEAR_FIELDS.replace(" totalPopularity", "")
    + " coverage { releases withBudget withRevenue withBoth } releasesByGenre { genre { id name } releases } } } }",
    "company missing": "{ company(id: 999999999) { name } }",
    "genres": "{ genres { id name } }",
    "genre full": f"{{ genre(id: 35) {{ id name years(from: 1970, to: 2000) {{ {_YEAR_FIELDS} {_COVERAGE} "
    "genre { id name } } } }",
    "genre missing": "{ genre(id: 424242) { name } }",
    "year full": "{ year(year: 2000) { year releases "
    + " ".join(
        f"by_{metric.lower()}: mostPopularGenre(by: {metric}) {{ genre {{ name }} {_YEAR_FIELDS} }}"
        for metric in ("AVERAGE_POPULARITY", "TOTAL_POPULARITY", "RELEASES", "BUDGET", "REVENUE", "PROFIT")
    )
    + " } }",
    "year genres by metric": "{ year(year: 1995) { "
    + " ".join(
        f"{metric.lower()}: genres(orderBy: {metric}, first: 6) {{ genre {{ id name }} {_YEAR_FIELDS} {_COVERAGE} }}"
        for metric in ("AVERAGE_POPULARITY", "TOTAL_POPULARITY", "RELEASES", "BUDGET", "REVENUE", "PROFIT")
    )
    + " } }",
    "year missing": "{ year(year: 1066) { releases } }",
    "years range": "{ years(from: 1990, to: 1995) { year releases mostPopularGenre { genre { name } } } }",
    "years all": "{ years { year releases } }",
    "movie": "{ movie(id: 862) { id title releaseDate budget revenue popularity genres { id name } "
    "companies { id name } } }",
    "movie missing": "{ movie(id: 1) { title } }",
    "typename and aliases": "{ __typename a: genre(id: 18) { __typename name } b: genre(id: 28) { name } }",
    "variables": {
        "query": "query Q($id: Int!, $from: Int) { company(id: $id) { name years(from: $from) { year releases } } }",
        "variables": '{"id": 2, "from": 1990}',
    },
    # errors: status, codes and messages unchanged
    "error page too large": "{ companies(first: 100000) { totalCount } }",
    "error unknown field": "{ company(id: 1) { nope } }",
    "error syntax": "{ company(id: ",
    "error depth": "{ movie(id: 862) { companies { years { releasesByGenre { genre { years { genre { years "
    "{ genre { years { genre { name } } } } } } } } } } } }",
    "error aliases": "{ " + " ".join(f"a{i}: genres {{ id }}" for i in range(40)) + " }",
    "error wrong type": '{ company(id: "x") { name } }',
    "error mutation": "mutation { x }",
}


def _answer(api: Api, request: str | dict[str, str]) -> dict[str, object]:
    params = {"query": request} if isinstance(request, str) else request
    response = api.client.get("/graphql", params=params)
    return {"status": response.status_code, "body": response.content.decode()}


def test_answers_are_byte_identical_to_the_recorded_ones(api: Api) -> None:
    backend = api.engine.dialect.name  # float sums differ in their last digits between the two engines
    answers = {name: _answer(api, request) for name, request in QUERIES.items()}
    if RECORD:
        everything = orjson.loads(FIXTURE.read_bytes()) if FIXTURE.exists() else {}
        FIXTURE.write_bytes(orjson.dumps({**everything, backend: answers}, option=orjson.OPT_INDENT_2) + b"\n")
    recorded = orjson.loads(FIXTURE.read_bytes())[backend]
    assert set(recorded) == set(answers)
    for name, answer in answers.items():
        assert answer == recorded[name], name
    # a second round answers from the response cache: the same bytes again
    for name, request in QUERIES.items():
        assert _answer(api, request) == recorded[name], f"{name} (cached)"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("name", ["bench company page", "bench year 1995", "companies page 2", "year full"])
def test_recorded_answers_are_real_answers(backend: str, name: str) -> None:
    """The fixture holds data, not errors, where the query asks for data."""
    answer = orjson.loads(FIXTURE.read_bytes())[backend][name]
    assert answer["status"] == 200 and '"errors"' not in answer["body"] and len(answer["body"]) > 200
