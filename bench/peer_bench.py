"""Side by side with PostGraphile (not a test): the four questions of bench/api_bench.py, cached and uncached.

    .venv/bin/python -m bench.peer_bench [--path FILE] [--database-url URL] [--rounds 3] [--duration 2]
                                         [--cache-duration 10] [--control] [--json OUT.json] [--plot OUT.png]

One command sets up everything on the same PostgreSQL and the same data:
  - this service: one uvicorn worker (uvloop, httptools), as bench/api_bench.py serves it, with
    its ceiling (a plain Starlette endpoint returning the same bytes on the same stack);
  - PostGraphile v4 with @graphile/pg-aggregates, `npm install`ed into a temporary folder, one
    Node process over views of the live version's precomputed tables (the tables this service
    reads), with smart comments for their keys and relations.
Each round measures every target of a question one after the other (the order alternates between
rounds), at 1 and 32 connections, with wrk: requests/s, p50 and p99. "Cached" repeats one request:
this service answers it from its response cache, PostGraphile from its compiled-query cache.
"Uncached" varies the query text with every request (a unique `__typename` alias), so no cache of
either answers it: parsed, validated, planned and executed each time. "Ours computed" repeats one
request to this service with its response cache off (/cold/graphql): executed every time, its
parse and validation cached, which is what "PostGraphile cached" does. Every answer is checked
equal in content before measuring (numbers compared as numbers: PostGraphile sends BigInt as text).

The ceiling and "ours cached" are measured over longer runs (--cache-duration, 10 s): one stall
of the process or the host (this 2-core VM sees CPU steal) delays every request in flight, and at
32 connections a few of them make a 2 s run's p99. Measured with --control, which times the
ceiling twice as if it were two targets, the same endpoint's p99 varied 0.42-3.73x between the
two runs at 2 s and 0.89-1.01x at 10 s.

The store is loaded from --path into --schema (default `peer_bench`) of the database unless a
version is live there already, and its live version's tables are ANALYZEd (both peers plan on
those statistics; this development server runs without autovacuum).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402
from sqlalchemy import create_engine, make_url  # noqa: E402

from bench.api_bench import HEAD5000, run_wrk, serve  # noqa: E402
from bench.api_bench import QUERIES as API_QUERIES  # noqa: E402
from bench.host import host_reference, print_host_reference  # noqa: E402

POSTGRAPHILE = "postgraphile@4.14.1"
PG_AGGREGATES = "@graphile/pg-aggregates@0.1.1"
# mostPopularGenre skips genres without a popularity: PostGraphile needs the filter plugin to say so.
CONNECTION_FILTER = "postgraphile-plugin-connection-filter@2.3.0"
PACKAGES = (POSTGRAPHILE, PG_AGGREGATES, CONNECTION_FILTER)
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
CONNECTIONS = (1, 32)
UNIQUE = "__N__"  # replaced by a unique number in every uncached request (bench/wrk_vary.lua)
LUA = Path(__file__).with_name("wrk_vary.lua")

# The same four questions in PostGraphile's schema (its relation names, BigInt as strings).
_YEAR_GENRES = "companyYearGenresByCompanyIdAndYear(orderBy: [RELEASES_DESC, GENRE_NAME_ASC]) { nodes { genreByGenreId { name } releases } }"
PEER_QUERIES = {
    "company page": "{ allCompanies(first: 20, orderBy: [NAME_ASC, ID_ASC]) { totalCount nodes { id name "
    "companyYearsByCompanyId(orderBy: YEAR_ASC) { nodes { year releases budget revenue profit averagePopularity "
    f"{_YEAR_GENRES} }} }} }} }} }}",
    "company years": "{ companyById(id: 6194) { name companyYearsByCompanyId(orderBy: YEAR_ASC) { nodes { year "
    f"releases budget revenue profit averagePopularity withBudget withRevenue withBoth {_YEAR_GENRES} }} }} }} }}",
    "year 1995": "{ yearTotalByYear(year: 1995) { releases "
    "top: genreYearsByYear(orderBy: [AVERAGE_POPULARITY_DESC, GENRE_NAME_ASC], first: 1, "
    "filter: { averagePopularity: { isNull: false } }) { nodes { genreByGenreId { name } averagePopularity } } "
    "all: genreYearsByYear(orderBy: [AVERAGE_POPULARITY_DESC, GENRE_NAME_ASC]) "
    "{ nodes { genreByGenreId { name } releases averagePopularity } } } }",
    "genre years": "{ genreById(id: 18) { name genreYearsByGenreId(orderBy: YEAR_ASC) "
    "{ nodes { year releases budget revenue averagePopularity } } } }",
}
# The questions both services answer: api_bench's, less those PostGraphile has no form of here.
QUERIES = {name: API_QUERIES[name] for name in PEER_QUERIES}


def _genre_releases(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"genre": {"name": n["genreByGenreId"]["name"]}, "releases": n["releases"]} for n in nodes]


def _company_year(node: dict[str, Any], coverage: bool) -> dict[str, Any]:
    year = {k: node[k] for k in ("year", "releases", "budget", "revenue", "profit", "averagePopularity")}
    if coverage:
        year["coverage"] = {k: node[k] for k in ("withBudget", "withRevenue", "withBoth")}
    year["releasesByGenre"] = _genre_releases(node["companyYearGenresByCompanyIdAndYear"]["nodes"])
    return year


# PostGraphile's answer in this service's shape, to compare content.
AS_OURS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "company page": lambda d: {
        "companies": {
            "totalCount": d["allCompanies"]["totalCount"],
            "nodes": [
                {
                    "id": c["id"],
                    "name": c["name"],
                    "years": [_company_year(y, False) for y in c["companyYearsByCompanyId"]["nodes"]],
                }
                for c in d["allCompanies"]["nodes"]
            ],
        }
    },
    "company years": lambda d: {
        "company": {
            "name": d["companyById"]["name"],
            "years": [_company_year(y, True) for y in d["companyById"]["companyYearsByCompanyId"]["nodes"]],
        }
    },
    "year 1995": lambda d: {
        "year": {
            "releases": d["yearTotalByYear"]["releases"],
            "mostPopularGenre": next(
                (
                    {"genre": {"name": n["genreByGenreId"]["name"]}, "averagePopularity": n["averagePopularity"]}
                    for n in d["yearTotalByYear"]["top"]["nodes"]
                ),
                None,
            ),
            "genres": [
                {
                    "genre": {"name": n["genreByGenreId"]["name"]},
                    "releases": n["releases"],
                    "averagePopularity": n["averagePopularity"],
                }
                for n in _nulls_last(d["yearTotalByYear"]["all"]["nodes"])
            ],
        }
    },
    "genre years": lambda d: {
        "genre": {"name": d["genreById"]["name"], "years": d["genreById"]["genreYearsByGenreId"]["nodes"]}
    },
}


def _nulls_last(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PostgreSQL sorts NULLs first in a descending order; this service ranks them last."""
    return [n for n in nodes if n["averagePopularity"] is not None] + [
        n for n in nodes if n["averagePopularity"] is None
    ]


