"""Execution that completes plain selections without graphql-core's per-field machinery.

A selection is plain when each of its fields reads an attribute of the object (Strawberry's
default resolver) or calls a synchronous method taking only `self`, and completes to a scalar,
a list of them, or another plain selection: the yearly figures, their coverage, a genre's name.
Such a selection is compiled once per request and list into one function that builds the answer's
dict straight from the objects, with the scalars' own serializers, in the order graphql-core would
build it; objects and lists of objects are completed inline by their own plans, and the compiled
code is shared by every request selecting the same fields. Most of an answer's fields are plain,
and graphql-core spends several microseconds on each (resolve info, awaitable checks, path, abort
signal).

Anything unusual falls back to graphql-core for that object, so errors and their paths are its own:
a null in a non-null position, a value a scalar refuses, an exception in a resolver, an abstract type,
@defer. The fallback recomputes the object from scratch, which is safe because plain fields have no
side effects.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import Any, TypeVar

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    Undefined,
)
from graphql.pyutils import Path
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Complete = Callable[[Any], Any]
PLAN_CODE_ENTRIES = 1024
Plan = Callable[[Any], dict[str, Any]]
Built = TypeVar("Built")
# (type, id(selection)) -> (the selection, kept alive so its id is not reused; what was built for it)
PerSelection = dict[tuple[Any, int], tuple[Any, Built]]


class _NotPlain(Exception):
    """This object's value needs graphql-core's own completion (it will raise the right error)."""


class PlainSelectionExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, completing plain object selections with compiled plans."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built once per (type, selection) of this execution (see _once_per_selection).
        self._plans: PerSelection[Plan | None] = {}
        self._completers: PerSelection[Complete | None] = {}
        self._field_sets: PerSelection[dict[str, tuple[Complete, Complete]]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's execute_fields, with each plain field completed by its plan.

        An object with a resolver among its fields (a company-year's releasesByGenre) still
        completes its plain fields (the figures) without graphql-core's per-field machinery.
        """
        plain = self._plain_fields(parent_type, grouped_field_set)
        if not plain:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_details_list in grouped_field_set.items():
                compiled = plain.get(response_name)
                if compiled is not None:
                    try:
                        results[response_name] = compiled[1](compiled[0](source_value))
                        continue
                    except Exception:  # noqa: BLE001 - graphql-core executes it and reports the error its way
                        pass
                result = self.execute_field(
                    parent_type, source_value, field_details_list, Path(path, response_name, parent_type.name),
                    position_context,
                )  # fmt: skip
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:  # settle what other fields started, as graphql-core does
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                results[awaitable_fields[0]] = await results[awaitable_fields[0]]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _plain_fields(
        self, parent_type: GraphQLObjectType, grouped_field_set: Any
    ) -> dict[str, tuple[Complete, Complete]]:
        return _once_per_selection(self._field_sets, parent_type, grouped_field_set, self._build_plain_fields)

    def _build_plain_fields(
        self, parent_type: GraphQLObjectType, grouped_field_set: Any
    ) -> dict[str, tuple[Complete, Complete]]:
        compiled: dict[str, tuple[Complete, Complete]] = {}
        if parent_type.is_type_of is None:
            for response_name, sub_details in grouped_field_set.items():
                name = sub_details[0].node.name.value
                field: GraphQLField | None = parent_type.fields.get(name)  # `fields`: untyped upstream
                if field is None:
                    continue
                read = _reader(field)
                complete = self._completer(field.type, sub_details) if read is not None else None
                if read is not None and complete is not None:
                    compiled[response_name] = (read, complete)
        return compiled

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        plan = self._plan(return_type, field_details_list)
        if plan is not None:
            try:
                return plan(result)
            except Exception:  # noqa: BLE001 - graphql-core completes it again and reports the error its way
                pass
        return super().complete_object_value(return_type, field_details_list, info, path, result, position_context)

    def complete_list_value(
        self,
        return_type: GraphQLList[Any],
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        # A list of plain objects (a company's years) is completed by one loop, not item by item.
        if isinstance(result, list) and (complete := self._completer(return_type, field_details_list)) is not None:
            try:
                return complete(result)
            except Exception:  # noqa: BLE001 - graphql-core completes it again and reports the error its way
                pass
        return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)

    def _plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        return _once_per_selection(self._plans, object_type, field_details_list, self._build_plan)

    def _build_plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        if object_type.is_type_of is not None:
            return None
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return None
        entries: list[str] = []
        namespace: dict[str, Any] = {}
        for number, sub_details in enumerate(grouped_field_set.values()):
            name = sub_details[0].node.name.value
            if name == "__typename":
                entries.append(f"{object_type.name!r}")
                continue
            field: GraphQLField | None = object_type.fields.get(name)  # `fields`: untyped upstream
            if field is None:
                return None
            read = _reader(field)
            complete = self._completer(field.type, sub_details) if read is not None else None
            if read is None or complete is None:
                return None
            namespace[f"_read{number}"] = read
            namespace[f"_complete{number}"] = complete
            attribute = getattr(read, "attribute", None)  # read inline as `s.name` when it is a plain attribute
            read_expression = f"s.{attribute}" if attribute else f"_read{number}(s)"
            object_plan = self._object_plan(field.type, sub_details)
            if object_plan is not None:
                namespace[f"_plan{number}"] = object_plan
            entries.append(_completion(number, field.type, read_expression, object_plan is not None))
        namespace["Undefined"] = Undefined
        return _compile(list(grouped_field_set), entries, namespace)

    def _object_plan(self, output_type: GraphQLOutputType, sub_details: Any) -> Plan | None:
        """The plan of the objects a field holds (itself, or as the items of its list), if they are plain."""
        bare = _nullable(output_type)
        if isinstance(bare, GraphQLList):
            bare = _nullable(bare.of_type)
        return self._plan(bare, sub_details) if isinstance(bare, GraphQLObjectType) else None

    def _completer(self, output_type: GraphQLOutputType, sub_details: Any) -> Complete | None:
        """How to complete a value of this type, mirroring graphql-core's complete_value."""
        return _once_per_selection(self._completers, output_type, sub_details, self._build_completer)

    def _build_completer(self, output_type: GraphQLOutputType, sub_details: Any) -> Complete | None:
        if isinstance(output_type, GraphQLNonNull) and isinstance(output_type.of_type, GraphQLLeafType):
            coerce = output_type.of_type.coerce_output_value

            def non_null_leaf(value: Any) -> Any:
                coerced = None if value is None else coerce(value)
                if coerced is None or coerced is Undefined:
                    raise _NotPlain
                return coerced

            return non_null_leaf
        if isinstance(output_type, GraphQLNonNull):
            inner = self._completer(output_type.of_type, sub_details)
            if inner is None:
                return None

            def non_null(value: Any) -> Any:
                completed = None if value is None or value is Undefined else inner(value)
                if completed is None:
                    raise _NotPlain
                return completed

            return non_null
        bare = self._bare_completer(output_type, sub_details)
        if bare is None:
            return None
        return lambda value: None if value is None or value is Undefined else bare(value)

    def _bare_completer(self, output_type: GraphQLOutputType, sub_details: Any) -> Complete | None:
        if isinstance(output_type, GraphQLList):
            item = self._completer(output_type.of_type, sub_details)
            if item is None:
                return None
            plan = self._object_plan(output_type, sub_details)

            def each(value: Any) -> list[Any]:
                if not isinstance(value, list | tuple):
                    raise _NotPlain
                if plan is not None:  # objects: their plan, inline; a null item as `item` has it
                    return [plan(element) if element is not None else item(element) for element in value]
                return [item(element) for element in value]

            return each
        if isinstance(output_type, GraphQLLeafType):
            coerce = output_type.coerce_output_value

            def leaf(value: Any) -> Any:
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    raise _NotPlain
                return coerced

            return leaf
        if isinstance(output_type, GraphQLObjectType):
            return self._plan(output_type, sub_details)
        return None  # interfaces and unions: graphql-core resolves their runtime type


