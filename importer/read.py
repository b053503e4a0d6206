"""Stage 1: stream CSV records out of a plain or gzip file, with their line numbers."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, Protocol, TextIO, TypeVar

from importer.errors import MissingColumnsError, NotCsvError

REQUIRED_COLUMNS = (
    "id",
    "title",
    "budget",
    "revenue",
    "popularity",
    "release_date",
    "genres",
    "production_companies",
)
OPTIONAL_COLUMNS = (
    "imdb_id",
    "original_title",
    "original_language",
    "status",
    "runtime",
    "vote_average",
    "vote_count",
    "adult",
)
GZIP_MAGIC = b"\x1f\x8b"
# What reading a file that is not UTF-8, or a broken .gz, raises partway.
UNREADABLE = (UnicodeDecodeError, gzip.BadGzipFile, EOFError)

# A broken quote can make one field swallow many lines; it must not crash the reader.
csv.field_size_limit(64 * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One CSV record: the line it starts on and its fields, untouched."""

    line: int
    fields: list[str]


# Appended to a chunk whose end must be checked: a record of its own only if the chunk ends
# between records. No record of the file can hold it: NULs are removed from every line.
_END_MARK = "\x00"


class ChunkBoundaryError(Exception):
    """A chunk cut by counting quotes ends inside a quoted field (see RecordChunks)."""


@dataclass(frozen=True, slots=True)
class TextChunk:
    """Whole records as they stand in the file (NULs included), and the line before the first of them."""

    line_offset: int
    text: str
    check_end: bool = False  # cut where quotes pair up: records() checks that it ends between records

    def records(self) -> Iterator[RawRecord | csv.Error]:
        """The chunk's records, numbered by their line in the file, as `CsvSource.records` gives them.

        With `check_end`, raises ChunkBoundaryError at the end if the chunk does not end between records.
        """
        lines: Iterator[str] = io.StringIO(self.text, newline="")
        if "\x00" in self.text:
            lines = (line.replace("\x00", "") for line in lines)
        if not self.check_end:
            return read_records(csv.reader(lines), self.line_offset)
        return self._records_then_end_mark(itertools.chain(lines, [_END_MARK]))

    def nul_lines(self) -> int:
        """Lines holding NUL characters, which records() removes."""
        return sum("\x00" in line for line in io.StringIO(self.text, newline="")) if "\x00" in self.text else 0

    def _records_then_end_mark(self, lines: Iterator[str]) -> Iterator[RawRecord | csv.Error]:
        last = None
        for record in read_records(csv.reader(lines), self.line_offset):
            if last is not None:
                yield last
            last = record
        if not (isinstance(last, RawRecord) and last.fields == [_END_MARK]):
            raise ChunkBoundaryError(f"the chunk after line {self.line_offset} does not end between records")


