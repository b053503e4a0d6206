"""Statements shared out over several PostgreSQL connections (db.parallel), as a load's precompute runs."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DataError

from db.parallel import run_on_connections
from tests.dbquery import rows


def test_every_task_runs_in_order_on_its_own_connection_and_commits(postgres_engine: Engine) -> None:
    with postgres_engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE done (task integer, step integer, backend integer, setting text)")
    step = "INSERT INTO done VALUES ({task}, {step}, pg_backend_pid(), current_setting('work_mem'))"
    # Each task waits a moment first, so that the second connection is up before the first is done.
    tasks = [["SELECT pg_sleep(0.1)", *(step.format(task=task, step=n) for n in range(3))] for task in range(6)]
    run_on_connections(postgres_engine, tasks, connections=2, setup=["SET LOCAL work_mem = '7MB'"])

    done = rows(postgres_engine, "SELECT task, step, backend, setting FROM done ORDER BY task, step")
    assert [(task, step) for task, step, _backend, _setting in done] == [(t, n) for t in range(6) for n in range(3)]
    for task in range(6):  # a task's statements run on one connection
        assert len({backend for t, _step, backend, _setting in done if t == task}) == 1
    assert len({backend for *_, backend, _setting in done}) == 2
    assert {setting for *_, setting in done} == {"7MB"}  # the setup ran on each connection


def test_the_first_error_cancels_the_other_connections_and_is_the_one_raised(postgres_engine: Engine) -> None:
    with postgres_engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE done (task text)")
    tasks = [
        ["SELECT pg_sleep(60)", "INSERT INTO done VALUES ('slept')"],
        ["SELECT pg_sleep(0.3)", "SELECT 1 / 0"],
        ["INSERT INTO done VALUES ('never taken')"],
    ]
    started = time.monotonic()
    with pytest.raises(DataError, match="division by zero"):
        run_on_connections(postgres_engine, tasks, connections=2)
    assert time.monotonic() - started < 30  # the sleep of 60 s was cancelled
    assert rows(postgres_engine, "SELECT task FROM done") == []  # both transactions rolled back
    sleeping = "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'"
    assert rows(postgres_engine, sleeping) == [(0,)]
