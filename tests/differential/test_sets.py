"""Set commands against a real redis-server."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CASES = {
    "basics": [("SADD", "s", "a", "b", "a"), ("SADD", "s", "c"), ("SCARD", "s"), ("SISMEMBER", "s", "a"),
               ("SISMEMBER", "s", "z"), ("SMISMEMBER", "s", "a", "z", "c"), ("SMISMEMBER", "missing", "a"),
               ("SMEMBERS", "s"), ("SMEMBERS", "missing"), ("SCARD", "missing"), ("SREM", "s", "a", "z"),
               ("SREM", "s", "b", "c"), ("EXISTS", "s"), ("SREM", "missing", "a")],
    "smove": [("SADD", "a", "1", "2"), ("SMOVE", "a", "b", "1"), ("SMOVE", "a", "b", "9"), ("SMEMBERS", "b"),
              ("SMOVE", "a", "b", "2"), ("EXISTS", "a"), ("SMOVE", "b", "b", "1"), ("SMOVE", "b", "b", "7"),
              ("SMOVE", "missing", "b", "1")],
    "algebra": [("SADD", "a", "1", "2", "3", "x"), ("SADD", "b", "2", "3", "4"), ("SADD", "c", "3", "x"),
                ("SINTER", "a", "b"), ("SINTER", "a", "b", "c"), ("SINTER", "a", "missing"), ("SUNION", "a", "b"),
                ("SUNION", "missing", "c"), ("SDIFF", "a", "b"), ("SDIFF", "a", "b", "c"), ("SDIFF", "missing", "a"),
                ("SINTERCARD", "2", "a", "b"), ("SINTERCARD", "2", "a", "b", "LIMIT", "1"),
                ("SINTERCARD", "1", "a", "LIMIT", "0"), ("SINTERCARD", "2", "a", "missing"),
                ("SINTERSTORE", "d", "a", "b"), ("SMEMBERS", "d"), ("SUNIONSTORE", "d", "a", "c"), ("SCARD", "d"),
                ("SDIFFSTORE", "d", "a", "a"), ("EXISTS", "d"), ("SET", "str", "v"), ("SUNIONSTORE", "str", "a"),
                ("TYPE", "str"), ("SINTERSTORE", "a", "a", "b"), ("SMEMBERS", "a")],
    "encoding": [("SADD", "i", "1", "2", "-3"), ("OBJECT", "ENCODING", "i"), ("SADD", "i", "x"),
                 ("OBJECT", "ENCODING", "i"), ("SREM", "i", "x"), ("OBJECT", "ENCODING", "i"),
                 ("SADD", "z", "01"), ("OBJECT", "ENCODING", "z"), ("SADD", "h", "abc"), ("OBJECT", "ENCODING", "h")],
    "spop-srandmember-edges": [("SPOP", "missing"), ("SPOP", "missing", "3"), ("SRANDMEMBER", "missing"),
                               ("SRANDMEMBER", "missing", "5"), ("SADD", "s", "only"), ("SPOP", "s"),
                               ("EXISTS", "s"), ("SADD", "s", "a"), ("SPOP", "s", "0"), ("SRANDMEMBER", "s", "0"),
                               ("SRANDMEMBER", "s", "-3"), ("SPOP", "s", "5"), ("EXISTS", "s")],
}
SORTED = {"SMEMBERS", "SINTER", "SUNION", "SDIFF"}

ERRORS = [
    ("wrong number of arguments", ("SADD", "s")),
    ("wrong number of arguments", ("SREM", "s")),
    ("wrong number of arguments", ("SMOVE", "a", "b")),
    ("syntax error", ("SPOP", "s", "1", "2")),
    ("value is out of range", ("SPOP", "s", "-1")),
    ("value is out of range", ("SPOP", "s", "x")),
    ("not an integer", ("SRANDMEMBER", "s", "x")),
    ("syntax error", ("SRANDMEMBER", "s", "1", "2")),
    ("numkeys should be greater than 0", ("SINTERCARD", "0", "s")),
    ("numkeys should be greater than 0", ("SINTERCARD", "x", "s")),
    ("Number of keys can't be greater than number of args", ("SINTERCARD", "3", "s")),
    ("LIMIT can't be negative", ("SINTERCARD", "1", "s", "LIMIT", "-1")),
    ("syntax error", ("SINTERCARD", "1", "s", "FOO", "1")),
    ("invalid cursor", ("SSCAN", "s", "x")),
    ("WRONGTYPE", ("SADD", "str", "a")),
    ("WRONGTYPE", ("SMEMBERS", "str")),
    ("WRONGTYPE", ("SINTER", "s", "str")),
    ("WRONGTYPE", ("SUNIONSTORE", "d", "str")),
    ("WRONGTYPE", ("SMOVE", "str", "s", "a")),
    ("WRONGTYPE", ("SMOVE", "s", "str", "a")),
    ("WRONGTYPE", ("SISMEMBER", "str", "a")),
]


@pytest.mark.parametrize("name", list(CASES))
def test_sequences(both, name: str) -> None:
    for cmd in CASES[name]:
        both.eq(*cmd, sort=cmd[0] in SORTED)


@pytest.mark.parametrize("fragment, cmd", ERRORS, ids=[" ".join(c) for _, c in ERRORS])
def test_errors(both, fragment: str, cmd: tuple[str, ...]) -> None:
    both.eq("SADD", "s", "a", "b")
    both.eq("SET", "str", "v")
    both.error(fragment, *cmd)


def test_random_members(both) -> None:
    both.eq("SADD", "s", *[str(i) for i in range(10)])
    members = {str(i).encode() for i in range(10)}
    for side in both.raw("SRANDMEMBER", "s"):
        assert side in members
    for side in both.raw("SRANDMEMBER", "s", "4"):
        assert len(set(side)) == 4 and set(side) <= members
    for side in both.raw("SRANDMEMBER", "s", "-20"):
        assert len(side) == 20 and set(side) <= members
    popped = both.raw("SPOP", "s", "3")
    assert all(len(set(p)) == 3 for p in popped)
    both.eq("SCARD", "s")


@pytest.mark.parametrize("size", [5, 600])
def test_sscan_full_iteration(both, size: int) -> None:
    both.eq("SADD", "s", *[f"m{i}" if size > 512 else str(i) for i in range(size)])
    for args in [(), ("MATCH", "*1*"), ("COUNT", "3")]:
        results = []
        for side in range(2):
            cursor, seen = b"0", set()
            while True:
                cursor, members = both.raw("SSCAN", "s", cursor, *args)[side]
                seen.update(members)
                if cursor == b"0":
                    break
            results.append(seen)
        assert results[0] == results[1]


SKEYS = st.sampled_from(["a", "b", "c"])
MEMBERS = st.sampled_from(["1", "2", "3", "x", "y"])
SCOMMANDS = st.one_of(
    st.tuples(st.sampled_from(["SADD", "SREM", "SISMEMBER"]), SKEYS, MEMBERS),
    st.tuples(st.sampled_from(["SCARD", "SMEMBERS", "EXISTS", "TYPE"]), SKEYS),
    st.tuples(st.sampled_from(["SINTER", "SUNION", "SDIFF"]), SKEYS, SKEYS),
    st.tuples(st.sampled_from(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), SKEYS, SKEYS, SKEYS),
    st.tuples(st.just("SMOVE"), SKEYS, SKEYS, MEMBERS),
    st.tuples(st.just("SET"), SKEYS, MEMBERS),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=st.lists(SCOMMANDS, min_size=1, max_size=20))
def test_random_set_programs(both, program) -> None:
    both.real.flushall()
    both.kv.flushall()
    for cmd in program:
        both.eq(*cmd, sort=cmd[0] in SORTED)
