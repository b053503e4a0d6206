"""Files the importer writes (generated samples, SQL scripts): whole, or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """Yield a path beside `path` to write to; it takes the name `path` only once the block ends.

    An error or Ctrl-C midway removes it instead, so a half-written file never stands under the
    name asked for, and a file already there stays as it was.
    """
    partial = path.with_name(path.name + ".partial")
    try:
        yield partial
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
