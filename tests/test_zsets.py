"""Sorted sets: blocking pops across threads, logging, encodings, the container's invariants."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest

import kvengine
from kvengine import Engine, ManualClock, ResponseError
from kvengine.t_zset import ZSET_MAX_LISTPACK_ENTRIES, ZSET_MAX_LISTPACK_VALUE, ZSet
from tests.threads import start, wait_blocked


def capture_log(kv: Engine) -> list[list[bytes]]:
    """Turn on the persistence feed and collect what it would write."""
    srv = kv.server
    logged: list[tuple[int, list[bytes]]] = []
    srv.feeding = True
    srv.flush_feed = lambda: (logged.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    return logged  # type: ignore[return-value]


# -- blocking ---------------------------------------------------------------------------------------------
def test_bzpopmin_producer_consumer() -> None:
    kv = Engine(active_expire=False)
    t, out = start(lambda: [kv.client().bzpopmin("jobs", 5) for _ in range(3)])
    for i, job in enumerate((b"j1", b"j2", b"j3")):
        if i == 0:
            wait_blocked(kv, 1)
        kv.zadd("jobs", {job: i})
    t.join(5)
    assert out == [[(b"jobs", b"j1", 0.0), (b"jobs", b"j2", 1.0), (b"jobs", b"j3", 2.0)]]
    assert kv.exists("jobs") == 0
    kv.close()


def test_waiters_are_served_first_come_first_served() -> None:
    kv = Engine(active_expire=False)
    threads = []
    for i in range(3):
        threads.append(start(lambda: kv.client().bzpopmax(["q"], 5)))
        wait_blocked(kv, i + 1)
    kv.zadd("q", {"low": 1, "high": 2})  # two members: the first two waiters, in order
    threads[0][0].join(5)
    threads[1][0].join(5)
    assert threads[0][1] == [(b"q", b"high", 2.0)]
    assert threads[1][1] == [(b"q", b"low", 1.0)]
    assert threads[2][0].is_alive()
    kv.zadd("q", {"late": 7})
    threads[2][0].join(5)
    assert threads[2][1] == [(b"q", b"late", 7.0)]
    assert kv.exists("q") == 0
    kv.close()


def test_bzmpop_serves_up_to_count_and_several_keys() -> None:
    kv = Engine(active_expire=False)
    t1, out1 = start(lambda: kv.client().bzmpop(5, 2, ["a", "b"], min=True, count=2))
    wait_blocked(kv, 1)
    t2, out2 = start(lambda: kv.client().bzpopmin(["b", "a"], 5))
    wait_blocked(kv, 2)
    kv.zadd("b", {"x": 1, "y": 2, "z": 3})
    t1.join(5)
    t2.join(5)
    assert out1 == [[b"b", [[b"x", b"1"], [b"y", b"2"]]]]
    assert out2 == [(b"b", b"z", 3.0)]
    kv.close()


def test_timeouts_follow_the_engine_clock() -> None:
    clock = ManualClock()
    kv = Engine(clock=clock, active_expire=False)
    t1, out1 = start(lambda: kv.client().bzpopmin("q", 10))
    t2, out2 = start(lambda: kv.client().bzmpop(2.5, 1, ["q"], max=True))
    wait_blocked(kv, 2)
    clock.advance(2)
    t2.join(0.1)
    assert t2.is_alive() and t1.is_alive()
    clock.advance(1)
    t2.join(5)
    assert out2 == [None] and t1.is_alive()
    clock.advance(7.5)
    t1.join(5)
    assert out1 == [None]
    assert not kv.server.blocked
    kv.close()


def test_blocking_pops_are_logged_as_plain_pops() -> None:
    kv = Engine(active_expire=False)
    logged = capture_log(kv)
    t1, out1 = start(lambda: kv.client().bzpopmax(["none", "q"], 5))
    wait_blocked(kv, 1)
    t2, out2 = start(lambda: kv.client().bzmpop(5, 1, ["q"], min=True, count=10))
    wait_blocked(kv, 2)
    kv.zadd("q", {"a": 1, "b": 2, "c": 3})
    t1.join(5)
    t2.join(5)
    assert out1 == [(b"q", b"c", 3.0)] and out2 == [[b"q", [[b"a", b"1"], [b"b", b"2"]]]]
    kv.zadd("r", {"m": 1, "n": 2})
    assert kv.bzpopmin(["r"], 1) == (b"r", b"m", 1.0)
    assert kv.zmpop(1, ["r"], max=True, count=5) == [b"r", [[b"n", b"2"]]]
    kv.zadd("r", {"m": 1})
    kv.zrandmember("r", 3)
    kv.zpopmin("r", 2)
    assert [op for _, op in logged] == [
        [b"ZADD", b"q", b"1", b"a", b"2", b"b", b"3", b"c"],
        [b"ZPOPMAX", b"q"],
        [b"ZPOPMIN", b"q", b"2"],
        [b"ZADD", b"r", b"1", b"m", b"2", b"n"],
        [b"ZPOPMIN", b"r"],
        [b"ZPOPMAX", b"r", b"1"],
        [b"ZADD", b"r", b"1", b"m"],
        [b"ZPOPMIN", b"r", b"2"],
    ]
    kv.close()


def test_no_blocking_inside_transactions(kv: Engine) -> None:
    pipe = kv.pipeline()
    pipe.bzpopmin("q", 0)
    pipe.bzpopmax(["q", "r"], 0)
    pipe.bzmpop(0, 1, ["q"], min=True)
    pipe.zadd("q", {"a": 1})
    pipe.bzpopmin("q", 0)
    assert pipe.execute() == [None, None, None, 1, (b"q", b"a", 1.0)]
    kv.in_script = True  # as while a Lua script runs
    try:
        assert kv.bzpopmin("q", 0) is None
        assert kv.bzmpop(0, 1, ["q"], max=True) is None
    finally:
        kv.in_script = False


def test_another_type_does_not_wake_a_sorted_set_waiter() -> None:
    kv = Engine(active_expire=False)
    t, out = start(lambda: kv.client().bzpopmin(["q", "z"], 5))
    wait_blocked(kv, 1)
    kv.rpush("q", "a list now")  # Redis serves zset waiters from zsets only
    t.join(0.1)
    assert t.is_alive()
    kv.zadd("z", {"m": 1})  # "q" holds a list: skipped, not an error, for the served client
    t.join(5)
    assert out == [(b"z", b"m", 1.0)]
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        kv.bzpopmin(["q", "z"], 1)  # a fresh call meets the list first
    kv.close()


def test_close_wakes_blocked_clients() -> None:
    kv = Engine(active_expire=False)
    t, out = start(lambda: kv.bzpopmin("q", 0))
    wait_blocked(kv, 1)
    kv.close()
    t.join(5)
    assert len(out) == 1 and isinstance(out[0], kvengine.ConnectionError)


def test_many_consumers_get_every_member_once() -> None:
    kv = Engine(active_expire=False)
    results: list[Any] = []
    lock = threading.Lock()

    def consume() -> None:
        client = kv.client()
        while True:
            item = client.bzpopmin("work", 2)
            if item is None or item[1] == b"stop":
                return
            with lock:
                results.append(item[1])

    threads = [start(consume)[0] for _ in range(4)]
    for i in range(200):
        kv.zadd("work", {f"job{i}": i})
    kv.zadd("work", {"stop": 1e9})
    for left in (3, 2, 1):  # each stop ends one consumer; the others wait for theirs
        wait_blocked(kv, left)
        kv.zadd("work", {"stop": 1e9})
    for t in threads:
        t.join(5)
    assert sorted(results) == sorted(f"job{i}".encode() for i in range(200))


# -- API and encodings --------------------------------------------------------------------------------------
def test_api_shapes(kv: Engine) -> None:
    assert kv.zadd("z", {"a": 1, "b": 2, "c": 3}) == 3
    assert kv.zadd("z", {"a": 10}, incr=True) == 11.0
    assert kv.zadd("z", {"a": 10}, incr=True, xx=True, gt=True) == 21.0
    assert kv.zadd("z", {"a": 1}, incr=True, nx=True) is None
    assert kv.zrange("z", 0, -1, withscores=True) == [(b"b", 2.0), (b"c", 3.0), (b"a", 21.0)]
    assert kv.zrange("z", 0, -1, withscores=True, score_cast_func=int) == [(b"b", 2), (b"c", 3), (b"a", 21)]
    assert kv.zrangebyscore("z", 2, "(21", withscores=True) == [(b"b", 2.0), (b"c", 3.0)]
    assert kv.zscore("z", "b") == 2.0 and kv.zscore("z", "x") is None
    assert kv.zmscore("z", ["a", "x"]) == [21.0, None]
    assert kv.zincrby("z", 0.5, "b") == 2.5
    assert kv.zrank("z", "c") == 1 and kv.zrevrank("z", "c") == 1 and kv.zrank("z", "x") is None
    assert kv.zpopmin("z") == [(b"b", 2.5)]
    assert kv.zpopmax("missing") == []
    assert kv.zrandmember("z") in (b"a", b"c")
    assert kv.zunion(["z", "z"], withscores=True) == [(b"c", 6.0), (b"a", 42.0)]
    assert kv.zdiff(["z", "nope"], withscores=True) == [b"c", b"3", b"a", b"21"]
    assert kv.zunionstore("u", {"z": 2}) == 2
    assert list(kv.zscan_iter("u")) == [(b"c", 6.0), (b"a", 42.0)]
    text = kv.client(decode_responses=True)
    assert text.zrange("u", 0, 0, withscores=True) == [("c", 6.0)]
    assert text.zmpop(1, ["u"], max=True) == ["u", [["a", "42"]]]
    with pytest.raises(kvengine.DataError):
        kv.zadd("z", {})
    with pytest.raises(kvengine.DataError):
        kv.zmpop(1, ["z"])
    with pytest.raises(kvengine.DataError):
        kv.zrange("z", 0, 1, byscore=True, bylex=True)
    with pytest.raises(kvengine.DataError):
        kv.zunion(["z"], aggregate="median")
    with pytest.raises(ResponseError, match="wrong number of arguments"):
        kv.zrank("z", "a", withscore=True)  # Redis 7.0 has no WITHSCORE


def test_encodings_convert_one_way_and_stores_start_fresh(kv: Engine) -> None:
    kv.zadd("z", {f"m{i}": i for i in range(ZSET_MAX_LISTPACK_ENTRIES)})
    assert kv.object("encoding", "z") == b"listpack"
    kv.zadd("z", {"one-more": 0})
    assert kv.object("encoding", "z") == b"skiplist"
    kv.zremrangebyrank("z", 0, -3)
    assert kv.object("encoding", "z") == b"skiplist"
    kv.zunionstore("u", ["z"])
    assert kv.object("encoding", "u") == b"listpack"
    kv.zadd("long", {"x" * ZSET_MAX_LISTPACK_VALUE: 1})
    assert kv.object("encoding", "long") == b"listpack"
    kv.zadd("long", {"y" * (ZSET_MAX_LISTPACK_VALUE + 1): 1})
    assert kv.object("encoding", "long") == b"skiplist"
    assert kv.copy("z", "c") and kv.object("encoding", "c") == b"skiplist"


def test_negative_zero_is_zero_in_a_listpack_only(kv: Engine) -> None:
    kv.zadd("small", {"a": -0.0})
    assert kv.execute_command("ZSCORE", "small", "a") == 0.0
    assert kv._call([b"ZSCORE", b"small", b"a"]) == b"0"
    kv.zadd("big", {"x" * 70: 1, "a": -0.0})
    assert kv._call([b"ZSCORE", b"big", b"a"]) == b"-0"


@pytest.mark.parametrize("size", [3, 300])
def test_dump_restore_rename_move_scan_type(kv: Engine, size: int) -> None:
    members = {f"m{i}": i * 0.5 for i in range(size)}
    members["inf"] = float("inf")
    kv.zadd("z", members)
    encoding = kv.object("encoding", "z")
    payload = kv.dump("z")
    assert kv.restore("copy", 0, payload) == b"OK"
    assert kv.zrange("copy", 0, -1, withscores=True) == kv.zrange("z", 0, -1, withscores=True)
    assert kv.object("encoding", "copy") == encoding
    assert kv.type("copy") == b"zset"
    assert kv.rename("copy", "renamed") is True
    assert kv.move("renamed", 2) is True
    assert kv.client(db=2).zcard("renamed") == size + 1
    kv.set("str", "v")
    assert kv.scan(0, _type="zset", count=1000)[1] == [b"z"]
    kv.zadd("z", {"new": 1})
    assert kv.zcard("z") == size + 2 and kv.client(db=2).zcard("renamed") == size + 1


def test_memory_follows_the_size_model(kv: Engine) -> None:
    before = kv.server.used_memory()
    kv.zadd("z", {f"member{i}": i for i in range(50)})
    grown = kv.server.used_memory() - before
    assert grown > 50 * len("member00")
    assert kv.memory_usage("z") == grown
    kv.zremrangebyrank("z", 0, 24)
    assert kv.server.used_memory() - before < grown
    kv.zpopmin("z", 25)
    assert kv.server.used_memory() == before


# -- the container --------------------------------------------------------------------------------------------
def _model_check(zs: ZSet, model: dict[bytes, float]) -> None:
    zs.check()
    assert dict(zs.d) == model
    assert [m for _, m in zs.sl] == [m for m, _ in sorted(model.items(), key=lambda kv: (kv[1], kv[0]))]


def test_container_random_operations_keep_invariants() -> None:
    rnd = random.Random(7)
    zs = ZSet()
    model: dict[bytes, float] = {}
    for step in range(3000):
        member = f"m{rnd.randrange(300)}".encode() * rnd.choice([1, 1, 1, 20])
        op = rnd.random()
        if op < 0.6:
            score = rnd.choice([rnd.randrange(-5, 5), rnd.random(), float("inf"), -float("inf")])
            zs.add(member, score)
            model[member] = score if member not in model or model[member] != score else model[member]
        elif op < 0.8:
            zs.remove(member)
            model.pop(member, None)
        else:
            i = rnd.randrange(len(zs) + 1)
            for _, m in zs.delete_positions(i, i + rnd.randrange(5)):
                del model[m]
        if step % 100 == 0:
            _model_check(zs, model)
            if zs.listpack:
                assert len(zs) <= ZSET_MAX_LISTPACK_ENTRIES
    _model_check(zs, model)
    copy = ZSet.load_state(zs.dump_state())
    _model_check(copy, model)
    assert copy.listpack == zs.listpack


def test_ranges_against_a_naive_model() -> None:
    rnd = random.Random(11)
    zs = ZSet()
    for i in range(200):
        zs.add(f"k{i:03d}".encode(), float(rnd.randrange(20)))
    pairs = list(zs.sl)
    for _ in range(300):
        lo, hi = sorted(rnd.randrange(-2, 22) + rnd.choice([0, 0.5]) for _ in range(2))
        lo_ex, hi_ex = rnd.random() < 0.5, rnd.random() < 0.5
        i, j = zs.score_range(lo, lo_ex, hi, hi_ex)
        expected = [p for p in pairs if (p[0] > lo if lo_ex else p[0] >= lo) and (p[0] < hi if hi_ex else p[0] <= hi)]
        assert pairs[i:j] == expected
    same = ZSet()
    for i in range(150):
        same.add(f"w{i:03d}".encode(), 3.0)
    from kvengine.t_zset import parse_lex_range

    members = [m for _, m in same.sl]
    for _ in range(200):
        a, b = (rnd.choice([b"-", b"+", b"[w", b"(w"]) + (f"{rnd.randrange(160):03d}".encode()
                if rnd.random() < 0.8 else b"") for _ in range(2))
        a = a if a[:1] in b"[(" or len(a) == 1 else a[:1]
        b = b if b[:1] in b"[(" or len(b) == 1 else b[:1]
        lo_b, hi_b = parse_lex_range(a, b)
        i, j = same.lex_range(lo_b, hi_b)

        def above(m: bytes, bound: Any = lo_b) -> bool:
            kind, value, ex = bound
            return kind < 0 if kind else (m > value if ex else m >= value)

        def below(m: bytes, bound: Any = hi_b) -> bool:
            kind, value, ex = bound
            return kind > 0 if kind else (m < value if ex else m <= value)

        assert members[i:j] == [m for m in members if above(m) and below(m)], (a, b)
