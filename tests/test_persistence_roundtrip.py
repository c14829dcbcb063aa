"""Persistence round trips: write, close, reopen, identical data, for every backend."""

from __future__ import annotations

import os

import pytest

from kvengine import Engine, ManualClock
from kvengine.persistence import Backend, PersistenceError
from kvengine.persistence.snapshot import SnapshotReader
from tests.persistence_helpers import dump, fill

MODES = [
    pytest.param({"persistence": "snapshot"}, id="snapshot"),
    pytest.param({"persistence": "aof"}, id="aof"),
    pytest.param({"persistence": "aof", "aof_use_rdb_preamble": True}, id="aof-preamble"),
    pytest.param({"persistence": "hybrid"}, id="hybrid"),
    pytest.param({"persistence": "hybrid", "aof_use_rdb_preamble": False}, id="hybrid-resp-base"),
]


def open_engine(path, clock, **options) -> Engine:  # type: ignore[no-untyped-def]
    return Engine(str(path), clock=clock, active_expire=False, seed=1, **options)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000_000)


@pytest.mark.parametrize("options", MODES)
def test_round_trip_every_type(tmp_path, clock, options) -> None:
    kv = open_engine(tmp_path, clock, **options)
    fill(kv)
    before = dump(kv)
    assert len(before) > 10
    kv.close()
    kv = open_engine(tmp_path, clock, **options)
    assert dump(kv) == before
    kv.close()


@pytest.mark.parametrize("options", MODES)
def test_round_trip_after_rewrite_and_more_writes(tmp_path, clock, options) -> None:
    kv = open_engine(tmp_path, clock, **options)
    fill(kv)
    if kv.server.persistence.log is not None:
        assert kv.bgrewriteaof()
    else:
        assert kv.bgsave(schedule=False)
    assert kv.server.persistence.wait()
    kv.set("after", "rewrite")
    kv.hdel("h:big", "f1")
    kv.lpop("l:big", 5)
    kv.zincrby("z", 2, "a")
    if kv.server.persistence.log is None:
        kv.save()
    before = dump(kv)
    kv.close()
    kv = open_engine(tmp_path, clock, **options)
    assert dump(kv) == before
    kv.close()


@pytest.mark.parametrize("options", MODES)
def test_expiry_is_absolute_and_expired_keys_stay_gone(tmp_path, clock, options) -> None:
    kv = open_engine(tmp_path, clock, **options)
    kv.set("short", "1", ex=10)
    kv.set("long", "2", ex=1000)
    kv.hset("h", "f", "v")
    kv.expire("h", 20)
    kv.incr("counter")
    kv.expire("counter", 30)
    expiry = kv.pexpiretime("long")
    kv.close()
    clock.advance(15)  # the engine was down: short is past its time, long is not
    kv = open_engine(tmp_path, clock, **options)
    assert kv.get("short") is None
    assert kv.pexpiretime("long") == expiry
    assert kv.hget("h", "f") == b"v"
    assert kv.ttl("h") == 5
    clock.advance(20)
    assert kv.exists("h", "counter") == 0
    assert kv.get("long") == b"2"
    kv.close()


@pytest.mark.parametrize("options", [MODES[1], MODES[3]])
def test_log_replay_does_not_expire_keys_before_their_last_command(tmp_path, clock, options) -> None:
    # INCR ran while the key was alive; at reload time its TTL has passed.  Replay
    # must not recreate it as a fresh counter (Redis: no expiry while loading).
    kv = open_engine(tmp_path, clock, **options)
    kv.set("c", 5, ex=10)
    kv.incr("c")
    kv.persist("c")
    kv.set("d", 1, ex=10)
    kv.incr("d")
    kv.close()
    clock.advance(60)
    kv = open_engine(tmp_path, clock, **options)
    assert kv.get("c") == b"6" and kv.ttl("c") == -1
    assert kv.get("d") is None
    assert kv.dbsize() == 1
    kv.close()


