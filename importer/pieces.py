"""Stage 2's one route: the file cut into pieces of whole records, each cleaned the same way.

Every record goes this way, in worker processes (`importer.workers`) or in this one
(`clean_in_this_process`): the reader cuts the file into pieces (`importer.read.RecordChunks`),
and `clean_piece` cleans each by columns with Arrow (`importer.columnar`), and where that
declines, record by record (`importer.batch.clean_batch`); NULs are removed and counted by
the reader (`importer.read.TextChunk.without_nul`, `nul_free`).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future

from db.staging import Encoder
from importer.batch import NUL_WARNING, Batch, clean_batch
from importer.columnar import clean_chunk
from importer.read import CsvSource, Header, TextChunk


def clean_piece(header: Header, piece: TextChunk, encode: Encoder) -> Batch:
    """A piece's batch: by columns, or record by record where that declines; its NUL lines counted as warnings."""
    for_arrow, nul_lines = piece.without_nul()
    batch = clean_chunk(header, for_arrow, encode) if for_arrow else None
    if batch is None:
        batch = clean_batch(header, piece.records(), encode)
    if nul_lines:
        batch.warnings[NUL_WARNING] += nul_lines
    return batch


def clean_in_this_process(source: CsvSource, encode: Encoder, piece_bytes: int) -> Iterator[Batch]:
    """The source's pieces cleaned one after the other in this process, as worker processes would clean them."""

    def start(piece: TextChunk) -> Future[Batch]:
        cleaned: Future[Batch] = Future()
        try:
            cleaned.set_result(clean_piece(source.header, piece, encode))
        except Exception as error:  # noqa: BLE001 - handed on as a worker's would be (RecordChunks.parsed_in_order)
            cleaned.set_exception(error)
        return cleaned

    return source.text_chunks(piece_bytes).parsed_in_order(start, ahead=0)
