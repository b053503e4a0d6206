"""The query cost limit: how many fields an answer would hold at most, computed before it runs.

Depth, token and alias limits bound a query's text, not its answer: `genres { years { genre {
years ... } } }` is short and shallow enough, yet multiplies list by list. So every field costs
one per instance it would be resolved for, and a list multiplies the cost of what it selects by
its length in the dataset version: a page's `first`, the version's genres or years for a whole
list, and for an entity's own list (a company's years, a movie's genres) its average length
(`ListSizes`, read once per version). Queries above `MAX_QUERY_COST` are refused unrun.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from resolvers.sizes import ListSizes, list_sizes
from schema.errors import QueryTooCostly, refusal

SIZE_CACHE_VERSIONS = 64
# The lists an entity has, by (its type, the field): how long they are on average.
_PER_ENTITY = {
    ("Query", "genres"): "genres",
    ("Query", "years"): "years",
    ("Genre", "years"): "years_per_genre",
    ("Company", "years"): "years_per_company",
    ("Year", "genres"): "genres_per_year",
    ("CompanyYear", "releasesByGenre"): "genres_per_company_year",
    ("Movie", "genres"): "genres_per_movie",
    ("Movie", "companies"): "companies_per_movie",
    ("Query", "datasets"): "datasets",
    ("Dataset", "warnings"): "warnings_per_dataset",
}
# Element types of other lists holding at most one entry per genre, or per year, of the version.
_GENRE_TYPES = frozenset({"Genre", "GenreYear", "GenreReleases", "GenreTotals"})
_YEAR_TYPES = frozenset({"Year", "CompanyYear"})


@dataclass(frozen=True, slots=True)
class _Walk:
    """What the cost of a selection depends on besides the selection itself."""

    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    sizes: ListSizes
    max_page_size: int  # a larger `first` is refused by its field: it costs no more than this
    memo: dict[tuple[int, str, int | None], int] = field(default_factory=dict)


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    sizes: ListSizes,
    max_page_size: int,
) -> int:
    """The most fields the answer to the operation could hold (0 when there is no such operation)."""
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    chosen = [
        node for node in operations if operation_name is None or (node.name and node.name.value == operation_name)
    ]
    if len(chosen) != 1 or (root := schema.get_root_type(chosen[0].operation)) is None:
        return 0  # execution reports the missing or ambiguous operation
    fragments = {node.name.value: node for node in document.definitions if isinstance(node, FragmentDefinitionNode)}
    defaults = {
        definition.variable.name.value: _literal(definition.default_value, {})
        for definition in chosen[0].variable_definitions or ()
    }
    walk = _Walk(schema, fragments, {**defaults, **(variables or {})}, sizes, max_page_size)
    return _selection_cost(walk, chosen[0].selection_set, root, None, frozenset())


def _selection_cost(
    walk: _Walk, selection_set: SelectionSetNode, parent: GraphQLNamedType, page: int | None, spreading: frozenset[str]
) -> int:
    """The cost of one instance of `parent` answering the selection; `page` is the enclosing `first`."""
    key = (id(selection_set), parent.name, page)
    if key in walk.memo:  # fragments spread many times are costed once
        return walk.memo[key]
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += _field_cost(walk, selection, parent, page, spreading)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            inner = walk.schema.get_type(condition.name.value) if condition else parent
            total += _selection_cost(walk, selection.selection_set, inner or parent, page, spreading)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = walk.fragments.get(name)
            if fragment is None or name in spreading:  # unknown or cyclic: validation refuses it
                continue
            inner = walk.schema.get_type(fragment.type_condition.name.value) or parent
            total += _selection_cost(walk, fragment.selection_set, inner, page, spreading | {name})
    walk.memo[key] = total
    return total


def _field_cost(
    walk: _Walk, node: FieldNode, parent: GraphQLNamedType, page: int | None, spreading: frozenset[str]
) -> int:
    name = node.name.value
    fields = getattr(parent, "fields", None) or {}
    if name.startswith("__") or name not in fields or node.selection_set is None:
        return 1  # a scalar, or introspection: its answer is bounded by the schema, not the data
    definition = fields[name]
    arguments = {argument.name.value: _literal(argument.value, walk.variables) for argument in node.arguments or ()}
    for argument_name, argument in definition.args.items():
        arguments.setdefault(argument_name, argument.default_value)
    first = arguments.get("first")
    first = min(first, walk.max_page_size) if isinstance(first, int) and not isinstance(first, bool) else None
    first = None if first is None else max(first, 0)
    inner = get_named_type(definition.type)
    if not _is_list(definition.type):
        # A connection: the `first` of the field is the size of the `nodes` below it.
        return 1 + _selection_cost(walk, node.selection_set, inner, first if first is not None else page, spreading)
    size = _list_size(walk.sizes, name, parent.name, inner.name, arguments, first, page)
    return 1 + size * _selection_cost(walk, node.selection_set, inner, None, spreading)


def _list_size(
    sizes: ListSizes,
    field_name: str,
    parent_name: str,
    element_name: str,
    arguments: Mapping[str, Any],
    first: int | None,
    page: int | None,
) -> int:
    """How long the list is in this version: a page's `first`, else what its data says."""
    if first is not None:
        return first
    if field_name == "nodes" and page is not None:
        return page
    if (attribute := _PER_ENTITY.get((parent_name, field_name))) is not None:
        size: int = getattr(sizes, attribute)
    elif element_name in _GENRE_TYPES:
        size = sizes.genres
    elif element_name in _YEAR_TYPES:
        size = sizes.years
    else:
        size = max(sizes.genres, sizes.years)  # any other list: as long as the longest natural one
    start, end = arguments.get("from"), arguments.get("to")
    if field_name == "years" and isinstance(start, int) and isinstance(end, int):
        size = max(0, min(size, end - start + 1))  # a span holds at most one entry per year
    return size


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _literal(value: Any, variables: Mapping[str, Any]) -> Any:
    """An argument's value where the cost depends on it (whole numbers); None otherwise."""
    if isinstance(value, VariableNode):
        return variables.get(value.name.value)
    if isinstance(value, IntValueNode):
        return int(value.value)
    return None


