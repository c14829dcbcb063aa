"""Generic key and server commands against a real redis-server."""

from __future__ import annotations

import pytest

CASES = {
    "del-exists": [("MSET", "a", "1", "b", "2"), ("EXISTS", "a", "b", "c", "a"), ("DEL", "a", "c"),
                   ("UNLINK", "b", "b"), ("EXISTS", "a", "b"), ("DEL", "nothing")],
    "type": [("SET", "s", "v"), ("TYPE", "s"), ("TYPE", "missing")],
    "rename": [("SET", "a", "1"), ("EXPIRE", "a", "100"), ("RENAME", "a", "b"), ("TTL", "b"), ("EXISTS", "a"),
               ("SET", "c", "3"), ("RENAME", "b", "c"), ("GET", "c"), ("RENAME", "c", "c"), ("GET", "c"),
               ("RENAMENX", "c", "d"), ("SET", "e", "5"), ("RENAMENX", "d", "e"), ("RENAMENX", "d", "d")],
    "copy": [("SET", "a", "1"), ("PEXPIRE", "a", "100000"), ("COPY", "a", "b"), ("GET", "b"), ("PTTL_SKIP",),
             ("COPY", "a", "b"), ("SET", "a", "2"), ("COPY", "a", "b", "REPLACE"), ("GET", "b"),
             ("COPY", "a", "b", "DB", "1"), ("SELECT", "1"), ("GET", "b"), ("SELECT", "0"),
             ("COPY", "missing", "x"), ("COPY", "a", "a", "DB", "1"), ("copy", "a", "z", "replace", "db", "0")],
    "move": [("SET", "a", "1"), ("MOVE", "a", "1"), ("EXISTS", "a"), ("SELECT", "1"), ("GET", "a"),
             ("SET", "b", "x"), ("SELECT", "0"), ("SET", "b", "y"), ("MOVE", "b", "1"), ("GET", "b"),
             ("MOVE", "missing", "1")],
    "touch": [("MSET", "a", "1", "b", "2"), ("TOUCH", "a", "b", "c")],
    "dbsize-flush": [("MSET", "a", "1", "b", "2"), ("DBSIZE",), ("SELECT", "3"), ("SET", "c", "1"),
                     ("FLUSHDB",), ("DBSIZE",), ("SELECT", "0"), ("DBSIZE",), ("FLUSHALL", "SYNC"),
                     ("DBSIZE",), ("FLUSHDB", "async")],
    "swapdb": [("SET", "a", "0"), ("SELECT", "1"), ("SET", "b", "1"), ("SWAPDB", "0", "1"), ("GET", "a"),
               ("GET", "b"), ("SELECT", "0"), ("GET", "b"), ("SWAPDB", "0", "0")],
    "keys-glob": [("MSET", "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeeello", "1", "h*llo", "1",
                   "a[b", "1", "x\\y", "1"),
                  ("KEYS", "h?llo"), ("KEYS", "h*llo"), ("KEYS", "h[ae]llo"), ("KEYS", "h[^e]llo"),
                  ("KEYS", "h[a-b]llo"), ("KEYS", "h[b-a]llo"), ("KEYS", "h\\*llo"), ("KEYS", "*"),
                  ("KEYS", "a[b"), ("KEYS", "a["), ("KEYS", "a[\\b]"), ("KEYS", "*[*"), ("KEYS", "x\\\\y"),
                  ("KEYS", "h[a-]llo"), ("KEYS", "**llo*"), ("KEYS", "nothing*")],
    "object": [("SET", "i", "12345"), ("SET", "e", "hello"), ("SET", "r", "x" * 45), ("SET", "n", "-0"),
               ("SET", "big", "12345678901234567890"),
               ("OBJECT", "ENCODING", "i"), ("OBJECT", "ENCODING", "e"), ("OBJECT", "ENCODING", "r"),
               ("OBJECT", "ENCODING", "n"), ("OBJECT", "ENCODING", "big"), ("OBJECT", "ENCODING", "missing"),
               ("OBJECT", "REFCOUNT", "e"), ("OBJECT", "REFCOUNT", "missing"), ("OBJECT", "HELP"),
               ("object", "encoding", "i")],
    "echo-ping": [("PING",), ("PING", "hello"), ("ECHO", "x"), ("ECHO", "")],
}

SORTED = {"KEYS"}

