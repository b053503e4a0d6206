"""What a whole answer reads, as a tree a store turns into one statement building its JSON text.

schema.sql_answers compiles a GraphQL selection into this tree; a store that can build JSON in
the database (db.postgres_json) turns the tree into one SQL statement. Each node writes its
JSON key itself (`key`, the `"name":` text with its leading comma when it is not the first),
so that the statement's text is exactly what orjson would print for the same answer.

A `Read` names what it reads (`source`, one of `SOURCES`), with its arguments; its fields read
the columns of each row it finds (`Value`), print a constant (`Constant`: `__typename`), or
read further (`Read`). Sources marked "same row" read nothing: they build an object from the
columns of the row at hand (a year's coverage, a genre-year's genre).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

# How a column's value is printed in JSON.
INT, FLOAT, TEXT, BOOL = "int", "float", "text", "bool"

# Every source a Read may name: (what it yields, what it reads).
SOURCES = {
    "root": ("object", "nothing: the data object itself"),
    "company": ("nullable object", "the company of id arguments[0]"),
    "company_page": ("object", "the count of all companies; arguments[0] is the page size"),
    "company_page_nodes": ("list", "the first arguments[0] companies by name, then id"),
    "company_years": ("list", "the company's years within [arguments[0], arguments[1]] (None: open)"),
    "releases_by_genre": ("list", "a company-year's genres, by releases descending, then name, then id"),
    "genre": ("nullable object", "the genre of id arguments[0]"),
    "genres": ("list", "every genre by name, then id"),
    "genre_years": ("list", "the genre's years within [arguments[0], arguments[1]]"),
    "year": ("nullable object", "the totals of year arguments[0]"),
    "years": ("list", "the years within [arguments[0], arguments[1]]"),
    "year_genres": ("list", "the year's genre-years best first by column arguments[0], at most arguments[1]"),
    "most_popular_genre": ("nullable object", "the year's best genre-year by column arguments[0], if any has one"),
    "same_row": ("object", "nothing: the columns of the row at hand"),
}


@dataclass(frozen=True, slots=True)
class Value:
    """A column of the row at hand."""

    key: str
    column: str
    kind: str  # INT, FLOAT, TEXT or BOOL


@dataclass(frozen=True, slots=True)
class Constant:
    """A value fixed by the selection (`__typename`), as JSON text."""

    key: str
    json: str


@dataclass(frozen=True, slots=True)
class Read:
    """An object or a list of objects read from `source`, each with `fields`."""

    key: str
    source: str
    arguments: tuple[int | str | None, ...]
    fields: tuple[Value | Constant | Read, ...]


class Statement(Protocol):
    """One compiled answer: the SQL that returns, on a version, the `data` object as JSON text."""

    def commands(self, prepared: set[str], version_id: int) -> list[tuple[str, tuple[Any, ...] | None]]:
        """The SQL to send, in order, on a connection that has prepared `prepared`; the last returns the text."""
        ...


# A store's compiler of plans into statements (None on a store that builds no JSON: the normal path).
StatementBuilder = Callable[[Read], Statement]