class ListSizesCache:
    """The list sizes of the most recently asked versions, shared by every request of a schema.

    A version's sizes are read once however many requests ask at once (a cold start under load):
    the first reads them and the others wait for its answer, on whichever thread's loop they run.
    """

    def __init__(self, versions: int = SIZE_CACHE_VERSIONS) -> None:
        self._sizes: OrderedDict[tuple[int, int], ListSizes] = OrderedDict()
        self._reading: dict[tuple[int, int], Future[ListSizes]] = {}
        self._versions = versions
        self._lock = threading.Lock()  # requests run on several threads' event loops

    async def get(self, db: Any, version_id: int) -> ListSizes:
        """The sizes of a version of a database (its engine), read on first use."""
        key = (id(db.engine), version_id)
        while True:
            with self._lock:
                if (sizes := self._sizes.get(key)) is not None:
                    self._sizes.move_to_end(key)
                    return sizes
                reading = self._reading.get(key)
                if reading is None:
                    reading = self._reading[key] = Future()
                    break
            try:
                return await asyncio.shield(asyncio.wrap_future(reading))  # a waiter's cancel stays its own
            except asyncio.CancelledError:
                if not reading.cancelled():
                    raise
                # the request reading them went away: the next in line reads them instead
        try:
            sizes = await list_sizes(db, version_id=version_id)
        except BaseException as error:
            with self._lock:
                del self._reading[key]
            if isinstance(error, Exception):
                reading.set_exception(error)  # the waiting requests fail as this one does
            else:
                reading.cancel()
            raise
        with self._lock:
            del self._reading[key]
            self._sizes[key] = sizes
            while len(self._sizes) > self._versions:
                self._sizes.popitem(last=False)
        reading.set_result(sizes)
        return sizes


def cost_limit(max_cost: int, cache: ListSizesCache) -> Callable[..., SchemaExtension]:
    """A factory of the extension refusing, before execution, operations costing more than `max_cost`."""

    class QueryCostLimit(SchemaExtension):
        """Refuse a costly operation with QUERY_TOO_COSTLY instead of running it."""

        async def on_execute(self) -> AsyncIterator[None]:
            context = self.execution_context
            document = context.graphql_document
            if document is not None and context.result is None:
                sizes = await cache.get(context.context.db, context.context.version_id)
                schema = context.schema._schema  # graphql-core's schema: the types to walk
                variables = context.variables if isinstance(context.variables, dict) else None
                cost = query_cost(
                    schema, document, context.operation_name, variables, sizes, context.context.max_page_size
                )
                if cost > max_cost:
                    error = QueryTooCostly(
                        f"The query would cost up to {cost:,} (the limit is {max_cost:,}, MAX_QUERY_COST): "
                        "each list multiplies the cost of what it selects. Ask for fewer nested lists, "
                        "narrower year spans (from, to) or smaller pages (first)."
                    )
                    context.result = refusal(error)
            yield

    return QueryCostLimit
