"""Response caching: whole GET answers in a byte-bounded LRU and Redis, and the HTTP validators sent with them.

Every key starts with the dataset version the answer was computed on, and the version is
known per process (db.live_version), so an answer is never served for another version:
after a promote or a rollback the old entries are simply never asked for again and expire.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast
from urllib.parse import unquote, urlparse

import orjson
from aiocache import RedisCache
from aiocache.base import BaseCache
from aiocache.serializers import BaseSerializer
from graphql import GraphQLError, OperationDefinitionNode, OperationType, TokenKind
from redis.exceptions import RedisError

from app.lru import ByteLRU
from schema.documents import DOCUMENT_CACHE_ENTRIES, parsed

logger = logging.getLogger("movie_stats.cache")

DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # CACHE_MAX_BYTES
# A cache answers in well under a millisecond: past this, a request goes on uncached.
REDIS_TIMEOUT_SECONDS = 0.05
# After Redis fails, it is skipped this long (every request uncached) before it is tried again.
REDIS_SKIP_SECONDS = 5.0
KEY_PREFIX_RAW, KEY_PREFIX_NORMALIZED = "r", "t"


class _Bytes(BaseSerializer):  # type: ignore[misc]  # aiocache ships no types: its classes are Any
    """Stores response bodies as they are: already JSON bytes."""

    DEFAULT_ENCODING = None

    def dumps(self, value: bytes) -> bytes:
        return value

    def loads(self, value: bytes | None) -> bytes | None:
        return value


class _RedisCache(RedisCache):  # type: ignore[misc]  # aiocache ships no types
    """aiocache 0.12 stores a TTL with redis-py's deprecated SETEX; SET ... EX is the same."""

    async def _set(
        self, key: str, value: Any, ttl: Any = None, _cas_token: Any = None, _conn: Any = None
    ) -> Any:  # as aiocache's own (untyped) _set
        if _cas_token is not None or not isinstance(ttl, int):
            return await super()._set(key, value, ttl=ttl, _cas_token=_cas_token, _conn=_conn)
        return await self.client.set(key, value, ex=ttl)


class ResponseCache:
    """Response bodies by key: this process's byte-bounded LRU first, then Redis when configured.

    A broken Redis is a miss, not an error. A circuit breaker guards it: an operation that fails
    or takes over REDIS_TIMEOUT_SECONDS makes every request skip Redis for REDIS_SKIP_SECONDS,
    so a down or frozen Redis costs one short wait now and then instead of one per request.
    The LRU answers most hits without a network round trip; keys carry the dataset version, so
    what it holds is never stale.
    """

    def __init__(
        self, backend: BaseCache | None, ttl_seconds: int, *, redis: bool, memory: ByteLRU | None = None
    ) -> None:
        self.backend = backend  # Redis, or None
        self.memory = memory  # None with the backend: caching disabled (CACHE_TTL_SECONDS=0)
        self.ttl_seconds = ttl_seconds
        self.redis = redis
        self.skip_until = 0.0  # monotonic time until which Redis is skipped
        self.last_error: str | None = None
        self.on_lookup: Callable[[str, bool], None] | None = None  # (layer, hit): app.metrics counts them

    @property
    def enabled(self) -> bool:
        """Whether anything is cached at all (CACHE_TTL_SECONDS > 0)."""
        return self.memory is not None or self.backend is not None

    async def get(self, key: str) -> bytes | None:
        """A cached body, or None."""
        if self.memory is not None:
            body = self.memory.get(key)
            if self.on_lookup is not None:
                self.on_lookup("memory", body is not None)
            if body is not None:
                return body
        if self.backend is None or self._skipping():
            return None
        try:
            body = cast("bytes | None", await self.backend.get(key))  # stored by _Bytes: bytes as they were
        except (OSError, TimeoutError, RedisError) as error:
            self._failed("get", error)
            return None
        self._answered()
        if self.on_lookup is not None:
            self.on_lookup("redis", body is not None)
        if body is not None and self.memory is not None:
            self.memory.set(key, body)
        return body

    async def set(self, key: str, body: bytes) -> None:
        """Cache a body for `ttl_seconds` (in Redis with that TTL too)."""
        if self.memory is not None:
            self.memory.set(key, body)
        if self.backend is None or self._skipping():
            return
        try:
            await self.backend.set(key, body, ttl=self.ttl_seconds)
        except (OSError, TimeoutError, RedisError) as error:
            self._failed("set", error)
            return
        self._answered()

    @property
    def skipping(self) -> bool:
        """Whether Redis is being skipped after a failure."""
        return self._skipping()

    def _skipping(self) -> bool:
        return self.skip_until != 0.0 and time.monotonic() < self.skip_until

    def _failed(self, operation: str, error: BaseException) -> None:
        if not self._skipping():
            logger.warning(
                "response cache unavailable on %s, skipped for %g s: %r", operation, REDIS_SKIP_SECONDS, error
            )
        self.skip_until = time.monotonic() + REDIS_SKIP_SECONDS
        self.last_error = f"{error.__class__.__name__}: {error}" if str(error) else error.__class__.__name__

    def _answered(self) -> None:
        if self.skip_until:
            self.skip_until, self.last_error = 0.0, None

    async def ping(self, timeout_seconds: float = 0.5) -> None:
        """Raise when a configured Redis does not answer within the timeout (for /readyz)."""
        if self.redis and self.backend is not None:
            await asyncio.wait_for(self.backend.client.ping(), timeout_seconds)

    async def close(self) -> None:
        """Release connections (redis-py's close() is deprecated: aclose)."""
        if self.redis and self.backend is not None:
            await self.backend.client.aclose()


