"""The GraphQL surface: `build_schema` assembles the types of this package into a Schema."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, specified_rules
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.arguments import ArgumentCheck
from schema.cost import ListSizesCache, cost_limit
from schema.documents import SharedParserCache
from schema.errors import ErrorCodes, log_unexpected
from schema.plain_execution import PlainSelectionExecutionContext
from schema.query import Query
from schema.scalars import SCALARS
from schema.sql_answers import Checks
from schema.stopping import StoppableExecution
from schema.validation import DocumentValidation, ValidationResults


@dataclass(frozen=True, slots=True)
class Limits:
    """What one query may ask for."""

    max_depth: int = 10
    max_tokens: int = 2000
    max_aliases: int = 30
    introspection: bool = True
    max_cost: int = 50_000


class Execution(StoppableExecution, PlainSelectionExecutionContext):
    """graphql-core's executor as the API runs it: plain selections compiled, every other field stoppable."""


class MovieStatsSchema(strawberry.Schema):
    """Logs only the errors a client cannot fix (the rest are answers, not incidents).

    `checks` holds what it checks an operation by before running it (schema.sql_answers makes
    the same checks before it answers a query in one statement); set by build_schema.
    """

    checks: Checks

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_unexpected(errors)


def build_schema(limits: Limits = Limits()) -> MovieStatsSchema:
    """The read-only schema: Query only, no Mutation, with caches, limits and error codes.

    Extensions are factories (a fresh instance per request), but the limiters' validation
    rules are built once here: validation results are kept per rule classes and text, so
    rebuilding them per request would make every lookup a miss.
    """
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
    ]
    if not limits.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    validated, sizes = ValidationResults(), ListSizesCache()
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(rules),
        SharedParserCache,
        lambda: DocumentValidation(validated),
        ArgumentCheck,
        cost_limit(limits.max_cost, sizes),
        ErrorCodes,
    ]
    schema = MovieStatsSchema(
        query=Query,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=Execution,
    )
    # Strawberry validates by its default rules (graphql-core's), then those AddValidationRules adds.
    all_rules = (*specified_rules, *rules)
    schema.checks = Checks(
        schema._schema, all_rules, validated, sizes, limits.max_tokens, limits.max_cost, limits.max_depth,
        limits.max_aliases,
    )  # fmt: skip
    return schema
