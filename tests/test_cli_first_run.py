"""A first run that never misleads: the shrink check by identity, promote --force, a staged load
said at the end of the output, and one SQLite file whatever the working directory (issue 19, item 5)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.csvfiles import catalogue, write_csv
from tests.test_cli import Run, cli_output
from tests.test_cli_whole import startup_lines


@pytest.fixture
def run_cli(database_url: str, tmp_path: Path) -> Callable[..., Run]:
    """`movie-stats ARGS` in tmp_path, on each backend's private store."""
    return lambda *args, **settings: cli_output(tmp_path, *args, database=database_url, **settings)


SHRINK_30 = "shrink: 30 of the 100 live movies are missing (30.00%; limit 10.00%); 100 movies in all"


def test_rule_20_shrink_counts_dropped_ids_even_when_as_many_are_added(run_cli, tmp_path: Path) -> None:
    assert run_cli("import", str(write_csv(tmp_path / "jan.csv", catalogue(100)))).exit_code == 0
    swapped = write_csv(tmp_path / "feb.csv", catalogue(70) + catalogue(30, first_id=500))  # as many movies
    result = run_cli("import", str(swapped), "--json")
    assert result.exit_code == 1
    report = result.json
    assert (report["status"], report["movies"]) == ("staged", 100)
    assert [(c["name"], c["passed"]) for c in report["checks"]] == [
        ("rejected_share", True), ("shrink", False), ("tables_filled", True), ("live_unchanged", True),
    ]  # fmt: skip
    assert f"shrink: {report['checks'][1]['detail']}" == SHRINK_30
    loosened = run_cli("import", str(swapped), "--max-shrink-share", "0.3", "--json")
    assert (loosened.exit_code, loosened.json["status"], loosened.json["version"]) == (0, "live", 3)
    listed = run_cli("datasets", COLUMNS="200").stdout.splitlines()  # the table's last column: its checks
    assert [line.split("│")[-2].strip() for line in listed if line.startswith("│")] == [
        "passed", "FAILED shrink", "passed"
    ]  # fmt: skip


def test_a_staged_load_says_so_last_with_the_command_that_takes_it_live(run_cli, tmp_path: Path) -> None:
    run_cli("import", str(write_csv(tmp_path / "jan.csv", catalogue(100))))
    result = run_cli("import", str(write_csv(tmp_path / "feb.csv", catalogue(70) + catalogue(30, first_id=500))))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == (
        f"Version 2 failed its checks and stays staged: {SHRINK_30} (override with --max-shrink-share). "
        "Run `movie-stats promote 2 --force` to take it live anyway."
    )


def test_promote_refuses_a_version_that_failed_its_checks_unless_forced(run_cli, tmp_path: Path) -> None:
    run_cli("import", str(write_csv(tmp_path / "jan.csv", catalogue(100))))
    run_cli("import", str(write_csv(tmp_path / "feb.csv", catalogue(70) + catalogue(30, first_id=500))))
    refused = run_cli("promote", "2")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1] == (
        f"error: Version 2 failed its checks ({SHRINK_30}). Run `movie-stats promote 2 --force` to take it live anyway."
    )
    as_json = run_cli("promote", "2", "--json")
    assert (as_json.exit_code, as_json.json["status"], as_json.json["error"]) == (1, "error", "failed_checks")
    listed = run_cli("datasets", "--json").json["versions"]
    assert [(v["id"], v["status"]) for v in listed] == [(2, "staged"), (1, "live")]
    forced = run_cli("promote", "2", "--force", "--json")
    assert (forced.exit_code, forced.json) == (0, {"live": 2, "previous": 1})
    # Rolling back to a version that was live, and forward again, needs no --force.
    assert run_cli("rollback", "--json").json == {"live": 1, "previous": 2}
    assert run_cli("rollback", "--json").json == {"live": 2, "previous": 1}


def test_a_stage_only_load_that_passed_promotes_without_force(run_cli, tmp_path: Path) -> None:
    run_cli("import", str(write_csv(tmp_path / "jan.csv", catalogue(100))))
    staged = run_cli("import", str(write_csv(tmp_path / "feb.csv", catalogue(101))), "--stage")
    assert staged.stdout.splitlines()[-1] == "Version 2 is staged and passed its checks. Run `movie-stats promote 2`."
    assert run_cli("promote", "2", "--json").json == {"live": 2, "previous": 1}


def test_the_sqlite_file_is_the_same_from_any_working_directory(tmp_path: Path) -> None:
    home = {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    expected = tmp_path / "xdg" / "movie-stats" / "movie-stats.sqlite3"
    one, other = tmp_path / "one", tmp_path / "other"
    one.mkdir()
    other.mkdir()
    loaded = cli_output(one, "import", str(write_csv(tmp_path / "jan.csv", catalogue(5))), **home)
    assert loaded.exit_code == 0, loaded.stderr
    assert loaded.stderr.splitlines()[0] == (
        f"Using the embedded SQLite database {expected} (set DATABASE_URL for PostgreSQL)."
    )
    listed = cli_output(other, "datasets", "--json", **home)
    assert [(v["id"], v["status"]) for v in listed.json["versions"]] == [(1, "live")]
    assert expected.exists() and not list(one.iterdir()) and not list(other.iterdir())


def test_serve_names_the_live_version_and_a_staged_one_it_does_not_serve(tmp_path: Path) -> None:
    cli_output(tmp_path, "import", str(write_csv(tmp_path / "jan.csv", catalogue(100))))
    cli_output(tmp_path, "import", str(write_csv(tmp_path / "feb.csv", catalogue(50))))
    lines = startup_lines(tmp_path)
    assert lines[1:] == [
        "Serving version 1 (jan.csv, 100 movies).",
        "Version 2 (feb.csv) is STAGED, not served: it failed its checks (shrink). "
        "Take it live with `movie-stats promote 2 --force`.",
    ]
