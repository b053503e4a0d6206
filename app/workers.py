"""What several `serve` worker processes share: the folder where they write their metrics."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from app.metrics import MULTIPROCESS_ENV


@contextmanager
def metrics_shared_by_workers() -> Iterator[str]:
    """Point prometheus-client's multiprocess mode at a fresh folder while the workers run.

    The workers inherit the environment, so each one counts into that folder and /metrics,
    whichever worker answers it, adds up all of them. An operator's own PROMETHEUS_MULTIPROC_DIR
    is used as it is (emptied first, as prometheus-client asks) and left in place.
    """
    chosen = os.environ.get(MULTIPROCESS_ENV)
    directory = chosen or tempfile.mkdtemp(prefix="movie-stats-metrics-")
    if chosen:
        os.makedirs(directory, exist_ok=True)
        for entry in os.scandir(directory):
            if entry.name.endswith(".db"):
                os.remove(entry.path)
    os.environ[MULTIPROCESS_ENV] = directory
    try:
        yield directory
    finally:
        if not chosen:
            os.environ.pop(MULTIPROCESS_ENV, None)
            shutil.rmtree(directory, ignore_errors=True)