# Expressions true exactly when graphql-core's own coercion of the built-in scalar returns the
# value unchanged: then the generated plan skips the call.
_UNCHANGED = {
    "Int": "{v}.__class__ is int and -2147483648 <= {v} <= 2147483647",
    "Float": "{v}.__class__ is float and {v} - {v} == 0.0",  # finite: inf - inf and nan - nan are nan
    "String": "{v}.__class__ is str",
    "Boolean": "{v}.__class__ is bool",
}


def _completion(number: int, output_type: GraphQLOutputType, read: str, object_plan: bool) -> str:
    """The expression completing field `number`: read it, then keep it as is or complete it.

    Objects, and lists of them, are completed inline by their plan (`_plan{number}`) in the usual
    case (a value, a list); anything else (a null, a tuple) goes to the field's completer, which
    returns or raises exactly as graphql-core's completion would.
    """
    value, complete, plan = f"_v{number}", f"_complete{number}", f"_plan{number}"
    bare = _nullable(output_type)
    if object_plan and isinstance(bare, GraphQLList):
        item = f"{plan}(_x) if _x is not None else {complete}([_x])[0]"  # a null item: as the completer has it
        return f"([{item} for _x in {value}] if ({value} := {read}).__class__ is list else {complete}({value}))"
    if object_plan:
        return f"({plan}({value}) if ({value} := {read}) is not None and {value} is not Undefined else {complete}({value}))"
    unchanged = _unchanged(bare) if isinstance(bare, GraphQLLeafType) else None
    if unchanged is None:
        return f"{complete}({read})"
    test = unchanged.format(v=value).replace(value, f"({value} := {read})", 1)  # read once, then the value
    return f"({value} if {test} else {complete}({value}))"


