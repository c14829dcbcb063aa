"""Hash commands against a real redis-server."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CASES = {
    "hset-hget": [("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "3", "c", "4"), ("HGET", "h", "a"),
                  ("HGET", "h", "zz"), ("HGET", "missing", "a"), ("HMGET", "h", "a", "zz", "c"),
                  ("HMGET", "missing", "a", "b"), ("HLEN", "h"), ("HLEN", "missing"), ("HSTRLEN", "h", "a"),
                  ("HSTRLEN", "h", "zz"), ("HEXISTS", "h", "a"), ("HEXISTS", "h", "zz"),
                  ("HMSET", "h", "d", "5"), ("HSETNX", "h", "d", "6"), ("HSETNX", "h", "e", "7"),
                  ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"), ("HGETALL", "missing")],
    "hdel-empties": [("HSET", "h", "a", "1", "b", "2"), ("HDEL", "h", "a", "zz", "a"), ("EXISTS", "h"),
                     ("HDEL", "h", "b"), ("EXISTS", "h"), ("HDEL", "h", "b"), ("TYPE", "h")],
    "hincrby": [("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-10"), ("HGET", "h", "n"),
                ("HSET", "h", "big", "9223372036854775807"), ("HINCRBYFLOAT", "h", "f", "10.5"),
                ("HINCRBYFLOAT", "h", "f", "0.1"), ("HINCRBYFLOAT", "h", "n", "1e2"), ("HGET", "h", "n"),
                ("HINCRBYFLOAT", "h", "g", "3.0e3")],
    "encoding": [("HSET", "small", "a", "1"), ("OBJECT", "ENCODING", "small"),
                 ("HSET", "wide", "a", "x" * 65), ("OBJECT", "ENCODING", "wide"),
                 ("HDEL", "wide", "a"), ("HSET", "wide", "b", "1"), ("OBJECT", "ENCODING", "wide")],
    "type": [("HSET", "h", "a", "1"), ("TYPE", "h"), ("COPY", "h", "h2"), ("HGETALL", "h2"),
             ("RENAME", "h", "h3"), ("HGET", "h3", "a")],
}
SORTED = {"HGETALL_SKIP", "HKEYS", "HVALS"}

ERRORS = [
    ("wrong number of arguments", ("HSET", "h", "a")),
    ("wrong number of arguments", ("HSET", "h", "a", "1", "b")),
    ("wrong number of arguments", ("HMSET", "h", "a", "1", "b")),
    ("wrong number of arguments", ("HGET", "h")),
    ("wrong number of arguments", ("HDEL", "h")),
    ("not an integer", ("HINCRBY", "h", "a", "x")),
    ("hash value is not an integer", ("HINCRBY", "h", "s", "1")),
    ("would overflow", ("HINCRBY", "h", "big", "1")),
    ("not a valid float", ("HINCRBYFLOAT", "h", "a", "x")),
    ("hash value is not a float", ("HINCRBYFLOAT", "h", "s", "1")),
    ("syntax error", ("HRANDFIELD", "h", "1", "FOO")),
    ("syntax error", ("HRANDFIELD", "h", "1", "WITHVALUES", "x")),
    ("not an integer", ("HRANDFIELD", "h", "x")),
    ("invalid cursor", ("HSCAN", "h", "x")),
    ("syntax error", ("HSCAN", "h", "0", "TYPE", "hash")),
    ("syntax error", ("HSCAN", "h", "0", "COUNT", "0")),
    ("WRONGTYPE", ("HGET", "str", "a")),
    ("WRONGTYPE", ("HSET", "str", "a", "1")),
    ("WRONGTYPE", ("HGETALL", "str")),
    ("WRONGTYPE", ("HINCRBY", "str", "a", "1")),
    ("WRONGTYPE", ("GET", "h")),
    ("WRONGTYPE", ("INCR", "h")),
]


@pytest.mark.parametrize("name", list(CASES))
def test_sequences(both, name: str) -> None:
    for cmd in CASES[name]:
        if cmd[0] == "HGETALL":
            real, mine = both.raw(*cmd)
            assert dict(zip(mine[::2], mine[1::2])) == dict(zip(real[::2], real[1::2]))
            continue
        both.eq(*cmd, sort=cmd[0] in SORTED)


@pytest.mark.parametrize("fragment, cmd", ERRORS, ids=[" ".join(c) for _, c in ERRORS])
def test_errors(both, fragment: str, cmd: tuple[str, ...]) -> None:
    both.eq("HSET", "h", "a", "1", "s", "abc", "big", "9223372036854775807")
    both.eq("SET", "str", "v")
    both.error(fragment, *cmd)


def test_hincrbyfloat_rejects_infinity(both) -> None:
    both.eq("HSET", "h", "a", "1")
    real, mine = both.raw("HINCRBYFLOAT", "h", "a", "inf")
    assert mine == real


def test_hrandfield_shapes(both) -> None:
    both.eq("HSET", "h", "a", "1", "b", "2", "c", "3")
    fields = {b"a", b"b", b"c"}
    for side in both.raw("HRANDFIELD", "h"):
        assert side in fields
    for side in both.raw("HRANDFIELD", "h", "2"):
        assert len(side) == 2 and set(side) <= fields and len(set(side)) == 2
    for side in both.raw("HRANDFIELD", "h", "10"):
        assert sorted(side) == sorted(fields)
    for side in both.raw("HRANDFIELD", "h", "-5"):
        assert len(side) == 5 and set(side) <= fields
    for side in both.raw("HRANDFIELD", "h", "-2", "WITHVALUES"):
        assert len(side) == 4 and all(side[i + 1] == {b"a": b"1", b"b": b"2", b"c": b"3"}[side[i]]
                                      for i in range(0, 4, 2))
    both.eq("HRANDFIELD", "h", "0")
    both.eq("HRANDFIELD", "missing")
    both.eq("HRANDFIELD", "missing", "3")


@pytest.mark.parametrize("size", [5, 300])
def test_hscan_full_iteration(both, size: int) -> None:
    for i in range(size):
        both.eq("HSET", "h", f"f{i}", str(i))
    for args in [(), ("MATCH", "f1*"), ("COUNT", "3")]:
        results = []
        for side in range(2):
            cursor, seen = b"0", {}
            while True:
                reply = both.raw("HSCAN", "h", cursor, *args)[side]
                cursor, flat = reply
                seen.update(zip(flat[::2], flat[1::2]))
                if cursor == b"0":
                    break
            results.append(seen)
        assert results[0] == results[1]
    both.eq("HSCAN", "missing", "0")


FIELDS = st.sampled_from(["a", "b", "c"])
HVALUES = st.sampled_from(["0", "1", "-5", "x", "2.5", "9223372036854775807"])
HCOMMANDS = st.one_of(
    st.tuples(st.just("HSET"), st.sampled_from(["h", "g"]), FIELDS, HVALUES),
    st.tuples(st.sampled_from(["HGET", "HEXISTS", "HSTRLEN", "HDEL"]), st.sampled_from(["h", "g"]), FIELDS),
    st.tuples(st.sampled_from(["HLEN", "HKEYS", "HVALS", "EXISTS", "TYPE"]), st.sampled_from(["h", "g"])),
    st.tuples(st.just("HINCRBY"), st.sampled_from(["h", "g"]), FIELDS, st.sampled_from(["1", "-2", "x"])),
    st.tuples(st.just("HINCRBYFLOAT"), st.sampled_from(["h", "g"]), FIELDS, st.sampled_from(["0.5", "-1e2"])),
    st.tuples(st.just("HSETNX"), st.sampled_from(["h", "g"]), FIELDS, HVALUES),
    st.tuples(st.just("SET"), st.sampled_from(["h", "g"]), HVALUES),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=st.lists(HCOMMANDS, min_size=1, max_size=20))
def test_random_hash_programs(both, program) -> None:
    both.real.flushall()
    both.kv.flushall()
    for cmd in program:
        both.eq(*cmd, sort=cmd[0] in ("HKEYS", "HVALS"))
