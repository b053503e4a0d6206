"""Run a request's GraphQL execution off the server's event loop, stopped at its deadline.

Executing a large answer is CPU work in long synchronous stretches (graphql-core completes a
list item by item), and an event loop running it serves nobody else meanwhile. So execution runs
on worker threads, each with an event loop of its own: the server's loop only waits for the
result, and keeps accepting, answering cache hits and health checks. Past the deadline the
request answers 503 REQUEST_TIMEOUT and its execution task is cancelled on its own loop, so
its work stops at its next await (the query cost limit bounds the stretch before it).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from schema.errors import RequestTimedOut

T = TypeVar("T")


class _Cancel:
    """Lets the server's loop cancel a task running on a worker thread's loop, before or after it starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._task: asyncio.Task[object] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.requested = False

    def bind(self, task: asyncio.Task[object]) -> None:
        with self._lock:
            self._task, self._loop = task, task.get_loop()
            if self.requested:
                task.cancel()

    def cancel(self) -> None:
        with self._lock:
            self.requested = True
            if self._task is not None and self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._task.cancel)


class OffLoopRunner:
    """Worker threads with an event loop each, running one request's coroutine at a time."""

    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="graphql")

    async def run(self, make: Callable[[], Awaitable[T]], timeout_seconds: float) -> T:
        """The result of `make()`, run on a worker loop; RequestTimedOut past `timeout_seconds`."""
        cancel = _Cancel()
        future = self._executor.submit(self._in_thread, make, cancel)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout_seconds)
        except TimeoutError:
            cancel.cancel()
            raise RequestTimedOut(
                f"The request took longer than {timeout_seconds:g} s (REQUEST_TIMEOUT_SECONDS) and was stopped; "
                "ask for less, or try again later."
            ) from None
        except asyncio.CancelledError:  # the client went away, or the server is stopping
            cancel.cancel()
            raise

    def _in_thread(self, make: Callable[[], Awaitable[T]], cancel: _Cancel) -> T:
        if cancel.requested:  # timed out while queued
            raise asyncio.CancelledError
        # A loop per request (~0.1 ms): nothing of one request can outlive it on a shared loop.
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(self._bound(make, cancel))
        finally:
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.close()

    @staticmethod
    async def _bound(make: Callable[[], Awaitable[T]], cancel: _Cancel) -> T:
        task = asyncio.current_task()
        assert task is not None  # Runner.run runs us as a task
        cancel.bind(task)
        return await make()

    def close(self) -> None:
        """Stop taking work; threads end once their request does (each is bounded by its deadline)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
