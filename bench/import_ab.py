"""This checkout's importer against an older commit's, run by turns on one generated file.

    python -m bench.import_ab --against 8e4b3b8            # 45,000 records, 4 runs each
    python -m bench.import_ab --against 8e4b3b8 --records 4500000 --runs 1

The older commit is checked out into a temporary worktree; each run is that tree's own
`bench.import_bench --child ours` (a fresh process: load time, peak RSS, total PSS of the
importer and its workers) into a scratch schema of its own, the two trees alternating and the
order reversed every other run, so a host that speeds up or slows down weighs on both alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, make_url

from bench.catalogs import vacuum_catalogs
from bench.host import host_reference, print_host_reference
from importer.sample.generate import generate_file

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def _run(tree: Path, path: Path, url: str, number: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.import_bench", "--child", "ours", str(path), url, str(number)]
    output = subprocess.run(command, cwd=tree, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", required=True, help="the older commit (any git revision)")
    parser.add_argument("--records", type=int, default=45_000)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
    print(vacuum_catalogs(admin), file=sys.stderr)
    reference = host_reference(args.database_url)
    print_host_reference(reference)
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        old_tree = scratch / "old"
        subprocess.run(["git", "worktree", "add", "--detach", str(old_tree), args.against], cwd=ROOT, check=True)
        trees = {"old": old_tree, "new": ROOT}
        schemas = {name: f"bench_{uuid.uuid4().hex[:8]}" for name in trees}
        with admin.connect() as connection:
            for schema in schemas.values():
                connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        urls = {
            name: make_url(args.database_url).update_query_dict({"options": f"-csearch_path={schema}"})
            for name, schema in schemas.items()
        }
        results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        try:
            path = scratch / f"generated-{args.records}.csv"
            generate_file(path, records=args.records, seed=0)
            for number in range(args.runs):
                for name in ("old", "new") if number % 2 == 0 else ("new", "old"):
                    url = urls[name].render_as_string(hide_password=False)
                    result = _run(trees[name], path, url, number)
                    results[name].append(result)
                    print(f"{name} run {number + 1}: {result['seconds']:.3f} s, PSS {result['peak_pss_mb']:.0f} MB",
                          file=sys.stderr)  # fmt: skip
        finally:
            with admin.connect() as connection:
                for schema in schemas.values():
                    connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT, check=False)
    summary = {
        name: {
            "seconds": sorted(round(r["seconds"], 3) for r in runs),
            "median_seconds": round(statistics.median(r["seconds"] for r in runs), 3),
            "peak_pss_mb": [round(min(r["peak_pss_mb"] for r in runs)), round(max(r["peak_pss_mb"] for r in runs))],
        }
        for name, runs in results.items()
    }
    report = {"against": args.against, "records": args.records, "host_reference_seconds": reference, **summary}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
