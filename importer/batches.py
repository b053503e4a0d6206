"""Stages 1-2 joined: a source's records cleaned in batches, and the staging rows they become.

Shared by the direct import (`importer.pipeline`) and the SQL script writer
(`importer.sql_script`), so both count records, rejections and warnings the same way and
stage exactly the same rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from db.staging import MOVIE_COLUMNS
from importer.clean import CleanMovie, Rejection, clean_record
from importer.read import CsvSource

if TYPE_CHECKING:  # a runtime import would be circular: the pipeline imports this module
    from importer.pipeline import ImportReport

BATCH_RECORDS = 10_000
REPORTED_REJECTIONS = 1_000  # all of them are stored in the `rejections` table
LINK_COLUMNS = ("ord", "movie_id", "entity_id", "name")
REJECTION_COLUMNS = ("line", "reason")  # plus the version id, which only the writer knows

Progress = Callable[[int, int], None]  # (bytes read, file size)
StagingRows = tuple[str, Sequence[str], Iterable[Sequence[object]]]  # (table, columns, rows)


def clean_batches(
    source: CsvSource, report: ImportReport, progress: Progress | None = None, size: int = BATCH_RECORDS
) -> Iterator[tuple[list[CleanMovie], list[Rejection]]]:
    """Yield (movies, rejections) per batch of records, counting them on `report` as it goes."""
    warnings: Counter[str] = Counter()
    file_size = source.path.stat().st_size
    for batch in _batches(source.records(), size):
        movies: list[CleanMovie] = []
        rejected: list[Rejection] = []
        for raw in batch:
            result = clean_record(source.header, raw) if not isinstance(raw, Exception) else _unreadable(raw)
            if isinstance(result, Rejection):
                rejected.append(result)
            else:
                movies.append(result)
                warnings.update(result.warnings)
        warnings["nul_characters_removed"] = source.nul_lines  # counted by the reader, so far
        yield movies, rejected
        report.records += len(batch)
        report.rejected += len(rejected)
        room = REPORTED_REJECTIONS - len(report.rejections)
        report.rejections.extend({"line": r.line, "reason": r.reason} for r in rejected[:room])
        report.warnings = dict(sorted((kind, count) for kind, count in warnings.items() if count))
        if progress:
            progress(source.bytes_read(), file_size)


def staging_rows(movies: list[CleanMovie]) -> list[StagingRows]:
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
        ("stage_movies", ("ord", *MOVIE_COLUMNS), movie_rows),
        ("stage_movie_genres", LINK_COLUMNS, ((m.line, m.id, i, name) for m in movies for i, name in m.genres)),
        ("stage_movie_companies", LINK_COLUMNS, ((m.line, m.id, i, name) for m in movies for i, name in m.companies)),
    ]


def _unreadable(error: Exception) -> Rejection:
    return Rejection(error.line, f"unreadable CSV: {error}")  # type: ignore[attr-defined]


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
