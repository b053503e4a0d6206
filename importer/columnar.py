"""Stage 2 at C speed, the main route of `importer.pieces`: a piece parsed by Arrow, each rule applied to whole columns.

`clean_chunk` gives the batch that the rules of `importer.clean` make of the piece's records,
in about 60% of the CPU time of cleaning them one by one (docs/benchmarks.md). pyarrow's C++
reader parses the piece into columns. Each column's values go through the very functions of
`importer.clean` (db.fields names each column's rule), but once per distinct value in the
piece, not once per record: a piece of ~1,300 records holds a few dozen distinct budgets,
runtimes or genre lists. Values that a rule would return as they are (an id in range, text
with nothing to trim, a popularity of plain digits) are recognized by a regular expression over
the whole column and never reach Python. Rows are filtered, joined to their genres and
companies, and written as COPY data without a Python loop over records.

It takes pieces without NULs (`importer.pieces.clean_piece` removes them first), and declines
(returns None) every piece whose parse it cannot vouch for, which the record by record
fallback then cleans: a piece that holds a carriage return not followed by a newline, that is
not UTF-8 or that Arrow cannot parse, with a record of the wrong width (rule 1) or blank
lines, that does not end between records (cut inside a quoted field), or with a record longer
than rule 22's bound. tests/test_pieces.py checks the route against the rules.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from db.fields import CSV_COLUMNS, DERIVED_FIELDS, LINK_FIELDS, READ_FIELDS, MovieField
from db.staging import STAGING_COLUMNS, EncodedRows, Encoder
from importer.batch import Batch
from importer.clean import RULES, Rejection, id_rejection, parse_list
from importer.read import END_MARK, MAX_RECORD_BYTES, Header, TextChunk, count_lines, end_mark_record

# What str.isspace() calls white space, which str.strip() removes, as a character class's body.
_PYTHON_SPACE = r"\t-\r\x1c- \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
# For some of importer.clean's RULES, the pattern of the raw values that the rule returns as they are, but for their type.
_AS_IS = {
    "text": rf"(?s)^[^{_PYTHON_SPACE}](?:.*[^{_PYTHON_SPACE}])?$",  # not empty, nothing to trim
    "id": r"^[1-9][0-9]{0,8}$",  # below MAX_INTEGER (rule 2)
    "popularity": r"^[0-9]{1,6}(?:\.[0-9]{1,20})?$",  # finite, not negative (rule 6), below 10^6 (rule 21)
}
# The columnar twins of importer.clean's DERIVED_RULES.
_DERIVED_RULES: dict[str, Callable[[dict[str, pa.Array]], pa.Array]] = {
    "year_of_release_date": lambda movies: pc.utf8_slice_codeunits(movies["release_date"], 0, 4),
}
_ID_FIELD = next(field for field in READ_FIELDS if field.rule == "id")

# pyarrow imports pandas, where it is installed, the first time it converts a Python list
# (0.2 s). Here, at import, that happens once in the importer: forked workers inherit it.
pa.array([], pa.int32())


def clean_chunk(header: Header, chunk: TextChunk, encode: Encoder) -> Batch | None:
    """The batch of `chunk`'s records, as `clean_batch(header, chunk.records(), encode)` gives it; None to decline.

    `chunk` holds no NUL (see read.END_MARK).
    """
    data = chunk.data
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None  # a line ended by \r alone
    try:
        table = _parse(data, header.width)  # every field a string column, so every byte is checked as UTF-8
    except pa.ArrowException:
        return None
    if table is None or (
        len(data) > MAX_RECORD_BYTES and (_may_hold_a_too_long_line(data) or _has_too_long_record(table))
    ):
        return None
    lines = _record_lines(table, chunk.line_offset, count_lines(data) + (0 if data.endswith(b"\n") else 1))
    if lines is None:
        return None
    return _clean_table(header, table, lines, encode)


# No invalid_row_handler: Arrow decodes a row's text for it, and a row that is not UTF-8 made
# that decoding fail inside Arrow, which printed the error instead of raising it.
def _parse(data: bytes, width: int) -> pa.Table | None:
    """Every field of every record as a string column `c0`..; None if the piece ends inside a record (read.END_MARK).

    Raises pa.ArrowInvalid if a record has the wrong width or a field is not UTF-8.
    """
    names = [f"c{i}" for i in range(width)]
    ended = data if data.endswith(b"\n") else data + b"\n"
    table = pa_csv.read_csv(
        io.BytesIO(ended + end_mark_record(width)),
        read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    last = table.num_rows - 1
    if last < 0 or table.column(0)[last].as_py() != END_MARK:
        return None
    return table.slice(0, last).combine_chunks()


def _may_hold_a_too_long_line(data: bytes) -> bool:
    """Whether a line may be longer than MAX_RECORD_BYTES, which the record path reads as a refused record (rule 22).

    Such a line holds one of the piece's aligned runs of half that many bytes whole, without a
    newline; a few finds that stop at the first newline rule that out.
    """
    half = MAX_RECORD_BYTES // 2
    return any(data.find(b"\n", start, start + half) < 0 for start in range(0, len(data) - half + 1, half))


def _has_too_long_record(table: pa.Table) -> bool:
    """Whether a record's fields hold more than MAX_RECORD_BYTES characters (rule 22): only a larger piece can."""
    if not table.num_rows:
        return False
    sizes = pc.utf8_length(table.column(0)).cast(pa.int64())
    for column in table.columns[1:]:
        sizes = pc.add(sizes, pc.utf8_length(column))
    return bool(pc.max(sizes).as_py() > MAX_RECORD_BYTES)


