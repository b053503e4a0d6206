"""Opaque cursors for keyset paging over (name, id)."""

from __future__ import annotations

import base64
import binascii

import orjson

from db.limits import MAX_INTEGER


class InvalidCursor(ValueError):
    """An `after` cursor that this API did not hand out."""


def encode_cursor(name: str, id_: int) -> str:
    """The cursor of a row ordered by (name, id)."""
    return base64.urlsafe_b64encode(orjson.dumps([name, id_])).decode("ascii")


def decode_cursor(cursor: str) -> tuple[str, int]:
    """The (name, id) a cursor points at; InvalidCursor when it is not one of ours."""
    try:
        name, id_ = orjson.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, TypeError, binascii.Error, UnicodeEncodeError) as error:
        raise InvalidCursor(cursor) from error
    if not isinstance(name, str) or not isinstance(id_, int) or isinstance(id_, bool):
        raise InvalidCursor(cursor)
    if "\x00" in name or not 0 <= id_ <= MAX_INTEGER:  # no stored row has these: a forged cursor
        raise InvalidCursor(cursor)
    return name, id_
