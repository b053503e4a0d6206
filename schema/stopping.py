"""Let whoever runs an execution stop it, or hold it back, between two fields.

Cancelling the execution's asyncio task only takes effect at its next await, and completing a
long list is one synchronous stretch. So graphql-core's executor asks the execution's turn
before each field (a context variable read and a method call: ~2% of a field's cost) whether to
go on: the turn may pause the thread first (another request should run) and says to stop once
the request's deadline has passed, after which every remaining field is skipped at once.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Protocol

from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class Turn(Protocol):
    """An execution's say in when it runs."""

    def go_on(self) -> bool:
        """False once the execution must stop; may first block while other work runs."""
        ...


# Set by whoever runs the execution; tasks the execution starts inherit it.
TURN: ContextVar[Turn | None] = ContextVar("graphql_turn", default=None)


class StoppableExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, asking its turn before each field and skipping the rest once stopped."""

    def execute_field(self, *args: Any, **kwargs: Any) -> Any:
        turn = TURN.get()
        if turn is not None and not turn.go_on():
            # Undefined: graphql-core leaves the field out, with no error, await or exception to
            # settle. The partial result is never read: the request has already answered 503.
            return Undefined
        return super().execute_field(*args, **kwargs)
