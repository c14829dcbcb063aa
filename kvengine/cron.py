"""One background scheduler for every engine of the process (Redis's serverCron, shared).

Each engine used to start its own thread waking ``hz`` times a second, and each disk
backend another one: a test suite with a thousand engines alive had two thousand
threads fighting for the GIL.  Here one daemon thread serves every periodic task of
the process (the active expiry cycle and the rest of ``Server.cron``, the persistence
cron and the ``everysec`` fsync).  It is started on first use, sleeps on a condition
until the next task is due (a heap of due times, not a fixed tick), and exits when it
has had nothing to do for a while; the next task starts it again.

Why a thread and not timers run from command calls (Redis's ``beforeSleep``): keys
with a TTL must expire, and the log must reach the OS, while the program makes no
call at all (a cache between requests, an ``appendfsync everysec`` log), and a
command-driven timer would put that work on a caller's latency.

What keeps engines at rest free:

* tasks hold their owner by weak reference, so an engine dropped without ``close()``
  is collected (its task dies with it, nothing is joined);
* an engine's cron task *parks* when a tick finds nothing to do (no key with a TTL, no
  eviction in progress): it leaves the heap, and the engine's next write re-arms it
  (``Server.cron_wake``, one attribute test on the write path);
* cancelling is O(1): a cancelled task is dropped when it reaches the top of the heap.

Fork: the thread does not exist in a child.  ``os.register_at_fork`` gives the child a
fresh lock and an empty heap; engine tasks are parked (the child's first write re-arms
them on a thread the child starts), persistence tasks are dropped (the child must not
write the parent's files).  At interpreter exit the thread is stopped before modules
are torn down.
"""

from __future__ import annotations

import atexit
import contextlib
import heapq
import itertools
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger("kvengine")

IDLE_EXIT_S = 5.0
"""The thread exits after this long with no task scheduled (restarted on demand)."""

_local = threading.local()


@contextlib.contextmanager
def no_wait() -> Iterator[None]:
    """Within this block, :meth:`Task.cancel` never waits for a running tick (finalizers:
    an engine collected without close() must not block the thread collecting it)."""
    _local.no_wait = True
    try:
        yield
    finally:
        _local.no_wait = False


class Task:
    """A periodic job: ``fn(owner)`` returns the delay to its next run in seconds, or
    None to park (leave the schedule until :meth:`Scheduler.schedule` is called again).

    `on_fork` "park" keeps the task parked in a forked child (its owner re-arms it);
    "drop" cancels it there for good.
    """

    __slots__ = ("ref", "fn", "name", "cancelled", "queued", "running", "on_fork", "__weakref__")

    def __init__(self, owner: Any, fn: Callable[[Any], float | None], name: str = "",
                 on_fork: str = "park") -> None:
        self.ref = weakref.ref(owner)
        self.fn = fn
        self.name = name
        self.cancelled = False
        self.queued = False  # in the heap (due to run)
        self.running = threading.Lock()  # held while a tick runs
        self.on_fork = on_fork

    def cancel(self, wait: bool = True, timeout: float = 5.0) -> None:
        """Never run again.  With `wait`, return after a tick in progress (on another
        thread) has finished, so the owner can tear down what the tick uses."""
        self.cancelled = True
        if not wait or getattr(_local, "no_wait", False) or SCHEDULER.in_thread():
            return
        if self.running.acquire(timeout=timeout):
            self.running.release()

    def run(self) -> float | None:
        """One tick (on the scheduler thread); the delay to the next one or None."""
        owner = self.ref()
        if owner is None:
            self.cancelled = True
            return None
        with self.running:
            if self.cancelled:
                return None
            return self.fn(owner)


class Scheduler:
    """The process's one background thread and its heap of (due time, seq, task)."""

    def __init__(self) -> None:
        self._reset()
        self._stopped = False

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Task]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._current: Task | None = None  # the task whose tick is running

    def in_thread(self) -> bool:
        """True on the scheduler's own thread."""
        return self._thread is not None and self._thread is threading.current_thread()

    def schedule(self, task: Task, delay: float) -> None:
        """Run `task` in `delay` seconds (starts the thread if needed).  A task already
        due keeps its earlier time."""
        if task.cancelled or self._stopped:
            return
        with self._cond:
            if task.queued:
                return
            task.queued = True
            due = time.monotonic() + max(0.0, delay)
            heapq.heappush(self._heap, (due, next(self._seq), task))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="kvengine-cron", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is task:
                self._cond.notify()

    def pending(self) -> int:
        """Tasks in the heap (cancelled ones included until they surface)."""
        return len(self._heap)

    def thread(self) -> threading.Thread | None:
        """The running thread, if any (tests and diagnostics)."""
        return self._thread

    def _next(self) -> Task | None:
        """Wait for the next due task; None when the thread should exit."""
        cond = self._cond
        with cond:
            idle_since: float | None = None
            while True:
                if self._stopped or self._thread is not threading.current_thread():
                    return None
                heap = self._heap
                while heap and heap[0][2].cancelled:
                    heapq.heappop(heap)[2].queued = False
                now = time.monotonic()
                if not heap:
                    if idle_since is None:
                        idle_since = now
                    elif now - idle_since >= IDLE_EXIT_S:
                        self._thread = None
                        return None
                    cond.wait(IDLE_EXIT_S)
                    continue
                idle_since = None
                due = heap[0][0]
                if due <= now:
                    task = heapq.heappop(heap)[2]
                    task.queued = False
                    return task
                cond.wait(due - now)

    def _loop(self) -> None:
        while True:
            task = self._next()
            if task is None:
                return
            self._current = task
            try:
                delay = task.run()
            except Exception:  # pragma: no cover - a tick must never kill the thread
                log.exception("kvengine background task %s failed", task.name)
                delay = 1.0
            self._current = None
            if delay is not None and not task.cancelled:
                self.schedule(task, delay)
            del task

    # -- fork and exit ---------------------------------------------------------------------
    def _before_fork(self) -> None:
        self._cond.acquire()

    def _after_fork_parent(self) -> None:
        self._cond.release()

    def _after_fork_child(self) -> None:
        tasks = [t for _, _, t in self._heap]
        if self._current is not None:  # its tick was running in the parent's thread
            tasks.append(self._current)
        self._reset()  # the parent's thread does not exist here; its lock may be held
        for task in tasks:
            task.queued = False
            task.running = threading.Lock()
            if task.on_fork == "drop":
                task.cancelled = True
                continue
            owner = task.ref()
            park = getattr(owner, "cron_park_after_fork", None)
            if park is not None:
                park()

    def stop(self) -> None:
        """At interpreter exit: stop the thread (after a tick in progress)."""
        with self._cond:
            self._stopped = True
            thread, self._thread = self._thread, None
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)


SCHEDULER = Scheduler()
"""The process-wide scheduler."""

atexit.register(SCHEDULER.stop)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=SCHEDULER._before_fork,
        after_in_parent=SCHEDULER._after_fork_parent,
        after_in_child=SCHEDULER._after_fork_child,
    )
