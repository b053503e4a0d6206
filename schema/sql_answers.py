"""Whole answers built by the database: a query within a compilable subset becomes ONE statement.

On a store that builds JSON (PostgreSQL: db.postgres_json), an operation is answered without
graphql-core's execution when every field it selects is one of `_TYPES` below (the entry
points, companies, genres, years and their yearly figures, with literal arguments): its
selection is compiled into a db.json_plan tree, the store turns the tree into one statement
on the version's precomputed tables, and the statement returns the `data` object as JSON
text, the very bytes orjson prints for the normal path's answer (tests/test_sql_answers.py).

An operation is compiled only once it has passed every check the normal path makes before
running it: the same parse (token limit), the same validation (every rule: depth, aliases,
introspection), no variables, no string arguments, page sizes within bounds, and the same cost
limit on the version. Anything else (a fragment, a directive, a variable, a field outside the
subset, a check that fails) answers None: the caller runs the normal path, which answers or
refuses as it always does. Statements are kept per query text, the least recently used
dropped first; the version and every client value are bound parameters.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    EnumValueNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.validation import ASTValidationRule

from db.api_database import Database
from db.json_plan import BOOL, FLOAT, INT, TEXT, Constant, Read, Statement, StatementBuilder, Value
from resolvers.years import METRIC_COLUMNS
from schema.cost import ListSizesCache, query_cost
from schema.documents import DOCUMENT_CACHE_ENTRIES, parsed
from schema.validation import ValidationResults

Arguments = Mapping[str, Any]
SourceArguments = tuple[int | str | None, ...]
DEFAULT_METRIC = "AVERAGE_POPULARITY"


@dataclass(frozen=True, slots=True)
class Checks:
    """What the normal path checks before it runs an operation, as the schema configures it."""

    schema: GraphQLSchema
    rules: tuple[type[ASTValidationRule], ...]  # the very rules (and order) of the normal path
    validated: ValidationResults
    sizes: ListSizesCache
    max_tokens: int
    max_cost: int


class _NotCompilable(Exception):
    """The selection leaves the compilable subset: the normal path answers it."""


@dataclass(frozen=True, slots=True)
class _Nested:
    """A field reading further: from `source` (db.json_plan.SOURCES), objects of spec `spec`."""

    source: str
    spec: str
    # Its source's arguments from the field's own, its parent's and the largest page size allowed.
    arguments: Callable[[Arguments, SourceArguments, int], SourceArguments]


def _none(_field: Arguments, _parent: SourceArguments, _max_page: int) -> SourceArguments:
    return ()


def _span(field: Arguments, _parent: SourceArguments, _max_page: int) -> SourceArguments:
    return (field.get("from"), field.get("to"))


def _by_id(name: str) -> Callable[[Arguments, SourceArguments, int], SourceArguments]:
    return lambda field, _parent, _max_page: (field[name],)


def _parents(_field: Arguments, parent: SourceArguments, _max_page: int) -> SourceArguments:
    return parent


def _page(field: Arguments, _parent: SourceArguments, max_page: int) -> SourceArguments:
    if field.get("search") is not None or field.get("after") is not None:
        raise _NotCompilable
    return (_first(field.get("first", 20), max_page),)


def _best_genre(field: Arguments, _parent: SourceArguments, _max_page: int) -> SourceArguments:
    return (_metric(field.get("by", DEFAULT_METRIC)),)


def _ranked(field: Arguments, _parent: SourceArguments, max_page: int) -> SourceArguments:
    return (_metric(field.get("orderBy", DEFAULT_METRIC)), _first(field.get("first"), max_page))


def _first(first: Any, max_page: int) -> int | None:
    """A page size the normal path accepts (others are its errors to answer)."""
    if first is not None and not (isinstance(first, int) and 0 <= first <= max_page):
        raise _NotCompilable
    return first


def _metric(name: Any) -> str:
    if name not in METRIC_COLUMNS:
        raise _NotCompilable
    return METRIC_COLUMNS[name]


_FIGURES: dict[str, tuple[str, str]] = {
    "year": ("year", INT),
    "releases": ("releases", INT),
    "budget": ("budget", INT),
    "revenue": ("revenue", INT),
    "profit": ("profit", INT),
    "averagePopularity": ("average_popularity", FLOAT),
    "totalPopularity": ("total_popularity", FLOAT),
}
_COVERAGE = _Nested("same_row", "Coverage", _none)
_GENRE_OF_ROW = _Nested("same_row", "GenreOfRow", _none)


def _yearly(**more: _Nested) -> dict[str, tuple[str, str] | _Nested]:
    return {**_FIGURES, "coverage": _COVERAGE, **more}


# Each spec: its GraphQL type, and its compilable fields (a column and its kind, or a read).
_TYPES: dict[str, tuple[str, dict[str, tuple[str, str] | _Nested]]] = {
    "Query": (
        "Query",
        {
            "company": _Nested("company", "Company", _by_id("id")),
            "companies": _Nested("company_page", "CompanyConnection", _page),
            "genre": _Nested("genre", "Genre", _by_id("id")),
            "genres": _Nested("genres", "Genre", _none),
            "year": _Nested("year", "Year", _by_id("year")),
            "years": _Nested("years", "Year", _span),
        },
    ),
    "CompanyConnection": (
        "CompanyConnection",
        {
            "totalCount": ("total_count", INT),
            "pageInfo": _Nested("same_row", "PageInfo", _none),
            "nodes": _Nested("company_page_nodes", "Company", _parents),
        },
    ),
    "PageInfo": ("PageInfo", {"hasNextPage": ("has_next_page", BOOL)}),
    "Company": (
        "Company",
        {"id": ("id", INT), "name": ("name", TEXT), "years": _Nested("company_years", "CompanyYear", _span)},
    ),
    "CompanyYear": ("CompanyYear", _yearly(releasesByGenre=_Nested("releases_by_genre", "GenreReleases", _none))),
    "GenreReleases": ("GenreReleases", {"releases": ("releases", INT), "genre": _GENRE_OF_ROW}),
    "Genre": (
        "Genre",
        {"id": ("id", INT), "name": ("name", TEXT), "years": _Nested("genre_years", "GenreYear", _span)},
    ),
    "GenreOfRow": ("Genre", {"id": ("genre_id", INT), "name": ("genre_name", TEXT)}),
    "GenreYear": ("GenreYear", _yearly(genre=_GENRE_OF_ROW)),
    "Year": (
        "Year",
        _yearly(
            mostPopularGenre=_Nested("most_popular_genre", "GenreYear", _best_genre),
            genres=_Nested("year_genres", "GenreYear", _ranked),
        ),
    ),
    "Coverage": (
        "Coverage",
        {
            "releases": ("releases", INT),
            "withBudget": ("with_budget", INT),
            "withRevenue": ("with_revenue", INT),
            "withBoth": ("with_both", INT),
            "withPopularity": ("with_popularity", INT),
        },
    ),
}


def _argument(node: Any) -> int | str | None:
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, EnumValueNode):
        return node.value
    if isinstance(node, NullValueNode):
        return None
    raise _NotCompilable  # a variable, a string, a list: not in the subset


def _fields(
    selection_set: SelectionSetNode, spec_name: str, parent: SourceArguments, max_page: int
) -> tuple[Value | Constant | Read, ...]:
    """The plan of one selection on objects of spec `spec_name` (raises _NotCompilable)."""
    type_name, fields = _TYPES[spec_name]
    compiled: list[Value | Constant | Read] = []
    keys: set[str] = set()
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives:
            raise _NotCompilable
        name = selection.name.value
        response_key = selection.alias.value if selection.alias else name
        if response_key in keys:  # fields merged under one key: left to graphql-core
            raise _NotCompilable
        keys.add(response_key)
        key = ("," if compiled else "") + orjson.dumps(response_key).decode() + ":"
        spec = fields.get(name)
        if name == "__typename":
            compiled.append(Constant(key, orjson.dumps(type_name).decode()))
        elif spec is None:
            raise _NotCompilable
        elif isinstance(spec, tuple):
            compiled.append(Value(key, *spec))
        elif selection.selection_set is not None:
            arguments = {argument.name.value: _argument(argument.value) for argument in selection.arguments or ()}
            read_arguments = spec.arguments(arguments, parent, max_page)
            inner = _fields(selection.selection_set, spec.spec, read_arguments, max_page)
            compiled.append(Read(key, spec.source, read_arguments, inner))
        else:
            raise _NotCompilable
    return tuple(compiled)


def compile_operation(document: DocumentNode, operation_name: str | None, max_page_size: int) -> Read | None:
    """The plan answering the document's one query operation, or None when it is not compilable."""
    operation, *others = document.definitions
    if (
        others
        or not isinstance(operation, OperationDefinitionNode)
        or operation.operation != OperationType.QUERY
        or operation.variable_definitions
        or operation.directives
        or (operation_name is not None and (operation.name is None or operation.name.value != operation_name))
    ):
        return None
    try:
        return Read("", "root", (), _fields(operation.selection_set, "Query", (), max_page_size))
    except _NotCompilable:
        return None


