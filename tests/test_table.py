"""The C keyspace table against its pure-Python twin.

A hypothesis state machine drives both with the same operations and compares every
deterministic result, calling ``check()`` on both after every step.  Random
operations (sample, random_key) and scan order are checked against their contract.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from kvengine._native import pytable
from kvengine._native.pytable import KEEP_EXPIRE, NO_EXPIRE

sys.path.insert(0, os.path.dirname(__file__))
import table_cases

ctable = pytest.importorskip("kvengine._native.ctable", reason="the C table is not built")

TABLES = [pytable.Table, ctable.Table]
KEYS = st.sampled_from([b"", b"a", b"b", b"key:1", b"key:2", b"\x00bin\xff", b"k" * 40])
VALUES = st.one_of(st.binary(max_size=40), st.builds(lambda n: {"obj": n}, st.integers(0, 9)))
NOW = 1_700_000_000_000


class Obj:
    """A non-bytes value, compared by identity of its payload."""


class TwinMachine(RuleBasedStateMachine):
    """Same operations on the C table and the twin; same answers."""

    @initialize(lfu=st.booleans())
    def setup(self, lfu: bool) -> None:
        self.c = ctable.Table(7)
        self.p = pytable.Table(7)
        self.now = NOW
        # log_factor 0 makes the LFU increment deterministic (probability 1), so the
        # two tables' different random sources cannot make their fields diverge.
        for t in (self.c, self.p):
            t.set_lfu(lfu, log_factor=0, decay_time=1)

    @rule(key=KEYS, value=VALUES, ttl=st.one_of(st.none(), st.integers(1, 5000)),
          keep=st.booleans())
    def set(self, key: bytes, value: object, ttl: int | None, keep: bool) -> None:
        expire = KEEP_EXPIRE if keep else (NO_EXPIRE if ttl is None else self.now + ttl)
        for t in (self.c, self.p):
            t.set(key, value, expire, self.now)

    @rule(key=KEYS, touch=st.booleans())
    def lookup(self, key: bytes, touch: bool) -> None:
        assert self.c.lookup(key, self.now, touch) == self.p.lookup(key, self.now, touch)
        assert self.c.expired == self.p.expired
        self.c.expired.clear()
        self.p.expired.clear()

    @rule(ms=st.integers(0, 3000))
    def advance(self, ms: int) -> None:
        self.now += ms

    @rule(key=KEYS)
    def delete(self, key: bytes) -> None:
        assert self.c.delete(key) == self.p.delete(key)

    @rule(key=KEYS, ttl=st.one_of(st.none(), st.integers(0, 5000)))
    def set_expire(self, key: bytes, ttl: int | None) -> None:
        when = NO_EXPIRE if ttl is None else self.now + ttl
        assert self.c.set_expire(key, when) == self.p.set_expire(key, when)

    @rule(key=KEYS)
    def get_expire_and_field(self, key: bytes) -> None:
        assert self.c.get_expire(key) == self.p.get_expire(key)
        assert self.c.get_field(key) == self.p.get_field(key)

    @rule(key=KEYS, field=st.integers(0, (1 << 24) - 1))
    def set_field(self, key: bytes, field: int) -> None:
        assert self.c.set_field(key, field) == self.p.set_field(key, field)

    @precondition(lambda self: True)
    @rule(n=st.integers(0, 30))
    def expire_all_due(self, n: int) -> None:
        # The sampled keys differ (random), so compare the end state instead: run the
        # step until no volatile key is left expired on both.
        for t in (self.c, self.p):
            while True:
                _, deleted = t.expire_step(self.now, max(n, 1))
                if not deleted and not any(
                    t.get_expire(k) != NO_EXPIRE and t.get_expire(k) <= self.now for k in t.keys()
                ):
                    break

    @rule()
    def clear(self) -> None:
        self.c.clear()
        self.p.clear()

    @invariant()
    def same_state(self) -> None:
        self.c.check()
        self.p.check()
        assert len(self.c) == len(self.p)
        assert self.c.volatile_count() == self.p.volatile_count()
        assert self.c.mem_usage() == self.p.mem_usage()
        assert sorted(self.c.keys()) == sorted(self.p.keys())
        assert sorted(self.c.items(), key=repr) == sorted(self.p.items(), key=repr)


TestTwin = TwinMachine.TestCase
TestTwin.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("table_cls", TABLES, ids=["twin", "c"])
def test_scan_survives_grow_and_shrink(table_cls: type) -> None:
    t = table_cls(3)
    stable = {b"stable:%d" % i for i in range(300)}
    for k in stable:
        t.set(k, b"v")
    seen: set[bytes] = set()
    cursor, step = 0, 0
    while True:
        cursor, keys = t.scan(cursor, 10)
        seen.update(keys)
        step += 1
        # Churn between calls: grow hard, then shrink far below the start.
        if step % 3 == 0:
            for i in range(200):
                t.set(b"tmp:%d:%d" % (step, i), b"x")
        elif step % 3 == 1:
            for k in [k for k in t.keys() if k.startswith(b"tmp:")]:
                t.delete(k)
        t.check()
        if cursor == 0:
            break
    assert stable <= seen


@pytest.mark.parametrize("table_cls", TABLES, ids=["twin", "c"])
def test_sampling_contract(table_cls: type) -> None:
    t = table_cls(5)
    assert t.sample(5) == [] and t.random_key() is None and t.sample_volatile(3) == []
    for i in range(100):
        t.set(b"k%d" % i, b"v", NOW + 10 if i % 4 == 0 else NO_EXPIRE, NOW)
    keys = set(t.keys())
    sample = t.sample(20)
    assert 0 < len(sample) <= 20 and set(sample) <= keys
    vol = t.sample_volatile(10)
    assert vol and all(t.get_expire(k) != NO_EXPIRE for k in vol)
    assert t.random_key() in keys
    assert len(t.sample(1000)) <= 100
    sampled, deleted = t.expire_step(NOW + 100, 1000)
    assert sampled > 0 and all(k.startswith(b"k") for k in deleted)
    t.check()


@pytest.mark.parametrize("table_cls", TABLES, ids=["twin", "c"])
def test_bad_arguments_raise_instead_of_crashing(table_cls: type) -> None:
    t = table_cls(1)
    with pytest.raises(TypeError):
        t.set("str key", b"v")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        t.set(b"k", None)
    with pytest.raises(ValueError):
        t.set(b"k", b"v", -5)
    with pytest.raises(ValueError):
        t.sample(-1)
    with pytest.raises(ValueError):
        t.scan(0, 0)
    with pytest.raises((ValueError, OverflowError)):
        t.scan(-1, 10)
    if t.native:  # the twin's Python ints have no 64-bit limit to enforce
        with pytest.raises(OverflowError):
            t.lookup(b"k", 1 << 80)
        with pytest.raises(TypeError):
            t.lookup("str", 0)  # type: ignore[arg-type]
    t.set(b"k", b"v")
    assert t.lookup(b"k", NOW) == b"v"
    t.check()


def test_c_table_memory_is_exact_and_small() -> None:
    t = ctable.Table(1)
    for i in range(10_000):
        t.set(b"key:%012d" % i, b"v" * 32)
    # 24-byte header + 16 + 32 rounded to 8 = 72 per entry, plus 8 per bucket.
    assert t.mem_usage() == 10_000 * 72 + 16384 * 8
    t.check()


@pytest.mark.parametrize("table_cls", TABLES, ids=["twin", "c"])
@pytest.mark.parametrize("lfu", [False, True])
def test_evict_sample_scores_follow_redis_formulas(table_cls: type, lfu: bool) -> None:
    """Both tables score eviction candidates as Redis's pool does: idle ms (LRU),
    255 - decayed counter (LFU), 2**64-1 - expire (TTL); volatile-only keeps to TTL keys."""
    t = table_cls(9)
    t.set_lfu(lfu, 10, 1)
    for i in range(64):
        t.set(b"k%d" % i, b"v", NOW + 1000 * i if i % 2 else NO_EXPIRE, NOW + 1000 * i)
    for i in range(0, 64, 3):
        t.lookup(b"k%d" % i, NOW + 90_000)
    later = NOW + 200_000
    mode = 1 if lfu else 0
    for score, key in t.evict_sample(40, False, mode, later):
        field = t.get_field(key)
        expected = (255 - pytable.lfu_decr(field, later, 1)) if lfu else pytable.estimate_idle_ms(field, later)
        assert score == expected
    ttl = t.evict_sample(40, True, 2, later)
    assert ttl
    for score, key in ttl:
        assert t.get_expire(key) >= 0 and score == (1 << 64) - 1 - t.get_expire(key)
    with pytest.raises(ValueError):
        t.evict_sample(-1, False, 0, later)
    with pytest.raises(ValueError):
        t.evict_sample(5, False, 7, later)
    assert t.evict_sample(0, False, 0, later) == []
    t.check()


def _child(which: str) -> dict:
    """Run tests/table_cases.py in a child process: a crash there (segfault, an
    ASan/UBSan report under make test-sanitize) fails the test instead of pytest."""
    proc = subprocess.run([sys.executable, table_cases.__file__, which], capture_output=True, text=True,
                          timeout=300, cwd=table_cases.ROOT)
    assert proc.returncode == 0, f"child exited {proc.returncode}:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", ["twin", "c"])
def test_malformed_calls_raise_the_same_and_never_crash(kind: str) -> None:
    """Wrong types, out-of-range integers, negative and huge counts, an empty table,
    use after close: each raises what the case says (the same on both tables), and
    the table stays consistent and usable after it."""
    expected = {name: exc for name, _, exc in table_cases.CASES}
    assert _child(kind) == expected


def test_raw_c_functions_guard_null_and_bad_sizes() -> None:
    """The cffi functions themselves: NULL table, NULL outputs, lengths over 512 MB,
    SIZE_MAX, bad modes give an error code or an empty result, never a crash."""
    assert _child("raw") == table_cases.RAW_EXPECTED


def test_reseeding_keeps_every_key_findable() -> None:
    """seed() reseeds sampling only: the hash seed of the C table cannot change under
    its entries (it did, and every key was then in the wrong bucket)."""
    for cls in TABLES:
        t = cls(1)
        for i in range(100):
            t.set(b"k%d" % i, b"v")
        t.seed(12345)
        t.check()
        assert all(t.lookup(b"k%d" % i, NOW) == b"v" for i in range(100))


@pytest.mark.parametrize("table_cls", TABLES, ids=["twin", "c"])
@pytest.mark.parametrize("mode,volatile", [(0, False), (1, False), (2, True), (0, True)])
def test_evict_until_is_the_evict_drop_loop(table_cls: type, mode: int, volatile: bool) -> None:
    """evict_until evicts the same keys, in the same order, as evict_drop called while
    the group is over the limit, stopping under it or at max_keys; an object-valued
    victim's bytes leave the group before the next comparison."""

    def build() -> object:
        t = table_cls(11)
        t.set_lfu(mode == 1, 10, 1)
        for i in range(300):
            value = table_cases.Box() if i % 7 == 0 else b"v" * (i % 50)
            t.set(b"k%d" % i, value, NOW + 1000 * i if volatile or i % 2 else NO_EXPIRE, NOW + i * 10)
        for i in range(0, 300, 5):
            t.lookup(b"k%d" % i, NOW + 5000)
        return t

    a, b = build(), build()
    limit = a.group.total() - 4000
    n, under = a.evict_until(limit, 1000, 5, volatile, mode, NOW + 9000)
    dropped = 0
    while b.group.total() > limit and b.evict_drop(5, volatile, mode, NOW + 9000):
        dropped += 1
    assert (n, under) == (dropped, True) and n > 0
    assert sorted(a.keys()) == sorted(b.keys())
    assert a.group.total() == b.group.total() <= limit
    # max_keys bounds one call; what is left goes on the next.
    more, under = a.evict_until(limit - 3000, 2, 5, volatile, mode, NOW + 9000)
    assert (more, under) == (2, False)
    a.check()
    b.check()
