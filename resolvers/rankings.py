"""Companies and genres ranked by a figure summed over a span of years, and their span totals.

Without bounds, the whole-dataset totals precomputed at load time answer (db.tables
company_totals, walked by the index of the metric); with bounds, the yearly rows of the span
are summed (db.spans) through the (version, year) index. Order: best first, NULLs last, ties
by name (code point order on both stores) then id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, Table, and_, func, literal_column, or_, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement, Label

from db.api_database import Database
from db.spans import span_figures
from db.tables import companies, company_totals, company_years, genre_totals, genre_years, genres
from resolvers import cursors
from resolvers.paging import InvalidCursor
from resolvers.years import in_years

# GraphQL's CompanyMetric and GenreMetric values, by the column that holds them.
METRIC_COLUMNS = {
    "RELEASES": "releases",
    "BUDGET": "budget",
    "REVENUE": "revenue",
    "PROFIT": "profit",
    "AVERAGE_POPULARITY": "average_popularity",
    "TOTAL_POPULARITY": "total_popularity",
}
_CURSOR = "ranking"
_NUMBER = (int, float, type(None))


@dataclass(frozen=True, slots=True)
class Ranked:
    """The tables one kind of entity is ranked from."""

    yearly: Table
    totals: Table
    entity: Table
    owner: str  # the entity id column of `yearly` and `totals`


COMPANIES = Ranked(company_years, company_totals, companies, "company_id")
GENRES = Ranked(genre_years, genre_totals, genres, "genre_id")


@dataclass(frozen=True, slots=True)
class RankingPage:
    """One page of a ranking; rows have `id`, `name`, `years` and the figures."""

    nodes: Sequence[Row[*tuple[Any, ...]]]
    has_next_page: bool
    end_cursor: str | None


def span_totals(ranked: Ranked, version_id: int, first: int | None, last: int | None) -> Select[Any]:
    """Every entity with releases in the span, with its name and figures over the span."""
    if first is None and last is None:
        t = ranked.totals
        columns = (t.c[name] for name in span_figures("y"))
        return select(t.c[ranked.owner].label("id"), t.c.name, *columns).where(t.c.version_id == version_id)
    y = ranked.yearly.alias("y")
    figures: list[Label[Any]] = [literal_column(sql).label(name) for name, sql in span_figures("y").items()]
    sums = in_years(
        select(y.c[ranked.owner].label("id"), *figures).where(y.c.version_id == version_id), y.c.year, first, last
    )
    span = sums.group_by(y.c[ranked.owner]).subquery("span")
    e = ranked.entity
    # A key lookup per entity of the span (PostgreSQL would rather hash every entity's name).
    name = select(e.c.name).where(e.c.version_id == version_id, e.c.id == span.c.id).scalar_subquery()
    return select(span.c.id, name.label("name"), *(span.c[name] for name in span_figures("y")))


def _ranked(query: Select[Any], metric: str) -> tuple[Select[Any], ColumnElement[Any], Any]:
    span = query.subquery("ranked")
    value = span.c[METRIC_COLUMNS[metric]]
    return select(span), value, span


def _order(value: ColumnElement[Any], span: Any) -> list[ColumnElement[Any]]:
    return [value.desc().nulls_last(), span.c.name, span.c.id]


def _after(value: ColumnElement[Any], span: Any, key: list[Any]) -> ColumnElement[bool]:
    """The rows ranked after the one with sort key (value, name, id)."""
    last_value, name, id_ = key
    later_tie = tuple_(span.c.name, span.c.id) > tuple_(name, id_)
    if last_value is None:
        return and_(value.is_(None), later_tie)
    return or_(value < last_value, and_(value == last_value, later_tie), value.is_(None))


def rank_page(
    connection: Connection,
    ranked: Ranked,
    version_id: int,
    metric: str,
    span: tuple[int | None, int | None],
    first: int,
    after: str | None,
) -> RankingPage:
    """One page of entities ranked by `metric` over the span, best first."""
    listing = cursors.listing(ranked.owner, metric, *span)
    query, value, table = _ranked(span_totals(ranked, version_id, *span), metric)
    if after is not None:
        cursor_listing, *key = cursors.decode(after, _CURSOR, ((str,), _NUMBER, (str,), (int,)))
        if cursor_listing != listing:  # a cursor of another metric or span points nowhere in this ranking
            raise InvalidCursor(after)
        query = query.where(_after(value, table, key))
    rows = connection.execute(query.order_by(*_order(value, table)).limit(first + 1)).all()
    nodes = rows[:first]
    column = METRIC_COLUMNS[metric]
    end = cursors.encode(_CURSOR, listing, getattr(nodes[-1], column), nodes[-1].name, nodes[-1].id) if nodes else None
    return RankingPage(nodes, len(rows) > first, end)


def rank_all(
    connection: Connection, ranked: Ranked, version_id: int, metric: str, span: tuple[int | None, int | None]
) -> list[Row[*tuple[Any, ...]]]:
    """Every entity with releases in the span, ranked by `metric`, best first."""
    query, value, table = _ranked(span_totals(ranked, version_id, *span), metric)
    return list(connection.execute(query.order_by(*_order(value, table))))


def count_ranked(connection: Connection, ranked: Ranked, version_id: int, first: int | None, last: int | None) -> int:
    """How many entities have releases in the span: one read of each, asked for only when wanted."""
    if first is None and last is None:
        t = ranked.totals
        first_row = select(t.c.ranking_size).where(t.c.version_id == version_id).order_by(t.c[ranked.owner]).limit(1)
        size: int | None = connection.execute(first_row).scalar()
        return size or 0
    y = ranked.yearly
    query = select(func.count(y.c[ranked.owner].distinct())).where(y.c.version_id == version_id)
    counted: int = connection.execute(in_years(query, y.c.year, first, last)).scalar_one()
    return counted


def totals_by_id(
    connection: Connection, ranked: Ranked, version_id: int, ids: Sequence[int], first: int | None, last: int | None
) -> dict[int, Row[*tuple[Any, ...]]]:
    """Span totals of several entities by id; an entity with no release in the span is absent."""
    totals = span_totals(ranked, version_id, first, last).subquery("totals")
    query = select(totals).where(totals.c.id.in_(sorted(set(ids))))
    return {row.id: row for row in connection.execute(query)}


async def rank_companies(
    db: Database,
    *,
    version_id: int,
    metric: str,
    first_year: int | None,
    last_year: int | None,
    first: int,
    after: str | None,
) -> RankingPage:
    """A page of companies ranked over a span."""
    return await db.run(rank_page, COMPANIES, version_id, metric, (first_year, last_year), first, after)


async def count_ranked_companies(
    db: Database, *, version_id: int, first_year: int | None, last_year: int | None
) -> int:
    """How many companies have releases in a span."""
    return await db.run(count_ranked, COMPANIES, version_id, first_year, last_year)


async def rank_genres_over(
    db: Database, *, version_id: int, metric: str, first_year: int | None, last_year: int | None
) -> list[Row[*tuple[Any, ...]]]:
    """Every genre ranked over a span."""
    return await db.run(rank_all, GENRES, version_id, metric, (first_year, last_year))
