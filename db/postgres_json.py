"""PostgreSQL: a whole answer (db.json_plan) as ONE statement that builds its JSON text.

The text is concatenated piece by piece, not built by json_build_object (which puts spaces
around its colons and commas): keys and `__typename` values are bound parameters, lists are
`string_agg` of their objects in the answer's order, an empty list `[]`, a missing object
`null`. Every value is printed as orjson prints the same value read by the normal path:
integers as they are, strings by `to_json` (the same escapes), and floats rewritten from
PostgreSQL's shortest form (`10`, `1.5e-05`, `1e+15`) into orjson's (`10.0`, `0.000015`,
`1000000000000000.0`, `1e-6` below 10^-5). From 10^16 PostgreSQL's digits may differ from the
shortest, so such a float fails the statement (division by zero) and the normal path answers;
no figure of the data reaches it (a popularity is at most 10^6, data rule 22, and a year's total
at most that times its movies). Client values (ids, years, page sizes) are bound parameters;
metric columns come from a fixed list (db.tables). Each statement is prepared once per
connection and then only executed (`PostgresStatement`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from db.json_plan import BOOL, FLOAT, INT, TEXT, Constant, Read, Value
from db.tables import RANKING_METRICS

_GENRE_YEARS = (
    "SELECT gy.*, g.name AS genre_name FROM genre_years gy "
    "JOIN genres g ON g.version_id = gy.version_id AND g.id = gy.genre_id WHERE gy.version_id = $1"
)


# Prepared statements a connection keeps at most; past it, it drops them all and starts again.
MAX_PREPARED_PER_CONNECTION = 256


@dataclass(frozen=True, slots=True)
class PostgresStatement:
    """One compiled answer, prepared once per connection: planning and parsing are then skipped.

    `$1` is the version; the parameters that follow are `values`. The SQL text depends only on
    the selection's shape (the aliases are among the values), so a query sent again with another
    alias, as clients and the benchmark's unique `__typename` aliases do, runs the same plan.
    """

    name: str
    sql: str
    values: tuple[Any, ...]

    def commands(self, prepared: set[str], version_id: int) -> list[tuple[str, tuple[Any, ...] | None]]:
        """The SQL to send, in order, on a connection that has prepared `prepared` (updated as they will be):
        the statement's PREPARE if the connection lacks it, then the EXECUTE, which returns the answer's
        `data` object as JSON text (db.postgres_loop sends them)."""
        commands: list[tuple[str, tuple[Any, ...] | None]] = []
        if self.name not in prepared:
            if len(prepared) >= MAX_PREPARED_PER_CONNECTION:
                commands.append(("DEALLOCATE ALL", None))
                prepared.clear()
            types = ", ".join(["int", *("text" if isinstance(value, str) else "int" for value in self.values)])
            commands.append((f"PREPARE {self.name}({types}) AS {self.sql}", None))
            prepared.add(self.name)
        placeholders = ", ".join(["%s"] * (len(self.values) + 1))
        commands.append((f"EXECUTE {self.name}({placeholders})", (version_id, *self.values)))
        return commands


def postgres_statement(plan: Read) -> PostgresStatement:
    """The statement answering `plan` (a "root" Read) on PostgreSQL."""
    builder = _Builder()
    sql = "SELECT " + builder.concatenated(builder.object_parts(plan, None))
    name = "movie_stats_json_" + hashlib.sha256(sql.encode()).hexdigest()[:24]
    return PostgresStatement(name, sql, tuple(builder.values))


def float_json(expression: str) -> str:
    """SQL printing a float8 `expression` exactly as orjson prints the same double."""
    text = f"({expression})::text"
    mantissa, exponent = f"split_part({text}, 'e', 1)", f"split_part({text}, 'e', 2)::int"
    digits = f"replace(ltrim({mantissa}, '-'), '.', '')"
    sign = f"CASE WHEN {expression} < 0 THEN '-' ELSE '' END"
    return (
        f"CASE WHEN {expression} IS NULL OR {expression} IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) "
        "THEN 'null' "
        f"WHEN {expression} = 0 OR (abs({expression}) >= '1e-4'::float8 AND abs({expression}) < '1e15'::float8) THEN "
        f"CASE WHEN {expression} = trunc({expression}) THEN {text} || '.0' ELSE {text} END "
        # From 10^16 PostgreSQL may print a digit more than the shortest: fail, for the normal path to answer.
        f"WHEN abs({expression}) >= '1e16'::float8 THEN (1 / ({expression} - {expression}))::text "
        f"WHEN {exponent} = 15 THEN {sign} || rpad(left({digits}, 16), 16, '0') || '.' "
        f"|| CASE WHEN length({digits}) > 16 THEN substr({digits}, 17) ELSE '0' END "
        f"WHEN {exponent} = -5 THEN {sign} || '0.0000' || {digits} "
        f"ELSE {mantissa} || 'e' || {exponent}::text END"
    )


@lru_cache(maxsize=1024)  # the same few columns under the same row aliases, statement after statement
def _value_json(expression: str, kind: str) -> str:
    if kind == INT:
        return f"coalesce(({expression})::text, 'null')"
    if kind == TEXT:
        return f"coalesce(to_json({expression})::text, 'null')"
    if kind == BOOL:
        return f"CASE WHEN {expression} IS NULL THEN 'null' WHEN {expression} THEN 'true' ELSE 'false' END"
    if kind == FLOAT:
        return float_json(expression)
    raise ValueError(f"no JSON form for a column of kind {kind!r}")


def _metric(column: int | str | None) -> str:
    if column not in RANKING_METRICS:
        raise ValueError(f"{column!r} is not a metric column")
    assert isinstance(column, str)
    return column


@dataclass
class _Builder:
    """Builds one statement: its parameters' values, and a fresh alias for each row source."""

    values: list[Any] = field(default_factory=list)  # of parameters $2, $3, ... ($1 is the version)
    aliases: int = 0

    def bound(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values) + 1}"

    def concatenated(self, parts: list[tuple[bool, str]]) -> str:
        """SQL concatenating parts (literal text bound as parameters, adjacent ones merged first)."""
        merged: list[tuple[bool, str]] = []
        for literal, text in parts:
            if literal and merged and merged[-1][0]:
                merged[-1] = (True, merged[-1][1] + text)
            else:
                merged.append((literal, text))
        return " || ".join(f"{self.bound(text)}::text" if literal else text for literal, text in merged)

    def object_parts(self, read: Read, row: str | None) -> list[tuple[bool, str]]:
        """The parts of one object of `read`, its columns read from the row aliased `row`."""
        parts: list[tuple[bool, str]] = [(True, "{")]
        for child in read.fields:
            parts.append((True, child.key))
            if isinstance(child, Constant):
                parts.append((True, child.json))
            elif isinstance(child, Value):
                parts.append((False, _value_json(f"{row}.{child.column}", child.kind)))
            else:
                parts.append((False, self.read_json(child, row)))
        parts.append((True, "}"))
        return parts

    def read_json(self, read: Read, parent: str | None) -> str:
        """SQL of a nested Read's JSON text (an object, `null`, or a list)."""
        if read.source == "same_row":
            return self.concatenated(self.object_parts(read, parent))
        self.aliases += 1
        alias = f"r{self.aliases}"
        rows, order = self.rows(read, parent)
        item = self.concatenated(self.object_parts(read, alias))
        if order is None:  # one object, or none
            one = f"(SELECT {item} FROM ({rows}) {alias})"
            return one if read.source == "company_page" else f"coalesce({one}, 'null')"
        ordered = ", ".join(f"{alias}.{term}" for term in order)
        return (
            f"coalesce((SELECT '[' || string_agg({item}, ',' ORDER BY {ordered}) || ']' FROM ({rows}) {alias}), '[]')"
        )

    def rows(self, read: Read, parent: str | None) -> tuple[str, list[str] | None]:
        """The rows a Read reads, and the order of a list's items (None: an object)."""
        source, arguments = read.source, read.arguments
        if source == "company":
            return f"SELECT id, name FROM companies WHERE version_id = $1 AND id = {self.bound(arguments[0])}", None
        if source == "company_page":
            first = self.bound(arguments[0])
            return (
                f"SELECT count(*) AS total_count, count(*) > {first} AS has_next_page "
                "FROM companies WHERE version_id = $1"
            ), None
        if source == "company_page_nodes":
            return (
                "SELECT id, name FROM companies WHERE version_id = $1 "
                f"ORDER BY name, id LIMIT {self.bound(arguments[0])}"
            ), ["name", "id"]
        if source == "company_years":
            where = f"company_id = {parent}.id" + self.span("year", arguments)
            return f"SELECT * FROM company_years WHERE version_id = $1 AND {where}", ["year"]
        if source == "releases_by_genre":
            return (
                "SELECT cg.releases, cg.genre_id, g.name AS genre_name FROM company_year_genres cg "
                "JOIN genres g ON g.version_id = cg.version_id AND g.id = cg.genre_id "
                f"WHERE cg.version_id = $1 AND cg.company_id = {parent}.company_id AND cg.year = {parent}.year"
            ), ["releases DESC", "genre_name", "genre_id"]
        if source == "genre":
            return f"SELECT id, name FROM genres WHERE version_id = $1 AND id = {self.bound(arguments[0])}", None
        if source == "genres":
            return "SELECT id, name FROM genres WHERE version_id = $1", ["name", "id"]
        if source == "genre_years":
            return f"{_GENRE_YEARS} AND gy.genre_id = {parent}.id{self.span('gy.year', arguments)}", ["year"]
        if source == "year":
            return f"SELECT * FROM year_totals WHERE version_id = $1 AND year = {self.bound(arguments[0])}", None
        if source == "years":
            return f"SELECT * FROM year_totals WHERE version_id = $1{self.span('year', arguments)}", ["year"]
        if source in ("year_genres", "most_popular_genre"):
            metric = _metric(arguments[0])
            best = [f"{metric} DESC NULLS LAST", "genre_name", "genre_id"]
            where = f"gy.year = {parent}.year"
            if source == "most_popular_genre":
                where += f" AND gy.{metric} IS NOT NULL"
                limit = " LIMIT 1"
            else:
                limit = f" LIMIT {self.bound(arguments[1])}" if arguments[1] is not None else ""
            inner = f"{_GENRE_YEARS} AND {where} ORDER BY gy.{metric} DESC NULLS LAST, g.name, g.id{limit}"
            return inner, (best if source == "year_genres" else None)
        raise ValueError(f"unknown source {source!r}")

    def span(self, column: str, arguments: tuple[int | str | None, ...]) -> str:
        """Conditions keeping `column` within the inclusive bounds given (None: open)."""
        first, last = arguments
        where = f" AND {column} >= {self.bound(first)}" if first is not None else ""
        return where + (f" AND {column} <= {self.bound(last)}" if last is not None else "")