def same_content(ours: Any, theirs: Any) -> bool:
    """Equal as data: numbers as numbers (BigInt may come as text), floats to 12 significant digits."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(same_content(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(same_content(a, b) for a, b in zip(ours, theirs))
    if isinstance(ours, int | float) and not isinstance(ours, bool) and isinstance(theirs, int | float | str):
        try:
            return math.isclose(float(ours), float(theirs), rel_tol=1e-12)
        except ValueError:
            return False
    return ours == theirs


# --- the store and the peer's views ----------------------------------------------------------

VIEWS = """
CREATE SCHEMA {peer};
CREATE VIEW {peer}.companies AS SELECT id, name FROM {store}.companies WHERE version_id = {v};
COMMENT ON VIEW {peer}.companies IS E'@primaryKey id';
CREATE VIEW {peer}.genres AS SELECT id, name FROM {store}.genres WHERE version_id = {v};
COMMENT ON VIEW {peer}.genres IS E'@primaryKey id';
CREATE VIEW {peer}.year_totals AS SELECT {figures}, year FROM {store}.year_totals WHERE version_id = {v};
COMMENT ON VIEW {peer}.year_totals IS E'@primaryKey year';
CREATE VIEW {peer}.company_years AS SELECT {figures}, company_id, year FROM {store}.company_years WHERE version_id = {v};
COMMENT ON VIEW {peer}.company_years IS E'@primaryKey company_id,year\\n@foreignKey (company_id) references {peer}.companies (id)';
CREATE VIEW {peer}.genre_years AS
  SELECT {figures_gy}, gy.genre_id, gy.year, g.name AS genre_name
  FROM {store}.genre_years gy JOIN {store}.genres g ON g.version_id = gy.version_id AND g.id = gy.genre_id
  WHERE gy.version_id = {v};
