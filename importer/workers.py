"""Cleaning in worker processes: this process reads the file, the workers apply the rules.

Cleaning runs Python for every distinct value of a piece (and for every record of a piece
cleaned record by record), so threads would take turns on the GIL; processes run on other
cores. This process only cuts the file's bytes into pieces of whole records, mostly without
decoding or parsing them (`importer.read.RecordChunks`); a worker cleans its piece
(`importer.pieces.clean_piece`) and encodes the staging rows, so what travels back is one
piece of COPY data per staging table, sent on as it is. A piece found not to end between records is cut again, with all that
follows it, by parsing.

About `2 * workers` pieces are in flight at a time, so memory stays flat however large the
file is, and results are taken in file order.

Ctrl-C reaches the importer and its workers alike (one process group). The workers ignore it
and the importer stops them. While the pool forks them, Ctrl-C is held back until the pool is
whole: interrupted halfway, it left workers waiting for work and the importer waiting for them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager

from db.staging import Encoder
from importer.batch import Batch
from importer.pieces import clean_piece
from importer.read import CsvSource, Header, TextChunk

# Fork starts a worker in milliseconds with everything imported; elsewhere (macOS, Windows)
# fork is unsafe or absent and workers are spawned instead.
_START_METHOD = "fork" if sys.platform == "linux" else "spawn"

PARENT_CHECK_SECONDS = 0.5

_header: Header | None = None
_encode: Encoder = list


def clean_in_processes(source: CsvSource, encode: Encoder, workers: int, chunk_bytes: int) -> Iterator[Batch]:
    """Yield the source's records cleaned by `workers` processes, batch by batch, in file order."""
    context = multiprocessing.get_context(_START_METHOD)
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(source.header, encode))

    def start(chunk: TextChunk) -> Future[Batch]:
        with _ctrl_c_held_back():  # submitting may fork the workers
            return pool.submit(_clean_chunk, chunk)

    try:
        yield from source.text_chunks(chunk_bytes).parsed_in_order(start, ahead=2 * workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _ctrl_c_held_back() -> Iterator[None]:
    """Delay SIGINT in this thread until the block ends (a no-op where signal masks do not exist).

    A process forked meanwhile starts with SIGINT held back too, until `_start_worker`.
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # a Ctrl-C held back arrives now


def _start_worker(header: Header, encode: Encoder) -> None:
    global _header, _encode
    _header, _encode = header, encode
    # The importer handles Ctrl-C and stops the workers. Ignoring SIGINT before letting it
    # through also drops one that arrived while this process was being forked.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the importer's, which turns it into a Ctrl-C
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="exit-with-parent", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """Exit when the importer is gone (`kill -9` included) instead of waiting for work forever.

    A forked worker also holds the importer's database connection: while it lived on, the
    killed load's transaction (and its import lock) would stay open on the server.
    """
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _clean_chunk(chunk: TextChunk) -> Batch:
    assert _header is not None, "the worker was started without a header"
    return clean_piece(_header, chunk, _encode)
