"""allow-busy commands during a busy script, against a real redis-server 7.0.15: the
same sequence sent by a second connection while the first runs a spinning script
(tests/test_script_busy.py has the cases that need a script that writes)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from kvengine import Engine
from tests.differential.conftest import normalize
from tests.threads import start

redis = pytest.importorskip("redis")

SEQUENCE: list[tuple[str, ...]] = [
    ("MULTI",), ("SET", "a", "1"), ("SCRIPT", "KILL"), ("EXEC",),
    ("EXEC",), ("DISCARD",), ("MULTI",), ("DISCARD",),
    ("WATCH", "x"), ("MULTI",), ("WATCH", "y"), ("DISCARD",), ("UNWATCH",),
    ("FUNCTION", "STATS"), ("FUNCTION", "KILL"), ("GET", "a"),
    ("MULTI",), ("UNWATCH",), ("DISCARD",),
    ("SCRIPT", "KILL"),
]


def text_of(reply: Any) -> Any:
    """The normalized reply, errors by text only (redis-py has no class for BUSY,
    kvengine answers its BusyError subclass, as for BUSY outside MULTI)."""
    r = normalize(reply)
    if isinstance(r, tuple):
        return ("error", r[2])
    if isinstance(r, list):
        return [text_of(x) for x in r]
    return r


def replay(send: Callable[..., Any], runner: Callable[[], Any]) -> tuple[list[Any], Any]:
    t, out = start(runner)
    event = threading.Event()
    for _ in range(2000):  # wait (bounded) until PING answers BUSY
        if isinstance(send("PING"), Exception):
            break
        event.wait(0.005)
    else:
        raise AssertionError("never busy")
    replies = [text_of(send(*cmd)) for cmd in SEQUENCE]
    t.join(30)
    assert not t.is_alive()
    return replies, normalize(out[0])


def test_allow_busy_sequence(redis_port: int) -> None:
    real_runner = redis.Redis(port=redis_port, protocol=2)
    real_other = redis.Redis(port=redis_port, protocol=2)
    real_other.response_callbacks.clear()
    real_other.execute_command("CONFIG", "SET", "busy-reply-threshold", "20")

    def real_send(*args: Any) -> Any:
        try:
            return real_other.execute_command(*args)
        except redis.ResponseError as exc:
            return exc

    try:
        real, real_result = replay(real_send, lambda: real_runner.eval("while true do end", 0))
    finally:
        real_other.execute_command("CONFIG", "SET", "busy-reply-threshold", "5000")
        real_runner.close()
        real_other.close()

    kv = Engine(active_expire=False, busy_reply_threshold=20)
    other = kv.client()

    def kv_send(*args: Any) -> Any:
        try:
            return other._call([other._enc(a) for a in args])
        except redis.ResponseError as exc:
            return exc

    mine, my_result = replay(kv_send, lambda: kv.client().eval("while true do end", 0))
    kv.close()
    assert mine == real
    assert my_result[:2] == real_result[:2] and my_result[2].startswith("Script killed by user")
    assert real_result[2].startswith("Script killed by user")