def count_lines(text: str) -> int:
    """Lines in `text` as a file opened with newline="" reads them (`\n`, `\r\n` or `\r` ends one)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _end_of_last_record(text: str) -> int:
    """Where `text` (starting between records) may be cut: after its last newline outside quotes; 0 if none.

    Outside quoted fields a field's quotes come in pairs, so a newline preceded by an even
    number of quotes ends a record, unless a stray quote in an unquoted field spoils the count.
    """
    end = text.rfind("\n")
    quotes = text.count('"', 0, end + 1)
    while end >= 0 and quotes % 2:
        previous = text.rfind("\n", 0, end)
        quotes -= text.count('"', previous + 1, end + 1)
        end = previous
    return end + 1


class CsvReader(Protocol):
    """What `csv.reader` returns: records, and the number of lines read so far."""

    line_num: int

    def __next__(self) -> list[str]: ...


def read_records(reader: CsvReader, line_offset: int = 0) -> Iterator[RawRecord | csv.Error]:
    """Yield the records of a csv.reader numbered by the line they start on (after `line_offset`).

    A record the parser cannot read is yielded as its error, with its line as `error.line`; the
    parser then goes on at the next line. Blank lines are not records.
    """
    previous_end = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            error.line = line_offset + previous_end + 1  # type: ignore[attr-defined]
            previous_end = reader.line_num
            yield error
            continue
        start = line_offset + previous_end + 1
        previous_end = reader.line_num
        if fields:
            yield RawRecord(start, fields)


COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


@dataclass(frozen=True, slots=True)
class Header:
    """Where each known column sits in a record."""

    width: int
    complete: bool  # every optional column is present
    pick: Callable[[list[str]], tuple[str, ...]]  # a record's values in COLUMNS order

    @classmethod
    def from_names(cls, path: object, names: list[str]) -> Header:
        """Match columns by name (rule: extra columns are ignored); MissingColumnsError if any required one is absent."""
        names = [name.strip() for name in names]
        positions = {name: i for i, name in reversed(list(enumerate(names)))}  # the first one wins
        missing = [column for column in REQUIRED_COLUMNS if column not in positions]
        if missing:
            raise MissingColumnsError(str(path), missing, names)
        # An absent optional column reads from one padding field past the end: an empty value.
        picks = [positions.get(column, len(names)) for column in COLUMNS]
        return cls(width=len(names), complete=all(c in positions for c in COLUMNS), pick=itemgetter(*picks))


class CsvSource:
    """An open input file: its header, then its records one at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._binary: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed in close()
        try:
            magic = self._binary.read(2)
            self._binary.seek(0)
            stream: BinaryIO = gzip.GzipFile(fileobj=self._binary) if magic == GZIP_MAGIC else self._binary
            self._text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
            self.nul_lines = 0  # lines read here that held NUL characters, removed (PostgreSQL text cannot hold them)
            self._reader = csv.reader(self._without_nul(self._text))
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise

    def bytes_read(self) -> int:
        """Position in the file on disk (compressed bytes for .gz), for progress."""
        return self._binary.tell()

    def _without_nul(self, lines: Iterator[str]) -> Iterator[str]:
        for line in lines:
            if "\x00" in line:
                self.nul_lines += 1
                line = line.replace("\x00", "")
            yield line

    def records(self) -> Iterator[RawRecord | csv.Error]:
        """Yield every record; a record the CSV parser cannot read is yielded as its error."""
        try:
            yield from read_records(self._reader)
        except UNREADABLE as error:
            raise self._unreadable(self._reader.line_num, error) from error

    def text_chunks(self, chars: int) -> RecordChunks:
        """The remaining records as pieces of text of about `chars` characters, to be parsed elsewhere.

        `TextChunk.records()` on each piece in turn yields exactly what `records()` would have.
        """
        return RecordChunks(self._text, self._reader.line_num, chars, self._unreadable)

    def _unreadable(self, line: int, error: Exception) -> NotCsvError:
        return NotCsvError(
            f"{self.path}: unreadable after line {line} ({error}). "
            "The file must be UTF-8 CSV, plain or gzip; check that it was copied completely."
        )

    def close(self) -> None:
        """Close the file."""
        self._binary.close()

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _read_header(self) -> Header:
        try:
            names = next(self._reader)
        except StopIteration:
            raise NotCsvError(f"{self.path}: the file is empty. Expected a header row and records.") from None
        except (*UNREADABLE, csv.Error) as error:
            raise NotCsvError(
                f"{self.path}: not a UTF-8 CSV file ({error}). Pass movies_metadata.csv, plain or gzip-compressed."
            ) from error
        return Header.from_names(self.path, names)


# A run of text this many chunks long without a newline outside quotes is cut by parsing.
MAX_CHUNKS_WITHOUT_CUT = 16
T = TypeVar("T")


