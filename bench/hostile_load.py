"""Load benchmark under hostile queries and version changes (not a test): 5xx, mixed versions, req/s, p99.

`movie-stats serve` (one uvicorn worker, the production settings) runs on a private PostgreSQL
schema holding the head-5000 file as version 1. For `--duration` seconds, `--connections`
keep-alive clients send the README's queries (GET, cacheable, each asking `dataset { version }`)
mixed with hostile ones (`--hostile-share`: depth-10 nesting, the largest answer the cost limit
admits, a NUL in `search`, a 100 KB cursor, a 2 MB body). Meanwhile an import takes version 2
live, a rollback takes version 1 back, and a promote takes version 2 again.

Afterwards every 200 answer is checked against the answer of the version it names (read with
`?dataset=N`): an answer mixing versions would match neither.

    .venv/bin/python -m bench.hostile_load [--duration 60] [--connections 64] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import io
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import httpx
import orjson
from sqlalchemy import create_engine, make_url

from bench.host import host_reference, print_host_reference

ROOT = Path(__file__).resolve().parents[1]
HEAD5000 = ROOT.parent / "shared" / "data" / "movies_metadata_head5000.csv.gz"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
MOVIE_STATS = str(Path(sys.executable).parent / "movie-stats")
GENERATORS = 2  # client processes: one Python process cannot keep 64 connections busy

NORMAL = [
    "{ dataset { version } company(id: 6194) { name years(from: 1995, to: 1995) { year releases budget revenue "
    "profit averagePopularity coverage { withBudget withRevenue withBoth } releasesByGenre { genre { name } "
    "releases } } } }",
    "{ dataset { version } year(year: 1995) { releases mostPopularGenre { genre { name } averagePopularity } } "
    "genre(id: 18) { name years(from: 1995, to: 1995) { releases budget revenue profit averagePopularity "
    "totalPopularity } } }",
    "{ dataset { version } year(year: 1995) { genres(orderBy: RELEASES, first: 5) { genre { name } releases } } }",
    '{ dataset { version } companies(search: "warner", first: 5) { totalCount nodes { id name } } }',
]
HOSTILE = [
    ("post", "{ genres { years { genre { years { genre { years { genre { years { genre { name } } } } } } } } } }"),
    ("post", "{ genres { name years { year releases budget revenue profit averagePopularity totalPopularity "
     "coverage { releases withBudget withRevenue withBoth } } } }"),  # admitted: cost 14,201
    ("post", '{ companies(search: "a\\u0000b") { totalCount } }'),
    ("post", '{ companies(after: "' + "x" * 100_000 + '") { totalCount } }'),
    ("body", "x" * 2_000_000),
]  # fmt: skip


def private_schema() -> tuple[str, str]:
    """A fresh schema on the benchmark's PostgreSQL: (its URL, its name)."""
    name = f"bench_hostile_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {name}")
    admin.dispose()
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={name}"})
    return url.render_as_string(hide_password=False), name