def make_response_cache(
    redis_url: str | None, *, namespace: str, ttl_seconds: int, max_bytes: int = DEFAULT_MAX_BYTES
) -> ResponseCache:
    """The cache the settings ask for: this process's LRU of `max_bytes`, in front of Redis when a URL is given.

    CACHE_TTL_SECONDS=0 turns response caching off (HTTP validators still apply);
    CACHE_MAX_BYTES=0 turns the in-process layer off (every lookup goes to Redis).
    """
    if not ttl_seconds:
        return ResponseCache(None, 0, redis=False)
    memory = ByteLRU(max_bytes, ttl_seconds) if max_bytes else None
    if redis_url is None:
        if memory is None:
            return ResponseCache(None, 0, redis=False)
        return ResponseCache(None, ttl_seconds, redis=False, memory=memory)
    url = urlparse(redis_url)
    backend = _RedisCache(
        serializer=_Bytes(),
        namespace=namespace,
        timeout=REDIS_TIMEOUT_SECONDS,
        endpoint=url.hostname or "127.0.0.1",
        port=url.port or 6379,
        db=int(url.path.lstrip("/") or 0),
        password=unquote(url.password) if url.password else None,
    )
    return ResponseCache(backend, ttl_seconds, redis=True, memory=memory)


def _digest(*parts: str) -> str:
    hasher = hashlib.blake2b(digest_size=20)
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogatepass"))
        hasher.update(b"\x00")
    return hasher.hexdigest()


def raw_key(version_id: int, query_string: bytes) -> str:
    """Key of a GET exactly as sent (its whole query string): a hit needs no parsing at all."""
    return f"{version_id}:{KEY_PREFIX_RAW}:{hashlib.blake2b(query_string, digest_size=20).hexdigest()}"


def normalized_key(
    version_id: int, query: str, variables: dict[str, Any] | None, operation_name: str | None, max_tokens: int
) -> str | None:
    """Key of a request whatever its spelling (whitespace, commas, comments, variable order).

    None when the query does not parse: such a request is answered with an error, never cached.
    """
    document = _normalized_document(query, max_tokens)
    if document is None:
        return None
    variables_text = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS).decode()
    return f"{version_id}:{KEY_PREFIX_NORMALIZED}:{_digest(document, variables_text, operation_name or '')}"


@lru_cache(maxsize=DOCUMENT_CACHE_ENTRIES)
def _normalized_document(query: str, max_tokens: int) -> str | None:
    """The document's tokens, one space apart: what is left once whitespace, commas and comments go.

    Read from the parse execution reuses (schema.documents), so it costs a walk of the tokens,
    not a print of the tree. A string is spelled by its value's repr (escapes and block form resolved),
    and `query {` counts as its shorthand `{`: the same document either way.
    """
    try:
        document = parsed(query, max_tokens)
    except GraphQLError:
        return None
    shorthand_keywords = {
        id(node.loc.start_token)
        for node in document.definitions
        if isinstance(node, OperationDefinitionNode)
        and node.operation is OperationType.QUERY
        and node.name is None
        and not node.variable_definitions
        and not node.directives
        and node.loc is not None
        and node.loc.start_token.kind is TokenKind.NAME
    }
    assert document.loc is not None  # parsed with locations
    spelled = []
    token = document.loc.start_token.next  # the first token after <SOF>
    while token is not None and token.kind is not TokenKind.EOF:
        if token.kind in _STRINGS:
            spelled.append(repr(token.value))  # (a value may hold a lone surrogate: no JSON encoder's)
        elif token.kind is not TokenKind.COMMENT and id(token) not in shorthand_keywords:
            spelled.append(token.value if token.value is not None else token.kind.value)
        token = token.next
    return " ".join(spelled)


_STRINGS = frozenset({TokenKind.STRING, TokenKind.BLOCK_STRING})


def etag_for(key: str) -> str:
    """A strong ETag: the key already holds the dataset version and the request."""
    return f'"{key.replace(":", "-")}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether If-None-Match names this ETag (weak comparison, as RFC 9110 asks for it)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))