COMMENT ON VIEW {peer}.genre_years IS E'@primaryKey genre_id,year\\n@foreignKey (genre_id) references {peer}.genres (id)\\n@foreignKey (year) references {peer}.year_totals (year)';
CREATE VIEW {peer}.company_year_genres AS
  SELECT cyg.company_id, cyg.year, cyg.genre_id, cyg.releases, g.name AS genre_name
  FROM {store}.company_year_genres cyg JOIN {store}.genres g ON g.version_id = cyg.version_id AND g.id = cyg.genre_id
  WHERE cyg.version_id = {v};
COMMENT ON VIEW {peer}.company_year_genres IS E'@primaryKey company_id,year,genre_id\\n@foreignKey (company_id, year) references {peer}.company_years (company_id, year)\\n@foreignKey (genre_id) references {peer}.genres (id)';
"""
FIGURES = (
    "releases",
    "budget",
    "revenue",
    "profit",
    "with_budget",
    "with_revenue",
    "with_both",
    "average_popularity",
    "total_popularity",
)
ANALYZED = (
    "companies",
    "genres",
    "year_totals",
    "genre_years",
    "company_years",
    "company_year_genres",
    "movies",
    "movie_genres",
    "movie_companies",
)


def prepare(database_url: str, schema: str, path: Path) -> tuple[str, str]:
    """The store's URL (its schema on the search path) and the peer's view schema, ready to serve."""
    from db.engine import make_engine
    from db.migrate import upgrade
    from importer.pipeline import ImportOptions, import_file

    admin = create_engine(_psycopg2(database_url), isolation_level="AUTOCOMMIT")
    peer = f"{schema}_peer"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        store_url = make_url(_psycopg2(database_url)).update_query_dict({"options": f"-csearch_path={schema}"})
        store = store_url.render_as_string(hide_password=False)
        engine = make_engine(store)
        try:
            upgrade(engine)
            with engine.connect() as connection:
                live = connection.exec_driver_sql("SELECT id FROM dataset_versions WHERE status = 'live'").scalar()
            if live is None:
                report = import_file(engine, path, ImportOptions())
                print(f"store: {report.message}", file=sys.stderr)
                live = report.version
        finally:
            engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"ANALYZE {', '.join(f'{schema}.{t}_v{live}' for t in ANALYZED)}")
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {peer} CASCADE")
            figures = ", ".join(FIGURES)
            figures_gy = ", ".join(f"gy.{f}" for f in FIGURES)
            for statement in VIEWS.format(
                peer=peer, store=schema, v=live, figures=figures, figures_gy=figures_gy
            ).split(";\n"):
                if statement.strip():
                    connection.exec_driver_sql(statement)
    finally:
        admin.dispose()
    return store, peer


def _psycopg2(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def _libpq(url: str) -> str:
    """The URL as Node's pg reads it (no SQLAlchemy driver suffix, no options)."""
    parsed = make_url(_psycopg2(url)).set(drivername="postgresql", query={})
    return parsed.render_as_string(hide_password=False)


# --- the servers -------------------------------------------------------------------------------


