"""`import --emit-sql`: the script, applied by the real psql to an empty PostgreSQL schema,
must give exactly what a direct import of the same file gives (data rules 1-20)."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, make_url

from db.engine import make_engine
from importer.checks import CheckLimits
from importer.errors import FileChangedError, ImportRefused, NoRecordsError
from importer.pipeline import INCREMENTAL, ImportOptions, import_file
from importer.sql_script import sql_literal, write_sql_script
from tests.conftest import _postgres_schema_url, unavailable
from tests.csvfiles import companies, genres, movie, write_csv
from tests.dbquery import partitions, rows, stored

MOVIE_STATS = str(Path(sys.executable).parent / "movie-stats")
HOSTILE = [
    "O'Brien's \"Quoted\" Film",
    "back\\slash \\N and a trailing backslash\\",
    "\\N",
    "line one\nline two\r\nline three\rend",
    "tab\there\t",
    "'; DROP TABLE movies; --",
    "$$ dollar $$ :v :'v' \\q \\! echo pwned",
    "Amélie – Ærø ß 東京物語 Москва",
    "emoji 🎬🍿 and 👩‍👩‍👧 ",
    "  leading and trailing spaces  ",
    "",  # an empty title stays an empty string, not NULL
]


@pytest.fixture
def psql() -> str:
    """The psql client."""
    found = shutil.which("psql")
    if found is None:
        unavailable("psql", FileNotFoundError("psql is not on PATH"))
    return found  # type: ignore[return-value]


@pytest.fixture
def script_url() -> Iterator[str]:
    """An empty private PostgreSQL schema, for a script to fill."""
    yield from _postgres_schema_url()


@pytest.fixture
def script_engine(script_url: str) -> Iterator[Engine]:
    """An engine on the script's schema (not migrated: the script creates the schema)."""
    engine = make_engine(script_url)
    yield engine
    engine.dispose()


@pytest.fixture
def direct_engine(postgres_engine: Engine) -> Engine:
    """A migrated private PostgreSQL schema, for the direct import to compare with."""
    return postgres_engine