def test_default_engine_path_is_hybrid_everysec(tmp_path, clock) -> None:
    kv = Engine(str(tmp_path), clock=clock)
    backend = kv.server.persistence
    assert backend.name == "hybrid" and backend.settings.appendfsync == "everysec"
    assert kv.config_get("appendonly") == {"appendonly": "yes"}
    kv.set("k", "v")
    kv.close()
    assert sorted(os.listdir(tmp_path / "appendonlydir")) == [
        "appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]
    with Engine(str(tmp_path), clock=clock) as kv:
        assert kv.get("k") == b"v"


def test_switching_from_snapshot_to_log_keeps_the_data(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="snapshot")
    fill(kv)
    before = dump(kv)
    kv.close()  # save points are set: close saves
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert dump(kv) == before
    kv.close()
    os.remove(tmp_path / "dump.rdb")
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert dump(kv) == before
    kv.close()


def test_config_set_appendonly_at_run_time(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="snapshot", save="")
    kv.set("a", 1)
    kv.config_set("appendonly", "yes")
    kv.set("b", 2)
    kv.close()  # no save points: only the log has the data
    assert not (tmp_path / "dump.rdb").exists()
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert kv.mget("a", "b") == [b"1", b"2"]
    kv.config_set("appendonly", "no")
    assert kv.config_get("appendonly") == {"appendonly": "no"}
    kv.close()


def test_config_names(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="snapshot", save="900 1 300 10", rdbcompression="no")
    assert kv.config_get("save") == {"save": "900 1 300 10"}
    assert kv.config_get("rdbcompression") == {"rdbcompression": "no"}
    kv.config_set("appendfsync", "always")
    assert kv.config_get("appendfsync") == {"appendfsync": "always"}
    with pytest.raises(Exception, match="argument\\(s\\) must be one of the following: everysec, always, no"):
        kv.config_set("appendfsync", "sometimes")
    with pytest.raises(Exception, match="can't set protected config"):
        kv.config_set("dbfilename", "x.rdb")
    with pytest.raises(Exception, match="can't set immutable config"):
        kv.config_set("appendfilename", "x.aof")
    kv.config_set("auto-aof-rewrite-min-size", "1mb")
    assert kv.config_get("auto-aof-rewrite-min-size") == {"auto-aof-rewrite-min-size": str(1 << 20)}
    kv.close()
    with pytest.raises(TypeError):
        Engine(str(tmp_path), no_such_option=1)
    with pytest.raises(ValueError):
        Engine(str(tmp_path), persistence="nope")


def test_in_memory_engine_answers_persistence_commands(clock) -> None:
    kv = Engine(clock=clock, active_expire=False)
    assert kv.save() is True
    assert kv.bgsave() is True
    assert kv.bgrewriteaof() is True
    assert int(kv.lastsave().timestamp()) == clock() // 1000
    assert kv.config_get("appendonly") == {"appendonly": "no"}
    kv.close()


class RecordingBackend(Backend):
    """A user's own backend: keeps the log in a list."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[tuple[int, list[bytes]]] = []
        self.saved = 0
        self.closed = False

    def load(self, server) -> None:  # type: ignore[no-untyped-def]
        super().load(server)
        server.dbs[0].table.set(b"preloaded", b"yes", -1, server.clock())

    def feed(self, ops) -> None:  # type: ignore[no-untyped-def]
        self.ops.extend((db, list(argv)) for db, argv in ops)

    def save(self, server) -> None:  # type: ignore[no-untyped-def]
        self.saved += 1

    def close(self) -> None:
        self.closed = True


def test_custom_backend_gets_the_log_form(clock) -> None:
    backend = RecordingBackend()
    kv = Engine(persistence=backend, clock=clock, active_expire=False)
    assert kv.get("preloaded") == b"yes"
    kv.set("k", "v", ex=10)
    kv.sadd("s", "a", "b")
    kv.spop("s")
    kv.client(db=2).delete("nothing")
    kv.save()
    kv.close()
    names = [argv[0] for _, argv in backend.ops]
    assert names == [b"SET", b"SADD", b"SREM"]
    assert backend.ops[0][1][3] == b"PXAT"  # relative TTL logged as absolute time
    assert backend.saved == 1 and backend.closed


def test_newer_protocol_version_is_refused(clock) -> None:
    backend = RecordingBackend()
    backend.protocol_version = 99
    with pytest.raises(TypeError, match="protocol version"):
        Engine(persistence=backend, clock=clock)


def test_snapshot_file_records(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="snapshot")
    fill(kv)
    kv.save()
    n = kv.dbsize() + kv.client(db=3).dbsize()
    kv.close()
    reader = SnapshotReader(str(tmp_path / "dump.rdb"))
    records = list(reader.records())
    assert len(records) == n == reader.keys
    assert reader.meta["databases"] == 16


def test_load_failure_leaves_no_engine_and_names_the_file(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="snapshot")
    kv.set("a", "1")
    kv.save()
    kv.close()
    path = tmp_path / "dump.rdb"
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(PersistenceError, match=r"dump\.rdb.*offset"):
        open_engine(tmp_path, clock, persistence="snapshot")


def test_progress_callback_for_save_and_load(tmp_path, clock) -> None:
    calls: list[tuple[str, int, int]] = []
    kv = open_engine(tmp_path, clock, persistence="snapshot", progress=lambda *a: calls.append(a))
    for i in range(5000):
        kv.set(f"k{i}", "x" * 100)
    kv.save()
    assert calls and calls[-1] == ("save", 5000, 5000)
    kv.close()
    calls.clear()
    kv = open_engine(tmp_path, clock, persistence="snapshot", progress=lambda *a: calls.append(a))
    assert calls and calls[-1][:2] == ("load", 5000)
    kv.close()


@pytest.mark.parametrize("options", MODES)
def test_loaded_keys_are_fresh_for_lru(tmp_path, clock, options) -> None:
    kv = open_engine(tmp_path, clock, **options)
    kv.set("a", 1)
    kv.rpush("l", 1)
    kv.client(db=1).set("b", 2)
    kv.client(db=1).move("b", 2)
    kv.save()
    kv.close()
    clock.advance(1000)
    kv = open_engine(tmp_path, clock, **options)
    assert kv.object("idletime", "a") == 0
    assert kv.object("idletime", "l") == 0
    assert kv.client(db=2).object("idletime", "b") == 0
    kv.close()
