"""How fast this host is right now: two fixed workloads that no project code touches.

The development host is shared and its speed varies more than twofold through a day, so figures
of different runs compare only once divided by these. Every benchmark prints them with its table.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from sqlalchemy import create_engine

REFERENCE_PYTHON_STEPS = 3_000_000
REFERENCE_SQL = "SELECT count(*) FROM (SELECT mod(g, 100000), count(*) FROM generate_series(1, 2000000) g GROUP BY 1) q"


def _best_of_three(workload: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        workload()
        times.append(time.perf_counter() - started)
    return round(min(times), 3)


def host_reference(database_url: str | None = None) -> dict[str, float]:
    """Seconds, best of three, for plain Python and (given a PostgreSQL URL) PostgreSQL hashing two million rows.

    On a usual-speed day this host takes about 0.11 s and 0.35 s.
    """
    reference = {"python": _best_of_three(lambda: sum(i * i for i in range(REFERENCE_PYTHON_STEPS)))}
    if database_url and database_url.startswith("postgresql"):
        engine = create_engine(database_url)
        try:
            with engine.connect() as connection:
                reference["database"] = _best_of_three(lambda: connection.exec_driver_sql(REFERENCE_SQL).scalar_one())
        finally:
            engine.dispose()
    return reference


def print_host_reference(reference: dict[str, float]) -> None:
    """One line on stderr, as every benchmark prints it before its table."""
    parts = [f"{reference['python']} s of Python"]
    if "database" in reference:
        parts.append(f"{reference['database']} s of PostgreSQL")
    print(f"host reference: {', '.join(parts)} (a usual-speed host: 0.11 s and 0.35 s)", file=sys.stderr)
