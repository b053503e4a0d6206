"""Benchmark of the GraphQL API (not a test): requests/s and p50/p99 latency, cold and cached.

One uvicorn worker, started by this script on a local port, serves three things side by side:
  /graphql        the API as configured for production (response cache on)
  /cold/graphql   the same API with the response cache off (every request executes)
  /ceiling        a plain Starlette endpoint returning the very same response bytes
so the cached figures can be read against the ceiling of the framework itself.

    .venv/bin/python bench/api_bench.py [--path FILE] [--database-url URL] [--duration 3] [--json]

The load generator is `wrk` when installed (apt-get install wrk), else an asyncio/httpx client
with keep-alive running in a separate process.

    .venv/bin/python bench/api_bench.py --in-process [--against REV] [--rounds 3] [--database-url URL]

measures instead what a computed answer costs without HTTP: each question answered as the view
answers it (in one statement by schema.sql_answers where the code has it and the question allows,
else `schema.execute`) in a loop on one event loop, the same text again (its parse and validation cached) and a new text
each time (a unique alias: parsed and validated anew), in milliseconds (minimum and median). With
`--against REV` the same measurement runs on that commit's code too (`git archive` into a temporary
folder), each in a process of its own, the order alternating round by round.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402

HEAD5000 = ROOT.parent / "shared" / "data" / "movies_metadata_head5000.csv.gz"
QUERIES = {
    "company page": "{ companies(first: 20) { totalCount nodes { id name years { year releases budget revenue "
    "profit averagePopularity releasesByGenre { genre { name } releases } } } } }",
    "company years": "{ company(id: 6194) { name years { year releases budget revenue profit averagePopularity "
    "coverage { withBudget withRevenue withBoth } releasesByGenre { genre { name } releases } } } }",
    "year 1995": "{ year(year: 1995) { releases mostPopularGenre { genre { name } averagePopularity } "
    "genres { genre { name } releases averagePopularity } } }",
    "genre years": "{ genre(id: 18) { name years { year releases budget revenue averagePopularity } } }",
    # An analyst's first two questions: who leads over all years, and which movies make a figure.
    "ranking": "{ companyRanking(first: 20) { totalCount pageInfo { endCursor } nodes { company { id name } "
    "years releases revenue profit averagePopularity coverage { withRevenue withPopularity } } } }",
    "drill-down": "{ company(id: 6194) { years(from: 1995, to: 1995) { releases revenue movies(first: 20) { "
    "totalCount nodes { id title popularity budget revenue profit } } } } }",
}


def bench_app(database_url: str):  # type: ignore[no-untyped-def]
    """The three endpoints on one app: the API itself, with the ceiling and the cold API added."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Mount, Route

    from app.asgi import create_app
    from app.settings import Settings

    common = {"database_url": database_url, "access_log": False, "redis_url": None}
    cached = create_app(Settings(_env_file=None, **common))
    cold = create_app(Settings(_env_file=None, cache_ttl_seconds=0, **common))
    bodies: dict[str, bytes] = {}

    async def ceiling(request: Request) -> Response:
        return Response(bodies[request.scope["query_string"]], media_type="application/json")

    async def remember(request: Request) -> Response:
        payload = orjson.loads(await request.body())
        bodies[urlencode({"query": payload["query"]}).encode()] = payload["body"].encode()
        return Response(b"ok")

    # The ceiling and the cold API go on the cached app itself, behind the same middleware, so
    # the comparison measures the endpoints and not an extra Mount layer.
    own_lifespan = cached.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with own_lifespan(app), cold.router.lifespan_context(cold):
            yield

    cached.router.lifespan_context = lifespan
    cached.router.routes[:0] = [
        Route("/ceiling", ceiling),
        Route("/ceiling/remember", remember, methods=["POST"]),
        Mount("/cold", app=cold),
    ]
    return cached


def serve(database_url: str, port: int) -> None:
    """The server process."""
    import uvicorn

    from app.server import SERVER_STACK

    app = bench_app(database_url)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, **SERVER_STACK)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_store(path: Path, database_url: str | None, directory: Path, only_if_none_live: bool = False) -> str:
    """Migrate and load the file (with `only_if_none_live`, only when no version is live)."""
    from db.engine import make_engine
    from db.migrate import upgrade
    from db.versions import live_version_id
    from importer.pipeline import ImportOptions, import_file

    url = database_url or f"sqlite:///{directory / 'bench.sqlite3'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            live = live_version_id(connection)
        if live is None or not only_if_none_live:
            report = import_file(engine, path, ImportOptions())
            print(f"store: {report.message}", file=sys.stderr)
    finally:
        engine.dispose()
    return url


