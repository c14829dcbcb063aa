"""Hypothesis-generated programs: whatever the commands, the clock moves and the
background rewrites or saves in between, reopening gives the identical data set."""

from __future__ import annotations

import shutil
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kvengine import Engine, ManualClock
from tests.persistence_helpers import dump

KEYS = st.sampled_from(["a", "b", "c", "d"])
VALUES = st.sampled_from(["", "0", "1", "-7", "abc", "3.5", "\x00\r\n*1\r\n"])
DBS = st.sampled_from([0, 1, 15])

COMMANDS = st.one_of(
    st.tuples(st.just("SET"), KEYS, VALUES),
    st.tuples(st.just("SET"), KEYS, VALUES, st.sampled_from(["EX", "PX"]), st.sampled_from(["5", "20000"])),
    st.tuples(st.sampled_from(["INCR", "DECR", "DEL", "PERSIST", "LPOP", "RPOP", "SPOP", "GET", "GETDEL"]), KEYS),
    st.tuples(st.just("INCRBYFLOAT"), KEYS, st.sampled_from(["0.1", "-2.5", "1e3"])),
    st.tuples(st.sampled_from(["APPEND", "RPUSH", "LPUSH", "SADD", "SREM"]), KEYS, VALUES),
    st.tuples(st.sampled_from(["HSET", "HINCRBY"]), KEYS, st.sampled_from(["f", "g"]), st.sampled_from(["1", "2"])),
    st.tuples(st.just("ZADD"), KEYS, st.sampled_from(["1", "-2.5", "inf", "0.1"]), VALUES),
    st.tuples(st.just("ZINCRBY"), KEYS, st.sampled_from(["1", "0.5"]), VALUES),
    st.tuples(st.sampled_from(["EXPIRE", "PEXPIRE"]), KEYS, st.sampled_from(["1", "10", "100000"])),
    st.tuples(st.sampled_from(["RENAME", "COPY", "LMOVE"]), KEYS, KEYS).map(
        lambda c: (*c, "LEFT", "RIGHT") if c[0] == "LMOVE" else c),
    st.tuples(st.just("MOVE"), KEYS, st.sampled_from(["1", "15"])),
    st.tuples(st.sampled_from(["FLUSHDB"])),
    st.tuples(st.just("SWAPDB"), st.sampled_from(["0", "1"]), st.sampled_from(["1", "15"])),
    st.tuples(st.just("@select"), DBS),
    st.tuples(st.just("@advance"), st.sampled_from([1, 10, 100])),
    st.tuples(st.sampled_from(["@rewrite", "@bgsave", "@reopen"])),
)

MODES = st.sampled_from([
    {"persistence": "snapshot"},
    {"persistence": "aof"},
    {"persistence": "hybrid"},
    {"persistence": "hybrid", "aof_use_rdb_preamble": False, "bgsave_method": "copy"},
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mode=MODES, program=st.lists(COMMANDS, min_size=1, max_size=30))
def test_random_programs_survive_reopen(mode, program) -> None:  # type: ignore[no-untyped-def]
    directory = tempfile.mkdtemp(prefix="kv-persist-")
    clock = ManualClock(1_700_000_000_000)
    try:
        kv = Engine(directory, clock=clock, active_expire=False, seed=3, **mode)
        client = kv.client()
        for cmd in program:
            name = cmd[0]
            if name == "@select":
                client = kv.client(db=cmd[1])
            elif name == "@advance":
                clock.advance(cmd[1])
            elif name == "@rewrite":
                kv.bgrewriteaof()
                kv.server.persistence.wait()
            elif name == "@bgsave":
                kv.bgsave()
                kv.server.persistence.wait()
            elif name == "@reopen":
                if mode["persistence"] == "snapshot":
                    kv.save()
                before = dump(kv)
                kv.close()
                kv = Engine(directory, clock=clock, active_expire=False, seed=3, **mode)
                client = kv.client(db=client.db.id)
                assert dump(kv) == before
            else:
                try:
                    client.execute_command(*cmd)
                except Exception as exc:  # wrong types etc.: errors are fine, crashes are not
                    assert type(exc).__module__.startswith("kvengine"), exc
        if mode["persistence"] == "snapshot":
            kv.save()
        before = dump(kv)
        kv.close()
        kv = Engine(directory, clock=clock, active_expire=False, seed=3, **mode)
        assert dump(kv) == before
        kv.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
