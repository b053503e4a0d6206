"""Where a load's precompute spends the database's time: each statement alone, in CPU seconds.

    python -m bench.precompute_profile                          # 45,000 generated records, 3 loads
    python -m bench.precompute_profile --records 450000 --loads 1

Loads a generated file (seed 0) into a scratch schema with the importer, as
`bench.import_bench` does, except that the statements of the precompute phase (fills and
index builds, db.precompute.precompute_and_index) run one after another on one connection
instead of being shared out over several, and the CPU time that connection's server process
spends on each is read from /proc/PID/schedstat (PostgreSQL must run on this host). CPU time
moves far less than wall time with the other work of a shared host. Prints each statement's
least CPU time over the loads, longest first, then each task's (a table with the tables read
from it, which one connection runs in turn) and their sum: on N cores, the precompute phase
takes at least the sum over N and at least the longest task.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text

import db.precompute
from bench.import_bench import DEFAULT_URL

Timings = list[list[tuple[str, float]]]  # per task: (statement, CPU seconds)


def serial_runner(timings: Timings):  # type: ignore[no-untyped-def]
    """A stand-in for db.parallel.run_on_connections that runs every task on one connection, timing each statement."""

    def run(
        engine: Engine,
        tasks: Sequence[Sequence[str]],
        *,
        connections: int,
        setup: Sequence[str] = (),
        parameters: Mapping[str, object] | None = None,
    ) -> None:
        with engine.connect() as connection, connection.begin():
            for statement in setup:
                connection.exec_driver_sql(statement)
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            schedstat = Path(f"/proc/{pid}/schedstat")
            for task in tasks:
                timings.append([])
                for statement in task:
                    before = int(schedstat.read_text().split()[0])
                    connection.execute(text(statement), parameters or {})
                    seconds = (int(schedstat.read_text().split()[0]) - before) / 1e9
                    timings[-1].append((statement, seconds))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=45_000)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()

    from db.engine import make_engine
    from db.migrate import upgrade
    from importer.pipeline import ImportOptions, import_file
    from importer.sample.generate import generate_file

    admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(args.database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    runs: list[Timings] = []
    try:
        engine = make_engine(url.render_as_string(False))
        upgrade(engine)
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"generated-{args.records}.csv"
            generate_file(path, records=args.records, seed=0)
            for _ in range(args.loads):
                runs.append([])
                db.precompute.run_on_connections = serial_runner(runs[-1])  # type: ignore[assignment]
                import_file(engine, path, ImportOptions(force=True))
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    report(runs)


def report(runs: list[Timings]) -> None:
    """Each statement's and each task's least CPU time over the runs (the same statements in the same order each run)."""
    best = [
        [(statement, min(run[t][s][1] for run in runs)) for s, (statement, _) in enumerate(task)]
        for t, task in enumerate(runs[0])
    ]
    statements = sorted((item for task in best for item in task), key=lambda item: -item[1])
    for statement, seconds in statements:
        print(f"{seconds * 1000:8.1f} ms  {' '.join(statement.split())[:110]}")
    print()
    for task in sorted(best, key=lambda task: -sum(seconds for _, seconds in task)):
        named = next(statement for statement, _ in task if not statement.startswith("SET"))
        print(f"{sum(seconds for _, seconds in task) * 1000:8.1f} ms  task of {_target(named)}")
    print(f"{sum(seconds for _, seconds in statements) * 1000:8.1f} ms  in all")


def _target(statement: str) -> str:
    """The table a statement fills or indexes (its name without the version suffix)."""
    words = statement.split()  # INSERT INTO table ..., or CREATE [UNIQUE] INDEX name ON table ...
    table = words[2] if words[0] == "INSERT" else words[words.index("ON") + 1]
    return table.rsplit("_v", 1)[0]


if __name__ == "__main__":
    main()
