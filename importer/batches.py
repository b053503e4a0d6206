"""Stages 1-2 joined: a source's records cleaned in batches, as rows for the staging tables.

Shared by the direct import (`importer.pipeline`) and the SQL script writer
(`importer.sql_script`), so both count records, rejections and warnings the same way and
stage exactly the same rows. Batches are cleaned here, in this process, or by worker
processes (`importer.workers`); either way they arrive in file order and are counted here.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from db.staging import STAGING_COLUMNS, EncodedRows, Row
from importer.clean import TOO_LONG, CleanMovie, Rejection, clean_record
from importer.errors import NoRecordsError
from importer.read import CsvSource, Header, RawRecord, RecordTooLong

if TYPE_CHECKING:  # a runtime import would be circular: the pipeline imports this module
    from importer.pipeline import ImportReport

BATCH_RECORDS = 10_000
WORKER_CHUNK_BYTES = 1 << 20  # about 1,300 records: the workers start sooner, and less is in flight
REPORTED_REJECTIONS = 1_000  # all of them are stored in the `rejections` table
REJECTION_COLUMNS = ("line", "reason")  # plus the version id, which only the writer knows
NUL_WARNING = "nul_characters_removed"

Progress = Callable[[int, int], None]  # (bytes read, file size)
Encoder = Callable[[Iterable[Row]], EncodedRows]  # see db.staging.row_encoder


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


def cleaned_batches(
    source: CsvSource,
    report: ImportReport,
    progress: Progress | None = None,
    *,
    encode: Encoder = list,
    workers: int = 0,
) -> Iterator[Batch]:
    """Yield the source's records cleaned batch by batch, counting them on `report` as it goes.

    With `workers`, that many processes clean the batches while this one reads the file; the
    batches and the report come out exactly as without them. A file without a single record
    is refused (NoRecordsError) once read.
    """
    if workers:
        from importer.workers import clean_in_processes  # multiprocessing only when asked for

        batches = clean_in_processes(source, encode, workers, WORKER_CHUNK_BYTES)
    else:
        groups = _groups(source.records(), BATCH_RECORDS)
        batches = (clean_batch(source.header, records, encode) for records in groups)
    warnings: Counter[str] = Counter()
    file_size = source.path.stat().st_size
    for batch in batches:
        warnings.update(batch.warnings)  # a worker's batch counts the NUL lines of its piece
        yield batch
        report.records += batch.records
        report.rejected += len(batch.rejected)
        room = REPORTED_REJECTIONS - len(report.rejections)
        report.rejections.extend({"line": r.line, "reason": r.reason} for r in batch.rejected[:room])
        shown = warnings + Counter({NUL_WARNING: source.nul_lines})  # and the reader those it read
        report.warnings = dict(sorted(shown.items()))
        if progress:
            progress(source.bytes_read(), file_size)
    if not report.records:  # refused as the file itself: a version of nothing would only fail its checks
        raise NoRecordsError(str(source.path))


def _staging_rows(movies: list[CleanMovie]) -> list[tuple[str, Sequence[str], Iterator[Row]]]:
    """The rows a batch of clean movies adds to each staging table (see db.staging)."""
    movie_rows = (
        (
            m.line, m.id, m.title, m.original_title, m.imdb_id, m.original_language, m.status,
            m.release_date, m.release_year, m.budget, m.revenue, m.popularity, m.runtime,
            m.vote_average, m.vote_count, m.adult,
        )
        for m in movies
    )  # fmt: skip
    return [
        ("stage_movies", STAGING_COLUMNS["stage_movies"], movie_rows),
        (
            "stage_movie_genres",
            STAGING_COLUMNS["stage_movie_genres"],
            ((m.line, m.id, i, name) for m in movies for i, name in m.genres),
        ),
        (
            "stage_movie_companies",
            STAGING_COLUMNS["stage_movie_companies"],
            ((m.line, m.id, i, name) for m in movies for i, name in m.companies),
        ),
    ]


def _unreadable(error: csv.Error) -> Rejection:
    line = error.line  # type: ignore[attr-defined]  # set by importer.read.read_records
    # A field past csv.field_size_limit (rule 22's bound, like TOO_LONG_LINE) or a record past it
    if isinstance(error, RecordTooLong) or str(error).startswith("field larger than field limit"):
        return Rejection(line, TOO_LONG)
    return Rejection(line, f"unreadable CSV: {error}")


def _groups(items: Iterable, size: int) -> Iterator[list]:
    group = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group
