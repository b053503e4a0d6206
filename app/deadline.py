"""Run a request's GraphQL execution off the server's event loop, stopped at its deadline.

Executing a large answer is CPU work in long synchronous stretches (graphql-core completes a
list item by item), and an event loop running it serves nobody else meanwhile. So execution runs
on worker threads, each with an event loop of its own: the server's loop only waits for the
result, and keeps accepting, answering cache hits and health checks. Past the deadline the
request answers 503 REQUEST_TIMEOUT and its execution stops: the executor skips every field
from then on (schema.stopping), so it ends as soon as the database calls under way return.
(Cancelling its task instead would drop graphql-core's coroutines half-made.)
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from schema.errors import RequestTimedOut
from schema.stopping import STOP

T = TypeVar("T")


# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). A
# request passes between threads several times (server loop, execution, database), each time
# waiting its turn behind a busy execution thread: 1 ms turns keep that wait short.
SWITCH_INTERVAL_SECONDS = 0.001


class OffLoopRunner:
    """Worker threads with an event loop each, running one request's coroutine at a time."""

    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="graphql")
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_SECONDS))

    async def run(self, make: Callable[[], Awaitable[T]], timeout_seconds: float) -> T:
        """The result of `make()`, run on a worker loop; RequestTimedOut past `timeout_seconds`."""
        stop = threading.Event()
        future = self._executor.submit(self._in_thread, make, stop)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout_seconds)
        except TimeoutError:
            stop.set()
            raise RequestTimedOut(
                f"The request took longer than {timeout_seconds:g} s (REQUEST_TIMEOUT_SECONDS) and was stopped; "
                "ask for less, or try again later."
            ) from None
        except asyncio.CancelledError:  # the client went away, or the server is stopping
            stop.set()
            raise

    def _in_thread(self, make: Callable[[], Awaitable[T]], stop: threading.Event) -> T:
        if stop.is_set():  # timed out while queued
            raise asyncio.CancelledError
        # A loop per request (~0.1 ms): nothing of one request can outlive it on a shared loop.
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(self._stoppable(make, stop))
        finally:
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.close()

    @staticmethod
    async def _stoppable(make: Callable[[], Awaitable[T]], stop: threading.Event) -> T:
        STOP.set(stop)  # this task's context: every task the execution starts inherits it
        return await make()

    def close(self) -> None:
        """Stop taking work; threads end once their request does (each is bounded by its deadline)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
