"""How to load a file: the options of an import and their limits, light enough for the CLI to import at start."""

from __future__ import annotations

from dataclasses import dataclass, field

from db.cores import auto_workers
from importer.checks import CheckLimits

FULL, INCREMENTAL = "full", "incremental"

# Cleaning in worker processes pays off once a file takes longer to clean than processes take
# to start and feed (see docs/benchmarks.md); one a core, capped, none on one core (db.cores).
AUTO_WORKERS = auto_workers()
AUTO_WORKERS_MIN_BYTES = 4 << 20
# More cannot help: the one process that reads the file feeds about four workers (0.25 CPU-s
# against their 0.96 for 45,000 records), and each worker's RSS is about 150 MB, much of it
# shared with the importer (docs/benchmarks.md).
MAX_WORKERS = 16

# A generated sample is marked in its version's source name, which every listing and the API show.
SAMPLE_MARK = " (generated sample)"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to load a file."""

    mode: str = FULL
    stage_only: bool = False
    force: bool = False  # load an unchanged file again, and go live despite failed checks
    wait_for_lock: bool = True
    limits: CheckLimits = field(default_factory=CheckLimits)
    workers: int | None = None  # processes that clean records; None: AUTO_WORKERS for large files
    sample: bool = False  # the file is a generated sample: its version's source says so
    replace_sample: bool = False  # a live generated sample does not hold this load back (no shrink check)


def source_name(file_name: str, options: ImportOptions) -> str:
    """The source recorded on the version: the file's name, marked when it is a generated sample."""
    return file_name + SAMPLE_MARK if options.sample else file_name


def is_sample(source: str) -> bool:
    """Whether a version's source is a generated sample."""
    return source.endswith(SAMPLE_MARK)
