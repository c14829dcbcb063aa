"""Blocking list commands across threads: wake-ups, order, timeouts, close."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import kvengine
from kvengine import Engine, ManualClock
from tests.threads import start, wait_blocked


def test_producer_consumer() -> None:
    kv = Engine(active_expire=False)
    t, out = start(lambda: [kv.blpop("jobs", 5) for _ in range(3)])
    for job in (b"1", b"2", b"3"):
        wait_blocked(kv, 1) if job == b"1" else None
        kv.rpush("jobs", job)
    t.join(5)
    assert out == [[(b"jobs", b"1"), (b"jobs", b"2"), (b"jobs", b"3")]]
    kv.close()


def test_first_blocked_first_served() -> None:
    kv = Engine(active_expire=False)
    threads = []
    for i in range(3):
        threads.append(start(lambda: kv.client().brpop(["q"], 5)))
        wait_blocked(kv, i + 1)
    kv.rpush("q", "a", "b")  # two items: the first two waiters, in order
    threads[0][0].join(5)
    threads[1][0].join(5)
    assert threads[0][1] == [(b"q", b"b")]
    assert threads[1][1] == [(b"q", b"a")]
    assert threads[2][0].is_alive()
    kv.lpush("q", "c")
    threads[2][0].join(5)
    assert threads[2][1] == [(b"q", b"c")]
    assert kv.exists("q") == 0
    kv.close()


def test_timeout_follows_the_engine_clock() -> None:
    clock = ManualClock()
    kv = Engine(clock=clock, active_expire=False)
    t, out = start(lambda: kv.blpop("q", 10))
    wait_blocked(kv, 1)
    clock.advance(9)
    t.join(0.1)
    assert t.is_alive()
    clock.advance(2)
    t.join(5)
    assert out == [None]
    assert not kv.server.blocked
    kv.close()


def test_blmove_chain_and_logging() -> None:
    kv = Engine(active_expire=False)
    srv = kv.server
    logged: list[tuple[int, list[bytes]]] = []
    srv.feeding = True
    srv.flush_feed = lambda: (logged.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    t1, out1 = start(lambda: kv.client().blmove("a", "b", 5, "LEFT", "RIGHT"))
    wait_blocked(kv, 1)
    t2, out2 = start(lambda: kv.client().blpop("b", 5))
    wait_blocked(kv, 2)
    kv.rpush("a", "x")  # a -> b (served for t1), then b is ready for t2
    t1.join(5)
    t2.join(5)
    assert out1 == [b"x"] and out2 == [(b"b", b"x")]
    assert [op for _, op in logged] == [
        [b"RPUSH", b"a", b"x"], [b"LMOVE", b"a", b"b", b"LEFT", b"RIGHT"], [b"LPOP", b"b"],
    ]
    kv.close()


def test_no_blocking_inside_transactions_or_scripts(kv: Engine) -> None:
    kv.in_exec = True
    try:
        assert kv.blpop("q", 0) is None
        assert kv.brpoplpush("q", "r", 0) is None
        assert kv.blmpop(0, 1, "q", direction="LEFT") is None
    finally:
        kv.in_exec = False


def test_close_wakes_blocked_clients() -> None:
    kv = Engine(active_expire=False)
    t, out = start(lambda: kv.blpop("q", 0))
    wait_blocked(kv, 1)
    kv.close()
    t.join(5)
    assert len(out) == 1 and isinstance(out[0], kvengine.ConnectionError)


def test_wrong_type_while_blocked_keeps_waiting() -> None:
    kv = Engine(active_expire=False)
    t, out = start(lambda: kv.blpop("q", 5))
    wait_blocked(kv, 1)
    kv.set("q", "now a string")  # not a list: the client stays blocked, as in Redis
    t.join(0.1)
    assert t.is_alive()
    kv.delete("q")
    kv.rpush("q", "x")
    t.join(5)
    assert out == [(b"q", b"x")]
    kv.close()


@pytest.mark.parametrize("n", [4])
def test_many_consumers_get_every_item_once(n: int) -> None:
    kv = Engine(active_expire=False)
    results: list[Any] = []
    lock = threading.Lock()

    def consume() -> None:
        client = kv.client()
        while True:
            item = client.blpop("work", 2)
            if item is None or item[1] == b"stop":
                return
            with lock:
                results.append(item[1])

    threads = [threading.Thread(target=consume) for _ in range(n)]
    for t in threads:
        t.start()
    for i in range(200):
        kv.rpush("work", i)
    kv.rpush("work", *(["stop"] * n))
    for t in threads:
        t.join(10)
    assert sorted(int(x) for x in results) == list(range(200))
    kv.close()


def test_waiter_stays_blocked_when_its_key_becomes_another_type() -> None:
    """Redis serves a ready key only to waiters of its type: a BLPOP whose key became a
    sorted set keeps waiting (no WRONGTYPE), and a BZPOPMIN on the same key is served."""
    import threading
    import time

    from kvengine import Engine

    kv = Engine(active_expire=False)
    got: dict[str, object] = {}
    lpop = threading.Thread(target=lambda: got.setdefault("blpop", kv.client().blpop(["k"], timeout=5)))
    lpop.start()
    while not kv.server.blocked:
        time.sleep(0.001)
    zpop = threading.Thread(target=lambda: got.setdefault("bzpopmin", kv.client().bzpopmin(["k"], timeout=5)))
    zpop.start()
    while len(kv.server.blocked.get((0, b"k"), ())) < 2:
        time.sleep(0.001)
    kv.zadd("k", {"m": 1})
    zpop.join(5)
    assert got == {"bzpopmin": (b"k", b"m", 1.0)}
    assert kv.server.blocked  # the BLPOP still waits
    kv.rpush("k", "x")
    lpop.join(5)
    assert got["blpop"] == (b"k", b"x")
    kv.close()
