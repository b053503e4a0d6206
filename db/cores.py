"""How much of a load runs in parallel, derived in this one place from the machine's cores.

Measured on 2 cores (docs/benchmarks.md): two connections for the build and for the precompute,
and two worker processes to clean a large file, were best, one per core. So each figure is one
per core, capped where more cannot help: the one process that reads a file feeds about four
workers, and the longest table's work stays on one connection however many there are.
"""

from __future__ import annotations

import os

CORES = os.cpu_count() or 1
MAX_CONNECTIONS = 4  # never measured above 2: more would hold connections the longest task leaves idle
MAX_AUTO_WORKERS = 4  # the reader feeds about four workers (0.25 CPU-s against their 0.96 for 45,000 records)


def parallel_connections(cores: int = CORES) -> int:
    """Connections the build and the precompute each spread their statements over (PostgreSQL)."""
    return max(1, min(cores, MAX_CONNECTIONS))


def auto_workers(cores: int = CORES) -> int:
    """Worker processes that clean a large file when none are asked for: none on a single core."""
    return min(cores, MAX_AUTO_WORKERS) if cores > 1 else 0
