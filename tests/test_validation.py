"""Validation by the rules a document could break reports exactly graphql-core's full validation."""

from __future__ import annotations

import pytest
from graphql import MaxIntrospectionDepthRule, parse, specified_rules
from strawberry.schema.schema import validate_document

from schema import Limits, build_schema
from schema.validation import (
    DIRECTIVE_RULES,
    FRAGMENT_RULES,
    SINGLE_QUERY_RULES,
    VARIABLE_RULES,
    ValidationResults,
    rules_for,
)

SCHEMA = build_schema()
RULES = (*specified_rules,)

DOCUMENTS = [
    # valid, with nothing to leave out and with everything to leave out
    "{ genre(id: 18) { name years { year releases } } }",
    "query Q($id: Int!) { genre(id: $id) { ...G @include(if: true) } } fragment G on Genre { name }",
    "{ __schema { types { name } } }",
    '{ __type(name: "Genre") { name } __typename }',
    # invalid: every kind of error, alone and together
    "{ genre(id: 18) { nope } }",
    "{ genre { name } }",
    '{ genre(id: "x") { name } }',
    "{ genre(id: 1, id: 2) { name } }",
    "{ genre(id: 18) }",
    "{ a: genre(id: 1) { name } a: genre(id: 2) { name } }",
    "{ genre(id: 1) { name(x: 1) } }",
    "query ($id: Int) { genre(id: $id) { name } }",
    "query ($id: Int!) { genre(id: $other) { name } }",
    "query ($id: Int!, $id: Int!) { genre(id: $id) { name } }",
    "query ($unused: Int) { genres { name } }",
    "query ($id: Genre) { genre(id: 1) { name } }",
    "query ($id: String!) { genre(id: $id) { name } }",
    "{ genre(id: 18) { ...Missing } }",
    "{ genre(id: 18) { name } } fragment Unused on Genre { name }",
    "{ genre(id: 18) { ...A } } fragment A on Genre { ...B } fragment B on Genre { ...A }",
    "{ genre(id: 18) { ...F } } fragment F on Company { name }",
    "{ genre(id: 18) { ... on Nope { name } } }",
    "{ genre(id: 18) { ...F } } fragment F on Genre { name } fragment F on Genre { id }",
    "{ genre(id: 18) { ...F } } fragment F on Int { name }",
    "{ genre(id: 18) { name @nope } }",
    "{ genre(id: 18) { name @include(if: true) @include(if: false) } }",
    "{ genre(id: 18) @skip { name } }",
    "{ genres { name } } { genres { id } }",
    "query A { genres { name } } query A { genres { id } }",
    "query A { genres { name } } { genres { id } }",
    "mutation { genres { name } }",
    "subscription { genres { name } }",
    "type Extra { name: String } { genres { name } }",
    "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }",
    '{ movie(id: 1) { title } companies(search: "$", first: 1) { totalCount } }',  # a `$` in a string
    "{ fragment: genres { name } }",  # `fragment` as an alias
]


@pytest.mark.parametrize("query", DOCUMENTS)
def test_the_errors_are_graphql_cores_own(query: str) -> None:
    document = parse(query)
    full = validate_document(SCHEMA._schema, document, RULES)
    fewer = validate_document(SCHEMA._schema, document, rules_for(query, document, RULES))
    assert [error.formatted for error in fewer] == [error.formatted for error in full]


def test_a_plain_query_is_checked_by_the_rules_about_its_fields_only() -> None:
    query = "{ genre(id: 18) { name years { year releases } } }"
    kept = set(rules_for(query, parse(query), RULES))
    assert not kept & (VARIABLE_RULES | FRAGMENT_RULES | DIRECTIVE_RULES | SINGLE_QUERY_RULES)
    assert len(kept) == 9  # fields, arguments, values, leaves, overlaps, input fields, operation types


def test_a_query_using_everything_is_checked_by_every_rule() -> None:
    query = "query Q($id: Int!) { genre(id: $id) { ...G @include(if: true) } } fragment G on Genre { name }"
    assert set(RULES) - set(rules_for(query, parse(query), RULES)) == {MaxIntrospectionDepthRule}


def test_results_are_kept_per_text() -> None:
    results = ValidationResults(entries=2)
    schema, rules = SCHEMA._schema, RULES
    bad = "{ genre(id: 18) { nope } }"
    first = results.errors(schema, bad, parse(bad), rules)
    assert results.errors(schema, bad, parse(bad), rules) is first  # the same list: not validated again
    assert [error.message for error in first] == ["Cannot query field 'nope' on type 'Genre'. Did you mean 'name'?"]
    for other in ("{ genres { name } }", "{ genres { id } }"):
        results.errors(schema, other, parse(other), rules)
    assert results.errors(schema, bad, parse(bad), rules) is not first  # dropped: two texts came after it


def test_the_api_schema_still_applies_its_own_limits() -> None:
    schema = build_schema(Limits(max_aliases=2, max_depth=2))
    result = schema.execute_sync("{ a: genres { name } b: genres { name } c: genres { years { genre { name } } } }")
    assert [error.message for error in result.errors or []] == [
        "'anonymous' exceeds maximum operation depth of 2",
        "3 aliases found. Allowed: 2",
    ]
