"""Table definitions. Every data table is keyed by `version_id`: a dataset version is a slice.

Versions sit side by side (blue/green): loading one never touches another, promoting one is
a single-row status change, and pruning one drops its partitions on PostgreSQL (db.partitions)
or deletes its rows by `version_id` on SQLite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement

from db.fields import MOVIE_FIELDS

metadata = MetaData()

# Names and titles sort by Unicode code point on both stores: SQLite compares text bytewise
# (UTF-8 byte order is code point order), PostgreSQL by the column's collation, which "C"
# makes bytewise too whatever the database's default. Lowercasing for search goes through
# db.text_match, since PostgreSQL's lower() under "C" leaves non-ASCII letters alone.
CodePointText = Text().with_variant(Text(collation="C"), "postgresql")


class BestFirst(ColumnElement[Any]):
    """An index column in the API's "best first" order: descending, unknowns (NULL) last."""

    inherit_cache = True

    def __init__(self, column: str) -> None:
        self.column = column


@compiles(BestFirst)
def _best_first(element: BestFirst, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{element.column} DESC NULLS LAST"  # PostgreSQL puts NULLs first when descending


@compiles(BestFirst, "sqlite")
def _best_first_sqlite(element: BestFirst, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{element.column} DESC"  # SQLite puts NULLs last when descending, and refuses NULLS LAST here


# Version statuses. Exactly one version is `live`; a partial unique index enforces it.
# A version is `loading` while its load runs; nothing reads it. On PostgreSQL the load commits
# it so before it builds the version (importer.pipeline): a load killed after that leaves it
# `loading`, and the next command removes it (db.versions.remove_abandoned). On SQLite a load
# is one transaction, and a killed one leaves no row at all.
LOADING, STAGED, LIVE, RETIRED = "loading", "staged", "live", "retired"

dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("status", String(16), nullable=False),
    Column("mode", String(16), nullable=False),  # full | incremental
    Column("source_name", Text, nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("base_version_id", Integer, nullable=True),  # live version when the load began
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("promoted_at", DateTime(timezone=True), nullable=True),  # last time it went live
    Column("records", Integer, nullable=False, server_default="0"),
    Column("loaded", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("duplicates", Integer, nullable=False, server_default="0"),
    Column("movies", Integer, nullable=False, server_default="0"),
    Column("warnings", JSON, nullable=False),
    Column("checks", JSON, nullable=False),
    Index(
        "one_live_version",
        "status",
        unique=True,
        postgresql_where=text("status = 'live'"),
        sqlite_where=text("status = 'live'"),
    ),
)


# On PostgreSQL each version's rows are a partition of their own (see db.partitions).
_BY_VERSION: dict[str, Any] = {"postgresql_partition_by": "LIST (version_id)"}


# Which store an index of db.tables is created on (Index.info), where it differs between them.
STORE = "store"


def _version_index(name: str, *columns: str | BestFirst) -> list[Index]:
    """An index of one version's rows, spelt once per store under one name.

    SQLite keeps every version in the same tables, so there the index leads with version_id.
    PostgreSQL keeps each version in a partition of its own, where version_id is the same on
    every row: leading with it sends each comparison of the index build past it to the next
    column, without the shortcuts a first column gets (a quarter more CPU for the movie lists'
    indexes, four times as much for popularity's; docs/benchmarks.md), so there it is left out.
    Not everywhere: without statistics of a new partition the planner takes `version_id = v`
    for a selective condition, and where a key leads with version_id it would rather read the
    key and sort than walk an index without it (a ranking's page took 10 ms instead of 0.8).
    So only the tables without a key, and the movies' order by popularity, which the planner
    walked for every movie list measured, get these.
    """
    return [
        Index(name, "version_id", *columns, info={STORE: "sqlite"}).ddl_if(dialect="sqlite"),
        Index(name, *columns, info={STORE: "postgresql"}).ddl_if(dialect="postgresql"),
    ]


def indexes_of(table: Table, dialect: str) -> list[Index]:
    """The indexes `table` has on a store of `dialect` ("postgresql", "sqlite"), by name."""
    on_store = (index for index in table.indexes if index.info.get(STORE, dialect) == dialect)
    return sorted(on_store, key=lambda index: str(index.name))


def _version_fk(*, key: bool = True) -> Column[int]:
    # No FOREIGN KEY on purpose: per-row checks would slow bulk loads, and rows of a version
    # are only ever written by its own load and removed by `prune` (db.versions).
    return Column("version_id", Integer, primary_key=key, nullable=False, autoincrement=False)


rejections = Table(
    "rejections",
    metadata,
    _version_fk(),
    Column("line", Integer, primary_key=True),
    Column("reason", Text, nullable=False),
    **_BY_VERSION,
)

# How each kind of column of db.fields is stored.
SQL_TYPES: dict[str, Any] = {
    "integer": Integer,
    "bigint": BigInteger,
    "float": Float,
    "boolean": Boolean,
    "text": Text,
    "sorted_text": CodePointText,
    "iso_date": String(10),  # YYYY-MM-DD, NULL when unknown (rule 7)
    # An exact decimal on PostgreSQL, which sums it exactly (db.precompute); a float on SQLite.
    "popularity": Float().with_variant(Numeric(asdecimal=False), "postgresql"),
}

movies = Table(
    "movies",
    metadata,
    _version_fk(),
    *(
        Column(
            field.name,
            SQL_TYPES[field.sql],
            primary_key=field.name == "id",
            autoincrement=False,
            nullable=field.nullable,
        )
        for field in MOVIE_FIELDS
    ),
    # The `movies` field's default order walked without sorting, and a year's movies.
    *_version_index("movies_by_popularity", BestFirst("popularity"), "id"),
    Index("movies_by_year", "version_id", "release_year"),
    **_BY_VERSION,
)

genres = Table(
    "genres",
    metadata,
    _version_fk(),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", CodePointText, nullable=False),
    **_BY_VERSION,
)

companies = Table(
    "companies",
    metadata,
    _version_fk(),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", CodePointText, nullable=False),
    Index("companies_by_name", "version_id", "name", "id"),
    **_BY_VERSION,
)

movie_genres = Table(
    "movie_genres",
    metadata,
    _version_fk(),
    Column("movie_id", Integer, primary_key=True, autoincrement=False),
    Column("genre_id", Integer, primary_key=True, autoincrement=False),
    **_BY_VERSION,
)

movie_companies = Table(
    "movie_companies",
    metadata,
    _version_fk(),
    Column("movie_id", Integer, primary_key=True, autoincrement=False),
    Column("company_id", Integer, primary_key=True, autoincrement=False),
    **_BY_VERSION,
)


def _money_columns() -> list[Column[Any]]:
    """Figures shared by every precomputed group (rules 10-14, 19: money is 64-bit)."""
    return [
        Column("releases", Integer, nullable=False),
        Column("budget", BigInteger),
        Column("revenue", BigInteger),
        Column("profit", BigInteger),
        Column("with_budget", Integer, nullable=False),
        Column("with_revenue", Integer, nullable=False),
        Column("with_both", Integer, nullable=False),
        Column("average_popularity", Float),
        Column("total_popularity", Float),
        # Movies with a known popularity: what averagePopularity rests on, and what a span's
        # average divides its total popularity by (rule 14). Last, where migration 0005 added it.
        Column("with_popularity", Integer, nullable=False, server_default="0"),
    ]


# Precomputed at load time (rules 10-19): the API reads these and nothing heavier.
year_totals = Table(
    "year_totals",
    metadata,
    _version_fk(),
    Column("year", Integer, primary_key=True, autoincrement=False),
    *_money_columns(),
    **_BY_VERSION,
)

genre_years = Table(
    "genre_years",
    metadata,
    _version_fk(),
    Column("genre_id", Integer, primary_key=True, autoincrement=False),
    Column("year", Integer, primary_key=True, autoincrement=False),
    *_money_columns(),
    Index("genre_years_by_year", "version_id", "year"),
    **_BY_VERSION,
)

company_years = Table(
    "company_years",
    metadata,
    _version_fk(),
    Column("company_id", Integer, primary_key=True, autoincrement=False),
    Column("year", Integer, primary_key=True, autoincrement=False),
    *_money_columns(),
    Index("company_years_by_year", "version_id", "year"),  # a span ranking sums the years it covers
    **_BY_VERSION,
)

# One row per genre of a company-year, read by company-year (releasesByGenre). Unique by
# construction (one GROUP BY), so no key: the same columns without version_id serve those
# reads on PostgreSQL, and build at each load in a quarter less time than a key led by it.
company_year_genres = Table(
    "company_year_genres",
    metadata,
    _version_fk(key=False),
    Column("company_id", Integer, nullable=False, autoincrement=False),
    Column("year", Integer, nullable=False, autoincrement=False),
    Column("genre_id", Integer, nullable=False, autoincrement=False),
    Column("releases", Integer, nullable=False),
    *_version_index("company_year_genres_by_company_year", "company_id", "year", "genre_id"),
    **_BY_VERSION,
)


# The figures entities are ranked by over a span (GraphQL's CompanyMetric and GenreMetric).
RANKING_METRICS = ("releases", "budget", "revenue", "profit", "average_popularity", "total_popularity")


def _totals_columns(owner: str) -> list[Column[Any]]:
    """A whole-dataset totals row: the entity, its name (for ties), years with releases, figures."""
    return [
        _version_fk(),
        Column(owner, Integer, primary_key=True, autoincrement=False),
        Column("name", CodePointText, nullable=False),
        Column("years", Integer, nullable=False),
        *_money_columns(),
        # How many entities of the version have totals, on every row: a ranking's totalCount
        # over all years is one row's read, not a count of them all.
        Column("ranking_size", Integer, nullable=False),
    ]


def _ranking_indexes(table: str, owner: str) -> list[Index]:
    """One index per ranking metric, in the ranking's order: a page of the ranking is a walk."""
    return [Index(f"{table}_by_{metric}", "version_id", BestFirst(metric), "name", owner) for metric in RANKING_METRICS]


# Precomputed from the yearly tables (db.precompute): each entity's figures over every year,
# what a ranking or a `totals` without bounds reads.
company_totals = Table(
    "company_totals",
    metadata,
    *_totals_columns("company_id"),
    *_ranking_indexes("company_totals", "company_id"),
    **_BY_VERSION,
)
genre_totals = Table("genre_totals", metadata, *_totals_columns("genre_id"), **_BY_VERSION)


def _movie_list(table: str, owner: str) -> Table:
    """Which movies make up each entity's figures, by release year (NULL: unknown), with the
    movie's popularity: the first page of an entity-year's movies in the default order is
    ranked on one range of the year index and its rows, and only that page's movies are read.
    (Popularity in the index too would save that sort but double the index's cost at load.)

    No primary key: every query reads a range of the year index, and a key no query read cost
    each load about a quarter of the table's time (docs/benchmarks.md). Each (entity, movie)
    pair is there once, as it is once among the links the table is filled from. The year index
    stops at the year, so that an entity-year's entries share one posting list (a quarter of the
    size it had with the movie id).
    """
    return Table(
        table,
        metadata,
        _version_fk(key=False),
        Column(owner, Integer, nullable=False, autoincrement=False),
        Column("movie_id", Integer, nullable=False, autoincrement=False),
        Column("year", Integer),
        Column("popularity", movies.c.popularity.type),
        *_version_index(f"{table}_by_year", owner, "year"),
        **_BY_VERSION,
    )


company_movies = _movie_list("company_movies", "company_id")
genre_movies = _movie_list("genre_movies", "genre_id")

# Tables holding one version's data, in the order a load fills them.
VERSIONED_DATA_TABLES = (
    movies,
    genres,
    companies,
    movie_genres,
    movie_companies,
    year_totals,
    genre_years,
    company_years,
    company_year_genres,
    company_totals,
    genre_totals,
    company_movies,
    genre_movies,
    rejections,
)

# GraphQL documents the operator registered ahead (db.documents): what TRUSTED_DOCUMENTS_ONLY answers.
trusted_documents = Table(
    "trusted_documents",
    metadata,
    Column("sha256", String(64), primary_key=True),  # hex digest of `document`, as clients send it
    Column("document", Text, nullable=False),
    Column("name", Text, nullable=False),  # the operation names, for people reading the list
    Column("source", Text, nullable=False),  # the file it was added from
    Column("added_at", DateTime(timezone=True), nullable=False),
)
