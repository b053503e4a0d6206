"""Rule 20 under stress: killed imports and concurrent promotes never disturb what readers see.

These tests run the real `movie-stats` command in subprocesses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text

from db.partitions import VERSIONED_TABLES
from importer.checks import CheckLimits
from importer.pipeline import ImportOptions, import_file
from tests.csvfiles import companies, genres, movie, write_csv
from tests.dbquery import live_id, rows, schema_tables, snapshot, version_tables

MOVIE_STATS = str(Path(sys.executable).parent / "movie-stats")
BIG_FILE_RECORDS = 120_000
GENRE_NAMES = ["Drama", "Comedy", "Action", "Horror", "Romance", "Thriller"]


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file large enough that a load takes a few seconds: time to kill it mid-way."""
    records = [
        movie(
            i,
            budget=str(1000 + i),
            revenue=f"{3 * i}.0",
            release_date=f"{1950 + i % 70}-01-01",
            genres=genres(*[(g, GENRE_NAMES[g]) for g in {i % 6, i % 4}]) if i % 6 else genres((6, "Family")),
            production_companies=companies((1 + i % 700, f"Company {i % 700}")),
        )
        for i in range(1, BIG_FILE_RECORDS + 1)
    ]
    return write_csv(tmp_path_factory.mktemp("big") / "big.csv", records)


