"""Rankings over spans, the movies behind the figures and the dataset versions, on both stores.

Expected values come from the reference reading of the real head-5000 file in
tests.test_api_queries (data rules 1-18 in plain Python, straight from the CSV), and the
headline figures are also spelled out, as checked by hand against that reading.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from resolvers import cursors
from resolvers.movie_lists import MovieFilter
from tests.api_support import Api, api_settings, count_statements, load, serve
from tests.conftest import head5000
from tests.csvfiles import catalogue, write_csv
from tests.test_api_queries import RefData, RefMovie, figures, reference

WARNER = 6194
FIGURES = "years releases budget revenue profit averagePopularity totalPopularity"
COVERAGE = "coverage { releases withBudget withRevenue withBoth withPopularity }"
FIELD_OF = {"RELEASES": "releases", "BUDGET": "budget", "REVENUE": "revenue", "PROFIT": "profit"}


@pytest.fixture(scope="module")
def ref() -> RefData:
    """The reference reading of head-5000."""
    return reference(head5000())


def span_figures(movies: list[RefMovie]) -> dict[str, Any]:
    """Rules 10-14 over a span: the figures of all its movies, and the years with releases."""
    found = figures(movies)
    found["years"] = len({movie.year for movie in movies})
    found["withPopularity"] = sum(1 for movie in movies if movie.popularity is not None)
    return found


def by_company(ref: RefData, first: int | None, last: int | None) -> dict[int, list[RefMovie]]:
    """Each company's movies released in the span (rule 15: a movie counts for each company)."""
    found: dict[int, list[RefMovie]] = defaultdict(list)
    for movie in ref.movies.values():
        if movie.year is None or (first is not None and movie.year < first) or (last is not None and movie.year > last):
            continue
        for company in movie.companies:
            found[company].append(movie)
    return found


def ranked(ref: RefData, metric: str, first: int | None, last: int | None) -> list[tuple[int, Any]]:
    """(company id, value) best first, NULLs last, ties by name (code point order) then id."""
    field_name = FIELD_OF[metric]
    values = [(id_, span_figures(movies)[field_name]) for id_, movies in by_company(ref, first, last).items()]
    return sorted(values, key=lambda item: (item[1] is None, -(item[1] or 0), ref.company_names[item[0]], item[0]))


def expected_totals(movies: list[RefMovie]) -> dict[str, Any]:
    found = span_figures(movies)
    coverage = {key: found[key] for key in ("releases", "withBudget", "withRevenue", "withBoth", "withPopularity")}
    return {**{key: found[key] for key in FIGURES.split()}, "coverage": coverage}


def assert_totals(served: dict[str, Any], expected: dict[str, Any]) -> None:
    for key in ("averagePopularity", "totalPopularity"):
        assert served[key] == pytest.approx(expected[key], rel=1e-12), key
    exact = {key: value for key, value in served.items() if key not in ("averagePopularity", "totalPopularity")}
    assert exact == {key: value for key, value in expected.items() if key in exact}


RANKING = f"""query($from: Int, $to: Int, $by: CompanyMetric!, $first: Int!, $after: String) {{
  companyRanking(by: $by, from: $from, to: $to, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    nodes {{ company {{ id name }} {FIGURES} {COVERAGE} }}
  }}
}}"""


@pytest.mark.parametrize(
    ("first", "last", "top5"),
    [
        (1995, 1995, [
            (33, "Universal Pictures", 1608712529), (6194, "Warner Bros.", 1328198811),
            (915, "Hollywood Pictures", 807777096), (306, "Twentieth Century Fox Film Corporation", 633227062),
            (56, "Amblin Entertainment", 552641458),
        ]),
        (1990, 1999, [
            (6194, "Warner Bros.", 10710408770), (4, "Paramount Pictures", 10128216750),
            (306, "Twentieth Century Fox Film Corporation", 9721711546), (33, "Universal Pictures", 9339532190),
            (56, "Amblin Entertainment", 5188141688),
        ]),
    ],
)  # fmt: skip
def test_rules_10_to_15_top_5_companies_by_revenue_over_a_span(
    api: Api, ref: RefData, first: int, last: int, top5: list[tuple[int, str, int]]
) -> None:
    page = api.data(RANKING, {"from": first, "to": last, "by": "REVENUE", "first": 5})["companyRanking"]
    movies = by_company(ref, first, last)
    assert page["totalCount"] == len(movies)
    assert page["pageInfo"]["hasNextPage"] is True
    assert [(n["company"]["id"], n["company"]["name"], n["revenue"]) for n in page["nodes"]] == top5
    assert [id_ for id_, _ in ranked(ref, "REVENUE", first, last)[:5]] == [id_ for id_, _, _ in top5]
    for node in page["nodes"]:
        assert_totals({k: v for k, v in node.items() if k != "company"}, expected_totals(movies[node["company"]["id"]]))


