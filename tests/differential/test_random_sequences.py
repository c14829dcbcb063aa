"""Hypothesis-generated command sequences, sent to kvengine and a real Redis.

Small alphabets of keys and values make collisions (overwrites, wrong types,
numeric edge cases) frequent; every reply, error class and error text must match.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = st.sampled_from(["a", "b", "c"])
VALUES = st.sampled_from(["", "0", "1", "-1", "10", "abc", "3.5", "9223372036854775807", "\x00\xff"])
INTS = st.sampled_from(["0", "1", "-3", "7", "100", "-100", "x"])
FLOATS = st.sampled_from(["0.1", "-2.5", "1e3", "3", "abc", "0x10"])
OFFSETS = st.sampled_from(["0", "1", "3", "7", "15", "-1"])

SET_OPTIONS = st.sampled_from([
    (), ("NX",), ("XX",), ("GET",), ("NX", "GET"), ("XX", "GET"), ("KEEPTTL",), ("EX", "1000"),
    ("PX", "1000000"), ("EXAT", "99999999999"), ("PXAT", "1"), ("EX", "0"), ("NX", "XX"),
])

COMMANDS = st.one_of(
    st.tuples(st.just("SET"), KEYS, VALUES).flatmap(lambda c: SET_OPTIONS.map(lambda o: c + o)),
    st.tuples(st.sampled_from(["GET", "GETDEL", "STRLEN", "INCR", "DECR", "TYPE", "PERSIST", "EXISTS",
                               "BITCOUNT", "GETEX"]), KEYS),
    st.tuples(st.sampled_from(["SETNX", "GETSET", "APPEND"]), KEYS, VALUES),
    st.tuples(st.sampled_from(["INCRBY", "DECRBY"]), KEYS, INTS),
    st.tuples(st.just("INCRBYFLOAT"), KEYS, FLOATS),
    st.tuples(st.just("GETRANGE"), KEYS, OFFSETS, OFFSETS),
    st.tuples(st.just("SETRANGE"), KEYS, OFFSETS, VALUES),
    st.tuples(st.just("SETBIT"), KEYS, OFFSETS, st.sampled_from(["0", "1"])),
    st.tuples(st.just("GETBIT"), KEYS, OFFSETS),
    st.tuples(st.just("BITPOS"), KEYS, st.sampled_from(["0", "1"])),
    st.tuples(st.just("BITOP"), st.sampled_from(["AND", "OR", "XOR"]), KEYS, KEYS, KEYS),
    st.tuples(st.sampled_from(["MGET", "DEL", "EXISTS", "TOUCH"]), KEYS, KEYS),
    st.tuples(st.sampled_from(["MSET", "MSETNX"]), KEYS, VALUES, KEYS, VALUES),
    st.tuples(st.sampled_from(["RENAME", "RENAMENX", "COPY", "LCS"]), KEYS, KEYS),
    st.tuples(st.just("EXPIRE"), KEYS, st.sampled_from(["1000", "-1", "0"]),
              ).flatmap(lambda c: st.sampled_from([(), ("NX",), ("XX",), ("GT",), ("LT",)]).map(lambda o: c + o)),
    st.tuples(st.just("GETEX"), KEYS, st.sampled_from(["PERSIST", "EX"]), st.sampled_from(["", "1000"])).map(
        lambda c: c[:3] if c[2] == "PERSIST" else (*c[:3], "1000")),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=st.lists(COMMANDS, min_size=1, max_size=25))
def test_random_string_programs(both, program: list[tuple[str, ...]]) -> None:
    both.real.flushall()
    both.kv.flushall()
    for cmd in program:
        both.eq(*[a.encode("latin-1") for a in cmd])
    both.eq("KEYS", "*", sort=True)
