"""The response cache as GET /graphql sees it: one owner for looking answers up and naming them.

A GET's answer is cached under its raw request (version + query string) and validated by an
ETag derived from that key. The fast path (app.fast_path) asks here before routing; when it
finds nothing, it notes the version it looked on in the request's scope, and the view
(app.graphql_view) answers the miss on that same version instead of looking again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from starlette.types import Scope

from app.http_cache import ResponseCache, etag_for, etag_matches, raw_key
from app.pinning import DATASET_VERSION_HEADER, IMMUTABLE, pinned_location, unpinned_cache_control

JSON = "application/json"
CACHE_HEADER = "x-cache"  # hit | miss | bypass: read by the access log
_MISSED_VERSION = "cached_gets.missed_version"  # scope["state"] key: the version a lookup found nothing on


class LiveVersion(Protocol):
    """What is known of the live version without a database read."""

    @property
    def known(self) -> bool: ...

    def current(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """A GET answered from the cache: 200 with the stored body, or 304."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def media_type(self) -> str | None:
        """JSON for a body, nothing for a 304."""
        return JSON if self.status == 200 else None


class CachedGets:
    """Looks GET answers up in the response cache and gives every GET answer its validators."""

    def __init__(self, cache: ResponseCache, live: LiveVersion, http_max_age_seconds: int) -> None:
        self.cache, self.live = cache, live
        self.public = unpinned_cache_control(http_max_age_seconds)

    def live_version(self) -> int | None:
        """The live version this process has learned, or None while it has not (no I/O)."""
        return self.live.current() if self.live.known else None

    async def answer(
        self, version_id: int, query_string: bytes, if_none_match: str | None, pinned: bool = False
    ) -> CachedAnswer | None:
        """The answer to a GET on `version_id` when the cache holds it (or 304), else None."""
        key = raw_key(version_id, query_string)
        etag = etag_for(key)
        if etag_matches(if_none_match, etag):
            return CachedAnswer(304, self.validators(etag, "hit", version_id, query_string, pinned), b"")
        if (body := await self.cache.get(key)) is not None:
            return CachedAnswer(200, self.validators(etag, "hit", version_id, query_string, pinned), body)
        return None

    def validators(self, etag: str, outcome: str, version_id: int, query_string: bytes, pinned: bool) -> dict[str, str]:
        """Pinned answers never change; unpinned ones name the version and its pinned URL."""
        headers = {"etag": etag, CACHE_HEADER: outcome, DATASET_VERSION_HEADER: str(version_id)}
        if pinned:
            headers["cache-control"] = IMMUTABLE
        else:
            headers["cache-control"] = self.public
            headers["content-location"] = pinned_location(query_string, version_id)
        return headers

    @staticmethod
    def note_miss(scope: Scope, version_id: int) -> None:
        """Remember in the request that the cache had nothing for it on `version_id`."""
        scope.setdefault("state", {})[_MISSED_VERSION] = version_id

    @staticmethod
    def missed_version(scope: Scope) -> int | None:
        """The version a lookup of this request found nothing on, if one was made."""
        missed: int | None = scope.get("state", {}).get(_MISSED_VERSION)
        return missed
