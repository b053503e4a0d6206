"""The figures the API serves, over real HTTP, on both backends, from the real head-5000 file.

Expected rankings come from a small reference implementation of the data rules below, read
straight from the CSV, never from the API's own output.
"""

from __future__ import annotations

import ast
import csv
import gzip
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.api_support import Api, count_statements
from tests.conftest import head5000

# --- reference implementation of data rules 1-18, independent of importer/ and db/ ---------

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
METRICS = {
    "AVERAGE_POPULARITY": "averagePopularity",
    "TOTAL_POPULARITY": "totalPopularity",
    "RELEASES": "releases",
    "BUDGET": "budget",
    "REVENUE": "revenue",
    "PROFIT": "profit",
}


@dataclass
class RefMovie:
    id: int
    year: int | None
    budget: int | None
    revenue: int | None
    popularity: float | None
    genres: list[int]
    companies: list[int]


@dataclass
class RefData:
    movies: dict[int, RefMovie] = field(default_factory=dict)
    genre_names: dict[int, str] = field(default_factory=dict)
    company_names: dict[int, str] = field(default_factory=dict)


def _money(text: str) -> int | None:  # rule 5
    try:
        value = float(text)
    except ValueError:
        return None
    return round(value) if math.isfinite(value) and value > 0 else None


def _popularity(text: str) -> float | None:  # rule 6
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _year(text: str) -> int | None:  # rule 7
    text = text.strip()
    return int(text[:4]) if DATE.match(text) else None


def _entities(text: str, names: dict[int, str]) -> list[int]:  # rules 8, 9
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return []
    ids: list[int] = []
    for entry in value if isinstance(value, list) else []:
        if not isinstance(entry, dict):
            continue
        id_, name = entry.get("id"), entry.get("name")
        if isinstance(id_, int) and not isinstance(id_, bool) and id_ > 0 and isinstance(name, str) and name:
            if id_ not in ids:
                ids.append(id_)
            names[id_] = name
    return ids


def reference(path: Path) -> RefData:
    """Movies, genre and company names of a file, per the data rules."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        column = {name: index for index, name in enumerate(header)}
        records: dict[int, list[str]] = {}
        for fields in reader:
            if len(fields) != len(header):  # rule 1
                continue
            raw = fields[column["id"]].strip()
            if not raw.isdigit() or int(raw) <= 0:  # rule 2
                continue
            records.pop(int(raw), None)  # rule 4: the last occurrence wins, in its place
            records[int(raw)] = fields
    data = RefData()
    for id_, fields in records.items():
        value = lambda name, fields=fields: fields[column[name]]  # noqa: E731
        data.movies[id_] = RefMovie(
            id=id_,
            year=_year(value("release_date")),
            budget=_money(value("budget")),
            revenue=_money(value("revenue")),
            popularity=_popularity(value("popularity")),
            genres=_entities(value("genres"), data.genre_names),
            companies=_entities(value("production_companies"), data.company_names),
        )
    return data


def figures(movies: list[RefMovie]) -> dict[str, Any]:
    """Rules 10-14 for a group of movies."""
    budgets = [m.budget for m in movies if m.budget is not None]
    revenues = [m.revenue for m in movies if m.revenue is not None]
    both = [m.revenue - m.budget for m in movies if m.budget is not None and m.revenue is not None]
    popularities = [m.popularity for m in movies if m.popularity is not None]
    return {
        "releases": len(movies),
        "budget": sum(budgets) if budgets else None,
        "revenue": sum(revenues) if revenues else None,
        "profit": sum(both) if both else None,
        "averagePopularity": sum(popularities) / len(popularities) if popularities else None,
        "totalPopularity": sum(popularities) if popularities else None,
        "withBudget": len(budgets),
        "withRevenue": len(revenues),
        "withBoth": len(both),
    }


def genre_ranking(data: RefData, year: int, metric: str) -> list[tuple[str, Any]]:
    """Rule 18: (genre name, value) best first, ties by name, genres without a value dropped."""
    by_genre: dict[int, list[RefMovie]] = defaultdict(list)
    for movie in data.movies.values():
        if movie.year == year:
            for genre in movie.genres:
                by_genre[genre].append(movie)
    values = [(data.genre_names[g], figures(ms)[METRICS[metric]]) for g, ms in by_genre.items()]
    return sorted(((n, v) for n, v in values if v is not None), key=lambda item: (-item[1], item[0]))


@pytest.fixture(scope="module")
def ref() -> RefData:
    """The reference reading of head-5000."""
    return reference(head5000())


# --- the tests ---------------------------------------------------------------------------


def test_dataset_is_the_loaded_version(api: Api, ref: RefData) -> None:
    dataset = api.data("{ dataset { version loadedAt movies rejected duplicates } }")["dataset"]
    assert dataset["version"] == "1"
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$", dataset["loadedAt"])
    assert dataset["movies"] == len(ref.movies) == 4999
    assert (dataset["rejected"], dataset["duplicates"]) == (0, 1)


COMPANY_YEAR = """
  year releases budget revenue profit averagePopularity
  coverage { releases withBudget withRevenue withBoth }
  releasesByGenre { genre { id name } releases }
