"""Stage 1: stream CSV records out of a plain or gzip file, with their line numbers."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar, cast

from db.fields import CSV_COLUMNS, REQUIRED_CSV_COLUMNS
from importer.errors import DuplicateColumnsError, HeaderTooLongError, MissingColumnsError, NotCsvError, TooWideError
from importer.snapshot import FileSnapshot, buffered, open_regular

GZIP_MAGIC = b"\x1f\x8b"
# What reading a file that is not UTF-8, or a broken .gz, raises partway.
UNREADABLE = (UnicodeDecodeError, gzip.BadGzipFile, EOFError)

# Rule 22's bounds, counted in characters (1 MiB of plain text): a record longer than
# MAX_RECORD_BYTES is rejected; a header past it, or with more than MAX_COLUMNS names, refuses the file.
MAX_RECORD_BYTES = 1 << 20
MAX_COLUMNS = 1_000
# A broken quote can make one field swallow many lines: the parser stops it at twice the bound
# with a csv.Error, a rejection of its own, and reads on at the next line. Past the bound only,
# the record would be cut in the middle of a line and the rest of it read as records of its own:
# so a record over several lines is parsed whole, then refused by its length (read_records).
FIELD_LIMIT = 2 * MAX_RECORD_BYTES
csv.field_size_limit(FIELD_LIMIT)


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One CSV record: the line it starts on and its fields, untouched."""

    line: int
    fields: list[str]


# NULs, which PostgreSQL text cannot hold, are removed before text is parsed (they also change
# how the csv module parses a line), and the lines that held one are counted: here alone, from
# each line the csv module parses (`nul_free`), from a piece's bytes for Arrow (`TextChunk.without_nul`).
NUL = "\x00"


def nul_free(line: str) -> str:
    """A line of text without its NUL characters."""
    return line.replace(NUL, "") if NUL in line else line


# Appended after a piece's last record when its end must be checked, as a record of its own
# (END_MARK, then empty fields): the parser reads it as one only if the piece ends between
# records; cut inside a quoted field, the piece swallows it into that field. No record of the
# file can hold it: a piece's NULs are removed before it is parsed.
END_MARK = NUL


def end_mark_record(width: int) -> bytes:
    """The end mark as a CSV line of `width` fields (Arrow refuses a record narrower than the header)."""
    return (END_MARK + "," * (width - 1) + "\n").encode("utf-8")


class ChunkBoundaryError(Exception):
    """A chunk cut by counting quotes ends inside a quoted field (see RecordChunks)."""


