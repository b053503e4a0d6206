"""Benchmark of `movie-stats serve --workers N` (not a test): cached GETs with one worker and with N.

Loads a file once, then runs `movie-stats serve` as the operator would, with one worker and with
`--workers N` in alternating rounds, in-memory cache or Redis (`--redis-url`), and measures each
of api_bench's questions as a cached GET with wrk (apt-get install wrk) at `--connections`:

    .venv/bin/python -m bench.workers_bench [--path FILE] [--database-url URL] [--redis-url URL] \\
        [--workers 2] [--rounds 3] [--duration 3]

Before measuring, every question is asked until each worker holds it (a process's own LRU) or
Redis does, so that every measured request is a hit. wrk runs on the same cores as the server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.api_bench import HEAD5000, QUERIES, free_port, prepare_store, run_wrk
from bench.host import host_reference, print_host_reference

MOVIE_STATS = str(Path(sys.executable).parent / "movie-stats")
WARM_REQUESTS = 64  # per question: enough for every worker to have answered it at least once


@contextmanager
def serving(database_url: str, redis_url: str | None, workers: int) -> Iterator[str]:
    """`movie-stats serve --workers N` on a free port until the block ends; its base URL."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "ACCESS_LOG": "false"}
    environment.pop("REDIS_URL", None)
    if redis_url:
        environment.update(REDIS_URL=redis_url, CACHE_NAMESPACE=f"workers-bench-{port}")
    process = subprocess.Popen(
        [MOVIE_STATS, "serve", "--port", str(port), "--workers", str(workers)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _ready(base):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"movie-stats serve --workers {workers} did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def warm(base: str) -> None:
    """Ask every question until each worker's cache (or Redis) holds its answer."""
    with httpx.Client(base_url=base, timeout=30) as client:
        for query in QUERIES.values():
            for _ in range(WARM_REQUESTS):
                # A new connection each time: the kernel spreads them over the workers.
                client.get("/graphql", params={"query": query}, headers={"connection": "close"}).raise_for_status()


def measure(base: str, duration: float, connections: int) -> dict[str, dict[str, float]]:
    """Each question as a cached GET: requests/s, p50 and p99."""
    return {
        name: run_wrk(f"{base}/graphql?{urlencode({'query': query})}", duration, connections)
        for name, query in QUERIES.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", type=Path, default=HEAD5000, help="movies_metadata file to load")
    parser.add_argument("--database-url", help="store to use (default: a temporary SQLite file)")
    parser.add_argument("--redis-url", help="shared cache (default: each process's own memory)")
    parser.add_argument("--workers", type=int, default=2, help="processes to compare with one")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3, help="seconds per measurement (wrk)")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    print_host_reference(host_reference(args.database_url))
    with tempfile.TemporaryDirectory() as directory:
        url = prepare_store(args.path, args.database_url, Path(directory))
        runs: dict[int, list[dict[str, dict[str, float]]]] = {1: [], args.workers: []}
        for round_number in range(args.rounds):
            order = [1, args.workers] if round_number % 2 == 0 else [args.workers, 1]
            for workers in order:
                with serving(url, args.redis_url, workers) as base:
                    warm(base)
                    runs[workers].append(measure(base, args.duration, args.connections))
                print(f"round {round_number + 1}: {workers} worker(s) measured", file=sys.stderr)
    cache = "Redis" if args.redis_url else "in-process memory"
    print(f"cached GETs, {args.connections} connections, {cache}; median of {args.rounds} rounds")
    print(f"| question | 1 worker req/s | {args.workers} workers req/s | ratio | p99 ms (1 / {args.workers}) |")
    print("| --- | --- | --- | --- | --- |")
    for name in QUERIES:
        one = statistics.median(run[name]["rps"] for run in runs[1])
        many = statistics.median(run[name]["rps"] for run in runs[args.workers])
        p99 = [statistics.median(run[name]["p99_ms"] for run in runs[n]) for n in (1, args.workers)]
        print(f"| {name} | {one:,.0f} | {many:,.0f} | {many / one:.2f}x | {p99[0]:.1f} / {p99[1]:.1f} |")


if __name__ == "__main__":
    main()
