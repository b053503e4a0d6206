"""Dataset lifecycle (rule 20): stage, check, promote, roll back, incremental loads, retention."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from app.cli_errors import describe
from db import versions
from db.engine import is_sqlite, make_engine
from db.locks import IMPORT_LOCK_CLASS, ImportBusy
from db.sqlite_engine import SQLITE_BEGIN
from importer.checks import CheckLimits
from importer.pipeline import ImportOptions, ImportReport, import_file
from tests.csvfiles import catalogue, companies, genres, movie, write_csv
from tests.dbquery import live_id, rows, snapshot

YEAR_TOTALS = "SELECT year, releases, budget, revenue, profit FROM year_totals WHERE version_id = :v ORDER BY year"


def load(engine: Engine, path: Path, records: list, **options) -> ImportReport:
    return import_file(engine, write_csv(path, records), ImportOptions(**options))


def statuses(engine: Engine) -> dict[int, str]:
    return dict(rows(engine, "SELECT id, status FROM dataset_versions ORDER BY id"))


def test_stage_promote_rollback_round_trip(engine: Engine, tmp_path: Path) -> None:
    first = load(engine, tmp_path / "jan.csv", catalogue(30))
    second = load(engine, tmp_path / "feb.csv", catalogue(29, budget=5000), stage_only=True)
    assert (first.status, second.status) == ("live", "staged")
    assert statuses(engine) == {first.version: "live", second.version: "staged"}
    jan_totals = rows(engine, YEAR_TOTALS, v=first.version)
    feb_totals = rows(engine, YEAR_TOTALS, v=second.version)
    assert jan_totals[0] == (2000, 10, 10_165, 20_330, 10_165)  # ids 3, 6, ..., 30
    assert feb_totals[0] == (2000, 9, 45_135, 90_270, 45_135)  # ids 3, 6, ..., 27

    with engine.begin() as connection:
        assert versions.promote(connection, second.version) == first.version
    assert statuses(engine) == {first.version: "retired", second.version: "live"}
    assert rows(engine, YEAR_TOTALS, v=live_id(engine)) == feb_totals

    with engine.begin() as connection:
        assert versions.rollback(connection) == (second.version, first.version)
    assert statuses(engine) == {first.version: "live", second.version: "retired"}
    assert rows(engine, YEAR_TOTALS, v=live_id(engine)) == jan_totals


def test_a_rollback_while_an_import_runs_is_not_undone(engine: Engine, database_url: str, tmp_path: Path) -> None:
    """Rule 20: the operator's rollback stands. On PostgreSQL it goes through, and the import, checked
    against the version it started from, stays staged; on SQLite the import's write lock refuses it."""
    first = load(engine, tmp_path / "jan.csv", catalogue(30))
    second = load(engine, tmp_path / "feb.csv", catalogue(29, budget=5000))
    other = make_engine(database_url, busy_timeout_ms=100)
    meanwhile: list[object] = []

    def roll_back_once(_read: int, _size: int) -> None:  # called as the import stages its records
        if meanwhile:
            return
        try:
            with other.begin() as connection:
                meanwhile.append(versions.rollback(connection))
        except OperationalError as error:
            meanwhile.append(describe(error))

    third = import_file(engine, write_csv(tmp_path / "mar.csv", catalogue(28)), ImportOptions(), roll_back_once)
    other.dispose()
    if is_sqlite(engine):
        assert [(failure.kind, failure.message) for failure in meanwhile] == [  # type: ignore[attr-defined]
            ("busy", "The SQLite store is locked by another writer: an import, or a command that changes versions.")
        ]
        assert third.status == "live"
        return
    assert meanwhile == [(second.version, first.version)]
    assert third.status == "staged"
    assert [(c["name"], c["detail"]) for c in third.failed_checks] == [
        (
            "live_unchanged",
            f"version {first.version} is live now, and was version {second.version} when the load started: "
            "a promote or rollback ran meanwhile",
        )
    ]
    assert statuses(engine) == {first.version: "live", second.version: "retired", third.version: "staged"}


def test_rollback_without_history_is_refused(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path / "jan.csv", catalogue(5))
    with engine.begin() as connection, pytest.raises(versions.VersionError, match="no previously live version"):
        versions.rollback(connection)


def test_incremental_load_equals_a_full_load_of_the_merged_file(engine: Engine, tmp_path: Path) -> None:
    base = catalogue(40)
    changes = catalogue(5, budget=9000, first_id=101) + [
        movie(
            i,
            budget="777",
            revenue="1.0",
            release_date="2001-05-01",
            genres=genres((35, "Comedy (renamed)")),
            production_companies=companies((4, "Paramount Pictures")),
        )
        for i in range(1, 11)
    ]  # 5 new movies, then 10 changed ones
    load(engine, tmp_path / "base.csv", base)
    incremental = load(engine, tmp_path / "month.csv", changes, mode="incremental")
    assert (incremental.status, incremental.records, incremental.loaded, incremental.movies) == ("live", 15, 15, 45)

    merged = base[10:] + changes  # an incremental file's records come after the live ones
    full = load(engine, tmp_path / "merged.csv", merged, stage_only=True)
    assert snapshot(engine, incremental.version) == snapshot(engine, full.version)
    # Rule 9 across versions: the file's name wins for the genre it mentions.
    assert rows(engine, "SELECT name FROM genres WHERE version_id = :v AND id = 35", v=incremental.version) == [
        ("Comedy (renamed)",)
    ]
    # 2001: changed ids 1-10 (777 budget, 1 revenue each), base ids 13, 16, ..., 40 and new id 103.
    assert rows(engine, YEAR_TOTALS, v=incremental.version)[1] == (2001, 21, 27_138, 38_746, 11_608)


