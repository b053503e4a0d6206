"""Persisted queries: a request names its document by sha256 instead of sending its text.

Two forms are understood: Apollo's automatic persisted queries
(`extensions={"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}`, where an unknown hash
answers PERSISTED_QUERY_NOT_FOUND and the client sends the query once with its hash, which
registers it) and GraphQL-over-HTTP's `documentId=sha256:<hex>`.

A document registers once it has run (an answer with data): one that does not parse, fails
validation or exceeds a limit is never kept. Registered documents are kept in this process
(bounded in number and in size) and in Redis when one is configured, so every API process
knows them; there each expires DOCUMENT_TTL_SECONDS after it was last asked for.

Documents the operator registered ahead (`movie-stats documents add`) live in the database;
with TRUSTED_DOCUMENTS_ONLY they are the only documents answered, and nothing registers on the fly.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from db.api_database import Database
from db.documents import document_sha256, find_document
from schema.errors import BadRequest, PersistedQueryHashMismatch, PersistedQueryNotFound, TrustedDocumentRequired

logger = logging.getLogger("movie_stats.persisted")

NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # Apollo's clients match this exact message
NO_QUERY_MESSAGE = 'Send a GraphQL query: GET /graphql?query=... or POST JSON {"query": "..."}.'
DOCUMENT_ID_PREFIX = "sha256:"
_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_REMEMBERED = 10_000  # documents (and unknown hashes) kept in this process
MAX_REMEMBERED_CHARACTERS = 16 * 1024 * 1024  # and the most text those documents hold
DOCUMENT_TTL_SECONDS = 30 * 24 * 3600  # in Redis, from when a document was last asked for
UNKNOWN_SECONDS = 1.0  # how long a hash the database lacks is not asked for again


@dataclass(frozen=True, slots=True)
class RequestedDocument:
    """The query text a request runs, and the hash to register it under once it has run (a new persisted query)."""

    text: str
    to_register: str | None = None


class DocumentStore:
    """Finds the text of a persisted document, registers new ones, and enforces trusted-only mode."""

    def __init__(self, db: Database, redis: Redis | None, *, trusted_only: bool, redis_prefix: str) -> None:
        self.db, self.redis, self.trusted_only, self.redis_prefix = db, redis, trusted_only, redis_prefix
        self._known: OrderedDict[str, str] = OrderedDict()  # sha256 -> text, least recently used first
        self._known_characters = 0
        self._trusted: set[str] = set()  # the hashes of `_known` that the database holds
        self._unknown: OrderedDict[str, float] = OrderedDict()  # sha256 -> when to ask the database again

    async def query_for(self, query: Any, extensions: Any, document_id: Any) -> RequestedDocument:
        """The query text a request asks to run, or the ApiError that answers it instead."""
        sha256 = _requested_sha256(extensions, document_id)
        if query is not None and not isinstance(query, str):
            raise BadRequest("`query` must be a string.")
        if query:
            digest = document_sha256(query) if sha256 is not None or self.trusted_only else None
            if sha256 is not None and digest != sha256:
                raise PersistedQueryHashMismatch(
                    "The sha256Hash sent is not the SHA-256 of the query sent with it: hash the query's exact UTF-8 text."
                )
            if self.trusted_only:
                if digest is None or await self._trusted_text(digest) is None:
                    raise TrustedDocumentRequired(
                        "This API answers only documents registered with `movie-stats documents add`: "
                        "send one by its id (documentId=sha256:<hex>)."
                    )
            elif sha256 is not None and self._remembered(sha256) is None:
                return RequestedDocument(query, to_register=sha256)
            return RequestedDocument(query)
        if sha256 is None:
            raise BadRequest(NO_QUERY_MESSAGE)
        text = await self._trusted_text(sha256) if self.trusted_only else await self._text(sha256)
        if text is None:
            raise PersistedQueryNotFound(NOT_FOUND_MESSAGE)
        return RequestedDocument(text)

    async def _text(self, sha256: str) -> str | None:
        """A document registered by any process, or by the operator."""
        if (text := self._remembered(sha256)) is not None:
            return text
        if self.redis is not None:
            try:
                found = await self.redis.getex(self.redis_prefix + sha256, ex=DOCUMENT_TTL_SECONDS)
            except (OSError, TimeoutError, RedisError) as error:
                logger.warning("persisted documents: Redis unavailable on get: %s", error)
            else:
                if found is not None:
                    text = _text(found)
                    self._remember(sha256, text)
                    return text
        return await self._trusted_text(sha256)

    async def _trusted_text(self, sha256: str) -> str | None:
        """A document the operator registered (in the database), or None."""
        if sha256 in self._trusted:
            return self._remembered(sha256)
        expires = self._unknown.get(sha256)
        if expires is not None and expires > time.monotonic():
            return None  # asked a moment ago: a flood of unknown hashes costs one lookup each second
        text = await self.db.run(find_document, sha256)
        if text is None:
            self._unknown[sha256] = time.monotonic() + UNKNOWN_SECONDS
            _trim(self._unknown)
            return None
        self._unknown.pop(sha256, None)
        self._remember(sha256, text, trusted=True)
        return text

    async def register(self, document: RequestedDocument) -> None:
        """Keep a new persisted document that has run here and in Redis (where every process finds it)."""
        sha256 = document.to_register
        if sha256 is None or self._remembered(sha256) is not None:
            return
        self._remember(sha256, document.text)
        if self.redis is not None:
            try:
                await self.redis.set(self.redis_prefix + sha256, document.text.encode("utf-8"), ex=DOCUMENT_TTL_SECONDS)
            except (OSError, TimeoutError, RedisError) as error:
                logger.warning("persisted documents: Redis unavailable on set: %s", error)

    def _remembered(self, sha256: str) -> str | None:
        text = self._known.get(sha256)
        if text is not None:
            self._known.move_to_end(sha256)
        return text

    def _remember(self, sha256: str, text: str, *, trusted: bool = False) -> None:
        """Keep a document, forgetting the least recently used beyond MAX_REMEMBERED or MAX_REMEMBERED_CHARACTERS."""
        if sha256 in self._known:
            self._forget(sha256)
        self._known[sha256] = text
        self._known_characters += len(text)
        if trusted:
            self._trusted.add(sha256)
        while len(self._known) > MAX_REMEMBERED or (
            len(self._known) > 1 and self._known_characters > MAX_REMEMBERED_CHARACTERS
        ):
            self._forget(next(iter(self._known)))

    def _forget(self, sha256: str) -> None:
        self._known_characters -= len(self._known.pop(sha256))
        self._trusted.discard(sha256)

    async def automatic_documents(self, deadline: float) -> list[str]:
        """The texts of the documents clients registered (in Redis when configured, else here), as many as
        can be read before `deadline` (time.monotonic())."""
        if self.redis is None:
            return [text for sha256, text in self._known.items() if sha256 not in self._trusted]
        texts = []
        try:
            async for key in self.redis.scan_iter(match=self.redis_prefix + "*", count=1000):
                if time.monotonic() >= deadline:
                    break
                if (found := await self.redis.get(key)) is not None:
                    texts.append(_text(found))
        except (OSError, TimeoutError, RedisError) as error:
            logger.warning("persisted documents: Redis unavailable on scan: %s", error)
        return texts

    async def close(self) -> None:
        """Release the Redis connections."""
        if self.redis is not None:
            await self.redis.aclose()


def _requested_sha256(extensions: Any, document_id: Any) -> str | None:
    """The hash a request names (Apollo's extension or a documentId), checked for shape."""
    if document_id is not None:
        if not isinstance(document_id, str) or not document_id.startswith(DOCUMENT_ID_PREFIX):
            raise BadRequest("`documentId` must be `sha256:` followed by the document's hex SHA-256.")
        return _checked_sha256(document_id.removeprefix(DOCUMENT_ID_PREFIX))
    if extensions is None:
        return None
    if isinstance(extensions, str):  # over GET, `extensions` is JSON text
        try:
            extensions = orjson.loads(extensions)
        except orjson.JSONDecodeError as error:
            raise BadRequest(f"`extensions` is not JSON ({error}).") from error
    if not isinstance(extensions, dict):
        raise BadRequest("`extensions` must be a JSON object.")
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise BadRequest('Only `"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}` is supported.')
    return _checked_sha256(persisted.get("sha256Hash"))


def _checked_sha256(value: Any) -> str:
    digest = value.lower() if isinstance(value, str) else ""
    if not _SHA256.fullmatch(digest):
        raise BadRequest("A persisted query's hash must be 64 hexadecimal digits (its SHA-256).")
    return digest


def _trim(entries: OrderedDict[str, Any]) -> None:
    """Forget the least recently used entries beyond MAX_REMEMBERED."""
    while len(entries) > MAX_REMEMBERED:
        entries.popitem(last=False)


def make_document_store(db: Database, redis_url: str | None, *, trusted_only: bool, namespace: str) -> DocumentStore:
    """The store the settings ask for: shared through Redis when a URL is given."""
    redis = Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0) if redis_url else None
    return DocumentStore(db, redis, trusted_only=trusted_only, redis_prefix=f"{namespace}:documents:")


def _text(stored: bytes | str) -> str:
    """A document as Redis returns it (bytes: the client does not decode responses)."""
    return stored.decode("utf-8") if isinstance(stored, bytes) else stored