def test_rule_14_warner_bros_totals_over_the_1990s(api: Api, ref: RefData) -> None:
    query = (
        f"{{ company(id: {WARNER}) {{ totals(from: 1990, to: 1999) {{ company {{ name }} {FIGURES} {COVERAGE} }} }} }}"
    )
    totals = api.data(query)["company"]["totals"]
    assert totals.pop("company") == {"name": "Warner Bros."}
    assert (totals["years"], totals["releases"], totals["budget"], totals["revenue"], totals["profit"]) == (
        10, 156, 4_793_000_000, 10_710_408_770, 5_942_904_866,
    )  # fmt: skip
    assert totals["coverage"] == {
        "releases": 156, "withBudget": 105, "withRevenue": 103, "withBoth": 88, "withPopularity": 156,
    }  # fmt: skip
    # Rule 14 over a span: total popularity over the movies with one, not a mean of yearly means.
    assert totals["averagePopularity"] == pytest.approx(1326.245194 / 156, rel=1e-12)
    assert_totals(totals, expected_totals(by_company(ref, 1990, 1999)[WARNER]))


def test_totals_of_a_span_without_releases_are_zero_and_null(api: Api) -> None:
    query = f"{{ company(id: {WARNER}) {{ totals(from: 1800, to: 1801) {{ {FIGURES} {COVERAGE} }} }} }}"
    totals = api.data(query)["company"]["totals"]
    assert totals == {
        "years": 0, "releases": 0, "budget": None, "revenue": None, "profit": None,
        "averagePopularity": None, "totalPopularity": None,
        "coverage": {"releases": 0, "withBudget": 0, "withRevenue": 0, "withBoth": 0, "withPopularity": 0},
    }  # fmt: skip


def test_whole_dataset_totals_equal_the_reference(api: Api, ref: RefData) -> None:
    query = f"{{ company(id: {WARNER}) {{ totals {{ {FIGURES} {COVERAGE} }} }} genre(id: 16) {{ totals {{ {FIGURES} }} }} }}"
    data = api.data(query)
    assert_totals(data["company"]["totals"], expected_totals(by_company(ref, None, None)[WARNER]))
    animation = [m for m in ref.movies.values() if 16 in m.genres and m.year is not None]
    assert_totals(data["genre"]["totals"], {k: expected_totals(animation)[k] for k in FIGURES.split()})


