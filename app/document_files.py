"""Reading GraphQL documents from files for `movie-stats documents add`, checked against the schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
from graphql import GraphQLError, OperationDefinitionNode, parse, validate

from schema import build_schema


class DocumentRefused(Exception):
    """A file holds no usable document: unreadable, not GraphQL, or invalid against the schema."""


@dataclass(frozen=True, slots=True)
class DocumentFile:
    """One document read from a file, ready to register."""

    document: str
    name: str
    source: str


def read_document_files(paths: list[Path]) -> list[DocumentFile]:
    """The documents of `.graphql` files (one document each, whitespace around it dropped) and of
    Apollo persisted-query manifests (`.json`); DocumentRefused names the first bad one."""
    schema = build_schema()._schema  # graphql-core's schema, for `validate`
    documents = []
    for path in paths:
        texts = _manifest_bodies(path) if path.suffix == ".json" else [path.read_text(encoding="utf-8").strip()]
        for text in texts:
            try:
                parsed = parse(text)
            except GraphQLError as error:
                raise DocumentRefused(f"{path}: not a GraphQL document ({error.message}).") from error
            if problems := validate(schema, parsed):
                raise DocumentRefused(f"{path}: the document does not fit the schema: {problems[0].message}")
            names = [node.name.value if node.name else "(anonymous)" for node in parsed.definitions
                     if isinstance(node, OperationDefinitionNode)]  # fmt: skip
            documents.append(DocumentFile(text, ", ".join(names), path.name))
    return documents


def _manifest_bodies(path: Path) -> list[str]:
    """The operation bodies of an Apollo persisted query manifest."""
    try:
        manifest = orjson.loads(path.read_bytes())
        bodies = [operation["body"] for operation in manifest["operations"]]
    except (orjson.JSONDecodeError, KeyError, TypeError) as error:
        raise DocumentRefused(
            f'{path}: expected an Apollo persisted query manifest ({{"operations": [{{"body": "..."}}]}}).'
        ) from error
    if not all(isinstance(body, str) for body in bodies):
        raise DocumentRefused(f"{path}: every operation's `body` must be a string.")
    return bodies
