"""Streams: IDs from the engine clock, the log form of stream writes, the type's
generic commands, persistence, and the node model behind approximate trimming."""

from __future__ import annotations

from typing import Any

import pytest

from kvengine import Engine, ManualClock, t_stream
from kvengine.t_stream import MAX_ID, Stream, fmt_id, parse_id

T0 = 1_700_000_000_000


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def kv(clock: ManualClock) -> Any:
    engine = Engine(clock=clock, active_expire=False)
    yield engine
    engine.close()


def logging_engine(clock: ManualClock) -> tuple[Engine, list[list[bytes]]]:
    kv = Engine(clock=clock, active_expire=False)
    srv = kv.server
    logged: list[tuple[int, list[bytes]]] = []
    srv.feeding = True
    srv.flush_feed = lambda: (logged.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    return kv, logged  # type: ignore[return-value]


def ops(logged: list[Any]) -> list[list[bytes]]:
    return [op for _, op in logged]


def test_star_ids_follow_the_engine_clock(kv: Any, clock: ManualClock) -> None:
    assert kv.xadd("s", {"a": 1}) == b"%d-0" % T0
    assert kv.xadd("s", {"a": 2}) == b"%d-1" % T0
    clock.advance(ms=5)
    assert kv.xadd("s", {"a": 3}) == b"%d-0" % (T0 + 5)
    clock.set(T0 - 1000)  # the clock goes back: IDs stay monotonic
    assert kv.xadd("s", {"a": 4}) == b"%d-1" % (T0 + 5)
    assert kv.xadd("s", {"a": 5}, id=b"%d-*" % (T0 + 5)) == b"%d-2" % (T0 + 5)
    assert kv.xadd("s", {"a": 6}, id="7000000000000-*") == b"7000000000000-0"
    assert kv.xlen("s") == 6


def test_xadd_and_xtrim_are_logged_deterministically(clock: ManualClock) -> None:
    kv, logged = logging_engine(clock)
    kv.xadd("s", {"f": "v"})
    kv.xadd("s", {"f": "v"}, id="9000000000000-5")
    for _ in range(250):
        kv.xadd("s", {"f": "v"})
    del logged[:]
    kv.xadd("s", {"f": "v"}, maxlen=120)  # MAXLEN ~ 120: whole nodes, the result is logged
    kv.xtrim("s", maxlen=10)
    kv.xtrim("s", maxlen=10)  # nothing trimmed: nothing logged
    kv.xtrim("s", minid="9000000000000-230", approximate=False)
    assert ops(logged) == [
        [b"XADD", b"s", b"MAXLEN", b"=", b"153", b"9000000000000-256", b"f", b"v"],
        [b"XTRIM", b"s", b"MAXLEN", b"=", b"53"],
        [b"XTRIM", b"s", b"MINID", b"9000000000000-230"],
    ]
    kv.close()


def test_log_of_star_id_replays_to_the_same_stream(tmp_path, clock: ManualClock) -> None:
    kv = Engine(str(tmp_path), clock=clock, active_expire=False, persistence="aof")
    for i in range(300):
        kv.xadd("s", {"i": i}, maxlen=150)
    kv.xdel("s", kv.xrange("s", count=3)[2][0])
    kv.execute_command("XSETID", "s", "99999999999999-0", "ENTRIESADDED", "1000", "MAXDELETEDID", "5-0")
    before = kv.xrange("s")
    state = kv.server.dbs[0].table.lookup(b"s", clock()).dump_state()
    kv.close()
    clock.advance(3600)
    kv = Engine(str(tmp_path), clock=clock, active_expire=False, persistence="aof")
    assert kv.xrange("s") == before
    assert kv.server.dbs[0].table.lookup(b"s", clock()).dump_state() == state
    kv.close()


@pytest.mark.parametrize("mode", ["snapshot", "aof", "hybrid"])
def test_persistence_round_trip(tmp_path, clock: ManualClock, mode: str) -> None:
    kv = Engine(str(tmp_path), clock=clock, active_expire=False, persistence=mode)
    for i in range(230):
        kv.xadd("s", {"i": i, "x": "y" * (i % 7)})
    kv.xdel("s", kv.xrange("s", count=1)[0][0])
    kv.xadd("empty", {"a": 1})
    kv.xdel("empty", kv.xrange("empty")[0][0])
    if mode != "snapshot":
        assert kv.bgrewriteaof()
        assert kv.server.persistence.wait()
    kv.xadd("s", {"after": "rewrite"})
    if mode == "snapshot":
        kv.save()
    states = {k: kv.server.dbs[0].table.lookup(k, clock()).dump_state() for k in (b"s", b"empty")}
    kv.close()
    kv = Engine(str(tmp_path), clock=clock, active_expire=False, persistence=mode)
    for k, st in states.items():
        assert kv.server.dbs[0].table.lookup(k, clock()).dump_state() == st
    assert kv.xlen("empty") == 0 and kv.type("empty") == b"stream"
    kv.close()


def test_generic_key_commands(kv: Any) -> None:
    for i in range(150):
        kv.xadd("s", {"i": i}, id=f"{i + 1}-0")
    assert kv.type("s") == b"stream"
    assert kv.object("encoding", "s") == b"stream"
    kv.set("str", "x")
    assert kv.scan(0, _type="stream") == (0, [b"s"])
    payload = kv.dump("s")
    kv.restore("t", 0, payload)
    assert kv.xrange("t") == kv.xrange("s")
    assert kv.copy("s", "c")
    kv.xadd("c", {"only": "copy"})
    assert kv.xlen("c") == 151 and kv.xlen("s") == 150
    assert kv.rename("s", "r")
    assert kv.xlen("r") == 150 and kv.exists("s") == 0
    mem_before = kv.memory_usage("r")
    kv.xtrim("r", maxlen=0, approximate=False)
    assert kv.exists("r") == 1 and kv.xlen("r") == 0
    assert kv.memory_usage("r") < mem_before


def test_used_memory_follows_entries(kv: Any) -> None:
    base = kv.server.used_memory()
    for i in range(1000):
        kv.xadd("s", {"f": "v", "n": i})
    grown = kv.server.used_memory() - base
    assert grown > 1000 * 20
    kv.xtrim("s", maxlen=0, approximate=False)
    assert kv.server.used_memory() - base < grown / 5
    kv.delete("s")
    assert kv.server.used_memory() <= base + 64


def test_ids_parse_and_format() -> None:
    assert parse_id(b"1-2") == 1 << 64 | 2
    assert parse_id(b"5", missing_seq=t_stream.U64) == 5 << 64 | t_stream.U64
    assert parse_id(b"+") == MAX_ID and parse_id(b"-") == 0
    assert fmt_id(MAX_ID) == b"18446744073709551615-18446744073709551615"
    assert parse_id(b" 7-1") == 7 << 64 | 1  # strtoull's leading blanks, as Redis


def test_node_layout_survives_copy_and_dump(kv: Any) -> None:
    for i in range(1, 260):
        kv.xadd("s", {"f": "x" * (i % 90)}, id=f"{i}-0")
    kv.xtrim("s", maxlen=250, approximate=False)
    kv.copy("s", "c")
    s = kv.server.dbs[0].table.lookup(b"s", kv.server.clock())
    c = kv.server.dbs[0].table.lookup(b"c", kv.server.clock())
    assert isinstance(s, Stream) and len(s.nodes) > 2
    assert [(n.master, n.live, n.dead, n.nbytes()) for n in s.nodes] == \
        [(n.master, n.live, n.dead, n.nbytes()) for n in c.nodes]


def test_node_limits_are_settings(kv: Any) -> None:
    assert kv.config_get("stream-node-max-entries") == {"stream-node-max-entries": "100"}
    kv.config_set("stream-node-max-entries", 10)
    try:
        for i in range(1, 36):
            kv.xadd("s", {"f": "v"}, id=f"{i}-0")
        assert kv.xtrim("s", maxlen=12) == 20  # three whole nodes of 10
    finally:
        kv.config_set("stream-node-max-entries", 100)
