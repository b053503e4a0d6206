"""Poisoned and unlucky files (data rules 21-22): each bound holds, with its exact outcome.

A refused file leaves the live version's figures exactly as they were, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from importer.checks import CheckLimits
from importer.errors import (
    DuplicateColumnsError,
    FileChangedError,
    HeaderTooLongError,
    ImportRefused,
    NotRegularFileError,
    TooWideError,
)
from importer.pipeline import ImportOptions, import_file
from importer.sample.generate import generate_file
from tests.csvfiles import HEADER, catalogue, genres, movie, write_csv
from tests.dbquery import live_rows, rows, stored
from tests.test_cli import MOVIE_STATS, cli_environment

DRAMA = (18, "Drama")
ANY_SHARE = CheckLimits(max_rejected_share=1.0)


def everything(engine: Engine) -> tuple[list[tuple], dict[str, list[tuple]]]:
    """The versions (without their times) and every row of the live one: equal means byte-identical figures."""
    versions = rows(
        engine, "SELECT id, status, source_sha256, records, loaded, warnings FROM dataset_versions ORDER BY id"
    )
    [(live,)] = rows(engine, "SELECT id FROM dataset_versions WHERE status = 'live'")
    return versions, stored(engine, live)


@pytest.fixture
def live_engine(engine: Engine, tmp_path: Path) -> Engine:
    """A store with a live version of 30 movies."""
    report = import_file(engine, write_csv(tmp_path / "jan.csv", catalogue(30)), ImportOptions())
    assert report.status == "live"
    return engine


def assert_refused_and_unchanged(
    engine: Engine, path: Path, error: type[ImportRefused], message: str, **options
) -> None:
    before = everything(engine)
    with pytest.raises(error) as refused:
        import_file(engine, path, ImportOptions(**options))
    assert message in str(refused.value)
    assert everything(engine) == before
    assert rows(engine, "SELECT count(*) FROM dataset_versions") == [(1,)]


# Rule 22: the header.


def test_rule_22_a_header_naming_a_column_twice_is_refused_naming_it(live_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "twice.csv", [[*movie(1).values(), "5"]], header=[*HEADER, "budget"])
    assert_refused_and_unchanged(
        live_engine,
        path,
        DuplicateColumnsError,
        f"{path}: the header names budget more than once. "
        "Rename or remove the extra column(s) so that each name is given once.",
    )


def test_rule_22_empty_column_names_are_not_names_given_twice(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "blank.csv", [[*movie(i).values(), "", ""] for i in (1, 2)], header=[*HEADER, "", ""])
    assert import_file(engine, path, ImportOptions()).loaded == 2


def test_rule_22_a_header_of_more_than_1000_columns_is_refused(live_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "wide.csv", [movie(1)], header=[*HEADER, *(f"x{i}" for i in range(1000 - 23))])
    assert_refused_and_unchanged(
        live_engine,
        path,
        TooWideError,
        f"{path}: the header has 1,001 columns, more than 1,000. "
        "movies_metadata.csv has 24: check that the first line is its header.",
    )


def test_rule_22_a_header_of_1000_columns_loads(engine: Engine, tmp_path: Path) -> None:
    extra = [f"x{i}" for i in range(1000 - 24)]
    path = write_csv(
        tmp_path / "wide.csv", [[*movie(i).values(), *[""] * len(extra)] for i in (1, 2)], [*HEADER, *extra]
    )
    report = import_file(engine, path, ImportOptions(workers=1))  # the columnar path alike
    assert (report.status, report.loaded) == ("live", 2)


def test_rule_22_a_header_longer_than_1_mib_is_refused_before_it_is_read_whole(
    live_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "long-header.csv"
    path.write_text(",".join(HEADER) + "," + "x" * (8 << 20) + "\n" + ",".join(movie(1).values()) + "\n")
    assert_refused_and_unchanged(
        live_engine,
        path,
        HeaderTooLongError,
        f"{path}: the header is longer than 1 MiB (1,048,576 characters). "
        "Check that the first line is the header of movies_metadata.csv.",
    )


def import_in_a_fresh_process(tmp_path: Path, path: Path, workers: int) -> tuple[str, int]:
    """Import `path` into a new SQLite store in a process of its own: the report's message or the refusal, and its peak RSS in MB."""
    script = f"""
import pathlib, re
from db.engine import make_engine
from db.migrate import upgrade
from importer.checks import CheckLimits
from importer.errors import ImportRefused
from importer.pipeline import ImportOptions, import_file
engine = make_engine("sqlite:///{tmp_path / "fresh.sqlite3"}")
upgrade(engine)
try:
    report = import_file(engine, pathlib.Path("{path}"), ImportOptions(workers={workers}, limits=CheckLimits(1.0)))
    print(report.rejections)
except ImportRefused as error:
    print(error)
# VmHWM: this process image's own peak (ru_maxrss would count the forking test process's)
print(int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1]) // 1024)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    outcome, peak_mb = done.stdout.splitlines()
    return outcome, int(peak_mb)


def test_rule_22_a_header_of_a_million_columns_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """It took the importer (with its worker processes) to 8.9 GB; now it is refused from its header alone."""
    path = write_csv(
        tmp_path / "million.csv",
        [[*movie(i).values(), *[""] * 1_000_000] for i in (1, 2)],
        header=[*HEADER, *[""] * 1_000_000],  # unnamed: 1 MB of commas, within the header's 1 MiB
    )
    refusal, peak_mb = import_in_a_fresh_process(tmp_path, path, workers=2)
    assert refusal == (
        f"{path}: the header has 1,000,024 columns, more than 1,000. "
        "movies_metadata.csv has 24: check that the first line is its header."
    )
    assert peak_mb < 200, f"peak RSS {peak_mb} MB"  # 62 MB measured, of which 50 MB are the imports


# Rule 22: records and fields.


@pytest.mark.parametrize("workers", [0, 2])
def test_rule_22_records_longer_than_1_mib_are_rejected_with_their_line(
    engine: Engine, tmp_path: Path, workers: int
) -> None:
    """A field past the bound, a line past it, and a record of lines each within it: all rejected with their line."""
    records = [
        *catalogue(3),
        movie(10, genres=genres((18, "D" * (3 << 20)))),  # the 50 MB genre name of the report, smaller
        movie(11),
        movie(12, overview="o" * 600_000, tagline="t" * 600_000),
        movie(13, overview="within\nthe bound " * 1000),
        movie(14, overview=("o" * 600_000 + "\n") * 2),  # lines 1,009-1,011: none too long, the record is
        movie(15),
    ]
    path = write_csv(tmp_path / "long.csv", records)
    report = import_file(engine, path, ImportOptions(workers=workers, limits=ANY_SHARE))
    assert report.rejections == [
        {"line": 5, "reason": "longer than 1 MiB (1,048,576 characters)"},
        {"line": 7, "reason": "longer than 1 MiB (1,048,576 characters)"},
        {"line": 1009, "reason": "longer than 1 MiB (1,048,576 characters)"},
    ]
    assert (report.status, report.records, report.loaded, report.rejected) == ("live", 9, 6, 3)
    loaded = live_rows(engine, "SELECT id FROM movies WHERE version_id = :v ORDER BY id")
    assert loaded == [(1,), (2,), (3,), (11,), (13,), (15,)]


@pytest.mark.parametrize("workers", [0, 2])
def test_rule_22_a_line_longer_than_1_mib_is_a_rejected_record_whatever_it_holds(
    engine: Engine, tmp_path: Path, workers: int
) -> None:
    """Short fields (`1,1,1,...`) and escaped quotes that parse to less than 1 MiB: the line itself is too long."""
    path = write_csv(tmp_path / "lines.csv", [*catalogue(3), movie(10), movie(11), movie(12)])
    lines = path.read_bytes().split(b"\r\n")
    lines[4] = b"1," * 600_000  # line 5: 1.2 MB of fields of one character
    lines[5] = b",".join([b'"' + b'""' * 30_000 + b'"'] * 24)  # line 6: 1.4 MB, 720,000 characters once parsed
    path.write_bytes(b"\r\n".join(lines))
    report = import_file(engine, path, ImportOptions(workers=workers, limits=ANY_SHARE))
    assert report.rejections == [
        {"line": 5, "reason": "longer than 1 MiB (1,048,576 characters)"},
        {"line": 6, "reason": "longer than 1 MiB (1,048,576 characters)"},
    ]
    assert (report.records, report.loaded) == (6, 4)
    assert live_rows(engine, "SELECT id FROM movies WHERE version_id = :v ORDER BY id") == [(1,), (2,), (3,), (12,)]


@pytest.mark.parametrize("workers", [0, 2])
def test_rule_22_a_line_of_200_mb_is_rejected_in_bounded_memory(tmp_path: Path, workers: int) -> None:
    """Read in pieces of 1 MiB and skipped: before, the line was held whole, several times over."""
    path = write_csv(tmp_path / "huge-line.csv", [movie(1), movie(2)])
    with open(path, "ab") as file:
        file.write(b"3,")
        for _ in range(200):
            file.write(b"x" * 1_000_000)
        file.write(b"\r\n")
    with open(path, "a", newline="", encoding="utf-8") as file:
        csv.writer(file).writerow(movie(4).values())
    rejections, peak_mb = import_in_a_fresh_process(tmp_path, path, workers)
    assert rejections == "[{'line': 4, 'reason': 'longer than 1 MiB (1,048,576 characters)'}]"
    assert peak_mb < 200, f"peak RSS {peak_mb} MB"  # 61 MB (one process), 125 MB (workers); before: 605, 994


@pytest.mark.parametrize("workers", [0, 1])
def test_rule_22_oversized_names_and_ids_and_deep_literals_are_rule_8_warnings(
    engine: Engine, tmp_path: Path, workers: int
) -> None:
    records = [
        movie(1, genres=genres(DRAMA, (5, "N" * 1001))),  # a name past 1,000 characters: skipped
        movie(2, genres=genres(DRAMA, (2**31, "Past the range"))),  # an id past the Integer range: skipped
        movie(3, genres="[{'id': 1" + "0" * 100_000 + ", 'name': 'Genre'}]"),  # 10^100000: unparsable
        movie(4, production_companies="[" * 10_000 + "]" * 10_000),  # nested deeper than the real file
        movie(5, genres=genres(DRAMA, (6, "N" * 1000))),  # 1,000 characters are kept
    ]
    report = import_file(engine, write_csv(tmp_path / "entries.csv", records), ImportOptions(workers=workers))
    assert (report.status, report.loaded, report.rejected) == ("live", 5, 0)
    assert report.warnings == {"oversized_genres": 2, "unparsable_genres": 1, "unparsable_production_companies": 1}
    assert live_rows(engine, "SELECT id, length(name) FROM genres WHERE version_id = :v ORDER BY id") == [
        (6, 1000),
        (18, 5),
        (99, 11),  # movie 4's Documentary
    ]


# Rule 21: implausible amounts and popularities.


@pytest.mark.parametrize("workers", [0, 1])
def test_rule_21_implausible_values_are_unknown_and_no_sum_overflows(
    engine: Engine, tmp_path: Path, workers: int
) -> None:
    """Two popularities of 1e308 in one genre-year failed PostgreSQL's load and broke SQLite's figures."""
    drama_2000 = {"genres": genres(DRAMA), "release_date": "2000-05-01"}
    records = [
        movie(1, popularity="1e308", budget="1e13", revenue="9" * 5000, **drama_2000),
        movie(2, popularity="1e308", budget="1000000000001", revenue="3000000", **drama_2000),
        movie(3, popularity="1000000", budget="1000000000000", revenue="2e6", **drama_2000),
        movie(4, popularity="2.5", budget="100", revenue="1e999999999", **drama_2000),
    ]
    report = import_file(engine, write_csv(tmp_path / "huge.csv", records), ImportOptions(workers=workers))
    assert report.status == "live"
    assert report.warnings == {"implausible_budget": 2, "implausible_popularity": 2, "implausible_revenue": 2}
    assert live_rows(
        engine, "SELECT id, budget, revenue, popularity FROM movies WHERE version_id = :v ORDER BY id"
    ) == [
        (1, None, None, None),
        (2, None, 3_000_000, None),
        (3, 10**12, 2_000_000, 1e6),
        (4, 100, None, 2.5),
    ]
    assert live_rows(
        engine,
        "SELECT releases, budget, revenue, profit, with_both, average_popularity, total_popularity "
        "FROM genre_years WHERE version_id = :v AND genre_id = 18 AND year = 2000",
    ) == [(4, 10**12 + 100, 5_000_000, 2_000_000 - 10**12, 1, 500_001.25, 1_000_002.5)]


# Rule 22: the file itself.


def test_rule_22_a_fifo_is_refused_at_once_by_the_cli(database_url: str, tmp_path: Path) -> None:
    fifo = tmp_path / "movies.csv"
    os.mkfifo(fifo)
    started = time.monotonic()
    done = subprocess.run(
        [MOVIE_STATS, "import", str(fifo)],
        env=cli_environment(database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert f"{fifo}: not a regular file (a FIFO), which the import cannot read twice." in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 30


def test_rule_22_a_folder_is_refused(live_engine: Engine, tmp_path: Path) -> None:
    assert_refused_and_unchanged(
        live_engine, tmp_path, NotRegularFileError, f"{tmp_path}: a folder. Pass the movies_metadata.csv file in it."
    )


def append_a_record(path: Path) -> None:
    with open(path, "ab") as file:
        file.write(b"999999,x\r\n")


def cut_short(path: Path) -> None:
    os.truncate(path, path.stat().st_size * 9 // 10)


def same_size_and_time(path: Path) -> None:
    """Another byte in the unread part of the file, with its size and modification time put back."""
    status = path.stat()
    with open(path, "r+b") as file:
        file.seek(status.st_size - 20)
        byte = file.read(1)
        file.seek(status.st_size - 20)
        file.write(b"7" if byte != b"7" else b"8")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


CHANGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "appended": (append_a_record, "bytes at the start"),
    "cut short": (cut_short, "bytes at the start"),
    "same size and time": (same_size_and_time, "(the bytes read differ from those hashed at the start (sha256))"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_rule_22_a_file_that_changes_while_it_is_read_is_refused_and_nothing_is_staged(
    live_engine: Engine, tmp_path: Path, change: str
) -> None:
    """Changed after the first batch of 10,000 records was staged, before the reader reached the end."""
    path = write_csv(tmp_path / "feb.csv", catalogue(12_000))
    alter, message = CHANGES[change]
    altered = []

    def progress(_done: int, _total: int) -> None:
        if not altered:
            altered.append(alter(path))

    before = everything(live_engine)
    with pytest.raises(FileChangedError) as refused:
        import_file(live_engine, path, ImportOptions(workers=0), progress=progress)
    assert f"{path}: the file changed while it was read (" in str(refused.value)
    assert message in str(refused.value)
    assert str(refused.value).endswith(
        "so nothing was loaded. Wait until it is completely written (or import a copy of it) and import it again."
    )
    assert everything(live_engine) == before
    assert rows(live_engine, "SELECT count(*) FROM dataset_versions") == [(1,)]


def test_rule_22_a_file_cut_short_while_worker_processes_read_it_is_refused(
    live_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "feb.csv"
    generate_file(path, records=40_000, seed=3)  # about 30 pieces: the reader is far from the end at first
    altered = []

    def progress(_done: int, _total: int) -> None:
        if not altered:
            altered.append(cut_short(path))

    before = everything(live_engine)
    with pytest.raises(FileChangedError, match="the file changed while it was read"):
        import_file(live_engine, path, ImportOptions(workers=2), progress=progress)
    assert everything(live_engine) == before


def test_rule_22_an_unchanged_file_read_to_the_end_loads(live_engine: Engine, tmp_path: Path) -> None:
    report = import_file(live_engine, write_csv(tmp_path / "feb.csv", catalogue(12_000)), ImportOptions(workers=0))
    assert (report.status, report.loaded) == ("live", 12_000)


def test_rule_22_the_cli_names_a_refused_header_and_exits_1(database_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "twice.csv", [[*movie(1).values(), "5"]], header=[*HEADER, "budget"])
    done = subprocess.run(
        [MOVIE_STATS, "import", str(path)],
        env=cli_environment(database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "the header names budget more than once" in done.stderr and "Traceback" not in done.stderr
