"""Cleaning in worker processes (importer.workers) loads exactly what one process loads."""

from __future__ import annotations

import csv
import gzip
import io
import random
import re
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from sqlalchemy import Engine

from importer import batches
from importer.checks import CheckLimits
from importer.errors import NotCsvError
from importer.pipeline import (
    AUTO_WORKERS,
    AUTO_WORKERS_MIN_BYTES,
    ImportOptions,
    ImportReport,
    import_file,
    worker_count,
)
from importer.read import (
    ChunkBoundaryError,
    CsvSource,
    RecordChunks,
    TextChunk,
    UnreadablePiece,
    bounded_lines,
    nul_free,
    read_records,
)
from tests.csvfiles import HEADER, catalogue, companies, genres, movie, write_csv
from tests.dbquery import live_id, rows, stored

REPORTED = ("status", "records", "loaded", "rejected", "duplicates", "movies", "rejections", "warnings")


def dirty_file(path: Path) -> Path:
    """Records that test every cut: quoted newlines, rejects, duplicates, NULs, blank lines."""
    records = [
        *catalogue(30),
        movie(31, overview="first line\nsecond line\r\nthird, with a comma", title='"Quoted"\ntitle'),
        movie("2012-09-29", budget="5"),  # a shifted record: rejected by rule 2
        ["1", "too", "few", "fields"],  # rule 1
        movie(5, budget="999", production_companies=companies((77, "Renamed\nCompany"))),  # rule 4 and 9
        movie(32, title="NUL\x00inside", release_date="2001-02-30", genres="[{'id': 1,"),  # rules 7 and 8
        *catalogue(25, first_id=40),
    ]
    write_csv(path, records)
    with open(path, "a", newline="", encoding="utf-8") as file:
        file.write("\r\n\r\n")  # blank lines are not records
        csv.writer(file).writerow(movie(99, genres=genres((18, "Drama"))).values())
    return path


def read_in_chunks(path: Path, chars: int, in_flight: int = 3) -> tuple[list[tuple], int, int]:
    """The file's records as the pieces give them: parsed ahead, in file order, cut again where needed.

    Each piece is parsed at once here, where a worker would parse it in its own process.
    Returns the records, the lines whose NULs were removed, and how many times pieces were cut again.
    """

    def parsed_now(chunk: TextChunk) -> Future[tuple[list[tuple], int]]:
        parsed: Future[tuple[list[tuple], int]] = Future()
        try:
            parsed.set_result(([describe(record) for record in chunk.records()], chunk.without_nul()[1]))
        except (ChunkBoundaryError, UnreadablePiece) as error:  # as a worker's future would hold them
            parsed.set_exception(error)
        return parsed

    recuts = []
    with CsvSource(path) as source:
        chunks = source.text_chunks(chars)
        recut_by_parsing = chunks.recut_by_parsing
        chunks.recut_by_parsing = lambda pending: recuts.append(pending) or recut_by_parsing(pending)  # type: ignore[method-assign]
        results = list(chunks.parsed_in_order(parsed_now, ahead=in_flight))
        nul_lines = source.nul_lines  # the header's
    records = [record for chunk_records, _ in results for record in chunk_records]
    return records, nul_lines + sum(lines for _, lines in results), len(recuts)


def read_whole(path: Path) -> tuple[list[tuple], int]:
    """The file's records after its header as Python's csv module reads the whole file, NULs removed from each line."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    lines = list(bounded_lines(io.StringIO(data.decode("utf-8-sig"), newline="").readline))
    reader = csv.reader(map(nul_free, lines))
    next(reader)  # the header
    return [describe(record) for record in read_records(reader)], sum("\x00" in line for line in lines)


@pytest.mark.parametrize("chars", [1, 100, 1000, 1 << 20])
def test_text_chunks_hold_whole_records_and_read_back_as_the_file_reads(tmp_path: Path, chars: int) -> None:
    path = dirty_file(tmp_path / "dirty.csv")
    expected, expected_nul_lines = read_whole(path)
    assert (len(expected), expected_nul_lines) == (61, 1)
    # Three line breaks inside quotes: the record starting on line 32 ends on line 35.
    assert [line for line, _fields in expected[30:32]] == [32, 36]
    assert read_in_chunks(path, chars)[:2] == (expected, expected_nul_lines)


@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize(
    ("header_text", "header_lines"),
    [
        (",".join(HEADER) + "\r\n", 1),
        ("\ufeff" + ",".join(HEADER) + "\n", 1),  # a byte order mark, which the header's text does not hold
        (",".join(HEADER) + ',"an extra\ncolumn, é\x00"\r', 2),  # a quoted newline, a NUL, a two-byte character
    ],
    ids=["crlf", "bom", "two-lines"],
)
def test_chunks_start_right_after_the_header_however_it_is_written(
    tmp_path: Path, header_text: str, header_lines: int, gzipped: bool
) -> None:
    """The chunks are read from a stream of their own, past the header's bytes."""
    body = dirty_file(tmp_path / "body.csv").read_bytes().split(b"\r\n", 1)[1]  # write_csv ends lines with \r\n
    data = header_text.encode("utf-8") + body
    path = tmp_path / ("header.csv.gz" if gzipped else "header.csv")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    expected, expected_nul_lines = read_whole(path)
    assert (len(expected), expected[0][0], expected_nul_lines) == (61, header_lines + 1, 1 + header_text.count("\x00"))
    for chars in (1, 1000, 1 << 20):
        assert read_in_chunks(path, chars)[:2] == (expected, expected_nul_lines)


