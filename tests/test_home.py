"""The home page and /schema.graphql, against the real app over head-5000."""

from __future__ import annotations

import re
from html import escape

import pytest

from app.home import NO_DATASET
from schema import Limits, build_schema
from tests.api_support import Api, api_settings, serve

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
# Warner Bros. (company 6194) in 1995, as the README's example answers it.
WARNER_1995 = {"budget": "$443,500,000", "revenue": "$1,328,198,811", "profit": "$833,424,709"}


def _series_values(svg: str, series: int) -> list[str]:
    """The `<desc class="value">` texts of one pygal series (0: budget, 1: revenue, 2: profit)."""
    groups = svg.split('<g class="series ')[1:]  # pygal draws a series' lines and dots in separate groups
    return [
        value
        for group in groups
        if group.startswith(f"serie-{series} ")
        for value in re.findall(r'<desc class="value">([^<]*)</desc>', group)
    ]


def _section(html: str, name: str) -> str:
    start = html.index(f'<section id="{name}">')
    return html[start : html.index("</section>", start)]


def test_home_json_summary_names_the_live_dataset(api: Api) -> None:
    response = api.client.get("/", headers={"accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["vary"] == "Accept, Origin"  # Origin: CORSMiddleware adds it to every answer
    body = response.json()
    dataset = body["dataset"]
    assert dataset.pop("loadedAt").endswith("Z")
    assert dataset == {
        "version": dataset["version"],
        "status": "live",
        "source": "movies_metadata_head5000.csv.gz",
        "movies": 4999,
        "rejected": 0,
        "duplicates": 1,
    }
    assert dataset["version"] == api.data("{ dataset { version } }")["dataset"]["version"]
    assert body["links"] == {
        "graphiql": "/graphql",
        "schema": "/schema.graphql",
        "healthz": "/healthz",
        "readyz": "/readyz",
    }


def test_home_html_shows_the_dataset_and_links(api: Api) -> None:
    response = api.client.get("/", headers=BROWSER)
    assert response.status_code == 200 and response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    dataset = _section(html, "dataset")
    assert "<dt>Source</dt><dd>movies_metadata_head5000.csv.gz</dd>" in dataset
    assert "<dt>Movies</dt><dd>4,999</dd>" in dataset
    assert "<dt>Rejected records</dt><dd>0</dd>" in dataset and "<dt>Duplicates</dt><dd>1</dd>" in dataset
    for href in ("/graphql", "/schema.graphql", "/healthz", "/readyz"):
        assert f'<a href="{href}">' in html


def test_home_charts_every_years_totals_as_the_api_serves_them(api: Api) -> None:
    html = api.client.get("/", headers=BROWSER).text
    years = _section(html, "years")
    assert "Total budget, revenue and profit per release year" in years
    assert "US dollars" in years and "Release year" in years  # axis titles
    assert [label in years for label in (">Budget<", ">Revenue<", ">Profit<")] == [True] * 3  # the legend
    served = api.data("{ years { year budget revenue profit } }")["years"]
    revenue = _series_values(years, 1)
    assert len(revenue) == sum(1 for year in served if year["revenue"] is not None)
    y1995 = next(year for year in served if year["year"] == 1995)
    assert f"1995: ${y1995['revenue']:,}" in revenue
    assert f"1995: ${y1995['budget']:,}" in _series_values(years, 0)
    assert f"1995: ${y1995['profit']:,}" in _series_values(years, 2)


def test_rule_18_home_charts_each_years_most_popular_genre(api: Api) -> None:
    genres = _section(api.client.get("/", headers=BROWSER).text, "genres")
    best = api.data("{ year(year: 1995) { mostPopularGenre { genre { name } averagePopularity } } }")
    assert best["year"]["mostPopularGenre"]["genre"]["name"] == "Animation"
    assert "<tr><td>1995</td><td>Animation</td><td>9.11</td></tr>" in genres
    assert '<desc class="value">1995: 9.11</desc>' in genres
    assert "Average TMDB popularity" in genres and ">Animation<" in genres  # axis title, legend


def test_company_picker_searches_by_name_and_charts_the_company(api: Api) -> None:
    found = _section(api.client.get("/", params={"search": "warner bros"}, headers=BROWSER).text, "company")
    assert '<a href="/?search=warner+bros&amp;company=6194#company">Warner Bros.</a>' in found
    chart = _section(api.client.get("/", params={"company": "6194"}, headers=BROWSER).text, "company")
    assert "Warner Bros.: budget, revenue and profit per release year" in chart
    assert f"1995: {WARNER_1995['budget']}" in _series_values(chart, 0)
    assert f"1995: {WARNER_1995['revenue']}" in _series_values(chart, 1)
    assert f"1995: {WARNER_1995['profit']}" in _series_values(chart, 2)
    assert "<tr><td>1995</td><td>19</td><td>$443,500,000</td>" in chart


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"search": "no such studio"}, "No company name contains “no such studio”."),
        ({"company": "abc"}, "“abc” is not a company id: pick a company from a search."),
        ({"company": "2147483648"}, "“2147483648” is not a company id: pick a company from a search."),
        ({"company": "99999999"}, "There is no company 99999999 in dataset version "),
    ],
)
def test_company_picker_explains_what_it_cannot_chart(api: Api, params: dict[str, str], message: str) -> None:
    response = api.client.get("/", params=params, headers=BROWSER)
    assert response.status_code == 200
    assert message in _section(response.text, "company")
    assert "<svg" not in _section(response.text, "company")


def test_home_needs_no_network(api: Api) -> None:
    html = api.client.get("/", params={"company": "6194"}, headers=BROWSER).text
    html = re.sub(r"<!--.*?-->", "", html)  # pygal credits its site in comments; nothing loads them
    assert re.findall(r'(?:src|href)="(?!/|#)[^"]*"', html) == []
    assert "<script" not in html and "@import" not in html


def test_home_without_a_live_dataset_says_how_to_load_one(database_url: str) -> None:
    with serve(api_settings(database_url)) as api:
        assert api.client.get("/", headers={"accept": "application/json"}).json()["dataset"] is None
        html = api.client.get("/", headers=BROWSER).text
    assert f"<p>{escape(NO_DATASET)}</p>" in html and "<svg" not in html


def test_schema_file_is_the_served_schema(api: Api) -> None:
    response = api.client.get("/schema.graphql")
    assert response.status_code == 200 and response.headers["content-type"] == "text/plain; charset=utf-8"
    settings = api_settings("sqlite://")
    limits = Limits(
        max_depth=settings.max_query_depth,
        max_tokens=settings.max_query_tokens,
        max_aliases=settings.max_query_aliases,
        introspection=settings.introspection,
    )
    assert response.text == build_schema(limits).as_str() + "\n"
    assert "company(id: Int!): Company" in response.text