def _record_lines(table: pa.Table, line_offset: int, lines: int) -> pa.Array | None:
    """The line each record starts on, if the records take up exactly the piece's `lines`; else None.

    Each record starts on the line after the one the record before it ended on. A piece whose
    lines add up otherwise has blank lines, which the csv module counts but yields no record for.
    """
    records = table.num_rows
    first = line_offset + 1
    if lines == records:  # no record spans lines: the common case
        return pa.array(range(first, first + records), pa.int32())
    joined = pc.binary_join_element_wise(*table.columns, "")
    spans = [1 + newlines for newlines in pc.count_substring(joined, "\n").to_pylist()]
    if sum(spans) != lines:
        return None
    starts = []
    for span in spans:
        starts.append(first)
        first += span
    return pa.array(starts, pa.int32())


def _clean_table(header: Header, table: pa.Table, lines: pa.Array, encode: Encoder) -> Batch:
    records = table.num_rows
    raw = dict(zip(CSV_COLUMNS, (_column(table, position) for position in header.positions)))
    warnings: Counter[str] = Counter()
    # Rule 2, with rule 3's report: a record whose id is not a positive integer is refused.
    ids = _apply(raw[_ID_FIELD.header], _ID_FIELD, warnings)
    rejected: list[Rejection] = []
    if ids.null_count:
        refused = ids.is_null()
        for line, value in zip(lines.filter(refused).to_pylist(), raw[_ID_FIELD.header].filter(refused).to_pylist()):
            rejected.append(id_rejection(line, value))
        kept = pc.invert(refused)
        ids, lines = ids.filter(kept), lines.filter(kept)
        raw = {name: column.filter(kept) for name, column in raw.items()}
    movies = {"ord": lines}
    for field in READ_FIELDS:
        movies[field.name] = ids if field is _ID_FIELD else _apply(raw[field.header], field, warnings)
    for field in DERIVED_FIELDS:
        movies[field.name] = _DERIVED_RULES[field.rule](movies).cast(pa.type_for_alias(field.arrow))
    columns = STAGING_COLUMNS["stage_movies"]
    tables = [("stage_movies", columns, pa.table([movies[name] for name in columns], names=list(columns)))]
    for link in LINK_FIELDS:
        link_columns = STAGING_COLUMNS[link.stage]
        links = pa.table(_links(raw[link.header], link.header, lines, ids, warnings), names=list(link_columns))
        tables.append((link.stage, link_columns, links))
    encoded: list[tuple[str, Sequence[str], EncodedRows]] = [
        (stage, names, _encode(rows, encode)) for stage, names, rows in tables
    ]
    return Batch(records, encoded, rejected, warnings)


