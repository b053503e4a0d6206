"""Many API processes (issue 23, item 5): `serve --workers N`, and separate processes sharing
PostgreSQL and Redis that all serve a promoted version within a second, never mixing two."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from db import versions
from tests.api_support import free_port, load, write_subset
from tests.conftest import REDIS_URL, head5000
from tests.test_cli import MOVIE_STATS, cli_environment

QUERY = "{ dataset { version movies } year(year: 1995) { releases budget } }"
PROMOTE_DEADLINE_SECONDS = 1.0


@contextmanager
def serving(database_url: str, cwd: Path, *args: str, **settings: str) -> Iterator[tuple[str, int]]:
    """`movie-stats serve ARGS` in a process of its own until the block ends; yields its URL and pid."""
    port = free_port()
    env = cli_environment(database_url, ACCESS_LOG="false", **settings)
    log = cwd / f"serve-{port}.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [MOVIE_STATS, "serve", "--port", str(port), *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not become ready: {log.read_text()}")
            time.sleep(0.1)
        yield base, process.pid
    finally:
        process.terminate()  # uvicorn's process manager stops its workers on SIGTERM
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _children(pid: int) -> list[int]:
    children = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path("/proc", name, "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(name))
    return children


def _metric(text: str, name: str, **labels: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def test_serve_workers_runs_processes_whose_metrics_add_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'movie-stats.sqlite3'}"
    small = tmp_path / "head300.csv.gz"
    write_subset(head5000(), small, keep=300)
    load_with_migrations(url, small)
    with serving(url, tmp_path, "--workers", "2") as (base, pid):
        assert len(_children(pid)) >= 2  # two workers (and uvicorn may add a resource tracker)
        for _ in range(12):  # a new connection each: the kernel spreads them over the workers
            response = httpx.get(f"{base}/graphql", params={"query": QUERY})
            assert response.status_code == 200
        metrics = httpx.get(f"{base}/metrics").text
    assert _metric(metrics, "movie_stats_requests_total", route="/graphql", status="200") == 12
    hits = _metric(metrics, "movie_stats_cache_lookups_total", layer="memory", result="hit")
    misses = _metric(metrics, "movie_stats_cache_lookups_total", layer="memory", result="miss")
    # Each worker has its own in-memory cache: its first request misses twice (exact, then normalized form).
    assert misses in (2.0, 4.0) and hits + misses / 2 == 12


def load_with_migrations(url: str, path: Path) -> int:
    """Migrate, then load `path`."""
    from db.engine import make_engine
    from db.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return load(url, path)


def test_two_processes_sharing_redis_serve_a_promote_within_a_second_never_mixed(
    postgres_engine: Engine, namespace: str, tmp_path: Path
) -> None:
    url = postgres_engine.url.render_as_string(hide_password=False)
    first = load(url, head5000())
    smaller = tmp_path / "head2000.csv.gz"
    write_subset(head5000(), smaller, keep=2000)
    second = load(url, smaller, stage_only=True)
    settings = {"REDIS_URL": REDIS_URL, "CACHE_NAMESPACE": namespace}
    with serving(url, tmp_path, **settings) as (one, _), serving(url, tmp_path, **settings) as (two, _):
        # What each version answers, pinned: an unpinned answer must be exactly one of these.
        expected = {
            str(version): httpx.get(f"{one}/graphql", params={"query": QUERY, "dataset": str(version)}).json()
            for version in (first, second)
        }
        assert expected[str(first)] != expected[str(second)]
        seen: list[tuple[float, str, str, dict]] = []
        stop = threading.Event()

        def ask(base: str) -> None:
            with httpx.Client(base_url=base, timeout=10) as client:
                while not stop.is_set():
                    response = client.get("/graphql", params={"query": QUERY})
                    seen.append((time.monotonic(), base, response.headers["dataset-version"], response.json()))

        askers = [threading.Thread(target=ask, args=(base,)) for base in (one, two)]
        for asker in askers:
            asker.start()
        time.sleep(0.3)
        with postgres_engine.begin() as connection:
            versions.promote(connection, second, force=True)  # a subset: it failed the shrink check
        promoted = time.monotonic()
        time.sleep(PROMOTE_DEADLINE_SECONDS + 0.5)
        stop.set()
        for asker in askers:
            asker.join(10)

    for _when, _base, version, body in seen:
        assert body == expected[version]  # one version per answer, the one its header names
        assert body["data"]["dataset"]["version"] == version
    for base in (one, two):
        answers = [(when, version) for when, b, version, _body in seen if b == base]
        assert any(when < promoted and version == str(first) for when, version in answers)
        late = [version for when, version in answers if when >= promoted + PROMOTE_DEADLINE_SECONDS]
        assert late and set(late) == {str(second)}, base
