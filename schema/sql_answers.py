"""Whole answers built by the database: a query within the compilable subset becomes ONE statement.

On a store that builds JSON (PostgreSQL: db.postgres_json), an operation whose every field lies
in the subset of schema.sql_plan is answered without graphql-core: its selection is compiled
into a db.json_plan tree, the store turns the tree into one statement on the version's
precomputed tables, and the statement returns the `data` object as JSON text, the very bytes
orjson prints for the normal path's answer (tests/test_sql_answers.py).

An operation is answered so only when the normal path would run it: the same parse (token
limit), a document graphql-core's validation accepts (valid by construction, or validated by the
normal path's rules near the depth and alias limits), no variables, page sizes within bounds,
and the same cost limit on the version. Anything else answers None: the caller runs the normal
path, which answers or refuses as it always does. Compilations are kept per query text, the
least recently used dropped first; the version and every client value are bound parameters.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema
from graphql.validation import ASTValidationRule

from db.api_database import Database
from db.json_plan import Statement, StatementBuilder
from schema.cost import ListSizesCache, query_cost
from schema.documents import DOCUMENT_CACHE_ENTRIES, parsed
from schema.sql_plan import PlanLimits, compile_operation
from schema.validation import ValidationResults, too_many_selections


@dataclass(frozen=True, slots=True)
class Checks:
    """What the normal path checks before it runs an operation, as the schema configures it."""

    schema: GraphQLSchema
    rules: tuple[type[ASTValidationRule], ...]  # the very rules (and order) of the normal path
    validated: ValidationResults
    sizes: ListSizesCache
    max_tokens: int
    max_cost: int
    max_depth: int
    max_aliases: int


@dataclass(frozen=True, slots=True)
class _Compiled:
    document: DocumentNode
    statement: Statement


class SqlAnswers:
    """Answers compilable operations with one statement each, on the stores that can."""

    def __init__(self, checks: Checks, max_page_size: int, entries: int = DOCUMENT_CACHE_ENTRIES) -> None:
        self.checks, self.max_page_size = checks, max_page_size
        self.limits = PlanLimits(max_page_size, checks.max_depth, checks.max_aliases)
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
        return await db.json_answer(compiled.statement, version_id)

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
        if too_many_selections(document):  # the normal path refuses it
            return None
        compilation = compile_operation(document, operation_name, checks.schema, self.limits)
        if compilation is None:
            return None
        # Valid by construction unless near the depth or alias limit: then validated as the normal path does.
        if not compilation.valid and checks.validated.errors(checks.schema, query, document, checks.rules):
            return None
        return _Compiled(document, builder(compilation.plan))