def free_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def postgraphile(database_url: str, peer_schema: str, folder: Path | None) -> Iterator[str]:
    """PostGraphile v4 + pg-aggregates on a free port, installed into `folder` (or a temporary one)."""
    with tempfile.TemporaryDirectory(prefix="peer-postgraphile-") as temporary:
        home = folder or Path(temporary)
        home.mkdir(parents=True, exist_ok=True)
        binary = home / "node_modules" / ".bin" / "postgraphile"
        installed = home / "installed.json"  # what a finished install holds
        if not installed.exists() or orjson.loads(installed.read_bytes()) != list(PACKAGES):
            (home / "package.json").write_text('{"private": true}\n')
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *PACKAGES],
                cwd=home, check=True, stdout=sys.stderr,
            )  # fmt: skip
            installed.write_bytes(orjson.dumps(list(PACKAGES)))
        port = free_port()
        command = [
            str(binary),
            "--connection", _libpq(database_url),
            "--schema", peer_schema,
            "--append-plugins", "@graphile/pg-aggregates,postgraphile-plugin-connection-filter",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--disable-default-mutations",
            "--disable-query-log",
            "--no-setof-functions-contain-nulls",
        ]  # fmt: skip
        env = {**os.environ, "NODE_ENV": "production"}
        process = subprocess.Popen(command, cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(lambda: httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}).status_code == 200, process)
            yield base
        finally:
            process.terminate()
            process.wait(10)


@contextmanager
def this_service(store_url: str) -> Iterator[str]:
    """bench/api_bench.py's server: /graphql, /cold/graphql and /ceiling on one uvicorn worker."""
    port = free_port()
    process = multiprocessing.Process(target=serve, args=(store_url, port), daemon=True)
    process.start()
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(f"{base}/readyz").status_code == 200, process)
        yield base
    finally:
        process.terminate()
        process.join(10)


def _wait(ready: Callable[[], bool], process: Any) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except httpx.TransportError:
            pass
        alive = process.poll() is None if isinstance(process, subprocess.Popen) else process.is_alive()
        if not alive:
            raise RuntimeError("a benchmark server exited before it was ready")
        time.sleep(0.2)
    raise RuntimeError("a benchmark server did not become ready")


# --- measuring ---------------------------------------------------------------------------------


def _varied(query: str, tag: str) -> str:
    """The query with a unique alias added: `{ x ... }` -> `{ v<tag>: __typename x ... }`."""
    return query.replace("{", "{ v" + tag + ": __typename", 1)


def _strip_alias(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith("v")}


def check_answers(ours: str, peer: str) -> dict[str, bytes]:
    """Each question's answers compared in content, cached form and varied form; returns our bodies."""
    bodies = {}
    for name, query in QUERIES.items():
        tag = uuid.uuid4().hex[:8]
        mine = httpx.get(f"{ours}/graphql", params={"query": query}, timeout=60)
        mine_varied = httpx.get(f"{ours}/graphql", params={"query": _varied(query, tag)}, timeout=60).json()
        theirs = httpx.post(f"{peer}/graphql", json={"query": PEER_QUERIES[name]}, timeout=60).json()
        theirs_varied = httpx.post(
            f"{peer}/graphql", json={"query": _varied(PEER_QUERIES[name], tag)}, timeout=60
        ).json()
        for answer in (mine.json(), mine_varied, theirs, theirs_varied):
            if "errors" in answer:
                raise RuntimeError(f"{name}: {answer['errors']}")
        expected = mine.json()["data"]
        for label, answer in (
            ("ours, varied", _strip_alias(mine_varied["data"])),
            ("PostGraphile", AS_OURS[name](theirs["data"])),
            ("PostGraphile, varied", AS_OURS[name](_strip_alias(theirs_varied["data"]))),
        ):
            if not same_content(expected, answer):
                raise RuntimeError(f"{name}: {label} answers differently in content")
        bodies[name] = mine.content
    return bodies


# The targets measured over --cache-duration: answers of a few microseconds, whose p99 only a long run steadies.
CACHE_TARGETS = ("ceiling", "ours cached", "ceiling again")


