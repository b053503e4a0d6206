"""Set-based SQL that turns the staging tables into a dataset version (rules 4, 9-19).

Everything here runs inside the database: on the load's own transaction, or on PostgreSQL
over one connection a core (`build_version_in_parallel`, db.cores). The statements take the
new version as `:v` and, for an incremental load, the version it copies as `:base`.
They write the new version's rows to the tables `targets` names (the data tables, or the
version's own tables: db.partitions) and read the base version through the data tables;
`db.script_load` writes the very same statements into a script. Where the version's own tables are its staging tables (PostgreSQL's
importer, db.staging), the build keeps the staged rows there and deletes those of the records
that later ones override, instead of copying all the others over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from db.cores import parallel_connections
from db.fields import MOVIE_COLUMNS
from db.parallel import run_on_connections
from db.staging import SUPERSEDED, Staging, drop_staging, load_settings_sql

_MOVIE_COLUMN_LIST = ", ".join(MOVIE_COLUMNS)
_ENTITIES = (  # (entity table, link table, link column, staging table)
    ("genres", "movie_genres", "genre_id", "stage_movie_genres"),
    ("companies", "movie_companies", "company_id", "stage_movie_companies"),
)
BUILD_CONNECTIONS = parallel_connections()  # one per core, capped (db.cores)


@dataclass(frozen=True, slots=True)
class BuildCounts:
    """What a build produced."""

    staged: int  # valid records in the file
    loaded: int  # distinct movie ids among them
    movies: int  # movies in the new version (more than `loaded` for an incremental load)

    @property
    def duplicates(self) -> int:
        """Records overridden by a later record with the same id (rule 4)."""
        return self.staged - self.loaded


@dataclass(frozen=True, slots=True)
class BuildStatements:
    """The SQL that fills version `:v` from staging: `first`, then the `parts`, in any order or at once."""

    first: list[str]  # rule 4: the records that later ones override, which every part reads
    parts: dict[str, list[str]]  # by the data table(s) each fills, in order within a part, longest first

    def in_order(self) -> list[str]:
        """All of them, to run one after another."""
        return [*self.first, *(statement for part in self.parts.values() for statement in part)]


def build_statements(
    *, incremental: bool, targets: Mapping[str, str], staging: Staging, index_staged_ids: bool = False
) -> BuildStatements:
    """The SQL that fills version `:v` from the `staging` tables into the `targets` tables.

    `index_staged_ids`: index the staged ids before an incremental load's anti-joins, for a
    store that would otherwise run them once per base row (SQLite; PostgreSQL hashes the ids).
    """
    stage = staging.names
    first = [
        # Rule 4: the last record of an id wins. Duplicates are rare, so the records they
        # override make a small table, and everything else is kept by a cheap anti-join.
        f"INSERT INTO {stage[SUPERSEDED]} (ord) SELECT s.ord FROM {stage['stage_movies']} s JOIN ("
        f"SELECT id, max(ord) AS ord FROM {stage['stage_movies']} GROUP BY id HAVING count(*) > 1"
        ") last ON last.id = s.id WHERE s.ord < last.ord",
    ]
    kept = f"NOT EXISTS (SELECT 1 FROM {stage[SUPERSEDED]} x WHERE x.ord = s.ord)"  # the staging row `s`
    movies = [_keep(staging, "stage_movies", targets["movies"], MOVIE_COLUMNS, kept)]
    if incremental:
        if index_staged_ids:
            first.append(f"CREATE INDEX {stage['stage_movies']}_by_id ON {stage['stage_movies']} (id)")
        movies.append(
            f"INSERT INTO {targets['movies']} (version_id, {_MOVIE_COLUMN_LIST}) SELECT :v, {_MOVIE_COLUMN_LIST} "
            "FROM movies b WHERE b.version_id = :base "
            f"AND NOT EXISTS (SELECT 1 FROM {stage['stage_movies']} s WHERE s.id = b.id)"
        )
    parts = {
        entity: _entity_statements(targets, staging, kept, entity, link, link_column, stage_table, incremental)
        for entity, link, link_column, stage_table in _ENTITIES
    }
    return BuildStatements(first, {**parts, "movies": movies})


def _keep(staging: Staging, stage_table: str, target: str, columns: Sequence[str], kept: str) -> str:
    """The statement that leaves `target` with the rows of the staged records that are `kept` (rule 4).

    A table staged in place is the target itself: the overridden records' rows are deleted.
    """
    staged = staging.names[stage_table]
    if stage_table in staging.in_place:
        return f"DELETE FROM {staged} s USING {staging.names[SUPERSEDED]} x WHERE x.ord = s.ord"
    column_list = ", ".join(columns)
    return f"INSERT INTO {target} (version_id, {column_list}) SELECT :v, {column_list} FROM {staged} s WHERE {kept}"


def build_version(
    connection: Connection,
    version_id: int,
    base_version_id: int | None,
    staging: Staging,
    targets: Mapping[str, str],
    *,
    index_staged_ids: bool,
) -> BuildCounts:
    """Fill version `version_id` from staging on this connection, then drop the staging tables.

    With a base version, upsert into a copy of it.
    """
    params = {"v": version_id, "base": base_version_id}
    statements = build_statements(
        incremental=base_version_id is not None, targets=targets, staging=staging, index_staged_ids=index_staged_ids
    )
    for statement in statements.first:
        connection.execute(text(statement), params)
    staged, superseded = _staged_counts(connection, staging)
    for part in statements.parts.values():
        for statement in part:
            connection.execute(text(statement), params)
    drop_staging(connection, staging)
    return BuildCounts(staged=staged, loaded=staged - superseded, movies=_movies(connection, version_id, targets))


def build_version_in_parallel(
    engine: Engine,
    connection: Connection,
    version_id: int,
    base_version_id: int | None,
    staging: Staging,
    targets: Mapping[str, str],
) -> BuildCounts:
    """`build_version` with its parts spread over BUILD_CONNECTIONS connections, committing as it goes (PostgreSQL).

    The staging tables must be committed (`Staging.for_version`); like `build_version`, it
    drops them at the end.
    """
    params = {"v": version_id, "base": base_version_id}
    statements = build_statements(incremental=base_version_id is not None, targets=targets, staging=staging)
    with connection.begin():
        for statement in [*load_settings_sql(), *statements.first]:
            connection.execute(text(statement), params)
        staged, superseded = _staged_counts(connection, staging)
    parts = list(statements.parts.values())
    run_on_connections(engine, parts, connections=BUILD_CONNECTIONS, setup=load_settings_sql(), parameters=params)
    with connection.begin():
        drop_staging(connection, staging)
        movies = _movies(connection, version_id, targets)
    return BuildCounts(staged=staged, loaded=staged - superseded, movies=movies)


def _staged_counts(connection: Connection, staging: Staging) -> tuple[int, int]:
    """The valid records staged, and how many of them later ones override: before the build keeps the others."""
    staged = connection.execute(text(f"SELECT count(*) FROM {staging.names['stage_movies']}")).scalar_one()
    superseded = connection.execute(text(f"SELECT count(*) FROM {staging.names[SUPERSEDED]}")).scalar_one()
    return staged, superseded


def _movies(connection: Connection, version_id: int, targets: Mapping[str, str]) -> int:
    movies_sql = f"SELECT count(*) FROM {targets['movies']} WHERE version_id = :v"
    movies: int = connection.execute(text(movies_sql), {"v": version_id}).scalar_one()
    return movies


def _entity_statements(
    targets: Mapping[str, str],
    staging: Staging,
    kept: str,
    entity: str,
    link: str,
    link_column: str,
    stage_table: str,
    incremental: bool,
) -> list[str]:
    """Links of kept records (plus the base's untouched movies) and entity names (rule 9)."""
    entity_target, link_target, staged = targets[entity], targets[link], staging.names[stage_table]
    statements = [
        _keep(staging, stage_table, link_target, ("movie_id", link_column), kept),
        # Rule 9: the name given by the last kept record that mentions the id.
        f"INSERT INTO {entity_target} (version_id, id, name) "
        f"SELECT :v, named.{link_column}, named.name FROM {staged} named JOIN ("
        f"SELECT s.{link_column}, max(s.ord) AS ord FROM {staged} s WHERE {kept} GROUP BY s.{link_column}"
        f") last ON last.{link_column} = named.{link_column} AND last.ord = named.ord",
    ]
    if incremental:
        # The file's records only: staged in place, the version's movies table also receives
        # the base version's movies, with no line (`ord`), at any moment on another connection.
        statements += [
            f"INSERT INTO {link_target} (version_id, movie_id, {link_column}) "
            f"SELECT :v, b.movie_id, b.{link_column} FROM {link} b WHERE b.version_id = :base "
            f"AND NOT EXISTS (SELECT 1 FROM {staging.names['stage_movies']} s "
            "WHERE s.id = b.movie_id AND s.ord IS NOT NULL)",
            # Entities the file does not mention keep the base version's name, while still in use.
            f"INSERT INTO {entity_target} (version_id, id, name) SELECT :v, b.id, b.name FROM {entity} b "
            "WHERE b.version_id = :base "
            f"AND NOT EXISTS (SELECT 1 FROM {entity_target} n WHERE n.version_id = :v AND n.id = b.id) "
            f"AND b.id IN (SELECT l.{link_column} FROM {link_target} l WHERE l.version_id = :v)",
        ]
    return statements
