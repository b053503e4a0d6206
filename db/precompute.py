"""The precomputed figures of data rules 10-19, built in SQL at load time."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.engine import Connection

from db.engine import is_sqlite
from db.partitions import load_targets

_BOTH_KNOWN = "m.budget IS NOT NULL AND m.revenue IS NOT NULL"
_FIGURE_COLUMNS = (
    "releases, budget, revenue, profit, with_budget, with_revenue, with_both, average_popularity, total_popularity"
)
# Rules 10-14. count(*) counts distinct movies: each (group, movie) pair appears once.
# SUM ignores NULLs and is NULL for an all-NULL group, as rules 11 and 12 want; profit sums
# only movies with both amounts known (rule 12), never total revenue minus total budget.
# PostgreSQL adds popularities up as exact decimals, so that the figures do not depend on
# the order a query plan happens to read the movies in (floating-point sums do).
_FIGURES = (
    "count(*), sum(m.budget), sum(m.revenue), "
    f"sum(CASE WHEN {_BOTH_KNOWN} THEN m.revenue - m.budget END), "
    f"count(m.budget), count(m.revenue), count(CASE WHEN {_BOTH_KNOWN} THEN 1 END), "
    "avg({popularity}), sum({popularity})"
)


def precompute_statements(targets: Mapping[str, str], *, postgresql: bool) -> list[str]:
    """The SQL that fills version `:v`'s yearly tables from its movies and links, all in `targets`."""
    movies, genres, companies = targets["movies"], targets["movie_genres"], targets["movie_companies"]
    movie_of = f"JOIN {movies} m ON m.version_id = {{link}}.version_id AND m.id = {{link}}.movie_id"
    figures = _FIGURES.format(popularity="m.popularity::numeric" if postgresql else "m.popularity")
    return [
        f"INSERT INTO {targets['year_totals']} (version_id, year, {_FIGURE_COLUMNS}) "
        f"SELECT :v, m.release_year, {figures} FROM {movies} m "
        "WHERE m.version_id = :v AND m.release_year IS NOT NULL GROUP BY m.release_year",
        # Rule 17.
        f"INSERT INTO {targets['genre_years']} (version_id, genre_id, year, {_FIGURE_COLUMNS}) "
        f"SELECT :v, g.genre_id, m.release_year, {figures} FROM {genres} g {movie_of.format(link='g')} "
        "WHERE g.version_id = :v AND m.release_year IS NOT NULL GROUP BY g.genre_id, m.release_year",
        # Rule 16.
        f"INSERT INTO {targets['company_years']} (version_id, company_id, year, {_FIGURE_COLUMNS}) "
        f"SELECT :v, c.company_id, m.release_year, {figures} FROM {companies} c {movie_of.format(link='c')} "
        "WHERE c.version_id = :v AND m.release_year IS NOT NULL GROUP BY c.company_id, m.release_year",
        # Rule 16, releases by genre (rule 15: a movie counts in each of its genres).
        f"INSERT INTO {targets['company_year_genres']} (version_id, company_id, year, genre_id, releases) "
        f"SELECT :v, c.company_id, m.release_year, g.genre_id, count(*) FROM {companies} c {movie_of.format(link='c')} "
        f"JOIN {genres} g ON g.version_id = c.version_id AND g.movie_id = c.movie_id "
        "WHERE c.version_id = :v AND m.release_year IS NOT NULL GROUP BY c.company_id, m.release_year, g.genre_id",
    ]


def precompute(connection: Connection, version_id: int) -> None:
    """Fill the yearly tables of one version from its movies and links."""
    statements = precompute_statements(load_targets(connection, version_id), postgresql=not is_sqlite(connection))
    for statement in statements:
        connection.execute(text(statement), {"v": version_id})
