"""Opaque cursors for keyset paging: a kind and the sort key of the last row handed out."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence

import orjson

from resolvers.paging import InvalidCursor

Scalar = str | int | float | None


def listing(*parts: object) -> str:
    """A short digest of what a listing is (its filters, order, span), which its cursors carry, so
    that another listing refuses them."""
    return hashlib.blake2s(repr(parts).encode(), digest_size=6).hexdigest()


def encode(kind: str, *key: Scalar) -> str:
    """The cursor of a row whose sort key is `key`, in a listing of `kind`."""
    return base64.urlsafe_b64encode(orjson.dumps([kind, *key])).decode("ascii")


def decode(cursor: str, kind: str, types: Sequence[tuple[type, ...]]) -> list[Scalar]:
    """The key a cursor of `kind` holds, each part of one of `types`; InvalidCursor when it is not one."""
    try:
        parts = orjson.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError) as error:
        raise InvalidCursor(cursor) from error
    if not isinstance(parts, list) or len(parts) != len(types) + 1 or parts[0] != kind:
        raise InvalidCursor(cursor)
    key = parts[1:]
    for value, allowed in zip(key, types, strict=True):
        if isinstance(value, bool) or not isinstance(value, allowed):
            raise InvalidCursor(cursor)
    return key