def _unchanged(leaf: GraphQLLeafType) -> str | None:
    """The test for a value the scalar's serializer returns as it is, if there is one."""
    if isinstance(leaf, GraphQLScalarType) and leaf.serialize is int:  # a custom scalar serialized by int()
        return "{v}.__class__ is int"
    return _UNCHANGED.get(leaf.name)


def _nullable(output_type: GraphQLOutputType) -> GraphQLOutputType:
    return output_type.of_type if isinstance(output_type, GraphQLNonNull) else output_type


def _compile(keys: list[str], entries: list[str], namespace: dict[str, Any]) -> Plan:
    """One function building the object's dict, keys in graphql-core's order (its response keys)."""
    body = ", ".join(f"{key!r}: {entry}" for key, entry in zip(keys, entries))
    exec(_code(f"def plan(s):\n    return {{{body}}}\n"), namespace)
    plan: Plan = namespace["plan"]
    return plan


@lru_cache(maxsize=PLAN_CODE_ENTRIES)
def _code(source: str) -> CodeType:
    """A plan's compiled code, shared by every request selecting the same fields (compiling is ~0.1 ms).

    The source holds only repr'd response keys, identifiers and numbered names: no client text runs.
    """
    return compile(source, "<plan>", "exec")


def _reader(field: GraphQLField) -> Complete | None:
    """Read a field's value from its object: an attribute, or a sync method of `self` alone."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or definition.extensions or definition.arguments:
        return None
    if getattr(field.resolve, "_is_default", False) and definition.base_resolver is None:
        return _attribute(definition.python_name)
    resolver = definition.base_resolver
    if (
        resolver is None
        or resolver.is_async
        or resolver.self_parameter is None
        or len(resolver.signature.parameters) != 1
        or not callable(resolver.wrapped_func)
    ):
        return None
    return resolver.wrapped_func


def _attribute(name: str) -> Complete:
    def read(source: Any) -> Any:
        return getattr(source, name)

    if name.isidentifier() and not keyword.iskeyword(name):
        read.attribute = name  # type: ignore[attr-defined]  # for the generated plans (_build_plan)
    return read


def _once_per_selection(
    built: PerSelection[Built], owner: Any, selection: Any, build: Callable[[Any, Any], Built]
) -> Built:
    """`build(owner, selection)`, once per owner and selection object."""
    key = (owner, id(selection))
    cached = built.get(key)
    if cached is None:
        built[key] = cached = (selection, build(owner, selection))
    return cached[1]