class RecordChunks:
    """The rest of a CsvSource as TextChunks of whole records, about `chars` characters each.

    Finding where records end needs no parsing: a newline ends a record unless it lies inside
    a quoted field, and a quoted field holds an even number of quotes, so a newline after an
    even number of quotes (counted from the last cut) ends a record. str.count and str.rfind
    find one at C speed, where parsing each record cost the importer a third of its CPU time
    (docs/benchmarks.md). A stray quote in an unquoted field (`5" floppy`) spoils the count,
    so each such chunk has its end checked by whoever parses it (TextChunk.check_end), and
    `recut_by_parsing` then cuts that chunk and all that follows by parsing instead. So does a
    long run of text with no cut.
    """

    def __init__(
        self, text: TextIO, line_offset: int, chars: int, unreadable: Callable[[int, Exception], Exception]
    ) -> None:
        self._text, self._chars = text, chars
        self._unreadable = unreadable  # the error to raise when `text` cannot be read after a given line
        self._carry = ""  # text read past the last cut
        self._next_line = line_offset  # lines before the next chunk
        self._lines: Iterator[str] | None = None  # once cutting by parsing: the lines not yet parsed
        self._parsed: Iterator[TextChunk] = iter(())

    def __iter__(self) -> RecordChunks:
        return self

    def __next__(self) -> TextChunk:
        if self._lines is not None:
            return next(self._parsed)
        while True:
            more = self._read(self._text.read, self._chars)
            text = self._carry + more
            if not more:  # the end of the file: the last records end with it
                self._carry = ""
                if not text:
                    raise StopIteration
                return self._chunk(text, check_end=False)
            cut = _end_of_last_record(text)
            if cut:
                self._carry = text[cut:]
                return self._chunk(text[:cut], check_end=True)
            self._carry = text
            if len(text) > MAX_CHUNKS_WITHOUT_CUT * self._chars:
                self.recut_by_parsing([])
                return next(self._parsed)

    def parsed_in_order(self, start: Callable[[TextChunk], Future[T]], ahead: int) -> Iterator[T]:
        """Start parsing each chunk, up to `ahead` chunks beyond the one awaited; yield the results in file order.

        When a chunk's parse fails with ChunkBoundaryError, that chunk and the ones after it are
        cut again by parsing (`recut_by_parsing`) and started anew; their other results are dropped.
        """
        pending: deque[tuple[TextChunk, Future[T]]] = deque()
        while True:
            if len(pending) <= ahead and (chunk := next(self, None)) is not None:
                pending.append((chunk, start(chunk)))
                continue
            if not pending:
                return
            chunk, parsing = pending.popleft()
            try:
                result = parsing.result()
            except ChunkBoundaryError:  # this chunk and those after it hold the wrong records
                self.recut_by_parsing([chunk, *(later for later, _ in pending)])
                for _, unwanted in pending:
                    unwanted.cancel()
                pending.clear()
                continue
            yield result

    def _read(self, read: Callable[..., str], *args: int) -> str:
        try:
            return read(*args)
        except UNREADABLE as error:
            raise self._unreadable(self._next_line + count_lines(self._carry), error) from error

    def _chunk(self, text: str, *, check_end: bool) -> TextChunk:
        chunk = TextChunk(self._next_line, text, check_end)
        self._next_line += count_lines(text)
        return chunk

    def recut_by_parsing(self, pending: list[TextChunk]) -> None:
        """Cut `pending` and the rest of the file by parsing, from here on.

        `pending` are chunks handed out, in order, up to the last one: the first of them did not
        end between records (ChunkBoundaryError), so none of them holds what it should.
        """
        text = "".join(chunk.text for chunk in pending) + self._carry
        line_offset = pending[0].line_offset if pending else self._next_line
        rest: Iterator[str] = self._lines if self._lines is not None else self._text
        if self._lines is None and not text.endswith("\n"):
            text += self._read(self._text.readline)  # the rest of the line, which parsing must see whole
        self._carry = ""
        self._lines = itertools.chain(io.StringIO(text, newline=""), rest)
        self._parsed = self._cut_by_parsing(self._lines, line_offset)

    def _cut_by_parsing(self, lines: Iterator[str], line_offset: int) -> Iterator[TextChunk]:
        """The records in `lines` (starting between records) cut into chunks by parsing them."""
        captured: list[str] = []
        size = 0

        def capturing() -> Iterator[str]:
            nonlocal size
            for line in lines:
                captured.append(line)
                size += len(line)
                yield line.replace("\x00", "")  # as TextChunk.records() will, which also counts them

        try:
            for _record in read_records(csv.reader(capturing())):
                if size >= self._chars:
                    chunk = TextChunk(line_offset, "".join(captured))
                    line_offset, size = line_offset + len(captured), 0
                    captured.clear()
                    yield chunk
        except UNREADABLE as error:
            raise self._unreadable(line_offset + len(captured), error) from error
        if captured:  # the last records, or only blank lines
            yield TextChunk(line_offset, "".join(captured))
