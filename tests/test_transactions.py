"""Pipelines, transaction(), WATCH across threads and views, effects propagation."""

from __future__ import annotations

import threading

import pytest
import redis

from kvengine import Engine, ManualClock
from kvengine import exceptions as e


def test_pipeline_chains_and_returns_typed_results(kv: Engine) -> None:
    pipe = kv.pipeline()
    assert pipe.set("a", 1).incr("a").hset("h", mapping={"f": "v"}).hgetall("h").smembers("nope") is pipe
    assert len(pipe) == 5
    assert pipe.execute() == [True, 2, 1, {b"f": b"v"}, set()]
    assert len(pipe) == 0
    assert pipe.execute() == []


def test_pipeline_without_transaction(kv: Engine) -> None:
    pipe = kv.pipeline(transaction=False)
    pipe.rpush("l", 1, 2).lrange("l", 0, -1)
    assert pipe.execute() == [2, [b"1", b"2"]]


def test_execute_command_queue_error_aborts_whole_transaction(kv: Engine) -> None:
    pipe = kv.pipeline()
    pipe.set("a", 1).execute_command("SET", "a")
    with pytest.raises(redis.exceptions.ExecAbortError):
        pipe.execute()
    assert kv.get("a") is None


def test_watch_conflict_raises_watch_error(kv: Engine) -> None:
    other = kv.client()
    kv.set("k", 1)
    with kv.pipeline() as pipe:
        pipe.watch("k")
        assert pipe.get("k") == b"1"  # immediate mode while watching
        other.set("k", 5)
        pipe.multi()
        pipe.set("k", 2)
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert kv.get("k") == b"5"


def test_watched_key_expiring_on_the_manual_clock_aborts(clock: ManualClock) -> None:
    kv = Engine(clock=clock, active_expire=False)
    kv.set("k", 1, px=100)
    pipe = kv.pipeline()
    pipe.watch("k")
    clock.advance(ms=200)
    pipe.multi()
    pipe.set("other", 1)
    with pytest.raises(redis.WatchError):
        pipe.execute()
    assert kv.get("other") is None


def test_transaction_helper_retries_until_clean(kv: Engine) -> None:
    kv.set("n", 0)
    attempts = []
    other = kv.client()

    def incr(pipe) -> None:
        value = int(pipe.get("n"))
        attempts.append(value)
        if len(attempts) == 1:
            other.set("n", 10)  # a concurrent writer: the first try must abort
        pipe.multi()
        pipe.set("n", value + 1)

    assert kv.transaction(incr, "n") == [True]
    assert attempts == [0, 10]
    assert kv.get("n") == b"11"
    assert kv.transaction(lambda p: "v", value_from_callable=True) == "v"


def test_check_and_set_from_threads_loses_no_update(kv: Engine) -> None:
    kv.set("n", 0)

    def worker() -> None:
        def incr(pipe) -> None:
            value = int(pipe.get("n"))
            pipe.multi()
            pipe.set("n", value + 1)

        for _ in range(150):
            kv.transaction(incr, "n")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert kv.get("n") == b"600"


def test_exec_is_atomic_for_other_threads(kv: Engine) -> None:
    """A reader never sees one key of a transaction written without the other."""
    stop = threading.Event()
    torn = []

    def reader() -> None:
        while not stop.is_set():
            a, b = kv.mget("a", "b")
            if a != b:
                torn.append((a, b))

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(2000):
            pipe = kv.pipeline()
            pipe.set("a", i).set("b", i)
            pipe.execute()
    finally:
        stop.set()
        t.join()
    assert torn == []


def test_raw_multi_exec_per_view(kv: Engine) -> None:
    other = kv.client()
    assert kv.execute_command("MULTI") == b"OK"
    assert kv.execute_command("INCRBY", "x", "1") == b"QUEUED"
    assert other.get("x") is None  # queued, not run; other views are not in kv's MULTI
    assert other.incrby("y", 2) == 2
    assert kv.execute_command("EXEC") == [1]
    assert kv.get("x") == b"1"


def test_effects_propagate_wrapped_in_multi_exec(kv: Engine) -> None:
    srv = kv.server
    fed: list = []
    srv.feeding = True
    srv.flush_feed = lambda: (fed.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    pipe = kv.pipeline()
    pipe.set("a", 1).get("a").incr("a")
    pipe.execute()
    assert [op for _, op in fed] == [[b"MULTI"], [b"SET", b"a", b"1"], [b"INCRBY", b"a", b"1"], [b"EXEC"]]
    fed.clear()
    pipe.set("b", 1).get("b")
    pipe.execute()
    assert [op for _, op in fed] == [[b"SET", b"b", b"1"]]  # one effect: no wrapper
    fed.clear()
    kv.execute_command("MULTI")
    kv.execute_command("GET", "a")
    kv.execute_command("EXEC")
    assert fed == []  # a read-only transaction logs nothing


def test_blocked_client_served_after_exec_not_during(kv: Engine) -> None:
    got = []
    t = threading.Thread(target=lambda: got.append(kv.client().blpop("q", timeout=5)))
    t.start()
    while not kv.server.blocked:
        threading.Event().wait(0.001)
    pipe = kv.pipeline()
    pipe.rpush("q", "x").llen("q").delete("q")
    assert pipe.execute() == [1, 1, 1]
    kv.rpush("q", "y")
    t.join(5)
    assert got == [(b"q", b"y")]


def test_engine_survives_errors_in_exec(kv: Engine) -> None:
    kv.set("s", "v")
    kv.execute_command("MULTI")
    kv.execute_command("INCR", "s")
    replies = kv.execute_command("EXEC")
    assert isinstance(replies[0], e.ResponseError)
    assert kv.get("s") == b"v"
    assert kv.multi is None