class UnreadablePiece(Exception):
    """A piece that is not UTF-8: the line it fails on, and the decoder's reason."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(line, reason)  # as they are, so that it pickles back from a worker
        self.line, self.reason = line, reason


@dataclass(frozen=True, slots=True)
class TextChunk:
    """Whole records as they stand in the file (UTF-8), and the line before the first of them.

    Bytes, not text: the importer passes them on to a worker process without decoding them
    (docs/benchmarks.md), and the worker decodes them.
    """

    line_offset: int
    data: bytes
    check_end: bool = False  # cut where quotes pair up: records() checks that it ends between records

    def without_nul(self) -> tuple[TextChunk | None, int]:
        """This piece without NUL characters, and how many of its lines held one.

        None instead of the piece where a NUL follows a `\r`: removing it would join two line
        ends into one `\r\n` (records() removes NULs line by line instead). In UTF-8 no byte
        of a longer character is a NUL.
        """
        if b"\x00" not in self.data:
            return self, 0
        nul_lines = sum(b"\x00" in line for line in self.data.splitlines())  # split at \n, \r\n and \r only
        if b"\r\x00" in self.data:
            return None, nul_lines
        return TextChunk(self.line_offset, self.data.replace(b"\x00", b""), self.check_end), nul_lines

    def records(self) -> Iterator[RawRecord | csv.Error]:
        """The chunk's records, numbered by their line in the file, NULs removed.

        Raises UnreadablePiece at once if the chunk is not UTF-8. With `check_end`, raises
        ChunkBoundaryError at the end if the chunk does not end between records.
        """
        try:
            text = self.data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise UnreadablePiece(self.line_offset + count_lines(self.data[: error.start]), str(error)) from None
        lines = map(nul_free, bounded_lines(io.StringIO(text, newline="").readline))
        if not self.check_end:
            return read_records(csv.reader(lines), self.line_offset)
        mark = end_mark_record(1).decode("utf-8")
        return self._records_then_end_mark(read_records(csv.reader(itertools.chain(lines, [mark])), self.line_offset))

    def _records_then_end_mark(self, records: Iterator[RawRecord | csv.Error]) -> Iterator[RawRecord | csv.Error]:
        last = None
        for record in records:
            if last is not None:
                yield last
            last = record
        if not (isinstance(last, RawRecord) and last.fields == [END_MARK]):
            raise ChunkBoundaryError(f"the chunk after line {self.line_offset} does not end between records")


def count_lines(data: bytes) -> int:
    """Lines in UTF-8 `data` as a file opened with newline="" reads them (`\n`, `\r\n` or `\r` ends one)."""
    lines = data.count(b"\n")
    if b"\r" in data:  # rare: most files end lines with \n alone
        lines += data.count(b"\r") - data.count(b"\r\n")
    return lines


# A line is read in pieces of this many characters at most, so that one line of a gigabyte is
# never held whole (rule 22): a line longer than MAX_RECORD_BYTES characters is replaced by
# TOO_LONG_LINE, which the csv module refuses as a field past its limit (a record longer than
# 1 MiB), whatever state it is in, so the parser reads on at the next line as for any refused field.
_LINE_READ = MAX_RECORD_BYTES + 2  # the longest line kept, with a `\r\n`
TOO_LONG_LINE = "x" * (FIELD_LIMIT + 1) + "\n"


def bounded_lines(readline: Callable[[int], str]) -> Iterator[str]:
    """The lines `readline` gives (of text opened with newline=""), each past MAX_RECORD_BYTES characters as TOO_LONG_LINE."""
    line = readline(_LINE_READ)
    while line:
        if len(line) <= MAX_RECORD_BYTES or _content_length(line) <= MAX_RECORD_BYTES:  # nearly every line
            yield line
            line = readline(_LINE_READ)
            continue
        last = line
        while last and not last.endswith(("\n", "\r")):  # skip the rest of the line, a piece at a time
            last = readline(_LINE_READ)
        yield TOO_LONG_LINE
        line = readline(_LINE_READ)
        if line == "\n" and last.endswith("\r") and len(last) == _LINE_READ:
            line = readline(_LINE_READ)  # the `\n` of a `\r\n` that the read's limit cut in two


def _content_length(line: str) -> int:
    """A line's length without its line end."""
    if line.endswith("\n"):
        return len(line) - (2 if line.endswith("\r\n") else 1)
    return len(line) - line.endswith("\r")


def _end_of_last_record(data: bytes) -> int:
    """Where UTF-8 `data` (starting between records) may be cut: after its last newline outside quotes; 0 if none.

    Outside quoted fields a field's quotes come in pairs, so a newline preceded by an even
    number of quotes ends a record, unless a stray quote in an unquoted field spoils the count.
    In UTF-8 no byte of a longer character is a newline or a quote.
    """
    end = data.rfind(b"\n")
    quotes = data.count(b'"', 0, end + 1)
    while end >= 0 and quotes % 2:
        previous = data.rfind(b"\n", 0, end)
        quotes -= data.count(b'"', previous + 1, end + 1)
        end = previous
    return end + 1


class CsvReader(Protocol):
    """What `csv.reader` returns: records, and the number of lines read so far."""

    line_num: int

    def __next__(self) -> list[str]: ...


