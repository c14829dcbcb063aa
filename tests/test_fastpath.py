"""Engine.get/Engine.set take an inlined fast path; it must behave like the general one."""

from __future__ import annotations

import pytest

import kvengine
from kvengine import Engine, ManualClock, ResponseError


def both_ways(kv: Engine, *args: object) -> tuple[object, object]:
    """(typed method result, execute_command result) for GET or SET."""
    name = str(args[0]).upper()
    method = kv.get if name == "GET" else kv.set
    results = []
    for run in (lambda: method(*args[1:]), lambda: kv.execute_command(*args)):
        try:
            results.append(run())
        except ResponseError as exc:
            results.append((type(exc), str(exc)))
    return results[0], results[1]


def test_get_and_set_agree_with_the_general_path(kv: Engine, clock: ManualClock) -> None:
    fast, slow = both_ways(kv, "SET", "k", "v")
    assert fast is True and slow is True
    assert both_ways(kv, "GET", "k") == (b"v", b"v")
    assert both_ways(kv, "GET", "missing") == (None, None)
    kv.setbit("bits", 1, 1)
    kv.set("k", "v", px=10)
    clock.advance(ms=10)
    assert both_ways(kv, "GET", "k") == (None, None)
    assert kv.server.stats.expired_keys == 1
    hits, misses = kv.server.keyspace_hits, kv.server.keyspace_misses
    kv.get("bits")
    kv.get("nope")
    assert (kv.server.keyspace_hits, kv.server.keyspace_misses) == (hits + 1, misses + 1)


def test_wrongtype_and_decode(kv: Engine) -> None:
    kv.execute_command("SET", "s", "é")
    text = kv.client(decode_responses=True)
    assert text.get("s") == "é" == text.execute_command("GET", "s")
    calls = kv.server.dbs[0]
    assert calls.hits >= 2


def test_fast_set_logs_and_signals_like_the_general_path() -> None:
    kv = Engine(clock=ManualClock(1000), active_expire=False)
    srv = kv.server
    logged: list[tuple[int, list[bytes]]] = []
    srv.feeding = True
    srv.flush_feed = lambda: (logged.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    kv.set("a", "1")
    kv.execute_command("SET", "b", "2")
    kv.client(db=3).set("c", "3")
    assert logged == [(0, [b"SET", b"a", b"1"]), (0, [b"SET", b"b", b"2"]), (3, [b"SET", b"c", b"3"])]
    assert srv.dirty == 3
    watcher = kv.client()
    srv.watched[(0, b"a")] = {watcher}
    kv.set("a", "x")
    assert watcher.watch_dirty


def test_commandstats_count_both_paths(kv: Engine) -> None:
    from kvengine.commands import TABLE

    before_get, before_set = TABLE[b"get"].calls, TABLE[b"set"].calls
    kv.set("k", "v")
    kv.get("k")
    kv.execute_command("GET", "k")
    assert TABLE[b"get"].calls == before_get + 2
    assert TABLE[b"set"].calls == before_set + 1


def test_closed_engine(kv: Engine) -> None:
    kv.close()
    with pytest.raises(kvengine.ConnectionError):
        kv.get("k")
    with pytest.raises(kvengine.ConnectionError):
        kv.set("k", "v")


def test_fast_set_signals_watch_and_dirty_like_the_general_path(kv: Engine) -> None:
    dirty = kv.server.dirty
    kv.set("plain", "v")  # no watcher, no waiter: the shortest path
    assert kv.server.dirty == dirty + 1
    pipe = kv.pipeline()
    pipe.watch("w")
    kv.set("w", "changed")  # the fast path must still invalidate the watcher
    pipe.multi()
    pipe.get("w")
    with pytest.raises(kvengine.WatchError):
        pipe.execute()


def test_fast_get_expires_and_logs_del(clock: ManualClock) -> None:
    kv = Engine(clock=clock, active_expire=False)
    fed: list = []
    srv = kv.server
    srv.feeding = True
    srv.flush_feed = lambda: (fed.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    kv.set("k", "v", px=5)
    fed.clear()
    clock.advance(ms=5)
    assert kv.get("k") is None
    assert [op for _, op in fed] == [[b"DEL", b"k"]]


# -- HGET and ZSCORE take the same kind of inlined path (ApiBase._read_container) ------------
def _hget_zscore_both_ways(kv: Engine, name: str, *args: object) -> tuple[object, object]:
    method = kv.hget if name == "HGET" else kv.zscore
    results = []
    for run in (lambda: method(*args), lambda: kv.execute_command(name, *args)):
        try:
            results.append(run())
        except ResponseError as exc:
            results.append((type(exc), str(exc)))
    return results[0], results[1]


@pytest.mark.parametrize("convert", [False, True], ids=["listpack", "hashtable"])
def test_hget_and_zscore_agree_with_the_general_path(kv: Engine, clock: ManualClock, convert: bool) -> None:
    kv.hset("h", mapping={"f": "v", "bin\x00\x01\x02": "\x02\x00"})
    kv.zadd("z", {"a": -0.0, "b": 1.5, "c": float("inf")})
    kv.set("s", "x")
    if convert:
        for key in ("h", "z"):
            kv.server.dbs[0].table.lookup(key.encode(), clock()).convert()
    for name, key, arg in [("HGET", "h", "f"), ("HGET", "h", "bin\x00\x01\x02"), ("HGET", "h", "nope"),
                           ("HGET", "missing", "f"), ("HGET", "s", "f"), ("ZSCORE", "z", "a"),
                           ("ZSCORE", "z", "b"), ("ZSCORE", "z", "c"), ("ZSCORE", "z", "nope"),
                           ("ZSCORE", "missing", "a"), ("ZSCORE", "s", "a")]:
        fast, slow = _hget_zscore_both_ways(kv, name, key, arg)
        assert fast == slow and type(fast) is type(slow), (name, key, arg, fast, slow)
        if type(fast) is float:
            assert str(fast) == str(slow)  # -0.0 stays -0.0 where the general path says so
    assert kv.hget("h", "bin\x00\x01\x02") == b"\x02\x00"
    text = kv.client(decode_responses=True)
    assert text.hget("h", "f") == "v" == text.execute_command("HGET", "h", "f")
    assert text.zscore("z", "b") == 1.5
    kv.hset("t", "f", "v")
    kv.pexpire("t", 5)
    clock.advance(ms=5)
    misses = kv.server.keyspace_misses
    assert kv.hget("t", "f") is None
    assert kv.server.stats.expired_keys == 1 and kv.server.keyspace_misses == misses + 1


def test_hget_and_zscore_count_calls_queue_in_multi_and_refuse_when_closed(kv: Engine) -> None:
    from kvengine.commands import TABLE

    kv.hset("h", "f", "v")
    kv.zadd("z", {"m": 2})
    calls = TABLE[b"hget"].calls, TABLE[b"zscore"].calls
    hits = kv.server.keyspace_hits
    assert kv.hget("h", "f") == b"v" and kv.zscore("z", "m") == 2.0
    assert (TABLE[b"hget"].calls, TABLE[b"zscore"].calls) == (calls[0] + 1, calls[1] + 1)
    assert kv.server.keyspace_hits == hits + 2
    pipe = kv.pipeline()
    pipe.hget("h", "f")
    pipe.zscore("z", "m")
    assert pipe.execute() == [b"v", 2.0]
    kv.close()
    with pytest.raises(kvengine.ConnectionError):
        kv.hget("h", "f")
    with pytest.raises(kvengine.ConnectionError):
        kv.zscore("z", "m")
