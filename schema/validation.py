"""Validation of each query text once, by the rules its document could break.

graphql-core runs every rule over every document, and a rule costs its visits even when the
document holds nothing it checks: the five variable rules walk the whole operation again to find
variable usages, the fragment and directive rules are dispatched at every node. A document
without `$` has no variables, one without `...` or `fragment` has no fragments, one without `@`
no directives: the rules about them cannot report anything, so they are left out. The errors are
the same ones, in the same order (a rule left out reports nothing; the others run as before),
which tests/test_validation.py checks against graphql-core's full validation.

A selection set of more than MAX_SELECTIONS selections is refused before any rule runs: the
rule that fields merge compares them pairwise (400 repeats of `dataset { version }`, within the
token limit, took 0.6 s of CPU to validate).

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
    FragmentDefinitionNode,
    FragmentsOnCompositeTypesRule,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
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
    SelectionSetNode,
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
# The widest type has about twenty fields, and MAX_QUERY_ALIASES allows 30 aliases: far below this.
MAX_SELECTIONS = 100


def too_many_selections(document: DocumentNode) -> GraphQLError | None:
    """The error for a selection set wider than MAX_SELECTIONS, if any: its fields with those of the
    fragments it spreads (each fragment once), which the rule that fields merge compares pairwise."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    widths: dict[str, int] = {}

    def width(selection_set: SelectionSetNode, visiting: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in visiting:  # unknown or cyclic: a rule reports it
                    if name not in widths:
                        widths[name] = width(fragments[name].selection_set, visiting | {name})
                    total += widths[name]
            elif isinstance(selection, InlineFragmentNode):
                total += width(selection.selection_set, visiting)
            else:
                total += 1
        return total

    sets = [definition.selection_set for definition in document.definitions if hasattr(definition, "selection_set")]
    while sets:
        selection_set = sets.pop()
        if (selections := width(selection_set, frozenset())) > MAX_SELECTIONS:
            return GraphQLError(
                f"{selections} selections in one selection set, counting the fragments it spreads; at most "
                f"{MAX_SELECTIONS} are accepted: ask for each field once.",
                selection_set,
            )
        sets.extend(
            inner for selection in selection_set.selections if (inner := getattr(selection, "selection_set", None))
        )
    return None


def _validate(schema: GraphQLSchema, document: DocumentNode, rules: Rules) -> list[GraphQLError]:
    """The document's errors: a selection set too wide, refused before any rule runs, else the rules'."""
    too_wide = too_many_selections(document)
    return [too_wide] if too_wide else validate_document(schema, document, rules)


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
        errors = _validate(schema, document, rules_for(query, document, rules))
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
            context.pre_execution_errors = _validate(schema, document, rules)
        else:
            context.pre_execution_errors = self.results.errors(schema, context.query, document, rules)
        yield
