"""How the stores run a load's set-based SQL: no loop that scans a whole table once per row."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, event

from db.engine import make_engine
from db.migrate import upgrade
from importer.pipeline import INCREMENTAL, ImportOptions, import_file
from importer.sample.generate import generate_file


def test_a_load_on_postgresql_joins_by_hash_and_compiles_nothing(postgres_engine: Engine, tmp_path: Path) -> None:
    """While a version's tables are filled they have no index and no statistics. For a file of a
    few thousand records the planner then guessed a handful of rows and scanned one table once
    per row of another (3 s instead of 0.06 s to precompute the real head-5000 file). For a
    large file the cost estimates crossed `jit_above_cost`, and JIT compiling each statement
    took longer than it saved."""
    full, changes = tmp_path / "small.csv", tmp_path / "changes.csv"
    generate_file(full, records=5_000, seed=3)
    generate_file(changes, records=500, seed=4)
    plans: dict[str, str] = {}

    @event.listens_for(postgres_engine, "before_cursor_execute")
    def explain(_connection, cursor, statement, parameters, _context, _many) -> None:
        # The build and the precompute: INSERT ... SELECT, and DELETE ... USING of the rows
        # staged in place (db.staging) that later records override.
        if statement.startswith(("INSERT INTO", "DELETE FROM")) and (" SELECT " in statement or " USING " in statement):
            # As a large file's statements would: cross the cost above which JIT compiles them.
            cursor.execute("SET LOCAL jit_above_cost = 0")
            cursor.execute(f"EXPLAIN {statement}", parameters)
            plans[statement] = "\n".join(row[0] for row in cursor.fetchall())

    first = import_file(postgres_engine, full, ImportOptions())
    second = import_file(postgres_engine, changes, ImportOptions(mode=INCREMENTAL))  # reads the first too

    assert (first.status, second.status) == ("live", "live")
    targets = {statement.split()[2] for statement in plans}
    for version in (first.version, second.version):
        assert {f"{table}_v{version}" for table in ("movies", "company_year_genres")} <= targets
    looping = [statement for statement, plan in plans.items() if "Nested Loop" in plan]
    assert looping == []
    compiled = [statement for statement, plan in plans.items() if "JIT:" in plan]  # costs more than it saves
    assert compiled == []


def test_an_incremental_load_on_sqlite_looks_rows_up_by_index_not_by_scanning(tmp_path: Path) -> None:
    """SQLite runs a correlated subquery once per row. Matching the base version's 45,000 movies
    against the file's ids by scanning the staging table, and its 18,000 companies against the
    new version's links, took an incremental load of 500 records 80 s instead of 1.6 s."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    upgrade(engine)
    full, changes = tmp_path / "full.csv", tmp_path / "changes.csv"
    generate_file(full, records=2_000, seed=3)
    generate_file(changes, records=200, seed=4)
    plans: dict[str, list[str]] = {}

    @event.listens_for(engine, "before_cursor_execute")
    def explain(_connection, cursor, statement, parameters, _context, _many) -> None:
        if statement.startswith("INSERT INTO") and " SELECT " in statement:  # build and precompute
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans[statement] = _scans_in_correlated_subqueries(cursor.fetchall())

    import_file(engine, full, ImportOptions())
    plans.clear()  # the incremental load's statements only
    report = import_file(engine, changes, ImportOptions(mode=INCREMENTAL))
    engine.dispose()

    assert report.status == "live"
    assert any("FROM movies b WHERE b.version_id" in statement for statement in plans)  # the base's movies
    assert {statement: scans for statement, scans in plans.items() if scans} == {}


def _scans_in_correlated_subqueries(rows: list[tuple[int, int, int, str]]) -> list[str]:
    """The full-table scans that EXPLAIN QUERY PLAN's rows (id, parent, _, detail) place in a
    correlated subquery, which SQLite repeats for every row of the outer query."""
    parent_of = {row[0]: row[1] for row in rows}
    correlated = {row[0] for row in rows if row[3].startswith("CORRELATED")}

    def inside_correlated(node: int) -> bool:
        while node in parent_of:
            node = parent_of[node]
            if node in correlated:
                return True
        return False

    return [row[3] for row in rows if row[3].startswith("SCAN ") and inside_correlated(row[0])]
