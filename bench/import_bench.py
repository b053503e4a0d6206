"""Import benchmark: our importer against a straightforward pandas pipeline, side by side.

    python -m bench.import_bench                      # 45,000 generated records, 5 runs each
    python -m bench.import_bench --records 4500000 --runs 1 --skip-pandas   # the 100x memory check
    python -m bench.import_bench --one-process-too    # also without worker processes (--workers 0)

Each run is a fresh process (so peak RSS is that run's own) loading the same generated file
into the same PostgreSQL, in a scratch schema dropped afterwards. Times cover the load itself
(file open to live version), not interpreter start-up. Our importer cleans records in worker
processes (two by default, for files of 4 MiB or more); the largest one's peak RSS is reported
apart. On Linux they are forked and share most pages with the importer, so the importer's
peak plus twice the worker's overstates the total.

Before measuring, the benchmark vacuums the system catalogs of its database (bench.catalogs):
the dead rows that test runs leave there slowed every load by up to 15%. `--no-vacuum` skips it.
It also times two fixed workloads that no project code touches (`host_reference_seconds`), to
tell a slower host from a slower importer when comparing runs of different days.

CPU seconds are given per side: the importer process, its workers, and the database's client
backends (read from /proc, so only when PostgreSQL runs on this host). On a machine with N
cores a load cannot take less than their total divided by N.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url

from bench.catalogs import vacuum_catalogs
from bench.host import host_reference, print_host_reference

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
OUR_KINDS = {"ours": None, "ours-one-process": 0}  # worker processes: the default, or none


def child(kind: str, path: Path, url: str, run: int) -> None:
    """One measured load in this process; prints its time, peak RSS, movies and phases as JSON."""
    from db.engine import make_engine
    from db.migrate import upgrade

    # Each side's modules are imported before the clock starts, as start-up (pandas alone takes
    # a good part of a second), and only by its side, whose peak RSS they would otherwise swell.
    if kind in OUR_KINDS:
        import importer.workers  # noqa: F401 - imported by the load only once it starts its workers
        from importer.pipeline import ImportOptions, import_file, worker_count
    else:
        from bench.pandas_pipeline import pandas_import

    engine = make_engine(url)
    upgrade(engine)
    cpu_before = _cpu_seconds(engine)
    memory = TotalMemory()
    memory.start()
    started = time.perf_counter()
    if kind in OUR_KINDS:
        report = import_file(engine, path, ImportOptions(force=True, workers=OUR_KINDS[kind]))
        movies, phases, workers = report.movies, report.phases, worker_count(path, OUR_KINDS[kind])
    else:
        movies, phases, workers = pandas_import(engine, path, version_id=1_000_000 + run), {}, 0
    seconds = time.perf_counter() - started
    memory.stop()
    cpu_after = _cpu_seconds(engine)
    cpu = {side: round(cpu_after[side] - cpu_before[side], 3) for side in cpu_before.keys() & cpu_after.keys()}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb, "workers": workers,
                      "worker_peak_rss_mb": worker_peak_mb, "peak_pss_mb": memory.peak_mb, "movies": movies,
                      "phases": phases, "cpu_seconds": cpu}))  # fmt: skip


class TotalMemory(threading.Thread):
    """The largest total seen of this process's and its children's proportional set size (Linux).

    PSS shares each page among the processes that map it, so the total counts once what the
    forked workers share with the importer, where adding their peak RSS counts it three times.
    Sampled four times a second (a few milliseconds of CPU a second); 0 where /proc lacks it.
    """

    INTERVAL_SECONDS = 0.25

    def __init__(self) -> None:
        super().__init__(name="total-memory", daemon=True)
        self.peak_mb = 0.0
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.is_set():
            self.peak_mb = max(self.peak_mb, self._total_mb())
            self._stopped.wait(self.INTERVAL_SECONDS)

    def stop(self) -> None:
        self._stopped.set()
        self.join()
        self.peak_mb = round(max(self.peak_mb, self._total_mb()), 1)

    @staticmethod
    def _total_mb() -> float:
        own = Path("/proc/self")
        children = [pid for task in own.glob("task/*/children") for pid in task.read_text().split()]
        total_kb = 0
        for process in [own, *(Path("/proc", pid) for pid in children)]:
            try:
                rollup = process.joinpath("smaps_rollup").read_text()
            except OSError:  # a worker that just ended, or no such file here
                continue
            total_kb += sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
        return total_kb / 1024


def _cpu_seconds(engine: Engine) -> dict[str, float]:
    """CPU seconds used so far by this process, its finished workers, and the database's backends."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"importer": own.ru_utime + own.ru_stime, "workers": workers.ru_utime + workers.ru_stime}
    with engine.connect() as connection:
        backends = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'"
        ).scalars()
        ticks = [_process_ticks(pid) for pid in backends]
    if None not in ticks:  # PostgreSQL runs on this host
        result["database"] = sum(ticks) / os.sysconf("SC_CLK_TCK")
    return result


