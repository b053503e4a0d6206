"""The precompute profile runs end to end and accounts for every task of the precompute (not a timed test)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from db.partitions import VERSIONED_TABLES
from db.precompute import DERIVED_FROM
from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[1]


def test_the_profile_times_one_task_per_table_and_their_sum(postgres_engine: Engine) -> None:
    # postgres_engine only makes the test skip (or fail under CI) where PostgreSQL is absent;
    # the benchmark makes and drops a scratch schema of its own.
    command = [sys.executable, "-m", "bench.precompute_profile", "--records", "2000", "--loads", "1"]
    finished = subprocess.run(
        [*command, "--database-url", POSTGRES_URL], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr
    tasks = re.findall(r"^ +([\d.]+) ms  task of (\w+)$", finished.stdout, re.MULTILINE)
    assert sorted(table for _, table in tasks) == sorted(set(VERSIONED_TABLES) - set(DERIVED_FROM))
    total = re.search(r"^ +([\d.]+) ms  in all$", finished.stdout, re.MULTILINE)
    assert total is not None and float(total.group(1)) > 0
    assert abs(sum(float(ms) for ms, _ in tasks) - float(total.group(1))) < 0.1 * len(tasks)
