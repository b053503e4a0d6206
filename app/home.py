"""The home page at `/`: the live dataset, links, and charts of the figures the API serves.

Browsers get HTML with the charts inlined as SVG (app.charts); `Accept: application/json` gets
a summary of the live dataset and the links. Every figure is read through `resolvers/`, as
the GraphQL API reads it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from app.charts import GenrePoint, YearPoint, dollars, genre_timeline, money_chart
from db.api_database import Database
from db.limits import MAX_INTEGER
from db.versions import Version
from resolvers.companies import companies_by_id, search_companies, years_of_companies
from resolvers.datasets import find_version
from resolvers.years import genre_years_of_years, list_years, most_popular_genre
from schema.dataset import Dataset

LINKS = {"graphiql": "/graphql", "schema": "/schema.graphql", "healthz": "/healthz", "readyz": "/readyz"}
HEADERS = {"cache-control": "no-cache", "vary": "Accept"}
SEARCH_RESULTS = 20
NO_DATASET = "No dataset is live yet: load one with `movie-stats quickstart` or `movie-stats import FILE`."


@dataclass(frozen=True, slots=True)
class CompanyView:
    """What the company section shows: a search's matches, or one company's chart."""

    search: str
    matches: list[Any]
    company: Any | None
    chart: str
    message: str


class HomePage:
    """The `/` endpoint; keeps the rendered year charts of the version it last drew."""

    def __init__(self) -> None:
        self._year_charts: tuple[int, str] | None = None  # (version id, HTML): they change only with it

    async def respond(self, request: Request) -> Response:
        """HTML for browsers, a JSON summary for `Accept: application/json`."""
        services = request.app.state.services
        db: Database = services.db
        version_id = await services.graphql.live_version_id()
        version = await find_version(db, version_id) if version_id is not None else None
        if wants_json(request.headers.get("accept", "")):
            return JSONResponse({"dataset": dataset_summary(version), "links": LINKS}, headers=HEADERS)
        if version is None:
            return HTMLResponse(_page(_dataset_section(None)), headers=HEADERS)
        company = await _company_view(db, version.id, request.query_params)
        body = _dataset_section(version) + await self._years_section(db, version.id) + _company_section(company)
        return HTMLResponse(_page(body), headers=HEADERS)

    async def _years_section(self, db: Database, version_id: int) -> str:
        if self._year_charts is None or self._year_charts[0] != version_id:
            self._year_charts = (version_id, await _draw_year_charts(db, version_id))
        return self._year_charts[1]


def wants_json(accept: str) -> bool:
    """Whether the client asked for JSON rather than HTML (a browser always lists text/html)."""
    return "application/json" in accept and "text/html" not in accept


def dataset_summary(version: Version | None) -> dict[str, Any] | None:
    """The live dataset as the JSON summary names it (the GraphQL `Dataset` field names)."""
    if version is None:
        return None
    dataset = Dataset.from_row(version)
    return {
        "version": dataset.version,
        "status": dataset.status,
        "source": dataset.source,
        "loadedAt": dataset.loaded_at,
        "movies": dataset.movies,
        "rejected": dataset.rejected,
        "duplicates": dataset.duplicates,
    }


async def _draw_year_charts(db: Database, version_id: int) -> str:
    years = await list_years(db, version_id=version_id, first=None, last=None)
    genre_rows = await db.run(genre_years_of_years, version_id, [row.year for row in years])
    rows_by_year: dict[int, list[Any]] = defaultdict(list)
    for row in genre_rows:
        rows_by_year[row.year].append(row)
    winners = [
        GenrePoint(year, best.genre_name, best.average_popularity)
        for year in sorted(rows_by_year)
        if (best := most_popular_genre(rows_by_year[year], "AVERAGE_POPULARITY")) is not None
    ]
    points = [_year_point(row) for row in years]
    return (
        '<section id="years"><h2>Every movie, per release year</h2>'
        + _figure(money_chart("Total budget, revenue and profit per release year", points), _money_table(points))
        + "<p class=note>Profit sums the movies whose budget and revenue are both known (data rule 12).</p>"
        + "</section>"
        + '<section id="genres"><h2>The most popular genre of each year</h2>'
        + _figure(genre_timeline(winners), _genre_table(winners))
        + "</section>"
    )


async def _company_view(db: Database, version_id: int, params: Any) -> CompanyView:
    search = params.get("search", "").strip()
    chosen = params.get("company", "").strip()
    matches: list[Any] = []
    if search:
        page = await search_companies(db, version_id=version_id, search=search, first=SEARCH_RESULTS, after=None)
        matches = page.nodes
        if not matches:
            return CompanyView(search, [], None, "", f"No company name contains “{search}”.")
    if not chosen:
        return CompanyView(search, matches, None, "", "")
    if not (chosen.isascii() and chosen.isdigit()) or len(chosen) > len(str(MAX_INTEGER)) or int(chosen) > MAX_INTEGER:
        return CompanyView(search, matches, None, "", f"“{chosen}” is not a company id: pick a company from a search.")
    company = (await db.run(companies_by_id, version_id, [int(chosen)])).get(int(chosen))
    if company is None:
        return CompanyView(search, matches, None, "", f"There is no company {chosen} in dataset version {version_id}.")
    rows = await db.run(years_of_companies, version_id, [company.id], None, None)
    points = [_year_point(row) for row in rows]
    chart = _figure(
        money_chart(f"{company.name}: budget, revenue and profit per release year", points),
        _money_table(points, releases=rows),
    )
    return CompanyView(search, matches, company, chart, "")


def _year_point(row: Any) -> YearPoint:
    return YearPoint(row.year, row.budget, row.revenue, row.profit)


def _dataset_section(version: Version | None) -> str:
    links = " · ".join(
        f'<a href="{href}">{label}</a>'
        for label, href in (
            ("GraphiQL", LINKS["graphiql"]),
            ("Schema (SDL)", LINKS["schema"]),
            ("Health", LINKS["healthz"]),
            ("Readiness", LINKS["readyz"]),
        )
    )
    if version is None:
        return f'<nav>{links}</nav><section id="dataset"><h2>Live dataset</h2><p>{escape(NO_DATASET)}</p></section>'
    dataset = Dataset.from_row(version)
    rows = (
        ("Version", dataset.version),
        ("Source", dataset.source),
        ("Loaded at", dataset.loaded_at),
        ("Movies", f"{version.movies:,}"),
        ("Rejected records", f"{version.rejected:,}"),
        ("Duplicates", f"{version.duplicates:,}"),
    )
    cells = "".join(f"<div><dt>{label}</dt><dd>{escape(value)}</dd></div>" for label, value in rows)
    return f'<nav>{links}</nav><section id="dataset"><h2>Live dataset</h2><dl>{cells}</dl></section>'


def _company_section(view: CompanyView) -> str:
    form = (
        '<form method=get action="/#company"><label>Company name '
        f'<input type=search name=search value="{escape(view.search)}" placeholder="Warner Bros." required></label> '
        "<button type=submit>Search</button></form>"
    )
    matches = "".join(
        f'<li><a href="/?{escape(urlencode({"search": view.search, "company": row.id}))}#company">'
        f"{escape(row.name)}</a> <small>(id {row.id})</small></li>"
        for row in view.matches
    )
    parts = [
        '<section id="company"><h2>A production company, year by year</h2>',
        form,
        f"<ul class=matches>{matches}</ul>" if matches else "",
        f"<p class=note>{escape(view.message)}</p>" if view.message else "",
        view.chart,
        "</section>",
    ]
    return "".join(parts)


def _figure(svg: str, table: str) -> str:
    return f"<figure>{svg}<details><summary>The figures</summary>{table}</details></figure>"


def _money_table(points: list[YearPoint], releases: list[Any] | None = None) -> str:
    counts = {row.year: row.releases for row in releases or []}
    head = (
        "<tr><th>Year</th>"
        + ("<th>Releases</th>" if releases else "")
        + "<th>Budget</th><th>Revenue</th><th>Profit</th></tr>"
    )
    body = "".join(
        f"<tr><td>{point.year}</td>"
        + (f"<td>{counts[point.year]}</td>" if releases else "")
        + f"<td>{dollars(point.budget)}</td><td>{dollars(point.revenue)}</td><td>{dollars(point.profit)}</td></tr>"
        for point in points
    )
    return f"<table>{head}{body}</table>"


def _genre_table(points: list[GenrePoint]) -> str:
    body = "".join(
        f"<tr><td>{p.year}</td><td>{escape(p.genre)}</td><td>{p.average_popularity:.2f}</td></tr>" for p in points
    )
    return f"<table><tr><th>Year</th><th>Genre</th><th>Average popularity</th></tr>{body}</table>"


def _page(body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>movie-stats</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:1rem 1.5rem;color:#222}}
nav{{margin:.5rem 0 1rem}} dl{{display:grid;grid-template-columns:repeat(3,1fr);gap:.5rem 1.5rem}}
dt{{font-size:.8rem;color:#666}} dd{{margin:0;font-weight:600;overflow-wrap:anywhere}}
figure{{margin:0}} svg{{width:100%;height:auto}} table{{border-collapse:collapse;font-size:.85rem}}
td,th{{padding:.15rem .6rem;text-align:right;border-bottom:1px solid #eee}} .note{{color:#555}}
ul.matches{{columns:2}} input{{font-size:1rem;padding:.2rem .4rem}} button{{font-size:1rem}}
</style></head>
<body><header><h1>movie-stats</h1><p>Movie statistics per release year, served over GraphQL.</p></header>
{body}
</body></html>"""
