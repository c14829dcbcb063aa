"""Helpers for tests that run engine calls in other threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from kvengine import Engine


def start(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run `fn` in a thread; its result (or exception) lands in the returned list."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # handed to the test
            out.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def wait_blocked(kv: Engine, n: int) -> None:
    """Wait (real time, bounded) until `n` clients are blocked."""
    event = threading.Event()
    for _ in range(400):
        with kv.server.lock:
            count = len({id(w) for line in kv.server.blocked.values() for w in line})
        if count >= n:
            return
        event.wait(0.005)
    raise AssertionError(f"{n} clients never blocked")
