"""The movies behind every figure: filtered, ordered and keyset-paged movie lists.

A company's or genre's movies come from company_movies / genre_movies, one range of their
(version, entity, year) index; a year's from the movies' (version, year) index. The cursor
names the last movie handed out: its sort key is read back from the version's movies, which
never change, so a cursor stays valid across the pages of a version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, Table, and_, exists, func, or_, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from db.tables import company_movies, dataset_versions, genre_movies, movie_genres, movies
from db.text_match import contains_text
from resolvers import cursors
from resolvers.paging import InvalidCursor

_CURSOR = "movie"
_Key = Callable[[Any], ColumnElement[Any]]  # the sort key of a movie, from a `movies` table or alias
# GraphQL's MovieOrder values: (sort key, best first). Numbers best first, dates and titles
# ascending; unknowns last either way; ties by id.
ORDERS: dict[str, tuple[_Key, bool]] = {
    "POPULARITY": (lambda m: m.c.popularity, True),
    "REVENUE": (lambda m: m.c.revenue, True),
    "BUDGET": (lambda m: m.c.budget, True),
    "PROFIT": (lambda m: m.c.revenue - m.c.budget, True),
    "RELEASE_DATE": (lambda m: m.c.release_date, False),
    "TITLE": (lambda m: m.c.title, False),
}


@dataclass(frozen=True, slots=True)
class MovieFilter:
    """The filters of a movie list; None leaves one out."""

    year: int | None = None
    genre_id: int | None = None
    company_id: int | None = None
    search: str | None = None
    from_year: int | None = None  # an inclusive span of release years, besides `year`
    to_year: int | None = None

    def is_empty(self) -> bool:
        """Whether it matches every movie."""
        return self == MovieFilter()


@dataclass(frozen=True, slots=True)
class MoviePage:
    """One page of movies (`movies` rows)."""

    total_count: int
    nodes: Sequence[Row[*tuple[Any, ...]]]
    has_next_page: bool
    end_cursor: str | None


def group_filter(owner: str, id_: int, year: int) -> MovieFilter:
    """The movies of one (entity, year) group; `owner` is the link table's entity id column."""
    if owner == "company_id":
        return MovieFilter(year=year, company_id=id_)
    if owner == "genre_id":
        return MovieFilter(year=year, genre_id=id_)
    raise ValueError(f"no movie filter by {owner!r}")


def ordered(order: str, link: Table | None = None) -> list[ColumnElement[Any]]:
    """ORDER BY of a movie list; by the `link` table's copy of the popularity where it has one,
    which its year index holds in order (the same values, so the same order)."""
    if order == "POPULARITY" and link is not None:
        return [link.c.popularity.desc().nulls_last(), link.c.movie_id]
    key, best_first = ORDERS[order]
    value = key(movies)
    return [value.desc().nulls_last() if best_first else value.asc().nulls_last(), movies.c.id]


def narrowing_link(where: MovieFilter) -> Table | None:
    """The link table `matching` reads a filter's movies through, if any."""
    if where.company_id is not None:
        return company_movies
    return genre_movies if where.genre_id is not None else None


# The lists of each entity's movies, by the filter field that names the entity (MovieFilter, ExportFilter).
ENTITY_MOVIES = ((company_movies, "company_id"), (genre_movies, "genre_id"))


def matching(version_id: int, where: MovieFilter) -> Select[Any]:
    """The version's movies that pass every filter (all their columns)."""
    m = movies
    query = select(m).where(m.c.version_id == version_id)
    linked = False
    for link, owner in ENTITY_MOVIES:
        if (entity_id := getattr(where, owner)) is None:
            continue
        if linked:  # already narrowed to one company's movies: the genre is a key lookup per movie
            query = query.where(_has_genre(version_id, entity_id))
            continue
        query = query.join(link, and_(link.c.version_id == version_id, link.c.movie_id == m.c.id))
        query = query.where(link.c[owner] == entity_id)
        query = _in_years(query, link.c.year, where)
        linked = True
    if not linked:
        query = _in_years(query, m.c.release_year, where)
    if where.search:
        query = query.where(contains_text(m.c.title, where.search))
    return query


def _in_years(query: Select[Any], year: ColumnElement[int], where: MovieFilter) -> Select[Any]:
    if where.year is not None:
        query = query.where(year == where.year)
    if where.from_year is not None:
        query = query.where(year >= where.from_year)
    if where.to_year is not None:
        query = query.where(year <= where.to_year)
    return query


def _has_genre(version_id: int, genre_id: int) -> ColumnElement[bool]:
    g = movie_genres
    return exists().where(g.c.version_id == version_id, g.c.movie_id == movies.c.id, g.c.genre_id == genre_id)


