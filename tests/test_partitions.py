"""PostgreSQL keeps each dataset version in partitions of its own (db.partitions, rule 20)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, ProgrammingError

from db import build, locks, versions
from db.build import BuildStatements
from db.migrate import alembic_config, upgrade
from db.partitions import VERSIONED_TABLES, PartitionsBusy, create_for_load, partition_name
from db.staging import Staging
from db.tables import VERSIONED_DATA_TABLES, indexes_of
from importer.errors import NotCsvError
from importer.pipeline import ImportOptions, import_file
from tests.csvfiles import catalogue, write_csv
from tests.dbquery import partitions, rows, schema_tables, stored, version_tables

# The primary key, where a table has one, and the rest.
INDEXES = {
    table.name: bool(table.primary_key.columns) + len(indexes_of(table, "postgresql"))
    for table in VERSIONED_DATA_TABLES
}


def load(engine: Engine, path: Path, count: int) -> int:
    report = import_file(engine, write_csv(path, catalogue(count)), ImportOptions())
    assert report.status == "live"
    return report.version  # type: ignore[return-value]


def expected_partitions(*version_ids: int) -> dict[str, list[tuple[str, str, int]]]:
    return {
        table: sorted((partition_name(table, v), f"FOR VALUES IN ({v})", INDEXES[table]) for v in version_ids)
        for table in VERSIONED_TABLES
    }


def test_each_version_is_a_set_of_indexed_partitions_and_prune_drops_them(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    first, second = load(postgres_engine, tmp_path / "a.csv", 10), load(postgres_engine, tmp_path / "b.csv", 12)
    third = load(postgres_engine, tmp_path / "c.csv", 14)
    assert partitions(postgres_engine) == expected_partitions(first, second, third)
    kept = stored(postgres_engine, second)
    with postgres_engine.begin() as connection:  # the newest, live, and the previously live one, rollback's, stay
        assert versions.prune(connection, keep=1) == [first]
    assert partitions(postgres_engine) == expected_partitions(second, third)
    assert stored(postgres_engine, second) == kept
    assert rows(postgres_engine, "SELECT count(*) FROM movies") == [(12 + 14,)]


def test_the_tables_that_stage_a_load_in_place_end_with_their_parents_columns_and_nothing_else(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    """COPY writes the movies and links straight into the version's own tables, which have the
    staging columns (the line, the entity's name) and a default version id meanwhile (db.staging)."""
    version = load(postgres_engine, tmp_path / "a.csv", 10)
    columns = (
        "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = :table ORDER BY ordinal_position"
    )
    staging = Staging.for_version(version)
    in_place = [staging.names[name] for name in sorted(staging.in_place)]
    assert in_place == [partition_name(table, version) for table in ("movie_companies", "movie_genres", "movies")]
    for table in in_place:
        parent = table.removesuffix(f"_v{version}")
        assert rows(postgres_engine, columns, table=table) == rows(postgres_engine, columns, table=parent)
        assert rows(postgres_engine, f"SELECT count(*) FROM {table}") != [(0,)]


def test_a_load_that_fails_midway_leaves_no_table_behind(postgres_engine: Engine, tmp_path: Path) -> None:
    live = load(postgres_engine, tmp_path / "first.csv", 40)
    tables = schema_tables(postgres_engine)
    broken = write_csv(tmp_path / "broken.csv", catalogue(60))
    broken.write_bytes(broken.read_bytes() + b"61,\xff not UTF-8\r\n")
    with pytest.raises(NotCsvError):
        import_file(postgres_engine, broken, ImportOptions())
    assert schema_tables(postgres_engine) == tables
    assert partitions(postgres_engine) == expected_partitions(live)


def test_a_load_that_fails_after_its_first_commit_removes_its_version_at_once(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    """The precompute runs after the first commit, on connections of its own; when it fails,
    the load removes the committed version before the error reaches the caller."""
    live = load(postgres_engine, tmp_path / "first.csv", 40)
    before = rows(postgres_engine, "SELECT id, status FROM dataset_versions")
    doomed = live + 1  # the id the next load gets
    with postgres_engine.begin() as connection:  # an index by the name the load will give one of its own
        connection.exec_driver_sql("CREATE TABLE blocker (x integer)")
        connection.exec_driver_sql(f"CREATE INDEX company_year_genres_by_company_year_v{doomed} ON blocker (x)")
    with pytest.raises(
        ProgrammingError, match=f'relation "company_year_genres_by_company_year_v{doomed}" already exists'
    ):
        import_file(postgres_engine, write_csv(tmp_path / "second.csv", catalogue(60)), ImportOptions())
    assert rows(postgres_engine, "SELECT id, status FROM dataset_versions") == before
    assert version_tables(postgres_engine, doomed) == []
    assert partitions(postgres_engine) == expected_partitions(live)


def test_a_build_that_fails_on_another_connection_removes_the_version_and_its_staging_tables(
    postgres_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build runs after the first commit, over two connections, from staging tables of the version's own."""
    live = load(postgres_engine, tmp_path / "first.csv", 40)
    tables = schema_tables(postgres_engine)
    build_statements = build.build_statements

    def with_a_failing_part(**kwargs: object) -> BuildStatements:
        statements = build_statements(**kwargs)  # type: ignore[arg-type]
        return BuildStatements(statements.first, {**statements.parts, "doomed": ["SELECT 1 / 0"]})

    monkeypatch.setattr(build, "build_statements", with_a_failing_part)
    with pytest.raises(DataError, match="division by zero"):
        import_file(postgres_engine, write_csv(tmp_path / "second.csv", catalogue(60)), ImportOptions())
    assert schema_tables(postgres_engine) == tables
    assert rows(postgres_engine, "SELECT id, status FROM dataset_versions") == [(live, "live")]
    assert partitions(postgres_engine) == expected_partitions(live)


def test_a_version_left_loading_is_removed_by_the_next_command_unless_an_import_runs(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    """Rule 20: a load killed after its first commit leaves its version `loading`, unattached."""
    live = load(postgres_engine, tmp_path / "a.csv", 10)
    with postgres_engine.begin() as connection:  # what the killed load had committed
        killed = versions.create_version(
            connection, mode="full", source_name="killed.csv", source_sha256="0" * 64, base_version_id=live
        )
        create_for_load(connection, killed)
        for statement in Staging.for_version(killed).ddl(dialect=connection.dialect):
            connection.exec_driver_sql(statement)
    assert version_tables(postgres_engine, killed) == sorted(  # its movies and links tables stage in place
        {*(partition_name(table, killed) for table in VERSIONED_TABLES), *Staging.for_version(killed).names.values()}
    )
    with postgres_engine.begin() as connection:
        assert versions.prune(connection, keep=1) == []  # a version being loaded is not prune's to remove
    with postgres_engine.connect() as running_import, locks.import_lock(running_import, wait=False):
        assert versions.remove_abandoned_if_idle(postgres_engine) == []  # it may be that import's own
    assert versions.remove_abandoned_if_idle(postgres_engine) == [killed]
    assert version_tables(postgres_engine, killed) == []
    assert rows(postgres_engine, "SELECT id, status FROM dataset_versions") == [(live, "live")]
    assert partitions(postgres_engine) == expected_partitions(live)
    assert versions.remove_abandoned_if_idle(postgres_engine) == []


def test_prune_gives_up_with_a_clear_error_while_a_reader_holds_the_tables(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    first, second = load(postgres_engine, tmp_path / "a.csv", 10), load(postgres_engine, tmp_path / "b.csv", 12)
    third = load(postgres_engine, tmp_path / "c.csv", 14)
    busy = rf"Could not remove versions {first}: .*run the command again"
    with (
        postgres_engine.connect() as reader,
        pytest.raises(PartitionsBusy, match=busy),
        postgres_engine.begin() as connection,
    ):
        reader.exec_driver_sql(f"SELECT count(*) FROM movies WHERE version_id = {second}")  # its transaction stays open
        versions.prune(connection, keep=1)
    assert partitions(postgres_engine) == expected_partitions(first, second, third)  # nothing was removed
    with postgres_engine.begin() as connection:
        assert versions.prune(connection, keep=1) == [first]


def test_the_migration_moves_stored_versions_into_partitions_and_back(postgres_engine: Engine, tmp_path: Path) -> None:
    engine = postgres_engine
    loaded = [load(engine, tmp_path / "a.csv", 10), load(engine, tmp_path / "b.csv", 12)]
    before = {v: stored(engine, v) for v in loaded}
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")  # before the yearly tables counted known popularities
    before_0005 = {v: stored(engine, v) for v in loaded}
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert partitions(engine) == {}
    assert {v: stored(engine, v) for v in loaded} == before_0005
    assert upgrade(engine)
    assert partitions(engine) == expected_partitions(*loaded)
    # 0005 recomputes with_popularity and the new tables of the stored versions as a load does.
    assert {v: stored(engine, v) for v in loaded} == before
