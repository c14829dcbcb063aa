"""List commands against a real redis-server (blocking ones with their timeouts already due)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CASES = {
    "push-pop": [("RPUSH", "l", "a", "b", "c"), ("LPUSH", "l", "z"), ("LRANGE", "l", "0", "-1"), ("LLEN", "l"),
                 ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "5"), ("EXISTS", "l"), ("LPOP", "l"),
                 ("LPOP", "l", "2"), ("RPUSH", "l", "x"), ("RPOP", "l", "0"), ("LPUSHX", "none", "a"),
                 ("RPUSHX", "l", "y"), ("LLEN", "none"), ("OBJECT", "ENCODING", "l")],
    "range-index": [("RPUSH", "l", "0", "1", "2", "3", "4", "5"), ("LRANGE", "l", "1", "3"),
                    ("LRANGE", "l", "-3", "-1"), ("LRANGE", "l", "4", "2"), ("LRANGE", "l", "-100", "100"),
                    ("LRANGE", "l", "10", "20"), ("LRANGE", "none", "0", "-1"), ("LINDEX", "l", "0"),
                    ("LINDEX", "l", "-1"), ("LINDEX", "l", "99"), ("LINDEX", "none", "0")],
    "edit": [("RPUSH", "l", "a", "b", "a", "c", "a"), ("LSET", "l", "1", "B"), ("LSET", "l", "-1", "Z"),
             ("LINSERT", "l", "BEFORE", "c", "x"), ("LINSERT", "l", "after", "a", "y"),
             ("LINSERT", "l", "BEFORE", "nope", "x"), ("LINSERT", "none", "BEFORE", "a", "x"),
             ("LRANGE", "l", "0", "-1"), ("LREM", "l", "-1", "a"), ("LREM", "l", "0", "nope"),
             ("LREM", "l", "0", "a"), ("LRANGE", "l", "0", "-1"), ("LTRIM", "l", "1", "-2"),
             ("LRANGE", "l", "0", "-1"), ("LTRIM", "l", "5", "1"), ("EXISTS", "l"), ("LTRIM", "none", "0", "1")],
    "lpos": [("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"), ("LPOS", "l", "c"), ("LPOS", "l", "c", "RANK", "2"),
             ("LPOS", "l", "c", "RANK", "-1"), ("LPOS", "l", "c", "COUNT", "0"), ("LPOS", "l", "c", "COUNT", "2"),
             ("LPOS", "l", "c", "RANK", "-2", "COUNT", "5"), ("LPOS", "l", "c", "MAXLEN", "3"),
             ("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7"), ("LPOS", "l", "zz"), ("LPOS", "l", "zz", "COUNT", "1"),
             ("LPOS", "none", "a"), ("LPOS", "none", "a", "COUNT", "0")],
    "moves": [("RPUSH", "a", "1", "2", "3"), ("LMOVE", "a", "b", "LEFT", "RIGHT"), ("RPOPLPUSH", "a", "b"),
              ("LRANGE", "b", "0", "-1"), ("LMOVE", "b", "b", "LEFT", "RIGHT"), ("LRANGE", "b", "0", "-1"),
              ("LMOVE", "a", "a", "RIGHT", "LEFT"), ("LRANGE", "a", "0", "-1"), ("LMOVE", "none", "b", "LEFT", "LEFT"),
              ("RPOPLPUSH", "a", "c"), ("EXISTS", "a")],
    "lmpop": [("RPUSH", "b", "1", "2", "3"), ("LMPOP", "2", "a", "b", "LEFT"), ("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "5"),
              ("LMPOP", "1", "b", "LEFT"), ("EXISTS", "b")],
    "blocking-ready": [("RPUSH", "a", "1", "2"), ("BLPOP", "none", "a", "0"), ("BRPOP", "a", "0"),
                       ("BLPOP", "a", "0.01"), ("RPUSH", "a", "x"), ("BRPOPLPUSH", "a", "b", "0"),
                       ("BLMOVE", "b", "a", "LEFT", "LEFT", "0"), ("BLMPOP", "0", "1", "a", "LEFT", "COUNT", "3"),
                       ("BLMPOP", "0.01", "1", "a", "LEFT"), ("BRPOPLPUSH", "none", "b", "0.01"),
                       ("BLMOVE", "none", "b", "LEFT", "LEFT", "0.01")],
}

ERRORS = [
    ("wrong number of arguments", ("LPUSH", "l")),
    ("wrong number of arguments", ("LPOP", "l", "1", "2")),
    ("value is out of range, must be positive", ("LPOP", "l", "-1")),
    ("value is out of range, must be positive", ("RPOP", "l", "x")),
    ("not an integer", ("LRANGE", "l", "a", "1")),
    ("not an integer", ("LINDEX", "l", "x")),
    ("no such key", ("LSET", "none", "0", "x")),
    ("index out of range", ("LSET", "l", "10", "x")),
    ("syntax error", ("LINSERT", "l", "MIDDLE", "a", "x")),
    ("not an integer", ("LREM", "l", "x", "a")),
    ("RANK can't be zero", ("LPOS", "l", "a", "RANK", "0")),
    ("COUNT can't be negative", ("LPOS", "l", "a", "COUNT", "-1")),
    ("MAXLEN can't be negative", ("LPOS", "l", "a", "MAXLEN", "-1")),
    ("syntax error", ("LPOS", "l", "a", "FOO", "1")),
    ("syntax error", ("LPOS", "l", "a", "RANK")),
    ("syntax error", ("LMOVE", "l", "m", "UP", "LEFT")),
    ("numkeys should be greater than 0", ("LMPOP", "0", "l", "LEFT")),
    ("syntax error", ("LMPOP", "2", "l", "LEFT")),
    ("syntax error", ("LMPOP", "1", "l", "UP")),
    ("count should be greater than 0", ("LMPOP", "1", "l", "LEFT", "COUNT", "0")),
    ("syntax error", ("LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2")),
    ("timeout is not a float or out of range", ("BLPOP", "l", "x")),
    ("timeout is negative", ("BLPOP", "l", "-1")),
    ("timeout is not a float or out of range", ("BLMPOP", "x", "1", "l", "LEFT")),
    ("WRONGTYPE", ("LPUSH", "str", "a")),
    ("WRONGTYPE", ("LRANGE", "str", "0", "1")),
    ("WRONGTYPE", ("BLPOP", "str", "0")),
    ("WRONGTYPE", ("LMOVE", "l", "str", "LEFT", "LEFT")),
    ("WRONGTYPE", ("RPOPLPUSH", "str", "l")),
]


@pytest.mark.parametrize("name", list(CASES))
def test_sequences(both, name: str) -> None:
    for cmd in CASES[name]:
        both.eq(*cmd)


@pytest.mark.parametrize("fragment, cmd", ERRORS, ids=[" ".join(c) for _, c in ERRORS])
def test_errors(both, fragment: str, cmd: tuple[str, ...]) -> None:
    both.eq("RPUSH", "l", "a", "b")
    both.eq("SET", "str", "v")
    both.error(fragment, *cmd)
    both.eq("LRANGE", "l", "0", "-1")  # nothing lost


LKEYS = st.sampled_from(["a", "b"])
ITEMS = st.sampled_from(["x", "y", "1"])
IDX = st.sampled_from(["0", "1", "-1", "2", "-3"])
LCOMMANDS = st.one_of(
    st.tuples(st.sampled_from(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), LKEYS, ITEMS),
    st.tuples(st.sampled_from(["LPOP", "RPOP", "LLEN", "EXISTS"]), LKEYS),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), LKEYS, st.sampled_from(["0", "1", "3"])),
    st.tuples(st.just("LRANGE"), LKEYS, IDX, IDX),
    st.tuples(st.just("LTRIM"), LKEYS, IDX, IDX),
    st.tuples(st.just("LINDEX"), LKEYS, IDX),
    st.tuples(st.just("LSET"), LKEYS, IDX, ITEMS),
    st.tuples(st.just("LREM"), LKEYS, IDX, ITEMS),
    st.tuples(st.just("LINSERT"), LKEYS, st.sampled_from(["BEFORE", "AFTER"]), ITEMS, ITEMS),
    st.tuples(st.just("LMOVE"), LKEYS, LKEYS, st.sampled_from(["LEFT", "RIGHT"]), st.sampled_from(["LEFT", "RIGHT"])),
    st.tuples(st.just("LPOS"), LKEYS, ITEMS),
    st.tuples(st.just("SET"), LKEYS, ITEMS),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=st.lists(LCOMMANDS, min_size=1, max_size=20))
def test_random_list_programs(both, program) -> None:
    both.real.flushall()
    both.kv.flushall()
    for cmd in program:
        both.eq(*cmd)