def _after(connection: Connection, version_id: int, order: str, last_id: int) -> ColumnElement[bool]:
    """The movies listed after movie `last_id` in `order`; InvalidCursor when the version has no such movie."""
    key, best_first = ORDERS[order]
    last = movies.alias("last")
    found = connection.execute(select(key(last)).where(last.c.version_id == version_id, last.c.id == last_id)).first()
    if found is None:
        raise InvalidCursor(f"movie {last_id}")
    value = key(movies)
    if found[0] is None:
        return and_(value.is_(None), movies.c.id > last_id)
    # The last key compared as stored (an exact decimal popularity on PostgreSQL), not as a float.
    last_value = select(key(last)).where(last.c.version_id == version_id, last.c.id == last_id).scalar_subquery()
    beyond = value < last_value if best_first else value > last_value
    return or_(beyond, and_(value == last_value, movies.c.id > last_id), value.is_(None))


def movie_page(
    connection: Connection, version_id: int, where: MovieFilter, order: str, first: int, after: str | None
) -> MoviePage:
    """One page of the movies that pass `where`, in `order`."""
    query = matching(version_id, where)
    listing = cursors.listing(order, where)
    if after is not None:
        cursor_listing, last_id = cursors.decode(after, _CURSOR, ((str,), (int,)))
        if cursor_listing != listing:  # a cursor of another order or filter points nowhere in this one
            raise InvalidCursor(after)
        assert isinstance(last_id, int)  # decode() checked each part's type
        query = query.where(_after(connection, version_id, order, last_id))
    rows = connection.execute(query.order_by(*ordered(order, narrowing_link(where))).limit(first + 1)).all()
    nodes = rows[:first]
    end = cursors.encode(_CURSOR, listing, nodes[-1].id) if nodes else None
    return MoviePage(_count(connection, version_id, where), nodes, len(rows) > first, end)


def _count(connection: Connection, version_id: int, where: MovieFilter) -> int:
    if where.is_empty():  # counted at load time
        found = select(dataset_versions.c.movies).where(dataset_versions.c.id == version_id)
        counted: int = connection.execute(found).scalar_one()
        return counted
    ids = matching(version_id, where).with_only_columns(movies.c.id).subquery()
    matched: int = connection.execute(select(func.count()).select_from(ids)).scalar_one()
    return matched


def first_pages(
    connection: Connection,
    version_id: int,
    link: Table,
    owner: str,
    groups: Sequence[tuple[int, int]],
    order: str,
    first: int,
) -> dict[tuple[int, int], MoviePage]:
    """The first page of the movies of several (entity id, year) groups, in one statement.

    In the default order the groups are ranked on the link table alone, from its year index,
    and only the movies of the pages are read; in another order every movie of the groups is.
    """
    if not groups:
        return {}
    key = (link.c[owner], link.c.year)
    by_link = order == "POPULARITY"
    ranked = select(
        link.c[owner].label("group_owner"),
        link.c.year.label("group_year"),
        *([link.c.movie_id] if by_link else [movies]),
        func.row_number().over(partition_by=key, order_by=ordered(order, link)).label("position"),
        func.count().over(partition_by=key).label("group_size"),
    ).where(
        link.c.version_id == version_id,
        link.c[owner].in_(sorted({owner_id for owner_id, _ in groups})),
        link.c.year.in_(sorted({year for _, year in groups})),
        tuple_(*key).in_(sorted(set(groups))),
    )
    if not by_link:
        ranked = ranked.join_from(link, movies, _movie_of(version_id, link.c.movie_id))
    page = ranked.subquery("ranked")
    query = select(page).where(page.c.position <= first + 1)
    if by_link:
        query = select(page.c.group_owner, page.c.group_year, page.c.position, page.c.group_size, movies)
        query = query.join_from(page, movies, _movie_of(version_id, page.c.movie_id)).where(
            page.c.position <= first + 1
        )
    query = query.order_by(page.c.group_owner, page.c.group_year, page.c.position)
    found: dict[tuple[int, int], list[Row[*tuple[Any, ...]]]] = {}
    for row in connection.execute(query):
        found.setdefault((row.group_owner, row.group_year), []).append(row)
    pages = {}
    for group in groups:
        rows = found.get(group, [])
        nodes = rows[:first]
        listing = cursors.listing(order, group_filter(owner, *group))  # as movie_page's for the next page
        end = cursors.encode(_CURSOR, listing, nodes[-1].id) if nodes else None
        total = rows[0].group_size if rows else 0
        pages[group] = MoviePage(total, nodes, len(rows) > first, end)
    return pages


def _movie_of(version_id: int, movie_id: ColumnElement[int]) -> ColumnElement[bool]:
    return and_(movies.c.version_id == version_id, movies.c.id == movie_id)