def apply(psql: str, script: Path, url: str) -> subprocess.CompletedProcess:
    """Run the script with psql, as an operator would, on the schema the URL points at."""
    libpq_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    command = [psql, "-X", "-v", "ON_ERROR_STOP=1", "-q", "-d", libpq_url, "-f", str(script)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def applied(psql: str, script: Path, url: str) -> None:
    result = apply(psql, script, url)
    assert result.returncode == 0, result.stderr


def version_rows(engine: Engine) -> list[tuple]:
    """Each version's row without its id and times."""
    query = (
        "SELECT status, mode, source_name, source_sha256, base_version_id, records, loaded, rejected, "
        "duplicates, movies, warnings, checks FROM dataset_versions ORDER BY id"
    )
    return rows(engine, query)  # psycopg2 reads the JSON columns into dicts and lists


def only_version(engine: Engine) -> int:
    [(version_id,)] = rows(engine, "SELECT id FROM dataset_versions")
    return version_id


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (None, "NULL"),
        (True, "TRUE"),
        (False, "FALSE"),
        (0, "0"),
        (-42, "-42"),
        (2**53, "9007199254740992"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (1e-05, "1e-05"),
        (-2.5e16, "-2.5e+16"),
        ("", "''"),
        ("it's", "'it''s'"),
        ("''", "''''''"),
        ("back\\slash\\", "'back\\slash\\'"),  # standard_conforming_strings: a backslash stays one
        ("\\N", "'\\N'"),
        ("a\nb\tc\rd", "'a\nb\tc\rd'"),
        ("'; DROP TABLE movies; --", "'''; DROP TABLE movies; --'"),
        ("Amélie 🎬", "'Amélie 🎬'"),
    ],
)
def test_sql_literal_renders_each_kind_of_value(value: object, literal: str) -> None:
    assert sql_literal(value) == literal


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("a\0b", ValueError, "PostgreSQL text cannot hold a NUL character"),
        (math.nan, ValueError, "nan is not a finite number"),
        (math.inf, ValueError, "inf is not a finite number"),
        (b"bytes", TypeError, "no SQL literal for bytes"),
    ],
)
def test_sql_literal_refuses_what_postgresql_cannot_store(value: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        sql_literal(value)


def test_the_head_5000_script_gives_the_figures_of_a_direct_import(
    psql: str, script_url: str, script_engine: Engine, direct_engine: Engine, head5000_path: Path, tmp_path: Path
) -> None:
    direct = import_file(direct_engine, head5000_path, ImportOptions())
    script = write_sql_script(head5000_path, tmp_path / "load.sql")
    assert script.status == "script"
    assert (script.records, script.rejected, script.rejections, script.warnings) == (
        direct.records, direct.rejected, direct.rejections, direct.warnings,
    )  # fmt: skip
    applied(psql, tmp_path / "load.sql", script_url)
    assert version_rows(script_engine) == version_rows(direct_engine)
    assert version_rows(script_engine)[0][:10] == (
        "live", "full", "movies_metadata_head5000.csv.gz", direct.sha256, None, 5000, 4999, 0, 1, 4999,
    )  # fmt: skip
    assert stored(script_engine, only_version(script_engine)) == stored(direct_engine, direct.version)
    # The same partitions, named as db.partitions names them, so that prune finds them.
    assert only_version(script_engine) == direct.version
    assert partitions(script_engine) == partitions(direct_engine)


def test_hostile_titles_and_names_round_trip_exactly(
    psql: str, script_url: str, script_engine: Engine, direct_engine: Engine, tmp_path: Path
) -> None:
    records = [
        movie(i, title=title, original_title=title, genres=genres((i, title.strip() or "x")),
              production_companies=companies((100 + i, title.strip() or "x")))
        for i, title in enumerate(HOSTILE, start=1)
    ] + [movie("x'y\\z\tw")]  # fmt: skip
    path = write_csv(tmp_path / "hostile.csv", records)
    options = ImportOptions(limits=CheckLimits(max_rejected_share=1.0))
    script = write_sql_script(path, tmp_path / "hostile.sql", options=options)
    assert [r["reason"] for r in script.rejections] == ['id "x\'y\\\\z\\tw" is not a positive integer']
    applied(psql, tmp_path / "hostile.sql", script_url)
    version_id = only_version(script_engine)
    titles = rows(script_engine, "SELECT id, title FROM movies WHERE version_id = :v ORDER BY id", v=version_id)
    assert titles == list(enumerate(HOSTILE, start=1))
    direct = import_file(direct_engine, path, options)
    assert stored(script_engine, version_id) == stored(direct_engine, direct.version)
    assert version_rows(script_engine) == version_rows(direct_engine)


def test_movie_stats_sees_the_scripted_version_live(psql: str, script_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "movies.csv", [movie(1), movie(2), movie(1, title="Again")])
    write_sql_script(path, tmp_path / "load.sql")
    applied(psql, tmp_path / "load.sql", script_url)
    env = {**os.environ, "DATABASE_URL": script_url}
    result = subprocess.run([MOVIE_STATS, "datasets", "--json"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    [version] = orjson.loads(result.stdout)["versions"]
    assert (version["id"], version["status"], version["source_name"]) == (1, "live", "movies.csv")
    assert (version["records"], version["loaded"], version["duplicates"], version["movies"]) == (3, 2, 1, 2)


@pytest.mark.parametrize(
    ("records", "options", "failed"),
    [
        ([movie(1), movie("1997-08-20")], ImportOptions(), "rejected_share"),
        ([movie(1, release_date=""), movie(2, release_date="")], ImportOptions(), "tables_filled"),
        ([movie(1, release_date="")], ImportOptions(force=True), "tables_filled"),
        ([movie(1)], ImportOptions(stage_only=True), None),
    ],
)
def test_checks_and_go_live_decision_match_a_direct_import(
    psql: str, script_url: str, script_engine: Engine, direct_engine: Engine, tmp_path: Path,
    records: list, options: ImportOptions, failed: str | None,
) -> None:  # fmt: skip
    path = write_csv(tmp_path / "movies.csv", records)
    write_sql_script(path, tmp_path / "load.sql", options=options)
    result = apply(psql, tmp_path / "load.sql", script_url)
    assert result.returncode == 0, result.stderr
    direct = import_file(direct_engine, path, options)
    assert [check["name"] for check in direct.failed_checks] == ([failed] if failed else [])
    assert version_rows(script_engine) == version_rows(direct_engine)
    stays_staged = failed is not None and not options.force
    assert ("failed its checks and stays staged" in result.stderr) == stays_staged


def test_an_interrupted_run_leaves_no_half_script(tmp_path: Path, head5000_path: Path) -> None:
    def ctrl_c(bytes_read: int, size: int) -> None:  # as if the user pressed Ctrl-C after the first batch
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_sql_script(head5000_path, tmp_path / "load.sql", progress=ctrl_c)
    assert list(tmp_path.iterdir()) == []


def test_a_script_refuses_a_database_that_already_has_a_live_version(
    psql: str, script_url: str, script_engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "movies.csv", [movie(1)])
    write_sql_script(path, tmp_path / "load.sql")
    applied(psql, tmp_path / "load.sql", script_url)
    again = apply(psql, tmp_path / "load.sql", script_url)
    assert again.returncode == 3
    assert (
        "ERROR:  This database already has a live dataset version, and the script loads an empty database."
        in again.stderr
    )
    assert rows(script_engine, "SELECT id, status FROM dataset_versions") == [(1, "live")]


def test_incremental_mode_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "movies.csv", [movie(1)])
    with pytest.raises(ImportRefused) as refused:
        write_sql_script(path, tmp_path / "load.sql", options=ImportOptions(mode=INCREMENTAL))
    assert str(refused.value) == (
        "--emit-sql writes a full load for an empty database; an incremental load needs the live "
        "version of the target database. Apply a full script first, then import incrementally."
    )
    assert list(tmp_path.iterdir()) == [path]


def test_a_file_without_records_is_refused_and_no_script_is_written(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "movies.csv", [])
    with pytest.raises(NoRecordsError, match="the file has a header but no records"):
        write_sql_script(path, tmp_path / "load.sql")
    assert list(tmp_path.iterdir()) == [path]


def test_a_nul_character_is_removed_and_counted_as_the_direct_import_does(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "movies.csv", [movie(1), movie(2, title="nul\0here")])
    report = write_sql_script(path, tmp_path / "load.sql")
    assert report.warnings == {"nul_characters_removed": 1}
    script = (tmp_path / "load.sql").read_text()
    assert "'nulhere'" in script and "\0" not in script


def test_rules_21_and_22_a_script_cleans_poisoned_values_as_a_direct_import_does(
    psql: str, script_url: str, script_engine: Engine, direct_engine: Engine, tmp_path: Path
) -> None:
    """Implausible amounts and popularities, oversized entries, deep literals, a record past 1 MiB: same figures."""
    drama = genres((18, "Drama"))
    records = [
        movie(1, popularity="1e308", budget="1e13", revenue="9" * 5000, genres=drama),
        movie(2, popularity="1e308", budget="1000000000000", revenue="3e6", genres=drama),
        movie(3, genres=genres((18, "Drama"), (5, "N" * 1001), (2**31, "Past the range"))),
        movie(4, genres="[{'id': 1" + "0" * 100_000 + ", 'name': 'X'}]", production_companies="[" * 500 + "]" * 500),
        movie(5, overview="o" * (1 << 20)),
    ]
    path = write_csv(tmp_path / "poisoned.csv", records)
    options = ImportOptions(limits=CheckLimits(max_rejected_share=1.0))
    script = write_sql_script(path, tmp_path / "poisoned.sql", options=options)
    direct = import_file(direct_engine, path, options)
    assert (script.rejections, script.warnings) == (direct.rejections, direct.warnings)
    assert script.rejections == [{"line": 6, "reason": "longer than 1 MiB (1,048,576 characters)"}]
    assert script.warnings == {
        "implausible_budget": 1,
        "implausible_popularity": 2,
        "implausible_revenue": 1,
        "oversized_genres": 1,
        "unparsable_genres": 1,
        "unparsable_production_companies": 1,
    }
    applied(psql, tmp_path / "poisoned.sql", script_url)
    assert stored(script_engine, only_version(script_engine)) == stored(direct_engine, direct.version)
    assert version_rows(script_engine) == version_rows(direct_engine)


def test_rule_22_a_file_that_changes_while_it_is_scripted_leaves_no_script(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "movies.csv", [movie(i) for i in range(1, 12_001)])

    def append_a_record(_done: int, _total: int) -> None:
        with open(path, "ab") as file:
            file.write(b"999999,x\r\n")

    with pytest.raises(FileChangedError, match="the file changed while it was read"):
        write_sql_script(path, tmp_path / "load.sql", append_a_record)
    assert list(tmp_path.iterdir()) == [path]
