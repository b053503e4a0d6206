"""Compiling a GraphQL selection into a db.json_plan tree: the subset of the schema one statement answers.

`_TYPES` is the subset: the entry points (`company`, `companies` without `search` or `after`,
`genre`, `genres`, `year`, `years`), companies, genres and years with their yearly figures,
coverage, releases by genre and genre rankings, and `__typename` everywhere, with literal
arguments (Int and enum values, null). Each spec names its GraphQL type and, for each field,
the column it reads (and how it prints) or the source it reads further from (db.json_plan).
A selection with anything else (a fragment, a directive, a variable, a string argument, another
field, a page size the normal path refuses) does not compile: the normal path answers it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

import orjson
from graphql import (
    DocumentNode,
    EnumValueNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputType,
    GraphQLInt,
    GraphQLObjectType,
    GraphQLSchema,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    ValueNode,
    get_nullable_type,
    is_non_null_type,
)

from db.json_plan import BOOL, FLOAT, INT, TEXT, Constant, Read, Value
from resolvers.years import METRIC_COLUMNS
from schema.errors import ApiError, check_page_size

Arguments = Mapping[str, Any]
SourceArguments = tuple[int | str | None, ...]


@dataclass(frozen=True, slots=True)
class PlanLimits:
    """The limits a compilation keeps within: page sizes, and the depth and alias limits of validation."""

    max_page_size: int
    max_depth: int
    max_aliases: int


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
    return (_first(field["first"], max_page),)


def _best_genre(field: Arguments, _parent: SourceArguments, _max_page: int) -> SourceArguments:
    return (_metric(field["by"]),)


def _ranked(field: Arguments, _parent: SourceArguments, max_page: int) -> SourceArguments:
    return (_metric(field["orderBy"]), _first(field.get("first"), max_page))


def _first(first: int | None, max_page: int) -> int | None:
    """A page size the normal path accepts (the others are its errors to answer)."""
    try:
        check_page_size(first, max_page)
    except ApiError:
        raise _NotCompilable from None
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


@dataclass
class _Walk:
    """One compilation: the schema its arguments are checked against, and what the limits count."""

    schema: GraphQLSchema
    max_page: int
    aliases: int = 0
    deepest: int = 0  # the level of the deepest field (root fields: 0), as QueryDepthLimiter counts it

    def fields(
        self, selection_set: SelectionSetNode, spec_name: str, parent: SourceArguments, level: int
    ) -> tuple[Value | Constant | Read, ...]:
        """The plan of one selection on objects of spec `spec_name` (raises _NotCompilable)."""
        type_name, specs = _TYPES[spec_name]
        definitions = cast(GraphQLObjectType, self.schema.type_map[type_name]).fields
        compiled: list[Value | Constant | Read] = []
        keys: set[str] = set()
        self.deepest = max(self.deepest, level)
        for selection in selection_set.selections:
            if not isinstance(selection, FieldNode) or selection.directives:
                raise _NotCompilable
            name = selection.name.value
            self.aliases += selection.alias is not None
            response_key = selection.alias.value if selection.alias else name
            if response_key in keys:  # fields merged under one key: left to graphql-core
                raise _NotCompilable
            keys.add(response_key)
            key = ("," if compiled else "") + orjson.dumps(response_key).decode() + ":"
            spec = specs.get(name)
            leaf = selection.selection_set is None and not selection.arguments
            if name == "__typename" and leaf:
                compiled.append(Constant(key, orjson.dumps(type_name).decode()))
            elif isinstance(spec, tuple) and leaf:
                compiled.append(Value(key, *spec))
            elif isinstance(spec, _Nested) and selection.selection_set is not None:
                arguments = _arguments(selection, definitions[name])
                read_arguments = spec.arguments(arguments, parent, self.max_page)
                inner = self.fields(selection.selection_set, spec.spec, read_arguments, level + 1)
                compiled.append(Read(key, spec.source, read_arguments, inner))
            else:
                raise _NotCompilable
        return tuple(compiled)


def _arguments(selection: FieldNode, definition: GraphQLField) -> dict[str, int | str | None]:
    """The field's arguments, each known, given once, of its type, every required one given; the
    schema's defaults (an enum's by its name) for those not given."""
    given: dict[str, int | str | None] = {}
    for argument in selection.arguments or ():
        name = argument.name.value
        if name in given or name not in definition.args:
            raise _NotCompilable
        given[name] = _value(argument.value, definition.args[name].type)
    for name, declared in definition.args.items():
        if name in given:
            continue
        if declared.default_value is not Undefined:
            default = declared.default_value
            given[name] = default.name if isinstance(default, Enum) else default
        elif is_non_null_type(declared.type):
            raise _NotCompilable
    return given


def _value(node: ValueNode, type_: GraphQLInputType) -> int | str | None:
    """A literal argument's value, where it is one its type takes: null, an Int, an enum value."""
    if isinstance(node, NullValueNode) and not is_non_null_type(type_):
        return None
    named = get_nullable_type(type_)
    if isinstance(node, IntValueNode) and named is GraphQLInt and -(2**31) <= int(node.value) < 2**31:
        return int(node.value)
    if isinstance(node, EnumValueNode) and isinstance(named, GraphQLEnumType) and node.value in named.values:
        return node.value
    raise _NotCompilable  # a variable, a string, a list, or a value validation refuses


@dataclass(frozen=True, slots=True)
class Compilation:
    """A plan, and whether the document is valid by construction (below the depth and alias limits)."""

    plan: Read
    valid: bool


def compile_operation(
    document: DocumentNode, operation_name: str | None, schema: GraphQLSchema, limits: PlanLimits
) -> Compilation | None:
    """The plan answering the document's one query operation, or None when it is not compilable.

    A compiled document breaks none of graphql-core's rules: one query operation, no variables,
    fragments or directives, only fields of their types, each argument known, given once, of its
    type, the required ones given, leaves without selections and objects with them, no response
    key twice. Only the depth and alias limits are left to check, and `valid` says they hold.
    """
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
    walk = _Walk(schema, limits.max_page_size)
    try:
        plan = Read("", "root", (), walk.fields(operation.selection_set, "Query", (), 0))
    except _NotCompilable:
        return None
    return Compilation(plan, walk.deepest < limits.max_depth and walk.aliases < limits.max_aliases)