def read_records(reader: CsvReader, line_offset: int = 0) -> Iterator[RawRecord | csv.Error]:
    """Yield the records of a csv.reader numbered by the line they start on (after `line_offset`).

    A record the parser cannot read is yielded as its error, with its line as `error.line`; the
    parser then goes on at the next line. So is a record longer than MAX_RECORD_BYTES characters
    (RecordTooLong): one line cannot be (see bounded_lines), so only a record over several is
    measured. Blank lines are not records.
    """
    previous_end = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            error.line = line_offset + previous_end + 1  # type: ignore[attr-defined]  # csv.Error has no line; ours carry one
            previous_end = reader.line_num
            yield error
            continue
        start = line_offset + previous_end + 1
        spans_lines = reader.line_num - previous_end > 1
        previous_end = reader.line_num
        if spans_lines and sum(map(len, fields)) > MAX_RECORD_BYTES:
            too_long = RecordTooLong(f"a record of more than {MAX_RECORD_BYTES:,} characters")
            too_long.line = start  # type: ignore[attr-defined]  # like csv.Error above: the line travels on the error
            yield too_long
        elif fields:
            yield RawRecord(start, fields)


class RecordTooLong(csv.Error):
    """A record longer than rule 22 allows, refused as the parser refuses a field past its limit."""


@dataclass(frozen=True, slots=True)
class Header:
    """Where each known column sits in a record."""

    width: int
    complete: bool  # every optional column is present
    positions: tuple[int, ...]  # each of CSV_COLUMNS' field in a record; `width` for an absent optional column
    # A record's values in CSV_COLUMNS order, made from `positions`.
    pick: Callable[[list[str]], tuple[str, ...]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pick", itemgetter(*self.positions))

    @classmethod
    def from_names(cls, path: object, names: list[str]) -> Header:
        """Match columns by name (extra columns are ignored); refuse a header rule 22 bounds, or one missing a required column."""
        if len(names) > MAX_COLUMNS:
            raise TooWideError(str(path), len(names), MAX_COLUMNS)
        names = [name.strip() for name in names]
        positions = {name: i for i, name in enumerate(names)}
        if len(positions) < len(names) and (twice := _named_twice(names)):
            raise DuplicateColumnsError(str(path), twice)
        missing = [column for column in REQUIRED_CSV_COLUMNS if column not in positions]
        if missing:
            raise MissingColumnsError(str(path), missing, names)
        # An absent optional column reads from one padding field past the end: an empty value.
        picks = tuple(positions.get(column, len(names)) for column in CSV_COLUMNS)
        return cls(width=len(names), complete=all(c in positions for c in CSV_COLUMNS), positions=picks)


def _named_twice(names: list[str]) -> list[str]:
    """The names a header gives more than one column, in order; an empty name names nothing."""
    seen: set[str] = set()
    twice = []
    for name in names:
        if name in seen and name and name not in twice:
            twice.append(name)
        seen.add(name)
    return twice


class CsvSource:
    """An open input file: its header, then its records as pieces of whole records (`text_chunks`)."""

    def __init__(self, path: Path, snapshot: FileSnapshot | None = None) -> None:
        self.path = path
        self._snapshot = snapshot  # when given, reading to the end checks that the file did not change (rule 22)
        self._files: list[BinaryIO] = []  # closed by close()
        try:
            self._header_lines: list[str] = []  # the lines the header is written on, as in the file
            with io.TextIOWrapper(self._open(), encoding="utf-8-sig", newline="") as text:
                self.header = self._read_header(text)
        except BaseException:
            self.close()
            raise

    def _open(self) -> BinaryIO:
        """A new stream of the file's bytes (decompressed if it is gzip); NotRegularFileError for a FIFO or a device."""
        file = self._snapshot.open_verified() if self._snapshot else buffered(open_regular(self.path))
        self._files.append(file)
        magic = file.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)]  # peeked, not read: the stream is read once, in order
        return cast(BinaryIO, gzip.GzipFile(fileobj=file)) if magic == GZIP_MAGIC else file

    def bytes_read(self) -> int:
        """Position in the file on disk (compressed bytes for .gz), for progress."""
        return self._files[-1].tell()

    def _first_lines(self, text: io.TextIOWrapper) -> Iterator[str]:
        """The file's lines, kept in _header_lines, read in bounded pieces: the header's must not pass 1 MiB."""
        header_chars = 0
        while line := text.readline(MAX_RECORD_BYTES + 1):
            header_chars += len(line)
            if header_chars > MAX_RECORD_BYTES:
                raise HeaderTooLongError(
                    f"{self.path}: the header is longer than 1 MiB ({MAX_RECORD_BYTES:,} characters). "
                    "Check that the first line is the header of movies_metadata.csv."
                )
            self._header_lines.append(line)
            yield line

    def text_chunks(self, size: int) -> RecordChunks:
        """The records after the header as pieces of about `size` bytes, to be parsed elsewhere (TextChunk.records).

        Read from a stream of their own: the header's text reader has read ahead of the header.
        """
        stream = self._open()
        bom = stream.read(len(codecs.BOM_UTF8))  # which the header's text does not hold
        header_bytes = len("".join(self._header_lines).encode("utf-8"))
        _skip(stream, header_bytes - (0 if bom == codecs.BOM_UTF8 else len(bom)))
        return RecordChunks(stream, len(self._header_lines), size, self._unreadable)

    def _unreadable(self, line: int, error: object) -> NotCsvError:
        return NotCsvError(f"{self.path}: unreadable after line {line} ({error}). {_advice(error)}")

    def close(self) -> None:
        """Close the file."""
        for file in self._files:
            file.close()

    def __enter__(self) -> CsvSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _read_header(self, text: io.TextIOWrapper) -> Header:
        """Parse the first record as the header; the lines that held NULs are counted in `nul_lines`."""
        try:
            names = next(csv.reader(map(nul_free, self._first_lines(text))))  # a quoted name may span lines
        except StopIteration:
            raise NotCsvError(f"{self.path}: the file is empty. Expected a header row and records.") from None
        except (*UNREADABLE, csv.Error) as error:
            raise NotCsvError(
                f"{self.path}: not a UTF-8 CSV file ({error}). Pass movies_metadata.csv, plain or gzip-compressed."
                + (f" {_advice(error)}" if isinstance(error, UnicodeDecodeError) else "")
            ) from error
        self.nul_lines = sum(NUL in line for line in self._header_lines)
        return Header.from_names(self.path, names)


