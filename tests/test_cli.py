"""The `movie-stats` command, run for real in a subprocess against real stores."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from importer.pipeline import MAX_WORKERS
from tests.api_support import free_port
from tests.csvfiles import HEADER, catalogue, movie, write_csv

MOVIE_STATS = str(Path(sys.executable).parent / "movie-stats")


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)


def cli_environment(database: str | None, **settings: str) -> dict[str, str]:
    """This process's environment for a command, with `database` as DATABASE_URL (None: unset).

    The store's location comes only from `settings` (DATA_DIR, XDG_DATA_HOME), never from the
    environment the tests run in: no test touches the user's own data folder.
    """
    inherited = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATA_DIR", "XDG_DATA_HOME")}
    env = inherited | settings
    if database:
        env["DATABASE_URL"] = database
    return env


def cli_output(cwd: Path, *args: str, database: str | None = None, **settings: str) -> Run:
    """Run `movie-stats ARGS` in `cwd`; without DATA_DIR or XDG_DATA_HOME given, DATA_DIR is `cwd`."""
    if "XDG_DATA_HOME" not in settings:
        settings.setdefault("DATA_DIR", str(cwd))
    env = cli_environment(database, **settings)
    done = subprocess.run([MOVIE_STATS, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def run_cli(database_url: str, tmp_path: Path):
    def run(*args: str, database: str | None = database_url, **settings: str) -> Run:
        return cli_output(tmp_path, *args, database=database, **settings)

    return run


def test_import_reports_the_real_head_5000_as_json(run_cli, database_url: str, head5000_path: Path) -> None:
    result = run_cli("import", str(head5000_path), "--json")
    assert result.exit_code == 0, result.stderr
    report = result.json
    assert (report["status"], report["records"], report["loaded"], report["rejected"], report["duplicates"]) == (
        "live", 5000, 4999, 0, 1,
    )  # fmt: skip
    assert report["version"] == 1 and report["rejections"] == [] and report["seconds"] > 0
    # Where the time went, phase by phase, in the order they ran; together they are the whole load.
    # Only PostgreSQL attaches a version's tables apart from filling them (db.partitions).
    attach = ["attach"] if database_url.startswith("postgresql") else []
    assert list(report["phases"]) == ["stage", "build", "precompute", *attach, "check"]
    assert all(seconds > 0 for seconds in report["phases"].values())
    assert sum(report["phases"].values()) <= report["seconds"]
    again = run_cli("import", str(head5000_path), "--json")
    assert (again.exit_code, again.json["status"]) == (0, "unchanged")
    with_workers = run_cli("import", str(head5000_path), "--json", "--force", "--workers", "2")
    assert (with_workers.exit_code, with_workers.json["version"], with_workers.json["loaded"]) == (0, 2, 4999)


def test_import_prints_a_readable_report(run_cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "jan.csv", catalogue(20) + [movie("2012-09-29")])
    result = run_cli("import", str(path), "--max-rejected-share", "0.1")
    assert result.exit_code == 0, result.stderr
    assert "→ version 1: live" in result.stdout
    assert "line 22: id '2012-09-29' is not a positive integer" in result.stdout
    assert "Version 1 is live." in result.stdout
    assert re.search(
        r"time +[0-9.]+ s \(stage [0-9.]+, build [0-9.]+, precompute [0-9.]+, (attach [0-9.]+, )?check [0-9.]+\)",
        result.stdout,
    )


def test_a_file_missing_budget_is_refused_with_exit_1_and_changes_nothing(run_cli, tmp_path: Path) -> None:
    assert run_cli("import", str(write_csv(tmp_path / "jan.csv", catalogue(20))), "--json").exit_code == 0
    broken = write_csv(tmp_path / "broken.csv", [movie(1)], header=[c for c in HEADER if c != "budget"])
    result = run_cli("import", str(broken))
    assert result.exit_code == 1
    assert "missing required column(s): budget" in result.stderr
    scripted = run_cli("import", str(broken), "--json")  # a script reads the refusal on stdout too
    assert scripted.exit_code == 1
    assert scripted.json["status"] == "refused" and scripted.json["source"] == "broken.csv"
    assert "missing required column(s): budget" in scripted.json["message"]
    listed = run_cli("datasets", "--json").json["versions"]
    assert [(v["id"], v["status"]) for v in listed] == [(1, "live")]


@pytest.mark.parametrize(
    "args",
    [
        ("import",),
        ("import", "no-such-file.csv"),
        ("import", "{file}", "--mode", "sideways"),
        ("import", "{file}", "--workers", "-1"),
        ("import", "{file}", "--emit-sql", "no-such-folder/load.sql"),
        ("import", "{file}", "--emit-sql", "."),
        ("generate", "no-such-folder/sample.csv"),
        ("generate", "."),
        ("promote", "x"),
        ("promote", "0"),
        ("promote", "2147483648"),
        ("diff", "1"),
        ("serve", "--port", "70000"),
        ("serve", "--port", "0"),
        ("quickstart", "{file}", "--port", "65536"),
    ],
)
def test_usage_errors_exit_2(run_cli, tmp_path: Path, args: tuple[str, ...]) -> None:
    path = write_csv(tmp_path / "jan.csv", catalogue(3))
    result = run_cli(*[a.format(file=path) for a in args])
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr
    written = [child.name for child in tmp_path.iterdir() if not child.name.startswith("movie-stats.sqlite3")]
    assert written == ["jan.csv"]  # nothing else was created


def test_a_failed_check_exits_1_and_names_the_check_and_its_flag(run_cli, tmp_path: Path) -> None:
    run_cli("import", str(write_csv(tmp_path / "jan.csv", catalogue(100))))
    result = run_cli("import", str(write_csv(tmp_path / "feb.csv", catalogue(50))))
    assert result.exit_code == 1
    assert (
        "shrink: 50 of the 100 live movies are missing (50.00%; limit 10.00%); 50 movies in all "
        "(override with --max-shrink-share)" in result.stdout
    )
    assert [v["status"] for v in run_cli("datasets", "--json").json["versions"]] == ["staged", "live"]


def test_the_monthly_operator_flow(run_cli, tmp_path: Path) -> None:
    """Stage, diff, promote, roll back and prune, as the README's operator guide does it."""
    assert run_cli("import", str(write_csv(tmp_path / "jan.csv", catalogue(30)))).exit_code == 0
    staged = run_cli(
        "import", str(write_csv(tmp_path / "feb.csv", catalogue(29) + catalogue(2, first_id=500))), "--stage", "--json"
    )
    assert (staged.exit_code, staged.json["status"], staged.json["version"]) == (0, "staged", 2)

    diff = run_cli("diff", "--json").json
    assert (diff["a"], diff["b"], diff["added"], diff["removed"], diff["changed"]) == (1, 2, 2, 1, 0)
    assert [m["id"] for m in diff["added_examples"]] == [500, 501]
    assert "2 added" in run_cli("diff").stdout

    assert run_cli("promote", "2", "--json").json == {"live": 2, "previous": 1}
    assert run_cli("rollback").stdout.strip() == "Rolled back: version 1 is live (was 2)."
    listed = run_cli("datasets", "--json").json["versions"]
    assert [(v["id"], v["status"], v["movies"]) for v in listed] == [(2, "retired", 31), (1, "live", 30)]
    assert "jan.csv" in run_cli("datasets").stdout

    run_cli("import", str(write_csv(tmp_path / "mar.csv", catalogue(31))))
    # Version 1 was live just before version 3: the newest (3) is kept, and so is rollback's version 1.
    assert run_cli("prune", "--keep", "1", "--json").json == {"removed": [2], "kept": 1}
    assert (
        run_cli("prune", "--keep", "1").stdout.strip()
        == "Nothing to remove: prune keeps the newest 1, the live one and the one rollback would take live."
    )
    assert run_cli("rollback").stdout.strip() == "Rolled back: version 1 is live (was 3)."
    assert run_cli("promote", "1").stdout.strip() == "Version 1 was live already; nothing changed."
    assert run_cli("promote", "3").stdout.strip() == "Version 3 is live (was 1)."
    bad = run_cli("promote", "99")
    assert bad.exit_code == 1 and "There is no dataset version 99" in bad.stderr
    # Past the 32-bit ids (SQLite used to fail with a traceback): a usage error, like a negative id.
    for args in (["promote", str(2**63)], ["promote", "0"], ["diff", "1", str(2**31)]):
        refused = run_cli(*args)
        assert refused.exit_code == 2 and "Invalid value" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_more_worker_processes_than_can_help_is_a_usage_error(run_cli, tmp_path: Path) -> None:
    """`--workers 1000` used to fork a thousand processes of about 70 MB each."""
    path = write_csv(tmp_path / "jan.csv", catalogue(5))
    refused = run_cli("import", str(path), "--workers", str(MAX_WORKERS + 1))
    assert refused.exit_code == 2
    assert f"Invalid value for '--workers': Input should be less than or equal to {MAX_WORKERS}" in refused.stderr
    assert run_cli("datasets", "--json").json["versions"] == []
    assert run_cli("import", str(path), "--workers", str(MAX_WORKERS)).exit_code == 0


