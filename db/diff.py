"""What changed between two dataset versions: movies added, removed and changed, and the years
whose totals moved most.

The comparison runs in the database as set-based SQL, on SQLite and PostgreSQL alike; only
counts and a few examples come back to Python, however large the versions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, Table, and_, exists, func, or_, select, union
from sqlalchemy.engine import Connection

from db.fields import MOVIE_COLUMNS
from db.tables import movie_companies, movie_genres, movies, year_totals
from db.versions import VersionError, get_version, latest_staged_id, live_version_id

TOP_YEARS = 10
_COMPARED_COLUMNS = [column for column in MOVIE_COLUMNS if column != "id"]
_LINKS = ((movie_genres, "genre_id"), (movie_companies, "company_id"))


@dataclass(frozen=True, slots=True)
class MovieRef:
    """A movie named in a diff."""

    id: int
    title: str


@dataclass(frozen=True, slots=True)
class YearFigures:
    """A year's totals in one version; a year the version lacks has no releases and no money."""

    releases: int
    budget: int | None
    revenue: int | None
    profit: int | None


@dataclass(frozen=True, slots=True)
class YearChange:
    """One year's totals before (version a) and after (version b)."""

    year: int
    before: YearFigures
    after: YearFigures


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """How version b differs from version a."""

    a: int
    b: int
    added: int  # ids only in b
    removed: int  # ids only in a
    changed: int  # ids in both whose stored columns or genre/company links differ
    added_examples: list[MovieRef]
    removed_examples: list[MovieRef]
    changed_examples: list[MovieRef]
    years: list[YearChange]  # the TOP_YEARS years whose totals moved most

    @property
    def empty(self) -> bool:
        """True when the two versions hold the same movies."""
        return not (self.added or self.removed or self.changed)


def default_versions(connection: Connection) -> tuple[int, int]:
    """(live, newest staged): what `movie-stats diff` compares when given no versions."""
    live, staged = live_version_id(connection), latest_staged_id(connection)
    if live is None or staged is None:
        missing = "live" if live is None else "staged"
        raise VersionError(f"There is no {missing} version to compare. Name two versions: `movie-stats diff A B`.")
    return live, staged


def diff_versions(connection: Connection, a: int, b: int, *, examples: int = 20) -> VersionDiff:
    """Compare version b with version a; `examples` movies of each kind are named, lowest ids first."""
    for version_id in (a, b):
        get_version(connection, version_id)  # VersionError for an unknown id
    added, removed, changed = _only_in(b, a), _only_in(a, b), _changed(a, b)
    return VersionDiff(
        a=a,
        b=b,
        added=_count(connection, added),
        removed=_count(connection, removed),
        changed=_count(connection, changed),
        added_examples=_examples(connection, added, examples),
        removed_examples=_examples(connection, removed, examples),
        changed_examples=_examples(connection, changed, examples),
        years=_year_changes(connection, a, b),
    )


def movies_dropped(connection: Connection, a: int, b: int) -> int:
    """How many movie ids of version a version b lacks (the shrink check's figure)."""
    return _count(connection, _only_in(a, b))


def _only_in(x: int, y: int) -> Select[tuple[int, str]]:
    """Movies of version x whose id version y lacks."""
    mx, my = movies.alias("mx"), movies.alias("my")
    return select(mx.c.id, mx.c.title).where(
        mx.c.version_id == x, ~exists().where(my.c.version_id == y, my.c.id == mx.c.id)
    )


def _changed(a: int, b: int) -> Select[tuple[int, str]]:
    """Movies in both versions that differ in a stored column or a link (titles as in b)."""
    ma, mb = movies.alias("ma"), movies.alias("mb")
    # IS DISTINCT FROM on PostgreSQL, IS NOT on SQLite: NULL against NULL is no change.
    column_differs = [ma.c[column].is_distinct_from(mb.c[column]) for column in _COMPARED_COLUMNS]
    link_differs = [_link_missing(link, column, ma.c.id, x, y) for link, column in _LINKS for x, y in ((a, b), (b, a))]
    both = ma.join(mb, and_(mb.c.version_id == b, mb.c.id == ma.c.id))
    return (
        select(mb.c.id, mb.c.title).select_from(both).where(ma.c.version_id == a, or_(*column_differs, *link_differs))
    )


def _link_missing(link: Table, column: str, movie_id: ColumnElement[int], x: int, y: int) -> ColumnElement[bool]:
    """True when the movie has a link in version x that version y lacks."""
    lx, ly = link.alias(), link.alias()
    same_link = exists().where(ly.c.version_id == y, ly.c.movie_id == lx.c.movie_id, ly.c[column] == lx.c[column])
    return exists().where(lx.c.version_id == x, lx.c.movie_id == movie_id, ~same_link)


def _count(connection: Connection, query: Select[tuple[int, str]]) -> int:
    return connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def _examples(connection: Connection, query: Select[tuple[int, str]], limit: int) -> list[MovieRef]:
    found = query.subquery()
    rows = connection.execute(select(found.c.id, found.c.title).order_by(found.c.id).limit(limit))
    return [MovieRef(id=row.id, title=row.title) for row in rows]


def _year_changes(connection: Connection, a: int, b: int) -> list[YearChange]:
    """The years whose totals differ, by |change in releases|, then |change in profit|."""
    years = union(
        select(year_totals.c.year).where(year_totals.c.version_id == a),
        select(year_totals.c.year).where(year_totals.c.version_id == b),
    ).subquery("y")
    ta, tb = year_totals.alias("ta"), year_totals.alias("tb")
    joined = years.outerjoin(ta, and_(ta.c.version_id == a, ta.c.year == years.c.year)).outerjoin(
        tb, and_(tb.c.version_id == b, tb.c.year == years.c.year)
    )
    # A year missing from a version had no releases there; unknown profit ranks as no profit.
    releases_a, releases_b = func.coalesce(ta.c.releases, 0), func.coalesce(tb.c.releases, 0)
    moved = or_(releases_a != releases_b, *(ta.c[c].is_distinct_from(tb.c[c]) for c in ("budget", "revenue", "profit")))
    query = (
        select(
            years.c.year,
            releases_a,
            ta.c.budget,
            ta.c.revenue,
            ta.c.profit,
            releases_b,
            tb.c.budget,
            tb.c.revenue,
            tb.c.profit,
        )
        .select_from(joined)
        .where(moved)
        .order_by(
            func.abs(releases_b - releases_a).desc(),
            func.abs(func.coalesce(tb.c.profit, 0) - func.coalesce(ta.c.profit, 0)).desc(),
            years.c.year,
        )
        .limit(TOP_YEARS)
    )
    return [
        YearChange(year=row[0], before=YearFigures(*row[1:5]), after=YearFigures(*row[5:9]))
        for row in connection.execute(query)
    ]
