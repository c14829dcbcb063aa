"""The redis-py-shaped API: names, parameters, return shapes, encoding, errors."""

from __future__ import annotations

import datetime
import threading

import pytest

import kvengine
from kvengine import DataError, Engine, ManualClock, ResponseError


def test_set_returns_like_redis_py(kv: Engine) -> None:
    assert kv.set("k", "v") is True
    assert kv.set("k", "w", nx=True) is None
    assert kv.set("k", "w", xx=True) is True
    assert kv.set("k", "x", get=True) == b"w"
    assert kv.set("new", "x", xx=True, get=True) is None
    assert kv.get("k") == b"x"
    assert kv.get("missing") is None


def test_arguments_are_encoded_like_redis_py(kv: Engine) -> None:
    kv.set(b"bytes", 1)
    kv.set("float", 1.5)
    kv.set("unicode", "é")
    kv.set(memoryview(b"mv"), b"x")
    assert kv.mget(["bytes", "float", "unicode", "mv"]) == [b"1", b"1.5", "é".encode(), b"x"]
    for bad in (True, None, [1], {"a": 1}):
        with pytest.raises(DataError, match="Invalid input of type"):
            kv.set("k", bad)  # type: ignore[arg-type]


def test_decode_responses_view(kv: Engine) -> None:
    text = kv.client(decode_responses=True)
    text.set("k", "é")
    assert text.get("k") == "é"
    assert text.keys() == ["k"]
    assert text.type("k") == "string"
    assert kv.get("k") == "é".encode()


def test_client_views_share_data_but_not_db(kv: Engine) -> None:
    other = kv.client(db=1)
    other.set("k", "in db1")
    assert kv.get("k") is None
    assert kv.client(db=1).get("k") == b"in db1"
    assert other.select(0) is True
    assert other.get("k") is None


def test_ttl_helpers_accept_timedelta_and_datetime(kv: Engine, clock: ManualClock) -> None:
    kv.set("k", "v", ex=datetime.timedelta(seconds=30))
    assert kv.ttl("k") == 30
    assert kv.expire("k", datetime.timedelta(minutes=2)) is True
    assert kv.ttl("k") == 120
    when = datetime.datetime.fromtimestamp(clock.ms / 1000 + 50)
    assert kv.expireat("k", when) is True
    assert 49 <= kv.ttl("k") <= 50
    assert kv.pexpire("k", datetime.timedelta(milliseconds=1500)) is True
    assert kv.pttl("k") == 1500
    assert kv.persist("k") is True and kv.ttl("k") == -1
    assert kv.ttl("missing") == -2
    assert kv.expire("missing", 10) is False


def test_lazy_expiry_with_manual_clock(kv: Engine, clock: ManualClock) -> None:
    kv.set("k", "v", px=1500)
    clock.advance(1.499)
    assert kv.get("k") == b"v"
    clock.advance(ms=1)
    assert kv.get("k") is None
    assert kv.exists("k") == 0
    assert kv.server.stats.expired_keys == 1


def test_active_expiry_removes_keys_nobody_reads(kv: Engine, clock: ManualClock) -> None:
    for i in range(500):
        kv.set(f"tmp:{i}", "v", ex=10)
    for i in range(100):
        kv.set(f"keep:{i}", "v")
    clock.advance(11)
    removed = kv.run_active_expire()
    assert removed == 500
    assert kv.dbsize() == 100
    assert kv.server.stats.expired_keys == 500


def test_background_thread_expires_keys() -> None:
    clock = ManualClock()
    kv = Engine(clock=clock, hz=100)
    try:
        kv.set("k", "v", ex=1)
        clock.advance(2)
        event = threading.Event()
        for _ in range(200):  # the cron thread runs every 10 ms
            if kv.server.stats.expired_keys:
                break
            event.wait(0.01)
        assert kv.server.stats.expired_keys == 1
        assert len(kv.server.dbs[0].table) == 0
    finally:
        kv.close()


def test_writes_are_logged_as_what_happened(kv: Engine, clock: ManualClock) -> None:
    srv = kv.server
    logged: list[tuple[int, list[bytes]]] = []
    srv.feeding = True
    srv.flush_feed = lambda: (logged.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    t0 = clock.ms
    kv.set("k", "v", ex=10)
    kv.incrbyfloat("f", 1.5)
    kv.get("k")  # reads are not logged
    kv.expire("k", 100)
    kv.set("gone", "v", px=5)
    clock.advance(ms=5)
    kv.get("gone")  # lazy expiry is logged as DEL
    kv.client(db=2).set("x", "1")
    assert logged == [
        (0, [b"SET", b"k", b"v", b"PXAT", b"%d" % (t0 + 10_000)]),
        (0, [b"SET", b"f", b"1.5", b"KEEPTTL"]),
        (0, [b"PEXPIREAT", b"k", b"%d" % (t0 + 100_000)]),
        (0, [b"SET", b"gone", b"v", b"PXAT", b"%d" % (t0 + 5)]),
        (0, [b"DEL", b"gone"]),
        (2, [b"SET", b"x", b"1"]),
    ]


def test_errors_are_redis_py_classes(kv: Engine) -> None:
    redis = pytest.importorskip("redis")
    kv.set("s", "abc")
    with pytest.raises(redis.exceptions.ResponseError, match="value is not an integer or out of range"):
        kv.incr("s")
    with pytest.raises(ResponseError) as info:
        kv.execute_command("GET")
    assert str(info.value) == "wrong number of arguments for 'get' command"
    assert info.value.line == "ERR wrong number of arguments for 'get' command"
    with pytest.raises(DataError):
        kv.set("k", None)  # type: ignore[arg-type]
    assert kv.get("s") == b"abc"  # nothing lost


def test_execute_command_applies_redis_py_callbacks(kv: Engine) -> None:
    assert kv.execute_command("SET", "k", "v") is True
    assert kv.execute_command("GET", "k") == b"v"
    assert kv.execute_command("EXPIRE", "k", 10) is True
    assert kv.execute_command("INCRBYFLOAT", "f", "1.5") == 1.5
    assert kv.execute_command("PING") is True
    assert kv.execute_command("TYPE", "k") == b"string"


def test_scan_iter_and_mapping_helpers(kv: Engine) -> None:
    kv.mset({f"k{i}": i for i in range(50)})
    assert sorted(kv.scan_iter(match="k1*", count=7)) == sorted(f"k1{i}".encode() for i in ["", *range(10)])
    kv["x"] = "1"
    assert kv["x"] == b"1"
    assert "x" in kv
    del kv["x"]
    with pytest.raises(KeyError):
        kv["x"]


def test_threads_see_atomic_increments() -> None:
    kv = Engine(active_expire=False)
    def work() -> None:
        for _ in range(2000):
            kv.incr("n")
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert kv.get("n") == b"8000"
    kv.close()


def test_closed_engine_refuses_commands() -> None:
    kv = Engine()
    kv.close()
    with pytest.raises(kvengine.ConnectionError):
        kv.get("k")


def test_native_flag_reflects_the_loaded_table() -> None:
    table = Engine().server.dbs[0].table
    assert table.native is kvengine.NATIVE


def test_lcs_and_bit_helpers(kv: Engine) -> None:
    kv.mset({"a": "ohmytext", "b": "mynewtext"})
    assert kv.lcs("a", "b") == b"mytext"
    assert kv.lcs("a", "b", len=True) == 6
    assert kv.setbit("bits", 7, 1) == 0
    assert kv.bitcount("bits") == 1
    assert kv.bitpos("bits", 1) == 7
    with pytest.raises(DataError):
        kv.bitcount("bits", start=1)