def _process_ticks(pid: int) -> int | None:
    """User plus system CPU time of a local PostgreSQL process in clock ticks; None if not visible."""
    process = Path(f"/proc/{pid}")
    try:  # a remote server's pid may name some unrelated local process
        if process.joinpath("comm").read_text().strip() != "postgres":
            return None
        fields = process.joinpath("stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))


def measure(kind: str, path: Path, url: str, runs: int) -> list[dict]:
    results = []
    for run in range(runs):
        output = subprocess.run(
            [sys.executable, "-m", "bench.import_bench", "--child", kind, str(path), url, str(run)],
            check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
        results.append(json.loads(output.stdout.strip().splitlines()[-1]))
        last = results[-1]
        print(
            f"  {kind:<6} run {run + 1}: {last['seconds']:.3f} s, peak RSS {last['peak_rss_mb']:.0f} MB "
            f"(largest worker process {last['worker_peak_rss_mb']:.0f} MB)",
            file=sys.stderr,
        )
    return results


def summary(records: int, results: list[dict]) -> dict:
    median = statistics.median(r["seconds"] for r in results)
    result = {
        "median_seconds": round(median, 3),
        "min_seconds": round(min(r["seconds"] for r in results), 3),
        "records_per_second": round(records / median),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in results)),
        "worker_peak_rss_mb": round(max(r["worker_peak_rss_mb"] for r in results)),
        # An upper bound: forked workers share pages with the importer, counted here twice.
        "all_processes_peak_rss_mb_at_most": round(
            max(r["peak_rss_mb"] + r["workers"] * r["worker_peak_rss_mb"] for r in results)
        ),
        "all_processes_peak_pss_mb": round(max(r["peak_pss_mb"] for r in results)),  # each page counted once
        "movies": results[0]["movies"],
    }
    # importer, workers and, when it runs on this host, database
    result["cpu_seconds_median"] = _medians(results, "cpu_seconds", digits=2)
    if results[0]["phases"]:  # our importer times its phases; medians show where the time goes
        result["phase_median_seconds"] = _medians(results, "phases", digits=3)
    return result


def _medians(results: list[dict], key: str, *, digits: int) -> dict[str, float]:
    """The median over the runs of each entry of the runs' `key` dict."""
    return {name: round(statistics.median(r[key][name] for r in results), digits) for name in results[0][key]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=45_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--no-vacuum", action="store_true", help="Measure without vacuuming the catalogs first.")
    parser.add_argument(
        "--one-process-too", action="store_true", help="Also time our importer without worker processes (--workers 0)."
    )
    parser.add_argument("--child", nargs=4, metavar=("KIND", "FILE", "URL", "RUN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, file, url, run = args.child
        child(kind, Path(file), url, int(run))
        return

    from importer.sample.generate import generate_file

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
    if not args.no_vacuum:
        print(vacuum_catalogs(admin), file=sys.stderr)  # see bench.catalogs
    reference = host_reference(args.database_url)
    print_host_reference(reference)
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(args.database_url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    try:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"generated-{args.records}.csv"
            started = time.perf_counter()
            generate_file(path, records=args.records, seed=args.seed)
            print(f"generated {args.records:,} records in {time.perf_counter() - started:.1f} s "
                  f"({path.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)  # fmt: skip
            report = {"records": args.records, "file_mb": round(path.stat().st_size / 1e6, 1), "runs": args.runs}
            report["host_reference_seconds"] = reference
            report["movie_stats"] = summary(args.records, measure("ours", path, url, args.runs))
            if args.one_process_too:
                one_process = summary(args.records, measure("ours-one-process", path, url, args.runs))
                report["movie_stats_one_process"] = one_process
                report["workers_speedup"] = round(
                    one_process["median_seconds"] / report["movie_stats"]["median_seconds"], 2
                )
            if not args.skip_pandas:
                report["pandas"] = summary(args.records, measure("pandas", path, url, args.runs))
                report["speedup"] = round(
                    report["pandas"]["median_seconds"] / report["movie_stats"]["median_seconds"], 2
                )
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