def test_the_real_head_5000_reads_back_from_chunks_cut_by_counting_quotes(head5000_path: Path) -> None:
    expected, _ = read_whole(head5000_path)
    assert read_in_chunks(head5000_path, 20_000) == (expected, 0, 0)  # about 200 cuts, none of them wrong


def stray_quote_file(path: Path) -> Path:
    """A quote inside an unquoted field (`5" Floppy`), then fields with line breaks inside quotes."""
    records = [*catalogue(10), movie(11, title="STRAY"), *catalogue(10, first_id=12)]
    records += [movie(100 + i, overview=f"line one\nline two of {i}") for i in range(20)]
    write_csv(path, records)
    path.write_text(path.read_text(encoding="utf-8").replace("STRAY", '5" Floppy'), encoding="utf-8")
    return path


def test_a_stray_quote_misleads_the_quote_count_and_the_chunk_is_cut_again_by_parsing(tmp_path: Path) -> None:
    path = stray_quote_file(tmp_path / "stray.csv")
    expected, _ = read_whole(path)
    assert expected[10][1][HEADER.index("title")] == '5" Floppy'  # the parser takes it as it stands
    records, _, recuts = read_in_chunks(path, 3000)
    assert recuts == 1
    assert records == expected


@pytest.mark.parametrize("stray_quote", [False, True], ids=["cut-by-counting", "cut-by-parsing"])
def test_bytes_that_are_not_utf8_make_the_file_unreadable_from_their_line(tmp_path: Path, stray_quote: bool) -> None:
    path = stray_quote_file(tmp_path / "stray.csv") if stray_quote else write_csv(tmp_path / "ok.csv", catalogue(40))
    path.write_bytes(path.read_bytes() + b"99,\xff not UTF-8\r\n" + b"100,x\r\n" * 50)
    good_lines = path.read_bytes().count(b"\n") - 51
    with pytest.raises(NotCsvError, match=r"unreadable after line (\d+) .*can.t decode byte 0xff") as refused:
        read_in_chunks(path, 500)
    line = int(re.search(r"after line (\d+)", str(refused.value)).group(1))  # type: ignore[union-attr]
    # A chunk cut by counting is decoded whole, which finds the line; text being parsed is
    # decoded some kilobytes ahead, as when one process reads the file.
    assert line == good_lines if not stray_quote else 0 < line <= good_lines


def test_a_long_run_without_a_cut_is_cut_by_parsing(tmp_path: Path) -> None:
    # After the stray quote every line break seems to be inside quotes: no cut for the rest of the file.
    path = write_csv(tmp_path / "stray.csv", [movie(1, title="STRAY"), *catalogue(200, first_id=2)])
    path.write_text(path.read_text(encoding="utf-8").replace("STRAY", '5" Floppy'), encoding="utf-8")
    expected, _ = read_whole(path)
    with CsvSource(path) as source:
        chunks = list(source.text_chunks(2000))
    # Not one chunk of the whole file: once 16 chunks' worth went by without a cut, all was parsed.
    assert (len(chunks), max(len(chunk.data) for chunk in chunks)) == (19, 2106)
    assert not any(chunk.check_end for chunk in chunks)
    assert [describe(record) for chunk in chunks for record in chunk.records()] == expected


def test_random_text_reads_back_from_chunks_as_the_file_reads(tmp_path: Path) -> None:
    """Quotes, line breaks of every kind, NULs and blank lines in any order: the chunks never differ."""
    pieces = ["a", ",", '"', '"', '""', "\n", "\n", "\r", "\r\n", "\x00", " ", "é"]
    path = tmp_path / "random.csv"
    recuts = 0
    for seed in range(1000):
        rng = random.Random(seed)
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 300)))
        path.write_text(",".join(HEADER) + "\n" + body, encoding="utf-8", newline="")
        expected = read_whole(path)
        for chars in (1, 10, 60):
            records, nul_lines, chunk_recuts = read_in_chunks(path, chars)
            assert (records, nul_lines) == expected, f"seed {seed}, chunks of {chars}"
            recuts += chunk_recuts
    assert recuts > 300  # misleading quotes were common, and caught


