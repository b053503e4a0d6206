"""The one route (importer.pieces.clean_piece) against the rules: every piece gives the batch the rules make of its records.

The rules, one record at a time, are `importer.clean.clean_record` (tests/test_clean.py checks
each against data-rules.md); `expected_batch` applies them to a piece's records as the csv
module reads them. The route takes most pieces by columns with Arrow; the tests check that it
does, so that the main path is the one compared.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from db.staging import encode_for_copy
from importer.batch import Batch, Encoder, clean_batch
from importer.columnar import _AS_IS, _PYTHON_SPACE, clean_chunk
from importer.pieces import clean_piece
from importer.read import CsvSource, Header, TextChunk
from importer.sample.generate import generate_file
from tests.csvfiles import HEADER, catalogue, companies, genres, movie, write_csv

FULL_HEADER = Header.from_names("movies.csv", HEADER)
ENCODERS = {"rows": list, "COPY data": encode_for_copy}


def expected_batch(header: Header, chunk: TextChunk, encode: Encoder) -> Batch:
    """The rules applied to the piece's records one at a time (clean_record), lines that held NULs counted as warnings."""
    batch = clean_batch(header, chunk.records(), encode)
    if nul_lines := chunk.without_nul()[1]:
        batch.warnings["nul_characters_removed"] += nul_lines
    return batch


def by_columns(header: Header, chunk: TextChunk, encode: Encoder) -> Batch | None:
    """What Arrow makes of the piece, None where it declines (and the route falls back to one record at a time)."""
    without_nul = chunk.without_nul()[0]
    return clean_chunk(header, without_nul, encode) if without_nul else None


def comparable(batch: Batch) -> tuple:
    """A batch with its COPY data read back as typed values: `104.0` and `104`, `False` and `false` are alike."""

    def value(field: str) -> object:
        if field.lower() in ("true", "false"):
            return field.lower() == "true"
        try:
            return float(field)
        except ValueError:
            return field

    def rows(encoded: object) -> list:
        if isinstance(encoded, bytes):  # an unquoted empty field and "" both load as '' where it counts (NOT_NULL_TEXT)
            return [[value(field) for field in row] for row in csv.reader(io.StringIO(encoded.decode("utf-8")))]
        return list(encoded)

    tables = [(table, tuple(columns), rows(encoded)) for table, columns, encoded in batch.tables]
    return batch.records, tables, batch.rejected, dict(batch.warnings)


def chunks_of(path: Path, size: int) -> tuple[Header, list[TextChunk]]:
    with CsvSource(path) as source:
        return source.header, list(source.text_chunks(size))


def assert_route_follows_rules(header: Header, chunks: list[TextChunk], encode: Encoder) -> int:
    """Every piece's batch is the one the rules make of its records; returns how many pieces Arrow declined."""
    declined = 0
    for chunk in chunks:
        declined += by_columns(header, chunk, encode) is None
        assert comparable(clean_piece(header, chunk, encode)) == comparable(expected_batch(header, chunk, encode)), (
            f"chunk after line {chunk.line_offset}"
        )
    return declined


