"""Run a request's GraphQL execution off the server's event loop, stopped at its deadline.

Executing a large answer is CPU work in long synchronous stretches (graphql-core completes a
list item by item), and an event loop running it serves nobody else meanwhile. So execution runs
on worker threads, each with an event loop of its own: the server's loop only waits for the
result, and keeps accepting, answering cache hits and health checks. Past the deadline the
request answers 503 REQUEST_TIMEOUT and its execution stops: the executor skips every field
from then on (schema.stopping), so it ends as soon as the database calls under way return.
(Cancelling its task instead would drop graphql-core's coroutines half-made.)

Threads share one interpreter lock, so a long execution would still slow every short one beside
it several times over. Executions therefore take turns: one that has run longer than
`SHORT_SECONDS` pauses, between two fields, while any younger one is running. A short request
beside a large one runs nearly as fast as alone; the large one waits (and, past its deadline,
stops) while short ones keep arriving.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from schema.errors import RequestTimedOut
from schema.stopping import TURN

T = TypeVar("T")


# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). A
# request passes between threads several times (server loop, execution, database), each time
# waiting its turn behind a busy execution thread: 1 ms turns keep that wait short.
SWITCH_INTERVAL_SECONDS = 0.001
SHORT_SECONDS = 0.02  # an execution running longer than this gives way to younger ones
FIELDS_BETWEEN_CLOCK_READS = 32  # how often a young execution looks at its age
PAUSE_CHECK_SECONDS = 0.01  # a paused execution looks at its deadline at least this often


class Turns:
    """Who runs: young executions (under SHORT_SECONDS) go first, old ones wait for them."""

    def __init__(self) -> None:
        self._young = 0
        self._changed = threading.Condition()

    def enter(self, turn: ExecutionTurn) -> None:
        """`turn` starts running (on its thread: one still queued must not hold others back)."""
        with self._changed:
            self._young += 1
            turn.young = True
            turn.born = time.monotonic()

    def grow_old(self, turn: ExecutionTurn) -> None:
        """`turn` is young no more (it ran past SHORT_SECONDS, or ended)."""
        with self._changed:
            if turn.young:
                turn.young = False
                self._young -= 1
                if self._young == 0:
                    self._changed.notify_all()

    def wait_for_young(self, turn: ExecutionTurn) -> None:
        """Block an old execution while any young one runs, or until it must stop."""
        with self._changed:
            while self._young and not turn.stopped:
                self._changed.wait(PAUSE_CHECK_SECONDS)


class ExecutionTurn:
    """One execution's turn: stopped at the deadline, paused for younger executions once old."""

    __slots__ = ("_turns", "_countdown", "born", "young", "stopped")

    def __init__(self, turns: Turns) -> None:
        self._turns = turns
        self.born = 0.0
        self._countdown = FIELDS_BETWEEN_CLOCK_READS
        self.young = False
        self.stopped = False

    def go_on(self) -> bool:
        if self.young:
            self._countdown -= 1
            if self._countdown <= 0:
                self._countdown = FIELDS_BETWEEN_CLOCK_READS
                if time.monotonic() - self.born > SHORT_SECONDS:
                    self._turns.grow_old(self)
        elif not self.stopped:
            self._turns.wait_for_young(self)
        return not self.stopped


_startup_frozen = False
# Allocations between two young collections (Python's default: 700). A request makes thousands of
# objects, most freed by their reference counts as it ends; collected every 700, the objects of
# the requests under way are found alive and moved to older generations, which then fill and are
# walked whole (tens of ms each, cached documents included). Every 100,000, young collections are
# rare and find little alive: 15-20% more uncached requests a second at 32 connections.
YOUNG_COLLECTION_ALLOCATIONS = 100_000


def freeze_startup_objects() -> None:
    """Leave what startup built (modules, the schema, settings) out of every later garbage collection.

    A large answer makes garbage by the million, and each full collection it triggers walks every
    tracked object in the process while holding the interpreter lock: every other request waits.
    Frozen, the server's own few hundred thousand objects are no longer walked, and a pause costs
    only what the requests under way have made. Young collections are made rarer too
    (YOUNG_COLLECTION_ALLOCATIONS). Once per process: a process that starts several apps (the
    tests) would otherwise keep every earlier app's objects frozen, never collected.
    """
    global _startup_frozen
    if _startup_frozen:
        return
    _startup_frozen = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_ALLOCATIONS, *gc.get_threshold()[1:])


def timed_out(timeout_seconds: float) -> RequestTimedOut:
    """The error of a request stopped at its deadline."""
    return RequestTimedOut(
        f"The request took longer than {timeout_seconds:g} s (REQUEST_TIMEOUT_SECONDS) and was stopped; "
        "ask for less, or try again later."
    )


class OffLoopRunner:
    """Worker threads with an event loop each, running one request's coroutine at a time."""

    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="graphql")
        self._turns = Turns()
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_SECONDS))

    async def run(self, make: Callable[[], Awaitable[T]], timeout_seconds: float) -> T:
        """The result of `make()`, run on a worker loop; RequestTimedOut past `timeout_seconds`."""
        turn = ExecutionTurn(self._turns)
        future = self._executor.submit(self._in_thread, make, turn)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout_seconds)
        except TimeoutError:
            turn.stopped = True
            raise timed_out(timeout_seconds) from None
        except asyncio.CancelledError:  # the client went away, or the server is stopping
            turn.stopped = True
            raise

    def _in_thread(self, make: Callable[[], Awaitable[T]], turn: ExecutionTurn) -> T:
        if turn.stopped:  # timed out while queued
            raise asyncio.CancelledError
        # A loop per request (~0.1 ms): nothing of one request can outlive it on a shared loop.
        loop = asyncio.new_event_loop()
        self._turns.enter(turn)
        try:
            return loop.run_until_complete(self._with_turn(make, turn))
        finally:
            self._turns.grow_old(turn)
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.close()

    @staticmethod
    async def _with_turn(make: Callable[[], Awaitable[T]], turn: ExecutionTurn) -> T:
        TURN.set(turn)  # this task's context: every task the execution starts inherits it
        return await make()

    def close(self) -> None:
        """Stop taking work; threads end once their request does (each is bounded by its deadline)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