def test_emit_sql_writes_a_script_and_loads_nothing(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "load.sql"
    result = run_cli("import", str(write_csv(tmp_path / "jan.csv", catalogue(5))), "--emit-sql", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json["status"] == "script" and result.json["records"] == 5
    assert "INSERT INTO stage_movies" in out.read_text()
    assert run_cli("datasets", "--json").json["versions"] == []


def test_generate_is_deterministic(run_cli, tmp_path: Path) -> None:
    first = run_cli("generate", "--records", "300", "--seed", "7", str(tmp_path / "a.csv"))
    second = run_cli("generate", "--records", "300", "--seed", "7", str(tmp_path / "b.csv"))
    assert first.exit_code == second.exit_code == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    kept = run_cli("generate", "--records", "10", str(tmp_path / "a.csv"))  # never over a file unasked
    assert kept.exit_code == 2 and f"{tmp_path / 'a.csv'} exists; pass --force to replace it" in kept.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert run_cli("generate", "--records", "10", "--force", str(tmp_path / "a.csv")).exit_code == 0
    assert len((tmp_path / "a.csv").read_text().splitlines()) < 300
    assert "Wrote 300 generated records (seed 7)" in first.stdout


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unreachable_database_is_a_clear_error(run_cli, tmp_path: Path) -> None:
    result = run_cli("datasets", database="postgresql://nobody@127.0.0.1:1/none")
    assert result.exit_code == 1
    # libpq's two-line message as one line, then the advice.
    assert result.stderr.splitlines() == [
        "Using the PostgreSQL database 127.0.0.1:1/none (DATABASE_URL).",
        'database error: connection to server at "127.0.0.1", port 1 failed: Connection refused Is the server '
        "running on that host and accepting TCP/IP connections?",
        "Check DATABASE_URL (when it is unset, the embedded SQLite file is used) and that the server is up.",
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_database_url_of_another_kind_is_a_usage_error_that_keeps_its_password(run_cli, tmp_path: Path) -> None:
    result = run_cli("datasets", database="mysql://operator:s3cret@db.example/movies")
    assert result.exit_code == 2
    assert "error: setting DATABASE_URL: expected a PostgreSQL URL" in result.stderr
    assert "s3cret" not in result.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_unusable_settings_are_named_and_exit_2(run_cli, tmp_path: Path) -> None:
    result = run_cli("datasets", KEEP_VERSIONS="0", CACHE_TTL_SECONDS="soon")
    assert result.exit_code == 2
    assert "error: setting KEEP_VERSIONS: Input should be greater than or equal to 1" in result.stderr
    assert "error: setting CACHE_TTL_SECONDS: Input should be a valid integer" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_answers_graphql_and_logs_each_request_once(run_cli, tmp_path: Path) -> None:
    assert run_cli("import", str(write_csv(tmp_path / "jan.csv", catalogue(5))), database=None).exit_code == 0
    port = free_port()
    server = subprocess.Popen(
        [MOVIE_STATS, "serve", "--port", str(port)],
        env=cli_environment(database=None, DATA_DIR=str(tmp_path)),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        answer = _first_answer(f"http://127.0.0.1:{port}/graphql?query=%7Bdataset%7Bmovies%7D%7D", server)
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=30)[0]
    assert answer == {"data": {"dataset": {"movies": 5}}}
    requests = [line for line in output.splitlines() if "/graphql" in line and "GraphiQL" not in line]
    assert len(requests) == 1, output  # the app's JSON line, not uvicorn's access log as well
    assert json.loads(requests[0])["status"] == 200


def _first_answer(url: str, server: subprocess.Popen) -> dict:
    """The JSON answer to a GET of `url`, once the server listens."""
    for _ in range(300):
        assert server.poll() is None, server.communicate()[0]
        try:
            return httpx.get(url, timeout=5).json()
        except httpx.ConnectError:
            time.sleep(0.05)
    raise AssertionError("the server never answered")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_port_in_use_is_refused_before_anything_is_loaded(run_cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "jan.csv", catalogue(5))
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", 0))
        other_server.listen()
        port = str(other_server.getsockname()[1])
        served = run_cli("serve", "--port", port, database=None)
        quickstarted = run_cli("quickstart", str(path), "--port", port, database=None)
    for result in (served, quickstarted):
        assert result.exit_code == 1
        assert result.stderr.startswith(f"error: cannot serve on 127.0.0.1:{port} (Address already in use)")
        assert result.stdout == ""  # the quickstart loaded nothing: no import report


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sqlite_database_url_names_its_file(run_cli, database_url: str) -> None:
    result = run_cli("datasets")
    assert (
        result.stderr.splitlines()[0] == f"Using the SQLite database {make_url(database_url).database} (DATABASE_URL)."
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_postgresql_store_is_named_without_its_credentials(run_cli, database_url: str) -> None:
    url = make_url(database_url).set(password="secret")
    result = run_cli("datasets", database=url.render_as_string(hide_password=False))
    assert result.exit_code == 0, result.stderr
    assert (
        result.stderr.splitlines()[0]
        == f"Using the PostgreSQL database {url.host}:{url.port}/{url.database} (DATABASE_URL)."
    )
    assert "secret" not in result.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_database_url_the_embedded_sqlite_file_is_used_and_named(run_cli, tmp_path: Path) -> None:
    result = run_cli("import", str(write_csv(tmp_path / "jan.csv", catalogue(5))), database=None)
    assert result.exit_code == 0, result.stderr
    assert f"Using the embedded SQLite database {tmp_path / 'movie-stats.sqlite3'}" in result.stderr
    assert (tmp_path / "movie-stats.sqlite3").exists()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_import_into_a_log_says_when_the_file_is_read(run_cli, tmp_path: Path) -> None:
    """Not on a terminal (cron, a container's log): plain lines instead of a bar; none with --json."""
    path = write_csv(tmp_path / "jan.csv", catalogue(30))
    assert (
        "Read jan.csv; building the version (precompute, checks)." in run_cli("import", str(path)).stderr.splitlines()
    )
    assert "Read jan.csv" not in run_cli("import", str(path), "--force", "--json").stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_prune_names_what_it_removed(run_cli, tmp_path: Path) -> None:
    for month, count in (("jan", 30), ("feb", 31), ("mar", 32)):
        run_cli("import", str(write_csv(tmp_path / f"{month}.csv", catalogue(count))))
    # 3 is the newest and live, 2 is rollback's: 1 goes, named in the singular.
    assert run_cli("prune", "--keep", "1").stdout.strip() == "Removed version 1; kept the newest 1."
