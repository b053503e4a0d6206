"""Statements shared out over several PostgreSQL connections, so that a load's SQL uses every core.

PostgreSQL runs the statements of one connection one after another, each on one core (it
runs no `INSERT ... SELECT` in parallel). Independent statements on two connections take
about half the time on two cores (docs/benchmarks.md).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

from sqlalchemy import Engine, text

Task = Sequence[str]  # statements that run in this order, on one connection


class _SharedQueue:
    """The tasks not yet taken, and the connections at work on the others."""

    def __init__(self, tasks: Sequence[Task]) -> None:
        self._tasks = deque(tasks)
        self._lock = threading.Lock()
        self._stopped = False
        self._busy: list[Any] = []  # DBAPI connections that may be running a statement

    def next(self) -> Task | None:
        with self._lock:
            return None if self._stopped or not self._tasks else self._tasks.popleft()

    def started(self, dbapi_connection: Any) -> None:
        with self._lock:
            self._busy.append(dbapi_connection)

    def finished(self, dbapi_connection: Any) -> None:
        with self._lock:
            self._busy.remove(dbapi_connection)

    def stop(self) -> None:
        """Hand out no more tasks, and cancel the statements running now."""
        with self._lock:
            self._stopped = True
            for dbapi_connection in self._busy:
                dbapi_connection.cancel()  # psycopg2: safe from any thread


def run_on_connections(
    engine: Engine,
    tasks: Sequence[Task],
    *,
    connections: int,
    setup: Sequence[str] = (),
    parameters: Mapping[str, object] | None = None,
) -> None:
    """Run every task on one of `connections` new connections, which take the next task when free.

    Tasks are taken in the order given: put the longest first, so that no connection is left
    with a long one at the end. Each connection runs `setup` (SET LOCAL ...) and then its
    tasks in one transaction, committed once no task is left. The first error, or a
    KeyboardInterrupt, cancels what the other connections are running and is raised once they
    have all stopped; work committed by then stays committed, for the caller to remove.
    """
    queue = _SharedQueue(tasks)

    def work() -> None:
        with engine.connect() as connection, connection.begin():
            dbapi_connection = connection.connection.dbapi_connection
            queue.started(dbapi_connection)
            try:
                for statement in setup:
                    connection.exec_driver_sql(statement)
                while (task := queue.next()) is not None:
                    for statement in task:
                        connection.execute(text(statement), parameters or {})
            finally:
                queue.finished(dbapi_connection)

    with ThreadPoolExecutor(max_workers=connections, thread_name_prefix="sql") as pool:
        futures = [pool.submit(work) for _ in range(connections)]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:  # KeyboardInterrupt: the pool waits for its threads on the way out
            queue.stop()
            raise
        failed = next((future for future in done if future.exception() is not None), None)
        if failed is not None:
            queue.stop()
    if failed is not None:
        raise failed.exception()  # type: ignore[misc]  # not None: `failed` is the future that raised
