"""The served schema holds the design's contract exactly (/work/shared/design/api.graphql).

Every type, field, argument, default value and nullability of the design must be present
identically; the served schema may add around it. The test lists every difference at once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    ast_from_value,
    build_schema,
    print_ast,
)
from graphql.pyutils import Undefined

from schema import Limits
from schema import build_schema as build_served_schema

DESIGN = Path(__file__).resolve().parents[2] / "shared" / "design" / "api.graphql"


def _default(argument: GraphQLArgument) -> str | None:
    """The default as GraphQL text, whether it comes from SDL (an AST) or from code (a value)."""
    node = argument.ast_node
    if node is not None and node.default_value is not None:
        return print_ast(node.default_value)
    if argument.default_value is Undefined:
        return None
    value = ast_from_value(argument.default_value, argument.type)
    return print_ast(value) if value is not None else "null"


_KINDS = (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType, GraphQLEnumType, GraphQLUnionType)


def _kind(type_: GraphQLNamedType) -> str:
    return next((kind.__name__ for kind in _KINDS if isinstance(type_, kind)), "GraphQLScalarType")


def contract_differences(design: GraphQLSchema, served: GraphQLSchema) -> list[str]:
    """Every way `served` departs from `design` (additions are allowed)."""
    problems: list[str] = []
    for name, wanted in design.type_map.items():
        if name.startswith("__"):
            continue
        have = served.type_map.get(name)
        if have is None:
            problems.append(f"type {name} is missing")
            continue
        if _kind(have) != _kind(wanted):
            problems.append(f"type {name} is a {_kind(have)}, the design has a {_kind(wanted)}")
            continue
        if isinstance(wanted, GraphQLEnumType):
            missing = set(wanted.values) - set(have.values)  # type: ignore[attr-defined]
            problems.extend(f"enum value {name}.{value} is missing" for value in sorted(missing))
        if isinstance(wanted, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            problems.extend(_field_differences(name, wanted, have))  # type: ignore[arg-type]
        if isinstance(wanted, GraphQLUnionType):
            missing = {t.name for t in wanted.types} - {t.name for t in have.types}  # type: ignore[attr-defined]
            problems.extend(f"union {name} lacks {member}" for member in sorted(missing))
    for root in ("mutation_type", "subscription_type"):
        if getattr(design, root) is None and getattr(served, root) is not None:
            problems.append(f"the served schema has a {root}; the design has none (the API is read-only)")
    return problems


def _field_differences(type_name: str, wanted: GraphQLObjectType, have: GraphQLObjectType) -> list[str]:
    problems = []
    for field_name, field in wanted.fields.items():
        where = f"{type_name}.{field_name}"
        served_field = have.fields.get(field_name)
        if served_field is None:
            problems.append(f"field {where} is missing")
            continue
        if str(served_field.type) != str(field.type):
            problems.append(f"field {where} is {served_field.type}, the design has {field.type}")
        for arg_name, argument in getattr(field, "args", {}).items():
            served_arg = served_field.args.get(arg_name)
            if served_arg is None:
                problems.append(f"argument {where}({arg_name}) is missing")
                continue
            if str(served_arg.type) != str(argument.type):
                problems.append(f"argument {where}({arg_name}) is {served_arg.type}, the design has {argument.type}")
            if _default(served_arg) != _default(argument):
                problems.append(
                    f"argument {where}({arg_name}) defaults to {_default(served_arg)}, the design to {_default(argument)}"
                )
        for arg_name, served_arg in getattr(served_field, "args", {}).items():
            required = served_arg.type.__class__.__name__ == "GraphQLNonNull" and served_arg.default_value is Undefined
            if arg_name not in field.args and required:
                problems.append(f"argument {where}({arg_name}) is an added required argument: it breaks clients")
    return problems


@pytest.fixture(scope="module")
def design() -> GraphQLSchema:
    if not DESIGN.exists():
        pytest.skip(f"{DESIGN} is absent: this test needs ../shared/design beside the checkout")
    return build_schema(DESIGN.read_text(encoding="utf-8"))


@pytest.mark.parametrize("introspection", [True, False])
def test_served_schema_holds_the_design_contract(design: GraphQLSchema, introspection: bool) -> None:
    served = build_served_schema(Limits(introspection=introspection))._schema
    differences = contract_differences(design, served)
    assert not differences, "the served schema departs from api.graphql:\n" + "\n".join(differences)


def test_the_check_catches_departures(design: GraphQLSchema) -> None:
    """The comparison itself finds a changed default, a changed nullability and a missing field."""
    text = DESIGN.read_text(encoding="utf-8")
    changed = (
        text.replace("first: Int! = 20", "first: Int! = 10")
        .replace("type Year {\n  year: Int!\n  releases: Int!", "type Year {\n  year: Int!\n  releases: Int")
        .replace("  duplicates: Int!\n", "")
        .replace("years(from: Int, to: Int): [Year!]!", "years(from: Int = 1900, to: Int): [Year!]!")
    )
    differences = contract_differences(design, build_schema(changed))
    assert any("Query.companies(first) defaults to 10" in d for d in differences)
    assert any("field Year.releases is Int" in d for d in differences)
    assert any("field Dataset.duplicates is missing" in d for d in differences)
    assert any("Query.years(from) defaults to 1900" in d for d in differences)


def test_bigint_serializes_beyond_32_bits() -> None:
    served = build_served_schema()._schema
    big_int = served.type_map["BigInt"]
    assert big_int.serialize(5_500_000_000) == 5_500_000_000  # type: ignore[attr-defined]
