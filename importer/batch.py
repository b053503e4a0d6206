"""One batch of records cleaned (rules 1-8) into the rows it adds to the staging tables.

The low-level batch types, shared by every way of cleaning: in this process
(`importer.batches`), by columns (`importer.columnar`) and in worker processes
(`importer.workers`). It imports none of them, so they form no circle.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from db.fields import LINK_FIELDS
from db.staging import STAGING_COLUMNS, EncodedRows, Encoder, Row
from importer.clean import TOO_LONG, CleanMovie, Rejection, clean_record
from importer.read import Header, RawRecord, RecordTooLong

NUL_WARNING = "nul_characters_removed"


@dataclass(slots=True)
class Batch:
    """Records cleaned together: the rows they add to each staging table, and what was refused."""

    records: int
    tables: list[tuple[str, Sequence[str], EncodedRows]]  # (staging table, columns, rows)
    rejected: list[Rejection]
    warnings: Counter[str]


def clean_batch(header: Header, records: Iterable[RawRecord | csv.Error], encode: Encoder = list) -> Batch:
    """Apply rules 1-8 to some records and encode the staging rows they make (see db.staging)."""
    movies: list[CleanMovie] = []
    rejected: list[Rejection] = []
    warnings: Counter[str] = Counter()
    count = 0
    for raw in records:
        count += 1
        result = clean_record(header, raw) if not isinstance(raw, csv.Error) else _unreadable(raw)
        if isinstance(result, Rejection):
            rejected.append(result)
        else:
            movies.append(result)
            warnings.update(result.warnings)
    tables = [(table, columns, encode(rows)) for table, columns, rows in _staging_rows(movies)]
    return Batch(count, tables, rejected, warnings)


def _staging_rows(movies: list[CleanMovie]) -> list[tuple[str, Sequence[str], Iterator[Row]]]:
    """The rows a batch of clean movies adds to each staging table (see db.staging)."""
    tables: list[tuple[str, Sequence[str], Iterator[Row]]] = [
        ("stage_movies", STAGING_COLUMNS["stage_movies"], ((m.line, *m.values) for m in movies))
    ]
    for position, link in enumerate(LINK_FIELDS):
        tables.append((link.stage, STAGING_COLUMNS[link.stage], _link_rows(movies, position)))
    return tables


def _link_rows(movies: list[CleanMovie], position: int) -> Iterator[Row]:
    """(line, movie id, entity id, name) for each entity of the movies' list column at `position` (rule 8)."""
    return ((m.line, m.values[0], i, name) for m in movies for i, name in m.links[position])


def _unreadable(error: csv.Error) -> Rejection:
    line = error.line  # type: ignore[attr-defined]  # set by importer.read.read_records
    # A field past csv.field_size_limit (rule 22's bound, like TOO_LONG_LINE) or a record past it
    if isinstance(error, RecordTooLong) or str(error).startswith("field larger than field limit"):
        return Rejection(line, TOO_LONG)
    return Rejection(line, f"unreadable CSV: {error}")
