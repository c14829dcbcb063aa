"""The engine's one clock, in milliseconds, and a manual clock for tests.

Every command reads the time once (Redis's command time snapshot), so a command,
a transaction or a script sees one consistent "now" for all its expiry decisions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], int]
"""A clock: a callable returning the current time in integer milliseconds."""


def system_clock() -> int:
    """Wall-clock time in ms (Redis uses wall-clock time for TTLs too)."""
    return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to, so tests see keys expire without sleeping.

    >>> clock = ManualClock()
    >>> kv = Engine(clock=clock); kv.set("k", "v", ex=10)
    >>> clock.advance(10); kv.get("k") is None
    True
    """

    __slots__ = ("ms", "_lock")

    def __init__(self, start_ms: int | None = None) -> None:
        # Start at a realistic epoch time, so EXPIREAT/TIME values look like a server's.
        self.ms = system_clock() if start_ms is None else int(start_ms)
        self._lock = threading.Lock()

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float = 0.0, *, ms: int = 0) -> int:
        """Move forward by `seconds` (and/or `ms`); return the new time in ms."""
        if seconds < 0 or ms < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self.ms += round(seconds * 1000) + int(ms)
            return self.ms

    def set(self, ms: int) -> None:
        """Jump to an absolute time in ms (forward or backward, as a test needs)."""
        self.ms = int(ms)

    def __repr__(self) -> str:
        return f"ManualClock(ms={self.ms})"
