"""A least-recently-used map of response bodies, bounded by the bytes it holds, each entry with a lifetime.

It is the whole response cache of a process without Redis, and the layer in front of Redis
with it: keys carry the dataset version, so an entry is never stale, only old. It is used from
the event loop's thread only, so it takes no lock.
"""

from __future__ import annotations

import sys
import time
from collections import OrderedDict
from collections.abc import Callable

# What an entry costs beyond its key and body objects: its OrderedDict slot and link node, the
# (body, expiry) tuple and the float: 160-220 bytes by tracemalloc (tests/test_lru.py), rounded up.
ENTRY_OVERHEAD_BYTES = 256


class ByteLRU:
    """Bodies by key; the least recently used go first once `max_bytes` would be exceeded."""

    def __init__(self, max_bytes: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self.size_bytes = 0  # what the entries held now cost, by entry_cost()
        self._clock = clock
        self._entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> bytes | None:
        """The body, now the most recently used; None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def set(self, key: str, body: bytes) -> None:
        """Store a body for `ttl_seconds`; one larger than the whole bound is not stored."""
        cost = entry_cost(key, body)
        if key in self._entries:
            self._remove(key)
        if cost > self.max_bytes:
            return
        while self.size_bytes + cost > self.max_bytes:
            self._remove(next(iter(self._entries)))
        self._entries[key] = (body, self._clock() + self.ttl_seconds)
        self.size_bytes += cost

    def _remove(self, key: str) -> None:
        body, _ = self._entries.pop(key)
        self.size_bytes -= entry_cost(key, body)


def entry_cost(key: str, body: bytes) -> int:
    """Bytes one entry takes in memory: its key and body objects plus the map's own share."""
    return sys.getsizeof(key) + sys.getsizeof(body) + ENTRY_OVERHEAD_BYTES
