"""Custom scalars."""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

BigInt = NewType("BigInt", int)


def _whole_number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"BigInt takes a whole number, not {value!r}")
    return value


SCALARS: dict[object, ScalarDefinition] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="Whole US dollars. Sums exceed 32 bits; serialized as a JSON number.",
        serialize=int,
        parse_value=_whole_number,
    )
}
