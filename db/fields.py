"""Each column of a movie, declared once: the spec the reader, the cleaners, the staging tables and `movies` derive from.

Plain data, without SQLAlchemy or pyarrow, so that the pure stages of the importer read it at
no cost. Adding a column means a line here and a migration (db/migrations).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MovieField:
    """One column of `movies`: where it comes from in the file, how it is cleaned and stored."""

    name: str  # in `movies` and `stage_movies`
    header: str  # the CSV column it is read from; "" for one derived from other columns
    rule: str  # how importer.clean cleans a raw value (its RULES)
    arrow: str  # the Arrow type of the clean values (pyarrow.type_for_alias)
    sql: str  # the kind of SQL column that stores them (db.tables.SQL_TYPES)
    required: bool = False  # a file without this CSV column is refused
    nullable: bool = True


# In the order of the `movies` table's columns (and of the staging rows).
MOVIE_FIELDS = (
    MovieField("id", "id", "id", "int32", "integer", required=True, nullable=False),  # rule 2
    MovieField("title", "title", "as_is", "string", "sorted_text", required=True, nullable=False),
    MovieField("original_title", "original_title", "text", "string", "text"),
    MovieField("imdb_id", "imdb_id", "text", "string", "text"),
    MovieField("original_language", "original_language", "text", "string", "text"),
    MovieField("status", "status", "text", "string", "text"),
    MovieField("release_date", "release_date", "date", "string", "iso_date", required=True),  # rule 7
    MovieField("release_year", "", "year_of_release_date", "int32", "integer"),  # rule 7
    MovieField("budget", "budget", "amount", "int64", "bigint", required=True),  # rules 5, 21
    MovieField("revenue", "revenue", "amount", "int64", "bigint", required=True),  # rules 5, 21
    MovieField("popularity", "popularity", "popularity", "double", "popularity", required=True),  # rules 6, 21
    MovieField("runtime", "runtime", "float", "double", "float"),
    MovieField("vote_average", "vote_average", "float", "double", "float"),
    MovieField("vote_count", "vote_count", "whole", "int64", "integer"),
    MovieField("adult", "adult", "bool", "bool", "boolean"),
)
MOVIE_COLUMNS = tuple(field.name for field in MOVIE_FIELDS)
READ_FIELDS = tuple(field for field in MOVIE_FIELDS if field.header)
DERIVED_FIELDS = tuple(field for field in MOVIE_FIELDS if not field.header)


@dataclass(frozen=True, slots=True)
class LinkField:
    """A list column of the file (rule 8): the staging table its entries fill, and their id's column there."""

    header: str
    stage: str
    entity_id: str


LINK_FIELDS = (
    LinkField("genres", "stage_movie_genres", "genre_id"),
    LinkField("production_companies", "stage_movie_companies", "company_id"),
)

# The CSV columns the importer reads, in the order a record's values are picked (importer.read.Header).
CSV_COLUMNS = (*(field.header for field in READ_FIELDS), *(link.header for link in LINK_FIELDS))
REQUIRED_CSV_COLUMNS = (
    *(field.header for field in READ_FIELDS if field.required),
    *(link.header for link in LINK_FIELDS),
)