def targets(
    ours: str, peer: str, name: str, run_tag: str, control: bool = False
) -> dict[str, tuple[str, str, str | None]]:
    """(method, URL, template for bench/wrk_vary.lua or None) of every target measured for a question.

    With `control`, the ceiling is measured a second time ("ceiling again"): how far one endpoint's
    figures move between two runs of the same round, the noise any other ratio carries.
    """
    query = QUERIES[name]
    varied_path = "/graphql?query=" + quote(_varied(query, run_tag + UNIQUE), safe="")
    peer_body = orjson.dumps({"query": PEER_QUERIES[name]}).decode()
    peer_varied = orjson.dumps({"query": _varied(PEER_QUERIES[name], run_tag + UNIQUE)}).decode()
    ceiling = ("GET", f"{ours}/ceiling?{urlencode({'query': query})}", None)
    return {  # in this order, or its reverse: ours cached beside the ceiling, between it and its control
        "ceiling": ceiling,
        "ours cached": ("GET", f"{ours}/graphql?{urlencode({'query': query})}", None),
        **({"ceiling again": ceiling} if control else {}),
        "PostGraphile cached": ("POST", f"{peer}/graphql", peer_body),
        "ours computed": ("GET", f"{ours}/cold/graphql?{urlencode({'query': query})}", None),
        "ours uncached": ("GET", f"{ours}/graphql", varied_path),
        "PostGraphile uncached": ("POST", f"{peer}/graphql", peer_varied),
    }


def measure(method: str, url: str, template: str | None, connections: int, duration: float) -> dict[str, float]:
    """One wrk run; a template goes through bench/wrk_vary.lua (a POST body, or a GET path made unique)."""
    if template is None:
        return run_wrk(url, duration, connections)
    return run_wrk(url, duration, connections, script=LUA, script_args=[method, template])


def run(ours: str, peer: str, rounds: int, duration: float, cache_duration: float, control: bool) -> dict[str, Any]:
    """Every question, every target, both connection counts, `rounds` times, the order alternating."""
    figures: dict[str, dict[str, dict[str, list[dict[str, float]]]]] = {}
    for round_number in range(rounds):
        for name in QUERIES:
            for connections in CONNECTIONS:
                chosen = targets(ours, peer, name, uuid.uuid4().hex[:6], control)  # a new tag: no text seen before
                order = list(chosen) if round_number % 2 == 0 else list(reversed(chosen))
                for target in order:
                    method, url, template = chosen[target]
                    seconds = cache_duration if target in CACHE_TARGETS else duration
                    result = measure(method, url, template, connections, seconds)
                    figures.setdefault(name, {}).setdefault(f"c{connections}", {}).setdefault(target, []).append(result)
                    print(
                        f"round {round_number + 1} {name} c{connections} {target}: {result['rps']:.0f} req/s, "
                        f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms",
                        file=sys.stderr,
                    )
    return summarize(figures)


