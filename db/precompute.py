"""The precomputed figures of data rules 10-19, built in SQL at load time."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

_BOTH_KNOWN = "m.budget IS NOT NULL AND m.revenue IS NOT NULL"
_FIGURE_COLUMNS = (
    "releases, budget, revenue, profit, with_budget, with_revenue, with_both, average_popularity, total_popularity"
)
# Rules 10-14. count(*) counts distinct movies: each (group, movie) pair appears once.
# SUM ignores NULLs and is NULL for an all-NULL group, as rules 11 and 12 want; profit sums
# only movies with both amounts known (rule 12), never total revenue minus total budget.
_FIGURES = (
    "count(*), sum(m.budget), sum(m.revenue), "
    f"sum(CASE WHEN {_BOTH_KNOWN} THEN m.revenue - m.budget END), "
    f"count(m.budget), count(m.revenue), count(CASE WHEN {_BOTH_KNOWN} THEN 1 END), "
    "avg(m.popularity), sum(m.popularity)"
)
_MOVIE_OF = "JOIN movies m ON m.version_id = {link}.version_id AND m.id = {link}.movie_id"

PRECOMPUTE_STATEMENTS = (
    f"INSERT INTO year_totals (version_id, year, {_FIGURE_COLUMNS}) "
    f"SELECT :v, m.release_year, {_FIGURES} FROM movies m "
    "WHERE m.version_id = :v AND m.release_year IS NOT NULL GROUP BY m.release_year",
    # Rule 17.
    f"INSERT INTO genre_years (version_id, genre_id, year, {_FIGURE_COLUMNS}) "
    f"SELECT :v, g.genre_id, m.release_year, {_FIGURES} FROM movie_genres g {_MOVIE_OF.format(link='g')} "
    "WHERE g.version_id = :v AND m.release_year IS NOT NULL GROUP BY g.genre_id, m.release_year",
    # Rule 16.
    f"INSERT INTO company_years (version_id, company_id, year, {_FIGURE_COLUMNS}) "
    f"SELECT :v, c.company_id, m.release_year, {_FIGURES} FROM movie_companies c {_MOVIE_OF.format(link='c')} "
    "WHERE c.version_id = :v AND m.release_year IS NOT NULL GROUP BY c.company_id, m.release_year",
    # Rule 16, releases by genre (rule 15: a movie counts in each of its genres).
    "INSERT INTO company_year_genres (version_id, company_id, year, genre_id, releases) "
    f"SELECT :v, c.company_id, m.release_year, g.genre_id, count(*) FROM movie_companies c {_MOVIE_OF.format(link='c')} "
    "JOIN movie_genres g ON g.version_id = c.version_id AND g.movie_id = c.movie_id "
    "WHERE c.version_id = :v AND m.release_year IS NOT NULL GROUP BY c.company_id, m.release_year, g.genre_id",
)


def precompute(connection: Connection, version_id: int) -> None:
    """Fill the yearly tables of one version from its movies and links."""
    for statement in PRECOMPUTE_STATEMENTS:
        connection.execute(text(statement), {"v": version_id})
