"""The one warning the test configuration ignores is graphql-core's, and it still happens.

graphql-core 3.3 can drop the never-started coroutines of a list's items when a sibling field's
error cancels the operation at the wrong moment; their finalizers then warn "coroutine ... was
never awaited". pyproject.toml ignores exactly those names. This test reproduces the warning in
plain Strawberry (none of this project's code), so that the ignore is dropped once graphql-core
no longer needs it, and it checks that the ignore matches every name the warning gives.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCENARIO = textwrap.dedent(
    """
    import asyncio, gc, sys, warnings

    import strawberry

    warnings.simplefilter("error")
    messages = set()
    sys.unraisablehook = lambda unraisable: messages.add(str(unraisable.exc_value))
    delays = {"items": 0, "failing": 0}

    @strawberry.type
    class Item:
        n: int

        @strawberry.field
        async def double(self) -> int:
            return 2 * self.n

    @strawberry.type
    class Query:
        @strawberry.field
        async def items(self) -> list[Item]:
            for _ in range(delays["items"]):
                await asyncio.sleep(0)
            return [Item(n=n) for n in range(3)]

        @strawberry.field
        async def failing(self) -> int:
            for _ in range(delays["failing"]):
                await asyncio.sleep(0)
            raise ValueError("a resolver's error")

    schema = strawberry.Schema(Query)
    for items_delay in range(4):
        for failing_delay in range(4):
            delays.update(items=items_delay, failing=failing_delay)
            result = asyncio.run(schema.execute("{ items { double } failing }"))
            assert result.data is None and len(result.errors) == 1
            gc.collect()
    for message in sorted(messages):
        print(message)
    """
)


def _ignored_pattern() -> str:
    filters = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["filterwarnings"]
    [ignore] = [entry for entry in filters if "was never awaited" in entry]
    action, message, category = ignore.split(":")
    assert (action, category) == ("ignore", "RuntimeWarning")
    return message


def test_graphql_core_still_drops_coroutines_and_the_ignore_names_each_of_them() -> None:
    finished = subprocess.run(
        [sys.executable, "-c", SCENARIO], capture_output=True, text=True, timeout=120, cwd=ROOT, check=True
    )
    messages = finished.stdout.splitlines()
    assert messages, "graphql-core no longer drops coroutines: remove the ignore from pyproject.toml"
    pattern = _ignored_pattern()
    for message in messages:
        assert re.match(pattern, message), message
    assert not re.match(pattern, "coroutine 'Database.fetch' was never awaited")  # ours still fail tests
