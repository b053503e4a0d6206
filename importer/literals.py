"""Safe parsing of the `genres` / `production_companies` Python literals (data rules 8 and 22).

`ast.literal_eval` is safe but costs about two thirds of a naive import. Nearly every value in
the real file has one of two exact shapes, which a regular expression reads ten times faster;
anything else (escapes, other key orders, junk) falls back to `ast.literal_eval`. Never `eval`.

Rule 22 bounds what a hostile value can cost: an id past the Integer column's range or a name
longer than MAX_NAME_CHARS skips its entry (`oversized`), and a value nested deeper than the
real file's list of flat dicts is unparsable before literal_eval ever builds its tree.
"""

from __future__ import annotations

import ast
import functools
import re

from db.limits import MAX_INTEGER  # ids live in Integer columns

# The two shapes: `{'id': 16, 'name': 'Animation'}` and `{'name': "Miramax's", 'id': 14}`.
# A name is taken verbatim only from a literal without backslashes, so the text between the
# quotes is exactly its value (repr() quotes with " when the name holds a '). Anything the
# regex accepts, ast.literal_eval reads the same way (so its digits are ASCII: int() reads `١٣`,
# a Python literal cannot hold it); tests/test_literals.py checks that.
# Ids of more than ten digits, past any Integer column, are left to literal_eval: int() of a
# 10^5-digit id would raise (Python caps int parsing at 4,300 digits) after quadratic work.
_ENTRY = re.compile(
    r"""\{'id': (?P<id1>0|[1-9][0-9]{0,9}), 'name': (?:'(?P<a1>[^'\\\n\r]*)'|"(?P<b1>[^"\\\n\r]*)")\}"""
    r"""|\{'name': (?:'(?P<a2>[^'\\\n\r]*)'|"(?P<b2>[^"\\\n\r]*)"), 'id': (?P<id2>0|[1-9][0-9]{0,9})\}"""
)
_LIST = re.compile(r"\[(?:(?:" + _ENTRY.pattern + r")(?:, (?=\{)|(?=\])))*\]")


MAX_NAME_CHARS = 1_000  # a genre or company name past it skips its entry (rule 22)

# What the slow path accepts before literal_eval builds a tree: once every string literal is
# blanked out, a list whose items hold no bracket, brace or parenthesis but the braces of flat
# dicts. So a value nested deeper than the real file's `[{'id': 1, 'name': 'x'}]` is refused
# at the cost of two regular expressions, where literal_eval spent up to a second and 400 MB on
# a 1 MiB value (data rule 22).
_STRING = re.compile(r"'(?:[^'\\\n]|\\.)*'" r'|"(?:[^"\\\n]|\\.)*"', re.DOTALL)
_FLAT = r"[^\[\](){}]*"
_SHALLOW_LIST = re.compile(rf"\s*\[{_FLAT}(?:\{{{_FLAT}\}}{_FLAT})*\]\s*")


class UnparsableLiteral(ValueError):
    """The value is not a Python list of dicts."""


# A list literal's (id, name) pairs kept by rule 8, and whether rule 22 skipped an entry (an id
# past the Integer range or a name past MAX_NAME_CHARS). A plain tuple: a NamedTuple's Python-level
# constructor cost a few percent of cleaning.
Entities = tuple[tuple[tuple[int, str], ...], bool]


# Small on purpose: genre lists and the big studios' lists recur and stay cached; the long tail
# of company lists would fill a large cache (tens of MB in each worker process) for no speed.
@functools.lru_cache(maxsize=1 << 12)
def parse_entities(value: str) -> Entities:
    """Return the (id, name) pairs of a list literal, keeping rule 8's valid entries only.

    Entries without a positive integer id, or without a non-empty name, are skipped; so are
    those whose id is past the Integer range or whose name is longer than MAX_NAME_CHARS, which
    `oversized` reports (rule 22). An id given twice counts once (its last name wins). An empty
    value is an empty list. Cached: the same genre and company lists recur across thousands of records.
    """
    value = value.strip()
    if not value:
        return (), False
    if _LIST.fullmatch(value):
        # findall gives (id1, a1, b1, a2, b2, id2) per entry; exactly one id and one name are set.
        raw = [(int(i1 or i2), a1 or b1 or a2 or b2) for i1, a1, b1, a2, b2, i2 in _ENTRY.findall(value)]
    else:
        raw = _parse_slow(value)
    by_id: dict[int, str] = {}
    oversized = False
    for entity_id, name in raw:
        if 0 < entity_id <= MAX_INTEGER and name.strip() and len(name) <= MAX_NAME_CHARS:
            by_id.pop(entity_id, None)  # re-insert so order follows the last mention
            by_id[entity_id] = name
        elif entity_id > MAX_INTEGER or len(name) > MAX_NAME_CHARS:
            oversized = True
    return tuple(by_id.items()), oversized


def _parse_slow(value: str) -> list[tuple[int, str]]:
    if not _SHALLOW_LIST.fullmatch(_STRING.sub("''", value)):
        raise UnparsableLiteral("not a list of flat dicts (nested deeper than a genres or companies list)")
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
        raise UnparsableLiteral(str(error)) from None
    if not isinstance(parsed, list):
        raise UnparsableLiteral(f"expected a list, found {type(parsed).__name__}")
    entries: list[tuple[int, str]] = []
    for item in parsed:
        if not isinstance(item, dict):
            continue
        entity_id, name = item.get("id"), item.get("name")
        # bool is an int subclass; True is not an id.
        if isinstance(entity_id, int) and not isinstance(entity_id, bool) and isinstance(name, str):
            # An escaped NUL (`\x00`) decodes to a character PostgreSQL text cannot hold.
            entries.append((entity_id, name.replace("\x00", "")))
    return entries