def run_wrk(
    url: str, duration: float, connections: int, script: Path | None = None, script_args: list[str] | None = None
) -> dict[str, float]:
    """requests/s and latency percentiles (ms) from wrk (with a Lua script and its arguments if given)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    if script is not None:
        command += ["-s", str(script), url, "--", *(script_args or [])]
    else:
        command.append(url)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latency = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", output).group(1)) for p in ("50", "99")}  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses")
    return {"rps": rps, "p50_ms": latency["50"], "p99_ms": latency["99"]}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _client_process(url: str, requests: int, connections: int, queue: multiprocessing.Queue) -> None:
    async def main() -> tuple[float, list[float]]:
        latencies: list[float] = []
        remaining = iter(range(requests))
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits) as client:

            async def worker() -> None:
                for _ in remaining:
                    started = time.perf_counter()
                    response = await client.get(url)
                    response.raise_for_status()
                    latencies.append((time.perf_counter() - started) * 1000)

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(connections)))
            return time.perf_counter() - started, latencies

    queue.put(asyncio.run(main()))


def run_httpx(url: str, requests: int, connections: int) -> dict[str, float]:
    """The fallback load generator, in a process of its own so it does not share a core's GIL."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_client_process, args=(url, requests, connections, queue))
    process.start()
    elapsed, latencies = queue.get()
    process.join()
    cuts = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / elapsed, "p50_ms": cuts[49], "p99_ms": cuts[98]}


def in_process(database_url: str, requests: int) -> dict[str, dict[str, float]]:
    """Each question executed `requests` times in-process: the same text, then a new text each time."""
    import uuid

    from app.database import open_database
    from schema import build_schema
    from schema.context import Context

    database = open_database(database_url, statement_timeout_ms=5000)
    schema = build_schema()
    loop = asyncio.new_event_loop()
    version = loop.run_until_complete(_live_version(database))
    try:  # the view's one-statement answers, where the code measured has them (schema.sql_answers)
        from schema.sql_answers import SqlAnswers

        one_statement = SqlAnswers(schema.checks, 100)
    except (ImportError, AttributeError):  # older code (its schema has no checks)
        one_statement = None

    async def answer(text: str) -> None:
        if one_statement is not None and await one_statement.answer(database, text, None, None, version) is not None:
            return
        result = await schema.execute(text, None, Context.for_version(database, version, 100))
        assert not result.errors, result.errors

    def milliseconds(texts: list[str]) -> list[float]:
        times = []
        for text in texts:
            started = time.perf_counter()
            loop.run_until_complete(answer(text))
            times.append((time.perf_counter() - started) * 1000)
        return sorted(times)

    results = {}
    try:
        for name, query in QUERIES.items():
            milliseconds([query] * 5)  # warm: plans compiled, list sizes read
            same = milliseconds([query] * requests)
            new = milliseconds(
                [query.replace("{", "{ v" + uuid.uuid4().hex + ": __typename", 1) for _ in range(requests)]
            )
            results[name] = {
                "same_min_ms": same[0],
                "same_p50_ms": statistics.median(same),
                "new_min_ms": new[0],
                "new_p50_ms": statistics.median(new),
            }
    finally:
        loop.close()
        database.dispose()
    return results


async def _live_version(database) -> int:  # type: ignore[no-untyped-def]
    from db.versions import live_version_id

    version = await database.run(live_version_id)
    if version is None:
        raise SystemExit("no live version in this store: load one first (movie-stats import)")
    return version


