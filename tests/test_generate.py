"""The synthetic movies_metadata.csv generator: format, determinism, rates and dirt.

Data rules cited are those of ../shared/design/data-rules.md; the generator must produce every
kind of dirt those rules exist for, at the real file's rates.
"""

from __future__ import annotations

import ast
import csv
import datetime
import functools
import gzip
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from importer.sample.generate import GenerateReport, generate_file
from tests.conftest import HEAD5000
from tests.csvfiles import HEADER

SAMPLE_RECORDS = 20_000
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
WHOLE_FLOAT = re.compile(r"\d+\.0")


# A quoted name as repr() writes it, without escapes (those go the slow way, through ast).
NAME = r"(?:'[^'\\\n]*'|\"[^\"\\\n]*\")"
GENRE_ENTRY = rf"\{{'id': \d+, 'name': {NAME}\}}"
COMPANY_ENTRY = rf"\{{'name': {NAME}, 'id': \d+\}}"
Entries = list[tuple[int, str]]


def literal(value: str) -> list[dict[str, object]] | None:
    """The parsed list literal, or None where it does not parse."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return None


def entries(value: str, entry: str) -> Entries | None:
    """(id, name) pairs of a genres or companies literal, None where it does not parse.

    A regex handles the plain spellings quickly (ast would take seconds on 20,000 records).
    """
    if re.fullmatch(rf"\[(?:{entry}(?:, {entry})*)?\]", value):
        ids = re.findall(r"'id': (\d+)", value)
        names = re.findall(rf"'name': ({NAME})", value)
        return [(int(i), name[1:-1]) for i, name in zip(ids, names)]
    parsed = literal(value)
    return None if parsed is None else [(int(d["id"]), str(d["name"])) for d in parsed]


def column(records: list[list[str]], name: str) -> list[str]:
    """A column over the records whose id is valid (shifted records are not movies)."""
    i, id_ = HEADER.index(name), HEADER.index("id")
    return [r[i] for r in records if r[id_].isdigit()]


@dataclass(frozen=True)
class Sample:
    """One generated file, read back once and shared by the tests of this module."""

    path: Path
    report: GenerateReport
    header: list[str]
    records: list[list[str]]
    progress: list[int]

    def column(self, name: str) -> list[str]:
        return column(self.records, name)

    @functools.cached_property
    def genres(self) -> list[Entries | None]:
        return [entries(v, GENRE_ENTRY) for v in self.column("genres")]

    @functools.cached_property
    def companies(self) -> list[Entries | None]:
        return [entries(v, COMPANY_ENTRY) for v in self.column("production_companies")]


def read_records(data: bytes) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    return rows[0], rows[1:]


def is_iso_date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return ISO_DATE.fullmatch(value) is not None


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    path = tmp_path_factory.mktemp("generated") / "movies_metadata.csv"
    calls: list[int] = []
    report = generate_file(path, records=SAMPLE_RECORDS, seed=0, progress=calls.append)
    header, records = read_records(path.read_bytes())
    return Sample(path, report, header, records, calls)


def share(values: list[str], predicate: Callable[[str], bool]) -> float:
    return sum(1 for v in values if predicate(v)) / len(values)


# --- format ---


def test_header_is_the_real_files_header(sample: Sample) -> None:
    assert sample.header == HEADER
    if HEAD5000.exists():
        with gzip.open(HEAD5000, "rt", encoding="utf-8", newline="") as real:
            assert next(csv.reader(real)) == sample.header


def test_writes_the_exact_number_of_records_with_24_fields(sample: Sample) -> None:
    # Rule 1 rejects records whose field count differs: even the shifted ones keep 24.
    assert len(sample.records) == SAMPLE_RECORDS == sample.report.records
    assert {len(r) for r in sample.records} == {24}


@pytest.mark.parametrize("records", [0, 1, 10_001])
def test_exact_record_count_across_chunk_sizes(tmp_path: Path, records: int) -> None:
    path = tmp_path / "m.csv"
    calls: list[int] = []
    generate_file(path, records=records, seed=3, progress=calls.append)
    header, rows = read_records(path.read_bytes())
    assert header == HEADER
    assert len(rows) == records
    assert calls == ([10_000, 10_001] if records == 10_001 else ([1] if records else []))


def test_progress_reports_every_10000_records(sample: Sample) -> None:
    assert sample.progress == [10_000, 20_000]


def test_lines_end_with_newline_only_like_the_real_file(sample: Sample) -> None:
    data = sample.path.read_bytes()
    assert data.startswith(b"adult,belongs_to_collection,budget,genres,")
    assert data.endswith(b"\n") and b"\r" not in data


def test_numbers_are_spelled_like_the_real_file(sample: Sample) -> None:
    assert all(v.isdigit() for v in sample.column("budget"))
    assert all(WHOLE_FLOAT.fullmatch(v) for v in sample.column("revenue"))
    assert all(WHOLE_FLOAT.fullmatch(v) for v in sample.column("vote_count"))
    assert all(WHOLE_FLOAT.fullmatch(v) for v in sample.column("runtime") if v)
    assert all(re.fullmatch(r"\d{1,2}\.\d", v) for v in sample.column("vote_average"))
    popularity = [float(v) for v in sample.column("popularity") if v]
    assert all(p >= 0 for p in popularity)
    assert max(popularity) > 20 * sorted(popularity)[len(popularity) // 2]  # long-tailed
    assert all(re.fullmatch(r"tt\d{7}", v) for v in sample.column("imdb_id"))


def test_literals_look_like_the_real_ones(sample: Sample) -> None:
    genres = [literal(v) for v in sample.column("genres")[:3_000]]
    companies = [literal(v) for v in sample.column("production_companies")[:3_000]]
    assert [] in genres and [] in companies
    # Genres put the id first, companies the name, as in the real file.
    assert all(list(d) == ["id", "name"] for g in genres for d in g or [])
    assert all(list(d) == ["name", "id"] for c in companies for d in c or [])
    names = {name: i for g in sample.genres for i, name in g or []}
    assert names["Animation"] == 16 and names["Drama"] == 18 and len(names) == 20
    assert "[{'id': 16, 'name': 'Animation'}" in "\n".join(sample.column("genres"))


def test_both_quote_styles_appear_in_the_literals(sample: Sample) -> None:
    companies = "\n".join(sample.column("production_companies"))
    assert "{'name': '" in companies
    # A name with an apostrophe is written the way Python's repr writes it.
    double = re.findall(r"\{'name': (\"[^\"]*'[^\"]*\"), 'id': \d+\}", companies)
    assert len(double) >= 20
    assert all(repr(ast.literal_eval(d)) == d for d in double)


def test_each_company_id_keeps_one_name_and_synthetic_ids_avoid_real_ones(sample: Sample) -> None:
    names: dict[int, set[str]] = {}
    for companies in sample.companies:
        for company_id, name in companies or []:
            names.setdefault(company_id, set()).add(name)
    assert all(len(n) == 1 for n in names.values())
    assert names[6194] == {"Warner Bros."} and names[4] == {"Paramount Pictures"}


def test_company_count_grows_like_a_long_tail(sample: Sample) -> None:
    def distinct(movies: list[Entries | None]) -> int:
        return len({company_id for companies in movies for company_id, _ in companies or []})

    small, large = distinct(sample.companies[:5_000]), distinct(sample.companies)
    # The real head has 3,618 distinct companies in 5,000 records.
    assert 2_800 < small < 4_500
    assert 2.2 * small < large < 4 * small


def test_money_is_correlated_and_profit_goes_both_ways(sample: Sample) -> None:
    pairs = [
        (int(b), float(r))
        for b, r in zip(sample.column("budget"), sample.column("revenue"))
        if int(b) > 0 and float(r) > 0
    ]
    profitable = sum(1 for b, r in pairs if r > b) / len(pairs)
    assert 0.6 < profitable < 0.9  # 75% in the real head
    pairs.sort()
    quarter = len(pairs) // 4
    low = sorted(r for _, r in pairs[:quarter])[quarter // 2]
    high = sorted(r for _, r in pairs[-quarter:])[quarter // 2]
    assert high > 10 * low


# --- determinism ---


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    generate_file(first, records=3_000, seed=7)
    generate_file(second, records=3_000, seed=7)
    generate_file(other, records=3_000, seed=8)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_gz_output_decompresses_to_the_plain_output(tmp_path: Path) -> None:
    plain, packed, again = tmp_path / "m.csv", tmp_path / "m.csv.gz", tmp_path / "other.csv.gz"
    generate_file(plain, records=4_000, seed=5)
    report = generate_file(packed, records=4_000, seed=5)
    generate_file(again, records=4_000, seed=5)
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()
    # No file name or time in the gzip header: the compressed bytes are reproducible too.
    assert packed.read_bytes() == again.read_bytes()
    assert report.bytes_written == packed.stat().st_size < plain.stat().st_size


@pytest.mark.parametrize("name", ["m.csv", "m.csv.gz"])
def test_an_interrupted_run_leaves_no_half_file_and_keeps_the_one_there(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"an earlier file")

    def ctrl_c(written: int) -> None:  # as if the user pressed Ctrl-C after the first progress report
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_file(path, records=25_000, seed=1, progress=ctrl_c)
    assert path.read_bytes() == b"an earlier file"
    assert sorted(child.name for child in tmp_path.iterdir()) == [name]  # no partial file either


def test_refuses_a_negative_record_count(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_file(tmp_path / "m.csv", records=-1)


# --- dirt (the reason each data rule exists) ---


def test_duplicate_ids_at_the_real_rate(sample: Sample) -> None:
    # Rule 4. The real file repeats ~30 ids in ~45,000 records.
    counts = Counter(sample.column("id"))
    repeats = sum(n - 1 for n in counts.values())
    assert repeats == sample.report.duplicate_ids
    assert 8 <= repeats <= 20


def test_shifted_records_have_a_date_in_the_id_column(sample: Sample) -> None:
    # Rule 2. The real file has 3 such records in ~45,000: id holds e.g. 1997-08-20.
    idx = HEADER.index
    shifted = [r for r in sample.records if not r[idx("id")].isdigit()]
    assert len(shifted) == sample.report.shifted_records >= 1
    for record in shifted:
        assert is_iso_date(record[idx("id")])
        assert re.fullmatch(r"/\w+\.jpg", record[idx("budget")])
        assert record[idx("adult")].startswith(" - Written by ")
        assert record[idx("vote_count")] == ""


def test_shifted_records_scale_to_three_in_45000(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    report = generate_file(path, records=45_000, seed=0)
    assert report.shifted_records == 3
    assert 25 <= report.duplicate_ids <= 35


def test_empty_and_invalid_release_dates(sample: Sample) -> None:
    # Rule 7: anything but an ISO date is unknown.
    dates = sample.column("release_date")
    empty = sum(1 for d in dates if d == "")
    invalid = [d for d in dates if d and not is_iso_date(d)]
    assert empty == sample.report.empty_release_dates and 4 <= empty <= 40
    assert len(invalid) == sample.report.invalid_release_dates >= 2


def test_unparsable_genre_and_company_literals(sample: Sample) -> None:
    # Rule 8: a literal that does not parse counts as a warning and an empty list.
    bad_genres = [g for g, parsed in zip(sample.column("genres"), sample.genres) if parsed is None]
    bad_companies = [c for c, parsed in zip(sample.column("production_companies"), sample.companies) if parsed is None]
    assert len(bad_genres) == sample.report.unparsable_genres >= 2
    assert len(bad_companies) == sample.report.unparsable_companies >= 2
    assert all(g.startswith("[{") for g in bad_genres + bad_companies)


def test_empty_popularity(sample: Sample) -> None:
    # Rule 6: a missing popularity is unknown.
    empty = sample.column("popularity").count("")
    assert empty == sample.report.empty_popularity >= 1


# --- calibration against the real head ---


def test_rates_match_the_real_head(sample: Sample) -> None:
    if not HEAD5000.exists():
        pytest.skip(
            "../shared/data/movies_metadata_head5000.csv.gz not present: cannot compare rates with the real file"
        )
    with gzip.open(HEAD5000, "rb") as real:
        _, real_records = read_records(real.read())

    def rates(records: list[list[str]]) -> dict[str, float]:
        budgets, revenues = column(records, "budget"), column(records, "revenue")
        genres = column(records, "genres")
        return {
            "known budget": share(budgets, lambda b: int(b) > 0),
            "known revenue": share(revenues, lambda r: float(r) > 0),
            "both known": sum(1 for b, r in zip(budgets, revenues) if int(b) > 0 and float(r) > 0) / len(budgets),
            "no genre": share(genres, lambda g: g == "[]"),
            "no company": share(column(records, "production_companies"), lambda c: c == "[]"),
            "drama": share(genres, lambda g: "'Drama'" in g),
            "in a collection": share(column(records, "belongs_to_collection"), bool),
            "has tagline": share(column(records, "tagline"), bool),
            "original language en": share(column(records, "original_language"), "en".__eq__),
            "no votes": share(column(records, "vote_count"), "0.0".__eq__),
        }

    real, generated = rates(real_records), rates(sample.records)
    for name, value in real.items():
        assert generated[name] == pytest.approx(value, abs=0.025), name
