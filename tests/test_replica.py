"""Read replicas (issue 23, item 6) on a REAL streaming replica: a private primary on a free port,
`pg_basebackup -R` into a temporary folder, the standby on another port; both removed afterwards."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from db import versions
from db.engine import make_engine
from db.migrate import upgrade
from tests.api_support import Api, api_settings, count_statements, free_port, load, serve, write_subset
from tests.conftest import head5000, unavailable

BIN = Path("/usr/lib/postgresql/15/bin")
QUERY = "{ dataset { version movies } year(year: 1995) { releases budget revenue } }"


@dataclass(frozen=True)
class Cluster:
    """A PostgreSQL server of the test's own."""

    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"


def _as_postgres(*command: str) -> None:
    done = subprocess.run(["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{command[0]} failed: {done.stderr or done.stdout}"


def _start(directory: Path, port: int) -> None:
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"
    _as_postgres(
        str(BIN / "pg_ctl"), "-D", str(directory / "data"), "-l", str(directory / "log"), "-o", options, "-w", "start"
    )


def _stop(cluster: Cluster) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", str(BIN / "pg_ctl"), "-D", str(cluster.directory / "data"), "-m", "immediate", "-w", "stop"],
        capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="module")
def primary_and_replica() -> Iterator[tuple[Cluster, Cluster]]:
    """A primary (wal_level=replica) and its streaming standby, each in a temporary folder."""
    if not (BIN / "initdb").exists() or shutil.which("runuser") is None:
        unavailable("PostgreSQL 15's server binaries", FileNotFoundError(str(BIN)))
    folders = [Path(tempfile.mkdtemp(prefix="movie-stats-replica-test-")) for _ in range(2)]
    for folder in folders:
        shutil.chown(folder, "postgres", "postgres")
    primary, replica = Cluster(folders[0], free_port()), Cluster(folders[1], free_port())
    started: list[Cluster] = []
    try:
        _as_postgres(
            str(BIN / "initdb"), "-D", str(primary.directory / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        with (primary.directory / "data" / "postgresql.conf").open("a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nfsync = off\n")
        _start(primary.directory, primary.port)
        started.append(primary)
        _as_postgres(
            str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(replica.directory / "data"), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        _start(replica.directory, replica.port)
        started.append(replica)
        yield primary, replica
    finally:
        for cluster in reversed(started):
            _stop(cluster)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


def _replica_sql(replica: Cluster, statement: str) -> object:
    engine = make_engine(replica.url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(statement)).scalar()
    finally:
        engine.dispose()


def _wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _served(api: Api) -> tuple[str, dict]:
    response = api.get(QUERY)
    assert response.status_code == 200, response.text
    return response.headers["dataset-version"], response.json()


def test_reads_go_to_the_replica_a_promote_reaches_it_and_a_lagging_one_is_skipped(
    primary_and_replica: tuple[Cluster, Cluster], tmp_path: Path
) -> None:
    primary, replica = primary_and_replica
    engine = make_engine(primary.url)
    upgrade(engine)
    engine.dispose()
    first = load(primary.url, head5000())
    subsets = []
    for keep in (3000, 2000):
        subsets.append(tmp_path / f"head{keep}.csv.gz")
        write_subset(head5000(), subsets[-1], keep=keep)
    second = load(primary.url, subsets[0], stage_only=True)
    third = load(primary.url, subsets[1], stage_only=True)
    _wait_until(lambda: _replica_sql(replica, f"SELECT count(*) FROM dataset_versions WHERE id = {third}") == 1)

    settings = api_settings(primary.url, database_read_url=replica.url.replace("+psycopg2", ""), cache_ttl_seconds=0)
    with serve(settings) as api:
        router = api.app.state.services.graphql.reads
        replica_engine = router.replicas[0].db.engine
        expected = {str(version): api.get(QUERY, dataset=str(version)).json() for version in (first, second, third)}

        # Reads go to the replica: the primary runs no statement for an answer.
        with count_statements(api.engine) as on_primary, count_statements(replica_engine) as on_replica:
            assert _served(api) == (str(first), expected[str(first)])
        assert on_primary == [] and len(on_replica) >= 2

        ready = httpx.get(f"{api.base_url}/readyz").json()["checks"]["replicas"]
        (status,) = ready["replicas"]
        assert status["ok"] is True and status["standby"] is True and status["live_version"] == first
        assert status["name"] == f"127.0.0.1:{replica.port}/postgres" and status["lag_bytes"] >= 0

        # A promote reaches the replica, and answers are never a mix of two versions.
        seen: list[tuple[str, dict]] = []
        stop = threading.Event()

        def ask() -> None:
            while not stop.is_set():
                seen.append(_served(api))

        asker = threading.Thread(target=ask)
        asker.start()
        with make_engine(primary.url).begin() as connection:
            versions.promote(connection, second, force=True)  # a subset: it failed the shrink check
        _wait_until(lambda: router.replicas[0].live.current() == second, seconds=5)
        time.sleep(0.2)
        stop.set()
        asker.join(10)
        assert {version for version, _body in seen} == {str(first), str(second)}
        assert all(body == expected[version] for version, body in seen)
        with count_statements(api.engine) as on_primary, count_statements(replica_engine) as on_replica:
            assert _served(api) == (str(second), expected[str(second)])
        assert on_primary == [] and on_replica

        # A replica that lags behind a promote is skipped: the primary answers on the new version.
        _replica_sql(replica, "SELECT pg_wal_replay_pause()")
        try:
            _wait_until(lambda: _replica_sql(replica, "SELECT pg_get_wal_replay_pause_state()") == "paused")
            with make_engine(primary.url).begin() as connection:
                versions.promote(connection, third, force=True)  # a subset: it failed the shrink check
            api.await_live(third)
            with count_statements(api.engine) as on_primary, count_statements(replica_engine) as on_replica:
                assert _served(api) == (str(third), expected[str(third)])
            assert on_primary and on_replica == []
            (lagging,) = httpx.get(f"{api.base_url}/readyz").json()["checks"]["replicas"]["replicas"]
            assert lagging["live_version"] == second and lagging["lag_bytes"] > 0, lagging
        finally:
            _replica_sql(replica, "SELECT pg_wal_replay_resume()")
        _wait_until(lambda: router.replicas[0].live.current() == third, seconds=5)
        with count_statements(api.engine) as on_primary, count_statements(replica_engine) as on_replica:
            assert _served(api) == (str(third), expected[str(third)])
        assert on_primary == [] and on_replica


def test_replica_urls_must_be_postgresql() -> None:
    from pydantic import ValidationError

    from app.settings import Settings

    urls = Settings(_env_file=None, database_read_url=" postgresql://u@r1:5432/m, postgres://u@r2/m ")
    assert urls.read_database_urls() == ["postgresql+psycopg2://u@r1:5432/m", "postgresql+psycopg2://u@r2/m"]
    assert Settings(_env_file=None, database_read_url="").read_database_urls() == []
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, database_read_url="postgresql://u@r1/m,sqlite:///replica.sqlite3")
    assert "expected PostgreSQL URLs separated by commas" in str(refused.value)