def _column(table: pa.Table, position: int) -> pa.Array:
    """The raw values of the column at `position`: empty strings for an absent optional column (past the last)."""
    if position < table.num_columns:
        return table.column(position).chunk(0) if table.num_rows else pa.array([], pa.string())
    return pa.array([""] * table.num_rows, pa.string())


def _apply(values: pa.Array, field: MovieField, warnings: Counter[str]) -> pa.Array:
    """`field`'s rule applied to every value: as they are where they match its _AS_IS, the others once per distinct value."""
    kind = pa.type_for_alias(field.arrow)
    if field.rule == "as_is":
        return values.cast(kind)
    as_is = _AS_IS.get(field.rule)
    if as_is is None:
        return _per_distinct_value(values, field, kind, warnings)
    plain = pc.match_substring_regex(values, as_is)
    if plain.false_count == 0:
        return values.cast(kind)
    odd = pc.invert(plain)
    cleaned = pc.if_else(plain, values, pa.scalar(None, pa.string())).cast(kind)
    return pc.replace_with_mask(cleaned, odd, _per_distinct_value(values.filter(odd), field, kind, warnings))


def _per_distinct_value(values: pa.Array, field: MovieField, kind: pa.DataType, warnings: Counter[str]) -> pa.Array:
    """`field`'s rule applied to every value, called once per distinct value; its warnings counted once per record."""
    rule = RULES[field.rule]
    encoded = values.dictionary_encode()
    cleaned = []
    for position, value in enumerate(encoded.dictionary.to_pylist()):
        found: list[str] = []
        cleaned.append(rule(value, field.name, found))
        if found:
            _count_warnings(warnings, found, encoded.indices, position)
    return pa.array(cleaned, kind).take(encoded.indices)


def _links(values: pa.Array, column: str, lines: pa.Array, ids: pa.Array, warnings: Counter[str]) -> list[pa.Array]:
    """Rule 8 for a list column: the staging columns (line, movie id, entity id, name), a row per record and entity."""
    encoded = values.dictionary_encode()
    offsets, entity_ids, names = [0], [], []
    for position, value in enumerate(encoded.dictionary.to_pylist()):
        found: list[str] = []
        for entity_id, name in parse_list(value, column, found):
            entity_ids.append(entity_id)
            names.append(name)
        offsets.append(len(entity_ids))
        if found:
            _count_warnings(warnings, found, encoded.indices, position)
    entities = pa.StructArray.from_arrays(
        [pa.array(entity_ids, pa.int32()), pa.array(names, pa.string())], ["id", "name"]
    )
    per_record = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), entities).take(encoded.indices)
    owner = pc.list_parent_indices(per_record)
    flat = pc.list_flatten(per_record)
    return [lines.take(owner), ids.take(owner), flat.field("id"), flat.field("name")]


def _count_warnings(warnings: Counter[str], found: list[str], indices: pa.Array, position: int) -> None:
    """Count the warnings that a distinct value's rule gave once for each record that holds the value."""
    times = pc.sum(pc.equal(indices, position)).as_py()
    for kind in found:
        warnings[kind] += times


def _encode(table: pa.Table, encode: Encoder) -> bytes | list[Sequence[object]]:
    """The table as `encode` gives its rows: COPY data (db.staging.CopyData), else a list of tuples."""
    if getattr(encode, "copy_data", False):  # db.staging.CopyData: Arrow writes the same CSV
        buffer = io.BytesIO()
        pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
        return buffer.getvalue()
    return encode(list(zip(*(column.to_pylist() for column in table.columns))))
