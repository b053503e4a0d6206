"""How much of a load runs in parallel follows the machine's cores, from one place (db.cores)."""

from __future__ import annotations

import os

from db.build import BUILD_CONNECTIONS
from db.cores import auto_workers, parallel_connections
from db.precompute import PRECOMPUTE_CONNECTIONS
from importer.options import AUTO_WORKERS


def test_one_connection_and_one_worker_a_core_capped_and_no_workers_on_one_core() -> None:
    assert [parallel_connections(cores) for cores in (1, 2, 3, 4, 16)] == [1, 2, 3, 4, 4]
    assert [auto_workers(cores) for cores in (1, 2, 3, 4, 16)] == [0, 2, 3, 4, 4]


def test_the_load_uses_the_figures_of_this_machine() -> None:
    cores = os.cpu_count() or 1
    assert BUILD_CONNECTIONS == PRECOMPUTE_CONNECTIONS == parallel_connections(cores)
    assert auto_workers(cores) == AUTO_WORKERS
