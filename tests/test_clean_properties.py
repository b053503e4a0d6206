"""Property tests of the cleaning stage: any record, of any text or bytes, is cleaned or rejected with a reason.

Rules 1-8 and 21-22 hold on every output (ids in range, amounts and popularities within their
bounds, entries within theirs), no input raises, and the one route (importer.pieces) gives
exactly the batch the rules make of a piece's records one by one.
"""

from __future__ import annotations

import csv
import io
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.limits import MAX_INTEGER
from importer.batch import Batch
from importer.clean import MAX_AMOUNT, MAX_POPULARITY, CleanMovie, Rejection, clean_record
from importer.literals import MAX_NAME_CHARS
from importer.pieces import clean_piece
from importer.read import ChunkBoundaryError, Header, RawRecord, TextChunk, UnreadablePiece
from tests.csvfiles import HEADER
from tests.test_pieces import ODD_VALUES, by_columns, comparable, expected_batch

FULL_HEADER = Header.from_names("movies.csv", HEADER)
WARNINGS = {
    f"{kind}_{column}"
    for kind, columns in {
        "unparsable": ("budget", "revenue", "genres", "production_companies"),
        "implausible": ("budget", "revenue", "popularity"),
        "oversized": ("genres", "production_companies"),
        "invalid": ("popularity", "release_date"),
    }.items()
    for column in columns
}
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# Python literals of any shape and depth, the real file's list of {id, name} among them.
_scalars = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from([0, 1, 2**31 - 1, 2**31, 10**40]),
    st.text(max_size=12),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True),
)
_literals = st.one_of(
    st.recursive(
        _scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.tuples(inner, inner),
            st.dictionaries(st.sampled_from(["id", "name", "logo_path"]), inner, max_size=3),
        ),
        max_leaves=12,
    ).map(repr),
    st.lists(
        st.fixed_dictionaries(
            {"id": st.integers(min_value=-5, max_value=2**32), "name": st.text(max_size=8) | st.just("n" * 1001)}
        ),
        max_size=4,
    ).map(repr),
    st.integers(min_value=1, max_value=300).map(lambda depth: "[" * depth + "]" * depth),
)
_numbers = st.from_regex(r"\s?[-+]?[0-9]{0,20}(\.[0-9]{0,20})?([eE][-+]?[0-9]{1,10})?\s?", fullmatch=True)
_odd = st.sampled_from(sorted({value for values in ODD_VALUES.values() for value in values}))
fields = st.one_of(st.text(max_size=40), _numbers, _literals, _odd, st.just("1" + "0" * 5000))


def assert_clean(movie: CleanMovie) -> None:
    """Every value of a clean movie is within the rules' bounds."""
    assert 0 < movie["id"] <= MAX_INTEGER
    for amount in (movie["budget"], movie["revenue"]):
        assert amount is None or 0 < amount <= MAX_AMOUNT
    popularity = movie["popularity"]
    assert popularity is None or 0 <= popularity <= MAX_POPULARITY
    for number in (movie["runtime"], movie["vote_average"]):
        assert number is None or math.isfinite(number)
    vote_count, year = movie["vote_count"], movie["release_year"]
    assert vote_count is None or 0 <= vote_count <= MAX_INTEGER
    assert year is None or 0 <= year <= 9999
    for entities in movie.links:
        assert len({entity_id for entity_id, _ in entities}) == len(entities)
        for entity_id, name in entities:
            assert 0 < entity_id <= MAX_INTEGER and name.strip() and len(name) <= MAX_NAME_CHARS
    assert set(movie.warnings) <= WARNINGS


@PROPERTY_SETTINGS
@given(st.one_of(st.lists(fields, min_size=24, max_size=24), st.lists(fields, max_size=30)), st.integers(1, 10**6))
def test_rules_1_to_8_and_21_22_any_record_is_cleaned_or_rejected_with_a_reason(values: list[str], line: int) -> None:
    result = clean_record(FULL_HEADER, RawRecord(line, values))
    if isinstance(result, Rejection):
        assert result.line == line and result.reason
    else:
        assert isinstance(result, CleanMovie) and result.line == line
        assert_clean(result)


def csv_text(records: list[list[str]], line_end: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end).writerows(records)
    return buffer.getvalue()


pieces = st.one_of(
    st.builds(
        csv_text,
        st.lists(st.lists(fields, min_size=24, max_size=24), min_size=1, max_size=6),
        st.sampled_from(["\n", "\r\n"]),
    ).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.builds(
        lambda records, noise: csv_text(records, "\n").encode("utf-8", "surrogatepass") + noise,
        st.lists(st.lists(fields, min_size=1, max_size=26), min_size=1, max_size=4),
        st.binary(max_size=40),
    ),
    st.binary(max_size=300),
)


@PROPERTY_SETTINGS
@given(pieces, st.booleans())
def test_rules_1_to_8_and_21_22_any_piece_of_bytes_is_cleaned_on_the_route_as_the_rules_say(
    data: bytes, check_end: bool
) -> None:
    """A piece: a batch of clean movies and reasoned rejections, the one the rules make of its records one by one,
    unless it is not UTF-8 (the file is refused) or cut inside a quoted field (cut again by parsing)."""
    chunk = TextChunk(1, data, check_end)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert by_columns(FULL_HEADER, chunk, list) is None  # declined by columns
        with pytest.raises(UnreadablePiece):  # and refused record by record: the reader refuses the file from here
            clean_piece(FULL_HEADER, chunk, list)
        return
    try:
        expected = expected_batch(FULL_HEADER, chunk, list)
    except ChunkBoundaryError:  # a piece cut inside a quoted field: the reader cuts it again by parsing
        assert check_end and by_columns(FULL_HEADER, chunk, list) is None
        return
    batch = clean_piece(FULL_HEADER, chunk, list)
    assert comparable(batch) == comparable(expected)
    assert_batch(batch)


def assert_batch(batch: Batch) -> None:
    """Every record of a batch is a staged movie or a rejection with a line and a reason."""
    movies, genres, companies = (rows for _table, _columns, rows in batch.tables)
    assert batch.records == len(movies) + len(batch.rejected)
    assert all(rejection.line > 0 and rejection.reason for rejection in batch.rejected)
    for row in movies:
        movie = CleanMovie(row[0], tuple(row[1:]), links=())
        assert_clean(movie)
    for _line, movie_id, entity_id, name in [*genres, *companies]:
        assert 0 < movie_id <= MAX_INTEGER and 0 < entity_id <= MAX_INTEGER and 0 < len(name) <= MAX_NAME_CHARS
    assert set(batch.warnings) <= WARNINGS | {"nul_characters_removed"}
