"""Thread stress: many threads on one engine, interleaving every path that takes the
engine lock, then invariants checked.

Interleaved on one engine (the C table, or the pure-Python twin under
KVENGINE_PUREPYTHON=1, as CI runs the suite both ways):

- INCR counters by direct calls, raw MULTI/EXEC and pipelines (with and without a
  transaction): the final sum is exactly the number of increments acknowledged;
- balance transfers between accounts by WATCH/MULTI (``engine.transaction``) and by an
  EVAL script doing the same read-modify-write: the total is conserved and no balance
  goes negative, checked both at the end and all along by a reader that takes snapshots
  inside MULTI/EXEC;
- LPUSH producers and BLPOP consumers over several lists: every item is consumed
  exactly once, none lost, none left;
- an EVAL script incrementing a counter by GET + SET (atomic only because scripts are).

Each run lasts KVENGINE_STRESS_SECONDS seconds (default 1.5; set it higher to soak,
e.g. ``KVENGINE_STRESS_SECONDS=60 python -m pytest tests/test_thread_stress.py``).
The loop bound is wall time, which no assertion uses; the engine runs on a
ManualClock that a ticker thread moves a millisecond at a time, so BLPOP timeouts
fire and short-lived keys (``ttl:*``, written and WATCHed by their own threads) expire
lazily in the middle of everything else.
Every join has a timeout: a thread still alive after it is reported as a deadlock.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kvengine import Engine, ManualClock
from kvengine import exceptions as e

SECONDS = float(os.environ.get("KVENGINE_STRESS_SECONDS", "1.5"))
JOIN_TIMEOUT = 30.0  # beyond the run's own length: longer than this is a deadlock

ACCOUNTS = [f"acct:{i}" for i in range(8)]
OPENING = 100
COUNTERS = [f"ctr:{i}" for i in range(4)]
QUEUES = ["q:0", "q:1", "q:2"]
STOP = b"stop"

TRANSFER_LUA = """
local src = tonumber(redis.call('GET', KEYS[1]))
local amount = tonumber(ARGV[1])
if src < amount then return 0 end
redis.call('SET', KEYS[1], src - amount)
redis.call('SET', KEYS[2], tonumber(redis.call('GET', KEYS[2])) + amount)
return 1
"""
RMW_LUA = """
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('SET', KEYS[1], v + 1)
return v + 1
"""


class Run:
    """Shared state of one stress run: the deadline, failures, the workers."""

    def __init__(self, kv: Engine) -> None:
        self.kv = kv
        self.deadline = time.monotonic() + SECONDS
        self.failed = threading.Event()
        self.errors: list[BaseException] = []
        self.threads: list[threading.Thread] = []
        self.increments = Counter[str]()
        self.rmw_calls = 0
        self.produced: list[bytes] = []
        self.consumed: list[list[bytes]] = []
        self.transfers = Counter[str]()
        self.snapshots = 0
        self.mutex = threading.Lock()  # guards the tallies above (not the engine)

    def going(self) -> bool:
        return time.monotonic() < self.deadline and not self.failed.is_set()

    def spawn(self, name: str, fn: Callable[[random.Random], None], seed: int) -> threading.Thread:
        def body() -> None:
            try:
                fn(random.Random(seed))
            except BaseException as exc:  # handed to the test
                self.errors.append(exc)
                self.failed.set()

        t = threading.Thread(target=body, name=name, daemon=True)
        self.threads.append(t)
        t.start()
        return t

    def join(self, threads: list[threading.Thread]) -> None:
        end = time.monotonic() + SECONDS + JOIN_TIMEOUT
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            self.failed.set()
            raise AssertionError(f"deadlock: threads still running after the timeout: {stuck}")


# -- the workers -------------------------------------------------------------------------


def counter_worker(run: Run, mode: str) -> Callable[[random.Random], None]:
    """INCR counters one way (direct, raw MULTI/EXEC, pipeline, or MULTI pipeline)."""

    def work(rnd: random.Random) -> None:
        view = run.kv.client()
        done = Counter[str]()
        while run.going():
            keys = [rnd.choice(COUNTERS) for _ in range(rnd.randint(1, 5))]
            if mode == "direct":
                for k in keys:
                    view.incr(k)
            elif mode == "raw-multi":
                assert view.execute_command("MULTI") == b"OK"
                for k in keys:
                    assert view.execute_command("INCR", k) == b"QUEUED"
                replies = view.execute_command("EXEC")
                assert len(replies) == len(keys) and all(type(r) is int for r in replies)
            else:
                pipe = view.pipeline(transaction=mode == "pipeline-multi")
                for k in keys:
                    pipe.incr(k).get(k)
                replies = pipe.execute()
                assert all(type(r) is int and r > 0 for r in replies[0::2])
                if mode == "pipeline-multi":  # atomic: each GET sees its own INCR's value
                    assert [int(v) for v in replies[1::2]] == replies[0::2]
            done.update(keys)
        with run.mutex:
            run.increments.update(done)

    return work


def watch_transfer_worker(run: Run) -> Callable[[random.Random], None]:
    """Move money with WATCH + MULTI (redis-py's check-and-set), retried on WatchError."""

    def work(rnd: random.Random) -> None:
        view = run.kv.client()
        moved = 0
        while run.going():
            src, dst = rnd.sample(ACCOUNTS, 2)
            amount = rnd.randint(1, 40)

            def transfer(pipe: Any, src: str = src, dst: str = dst, amount: int = amount) -> None:
                have = int(pipe.get(src))  # immediate mode: read while watching
                to = int(pipe.get(dst))
                assert have >= 0 and to >= 0
                pipe.multi()
                if have >= amount:
                    pipe.set(src, have - amount).set(dst, to + amount)

            view.transaction(transfer, src, dst)
            moved += 1
        with run.mutex:
            run.transfers["watch"] += moved

    return work


def script_transfer_worker(run: Run) -> Callable[[random.Random], None]:
    """The same transfer as one EVAL (atomic), and an EVALSHA read-modify-write counter."""

    def work(rnd: random.Random) -> None:
        view = run.kv.client()
        rmw = view.register_script(RMW_LUA)
        moved = calls = 0
        while run.going():
            src, dst = rnd.sample(ACCOUNTS, 2)
            assert view.eval(TRANSFER_LUA, 2, src, dst, rnd.randint(1, 40)) in (0, 1)
            moved += 1
            assert rmw(keys=["rmw"]) > 0
            calls += 1
        with run.mutex:
            run.transfers["script"] += moved
            run.rmw_calls += calls

    return work


def balance_checker(run: Run) -> Callable[[random.Random], None]:
    """Snapshots of every balance, taken atomically, always add up to the total."""

    def work(rnd: random.Random) -> None:
        view = run.kv.client()
        seen = 0
        while run.going():
            if rnd.random() < 0.5:
                pipe = view.pipeline()
                for a in ACCOUNTS:
                    pipe.get(a)
                balances = [int(v) for v in pipe.execute()]
            else:
                balances = [int(v) for v in view.mget(ACCOUNTS)]
            assert sum(balances) == OPENING * len(ACCOUNTS), balances
            assert min(balances) >= 0, balances
            seen += 1
        with run.mutex:
            run.snapshots += seen

    return work


PUSH_LUA = "for i, item in ipairs(ARGV) do redis.call('LPUSH', KEYS[1], item) end return #ARGV"


def producer(run: Run, pid: int) -> Callable[[random.Random], None]:
    """LPUSH unique items directly, in pipelines, in MULTI (waiters served after EXEC)
    and from a script (served after the script)."""

    def work(rnd: random.Random) -> None:
        view = run.kv.client()
        mine: list[bytes] = []
        n = 0
        while run.going():
            batch = [b"p%d:%d" % (pid, n + i) for i in range(rnd.randint(1, 4))]
            n += len(batch)
            how = rnd.random()
            if how < 0.4:
                pipe = view.pipeline(transaction=how < 0.2)
                for item in batch:
                    pipe.lpush(rnd.choice(QUEUES), item)
                assert len(pipe.execute()) == len(batch)
            elif how < 0.55:
                assert view.eval(PUSH_LUA, 1, rnd.choice(QUEUES), *batch) == len(batch)
            else:
                view.lpush(rnd.choice(QUEUES), *batch)
            mine.extend(batch)
        with run.mutex:
            run.produced.extend(mine)

    return work


def consumer(run: Run) -> Callable[[random.Random], None]:
    def work(rnd: random.Random) -> None:
        view = run.kv.client()
        got: list[bytes] = []
        with run.mutex:
            run.consumed.append(got)
        while True:
            # A timeout on the engine's clock, which the ticker moves: some waits time
            # out (None) while items are pushed around them.
            reply = view.blpop(QUEUES, timeout=rnd.choice((0, 0.05)))
            if reply is None:
                continue
            assert reply[0].decode() in QUEUES
            if reply[1] == STOP:
                return
            got.append(reply[1])

    return work


def ticker(run: Run, clock: ManualClock) -> Callable[[random.Random], None]:
    """Moves the engine's ManualClock a millisecond at a time (timeouts, expiry)."""

    def work(rnd: random.Random) -> None:
        pause = threading.Event()
        while run.going():
            clock.advance(ms=1)
            pause.wait(0.0005)

    return work


def volatile_worker(run: Run) -> Callable[[random.Random], None]:
    """Keys with short TTLs, written in pipelines and WATCHed while they expire: no
    invariant of its own, but lazy expiry inside EXEC and WATCH aborts interleave
    with everything else."""

    def work(rnd: random.Random) -> None:
        view = run.kv.client()
        while run.going():
            key = f"ttl:{rnd.randint(0, 9)}"
            pipe = view.pipeline()
            pipe.set(key, "v", px=rnd.randint(1, 5)).get(key).pttl(key)
            ok, value, _ = pipe.execute()
            assert ok is True and value == b"v"
            with view.pipeline() as pipe:
                pipe.watch(key)
                pipe.get(key)
                pipe.multi()
                pipe.set(key, "w", px=3).get(key)
                try:
                    assert pipe.execute() == [True, b"w"]
                except e.WatchError:
                    pass

    return work


# -- the test ------------------------------------------------------------------------------


@pytest.fixture
def fine_switching() -> Iterator[None]:
    """Switch threads every 20 µs instead of 5 ms: far more interleavings per second."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(2e-5)
    yield
    sys.setswitchinterval(old)


def test_threads_interleaved_keep_every_invariant(fine_switching: None) -> None:
    clock = ManualClock(1_700_000_000_000)
    kv = Engine(clock=clock, active_expire=False, seed=11)
    for a in ACCOUNTS:
        kv.set(a, OPENING)
    run = Run(kv)
    seeds = iter(range(1000))
    consumers = [run.spawn(f"consumer-{i}", consumer(run), next(seeds)) for i in range(3)]
    workers = [
        *(run.spawn(f"counter-{m}", counter_worker(run, m), next(seeds))
          for m in ("direct", "raw-multi", "pipeline", "pipeline-multi")),
        *(run.spawn(f"watch-transfer-{i}", watch_transfer_worker(run), next(seeds)) for i in range(3)),
        *(run.spawn(f"script-{i}", script_transfer_worker(run), next(seeds)) for i in range(2)),
        run.spawn("checker", balance_checker(run), next(seeds)),
        *(run.spawn(f"producer-{i}", producer(run, i), next(seeds)) for i in range(2)),
        run.spawn("ticker", ticker(run, clock), next(seeds)),
        *(run.spawn(f"volatile-{i}", volatile_worker(run), next(seeds)) for i in range(2)),
    ]
    try:
        run.join(workers)
        # Stops go to the tail of the last list BLPOP looks at, so every item is
        # popped before any stop; one stop per consumer.
        kv.rpush(QUEUES[-1], *[STOP] * len(consumers))
        run.join(consumers)
    finally:
        run.failed.set()
        if any(t.is_alive() for t in run.threads):
            kv.rpush(QUEUES[-1], *[STOP] * len(consumers))  # free blocked consumers
    if run.errors:
        raise run.errors[0]

    # Counters: exactly the increments made, whichever way they were sent.
    assert sum(run.increments.values()) > 0
    for k in COUNTERS:
        assert int(kv.get(k) or 0) == run.increments[k], k
    assert int(kv.get("rmw") or 0) == run.rmw_calls > 0
    # Transfers: money neither made nor lost, never negative.
    balances = [int(v) for v in kv.mget(ACCOUNTS)]
    assert sum(balances) == OPENING * len(ACCOUNTS) and min(balances) >= 0, balances
    assert run.transfers["watch"] > 0 and run.transfers["script"] > 0 and run.snapshots > 0
    # Queues: every item consumed exactly once, none left behind.
    consumed = [item for got in run.consumed for item in got]
    assert len(consumed) == len(set(consumed)), "an item was consumed twice"
    assert sorted(consumed) == sorted(run.produced)
    assert len(run.produced) > 0
    assert [kv.llen(q) for q in QUEUES] == [0] * len(QUEUES)
    assert not kv.server.blocked and not kv.server.watched
    clock.advance(ms=10)
    assert kv.keys("ttl:*") == []  # every volatile key has expired
    kv.lpush("a-list", "x")  # and the engine still answers normally, errors included
    with pytest.raises(e.ResponseError):
        kv.incr("a-list")
    kv.close()
