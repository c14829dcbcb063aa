"""Compact encodings against a real redis-server: order, SCAN, DUMP/RESTORE, COPY."""

from __future__ import annotations

from typing import Any

import pytest

BINARY = "bin\x00\x01\x02\x10\x11\x12end"


def _own_roundtrip(both: Any, key: str, dest: str) -> None:
    """DUMP `key` and RESTORE it as `dest` on each server with its own payload."""
    payload = both.real.execute_command("DUMP", key)
    both.real.execute_command("RESTORE", dest, 0, payload)
    mine = both.kv._call([b"DUMP", key.encode()])
    both.kv._call([b"RESTORE", dest.encode(), b"0", mine])


def test_small_hash_keeps_insertion_order(both) -> None:
    both.eq("HSET", "h", "a", "1", "b", "2", "c", "3", BINARY, BINARY)
    both.eq("HDEL", "h", "a")
    both.eq("HSET", "h", "a", "9", "d", "4")
    both.eq("HSET", "h", "b", "22", BINARY, "\x02")  # updates stay in place
    both.eq("HINCRBY", "h", "c", "5")
    for cmd in ("HGETALL", "HKEYS", "HVALS"):
        both.eq(cmd, "h")  # exact: a listpack's order is deterministic
    both.eq("HSCAN", "h", "0", "COUNT", "1")  # the whole listpack at once, cursor 0
    both.eq("HSCAN", "h", "0", "MATCH", "b*")
    for field in (BINARY, "bin", "\x00", "a", "missing"):
        both.eq("HGET", "h", field)
        both.eq("HEXISTS", "h", field)
        both.eq("HSTRLEN", "h", field)
    both.eq("HMGET", "h", "d", BINARY, "nope")
    both.eq("HLEN", "h")
    both.eq("OBJECT", "ENCODING", "h")
    both.eq("COPY", "h", "h2")
    both.eq("HSET", "h2", "e", "5")
    both.eq("HGETALL", "h")
    both.eq("HGETALL", "h2")


@pytest.mark.parametrize("fields", [512, 513])
def test_hash_listpack_holds_512_entries(both, fields: int) -> None:
    """hash-max-listpack-entries is 512 in Redis 7.0 (zset-max-listpack-entries is 128)."""
    both.eq("HSET", "h", *[x for i in range(fields - 1) for x in (f"f{i}", "v")])
    both.eq("HSET", "h", "last", "v")
    both.eq("OBJECT", "ENCODING", "h")
    both.eq("HGET", "h", "f7")
    both.eq("HDEL", "h", "last", "f0")
    both.eq("OBJECT", "ENCODING", "h")  # one-way


def test_small_zset_order_and_scan(both) -> None:
    both.eq("ZADD", "z", "2", "b", "1", BINARY, "1", "a", "-0", "zero", "inf", "top", "2", "\x00")
    both.eq("ZADD", "z", "1.5", "b")  # a score change moves the member
    both.eq("ZRANGE", "z", "0", "-1", "WITHSCORES")
    both.eq("ZSCAN", "z", "0", "COUNT", "1")
    for member in (BINARY, "\x00", "zero", "top", "missing"):
        both.eq("ZSCORE", "z", member)
        both.eq("ZRANK", "z", member)
    both.eq("ZMSCORE", "z", "a", "b", "missing")
    both.eq("ZRANGEBYSCORE", "z", "(1", "+inf", "WITHSCORES")
    both.eq("ZREMRANGEBYRANK", "z", "1", "2")
    both.eq("ZRANGE", "z", "0", "-1", "WITHSCORES")
    both.eq("ZPOPMIN", "z")
    both.eq("ZPOPMAX", "z")
    both.eq("ZRANGE", "z", "0", "-1", "WITHSCORES")
    both.eq("OBJECT", "ENCODING", "z")


def test_intset_scan_is_whole_and_ascending(both) -> None:
    both.eq("SADD", "s", "10", "-3", "7", "0", "1000000")
    both.eq("SSCAN", "s", "0", "COUNT", "1")
    both.eq("SMEMBERS", "s")


@pytest.mark.parametrize("kind", ["zset-sorted", "hash-shrunk", "intset-shrunk", "zset-shrunk", "strings-set"])
def test_restore_picks_the_encoding_from_the_contents(both, kind: str) -> None:
    """Redis's RDB loading encodes a value afresh: a small sorted set that SORT made a
    skiplist, or a shrunk hash / set, comes back compact from DUMP/RESTORE."""
    if kind == "zset-sorted":
        both.eq("ZADD", "k", "1", "b", "2", "a", "0", "c")
        both.eq("SORT", "k", "BY", "nosort")
    elif kind == "hash-shrunk":
        both.eq("HSET", "k", *[x for i in range(600) for x in (f"f{i}", str(i))])
        both.eq("HDEL", "k", *[f"f{i}" for i in range(5, 600)])
    elif kind == "intset-shrunk":
        both.eq("SADD", "k", *[str(i) for i in range(600)])
        both.eq("SREM", "k", *[str(i) for i in range(5, 600)])
    elif kind == "zset-shrunk":
        both.eq("ZADD", "k", *[x for i in range(200) for x in (str(i), f"m{i}")])
        both.eq("ZREMRANGEBYRANK", "k", "5", "-1")
    else:
        both.eq("SADD", "k", "a", "b", "1")
    both.eq("OBJECT", "ENCODING", "k")
    _own_roundtrip(both, "k", "r")
    both.eq("OBJECT", "ENCODING", "r")
    both.eq("TYPE", "r")
    if kind.startswith("zset"):
        both.eq("ZRANGE", "r", "0", "-1", "WITHSCORES")
    elif kind.startswith("hash"):
        both.eq("HGETALL", "r", sort=True)  # the source was a hashtable: its order is its own
        both.eq("HGET", "r", "f3")
    else:
        both.eq("SMEMBERS", "r", sort=True)
