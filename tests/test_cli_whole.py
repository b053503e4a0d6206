"""The command as a whole: it starts at once, shows its defaults, and `--json` always prints one object."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api_support import free_port
from tests.csvfiles import catalogue, write_csv
from tests.test_cli import MOVIE_STATS, cli_environment, cli_output

HEAVY_MODULES = ("sqlalchemy", "pydantic", "pydantic_settings", "strawberry", "uvicorn", "pyarrow", "orjson", "alembic")


def test_help_imports_no_heavy_module() -> None:
    probe = f"import sys, app.cli; print([m for m in {HEAVY_MODULES!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("diff", "Version to compare from (default: the live one)."),
        ("diff", "Version to compare to (default: the newest staged one)."),
        ("prune", "Versions to keep (default: the KEEP_VERSIONS setting, 3)."),
        ("import", "--max-rejected-share"),
        ("import", "[default: 0.01"),
        ("import", "(default: 2 for files of 4 MiB or more, else 0)"),
        ("quickstart", "[default: 45000"),
        ("quickstart", "--max-shrink-share"),
        ("serve", "[default: 8000"),
        ("serve", "1<=x<=65535"),
    ],
)
def test_help_shows_every_default_whole(tmp_path: Path, command: str, shown: str) -> None:
    help_text = cli_output(tmp_path, command, "--help").stdout
    assert shown in " ".join(help_text.split()), help_text  # as one line, however the terminal wraps it


def _occupied_port() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener


@pytest.mark.parametrize(
    ("args", "exit_code", "status", "error"),
    [
        (("generate", "--records", "3", "{dir}/sample.csv"), 0, None, None),
        (("import", "{dir}/jan.csv"), 0, "live", None),
        (("import", "{dir}/absent.csv"), 2, "error", "usage"),
        (("import", "{dir}/bad.csv"), 1, "refused", "refused"),
        (("import", "{dir}"), 1, "refused", "refused"),  # a folder: the importer's refusal (rule 22)
        (("datasets",), 0, None, None),
        (("datasets", "--bogus"), 2, "error", "usage"),
        (("diff",), 1, "error", "version"),
        (("promote", "7"), 1, "error", "version"),
        (("promote", "x"), 2, "error", "usage"),
        (("rollback",), 1, "error", "version"),
        (("prune",), 0, None, None),
        (("schema",), 0, None, None),
        (("serve", "--port", "70000"), 2, "error", "usage"),
        (("serve", "--port", "{busy}"), 1, "error", "address"),
        (("quickstart", "{dir}/jan.csv", "--port", "{busy}"), 1, "error", "address"),
    ],
)
def test_json_prints_exactly_one_object_in_every_outcome(
    tmp_path: Path, args: tuple[str, ...], exit_code: int, status: str | None, error: str | None
) -> None:
    write_csv(tmp_path / "jan.csv", catalogue(5))
    (tmp_path / "bad.csv").write_text("title\nonly a title\n")
    with _occupied_port() as busy:
        values = {"dir": tmp_path, "busy": busy.getsockname()[1]}
        result = cli_output(tmp_path, *[arg.format(**values) for arg in args], "--json")
    assert result.exit_code == exit_code, result.stderr
    payload = json.loads(result.stdout)  # one JSON document, nothing before or after it
    assert isinstance(payload, dict)
    assert payload.get("status") == status
    if error is not None:
        assert (payload["error"], payload["exit_code"]) == (error, exit_code)
        assert payload["message"]
    assert "Traceback" not in result.stderr


def test_a_settings_error_in_json_is_one_sentence_then_the_advice(tmp_path: Path) -> None:
    result = cli_output(tmp_path, "datasets", "--json", MAX_PAGE_SIZE="abc")
    assert (result.exit_code, result.json["error"]) == (2, "settings")
    assert result.json["message"] == (
        "setting MAX_PAGE_SIZE: Input should be a valid integer, unable to parse string as an integer. "
        "Fix the environment variable (or the .env file); the README's Settings table lists them all."
    )


def test_generate_json_reports_what_it_wrote(tmp_path: Path) -> None:
    result = cli_output(tmp_path, "generate", "--records", "3", "--seed", "7", str(tmp_path / "s.csv"), "--json")
    assert result.exit_code == 0, result.stderr
    report = result.json
    assert (report["path"], report["records"], report["seed"]) == (str(tmp_path / "s.csv"), 3, 7)
    assert report["bytes_written"] == (tmp_path / "s.csv").stat().st_size


def test_an_out_of_range_port_is_a_usage_error(tmp_path: Path) -> None:
    result = cli_output(tmp_path, "serve", "--port", "70000")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--port': Input should be less than or equal to 65535"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("graphiql", ["true", "false"])
def test_the_startup_line_names_only_what_is_served(tmp_path: Path, graphiql: str) -> None:
    lines = startup_lines(tmp_path, GRAPHIQL=graphiql)
    playground = " (GraphiQL there in a browser)" if graphiql == "true" else ""
    store = f"the SQLite file {tmp_path / 'movie-stats.sqlite3'}"
    port = lines[0].split(":")[2].split("/")[0]
    assert lines[0] == (
        f"GraphQL API at http://127.0.0.1:{port}/graphql{playground}, from {store}; "
        f"home page and charts at http://127.0.0.1:{port}/."
    )
    assert lines[1] == (
        f"No dataset is live in {store}: every query answers an error until one is. "
        "Load one with `movie-stats import FILE` (or `movie-stats quickstart FILE`)."
    )


def startup_lines(cwd: Path, *args: str, **settings: str) -> list[str]:
    """The lines `movie-stats serve ARGS` writes before uvicorn's own, then stop the server."""
    settings.setdefault("DATA_DIR", str(cwd))
    port = free_port()
    lines: list[str] = []
    with subprocess.Popen(
        [MOVIE_STATS, "serve", "--port", str(port), *args],
        env=cli_environment(None, **settings),
        cwd=cwd,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stderr is not None
        try:
            for line in server.stderr:
                if line.startswith("INFO:"):  # uvicorn speaks: the command has said all it says
                    break
                lines.append(line.rstrip("\n"))
        finally:
            server.terminate()
            server.communicate(timeout=30)
    assert lines and lines[0].startswith(f"GraphQL API at http://127.0.0.1:{port}/graphql"), lines
    return lines


def test_serve_json_prints_what_it_serves_as_one_object(tmp_path: Path) -> None:
    assert cli_output(tmp_path, "import", str(write_csv(tmp_path / "jan.csv", catalogue(5)))).exit_code == 0
    port = free_port()
    with subprocess.Popen(
        [MOVIE_STATS, "serve", "--port", str(port), "--json"],
        env=cli_environment(None, DATA_DIR=str(tmp_path), GRAPHIQL="false"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as server:
        assert server.stdout is not None
        try:
            printed = "".join(iter(server.stdout.readline, "}\n")) + "}"
        finally:
            server.terminate()
            server.communicate(timeout=30)
    assert json.loads(printed) == {
        "status": "serving",
        "url": f"http://127.0.0.1:{port}/graphql",
        "graphiql": False,
        "store": f"the SQLite file {tmp_path / 'movie-stats.sqlite3'}",
        "live": 1,
        "live_is_sample": False,
        "staged": [],
    }
