"""Movies and the genres and companies each one has."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from db.tables import companies, genres, movie_companies, movie_genres, movies


def movies_by_id(connection: Connection, version_id: int, ids: Sequence[int]) -> dict[int, Row[Any]]:
    """Movies of a version by id."""
    query = select(movies).where(movies.c.version_id == version_id, movies.c.id.in_(ids))
    return {row.id: row for row in connection.execute(query)}


def genres_of_movies(connection: Connection, version_id: int, movie_ids: Sequence[int]) -> list[Row[Any]]:
    """(movie_id, id, name) of the genres of several movies, by name then id."""
    query = (
        select(movie_genres.c.movie_id, genres.c.id, genres.c.name)
        .join(genres, (genres.c.version_id == movie_genres.c.version_id) & (genres.c.id == movie_genres.c.genre_id))
        .where(movie_genres.c.version_id == version_id, movie_genres.c.movie_id.in_(movie_ids))
    )
    return list(connection.execute(query.order_by(genres.c.name, genres.c.id)))


def companies_of_movies(connection: Connection, version_id: int, movie_ids: Sequence[int]) -> list[Row[Any]]:
    """(movie_id, id, name) of the production companies of several movies, by name then id."""
    link = movie_companies
    query = (
        select(link.c.movie_id, companies.c.id, companies.c.name)
        .join(companies, (companies.c.version_id == link.c.version_id) & (companies.c.id == link.c.company_id))
        .where(link.c.version_id == version_id, link.c.movie_id.in_(movie_ids))
    )
    return list(connection.execute(query.order_by(companies.c.name, companies.c.id)))
