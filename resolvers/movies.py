"""Movies and the genres and companies each one has."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Row, Table, select
from sqlalchemy.engine import Connection

from db.tables import companies, genres, movie_companies, movie_genres, movies


def movies_by_id(connection: Connection, version_id: int, ids: Sequence[int]) -> dict[int, Row[*tuple[Any, ...]]]:
    """Movies of a version by id."""
    query = select(movies).where(movies.c.version_id == version_id, movies.c.id.in_(ids))
    return {row.id: row for row in connection.execute(query)}


def genres_of_movies(connection: Connection, version_id: int, movie_ids: Sequence[int]) -> list[Row[*tuple[Any, ...]]]:
    """(movie_id, id, name) of the genres of several movies, by name then id."""
    return _entities_of_movies(connection, version_id, movie_ids, movie_genres.c.genre_id, genres)


def companies_of_movies(
    connection: Connection, version_id: int, movie_ids: Sequence[int]
) -> list[Row[*tuple[Any, ...]]]:
    """(movie_id, id, name) of the production companies of several movies, by name then id."""
    return _entities_of_movies(connection, version_id, movie_ids, movie_companies.c.company_id, companies)


def _entities_of_movies(
    connection: Connection, version_id: int, movie_ids: Sequence[int], link_column: Column[int], entity: Table
) -> list[Row[*tuple[Any, ...]]]:
    link = link_column.table
    query = (
        select(link.c.movie_id, entity.c.id, entity.c.name)
        .join(entity, (entity.c.version_id == link.c.version_id) & (entity.c.id == link_column))
        .where(link.c.version_id == version_id, link.c.movie_id.in_(movie_ids))
    )
    return list(connection.execute(query.order_by(entity.c.name, entity.c.id)))
