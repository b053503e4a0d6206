"""The precomputed figures of data rules 10-19, built in SQL at load time."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from db import partitions
from db.cores import parallel_connections
from db.parallel import run_on_connections
from db.spans import span_figures, span_select_list
from db.staging import load_settings_sql

_BOTH_KNOWN = "m.budget IS NOT NULL AND m.revenue IS NOT NULL"
_FIGURE_COLUMNS = (
    "releases, budget, revenue, profit, with_budget, with_revenue, with_both, with_popularity, "
    "average_popularity, total_popularity"
)
# Rules 10-14. count(*) counts distinct movies: each (group, movie) pair appears once.
# SUM ignores NULLs and is NULL for an all-NULL group, as rules 11 and 12 want; profit sums
# only movies with both amounts known (rule 12), never total revenue minus total budget.
# PostgreSQL stores popularity as an exact decimal (db.tables.movies) and adds it up exactly,
# so that the figures do not depend on the order a query plan happens to read the movies in
# (floating-point sums do).
_FIGURES = (
    "count(*), sum(m.budget), sum(m.revenue), "
    f"sum(CASE WHEN {_BOTH_KNOWN} THEN m.revenue - m.budget END), "
    f"count(m.budget), count(m.revenue), count(CASE WHEN {_BOTH_KNOWN} THEN 1 END), count(m.popularity), "
    "avg(m.popularity), sum(m.popularity)"
)


def precompute_statements(targets: Mapping[str, str]) -> dict[str, str]:
    """The SQL that fills version `:v`'s precomputed tables from its movies and links, all in `targets`.

    By the table each statement fills, in an order they can run in: a table of DERIVED_FROM
    after the one it is read from, the others in any order.
    """
    movies, genres, companies = targets["movies"], targets["movie_genres"], targets["movie_companies"]
    movie_of = f"JOIN {movies} m ON m.version_id = {{link}}.version_id AND m.id = {{link}}.movie_id"
    return {
        "year_totals": f"INSERT INTO {targets['year_totals']} (version_id, year, {_FIGURE_COLUMNS}) "
        f"SELECT :v, m.release_year, {_FIGURES} FROM {movies} m "
        "WHERE m.version_id = :v AND m.release_year IS NOT NULL GROUP BY m.release_year",
        # Rule 17.
        "genre_years": f"INSERT INTO {targets['genre_years']} (version_id, genre_id, year, {_FIGURE_COLUMNS}) "
        f"SELECT :v, g.genre_id, m.release_year, {_FIGURES} FROM {genres} g {movie_of.format(link='g')} "
        "WHERE g.version_id = :v AND m.release_year IS NOT NULL GROUP BY g.genre_id, m.release_year",
        # Rule 16.
        "company_years": f"INSERT INTO {targets['company_years']} (version_id, company_id, year, {_FIGURE_COLUMNS}) "
        f"SELECT :v, c.company_id, m.release_year, {_FIGURES} FROM {companies} c {movie_of.format(link='c')} "
        "WHERE c.version_id = :v AND m.release_year IS NOT NULL GROUP BY c.company_id, m.release_year",
        # The movies behind each figure, by year: what a company-year's or genre-year's movies read.
        "company_movies": f"INSERT INTO {targets['company_movies']} (version_id, company_id, movie_id, year, popularity) "
        f"SELECT :v, c.company_id, c.movie_id, m.release_year, m.popularity FROM {companies} c {movie_of.format(link='c')} "
        "WHERE c.version_id = :v",
        "genre_movies": f"INSERT INTO {targets['genre_movies']} (version_id, genre_id, movie_id, year, popularity) "
        f"SELECT :v, g.genre_id, g.movie_id, m.release_year, m.popularity FROM {genres} g {movie_of.format(link='g')} "
        "WHERE g.version_id = :v",
        # Rule 16, releases by genre (rule 15: a movie counts in each of its genres), from the
        # companies' movies, which already carry the year: one join fewer than from the links.
        "company_year_genres": f"INSERT INTO {targets['company_year_genres']} (version_id, company_id, year, genre_id, releases) "
        f"SELECT :v, c.company_id, c.year, g.genre_id, count(*) FROM {targets['company_movies']} c "
        f"JOIN {genres} g ON g.version_id = c.version_id AND g.movie_id = c.movie_id "
        "WHERE c.version_id = :v AND c.year IS NOT NULL GROUP BY c.company_id, c.year, g.genre_id",
        **{
            totals: _totals_statement(targets, totals, yearly, entity, owner)
            for totals, (yearly, entity, owner) in _TOTALS.items()
        },
    }


# Whole-dataset totals summed from the yearly table of the same entity (db.spans): by totals
# table, (yearly table, entity table, entity id column).
_TOTALS = {
    "company_totals": ("company_years", "companies", "company_id"),
    "genre_totals": ("genre_years", "genres", "genre_id"),
}
# The precomputed tables read from another: by table, the table it is read from.
DERIVED_FROM = {
    **{totals: yearly for totals, (yearly, _, _) in _TOTALS.items()},
    "company_year_genres": "company_movies",
}


def _totals_statement(targets: Mapping[str, str], totals: str, yearly: str, entity: str, owner: str) -> str:
    """Each entity's figures over all its years, with its name, which rankings break ties by.

    Summed by entity id first, then named: joining the names to the yearly rows instead made
    the sums group by id and name, a wider sort of three times as many rows.
    """
    figures = span_figures("y")
    return (
        f"INSERT INTO {targets[totals]} (version_id, {owner}, name, {', '.join(figures)}, ranking_size) "
        f"SELECT :v, t.{owner}, e.name, {', '.join(f't.{name}' for name in figures)}, count(*) OVER () "
        f"FROM (SELECT y.{owner}, {span_select_list('y')} FROM {targets[yearly]} y "
        f"WHERE y.version_id = :v GROUP BY y.{owner}) t "
        f"JOIN {targets[entity]} e ON e.version_id = :v AND e.id = t.{owner}"
    )


def precompute(connection: Connection, version_id: int, targets: Mapping[str, str]) -> None:
    """Fill the yearly tables of one version from its movies and links in `targets`, on this connection."""
    for statement in precompute_statements(targets).values():
        connection.execute(text(statement), {"v": version_id})


# The version's tables from the longest to the shortest to fill and index, with the tables
# read from them: at 45,000 records, CPU time of the serial statements (docs/benchmarks.md),
# company_movies with company_year_genres and company_years with company_totals about 0.37 s
# each, genre_movies 0.13 s, genre_years 0.07 s, movies 0.06 s, the others 0.05 s or less.
_LONGEST_FIRST = (
    "company_movies",
    "company_years",
    "genre_movies",
    "genre_years",
    "movies",
    "movie_genres",
    "movie_companies",
    "year_totals",
    "companies",
    "genres",
    "rejections",
    *DERIVED_FROM,  # each runs within the task of the table it is read from
)
# The planner knows nothing of a new version's tables and groups their rows the way it would a
# handful. Where that is slow, the fill turns one way off for its statement (SET LOCAL), as
# measured by `python -m bench.precompute_profile` (45,000 records, docs/benchmarks.md):
_GROUPED_BY = {
    # A few groups of many rows: hashed instead of sorting every row (genre_years: 59 ms, not 90).
    "year_totals": "enable_sort",
    "genre_years": "enable_sort",
    # Nearly as many groups as rows: sorted, so that the rows are written in the order of the
    # table's index, which then builds in half the time (230 + 38 ms instead of 214 + 81).
    "company_year_genres": "enable_hashagg",
}
PRECOMPUTE_CONNECTIONS = parallel_connections()  # one per core, capped (db.cores)


def precompute_and_index(engine: Engine, version_id: int) -> None:
    """Fill the yearly tables of a version and index all its tables, over PRECOMPUTE_CONNECTIONS connections (PostgreSQL).

    The version's movies and links must be committed, since the work runs on connections of
    its own, and its tables must not be attached yet (`partitions.attach` comes next).
    """
    fills = precompute_statements(partitions.version_tables(version_id))
    indexes = partitions.index_statements(version_id)
    tables = sorted(partitions.VERSIONED_TABLES, key=_LONGEST_FIRST.index)  # a table missing there fails here

    def work(table: str) -> list[str]:
        fill = [fills[table]] if table in fills else []
        if table in _GROUPED_BY:
            fill = [f"SET LOCAL {_GROUPED_BY[table]} = off", *fill, f"SET LOCAL {_GROUPED_BY[table]} = on"]
        return [*fill, *indexes[table]]

    read_by = {source: table for table, source in DERIVED_FROM.items()}
    tasks = [
        [*work(table), *(work(read_by[table]) if table in read_by else [])]
        for table in tables
        if table not in DERIVED_FROM
    ]
    setup = [*load_settings_sql(), f"SET LOCAL maintenance_work_mem = '{partitions.INDEX_MAINTENANCE_WORK_MEM}'"]
    run_on_connections(engine, tasks, connections=PRECOMPUTE_CONNECTIONS, setup=setup, parameters={"v": version_id})
