"""Stages 1-2 joined: a source's records cleaned in batches, as rows for the staging tables.

Shared by the direct import (`importer.pipeline`) and the SQL script writer
(`importer.sql_script`), so both count records, rejections and warnings the same way and
stage exactly the same rows. The file's pieces are cleaned (`importer.pieces`) here, in this
process, or by worker processes (`importer.workers`); either way they arrive in file order
and are counted here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator

from db.staging import Encoder
from importer.batch import NUL_WARNING, Batch
from importer.errors import NoRecordsError
from importer.pieces import clean_in_this_process
from importer.read import CsvSource
from importer.report import ImportReport

WORKER_CHUNK_BYTES = 1 << 20  # a piece: about 1,300 records; the workers start sooner, and less is in flight
REPORTED_REJECTIONS = 1_000  # all of them are stored in the `rejections` table

Progress = Callable[[int, int], None]  # (bytes read, file size)


def cleaned_batches(
    source: CsvSource,
    report: ImportReport,
    progress: Progress | None = None,
    *,
    encode: Encoder = list,
    workers: int = 0,
) -> Generator[Batch, None, None]:
    """Yield the source's records cleaned batch by batch, counting them on `report` as it goes.

    With `workers`, that many processes clean the batches while this one reads the file; the
    batches and the report come out exactly as without them. A file without a single record
    is refused (NoRecordsError) once read.
    """
    if workers:
        from importer.workers import clean_in_processes  # multiprocessing only when asked for

        batches = clean_in_processes(source, encode, workers, WORKER_CHUNK_BYTES)
    else:
        batches = clean_in_this_process(source, encode, WORKER_CHUNK_BYTES)
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
