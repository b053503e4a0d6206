"""The input file as it stood when the import began, and the proof that it stayed so (data rule 22).

An import reads its file more than once: whole for the sha256 that names the version's source,
then for its records. Meanwhile a copy may still be writing it, or a script replace it. So the
file must be a regular file (a FIFO can be read only once, and opening one waits for a writer),
and once its records are read to the end, the bytes read must be exactly the bytes hashed at the
start, under the same size and modification time. Otherwise the file is refused, and the error
unwinds the load before anything is committed.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from importer.errors import FileChangedError, NotRegularFileError

READ_BYTES = 1 << 20


def open_regular(path: Path) -> io.FileIO:
    """Open a regular file for unbuffered reading; NotRegularFileError for a FIFO, a device, a socket or a folder.

    Opened without blocking, so a FIFO is refused instead of waiting for a writer.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    status = os.fstat(descriptor)
    if stat.S_ISDIR(status.st_mode):
        os.close(descriptor)
        raise NotRegularFileError(f"{path}: a folder. Pass the movies_metadata.csv file in it.")
    if not stat.S_ISREG(status.st_mode):
        os.close(descriptor)
        raise NotRegularFileError(
            f"{path}: not a regular file ({_kind(status.st_mode)}), which the import cannot read twice. "
            "Copy it to a regular file first (`cat SOURCE > movies.csv`) and import that."
        )
    if hasattr(os, "set_blocking"):
        os.set_blocking(descriptor, True)
    return open(descriptor, "rb", buffering=0)


def buffered(raw: io.RawIOBase) -> io.BufferedReader:
    """`raw` buffered as open() buffers a file: by the file system's block size (how much text a first decode sees)."""
    return io.BufferedReader(raw, buffer_size=max(os.fstat(raw.fileno()).st_blksize, 1))


def _kind(mode: int) -> str:
    kinds = {stat.S_ISFIFO: "a FIFO", stat.S_ISCHR: "a character device"}
    kinds |= {stat.S_ISBLK: "a block device", stat.S_ISSOCK: "a socket"}
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


@dataclass(frozen=True, slots=True)
class FileSnapshot:
    """A regular file's size, modification time and sha256 when the import began."""

    path: Path
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def take(cls, path: Path) -> FileSnapshot:
        """Hash the file (as stored: compressed bytes for .gz), after refusing one that is not regular."""
        digest = hashlib.sha256()
        with open_regular(path) as file:
            status = os.fstat(file.fileno())
            while chunk := file.read(READ_BYTES):
                digest.update(chunk)
        return cls(path, status.st_size, status.st_mtime_ns, digest.hexdigest())

    def open_verified(self) -> io.BufferedReader:
        """The file's bytes, as open_regular gives them; reading to the end raises FileChangedError if they changed."""
        return buffered(_Verified(open_regular(self.path), self))

    def check_unchanged(self, bytes_read: int, sha256: str) -> None:
        """Raise FileChangedError unless the bytes read to the end and the file now match the snapshot."""
        now = os.stat(self.path)
        problems = []
        if bytes_read != self.size or now.st_size != self.size:
            problems.append(f"{self.size:,} bytes at the start, {bytes_read:,} read, {now.st_size:,} now")
        if now.st_mtime_ns != self.mtime_ns:
            problems.append("its modification time changed")
        if sha256 != self.sha256:
            problems.append("the bytes read differ from those hashed at the start (sha256)")
        if problems:
            raise FileChangedError(
                f"{self.path}: the file changed while it was read ({'; '.join(problems)}), so nothing was loaded. "
                "Wait until it is completely written (or import a copy of it) and import it again."
            )


class _Verified(io.RawIOBase):
    """A file's bytes, hashed as they are read; at the end of the file, checked against the snapshot."""

    def __init__(self, file: io.FileIO, snapshot: FileSnapshot) -> None:
        super().__init__()
        self._file, self._snapshot = file, snapshot
        self._digest = hashlib.sha256()
        self._read = 0
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]  # RawIOBase's own signature
        size = self._file.readinto(buffer) or 0  # None only from a non-blocking file, which it is not
        if size:
            self._digest.update(memoryview(buffer)[:size])
            self._read += size
        elif not self._checked and len(buffer):  # the end of the file
            self._checked = True
            self._snapshot.check_unchanged(self._read, self._digest.hexdigest())
        return size

    def tell(self) -> int:
        return self._read

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()
        super().close()