ERRORS = [
    ("no such key", ("RENAME", "missing", "x")),
    ("no such key", ("RENAMENX", "missing", "missing")),
    ("source and destination objects are the same", ("COPY", "a", "a")),
    ("syntax error", ("COPY", "a", "b", "FOO")),
    ("syntax error", ("COPY", "a", "b", "DB")),
    ("DB index is out of range", ("COPY", "a", "b", "DB", "16")),
    ("not an integer", ("COPY", "a", "b", "DB", "x")),
    ("source and destination objects are the same", ("MOVE", "a", "0")),
    ("DB index is out of range", ("MOVE", "a", "99")),
    ("not an integer", ("MOVE", "a", "x")),
    ("not an integer", ("SELECT", "x")),
    ("DB index is out of range", ("SELECT", "16")),
    ("DB index is out of range", ("SELECT", "-1")),
    ("invalid first DB index", ("SWAPDB", "x", "1")),
    ("invalid second DB index", ("SWAPDB", "1", "y")),
    ("DB index is out of range", ("SWAPDB", "0", "99")),
    ("syntax error", ("FLUSHDB", "NOW")),
    ("syntax error", ("FLUSHALL", "ASYNC", "SYNC")),
    ("wrong number of arguments", ("PING", "a", "b")),
    ("wrong number of arguments", ("ECHO",)),
    ("wrong number of arguments", ("DEL",)),
    ("wrong number of arguments", ("EXISTS",)),
    ("wrong number of arguments", ("KEYS",)),
    ("wrong number of arguments", ("DBSIZE", "x")),
    ("wrong number of arguments", ("OBJECT",)),
    ("wrong number of arguments", ("OBJECT", "ENCODING")),
    ("unknown subcommand", ("OBJECT", "FOO", "k")),
    ("An LFU maxmemory policy is not selected", ("OBJECT", "FREQ", "k")),
    ("invalid cursor", ("SCAN", "abc")),
    ("invalid cursor", ("SCAN", "1.5")),
    ("syntax error", ("SCAN", "0", "COUNT", "0")),
    ("not an integer", ("SCAN", "0", "COUNT", "x")),
    ("syntax error", ("SCAN", "0", "FOO", "1")),
    ("syntax error", ("SCAN", "0", "MATCH")),
    ("wrong number of arguments", ("RANDOMKEY", "x")),
]


@pytest.mark.parametrize("name", list(CASES))
def test_sequences(both, name: str) -> None:
    for cmd in CASES[name]:
        if cmd == ("PTTL_SKIP",):
            both.approx("PTTL", "b", tolerance=50)
            continue
        both.eq(*cmd, sort=cmd[0].upper() in SORTED)


@pytest.mark.parametrize("fragment, cmd", ERRORS, ids=[" ".join(c) for _, c in ERRORS])
def test_errors(both, fragment: str, cmd: tuple[str, ...]) -> None:
    both.eq("SET", "k", "v")
    both.error(fragment, *cmd)


def test_object_idletime_under_lru(both) -> None:
    both.eq("SET", "k", "v")
    both.eq("OBJECT", "IDLETIME", "k")
    both.eq("OBJECT", "IDLETIME", "missing")
    both.eq("OBJECT", "FREQ", "missing")


def test_scan_full_iteration(both) -> None:
    for i in range(200):
        both.eq("SET", f"key:{i}", "v")
        if i % 3 == 0:
            both.eq("SET", f"other:{i}", "v")
    for args in [(), ("MATCH", "key:1*"), ("COUNT", "7"), ("MATCH", "other:*", "COUNT", "1000"),
                 ("TYPE", "string"), ("TYPE", "hash"), ("TYPE", "nonsense")]:
        found = {}
        for side, client in (("real", both.real), ("kv", both.kv)):
            cursor, keys = b"0", set()
            while True:
                if side == "real":
                    reply = client.execute_command("SCAN", cursor, *args)
                else:
                    reply = client._call([b"SCAN", cursor, *[a.encode() for a in args]])
                cursor = reply[0]
                keys.update(reply[1])
                if cursor == b"0":
                    break
            found[side] = keys
        assert found["kv"] == found["real"], args


def test_randomkey(both) -> None:
    both.eq("RANDOMKEY")
    both.eq("SET", "only", "1")
    both.eq("RANDOMKEY")


def test_dump_restore_round_trip(both) -> None:
    kv = both.kv
    kv.set("k", "v", ex=100)
    payload = kv.dump("k")
    assert payload is not None and kv.dump("missing") is None
    assert kv.restore("copy", 0, payload) == b"OK"
    assert kv.get("copy") == b"v" and kv.ttl("copy") == -1
    with pytest.raises(Exception, match=r"BUSYKEY Target key name already exists\."):
        kv.restore("copy", 0, payload)
    kv.restore("copy", 5000, payload, replace=True)
    assert 0 < kv.pttl("copy") <= 5000
    with pytest.raises(Exception, match="DUMP payload version or checksum are wrong"):
        kv.restore("bad", 0, payload[:-1] + bytes([payload[-1] ^ 1]))


def test_restore_errors_match_redis(both) -> None:
    # Error checks that come before the payload is decoded give Redis's texts.
    both.eq("SET", "k", "v")
    both.error("BUSYKEY", "RESTORE", "k", "0", "whatever")
    both.error("Invalid TTL value", "RESTORE", "new", "-1", "whatever")
    both.error("syntax error", "RESTORE", "new", "0", "whatever", "FOO")
    both.error("Invalid IDLETIME value", "RESTORE", "new", "0", "whatever", "IDLETIME", "-1")
    both.error("Invalid FREQ value", "RESTORE", "new", "0", "whatever", "FREQ", "256")
    both.error("DUMP payload version or checksum are wrong", "RESTORE", "new", "0", "whatever")


def test_time_shape(both) -> None:
    real, mine = both.raw("TIME")
    assert len(real) == len(mine) == 2
    assert all(isinstance(x, bytes) and x.isdigit() for x in real + mine)
    assert abs(int(real[0]) - int(mine[0])) <= 2
    both.error("wrong number of arguments", "TIME", "x")
