"""Stage 2, pure: one raw record in, a clean movie or a reasoned rejection out (rules 1-8, 21-22)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from db.fields import DERIVED_FIELDS, LINK_FIELDS, MOVIE_COLUMNS, READ_FIELDS
from db.limits import MAX_INTEGER  # ids and counts live in Integer columns
from importer.literals import UnparsableLiteral, parse_entities
from importer.read import MAX_RECORD_BYTES, Header, RawRecord

# Rule 21: beyond these a value is junk (the real file's largest revenue is 2.8e9, its largest
# popularity about 550). Within them a money sum outgrows a 64-bit integer only past 9 million
# movies all at the bound (the real file has 45,466), and a popularity sum never outgrows a double.
MAX_AMOUNT = 10**12
MAX_POPULARITY = 1e6
_MAX_AMOUNT_DIGITS = len(str(MAX_AMOUNT))
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(slots=True)
class CleanMovie:
    """A record that passed rules 1-2, with every field typed."""

    line: int
    values: tuple[object, ...]  # in MOVIE_COLUMNS order; None means unknown
    links: tuple[tuple[tuple[int, str], ...], ...]  # each of LINK_FIELDS' (id, name) pairs (rule 8)
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, column: str) -> object:
        return self.values[MOVIE_COLUMNS.index(column)]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that is not loaded, and why (rule 3)."""

    line: int
    reason: str


def clean_record(header: Header, record: RawRecord) -> CleanMovie | Rejection:
    """Apply data rules 1-8 to one record."""
    fields = record.fields
    if len(fields) != header.width:  # rule 1
        return Rejection(record.line, f"has {len(fields)} fields, the header has {header.width}")
    raw = header.pick(fields if header.complete else [*fields, ""])
    movie_id = parse_id(raw[_ID])
    if movie_id is None:  # rule 2
        return id_rejection(record.line, raw[_ID])
    warnings: list[str] = []
    values = {field.name: RULES[field.rule](value, field.name, warnings) for field, value in zip(READ_FIELDS, raw)}
    for derived in DERIVED_FIELDS:
        values[derived.name] = DERIVED_RULES[derived.rule](values)
    links = tuple(parse_list(value, link.header, warnings) for link, value in zip(LINK_FIELDS, raw[_LINKS:]))
    return CleanMovie(record.line, tuple(values[name] for name in MOVIE_COLUMNS), links, warnings)


# Rule 22: the reader refuses such a record (importer.read.read_records, bounded_lines).
TOO_LONG = f"longer than 1 MiB ({MAX_RECORD_BYTES:,} characters)"


def parse_id(value: str) -> int | None:
    """Rule 2: a positive integer (after trimming) that fits an Integer column, else None."""
    value = value.strip()
    if len(value) > 10 or not (value.isdigit() and value.isascii()) or not 0 < int(value) <= MAX_INTEGER:
        return None
    return int(value)


def id_rejection(line: int, raw_id: str) -> Rejection:
    """Rules 2-3: the report of a record refused for its id."""
    return Rejection(line, f"id {raw_id.strip()!r} is not a positive integer")


def parse_amount(value: str, column: str, warnings: list[str]) -> int | None:
    """Rule 5: whole dollars; zero, negative, empty or unparsable is unknown. Rule 21: so is one above MAX_AMOUNT."""
    value = value.strip()
    if not value:
        return None
    whole, _point, fraction = value.partition(".")
    if whole.isdigit() and whole.isascii() and len(whole) <= _MAX_AMOUNT_DIGITS and not fraction.strip("0"):
        amount = int(whole)  # `373554033.0`, the usual revenue
    else:
        try:
            number = Decimal(value)
        except InvalidOperation:
            warnings.append(f"unparsable_{column}")
            return None
        if not number.is_finite():
            warnings.append(f"unparsable_{column}")
            return None
        if number <= 0:  # unknown (rule 5), and never a million-digit int(): `-1e999999`
            return None
        if number >= MAX_AMOUNT + 1:  # compared before int() for the same reason
            warnings.append(f"implausible_{column}")
            return None
        amount = int(number.to_integral_value(rounding=ROUND_HALF_UP))
    if amount > MAX_AMOUNT:
        warnings.append(f"implausible_{column}")
        return None
    return amount if amount > 0 else None


def parse_popularity(value: str, warnings: list[str]) -> float | None:
    """Rule 6: a non-negative finite float, else unknown. Rule 21: so is one above MAX_POPULARITY."""
    number = parse_float(value)
    if number is None or number < 0:
        if value.strip():
            warnings.append("invalid_popularity")
        return None
    if number > MAX_POPULARITY:
        warnings.append("implausible_popularity")
        return None
    return number


def parse_date(value: str, warnings: list[str]) -> str | None:
    """Rule 7: an ISO `YYYY-MM-DD` date, else unknown."""
    value = value.strip()
    if not value:
        return None
    if _ISO_DATE.fullmatch(value):
        try:
            date.fromisoformat(value)  # a day of the calendar: not 2001-02-30
        except ValueError:
            pass
        else:
            return value
    warnings.append("invalid_release_date")
    return None


def parse_list(value: str, column: str, warnings: list[str]) -> tuple[tuple[int, str], ...]:
    """Rule 8: a list literal of {id, name}; unparsable means empty, with a warning. Rule 22: oversized entries warn."""
    try:
        entities, oversized = parse_entities(value)
    except UnparsableLiteral:
        warnings.append(f"unparsable_{column}")
        return ()
    if oversized:
        warnings.append(f"oversized_{column}")
    return entities


def parse_text(value: str) -> str | None:
    """An optional text column: trimmed, and unknown when empty."""
    return value.strip() or None


def parse_float(value: str) -> float | None:
    """An optional number column: a finite float, else unknown."""
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_whole(value: str) -> int | None:
    """`373554033.0` and `373554033` are the same count."""
    number = parse_float(value)
    return None if number is None or number != int(number) or not 0 <= number <= MAX_INTEGER else int(number)


def parse_bool(value: str) -> bool | None:
    """`adult`: True or False in any case, else unknown."""
    lowered = value.strip().lower()
    return True if lowered == "true" else False if lowered == "false" else None


Rule = Callable[[str, str, list[str]], object]  # a raw value, its column, the warnings it adds to -> the clean value

# How each kind of movie column of db.fields is cleaned.
RULES: dict[str, Rule] = {
    "id": lambda value, _column, _warnings: parse_id(value),
    "as_is": lambda value, _column, _warnings: value,
    "text": lambda value, _column, _warnings: parse_text(value),
    "date": lambda value, _column, warnings: parse_date(value, warnings),
    "amount": parse_amount,
    "popularity": lambda value, _column, warnings: parse_popularity(value, warnings),
    "float": lambda value, _column, _warnings: parse_float(value),
    "whole": lambda value, _column, _warnings: parse_whole(value),
    "bool": lambda value, _column, _warnings: parse_bool(value),
}
# A column derived from the others' clean values.
DERIVED_RULES: dict[str, Callable[[dict[str, Any]], object]] = {
    "year_of_release_date": lambda values: int(values["release_date"][:4]) if values["release_date"] else None,
}
_ID = next(position for position, field in enumerate(READ_FIELDS) if field.rule == "id")  # rule 2 comes first
_LINKS = len(READ_FIELDS)  # the list columns follow the movie columns in a picked record