def compare_in_process(url: str, against: str | None, rounds: int, requests: int) -> None:
    """The in-process measurement of this code (and of commit `against`), alternating, in fresh processes."""
    with tempfile.TemporaryDirectory(prefix="api-bench-") as directory:
        trees = {"this code": ROOT}
        if against:
            old = Path(directory) / against
            old.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", against], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
            trees = {against: old, **trees}
        figures: dict[str, list[dict[str, dict[str, float]]]] = {label: [] for label in trees}
        for round_number in range(rounds):
            order = list(trees) if round_number % 2 == 0 else list(reversed(trees))
            for label in order:
                command = [sys.executable, str(Path(__file__).resolve()), "--in-process-worker", str(trees[label])]
                command += ["--database-url", url, "--requests", str(requests)]
                output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
                figures[label].append(orjson.loads(output))
    print(f"in-process answers, ms: min / median of {requests} requests, median over {rounds} rounds")
    for name in QUERIES:
        for label, runs in figures.items():
            cells = []
            for mode in ("same", "new"):
                low = statistics.median(run[name][f"{mode}_min_ms"] for run in runs)
                middle = statistics.median(run[name][f"{mode}_p50_ms"] for run in runs)
                cells.append(f"{mode} text {low:6.2f} / {middle:6.2f}")
            print(f"{name:<15} {label:<12} " + "   ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", type=Path, default=HEAD5000, help="movies_metadata file to load")
    parser.add_argument("--database-url", help="store to use (default: a temporary SQLite file)")
    parser.add_argument("--duration", type=int, default=3, help="seconds per measurement (wrk)")
    parser.add_argument("--requests", type=int, default=3000, help="requests per measurement (httpx fallback)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--loadgen", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--only", nargs="+", choices=sorted(QUERIES), help="measure only these queries")
    parser.add_argument("--in-process", action="store_true", help="schema.execute in a loop, no HTTP (see above)")
    parser.add_argument("--against", help="with --in-process: also measure this commit's code, alternating")
    parser.add_argument("--rounds", type=int, default=3, help="with --in-process: rounds per code")
    parser.add_argument("--in-process-worker", type=Path, help=argparse.SUPPRESS)  # a tree to import the code from
    args = parser.parse_args()
    if args.in_process_worker:
        sys.path.insert(0, str(args.in_process_worker))
        print(orjson.dumps(in_process(args.database_url, args.requests)).decode())
        return
    if args.in_process:
        with tempfile.TemporaryDirectory() as directory:
            url = prepare_store(args.path, args.database_url, Path(directory), only_if_none_live=True)
            compare_in_process(url, args.against, args.rounds, min(args.requests, 100))
        return
    use_wrk = args.loadgen == "wrk" or (args.loadgen == "auto" and shutil.which("wrk"))

    with tempfile.TemporaryDirectory() as directory:
        url = prepare_store(args.path, args.database_url, Path(directory))
        port = free_port()
        server = multiprocessing.Process(target=serve, args=(url, port), daemon=True)
        server.start()
        base = f"http://127.0.0.1:{port}"
        try:
            results = measure(base, args, bool(use_wrk))
        finally:
            server.terminate()
            server.join(10)
    report(results, args.json, "wrk" if use_wrk else "httpx")


def measure(base: str, args: argparse.Namespace, use_wrk: bool) -> dict[str, dict[str, dict[str, float]]]:
    """Every query three ways."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the benchmark server did not become ready")
        time.sleep(0.1)
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, query in QUERIES.items():
        if args.only and name not in args.only:
            continue
        params = urlencode({"query": query})
        body = httpx.get(f"{base}/graphql?{params}").content  # also warms the cache
        assert b'"errors"' not in body, body
        httpx.post(f"{base}/ceiling/remember", content=orjson.dumps({"query": query, "body": body.decode()}))
        results[name] = {}
        for mode, path in (("ceiling", "/ceiling"), ("cached", "/graphql"), ("cold", "/cold/graphql")):
            target = f"{base}{path}?{params}"
            run = (
                run_wrk(target, args.duration, args.connections)
                if use_wrk
                else run_httpx(target, args.requests, args.connections)
            )
            results[name][mode] = run
        results[name]["cold, 1 connection"] = (
            run_wrk(f"{base}/cold/graphql?{params}", args.duration, 1)
            if use_wrk
            else run_httpx(f"{base}/cold/graphql?{params}", max(200, args.requests // 10), 1)
        )
    return results


def report(results: dict[str, dict[str, dict[str, float]]], as_json: bool, loadgen: str) -> None:
    """A table, or JSON."""
    if as_json:
        print(
            orjson.dumps(
                {"loadgen": loadgen, "cpus": os.cpu_count(), "results": results}, option=orjson.OPT_INDENT_2
            ).decode()
        )
        return
    header = f"{'query':<15} {'mode':<20} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs ceiling':>10}"
    print(f"load generator: {loadgen}; one uvicorn worker; {os.cpu_count()} CPUs")
    print(header)
    print("-" * len(header))
    for name, modes in results.items():
        ceiling = modes["ceiling"]["rps"]
        for mode, figures in modes.items():
            ratio = f"{figures['rps'] / ceiling:>9.0%}" if mode != "ceiling" else ""
            print(
                f"{name:<15} {mode:<20} {figures['rps']:>9.0f} {figures['p50_ms']:>8.2f} {figures['p99_ms']:>8.2f} {ratio:>10}"
            )


if __name__ == "__main__":
    main()