@dataclass(frozen=True, slots=True)
class _Compiled:
    document: DocumentNode
    statement: Statement


class SqlAnswers:
    """Answers compilable operations with one statement each, on the stores that can."""

    def __init__(self, checks: Checks, max_page_size: int, entries: int = DOCUMENT_CACHE_ENTRIES) -> None:
        self.checks, self.max_page_size = checks, max_page_size
        self._compiled: OrderedDict[tuple[str, str | None, StatementBuilder], _Compiled | None] = OrderedDict()
        self._entries = entries
        self._lock = threading.Lock()

    async def answer(
        self, db: Database, query: str, variables: Mapping[str, Any] | None, operation_name: str | None, version_id: int
    ) -> str | None:
        """The `data` object's JSON text, or None when the normal path must answer (raises the database's errors)."""
        builder = db.json_statements
        if builder is None or variables:
            return None
        compiled = self._compile(query, operation_name, builder)
        if compiled is None:
            return None
        sizes = await self.checks.sizes.get(db, version_id)
        cost = query_cost(self.checks.schema, compiled.document, operation_name, None, sizes, self.max_page_size)
        if cost > self.checks.max_cost:
            return None  # the normal path refuses it, with its message
        return await db.run(compiled.statement.run, version_id)

    def _compile(self, query: str, operation_name: str | None, builder: StatementBuilder) -> _Compiled | None:
        key = (query, operation_name, builder)
        with self._lock:
            if key in self._compiled:
                self._compiled.move_to_end(key)
                return self._compiled[key]
        compiled = self._compiled_anew(query, operation_name, builder)
        with self._lock:
            self._compiled[key] = compiled
            if len(self._compiled) > self._entries:
                self._compiled.popitem(last=False)
        return compiled

    def _compiled_anew(self, query: str, operation_name: str | None, builder: StatementBuilder) -> _Compiled | None:
        checks = self.checks
        try:
            document = parsed(query, checks.max_tokens)
        except GraphQLError:
            return None
        if checks.validated.errors(checks.schema, query, document, checks.rules):
            return None
        plan = compile_operation(document, operation_name, self.max_page_size)
        return _Compiled(document, builder(plan)) if plan is not None else None
