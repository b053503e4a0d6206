"""db.live_version: every process learns a promote or rollback by itself, without a read per request."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Engine, text

from db import versions
from db.live_version import LiveVersionWatcher, watch_live_version
from tests.api_support import free_port, load, write_subset
from tests.conftest import head5000

MOVIE_STATS = str(Path(sys.executable).parent / "movie-stats")


def _new_version(engine: Engine, *, live: bool) -> int:
    """A version row with no data, staged or live: enough for the watcher, which reads only the status."""
    with engine.begin() as connection:
        version = versions.create_version(
            connection, mode="full", source_name="copy", source_sha256="0" * 64, base_version_id=None
        )
        versions.finish_version(connection, version, status="staged")
        if live:
            versions.promote(connection, version)
    return version


def _until(condition: Callable[[], bool], within_seconds: float) -> float:
    """Seconds until `condition()` held; fails past `within_seconds`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within_seconds, f"not within {within_seconds} s"
        time.sleep(0.005)
    return time.monotonic() - started


@contextmanager
def _watching(engine: Engine, **options: float) -> Iterator[LiveVersionWatcher]:
    watcher = watch_live_version(engine, **options)
    watcher.start()
    try:
        yield watcher
    finally:
        watcher.close()


def test_a_promote_made_elsewhere_is_learned_within_a_second(engine: Engine) -> None:
    first = _new_version(engine, live=True)
    second = _new_version(engine, live=False)
    with _watching(engine) as watcher:
        assert watcher.known and watcher.last_error is None and watcher.current() == first
        with engine.begin() as connection:  # as the CLI in another process would
            versions.promote(connection, second)
        _until(lambda: watcher.current() == second, 1.0)
        with engine.begin() as connection:
            versions.rollback(connection)
        _until(lambda: watcher.current() == first, 1.0)


def test_an_empty_store_is_known_to_have_no_live_version(engine: Engine) -> None:
    with _watching(engine) as watcher:
        assert watcher.known and watcher.current() is None


def test_postgresql_is_told_by_notification_not_by_its_periodic_recheck(postgres_engine: Engine) -> None:
    first = _new_version(postgres_engine, live=True)
    second = _new_version(postgres_engine, live=False)
    with _watching(postgres_engine, recheck_seconds=60) as watcher:  # no re-check during the test
        assert watcher.current() == first
        time.sleep(0.1)  # let the watcher settle into waiting for a notification
        with postgres_engine.begin() as connection:
            versions.promote(connection, second)
        assert _until(lambda: watcher.current() == second, 1.0) < 1.0


def test_postgresql_watcher_reconnects_and_reads_what_it_missed(postgres_engine: Engine) -> None:
    first = _new_version(postgres_engine, live=True)
    second = _new_version(postgres_engine, live=False)
    with _watching(postgres_engine, recheck_seconds=60) as watcher:
        assert watcher.current() == first
        backend = watcher._connection.get_backend_pid()  # type: ignore[attr-defined]  # the one to cut
        with postgres_engine.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            versions.promote(connection, second)  # while the watcher is disconnected: no notification reaches it
        _until(lambda: watcher.current() == second, 2.0)  # the re-read after reconnecting
        assert watcher.known and watcher.last_error is None


def test_closing_a_postgresql_watcher_ends_its_wait_at_once(postgres_engine: Engine) -> None:
    """A shutdown does not wait out the re-check interval (it waited all of it, here 60 s)."""
    _new_version(postgres_engine, live=True)
    watcher = watch_live_version(postgres_engine, recheck_seconds=60)
    watcher.start()
    time.sleep(0.1)  # the watcher waits for a notification
    started = time.monotonic()
    watcher.close()
    assert time.monotonic() - started < 5 and not watcher._thread.is_alive()  # type: ignore[attr-defined]  # its own thread
    watcher.close()  # a second close is harmless


def test_an_unreachable_store_is_not_known_and_says_why() -> None:
    from db.engine import make_engine

    engine = make_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=1")
    with _watching(engine) as watcher:
        assert not watcher.known and watcher.current() is None
        assert watcher.last_error is not None and "OperationalError" in watcher.last_error


@contextmanager
def _server_process(database_url: str, tmp_path: Path) -> Iterator[httpx.Client]:
    """`movie-stats serve` as a process of its own."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "ACCESS_LOG": "false", "CACHE_TTL_SECONDS": "3600"}
    log = (tmp_path / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [MOVIE_STATS, "serve", "--port", str(port)],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        _until(lambda: _answers(client), 30.0)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def _served_version(client: httpx.Client) -> str:
    return client.get("/graphql", params={"query": "{ dataset { version } }"}).json()["data"]["dataset"]["version"]


def test_two_server_processes_both_serve_a_promote_within_a_second(database_url: str, tmp_path: Path) -> None:
    load(database_url, head5000())
    smaller = tmp_path / "smaller.csv.gz"
    write_subset(head5000(), smaller, keep=500)
    staged = load(database_url, smaller, stage_only=True)
    with ExitStack() as servers:
        clients = [servers.enter_context(_server_process(database_url, tmp_path)) for _ in range(2)]
        assert [_served_version(client) for client in clients] == ["1", "1"]  # now cached in each process
        promote = subprocess.run(  # --force: a subset fails the shrink check
            [MOVIE_STATS, "promote", str(staged), "--force"],
            env={**os.environ, "DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            check=False,
        )
        assert promote.returncode == 0, promote.stderr
        promoted_at = time.monotonic()
        for client in clients:
            _until(lambda client=client: _served_version(client) == str(staged), 1.0 - (time.monotonic() - promoted_at))
