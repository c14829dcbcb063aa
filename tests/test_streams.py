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
    def state(kv: Engine, key: bytes) -> Any:
        # A snapshot keeps the node layout; a log replays XADDs, which build nodes afresh
        # (as a real Redis loading its AOF does), so there the entries and metadata count.
        if mode == "aof":
            info = kv._call([b"XINFO", b"STREAM", key, b"FULL"])
            return {k: v for k, v in zip(info[::2], info[1::2]) if not k.startswith(b"radix-tree")}
        return kv.server.dbs[0].table.lookup(key, clock()).dump_state()

    states = {k: state(kv, k) for k in (b"s", b"empty")}
    kv.close()
    kv = Engine(str(tmp_path), clock=clock, active_expire=False, persistence=mode)
    for k, st in states.items():
        assert state(kv, k) == st
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


# -- consumer groups: logging, persistence, blocking -----------------------------------------------
def test_xreadgroup_is_logged_as_xclaim_and_setid(clock: ManualClock) -> None:
    kv, logged = logging_engine(clock)
    kv.xadd("s", {"f": "v"}, id="1-0")
    kv.xadd("s", {"f": "v"}, id="2-0")
    kv.xgroup_create("s", "g", "0")
    del logged[:]
    kv.xreadgroup("g", "c", {"s": ">"}, count=1)
    kv.xreadgroup("g", "n", {"s": ">"}, noack=True)
    kv.xreadgroup("g", "c", {"s": ">"})  # nothing new: nothing logged
    t = b"%d" % T0
    assert ops(logged) == [
        [b"XCLAIM", b"s", b"g", b"c", b"0", b"1-0", b"TIME", t, b"RETRYCOUNT", b"1", b"FORCE", b"JUSTID",
         b"LASTID", b"1-0"],
        [b"XGROUP", b"SETID", b"s", b"g", b"1-0", b"ENTRIESREAD", b"1"],  # kvengine adds it (entries-read)
        [b"XGROUP", b"CREATECONSUMER", b"s", b"g", b"n"],
        [b"XGROUP", b"SETID", b"s", b"g", b"2-0", b"ENTRIESREAD", b"2"],
    ]
    del logged[:]
    clock.advance(ms=10)
    kv.xdel("s", "1-0")
    kv.xautoclaim("s", "g", "d", 0)
    assert ops(logged)[1] == [b"XCLAIM", b"s", b"g", b"c", b"0", b"1-0", b"TIME", t, b"RETRYCOUNT", b"1",
                              b"FORCE", b"JUSTID", b"LASTID", b"2-0"]
    kv.close()


def test_groups_survive_log_replay_and_snapshot(tmp_path, clock: ManualClock) -> None:
    for mode in ("aof", "snapshot"):
        path = tmp_path / mode
        kv = Engine(str(path), clock=clock, active_expire=False, persistence=mode)
        for i in range(1, 40):
            kv.xadd("s", {"i": i}, id=f"{i}-0")
        kv.xgroup_create("s", "g", "0")
        kv.xgroup_create("s", "h", "$", entries_read=39)
        kv.xreadgroup("g", "a", {"s": ">"}, count=10)
        clock.advance(ms=7)
        kv.xreadgroup("g", "b", {"s": ">"}, count=5)
        kv.xreadgroup("g", "a", {"s": "0"}, count=2)  # history: delivery count 2
        kv.xack("s", "g", "3-0", "12-0")
        kv.xclaim("s", "g", "c", 0, ["4-0"], retrycount=9)
        kv.xgroup_createconsumer("s", "h", "idle")
        kv.xreadgroup("h", "z", {"s": ">"}, noack=True)
        kv.xdel("s", "5-0")
        if mode == "snapshot":
            kv.save()
        before = kv.xinfo_stream("s", full=True)
        kv.close()
        clock.advance(60)
        kv = Engine(str(path), clock=clock, active_expire=False, persistence=mode)
        after = kv.xinfo_stream("s", full=True)
        if mode == "aof":
            # As in Redis, a consumer the log recreates was last seen at load time.
            for info in (before, after):
                for g in info["groups"]:
                    for cons in g["consumers"]:
                        cons.pop("seen-time")
        assert after == before
        kv.close()


