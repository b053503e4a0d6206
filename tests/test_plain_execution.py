"""Plain selections completed by compiled plans give graphql-core's answers and errors, byte for byte."""

from __future__ import annotations

import asyncio

import orjson
import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.plain_execution import PlainSelectionExecutionContext
from schema.scalars import SCALARS, BigInt


@strawberry.type
class Inner:
    name: str
    score: float | None


@strawberry.type
class Item:
    id: int
    label: str | None
    inner: Inner
    tags: list[str]
    whole: BigInt | None = None  # a custom scalar serialized by int()

    @strawberry.field
    def doubled(self) -> int:
        return self.id * 2

    @strawberry.field
    async def later(self) -> str:
        return f"later {self.id}"


def _items() -> list[Item]:
    return [
        Item(
            id=n,
            label=None if n % 2 else f"item {n}",
            inner=Inner(name=f"in {n}", score=n / 3),
            tags=["a", str(n)],
            whole=[2**40, None, True, 7, "8"][n],  # True and "8": int() makes them 1 and 8, as graphql-core does
        )
        for n in range(5)
    ]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return _items()

    @strawberry.field
    def broken(self) -> list[Item]:
        items = _items()
        items[3].inner = None  # type: ignore[assignment]  # a null where the schema promises a value
        return items

    @strawberry.field
    def huge(self) -> list[Item]:
        items = _items()
        items[2].id = 2**40  # Int cannot represent it: a field error
        return items


QUERIES = [
    "{ items { id label inner { name score } tags doubled } }",
    "{ items { id whole } }",
    "{ items { __typename b: id ...F inner { ... on Inner { name } } } } fragment F on Item { label id }",
    "{ items { id later inner { name } } }",
    "query ($s: Boolean!) { items { id label @skip(if: $s) inner @include(if: $s) { name } } }",
    "{ broken { id inner { name } } }",
    "{ huge { id doubled } }",
]


def _answer(execution_context_class: type | None, query: str) -> bytes:
    config = StrawberryConfig(scalar_map=SCALARS)
    schema = strawberry.Schema(query=Query, execution_context_class=execution_context_class, config=config)
    result = asyncio.run(schema.execute(query, variable_values={"s": True}))
    errors = [error.formatted for error in result.errors or []]
    return orjson.dumps({"data": result.data, "errors": errors})


@pytest.mark.parametrize("query", QUERIES)
def test_plain_plans_answer_exactly_as_graphql_core(query: str) -> None:
    assert _answer(PlainSelectionExecutionContext, query) == _answer(None, query)


def test_errors_are_reported_at_their_path() -> None:
    answer = orjson.loads(_answer(PlainSelectionExecutionContext, "{ broken { id inner { name } } }"))
    assert answer["data"] is None and answer["errors"][0]["path"] == ["broken", 3, "inner"]
