"""String arguments every store can take: refused before execution when they could not be.

PostgreSQL refuses a NUL character in any text, and no UTF-8 store can hold a lone surrogate
(GraphQL's `"\\ud800"` escape makes one). Sent on, either would fail deep in the driver as an
internal error; an argument longer than any real search or cursor is refused too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ArgumentNode, DocumentNode, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from schema.errors import InvalidArgument, refusal

MAX_ARGUMENT_CHARS = 1000  # a search or a cursor this API hands out is far shorter


def argument_problem(name: str, value: str) -> str | None:
    """Why a string argument cannot be used, or None when it can."""
    if len(value) > MAX_ARGUMENT_CHARS:
        return f"`{name}` is {len(value):,} characters long; string arguments may be at most {MAX_ARGUMENT_CHARS:,}."
    if "\x00" in value:
        return f"`{name}` holds a NUL character (U+0000), which no text in this API can contain: remove it."
    if any("\ud800" <= character <= "\udfff" for character in value):
        return f"`{name}` holds a lone UTF-16 surrogate, which is not a character: send valid Unicode."
    return None


class _StringArguments(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        for value in _strings(node.value):
            self.found.append((node.name.value, value))


def _strings(node: Any) -> Iterator[str]:
    """The string literals of an argument value, within lists and input objects too."""
    if isinstance(node, StringValueNode):
        yield node.value
    for child in getattr(node, "values", None) or ():
        yield from _strings(child)
    for child in getattr(node, "fields", None) or ():
        yield from _strings(child.value)


def _variable_strings(name: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, list):
        for item in value:
            yield from _variable_strings(name, item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _variable_strings(f"{name}.{key}", item)


def first_problem(document: DocumentNode, variables: dict[str, Any] | None) -> str | None:
    """The first reason an argument of the request cannot be used, or None."""
    literals = _StringArguments()
    visit(document, literals)
    candidates = [*literals.found]
    for name, value in (variables or {}).items():
        candidates.extend(_variable_strings(f"${name}", value))
    for name, value in candidates:
        if (problem := argument_problem(name, value)) is not None:
            return problem
    return None


class ArgumentCheck(SchemaExtension):
    """Refuse with INVALID_ARGUMENT, unrun, a request whose string arguments no store can take."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        variables = context.variables if isinstance(context.variables, dict) else None
        # A text without a quote holds no string literal: only its variables can hold strings.
        literals = context.query is None or '"' in context.query
        document = context.graphql_document
        if document is not None and context.result is None and (literals or variables):
            problem = first_problem(document, variables)
            if problem is not None:
                context.result = refusal(InvalidArgument(problem))
        yield