def start_import(database_url: str, path: Path, cwd: Path) -> subprocess.Popen:
    """The real command in a process group of its own (as a terminal starts it); stderr is kept."""
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.Popen(
        [MOVIE_STATS, "import", str(path), "--force", "--json"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_ctrl_c_as_in_a_terminal,
    )


def assert_reported_interrupted(process: subprocess.Popen, stdout: str, stderr: str) -> None:
    """Exit 130, one line and advice on stderr, no traceback; `--json`'s one object on stdout."""
    message = (
        "Interrupted (Ctrl-C, or SIGTERM during an import): what the command had begun and not finished is undone."
    )
    advice = "Run `movie-stats datasets` to see which version is live."
    assert (process.returncode, stderr) == (130, f"error: {message}\n{advice}\n")
    assert json.loads(stdout) == {
        "status": "error", "error": "interrupted", "message": f"{message} {advice}", "exit_code": 130
    }  # fmt: skip


def _ctrl_c_as_in_a_terminal() -> None:
    """In the child: SIGINT handled by default, as a terminal starts a command, even where the
    test runs as a background job, whose commands inherit SIGINT ignored (`nohup pytest &`)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def sleep_into_sqlite_run(sqlite_run_seconds: tuple[float, float], fraction: float) -> None:
    """Sleep until the import started just now is `fraction` of the way through its work."""
    startup, whole_run = sqlite_run_seconds
    time.sleep(startup + (whole_run - startup) * fraction)


def state_of(engine: Engine) -> tuple[list[tuple], dict[str, list[tuple]]]:
    """Everything a reader can see: the version rows and the live version's figures."""
    versions = rows(engine, "SELECT id, status, source_sha256, movies FROM dataset_versions ORDER BY id")
    return versions, snapshot(engine, live_id(engine))


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid`, from /proc."""
    return _processes_where(1, pid)  # field 4 of proc(5): the parent


def group_of(pgid: int) -> list[int]:
    """The live processes of process group `pgid`, from /proc."""
    return _processes_where(2, pgid)  # field 5 of proc(5): the process group


def _processes_where(field: int, value: int) -> list[int]:
    """Processes whose stat field (counted after the command in parentheses) equals `value`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):  # it exited meanwhile
            continue
        if int(stat.rsplit(")", 1)[1].split()[field]) == value:
            found.append(int(entry.name))
    return found


def assert_exited(pids: list[int], within_seconds: float) -> None:
    deadline = time.monotonic() + within_seconds
    while (alive := [pid for pid in pids if Path(f"/proc/{pid}").exists()]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive, f"processes {alive} outlived the killed import"


def wait_for_backend(engine: Engine, application: str, phase: str, deadline: float) -> None:
    """Poll pg_stat_activity until the import's backend is in `phase`."""
    seen_copy = False
    while time.monotonic() < deadline:
        found = rows(engine, "SELECT state, query FROM pg_stat_activity WHERE application_name = :a", a=application)
        for state, query in found:
            seen_copy = seen_copy or query.startswith("COPY")
            if phase == "copy" and state == "active" and query.startswith("COPY"):
                return
            if phase == "parse" and seen_copy and state == "idle in transaction":
                return  # between two COPY batches: Python is reading and cleaning records
            if phase == "precompute" and state == "active" and query.startswith("INSERT INTO company_year"):
                return
        time.sleep(0.002)
    pytest.fail(f"the import never reached {phase}")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("phase", ["parse", "copy", "precompute"])
def test_an_import_killed_on_postgresql_leaves_the_live_version_untouched(
    database_url: str, engine: Engine, big_file: Path, tmp_path: Path, head5000_path: Path, phase: str
) -> None:
    """pg_stat_activity shows what the import's backend is doing: kill it in each phase."""
    import_file(engine, head5000_path, ImportOptions())
    before = state_of(engine)
    application = f"kill_{uuid.uuid4().hex[:8]}"
    url = make_url(database_url).update_query_dict({"application_name": application})
    process = start_import(url.render_as_string(hide_password=False), big_file, tmp_path)
    try:
        wait_for_backend(engine, application, phase, time.monotonic() + 120)
        workers = children_of(process.pid)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)  # the workers hold the stderr pipe too, until they exit
    assert process.returncode == -signal.SIGKILL
    # The file is large enough for two cleaning processes; they are done before the precompute.
    assert len(workers) == (0 if phase == "precompute" else 2)
    assert_exited(workers, within_seconds=5)  # orphaned workers notice and exit
    wait_for_backends_to_end(engine, application)  # each aborts its transaction
    versions_before, figures_before = before
    versions_after, figures_after = state_of(engine)
    assert figures_after == figures_before
    # The build and the precompute run after the load's first commit: the version stays `loading`, never
    # live, until the next command removes it with its tables (importer.pipeline).
    unfinished = [row for row in versions_after if row not in versions_before]
    assert [status for _id, status, _sha, _movies in unfinished] == (["loading"] if phase == "precompute" else [])
    if unfinished:
        assert len(version_tables(engine, unfinished[0][0])) == len(VERSIONED_TABLES)  # unattached, so unseen
    next_command = subprocess.run(
        [MOVIE_STATS, "datasets"], env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, text=True
    )
    assert next_command.returncode == 0, next_command.stderr
    if unfinished:
        removed = f"Removed unfinished version {unfinished[0][0]}: an import was killed before it finished."
        assert removed in next_command.stderr
        assert version_tables(engine, unfinished[0][0]) == []
    assert state_of(engine) == before
    assert_next_import_works(engine, tmp_path)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_during_the_precompute_on_postgresql_removes_the_unfinished_version_at_once(
    database_url: str, engine: Engine, big_file: Path, tmp_path: Path, head5000_path: Path, stop: signal.Signals
) -> None:
    """The precompute runs on two connections of its own: Ctrl-C cancels both, and the load
    removes the version its first transaction committed before it exits. SIGTERM to the importer
    alone (`docker stop`) does the same."""
    import_file(engine, head5000_path, ImportOptions())
    before = state_of(engine)
    tables = schema_tables(engine)
    application = f"ctrl_c_{uuid.uuid4().hex[:8]}"
    url = make_url(database_url).update_query_dict({"application_name": application})
    process = start_import(url.render_as_string(hide_password=False), big_file, tmp_path)
    try:
        wait_for_backend(engine, application, "precompute", time.monotonic() + 120)
    finally:
        os.kill(process.pid, stop) if stop == signal.SIGTERM else os.killpg(process.pid, stop)
    assert_reported_interrupted(process, *process.communicate(timeout=30))
    wait_for_backends_to_end(engine, application)
    assert state_of(engine) == before
    assert schema_tables(engine) == tables
    assert_next_import_works(engine, tmp_path)


def wait_for_backends_to_end(engine: Engine, application: str) -> None:
    """Poll pg_stat_activity until the backends of a killed import have noticed and gone."""
    deadline = time.monotonic() + 30
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"
    while rows(engine, query, a=application) != [(0,)]:
        assert time.monotonic() < deadline, "the killed import's backends are still there"
        time.sleep(0.02)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5])  # half a run of margin for a noisy machine
def test_an_import_killed_on_sqlite_leaves_the_live_version_untouched(
    database_url: str,
    engine: Engine,
    big_file: Path,
    tmp_path: Path,
    head5000_path: Path,
    fraction: float,
    sqlite_run_seconds: tuple[float, float],
) -> None:
    """SQLite shows no phases from outside: kill at fractions of a measured whole run."""
    import_file(engine, head5000_path, ImportOptions())
    before = state_of(engine)
    process = start_import(database_url, big_file, tmp_path)
    sleep_into_sqlite_run(sqlite_run_seconds, fraction)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    assert state_of(engine) == before
    assert_next_import_works(engine, tmp_path)


def wait_for_workers(pid: int, count: int, deadline: float) -> list[int]:
    """Poll until process `pid` has `count` children (its workers); at once, to catch them starting."""
    while time.monotonic() < deadline:
        if len(children := children_of(pid)) >= count:
            return children
        time.sleep(0.001)
    pytest.fail(f"the import never had {count} worker processes")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("workers_seen", "delay"),
    [(1, 0.0), (2, 0.3)],  # as the first worker is forked; while both clean (the stage takes over 1 s)
    ids=["workers-starting", "workers-cleaning"],
)
def test_ctrl_c_stops_an_import_cleanly_and_changes_nothing(
    database_url: str,
    engine: Engine,
    big_file: Path,
    tmp_path: Path,
    head5000_path: Path,
    workers_seen: int,
    delay: float,
) -> None:
    """Ctrl-C reaches the importer and its workers (one process group): exit 130, said so, no traceback,
    no process left. Sent while the workers were being forked, it used to hang the importer."""
    import_file(engine, head5000_path, ImportOptions())
    before = state_of(engine)
    process = start_import(database_url, big_file, tmp_path)
    wait_for_workers(process.pid, workers_seen, time.monotonic() + 60)
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
    try:
        stdout, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the import hung after Ctrl-C")
    assert_reported_interrupted(process, stdout, stderr)
    deadline = time.monotonic() + 5
    while group_of(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_of(process.pid) == [], "worker processes outlived the import"
    assert state_of(engine) == before
    assert_next_import_works(engine, tmp_path)


@pytest.fixture(scope="module")
def sqlite_run_seconds(big_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[float, float]:
    """(command start-up, whole import) in seconds for the big file into a scratch SQLite store."""
    scratch = tmp_path_factory.mktemp("scratch")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{scratch / 'scratch.sqlite3'}"}
    started = time.monotonic()
    subprocess.run([MOVIE_STATS, "datasets", "--json"], env=env, capture_output=True, check=True)
    startup = time.monotonic() - started
    started = time.monotonic()
    subprocess.run([MOVIE_STATS, "import", str(big_file), "--json"], env=env, capture_output=True, check=True)
    return startup, time.monotonic() - started


def assert_next_import_works(engine: Engine, tmp_path: Path) -> None:
    """After a crash the lock is free and nothing half-made is in the way."""
    # Other ids than the live head-5000's: the shrink check (by identity) is loosened to let it go live.
    options = ImportOptions(limits=CheckLimits(max_shrink_share=1.0))
    report = import_file(engine, write_csv(tmp_path / "next.csv", [movie(i) for i in range(1, 5001)]), options)
    assert report.status == "live", report.message


PROMOTER = """
import sys
from db.engine import make_engine
from db import versions
engine = make_engine(sys.argv[1])
for _ in range(int(sys.argv[2])):
    with engine.begin() as connection:
        versions.rollback(connection)
"""


def test_readers_see_one_whole_version_while_another_process_promotes_and_rolls_back(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    first = import_file(
        engine, write_csv(tmp_path / "a.csv", [movie(i, budget=str(i)) for i in range(1, 301)]), ImportOptions()
    )
    second = import_file(
        engine, write_csv(tmp_path / "b.csv", [movie(i, budget=str(2 * i)) for i in range(1, 281)]), ImportOptions()
    )
    assert (first.status, second.status) == ("live", "live")
    expected = {first.version: (300, 45_150), second.version: (280, 78_680)}
    totals = text(
        "SELECT v.id, sum(t.releases), sum(t.budget) FROM dataset_versions v "
        "JOIN year_totals t ON t.version_id = v.id WHERE v.status = 'live' GROUP BY v.id"
    )
    promoter = subprocess.Popen([sys.executable, "-c", PROMOTER, database_url, "200"], cwd=Path(__file__).parents[1])
    seen: dict[int, int] = {}
    with engine.connect() as connection:
        while promoter.poll() is None:
            with connection.begin():
                found = connection.execute(totals).all()
            assert len(found) == 1, f"{len(found)} live versions seen at once"
            version, releases, budget = found[0]
            assert (releases, budget) == expected[version]
            seen[version] = seen.get(version, 0) + 1
    assert promoter.returncode == 0
    assert set(seen) == set(expected), f"reads saw only {seen}: the switches were not observed"