def test_incremental_load_needs_a_live_version(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(versions.VersionError, match="load a full file first"):
        load(engine, tmp_path / "month.csv", catalogue(3), mode="incremental")


@pytest.mark.parametrize(
    ("second_file", "options", "failed_check", "detail"),
    [
        (
            catalogue(100) + [movie("bad-id")] * 2,
            {},
            "rejected_share",
            "2 of 102 records rejected (1.96%; limit 1.00%)",
        ),
        (catalogue(85), {}, "shrink", "15 of the 100 live movies are missing (15.00%; limit 10.00%); 85 movies in all"),
        (
            [movie(i, production_companies="[]") for i in range(1, 101)],
            {},
            "tables_filled",
            "empty: companies, company_years",
        ),
    ],
)
def test_a_file_failing_a_check_stays_staged(
    engine: Engine, tmp_path: Path, second_file: list, options: dict, failed_check: str, detail: str
) -> None:
    first = load(engine, tmp_path / "jan.csv", catalogue(100))
    report = load(engine, tmp_path / "feb.csv", second_file, **options)
    assert report.status == "staged"
    assert [(c["name"], c["detail"]) for c in report.failed_checks] == [(failed_check, detail)]
    assert failed_check in report.message and "override with" in report.message
    assert live_id(engine) == first.version
    assert statuses(engine)[report.version] == "staged"

    forced = import_file(engine, tmp_path / "feb.csv", ImportOptions(force=True))
    assert forced.status == "live" and "despite failed checks" in forced.message


def test_check_limits_can_be_loosened(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path / "jan.csv", catalogue(100))
    report = load(engine, tmp_path / "feb.csv", catalogue(85), limits=CheckLimits(max_shrink_share=0.2))
    assert report.status == "live"


def test_the_same_file_twice_is_a_no_op_unless_forced(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "jan.csv", catalogue(10))
    first = import_file(engine, path, ImportOptions())
    again = import_file(engine, path, ImportOptions())
    assert (again.status, again.version) == ("unchanged", first.version)
    assert "same file" in again.message and "--force" in again.message
    assert statuses(engine) == {first.version: "live"}
    forced = import_file(engine, path, ImportOptions(force=True))
    assert forced.status == "live" and forced.version != first.version


def test_prune_keeps_the_version_rollback_would_take_live(engine: Engine, tmp_path: Path) -> None:
    """Newer staged versions do not push the previously live one out: `rollback` still has it after a prune."""
    previous = load(engine, tmp_path / "jan.csv", catalogue(30)).version
    live = load(engine, tmp_path / "feb.csv", catalogue(31)).version
    staged = [load(engine, tmp_path / f"s{i}.csv", catalogue(30 + i), stage_only=True).version for i in range(2, 5)]
    with engine.begin() as connection:
        assert versions.prune(connection, keep=3) == []
        assert versions.rollback(connection) == (live, previous)
    assert statuses(engine) == {previous: "live", live: "retired", **dict.fromkeys(staged, "staged")}


def test_prune_keeps_the_newest_versions_and_the_live_one(engine: Engine, tmp_path: Path) -> None:
    loaded = [load(engine, tmp_path / f"m{i}.csv", catalogue(10 + i)).version for i in range(5)]
    with engine.begin() as connection:
        versions.promote(connection, loaded[0])  # an old version is live again
        removed = versions.prune(connection, keep=2)
    assert removed == loaded[1:3]
    assert sorted(statuses(engine)) == [loaded[0], loaded[3], loaded[4]]
    for table in ("movies", "movie_genres", "genre_years", "company_year_genres", "year_totals"):
        assert rows(engine, f"SELECT count(*) FROM {table} WHERE version_id IN ({loaded[1]}, {loaded[2]})") == [(0,)]
    assert rows(engine, YEAR_TOTALS, v=live_id(engine))[0][1] == 3  # version 0 has 10 movies: 3 in 2000


def test_a_second_import_fails_fast_or_waits(engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """One import at a time: with --no-wait a concurrent import fails at once; by default it queues, saying so."""
    path = write_csv(tmp_path / "jan.csv", catalogue(10))
    with _import_lock_held(engine):
        started = time.perf_counter()
        with pytest.raises(ImportBusy, match="Another import is running"):
            import_file(engine, path, ImportOptions(wait_for_lock=False))
        assert time.perf_counter() - started < 5
        waiting: list[ImportReport] = []
        queued = threading.Thread(target=lambda: waiting.append(import_file(engine, path, ImportOptions())))
        queued.start()
        time.sleep(0.5)
        assert waiting == [] and queued.is_alive()  # it waits for the lock ...
        assert [record.getMessage() for record in caplog.records if record.name == "movie_stats.import"] == [
            "Another import is running: this one waits for it to finish (--no-wait to fail at once instead)."
        ]
    queued.join(timeout=30)
    assert waiting[0].status == "live"  # ... and loads once the other import is done
    assert statuses(engine) == {waiting[0].version: "live"}


class _import_lock_held:
    """Hold the import lock as a running import would, on a connection of its own."""

    def __init__(self, engine: Engine) -> None:
        self.connection = engine.connect().execution_options(**{SQLITE_BEGIN: "immediate"})
        self.engine = engine

    def __enter__(self) -> None:
        self.transaction = self.connection.begin()
        if not is_sqlite(self.engine):
            lock = "SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"
            self.connection.execute(text(lock), {"k": IMPORT_LOCK_CLASS})

    def __exit__(self, *_exc: object) -> None:
        self.transaction.rollback()
        self.connection.close()