def test_xread_block_served_by_xadd_in_arrival_order(clock: ManualClock) -> None:
    from tests.threads import start, wait_blocked

    kv = Engine(clock=clock, active_expire=False)
    kv.xadd("s", {"f": "old"}, id="1-0")
    t1, out1 = start(lambda: kv.client().xread({"s": "$"}, block=0))
    wait_blocked(kv, 1)
    t2, out2 = start(lambda: kv.client().xread({"other": "$", "s": "$"}, block=0, count=1))
    wait_blocked(kv, 2)
    kv.xadd("s", {"f": "new"}, id="2-0")
    t1.join(5)
    t2.join(5)
    assert out1 == [[[b"s", [(b"2-0", {b"f": b"new"})]]]]
    assert out2 == [[[b"s", [(b"2-0", {b"f": b"new"})]]]]
    assert not kv.server.blocked
    kv.close()


def test_xreadgroup_block_each_entry_to_one_consumer(clock: ManualClock) -> None:
    from tests.threads import start, wait_blocked

    kv, logged = logging_engine(clock)
    kv.xgroup_create("s", "g", "$", mkstream=True)
    t1, out1 = start(lambda: kv.client().xreadgroup("g", "a", {"s": ">"}, block=0))
    wait_blocked(kv, 1)
    t2, out2 = start(lambda: kv.client().xreadgroup("g", "b", {"s": ">"}, block=0))
    wait_blocked(kv, 2)
    kv.xadd("s", {"n": 1}, id="1-0")  # served to the first waiter; the second waits on
    t1.join(5)
    assert out1 == [[[b"s", [(b"1-0", {b"n": b"1"})]]]]
    assert t2.is_alive()
    kv.xadd("s", {"n": 2}, id="2-0")
    t2.join(5)
    assert out2 == [[[b"s", [(b"2-0", {b"n": b"2"})]]]]
    assert [op[0] for op in ops(logged)][-6:] == [b"XADD", b"XCLAIM", b"XGROUP", b"XADD", b"XCLAIM", b"XGROUP"]
    assert kv.xpending("s", "g")["consumers"] == [{"name": b"a", "pending": 1}, {"name": b"b", "pending": 1}]
    kv.close()


def test_blocked_xreadgroup_fails_when_key_or_group_goes(clock: ManualClock) -> None:
    from tests.threads import start, wait_blocked

    kv = Engine(clock=clock, active_expire=False)
    kv.xgroup_create("s", "g", "$", mkstream=True)
    t1, out1 = start(lambda: kv.client().xreadgroup("g", "a", {"s": ">"}, block=0))
    wait_blocked(kv, 1)
    t2, out2 = start(lambda: kv.client().xread({"s": "$"}, block=0))
    wait_blocked(kv, 2)
    kv.xgroup_destroy("s", "g")
    t1.join(5)
    assert "NOGROUP the consumer group this client was blocked on no longer exists" in str(out1[0])
    assert t2.is_alive()  # XREAD waits on
    kv.xgroup_create("s", "g", "$")
    t3, out3 = start(lambda: kv.client().xreadgroup("g", "a", {"s": ">"}, block=0))
    wait_blocked(kv, 2)
    kv.delete("s")
    t3.join(5)
    assert "UNBLOCKED the stream key no longer exists" in str(out3[0])
    kv.xadd("s", {"f": 1}, id="5-0")
    t2.join(5)
    assert out2 == [[[b"s", [(b"5-0", {b"f": b"1"})]]]]
    kv.close()


def test_xread_block_times_out_on_the_engine_clock(clock: ManualClock) -> None:
    from tests.threads import start, wait_blocked

    kv = Engine(clock=clock, active_expire=False)
    kv.xadd("s", {"f": 1}, id="1-0")
    t1, out1 = start(lambda: kv.client().xread({"s": "$"}, block=5000))
    wait_blocked(kv, 1)
    clock.advance(4)
    t1.join(0.05)
    assert t1.is_alive()
    clock.advance(2)
    t1.join(5)
    assert out1 == [[]]
    kv.close()


def test_block_answers_at_once_in_multi_and_is_refused_in_scripts(kv: Any) -> None:
    kv.xadd("s", {"f": 1}, id="1-0")
    kv.xgroup_create("s", "g", "$")
    with kv.pipeline() as p:
        p.xread({"s": "$"}, block=0)
        p.xreadgroup("g", "c", {"s": ">"}, block=0)
        assert p.execute() == [[], []]
    with pytest.raises(Exception, match="not allowed with BLOCK option from scripts"):
        kv.eval("return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', KEYS[1], '>')",
                1, "s")


