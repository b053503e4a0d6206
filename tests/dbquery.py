"""Reading figures back from the store in tests, through plain SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, inspect, text

from db.versions import live_version_id


def rows(engine: Engine, sql: str, **params: Any) -> list[tuple]:
    """All rows of a query, as tuples."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def live_id(engine: Engine) -> int | None:
    """The live version id."""
    with engine.connect() as connection:
        return live_version_id(connection)


def live_rows(engine: Engine, sql: str, **params: Any) -> list[tuple]:
    """Rows of a query over the live version (`:v` in the SQL)."""
    return rows(engine, sql, v=live_id(engine), **params)


def snapshot(engine: Engine, version_id: int) -> dict[str, list[tuple]]:
    """Every precomputed row of one version, sorted: equal snapshots mean equal figures."""
    tables = {
        "year_totals": "year",
        "genre_years": "genre_id, year",
        "company_years": "company_id, year",
        "company_year_genres": "company_id, year, genre_id",
        "company_totals": "company_id",
        "genre_totals": "genre_id",
        "company_movies": "company_id, movie_id",
        "genre_movies": "genre_id, movie_id",
        "genres": "id",
        "companies": "id",
    }
    result = {}
    present = set(inspect(engine).get_table_names())  # a test may have migrated below a table's revision
    for table, order in tables.items():
        if table not in present:
            continue
        found = rows(engine, f"SELECT * FROM {table} WHERE version_id = :v ORDER BY {order}", v=version_id)
        # Drop version_id; round popularity sums so both backends' float order does not matter.
        result[table] = [tuple(round(x, 9) if isinstance(x, float) else x for x in row[1:]) for row in found]
    return result


def stored(engine: Engine, version_id: int) -> dict[str, list[tuple]]:
    """Every row of a version: its figures, its movies, their links and its rejections."""
    found = snapshot(engine, version_id)
    for table, order in {
        "movies": "id",
        "movie_genres": "movie_id, genre_id",
        "movie_companies": "movie_id, company_id",
        "rejections": "line",
    }.items():
        query = f"SELECT * FROM {table} WHERE version_id = :v ORDER BY {order}"
        found[table] = [row[1:] for row in rows(engine, query, v=version_id)]
    return found


def partitions(engine: Engine) -> dict[str, list[tuple[str, str, int]]]:
    """PostgreSQL: each partitioned table's partitions, as (name, bound, number of indexes)."""
    query = (
        "SELECT parent.relname, child.relname, pg_get_expr(child.relpartbound, child.oid), "
        "(SELECT count(*) FROM pg_index x WHERE x.indrelid = child.oid) "
        "FROM pg_inherits i JOIN pg_class parent ON parent.oid = i.inhparent "
        "JOIN pg_class child ON child.oid = i.inhrelid "
        "WHERE parent.relkind = 'p' AND parent.relnamespace = current_schema()::regnamespace ORDER BY 1, 2"
    )
    found: dict[str, list[tuple[str, str, int]]] = {}
    for parent, *partition in rows(engine, query):
        found.setdefault(parent, []).append(tuple(partition))
    return found


def schema_tables(engine: Engine) -> list[str]:
    """PostgreSQL: the names of the tables in the test's schema, sorted."""
    query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
    return [name for (name,) in rows(engine, query)]


def version_tables(engine: Engine, version_id: int) -> list[str]:
    """PostgreSQL: the names of one version's tables in the test's schema, sorted.

    Its data tables (db.partitions.partition_name) and, while it is built, its staging tables
    (db.staging.Staging.for_version).
    """
    return [name for name in schema_tables(engine) if name.endswith(f"_v{version_id}")]