def pages(api: Api, variables: dict[str, Any]) -> tuple[list[dict[str, Any]], int, int]:
    """Every node of a company ranking, page by page: (nodes, totalCount, pages)."""
    nodes, after, count = [], None, 0
    while True:
        page = api.data(RANKING, {**variables, "after": after})["companyRanking"]
        nodes += page["nodes"]
        count += 1
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, page["totalCount"], count
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize(
    ("metric", "first", "last"), [("REVENUE", 1990, 1999), ("BUDGET", None, None), ("RELEASES", None, None)]
)
def test_every_company_comes_once_in_ranking_order_page_by_page(
    api: Api, ref: RefData, metric: str, first: int | None, last: int | None
) -> None:
    nodes, total, count = pages(api, {"from": first, "to": last, "by": metric, "first": 100})
    expected = ranked(ref, metric, first, last)
    assert count == -(-len(expected) // 100) and total == len(expected)
    assert [(n["company"]["id"], n[FIELD_OF[metric]]) for n in nodes] == expected  # NULLs last, ties by name


def test_ties_break_by_code_point_not_by_locale(api: Api, ref: RefData) -> None:
    """Companies with one release of all time tie; their names compare by code point on both
    stores: every capital before every small letter, and an accented capital (Ú, U+00DA) after
    both, where a dictionary order would put them among the others."""
    nodes, _, _ = pages(api, {"by": "RELEASES", "first": 100})
    tied = [n["company"]["name"] for n in nodes if n["releases"] == 1]
    assert tied == sorted(tied)
    last_capital = max(i for i, name in enumerate(tied) if name.startswith("Z"))
    assert last_capital < tied.index("abramoff Production") < tied.index("Új Budapest Filmstudió") == len(tied) - 1
    listed = api.data('{ companies(search: "é", first: 100) { nodes { name } } }')["companies"]["nodes"]
    names = [node["name"] for node in listed]
    assert names == sorted(names) and names != sorted(names, key=str.casefold)


def test_genre_ranking_over_the_1990s(api: Api, ref: RefData) -> None:
    query = "{ genreRanking(from: 1990, to: 1999) { genre { id name } years releases averagePopularity } }"
    served = api.data(query)["genreRanking"]
    by_genre: dict[int, list[RefMovie]] = defaultdict(list)
    for movie in ref.movies.values():
        if movie.year is not None and 1990 <= movie.year <= 1999:
            for genre in movie.genres:
                by_genre[genre].append(movie)
    expected = sorted(
        ((g, span_figures(ms)) for g, ms in by_genre.items()),
        key=lambda item: (-item[1]["averagePopularity"], ref.genre_names[item[0]], item[0]),
    )
    assert [(n["genre"]["id"], n["releases"], n["years"]) for n in served] == [
        (g, f["releases"], f["years"]) for g, f in expected
    ]
    assert [n["averagePopularity"] for n in served] == pytest.approx([f["averagePopularity"] for _, f in expected])
    assert served[0]["genre"]["name"] == "Animation"


MOVIE = "id title year popularity budget revenue profit"


def warner_1995(ref: RefData) -> list[RefMovie]:
    """Warner Bros.' 1995 movies by popularity, best first, unknowns last, ties by id."""
    movies = [m for m in ref.movies.values() if WARNER in m.companies and m.year == 1995]
    return sorted(movies, key=lambda m: (m.popularity is None, -(m.popularity or 0), m.id))


def test_the_19_movies_behind_warner_bros_1995(api: Api, ref: RefData) -> None:
    query = f"""{{ company(id: {WARNER}) {{ years(from: 1995, to: 1995) {{ releases company {{ id name }}
        movies(first: 19) {{ totalCount pageInfo {{ hasNextPage }} nodes {{ {MOVIE} }} }} }} }} }}"""
    [year] = api.data(query)["company"]["years"]
    expected = warner_1995(ref)
    assert year["company"] == {"id": WARNER, "name": "Warner Bros."}
    assert year["releases"] == year["movies"]["totalCount"] == len(expected) == 19
    assert year["movies"]["pageInfo"]["hasNextPage"] is False
    nodes = year["movies"]["nodes"]
    assert [n["id"] for n in nodes] == [m.id for m in expected]
    assert [n["title"] for n in nodes[:3]] == ["Heat", "Outbreak", "Batman Forever"]
    for node, movie in zip(nodes, expected, strict=True):
        assert (node["year"], node["budget"], node["revenue"]) == (1995, movie.budget, movie.revenue)
        both = movie.budget is not None and movie.revenue is not None
        assert node["profit"] == (movie.revenue - movie.budget if both else None)  # type: ignore[operator]
    # The same set through the top-level field, paged by 5.
    paged, after = [], None
    while True:
        variables = {"after": after}
        query = "query($after: String) { movies(year: 1995, companyId: 6194, first: 5, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }"
        page = api.data(query, variables)["movies"]
        assert page["totalCount"] == 19
        paged += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == [m.id for m in expected]


@pytest.mark.parametrize("order", ["TITLE", "RELEASE_DATE", "PROFIT", "BUDGET"])
def test_movies_of_a_genre_year_in_each_order_page_by_page(api: Api, ref: RefData, order: str) -> None:
    movies = [m for m in ref.movies.values() if 16 in m.genres and m.year == 1995]  # Animation, 1995
    query = "query($o: MovieOrder!, $after: String) { genre(id: 16) { years(from: 1995, to: 1995) { movies(orderBy: $o, first: 4, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id title releaseDate budget profit } } } } }"
    nodes, after = [], None
    while True:
        [year] = api.data(query, {"o": order, "after": after})["genre"]["years"]
        assert year["movies"]["totalCount"] == len(movies)
        nodes += year["movies"]["nodes"]
        if not year["movies"]["pageInfo"]["hasNextPage"]:
            break
        after = year["movies"]["pageInfo"]["endCursor"]
    assert sorted(n["id"] for n in nodes) == sorted(m.id for m in movies)
    field_name = {"TITLE": "title", "RELEASE_DATE": "releaseDate", "PROFIT": "profit", "BUDGET": "budget"}[order]
    if order in ("TITLE", "RELEASE_DATE"):
        key = lambda n: (n[field_name] is None, n[field_name] or "", n["id"])  # noqa: E731
    else:
        key = lambda n: (n[field_name] is None, -(n[field_name] or 0), n["id"])  # noqa: E731
    assert nodes == sorted(nodes, key=key)


@pytest.mark.parametrize(
    "after",
    [
        "not-a-cursor",
        cursors.encode("ranking", cursors.listing("company_id", "REVENUE", None, None), 1, "a", 1),
        cursors.encode("movie", cursors.listing("POPULARITY", MovieFilter(year=1995)), 1),
        cursors.encode("movie", cursors.listing("TITLE", MovieFilter(year=1995)), 949),
        cursors.encode("movie", cursors.listing("POPULARITY", MovieFilter(year=1996)), 949),
    ],
    ids=["garbage", "a ranking's", "no such movie", "another order's", "another filter's"],
)
def test_a_cursor_not_handed_out_here_is_invalid_cursor(api: Api, after: str) -> None:
    """Garbage; a ranking's cursor; a movie that does not exist (id 1); another order's or filter's cursor."""
    query = "query($a: String) { movies(year: 1995, first: 2, after: $a) { nodes { id } } }"
    body = api.get(query, {"a": after}).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    assert api.get(query, {"a": None}).json()["data"]["movies"]["nodes"]  # the listing itself pages


def test_a_rankings_cursor_pages_its_own_metric_and_span_only(api: Api) -> None:
    query = """query($m: CompanyMetric!, $a: String) { companyRanking(by: $m, from: 1995, to: 1995, first: 2, after: $a) {
        nodes { company { id } } pageInfo { endCursor } } }"""
    first = api.get(query, {"m": "REVENUE"}).json()["data"]["companyRanking"]
    after = first["pageInfo"]["endCursor"]
    assert api.get(query, {"m": "REVENUE", "a": after}).json()["data"]["companyRanking"]["nodes"]
    refused = api.get(query, {"m": "PROFIT", "a": after}).json()
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    other_span = query.replace("from: 1995, to: 1995", "from: 1990, to: 1999")
    assert (
        api.get(other_span, {"m": "REVENUE", "a": after}).json()["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    )


def test_a_page_of_company_years_with_their_movies_costs_a_fixed_number_of_statements(api: Api) -> None:
    query = """query($n: Int!) { companyRanking(from: 1995, to: 1995, first: $n) { nodes {
        company { totals(from: 1990, to: 1999) { releases } years(from: 1995, to: 1995) {
        company { name } movies(first: 3) { totalCount nodes { id title } } } } } } }"""
    counts = []
    for first in (5, 20):
        with count_statements(api.engine) as statements:
            response = api.post(query, {"n": first})  # POST: never answered from the cache
        assert response.status_code == 200 and "errors" not in response.json(), response.json()
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_datasets_tell_the_file_and_its_quality(api: Api) -> None:
    query = "{ datasets { version status source sha256 records movies rejected duplicates warnings { kind count } } }"
    [dataset] = api.data(query)["datasets"]
    assert dataset["sha256"] == hashlib.sha256(head5000().read_bytes()).hexdigest()
    assert (dataset["version"], dataset["status"], dataset["source"]) == (
        "1",
        "live",
        "movies_metadata_head5000.csv.gz",
    )
    assert (dataset["records"], dataset["movies"], dataset["rejected"], dataset["duplicates"]) == (5000, 4999, 0, 1)


def test_rules_1_and_2_a_staged_versions_rejections_before_it_is_promoted(database_url: str, tmp_path: Path) -> None:
    """Lines count from the header (line 1): records at lines 4 and 7 are refused."""
    records: list[Any] = catalogue(8)
    records[2] = {**records[2], "id": "tt0114709"}  # line 4: rule 2
    records[5] = [records[5]["id"], "too few fields"]  # line 7: rule 1
    records[6] = {**records[6], "budget": "a lot"}  # rule 5: an unknown budget, counted as a warning
    live = load(database_url, write_csv(tmp_path / "good.csv", catalogue(8)))
    staged = load(database_url, write_csv(tmp_path / "bad.csv", records), stage_only=True)
    with serve(api_settings(database_url)) as api:
        query = "query($a: String) { dataset { version status rejections(first: 1, after: $a) { totalCount pageInfo { hasNextPage endCursor } nodes { line reason } } } }"
        first = api.get(query, {"a": None}, dataset=str(staged)).json()["data"]["dataset"]
        assert (first["version"], first["status"]) == (str(staged), "staged")
        assert first["rejections"]["totalCount"] == 2
        assert first["rejections"]["nodes"] == [{"line": 4, "reason": "id 'tt0114709' is not a positive integer"}]
        after = first["rejections"]["pageInfo"]["endCursor"]
        second = api.get(query, {"a": after}, dataset=str(staged)).json()["data"]["dataset"]["rejections"]
        assert second["nodes"] == [{"line": 7, "reason": "has 2 fields, the header has 24"}]
        assert second["pageInfo"]["hasNextPage"] is False
        listed = api.data("{ datasets { version status rejected warnings { kind count } } }")["datasets"]
        assert listed == [
            {"version": str(staged), "status": "staged", "rejected": 2,
             "warnings": [{"kind": "unparsable_budget", "count": 1}]},
            {"version": str(live), "status": "live", "rejected": 0, "warnings": []},
        ]  # fmt: skip