def test_a_record_the_csv_parser_refuses_is_refused_at_the_same_line_either_way(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "long.csv", [*catalogue(5), movie(6, overview="x" * 500), *catalogue(5, first_id=7)])
    limit = csv.field_size_limit(200)  # the module-wide limit, so that one field is too large
    try:
        expected, _ = read_whole(path)
        got, _, _ = read_in_chunks(path, 1000)
    finally:
        csv.field_size_limit(limit)
    assert ("error", 7) in expected
    assert got == expected


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pieces of a few records: a small file still goes through many of them."""
    monkeypatch.setattr(batches, "WORKER_CHUNK_BYTES", 2000)
    yield


def load_both_ways(engine: Engine, path: Path, path_for_workers: Path | None = None) -> ImportReport:
    """Load `path` in one process, then it (or the same records in `path_for_workers`) with workers.

    Asserts that both loads report and store the same; returns the first load's report.
    """
    limits = CheckLimits(max_rejected_share=0.1)  # the dirty file rejects 2 of 61 records
    one_process = import_file(engine, path, ImportOptions(workers=0, limits=limits))
    with_workers = import_file(  # force: the same file is otherwise not loaded twice
        engine, path_for_workers or path, ImportOptions(workers=2, limits=limits, force=True)
    )
    assert [getattr(with_workers, key) for key in REPORTED] == [getattr(one_process, key) for key in REPORTED]
    assert stored(engine, with_workers.version) == stored(engine, one_process.version)
    return one_process


def test_workers_load_what_one_process_loads(engine: Engine, tmp_path: Path, small_chunks: None) -> None:
    one_process = load_both_ways(engine, dirty_file(tmp_path / "dirty.csv"))
    assert (one_process.records, one_process.rejected, one_process.duplicates) == (61, 2, 1)
    assert one_process.warnings == {
        "invalid_release_date": 1,
        "nul_characters_removed": 1,
        "unparsable_genres": 1,
    }


def test_workers_load_the_real_head_5000_as_one_process_does(
    engine: Engine, head5000_path: Path, small_chunks: None
) -> None:
    one_process = load_both_ways(engine, head5000_path)
    assert (one_process.records, one_process.loaded) == (5000, 4999)


def test_workers_load_a_file_with_a_stray_quote_as_one_process_does(
    engine: Engine, tmp_path: Path, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    recuts = []
    recut_by_parsing = RecordChunks.recut_by_parsing
    monkeypatch.setattr(
        RecordChunks,
        "recut_by_parsing",
        lambda self, pending: recuts.append(len(pending)) or recut_by_parsing(self, pending),
    )
    one_process = load_both_ways(engine, stray_quote_file(tmp_path / "stray.csv"))
    assert one_process.records == 41
    # Each load cut the file again once: in one process at the chunk that misled, with workers
    # together with later chunks already handed to them.
    assert len(recuts) == 2 and recuts[0] == 1 and recuts[1] > 1


def describe(record: object) -> tuple:
    """A record, or a parser error, as comparable values."""
    if isinstance(record, csv.Error):
        return ("error", record.line)  # type: ignore[attr-defined]
    return (record.line, record.fields)  # type: ignore[attr-defined]


def test_workers_read_a_gzip_file_as_one_process_reads_the_plain_one(
    engine: Engine, tmp_path: Path, small_chunks: None
) -> None:
    plain = dirty_file(tmp_path / "dirty.csv")
    packed = tmp_path / "dirty.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert load_both_ways(engine, plain, packed).records == 61


def test_a_file_unreadable_midway_is_refused_with_workers_and_changes_nothing(
    engine: Engine, tmp_path: Path, small_chunks: None
) -> None:
    live = import_file(engine, write_csv(tmp_path / "first.csv", catalogue(40)), ImportOptions())
    broken = write_csv(tmp_path / "broken.csv", catalogue(60))
    broken.write_bytes(broken.read_bytes() + b"61,\xff\xfe not UTF-8\r\n" + b"62,x\r\n" * 50)
    # Line 62 is not UTF-8: the worker that decodes its chunk finds the byte, and the line.
    with pytest.raises(
        NotCsvError,
        match=r"broken.csv: unreadable after line 61 .*codec can.t decode byte 0xff.*\. The file must be UTF-8: convert it first",
    ):
        import_file(engine, broken, ImportOptions(workers=2))
    assert live_id(engine) == live.version
    assert rows(engine, "SELECT id, status FROM dataset_versions") == [(live.version, "live")]


def test_large_files_get_workers_unless_told_otherwise(tmp_path: Path) -> None:
    small = write_csv(tmp_path / "small.csv", catalogue(3))
    large = tmp_path / "large.csv"
    large.write_bytes(small.read_bytes() + b" " * AUTO_WORKERS_MIN_BYTES)
    assert (worker_count(small, None), worker_count(large, None)) == (0, AUTO_WORKERS)
    assert (worker_count(small, 3), worker_count(large, 0)) == (3, 0)
