"""One parse per query text, shared by everything that reads the document of a request.

The view needs the document before execution (its operation names, its normalized form for the
response cache key) and Strawberry parses it again to execute it: three parses of each new query
text. `parsed` caches the DocumentNode (with locations, for error messages) per text, and
`SharedParserCache` is Strawberry's ParserCache reading the same cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from graphql import DocumentNode, parse
from strawberry.extensions import SchemaExtension

DOCUMENT_CACHE_ENTRIES = 1024


@lru_cache(maxsize=DOCUMENT_CACHE_ENTRIES)
def parsed(query: str, max_tokens: int | None) -> DocumentNode:
    """The query's document (raises GraphQLError when it does not parse; failures are not cached)."""
    return parse(query, max_tokens=max_tokens)


class SharedParserCache(SchemaExtension):
    """Strawberry's parse step answered from `parsed`."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        options = context.parse_options
        if context.query is None:  # no text, so Strawberry was given the document: nothing to parse
            pass
        elif set(options) <= {"max_tokens"}:
            context.graphql_document = parsed(context.query, options.get("max_tokens"))
        else:  # options this cache does not key on: parse as Strawberry would
            context.graphql_document = parse(context.query, **options)
        yield
