"""Benchmark of the GraphQL API (not a test): requests/s and p50/p99 latency, cold and cached.

One uvicorn worker, started by this script on a local port, serves three things side by side:
  /graphql        the API as configured for production (response cache on)
  /cold/graphql   the same API with the response cache off (every request executes)
  /ceiling        a plain Starlette endpoint returning the very same response bytes
so the cached figures can be read against the ceiling of the framework itself.

    .venv/bin/python bench/api_bench.py [--path FILE] [--database-url URL] [--duration 3] [--json]

The load generator is `wrk` when installed (apt-get install wrk), else an asyncio/httpx client
with keep-alive running in a separate process.
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


def prepare_store(path: Path, database_url: str | None, directory: Path) -> str:
    """Migrate and load the file (unless the store already has it live)."""
    from db.engine import make_engine
    from db.migrate import upgrade
    from importer.pipeline import ImportOptions, import_file

    url = database_url or f"sqlite:///{directory / 'bench.sqlite3'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
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
    args = parser.parse_args()
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
