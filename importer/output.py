"""Files the importer writes (generated samples, SQL scripts): whole, or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def written_whole(path: Path) -> Iterator[BinaryIO]:
    """Yield a binary file that takes the name `path` only once the block ends.

    It is written beside `path` under a `.partial` name. An error or Ctrl-C midway removes it,
    so a half-written file never stands under the name asked for, and a file already there
    stays as it was. The caller may wrap the file (gzip, text) and close it through the wrapper.
    """
    partial = path.with_name(path.name + ".partial")
    try:
        file = open(partial, "wb")  # noqa: SIM115 - closed below, or by the caller's wrapper
    except OSError as error:  # name the file that was asked for, not the partial one
        raise OSError(error.errno, error.strerror, str(path)) from error
    try:
        with file:
            yield file
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
