"""Set-based SQL that turns the staging tables into a dataset version (rules 4, 9-19).

Everything here runs inside the database, on the load's own transaction. The statements
take the new version as `:v` and, for an incremental load, the version it copies as `:base`.
They write the new version's rows to the tables `targets` names (db.partitions.load_targets)
and read the base version through the data tables; `importer.sql_script` writes the very same
statements into a script.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from db.engine import is_sqlite
from db.partitions import load_targets
from db.staging import MOVIE_COLUMNS, SUPERSEDED

_MOVIE_COLUMN_LIST = ", ".join(MOVIE_COLUMNS)
# Whether the staging row `s` comes from a kept record.
_KEPT = f"NOT EXISTS (SELECT 1 FROM {SUPERSEDED} x WHERE x.ord = s.ord)"
_ENTITIES = (  # (entity table, link table, link column, staging table)
    ("genres", "movie_genres", "genre_id", "stage_movie_genres"),
    ("companies", "movie_companies", "company_id", "stage_movie_companies"),
)


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


def build_statements(*, incremental: bool, postgresql: bool, targets: Mapping[str, str]) -> list[str]:
    """The SQL that fills version `:v` from staging into the `targets` tables, in order."""
    on_commit_drop = " ON COMMIT DROP" if postgresql else ""
    statements = [
        # Rule 4: the last record of an id wins. Duplicates are rare, so the records they
        # override make a small table, and everything else is kept by a cheap anti-join.
        f"CREATE TEMPORARY TABLE {SUPERSEDED} (ord INTEGER PRIMARY KEY){on_commit_drop}",
        f"INSERT INTO {SUPERSEDED} (ord) SELECT s.ord FROM stage_movies s JOIN ("
        "SELECT id, max(ord) AS ord FROM stage_movies GROUP BY id HAVING count(*) > 1"
        ") last ON last.id = s.id WHERE s.ord < last.ord",
        f"INSERT INTO {targets['movies']} (version_id, {_MOVIE_COLUMN_LIST}) "
        f"SELECT :v, {', '.join('s.' + c for c in MOVIE_COLUMNS)} FROM stage_movies s WHERE {_KEPT}",
    ]
    if incremental:
        if not postgresql:  # SQLite runs the anti-joins below once per base row; PostgreSQL hashes the ids
            statements.append("CREATE INDEX stage_movies_by_id ON stage_movies (id)")
        statements.append(
            f"INSERT INTO {targets['movies']} (version_id, {_MOVIE_COLUMN_LIST}) SELECT :v, {_MOVIE_COLUMN_LIST} "
            "FROM movies b WHERE b.version_id = :base "
            "AND NOT EXISTS (SELECT 1 FROM stage_movies s WHERE s.id = b.id)"
        )
    for entity, link, link_column, stage in _ENTITIES:
        statements += _entity_statements(targets, entity, link, link_column, stage, incremental)
    return statements


def build_version(connection: Connection, version_id: int, base_version_id: int | None) -> BuildCounts:
    """Fill version `version_id` from staging; with a base version, upsert into a copy of it."""
    params = {"v": version_id, "base": base_version_id}
    targets = load_targets(connection, version_id)
    statements = build_statements(
        incremental=base_version_id is not None, postgresql=not is_sqlite(connection), targets=targets
    )
    for statement in statements:
        connection.execute(text(statement), params)
    staged = connection.execute(text("SELECT count(*) FROM stage_movies")).scalar_one()
    superseded = connection.execute(text(f"SELECT count(*) FROM {SUPERSEDED}")).scalar_one()
    loaded = staged - superseded
    movies_sql = f"SELECT count(*) FROM {targets['movies']} WHERE version_id = :v"
    movies = connection.execute(text(movies_sql), params).scalar_one()
    return BuildCounts(staged=staged, loaded=loaded, movies=movies)


def _entity_statements(
    targets: Mapping[str, str], entity: str, link: str, link_column: str, stage: str, incremental: bool
) -> list[str]:
    """Links of kept records (plus the base's untouched movies) and entity names (rule 9)."""
    entity_target, link_target = targets[entity], targets[link]
    statements = [
        f"INSERT INTO {link_target} (version_id, movie_id, {link_column}) "
        f"SELECT :v, s.movie_id, s.entity_id FROM {stage} s WHERE {_KEPT}",
        # Rule 9: the name given by the last kept record that mentions the id.
        f"INSERT INTO {entity_target} (version_id, id, name) "
        f"SELECT :v, named.entity_id, named.name FROM {stage} named JOIN ("
        f"SELECT s.entity_id, max(s.ord) AS ord FROM {stage} s WHERE {_KEPT} GROUP BY s.entity_id"
        ") last ON last.entity_id = named.entity_id AND last.ord = named.ord",
    ]
    if incremental:
        statements += [
            f"INSERT INTO {link_target} (version_id, movie_id, {link_column}) "
            f"SELECT :v, b.movie_id, b.{link_column} FROM {link} b WHERE b.version_id = :base "
            "AND NOT EXISTS (SELECT 1 FROM stage_movies s WHERE s.id = b.movie_id)",
            # Entities the file does not mention keep the base version's name, while still in use.
            f"INSERT INTO {entity_target} (version_id, id, name) SELECT :v, b.id, b.name FROM {entity} b "
            "WHERE b.version_id = :base "
            f"AND NOT EXISTS (SELECT 1 FROM {entity_target} n WHERE n.version_id = :v AND n.id = b.id) "
            f"AND b.id IN (SELECT l.{link_column} FROM {link_target} l WHERE l.version_id = :v)",
        ]
    return statements
