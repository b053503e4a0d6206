"""The import benchmark runs end to end and reports what docs/benchmarks.md quotes (not a timed test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, make_url

from db.engine import make_engine
from db.migrate import upgrade
from importer.pipeline import ImportOptions, import_file
from importer.sample.generate import generate_file
from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[1]
RECORDS = 3_000


def test_import_bench_loads_the_same_movies_as_a_direct_import(postgres_engine: Engine, tmp_path: Path) -> None:
    # postgres_engine only makes the test skip (or fail under CI) where PostgreSQL is absent;
    # the benchmark makes and drops a scratch schema of its own.
    command = [sys.executable, "-m", "bench.import_bench", "--records", str(RECORDS), "--runs", "1"]
    command += ["--skip-pandas", "--database-url", POSTGRES_URL]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    ours = report["movie_stats"]
    vacuumed, reference = finished.stderr.splitlines()[:2]  # before measuring
    assert vacuumed.startswith("vacuumed the system catalogs: "), finished.stderr
    assert reference == (
        f"host reference: {report['host_reference_seconds']['python']} s of Python, "
        f"{report['host_reference_seconds']['database']} s of PostgreSQL (a usual-speed host: 0.11 s and 0.35 s)"
    )
    assert all(seconds > 0 for seconds in report["host_reference_seconds"].values())

    # The same generated file (the benchmark's seed is 0), loaded into SQLite by the importer.
    path = tmp_path / "generated.csv"
    generate_file(path, records=RECORDS, seed=0)
    sqlite = make_engine(f"sqlite:///{tmp_path / 'direct.sqlite3'}")
    upgrade(sqlite)
    direct = import_file(sqlite, path, ImportOptions())
    sqlite.dispose()

    assert ours["movies"] == direct.movies
    assert list(ours["phase_median_seconds"]) == ["stage", "build", "precompute", "attach", "check"]
    if Path("/proc/self/smaps_rollup").exists():  # each page counted once: never above the sum of RSS peaks
        assert 0 < ours["all_processes_peak_pss_mb"] <= ours["all_processes_peak_rss_mb_at_most"]
    cpu = ours["cpu_seconds_median"]
    assert cpu["importer"] > 0
    if make_url(POSTGRES_URL).host in {"127.0.0.1", "localhost"}:  # its backends' CPU is read from /proc
        assert cpu["database"] > 0
