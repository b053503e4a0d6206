"""Validation of each query text once, by the rules its document could break.

graphql-core runs every rule over every document, and a rule costs its visits even when the
document holds nothing it checks: the five variable rules walk the whole operation again to find
variable usages, the fragment and directive rules are dispatched at every node. A document
without `$` has no variables, one without `...` or `fragment` has no fragments, one without `@`
no directives: the rules about them cannot report anything, so they are left out. The errors are
the same ones, in the same order (a rule left out reports nothing; the others run as before),
which tests/test_validation.py checks against graphql-core's full validation.

The result is kept per query text (one parse per text: schema.documents), as Strawberry's
ValidationCache keeps it per document.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence

from graphql import (
    DeferStreamDirectiveLabel,
    DeferStreamDirectiveOnRootField,
    DeferStreamDirectiveOnValidOperationsRule,
    DocumentNode,
    ExecutableDefinitionsRule,
    FragmentsOnCompositeTypesRule,
    GraphQLError,
    GraphQLSchema,
    KnownDirectivesRule,
    KnownFragmentNamesRule,
    KnownTypeNamesRule,
    LoneAnonymousOperationRule,
    MaxIntrospectionDepthRule,
    NoFragmentCyclesRule,
    NoUndefinedVariablesRule,
    NoUnusedFragmentsRule,
    NoUnusedVariablesRule,
    OperationDefinitionNode,
    OperationType,
    PossibleFragmentSpreadsRule,
    SingleFieldSubscriptionsRule,
    StreamDirectiveOnListField,
    UniqueDirectivesPerLocationRule,
    UniqueFragmentNamesRule,
    UniqueOperationNamesRule,
    UniqueVariableNamesRule,
    VariablesAreInputTypesRule,
    VariablesInAllowedPositionRule,
)
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from schema.documents import DOCUMENT_CACHE_ENTRIES

Rules = tuple[type[ASTValidationRule], ...]

VARIABLE_RULES = frozenset(
    {
        VariablesAreInputTypesRule,
        UniqueVariableNamesRule,
        NoUndefinedVariablesRule,
        NoUnusedVariablesRule,
        VariablesInAllowedPositionRule,
    }
)
FRAGMENT_RULES = frozenset(
    {
        FragmentsOnCompositeTypesRule,
        UniqueFragmentNamesRule,
        KnownFragmentNamesRule,
        NoUnusedFragmentsRule,
        PossibleFragmentSpreadsRule,
        NoFragmentCyclesRule,
    }
)
DIRECTIVE_RULES = frozenset(
    {
        KnownDirectivesRule,
        UniqueDirectivesPerLocationRule,
        DeferStreamDirectiveOnRootField,
        DeferStreamDirectiveOnValidOperationsRule,
        DeferStreamDirectiveLabel,
        StreamDirectiveOnListField,
    }
)
# Rules about the document's definitions: nothing to report on one query operation alone.
SINGLE_QUERY_RULES = frozenset(
    {ExecutableDefinitionsRule, UniqueOperationNamesRule, LoneAnonymousOperationRule, SingleFieldSubscriptionsRule}
)
_INTROSPECTION = re.compile(r"__(schema|type)(?![_0-9A-Za-z])")  # `__type` but not `__typename`


def rules_for(query: str, document: DocumentNode, rules: Sequence[type[ASTValidationRule]]) -> Rules:
    """The rules that could report an error on this document (judged from its text and definitions)."""
    idle: set[type[ASTValidationRule]] = set()
    variables, fragments = "$" in query, "..." in query or "fragment" in query
    if not variables:
        idle |= VARIABLE_RULES
    if not fragments:
        idle |= FRAGMENT_RULES
    if not variables and not fragments:
        idle.add(KnownTypeNamesRule)  # type names appear only in variable definitions and type conditions
    if "@" not in query:
        idle |= DIRECTIVE_RULES
    if not _INTROSPECTION.search(query):
        idle.add(MaxIntrospectionDepthRule)
    definitions = document.definitions
    if (
        len(definitions) == 1
        and isinstance(definitions[0], OperationDefinitionNode)
        and definitions[0].operation == OperationType.QUERY
    ):
        idle |= SINGLE_QUERY_RULES
    return tuple(rule for rule in rules if rule not in idle)


class ValidationResults:
    """Validation errors per (rules, query text) of one schema, the least recently used dropped first."""

    def __init__(self, entries: int = DOCUMENT_CACHE_ENTRIES) -> None:
        self._entries = entries
        self._errors: OrderedDict[tuple[Rules, str], list[GraphQLError]] = OrderedDict()
        self._lock = threading.Lock()  # execution threads validate concurrently

    def errors(self, schema: GraphQLSchema, query: str, document: DocumentNode, rules: Rules) -> list[GraphQLError]:
        """The document's validation errors (computed once per text and rules)."""
        key = (rules, query)
        with self._lock:
            if (found := self._errors.get(key)) is not None:
                self._errors.move_to_end(key)
                return found
        errors = validate_document(schema, document, rules_for(query, document, rules))
        with self._lock:
            self._errors[key] = errors
            if len(self._errors) > self._entries:
                self._errors.popitem(last=False)
        return errors


class DocumentValidation(SchemaExtension):
    """Strawberry's validation step: each text validated once, by the rules that apply to it."""

    def __init__(self, results: ValidationResults) -> None:
        super().__init__()
        self.results = results  # one per schema: the results hold for its types only

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, document, rules = context.schema._schema, context.graphql_document, tuple(context.validation_rules)
        assert document is not None  # Strawberry validates only a parsed document
        if context.query is None:  # a document handed in without its text: nothing to key it on
            context.pre_execution_errors = validate_document(schema, document, rules)
        else:
            context.pre_execution_errors = self.results.errors(schema, context.query, document, rules)
        yield