"""


def test_warner_bros_1995(api: Api, ref: RefData) -> None:
    query = f"query($id: Int!) {{ company(id: $id) {{ id name years(from: 1995, to: 1995) {{ {COMPANY_YEAR} }} }} }}"
    company = api.data(query, {"id": 6194})["company"]
    assert (company["id"], company["name"]) == (6194, "Warner Bros.")
    [year] = company["years"]
    assert (year["year"], year["releases"]) == (1995, 19)
    assert (year["budget"], year["revenue"], year["profit"]) == (443500000, 1328198811, 833424709)
    assert year["coverage"] == {"releases": 19, "withBudget": 10, "withRevenue": 11, "withBoth": 9}
    assert year["averagePopularity"] == pytest.approx(8.557118052631)
    # Rule 16: releases by genre, by releases descending then genre name.
    movies = [m for m in ref.movies.values() if 6194 in m.companies and m.year == 1995]
    counts: dict[str, int] = defaultdict(int)
    for movie in movies:
        for genre in movie.genres:
            counts[ref.genre_names[genre]] += 1
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    assert [(g["genre"]["name"], g["releases"]) for g in year["releasesByGenre"]] == expected


def test_company_years_ascending_within_inclusive_bounds(api: Api, ref: RefData) -> None:
    years = api.data("{ company(id: 6194) { years(from: 1990, to: 1999) { year releases } } }")["company"]["years"]
    expected: dict[int, int] = defaultdict(int)
    for movie in ref.movies.values():
        if 6194 in movie.companies and movie.year is not None and 1990 <= movie.year <= 1999:
            expected[movie.year] += 1
    assert [(y["year"], y["releases"]) for y in years] == sorted(expected.items())
    all_years = api.data("{ company(id: 6194) { years { year } } }")["company"]["years"]
    assert [y["year"] for y in all_years] == sorted(
        {m.year for m in ref.movies.values() if 6194 in m.companies and m.year}
    )


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_most_popular_genre_of_1995_by_each_metric(api: Api, ref: RefData, metric: str) -> None:
    field_name = METRICS[metric]
    query = "query($by: GenreMetric!) { year(year: 1995) { mostPopularGenre(by: $by) { genre { name } %s } } }"
    best = api.data(query % field_name, {"by": metric})["year"]["mostPopularGenre"]
    name, value = genre_ranking(ref, 1995, metric)[0]
    assert best["genre"]["name"] == name
    assert best[field_name] == pytest.approx(value)


def test_most_popular_genre_defaults_to_average_popularity(api: Api, ref: RefData) -> None:
    best = api.data("{ year(year: 1995) { mostPopularGenre { genre { name } } } }")["year"]["mostPopularGenre"]
    assert best["genre"]["name"] == genre_ranking(ref, 1995, "AVERAGE_POPULARITY")[0][0]


def test_year_genres_ranked_with_nulls_last(api: Api, ref: RefData) -> None:
    query = "{ year(year: 1995) { year releases genres(orderBy: BUDGET) { genre { name } budget } } }"
    year = api.data(query)["year"]
    assert year["releases"] == sum(1 for m in ref.movies.values() if m.year == 1995)
    ranked = genre_ranking(ref, 1995, "BUDGET")
    with_values = [(g["genre"]["name"], g["budget"]) for g in year["genres"] if g["budget"] is not None]
    assert with_values == ranked
    nulls = year["genres"][len(ranked) :]
    assert all(g["budget"] is None for g in nulls)
    assert [g["genre"]["name"] for g in nulls] == sorted(g["genre"]["name"] for g in nulls)
    top3 = api.data("{ year(year: 1995) { genres(first: 3) { genre { name } } } }")["year"]["genres"]
    assert [g["genre"]["name"] for g in top3] == [n for n, _ in genre_ranking(ref, 1995, "AVERAGE_POPULARITY")[:3]]


def test_year_without_releases_is_null_and_years_come_from_totals(api: Api, ref: RefData) -> None:
    assert api.data("{ year(year: 1800) { year } }")["year"] is None
    years = api.data("{ years(from: 1994, to: 1996) { year releases } }")["years"]
    expected = [(y, sum(1 for m in ref.movies.values() if m.year == y)) for y in (1994, 1995, 1996)]
    assert [(y["year"], y["releases"]) for y in years] == expected
    everything = api.data("{ years { year } }")["years"]
    assert [y["year"] for y in everything] == sorted({m.year for m in ref.movies.values() if m.year is not None})


def test_genre_details(api: Api, ref: RefData) -> None:
    animation = 16
    query = """{ genre(id: 16) { id name years(from: 1995, to: 1995) {
        year releases budget revenue profit averagePopularity totalPopularity genre { id name }
        coverage { releases withBudget withRevenue withBoth } } } }"""
    genre = api.data(query)["genre"]
    assert (genre["id"], genre["name"]) == (animation, "Animation")
    [year] = genre["years"]
    expected = figures([m for m in ref.movies.values() if animation in m.genres and m.year == 1995])
    assert year["genre"] == {"id": animation, "name": "Animation"}
    assert year["year"] == 1995
    for name in ("releases", "budget", "revenue", "profit"):
        assert year[name] == expected[name], name
    assert year["averagePopularity"] == pytest.approx(expected["averagePopularity"])
    assert year["totalPopularity"] == pytest.approx(expected["totalPopularity"])
    assert year["coverage"] == {k: expected[k] for k in ("releases", "withBudget", "withRevenue", "withBoth")}
    assert api.data("{ genre(id: 999999) { id } }")["genre"] is None


def test_money_sums_beyond_32_bits(api: Api) -> None:
    years = api.data("{ genre(id: 18) { years { revenue } } }")["genre"]["years"]
    assert max(y["revenue"] or 0 for y in years) > 2**31  # rule 19: served as a JSON number


def test_genres_by_name(api: Api, ref: RefData) -> None:
    genres = api.data("{ genres { id name } }")["genres"]
    assert genres == [{"id": i, "name": n} for i, n in sorted(ref.genre_names.items(), key=lambda x: (x[1], x[0]))]


def test_movie_with_genres_and_companies(api: Api) -> None:
    query = (
        "{ movie(id: 862) { id title releaseDate budget revenue popularity genres { id name } companies { id name } } }"
    )
    movie = api.data(query)["movie"]
    assert movie["title"] == "Toy Story" and movie["releaseDate"] == "1995-10-30"
    assert (movie["budget"], movie["revenue"]) == (30000000, 373554033)
    assert movie["popularity"] == pytest.approx(21.946943)
    assert [g["name"] for g in movie["genres"]] == ["Animation", "Comedy", "Family"]
    assert movie["companies"] == [{"id": 3, "name": "Pixar Animation Studios"}]
    assert api.data("{ movie(id: 1) { id } }")["movie"] is None


def test_paging_through_all_companies(api: Api, ref: RefData) -> None:
    seen: list[int] = []
    after = None
    total = None
    while True:
        query = "query($after: String) { companies(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }"
        page = api.data(query, {"after": after})["companies"]
        total = page["totalCount"]
        seen.extend(node["id"] for node in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == total == len(ref.company_names)
    assert set(seen) == set(ref.company_names)


@pytest.mark.parametrize("search", ["warner", "WARNER", "%", "_", "'", "\\", "é", "Bros."])
def test_search_matches_literally_and_case_insensitively(api: Api, ref: RefData, search: str) -> None:
    query = "query($s: String) { companies(search: $s, first: 100) { totalCount nodes { name } } }"
    page = api.data(query, {"s": search})["companies"]
    expected = sorted(name for name in ref.company_names.values() if search.lower() in name.lower())
    assert page["totalCount"] == len(expected)
    assert sorted(node["name"] for node in page["nodes"]) == expected[:100]


def test_company_page_costs_a_fixed_number_of_statements(api: Api) -> None:
    query = "query($n: Int!) { companies(first: $n) { nodes { id years { year releases releasesByGenre { genre { name } releases } } } } }"
    counts = []
    for first in (5, 20):
        with count_statements(api.engine) as statements:
            response = api.post(query, {"n": first})  # POST: never answered from the cache
        assert response.status_code == 200 and "errors" not in response.json()
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
