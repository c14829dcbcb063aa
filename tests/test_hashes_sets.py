"""Hashes and sets through the redis-py-shaped API, plus their encodings and sizes."""

from __future__ import annotations

import pytest

from kvengine import DataError, Engine, ResponseError
from kvengine.t_hash import HASH_MAX_LISTPACK_ENTRIES, Hash
from kvengine.t_set import SET_MAX_INTSET_ENTRIES, Set


def test_hash_api_shapes(kv: Engine) -> None:
    assert kv.hset("h", "a", 1) == 1
    assert kv.hset("h", mapping={"b": 2, "c": 3}, items=["d", 4]) == 3
    assert kv.hgetall("h") == {b"a": b"1", b"b": b"2", b"c": b"3", b"d": b"4"}
    assert kv.hgetall("missing") == {}
    assert kv.hmget("h", ["a", "x"]) == [b"1", None]
    assert kv.hexists("h", "a") is True
    assert kv.hincrby("h", "a", 5) == 6
    assert kv.hincrbyfloat("h", "f", 0.5) == 0.5
    assert kv.hmset("h", {"e": 5}) is True
    assert kv.hdel("h", "a", "nope") == 1
    assert sorted(kv.hkeys("h")) == [b"b", b"c", b"d", b"e", b"f"]
    assert dict(kv.hscan_iter("h", match="[bc]")) == {b"b": b"2", b"c": b"3"}
    assert kv.hscan("h", no_values=True)[1] == kv.hkeys("h")
    with pytest.raises(DataError):
        kv.hset("h")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        kv.sadd("h", "x")


def test_set_api_shapes(kv: Engine) -> None:
    assert kv.sadd("s", 1, 2, 3) == 3
    assert kv.smembers("s") == {b"1", b"2", b"3"}
    assert kv.smembers("missing") == set()
    assert kv.sismember("s", 1) == 1
    assert kv.smismember("s", [1, 9]) == [1, 0]
    assert kv.sadd("t", 3, 4) == 2
    assert kv.sinter(["s", "t"]) == {b"3"}
    assert kv.sunion("s", "t") == {b"1", b"2", b"3", b"4"}
    assert kv.sdiff("s", "t") == {b"1", b"2"}
    assert kv.sintercard(2, ["s", "t"]) == 1
    assert kv.smove("s", "t", 1) is True
    assert kv.spop("missing") is None
    popped = kv.spop("s", 5)
    assert sorted(popped) == [b"2", b"3"]
    assert kv.exists("s") == 0
    assert sorted(kv.sscan_iter("t")) == [b"1", b"3", b"4"]


def test_encodings_convert_one_way(kv: Engine) -> None:
    for i in range(HASH_MAX_LISTPACK_ENTRIES):
        kv.hset("h", f"f{i}", i)
    assert kv.object("encoding", "h") == b"listpack"
    kv.hset("h", "one-more", 1)
    assert kv.object("encoding", "h") == b"hashtable"
    kv.hdel("h", "one-more", "f0", "f1")
    assert kv.object("encoding", "h") == b"hashtable"
    kv.sadd("s", *range(SET_MAX_INTSET_ENTRIES))
    assert kv.object("encoding", "s") == b"intset"
    kv.sadd("s", SET_MAX_INTSET_ENTRIES)
    assert kv.object("encoding", "s") == b"hashtable"


def test_size_model_is_incremental_and_exact() -> None:
    h = Hash()
    base = h.mem
    h.set(b"field", b"value")
    h.set(b"field", b"longer value")
    h.set(b"other", b"x")
    h.delete(b"other")
    assert h.mem > base
    fresh = Hash()  # the same contents built directly cost the same
    fresh.set(b"field", b"longer value")
    assert h.mem == fresh.mem
    s = Set.of([b"a", b"bb"])
    s.remove(b"a")
    assert s.mem == Set.of([b"bb"]).mem


def test_containers_survive_dump_restore_and_copy(kv: Engine) -> None:
    kv.hset("h", mapping={"a": 1})
    kv.sadd("s", "x", "y")
    for key in ("h", "s"):
        kv.restore(f"{key}2", 0, kv.dump(key))
        assert kv.copy(key, f"{key}3")
    assert kv.hgetall("h2") == kv.hgetall("h3") == {b"a": b"1"}
    assert kv.smembers("s2") == kv.smembers("s3") == {b"x", b"y"}
    kv.sadd("s3", "z")
    assert kv.smembers("s") == {b"x", b"y"}  # COPY is deep


def test_spop_is_logged_as_srem(kv: Engine) -> None:
    srv = kv.server
    logged: list[tuple[int, list[bytes]]] = []
    srv.feeding = True
    srv.flush_feed = lambda: (logged.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    kv.sadd("s", "a", "b", "c")
    popped = kv.spop("s")
    kv.hincrbyfloat("h", "f", "1.5")
    assert logged[1] == (0, [b"SREM", b"s", popped])
    assert logged[2] == (0, [b"HSET", b"h", b"f", b"1.5"])