def test_worker_pool_exactly_once_and_recovery(clock: ManualClock) -> None:
    """4 consumer threads in one group over 10k entries: each delivered once, acks stick,
    and a consumer that dies mid-batch has its entries recovered by XAUTOCLAIM."""
    import threading

    kv = Engine(clock=clock, active_expire=False)
    kv.xgroup_create("jobs", "workers", "$", mkstream=True)
    for i in range(10_000):
        kv.xadd("jobs", {"n": i})
    seen: dict[int, str] = {}
    lock = threading.Lock()
    dead_batch: list[bytes] = []
    dying_took_its_batch = threading.Event()  # else the others may drain the stream first

    def worker(name: str) -> None:
        c = kv.client()
        died = name == "w3"
        if not died:
            assert dying_took_its_batch.wait(30)
        while True:
            got = c.xreadgroup("workers", name, {"jobs": ">"}, count=50)
            if not got:
                return
            ids = [i for i, _ in got[0][1]]
            if died:
                dead_batch.extend(ids)  # takes a batch, never acknowledges, stops
                dying_took_its_batch.set()
                return
            with lock:
                for _i, fields in got[0][1]:
                    n = int(fields[b"n"])
                    assert n not in seen
                    seen[n] = name
            c.xack("jobs", "workers", *ids)

    threads = [threading.Thread(target=worker, args=(f"w{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert dead_batch and len(seen) == 10_000 - len(dead_batch)
    assert kv.xpending("jobs", "workers")["pending"] == len(dead_batch)
    # not idle long enough yet
    assert kv.xautoclaim("jobs", "workers", "rescuer", 30_000, justid=True) == []
    clock.advance(31)
    cursor, claimed, deleted = kv.xautoclaim("jobs", "workers", "rescuer", 30_000, count=1000)
    assert cursor == b"0-0" and deleted == []
    assert sorted(i for i, _ in claimed) == sorted(dead_batch)
    for _i, fields in claimed:
        seen[int(fields[b"n"])] = "rescuer"
    kv.xack("jobs", "workers", *[i for i, _ in claimed])
    assert sorted(seen) == list(range(10_000))
    assert kv.xpending("jobs", "workers")["pending"] == 0
    assert kv.xreadgroup("workers", "w0", {"jobs": "0"}) == [[b"jobs", []]]
    kv.close()


def test_full_nodes_are_packed_and_read_back(kv: Any) -> None:
    for i in range(1, 1001):
        fields = {"a": i, "b": "x" * (i % 9)} if i % 7 else {"other": i}
        kv.xadd("s", fields, id=f"{i}-{i % 4}")
    s = kv.server.dbs[0].table.lookup(b"s", kv.server.clock())
    sealed = [n for n in s.nodes if n.blob is not None]
    assert len(sealed) >= len(s.nodes) - 1 - t_stream.SEALED_NODES_CACHED and s.nodes[-1].blob is None
    want = [(f"{i}-{i % 4}".encode(), {b"a": str(i).encode(), b"b": b"x" * (i % 9)} if i % 7
             else {b"other": str(i).encode()}) for i in range(1, 1001)]
    assert kv.xrange("s") == want
    assert kv.xrevrange("s", count=5) == want[::-1][:5]
    assert sum(n._ids is not None for n in s.nodes[:-1]) <= t_stream.SEALED_NODES_CACHED
    assert kv.xdel("s", "150-2", "151-3", "999-3") == 3
    kv.xtrim("s", minid="120", approximate=False)
    assert kv.xrange("s") == [w for w in want if int(w[0].split(b"-")[0]) >= 120
                              and w[0] not in (b"150-2", b"151-3", b"999-3")]
    used = kv.server.used_memory()
    for i in range(20_000):
        kv.xadd("big", {"a": "1", "b": i})
    assert (kv.server.used_memory() - used) / 20_000 < 60  # packed: about 30 bytes an entry


def test_move_unlink_and_wrongtype_after_overwrite(kv: Any) -> None:
    kv.xadd("s", {"f": 1}, id="1-0")
    kv.xgroup_create("s", "g", "0")
    assert kv.move("s", 2)
    other = kv.client(db=2)
    assert other.xinfo_groups("s")[0]["name"] == b"g" and kv.exists("s") == 0
    assert other.unlink("s") == 1
    kv.set("s", "x")
    with pytest.raises(Exception, match="WRONGTYPE"):
        kv.xadd("s", {"f": 1})
    assert kv.get("s") == b"x"