@pytest.mark.parametrize("encoding", ENCODERS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rules_1_to_9_hold_on_the_route_for_generated_files(tmp_path: Path, seed: int, encoding: str) -> None:
    """Rules 1-9 on the generator's dirt: shifted ids, bad dates, broken literals."""
    path = tmp_path / "movies.csv"
    generate_file(path, records=6_000, seed=seed)
    header, chunks = chunks_of(path, 64 << 10)
    declined = assert_route_follows_rules(header, chunks, ENCODERS[encoding])
    assert len(chunks) > 50
    assert declined < len(chunks) / 10  # the generated dirt is no reason to decline


@pytest.mark.parametrize("encoding", ENCODERS)
def test_rules_1_to_9_hold_on_the_route_for_the_real_first_5000_records(head5000_path: Path, encoding: str) -> None:
    header, chunks = chunks_of(head5000_path, 64 << 10)
    assert assert_route_follows_rules(header, chunks, ENCODERS[encoding]) == 0


# Raw values that take each rule's other branches: padding, Unicode white space, signs, exponents,
# non-ASCII digits, calendar errors, literals the fast regex does not read.
ODD_VALUES = {
    "id": ["862", " 862 ", "\u3000 863", "0", "-5", "1e3", "٣", "2147483647", "2147483648", "999999999", "1997-08-20"],
    "title": ["", " padded ", "Ünïcode", 'quote " inside', "comma, inside", "new\nline"],
    "budget": ["0", "30000000", "373554033.0", "3e7", " 4500.5 ", "-100", "", "abc", "nan", "1e300", "4500."],
    "revenue": ["0.0", "12", "1.5e3", "x", "00012", "1000000000000", "1000000000001.0", "2e12", "9" * 5000],
    "popularity": [
        "21.946943",
        "0",
        "1e3",
        "-1",
        "nan",
        "inf",
        "",
        " 2.5",
        "0.000001",
        "123456789012345678.5",
        "abc",
        "1000000",
        "1000000.5",
        "999999.9",
        "1e308",
        "1e6",
    ],
    "release_date": ["1995-10-30", "2001-02-30", "1995-1-3", "", " 1995-10-30 ", "１９９５-10-30", "1995/10/30"],
    "genres": [
        "[]",
        "[{'id': 16, 'name': 'Animation'}]",
        "[{'id': 16, 'name': 'Animation'}, {'id': 16, 'name': 'Cartoons'}]",
        "[{'name': \"Director's\", 'id': 35}]",
        "[{'id': 1,",
        "",
        "[{'id': 0, 'name': 'Zero'}, {'id': 5, 'name': ' '}]",
        "[{'id': 7, 'name': 'Esc\\'aped'}]",
        "[{'id': 1, 'name': 'cut}, {here'}, {'id': 2, 'name': 'Two'}]",
        "[{'id': 1٣, 'name': 'Non-ASCII digit'}]",
        "[{'id': 12345678901, 'name': 'Too long'}]",
        "[{'id': 3, 'name': '\u3000'}, {'name': \"\", 'id': 4}]",
        "[{'id': 18, 'name': 'Drama'}, {'id': 35, 'name': 'Comedy'}, {'id': 18, 'name': 'Drama 2'}]",
        " [{'id': 16, 'name': 'Animation'}]",
        "[{}]",
        "[{'id': 16, 'name': 'Animation'}, ]",
        # Rule 22: a name past 1,000 characters or an id past the Integer range skips its entry, with a warning;
        # an id of 10^5 digits, or nesting deeper than a list of dicts, makes the value unparsable.
        f"[{{'id': 3, 'name': '{'n' * 1001}'}}, {{'id': 4, 'name': 'Kept'}}]",
        f"[{{'id': 3, 'name': '{'n' * 1000}'}}]",
        "[{'id': 1" + "0" * 100_000 + ", 'name': 'Huge'}]",
        "[{'id': 2147483648, 'name': 'Past the range'}]",
        "[" * 300 + "]" * 300,
        "[{'id': 5, 'name': ['Nested']}]",
        "[{'id': 6, 'name': 'It\\'s', 'extra': {'deep': 1}}]",
    ],
    "production_companies": ["[]", "[{'name': 'Pixar', 'id': 3}]", "not a list", "{'id': 1}", "[1, 2]"],
    "imdb_id": ["tt0114709", "", "  ", "\u00a0tt1\u00a0", "tt2\u2028"],
    "original_title": ["Toy Story", " Toy ", "\x1ctext", "x\u3000"],
    "original_language": ["en", " en", ""],
    "status": ["Released", "", "Rumored "],
    "runtime": ["81.0", "81", "", "x", "inf"],
    "vote_average": ["7.7", "", "-1"],
    "vote_count": ["5415.0", "5415", "12.5", "-1", "", "99999999999"],
    "adult": ["False", "True", "true", " FALSE ", "maybe", ""],
}


def odd_records(rng: random.Random, count: int) -> list[dict[str, str]]:
    return [
        movie(rng.choice(ODD_VALUES["id"]), **{c: rng.choice(v) for c, v in ODD_VALUES.items() if c != "id"})
        for _ in range(count)
    ]


@pytest.mark.parametrize("line_end", ["\r\n", "\n"])
@pytest.mark.parametrize("encoding", ENCODERS)
@pytest.mark.parametrize("seed", range(3))
def test_rules_2_and_5_to_8_hold_on_the_route_for_odd_values(
    tmp_path: Path, seed: int, encoding: str, line_end: str
) -> None:
    """Odd values of every column, mixed at random: kept, warned about and refused as the rules say, by columns."""
    path = tmp_path / "odd.csv"
    write_csv(path, odd_records(random.Random(seed), 400))
    path.write_bytes(path.read_bytes().replace(b"\r\n", line_end.encode()))
    header, chunks = chunks_of(path, 16 << 10)
    assert assert_route_follows_rules(header, chunks, ENCODERS[encoding]) == 0


def test_rule_5_warnings_count_every_record_that_holds_the_value(tmp_path: Path) -> None:
    path = tmp_path / "movies.csv"
    write_csv(path, [*catalogue(3), *(movie(10 + i, budget="abc") for i in range(3)), movie(20, budget="x")])
    header, chunks = chunks_of(path, 1 << 20)
    batch = clean_chunk(header, chunks[0], list)
    assert batch is not None
    assert batch.warnings["unparsable_budget"] == 4


def test_rule_3_refused_ids_keep_their_lines_after_records_that_span_lines(tmp_path: Path) -> None:
    path = tmp_path / "movies.csv"
    write_csv(path, [movie(1, overview="one\ntwo\nthree"), movie("2012-09-29"), movie(2), movie(" x ")])
    header, chunks = chunks_of(path, 1 << 20)
    batch = clean_chunk(header, chunks[0], list)
    assert batch is not None
    assert [(r.line, r.reason) for r in batch.rejected] == [
        (5, "id '2012-09-29' is not a positive integer"),
        (7, "id 'x' is not a positive integer"),
    ]
    assert [(row[1], row[0]) for row in batch.tables[0][2]] == [(1, 2), (2, 6)]  # (id, line): `ord` is the first line


def test_optional_columns_may_be_absent_by_columns(tmp_path: Path) -> None:
    path = tmp_path / "movies.csv"
    path.write_text(
        "id,title,budget,revenue,popularity,release_date,genres,production_companies\n"
        "5,Five,10,20,1.5,2001-01-01,[],\"[{'name': 'Pixar', 'id': 3}]\"\n",
        encoding="utf-8",
    )
    header, chunks = chunks_of(path, 1 << 20)
    batch = clean_chunk(header, chunks[0], list)
    assert batch is not None
    assert comparable(batch) == comparable(expected_batch(header, chunks[0], list))
    assert batch.tables[0][2] == [
        (2, 5, "Five", None, None, None, None, "2001-01-01", 2001, 10, 20, 1.5, None, None, None, None)
    ]
    assert batch.tables[2][2] == [(2, 5, 3, "Pixar")]


def chunk_of(text: str, *, check_end: bool = False) -> TextChunk:
    return TextChunk(1, text.encode("utf-8"), check_end)


def line(**fields: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(movie(fields.pop("id", "1"), **fields).values())
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("why", "make"),
    [
        ("a NUL after a carriage return, whose removal would join two line ends", lambda: line(title="a\r\x00\nb")),
        ("a line ended by a carriage return alone", lambda: line(overview="a\rb")),
        ("a record of the wrong width (rule 1)", lambda: line() + "1,too,few\n"),
        ("a blank line", lambda: line() + "\n" + line(id="2")),
        ("a cut inside a quoted field", lambda: line() + line(id="2", vote_count="12\n34").rsplit("34", 1)[0]),
        ("bytes that are not UTF-8", lambda: line(title="caf\udce9")),
    ],
)
def test_pieces_it_cannot_vouch_for_are_declined(why: str, make: Callable[[], str]) -> None:
    text = make()
    data = text.encode("utf-8", "surrogateescape")
    assert by_columns(FULL_HEADER, TextChunk(1, data, check_end=True), list) is None, why


def test_a_declined_piece_is_cleaned_record_by_record_on_the_route() -> None:
    """Rule 1's record and a blank line decline their piece; its batch still holds every record, rule 3's report too."""
    text = line(id="1") + "1,too,few\n" + line(id="2") + "\n" + line(id="3", genres=genres((18, "Drama")))
    assert by_columns(FULL_HEADER, chunk_of(text), list) is None
    batch = clean_piece(FULL_HEADER, chunk_of(text), list)
    assert batch.records == 4
    assert [(r.line, r.reason) for r in batch.rejected] == [(3, "has 3 fields, the header has 24")]
    assert [row[1] for row in batch.tables[0][2]] == [1, 2, 3]
    assert batch.tables[1][2][-1] == (6, 3, 18, "Drama")


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_nuls_are_removed_and_their_lines_counted_on_the_route(line_end: str) -> None:
    """PostgreSQL text cannot hold a NUL: it is removed, and each line that held one is counted once."""
    text = line(id="1", title="a\x00b\x00") + line(id="2", overview="one\x00\ntwo\x00") + line(id="3")
    batch = clean_piece(FULL_HEADER, chunk_of(text.replace("\n", line_end)), list)
    assert [row[1:3] for row in batch.tables[0][2]] == [(1, "ab"), (2, "Movie 2"), (3, "Movie 3")]
    assert [row[0] for row in batch.tables[0][2]] == [2, 3, 5]  # the lines they start on, after line 1
    assert batch.warnings["nul_characters_removed"] == 3
    assert by_columns(FULL_HEADER, chunk_of(text), list) is not None  # taken by columns, NULs removed first


def test_companies_keep_their_order_and_names_by_columns(tmp_path: Path) -> None:
    """Rules 8-9's raw material: each link row in record order, with the name its record gives."""
    path = tmp_path / "movies.csv"
    write_csv(
        path,
        [
            movie(1, production_companies=companies((3, "Pixar"), (2, "Disney"))),
            movie(2, production_companies=companies((3, "Pixar Animation"))),
        ],
    )
    header, chunks = chunks_of(path, 1 << 20)
    batch = clean_chunk(header, chunks[0], list)
    assert batch is not None
    assert batch.tables[2][2] == [(2, 1, 3, "Pixar"), (2, 1, 2, "Disney"), (3, 2, 3, "Pixar Animation")]


def test_rule_2_and_text_columns_trim_what_python_trims() -> None:
    """The columns' white space class is exactly what str.strip() removes, over every code point."""
    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]  # UTF-8 holds no surrogates
    matched = pc.match_substring_regex(pa.array(characters), f"^[{_PYTHON_SPACE}]$").to_pylist()
    assert [c for c, space in zip(characters, matched) if space] == [c for c in characters if c.isspace()]


def test_rule_6_plain_popularities_read_as_python_reads_them() -> None:
    """Arrow's cast of a popularity of plain digits gives the very float that float() gives (rule 6)."""
    rng = random.Random(6)
    values = ["0", "0.0", "21.946943", "999999.99999999999999999999", "0.000001", "9" * 6]
    values += [
        f"{rng.randrange(10 ** rng.randint(1, 6))}.{rng.randrange(10**20):0{rng.randint(1, 20)}d}"[:27]
        for _ in range(50_000)
    ]
    plain = [value for value in values if re.fullmatch(_AS_IS["popularity"], value)]
    assert len(plain) > 40_000
    assert pa.array(plain).cast(pa.float64()).to_pylist() == [float(value) for value in plain]
    # Rule 21: nothing it takes as it is can be above 10^6, which the rule makes unknown.
    assert max(float(value) for value in plain) <= 1e6
    assert not re.fullmatch(_AS_IS["popularity"], "1000000") and not re.fullmatch(_AS_IS["popularity"], "1000000.5")