def _advice(error: object) -> str:
    """What to do about a file that stops being readable: text in another encoding, or a cut file."""
    if isinstance(error, UnicodeDecodeError) or "can't decode" in str(error):  # a worker's error comes as text
        return "The file must be UTF-8: convert it first (for example `iconv -f latin1 -t utf-8 IN > OUT`)."
    return "The file must be UTF-8 CSV, plain or gzip; check that it was copied completely."


# A run of text this many chunks long without a newline outside quotes is cut by parsing.
MAX_CHUNKS_WITHOUT_CUT = 16
T = TypeVar("T")


class RecordChunks:
    """The rest of a CsvSource as TextChunks of whole records, about `size` bytes each.

    Finding where records end needs neither decoding nor parsing: a newline ends a record
    unless it lies inside a quoted field, and a quoted field holds an even number of quotes,
    so a newline after an even number of quotes (counted from the last cut) ends a record.
    bytes.count and bytes.rfind find one at C speed, where parsing each record cost the
    importer a third of its CPU time (docs/benchmarks.md). A stray quote in an unquoted field
    (`5" floppy`) spoils the count, so each such chunk has its end checked by whoever parses it
    (TextChunk.check_end), and `recut_by_parsing` then cuts that chunk and all that follows by
    parsing instead. So does a long run of text with no cut.
    """

    def __init__(
        self, stream: BinaryIO, line_offset: int, size: int, unreadable: Callable[[int, object], Exception]
    ) -> None:
        self._stream, self._size = stream, size
        self._unreadable = unreadable  # the error to raise when the file cannot be read after a given line
        self._carry = b""  # bytes read past the last cut
        self._next_line = line_offset  # lines before the next chunk
        self._lines: Iterator[str] | None = None  # once cutting by parsing: the lines not yet parsed
        self._parsed: Iterator[TextChunk] = iter(())

    def __iter__(self) -> RecordChunks:
        return self

    def __next__(self) -> TextChunk:
        if self._lines is not None:
            return next(self._parsed)
        while True:
            more = self._read(self._stream.read, self._size)
            data = self._carry + more
            if not more:  # the end of the file: the last records end with it
                self._carry = b""
                if not data:
                    raise StopIteration
                return self._chunk(data, check_end=False)
            cut = _end_of_last_record(data)
            if cut:
                self._carry = data[cut:]
                return self._chunk(data[:cut], check_end=True)
            self._carry = data
            if len(data) > MAX_CHUNKS_WITHOUT_CUT * self._size:
                self.recut_by_parsing([])
                return next(self._parsed)

    def parsed_in_order(self, start: Callable[[TextChunk], Future[T]], ahead: int) -> Iterator[T]:
        """Start parsing each chunk, up to `ahead` chunks beyond the one awaited; yield the results in file order.

        When a chunk's parse fails with ChunkBoundaryError, that chunk and the ones after it are
        cut again by parsing (`recut_by_parsing`) and started anew; their other results are dropped.
        A chunk that is not UTF-8 (UnreadablePiece) makes the file unreadable from its line on.
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
            except UnreadablePiece as error:
                raise self._unreadable(error.line, error.reason) from error
            yield result

    def _read(self, read: Callable[[int], bytes], size: int) -> bytes:
        try:
            return read(size)
        except UNREADABLE as error:
            raise self._unreadable(self._next_line + count_lines(self._carry), error) from error

    def _chunk(self, data: bytes, *, check_end: bool) -> TextChunk:
        chunk = TextChunk(self._next_line, data, check_end)
        self._next_line += count_lines(data)
        return chunk

    def recut_by_parsing(self, pending: list[TextChunk]) -> None:
        """Cut `pending` and the rest of the file by parsing, from here on.

        `pending` are chunks handed out, in order, up to the last one: the first of them did not
        end between records (ChunkBoundaryError), so none of them holds what it should.
        """
        data = b"".join(chunk.data for chunk in pending) + self._carry
        line_offset = pending[0].line_offset if pending else self._next_line
        self._carry = b""
        if self._lines is None:  # the bytes not yet read follow `data`
            self._lines = _text_lines(_Prepended(data, self._stream))
        else:  # cut by parsing already: the lines not yet parsed follow `data`
            self._lines = itertools.chain(_text_lines(_Prepended(data, io.BytesIO())), self._lines)
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
                yield nul_free(line)

        try:
            for _record in read_records(csv.reader(capturing())):
                if size >= self._size:
                    chunk = TextChunk(line_offset, "".join(captured).encode("utf-8"))
                    line_offset, size = line_offset + len(captured), 0
                    captured.clear()
                    yield chunk
        except UNREADABLE as error:
            raise self._unreadable(line_offset + len(captured), error) from error
        if captured:  # the last records, or only blank lines
            yield TextChunk(line_offset, "".join(captured).encode("utf-8"))


def _text_lines(raw: io.RawIOBase) -> Iterator[str]:
    """The lines of UTF-8 bytes as a file opened with newline="" reads them, bounded; a decoding error raises midway."""
    return bounded_lines(io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", newline="").readline)


class _Prepended(io.RawIOBase):
    """Bytes already read from a stream, then the rest of the stream: reads them again in order."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        super().__init__()
        self._head, self._stream = memoryview(head), stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # typeshed's takes any WriteableBuffer
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _skip(stream: BinaryIO, size: int) -> None:
    """Read past `size` bytes of `stream` (gzip streams cannot seek cheaply)."""
    while size > 0 and (data := stream.read(min(size, 1 << 20))):
        size -= len(data)