def drop_schema(name: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {name} CASCADE")
    admin.dispose()


def movie_stats(url: str, *arguments: str) -> dict:
    environment = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run([MOVIE_STATS, *arguments, "--json"], env=environment, capture_output=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return orjson.loads(done.stdout)


def second_file(folder: Path) -> Path:
    """head-5000 without its last 50 records: another version, within the shrink check."""
    with gzip.open(HEAD5000, "rt", encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows[:-50])
    path = folder / "head4950.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as file:
        file.write(buffer.getvalue())
    return path


class Connection:
    """One keep-alive HTTP/1.1 connection, raw: httpx would cost the generator more than the server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, target: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host}\r\n"
        if method == "POST":
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        status_line = await self.reader.readline()
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        answer = await self.reader.readexactly(length)
        if close:  # the server refused a body it did not read whole: it closes
            self.writer.close()
            self.reader = self.writer = None
        return int(status_line.split()[1]), answer


async def client_loop(host: str, port: int, stop_at: float, hostile_share: float, seed: int, out: list) -> None:
    rng = random.Random(seed)
    connection = Connection(host, port)
    targets = [f"/graphql?{urlencode({'query': query})}" for query in NORMAL]
    while time.monotonic() < stop_at:
        hostile = rng.random() < hostile_share
        started = time.perf_counter()
        try:
            if hostile:
                kind, text = rng.choice(HOSTILE)
                body = text.encode() if kind == "body" else orjson.dumps({"query": text})
                # A refused body is not read whole, so the server closes that connection after its 413.
                sender = Connection(host, port) if kind == "body" else connection
                status, _answer = await sender.request("POST", "/graphql", body)
                if sender is not connection and sender.writer is not None:
                    sender.writer.close()
                out.append(("hostile", status, time.perf_counter() - started, None, None))
            else:
                index = rng.randrange(len(NORMAL))
                status, answer = await connection.request("GET", targets[index])
                out.append(("normal", status, time.perf_counter() - started, index, answer if status == 200 else None))
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            out.append(("hostile" if hostile else "normal", 0, time.perf_counter() - started, None, None))
            connection = Connection(host, port)  # the server dropped it: a new one


def load_process(base_url: str, seconds: float, seeds: range, hostile_share: float, queue) -> None:  # type: ignore[no-untyped-def]  # a multiprocessing queue
    """Load generator clients, in a process of their own so they never compete with the server's interpreter."""
    out: list = []

    async def main() -> None:
        stop_at = time.monotonic() + seconds
        host, port = httpx.URL(base_url).host, httpx.URL(base_url).port
        await asyncio.gather(*(client_loop(host, port, stop_at, hostile_share, seed, out) for seed in seeds))

    asyncio.run(main())
    bodies = {(index, body) for kind, _status, _s, index, body in out if kind == "normal" and body is not None}
    queue.put(([(kind, status, seconds) for kind, status, seconds, _i, _b in out], sorted(bodies)))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run(duration: float, connections: int, hostile_share: float) -> dict:
    url, schema = private_schema()
    folder = Path(tempfile.mkdtemp(prefix="hostile-load-"))
    server = None
    try:
        movie_stats(url, "import", str(HEAD5000))
        port = 18_000 + random.randrange(2000)
        environment = {**os.environ, "DATABASE_URL": url, "ACCESS_LOG": "false"}
        server = subprocess.Popen(
            [MOVIE_STATS, "serve", "--port", str(port)], env=environment, cwd=folder,
            stdout=subprocess.DEVNULL, stderr=(folder / "serve.log").open("wb"),
        )  # fmt: skip
        base_url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base_url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        changes_file = second_file(folder)
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        generators = [
            context.Process(
                target=load_process,
                args=(base_url, duration, range(part, connections, GENERATORS), hostile_share, queue),
            )
            for part in range(GENERATORS)
        ]
        for generator in generators:
            generator.start()
        started = time.monotonic()
        events = []
        for at, arguments in (
            (0.15, ("import", str(changes_file))),
            (0.45, ("rollback",)),
            (0.70, ("promote", "2")),
        ):
            time.sleep(max(0.0, started + at * duration - time.monotonic()))
            report = movie_stats(url, *arguments)
            events.append(
                {
                    "at_seconds": round(time.monotonic() - started, 1),
                    "command": arguments[0],
                    "live": report.get("version", report),
                }
            )
        results, bodies = [], set()
        for _ in generators:
            part_results, part_bodies = queue.get()
            results += part_results
            bodies |= set(part_bodies)
        for generator in generators:
            generator.join()
        elapsed = duration
        # Every 200 answer must be exactly the answer of the version it names.
        truth = {
            (index, version): httpx.get(f"{base_url}/graphql", params={"query": NORMAL[index], "dataset": version}).content
            for index in range(len(NORMAL)) for version in ("1", "2")
        }  # fmt: skip
        mixed = 0
        for index, body in bodies:
            version = orjson.loads(body)["data"]["dataset"]["version"]
            if orjson.loads(truth[(index, version)])["data"] != orjson.loads(body)["data"]:
                mixed += 1
        statuses = Counter(status for _kind, status, _s in results)
        latency = {
            kind: {
                "requests": len(values),
                "p50_ms": round(statistics.median(values) * 1000, 1) if values else None,
                "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            }
            for kind in ("normal", "hostile")
            for values in [[s for k, _status, s in results if k == kind]]
        }
        return {
            "duration_seconds": duration,
            "connections": connections,
            "requests": len(results),
            "requests_per_second": round(len(results) / elapsed),
            "statuses": {str(status): count for status, count in sorted(statuses.items())},
            "5xx": sum(count for status, count in statuses.items() if status >= 500),
            "connection_errors": statuses.get(0, 0),
            "distinct_answers_checked": len(bodies),
            "answers_mixing_versions": mixed,
            "latency": latency,
            "events": events,
        }
    finally:
        if server is not None:
            server.terminate()
            server.wait(15)
        drop_schema(schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--hostile-share", type=float, default=0.05)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    reference = host_reference(POSTGRES_URL)
    print_host_reference(reference)
    outcome = {"host_reference_seconds": reference, **run(options.duration, options.connections, options.hostile_share)}
    sys.stdout.write(orjson.dumps(outcome, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