def summarize(figures: dict[str, dict[str, dict[str, list[dict[str, float]]]]]) -> dict[str, Any]:
    """Medians over rounds, and the ratios taken round by round (side by side) then their median."""
    summary: dict[str, Any] = {}
    for name, by_connections in figures.items():
        for connections, by_target in by_connections.items():
            medians = {
                target: {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50_ms", "p99_ms")}
                for target, runs in by_target.items()
            }

            def ratio(a: str, b: str, key: str, by_target: dict[str, list[dict[str, float]]] = by_target) -> float:
                return statistics.median(x[key] / y[key] for x, y in zip(by_target[a], by_target[b]))

            control = "ceiling again" in by_target
            summary.setdefault(name, {})[connections] = {
                "medians": medians,
                **(
                    {
                        "ceiling_again_vs_ceiling_rps": ratio("ceiling again", "ceiling", "rps"),
                        "ceiling_again_p99_vs_ceiling": ratio("ceiling again", "ceiling", "p99_ms"),
                    }
                    if control
                    else {}
                ),
                "cached_vs_ceiling_rps": ratio("ours cached", "ceiling", "rps"),
                "cached_p99_vs_ceiling": ratio("ours cached", "ceiling", "p99_ms"),
                "cached_vs_postgraphile_rps": ratio("ours cached", "PostGraphile cached", "rps"),
                "uncached_vs_postgraphile_rps": ratio("ours uncached", "PostGraphile uncached", "rps"),
                "computed_vs_postgraphile_cached_rps": ratio("ours computed", "PostGraphile cached", "rps"),
            }
    return summary


def report(summary: dict[str, Any]) -> None:
    """The table, on stdout."""
    print(f"one uvicorn worker (uvloop, httptools) vs one PostGraphile process; wrk; {os.cpu_count()} CPUs")
    header = f"{'question':<14} {'conn':<4} {'target':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
    print(header)
    print("-" * len(header))
    for name, by_connections in summary.items():
        for connections, entry in by_connections.items():
            for target, m in entry["medians"].items():
                print(
                    f"{name:<14} {connections:<4} {target:<22} {m['rps']:>8.0f} {m['p50_ms']:>8.2f} {m['p99_ms']:>8.2f}"
                )
            print(
                f"{'':<14} {connections:<4} ratios: cached/ceiling {entry['cached_vs_ceiling_rps']:.2f}x "
                f"(p99 {entry['cached_p99_vs_ceiling']:.2f}x), cached/PostGraphile "
                f"{entry['cached_vs_postgraphile_rps']:.2f}x, uncached/PostGraphile "
                f"{entry['uncached_vs_postgraphile_rps']:.2f}x, computed/PostGraphile cached "
                f"{entry['computed_vs_postgraphile_cached_rps']:.2f}x"
            )
            if "ceiling_again_vs_ceiling_rps" in entry:
                print(
                    f"{'':<14} {connections:<4} control: ceiling again/ceiling "
                    f"{entry['ceiling_again_vs_ceiling_rps']:.2f}x (p99 {entry['ceiling_again_p99_vs_ceiling']:.2f}x)"
                )


def plot(summary: dict[str, Any], out: Path) -> None:
    """Requests/s per question and target at 32 connections and at 1, log scale (matplotlib, bench extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(summary)
    order = ["ceiling", "ours cached", "PostGraphile cached", "ours computed", "ours uncached", "PostGraphile uncached"]
    figure, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    width = 0.14
    for axis, connections in zip(axes, ("c32", "c1")):
        for index, target in enumerate(order):
            values = [summary[name][connections]["medians"][target]["rps"] for name in names]
            positions = [n + (index - 2.5) * width for n in range(len(names))]
            axis.bar(positions, values, width, label=target)
        axis.set_xticks(range(len(names)), names)
        axis.set_yscale("log")
        axis.set_title(f"{connections[1:]} connection{'s' if connections != 'c1' else ''}")
        axis.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("requests/s (median of rounds, log scale)")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=len(order), fontsize=8)
    figure.suptitle("movie-stats vs PostGraphile v4 + pg-aggregates, same PostgreSQL and data")
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    figure.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", type=Path, default=HEAD5000, help="movies_metadata file to load if none is live")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="PostgreSQL database (both peers read it)")
    parser.add_argument("--schema", default="peer_bench", help="schema of the store in that database")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=2, help="seconds per wrk run")
    parser.add_argument(
        "--cache-duration", type=float, default=10, help="seconds per wrk run of the ceiling and of ours cached"
    )
    parser.add_argument("--control", action="store_true", help="also measure the ceiling a second time (the noise)")
    parser.add_argument("--peer-dir", type=Path, help="keep PostGraphile's npm install here (default: temporary)")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON")
    parser.add_argument("--plot", type=Path, help="also draw requests/s as a PNG")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is required: apt-get install wrk")
    reference = host_reference(args.database_url)
    print_host_reference(reference)
    store_url, peer_schema = prepare(args.database_url, args.schema, args.path)
    with this_service(store_url) as ours, postgraphile(args.database_url, peer_schema, args.peer_dir) as peer:
        bodies = check_answers(ours, peer)
        for name, body in bodies.items():
            remembered = {"query": QUERIES[name], "body": body.decode()}
            httpx.post(f"{ours}/ceiling/remember", content=orjson.dumps(remembered)).raise_for_status()
        print("answers checked equal in content; measuring", file=sys.stderr)
        summary = run(ours, peer, args.rounds, args.duration, args.cache_duration, args.control)
    report(summary)
    if args.json:
        args.json.write_text(json.dumps({"host_reference_seconds": reference, **summary}, indent=2) + "\n")
    if args.plot:
        plot(summary, args.plot)


if __name__ == "__main__":
    main()
