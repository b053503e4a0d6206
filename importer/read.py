"""Stage 1: stream CSV records out of a plain or gzip file, with their line numbers."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, Protocol

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

# A broken quote can make one field swallow many lines; it must not crash the reader.
csv.field_size_limit(64 * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One CSV record: the line it starts on and its fields, untouched."""

    line: int
    fields: list[str]


@dataclass(frozen=True, slots=True)
class TextChunk:
    """Whole records as they stand in the file, and the line before the first of them."""

    line_offset: int
    text: str

    def records(self) -> Iterator[RawRecord | csv.Error]:
        """The chunk's records, numbered by their line in the file, as `CsvSource.records` gives them."""
        return read_records(csv.reader(io.StringIO(self.text, newline="")), self.line_offset)


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
            self.nul_lines = 0  # lines that held NUL characters, removed (PostgreSQL text cannot hold them)
            self._captured: list[str] | None = None  # lines read, kept while text_chunks() runs
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
            if self._captured is not None:
                self._captured.append(line)
            yield line

    def records(self) -> Iterator[RawRecord | csv.Error]:
        """Yield every record; a record the CSV parser cannot read is yielded as its error."""
        try:
            yield from read_records(self._reader)
        except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as error:
            raise NotCsvError(
                f"{self.path}: unreadable after line {self._reader.line_num} ({error}). "
                "The file must be UTF-8 CSV, plain or gzip; check that it was copied completely."
            ) from error

    def text_chunks(self, records_per_chunk: int) -> Iterator[TextChunk]:
        """The remaining records as pieces of text holding whole records, to be parsed elsewhere.

        The records are parsed here too, but only to find where a piece may end (a quoted field
        can span lines); `TextChunk.records()` then yields exactly what `records()` would have.
        """
        self._captured = captured = []
        try:
            line_offset, count = self._reader.line_num, 0
            for _record in self.records():
                count += 1
                if count == records_per_chunk:
                    yield TextChunk(line_offset, "".join(captured))
                    captured.clear()
                    line_offset, count = self._reader.line_num, 0
            if captured:  # the last records, or only blank lines
                yield TextChunk(line_offset, "".join(captured))
        finally:
            self._captured = None

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
        except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, csv.Error) as error:
            raise NotCsvError(
                f"{self.path}: not a UTF-8 CSV file ({error}). Pass movies_metadata.csv, plain or gzip-compressed."
            ) from error
        return Header.from_names(self.path, names)
