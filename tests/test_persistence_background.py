"""Background work: BGSAVE and BGREWRITEAOF while writes go on, save points, fsync
policies, the commands' replies, INFO persistence, hand-edited logs."""

from __future__ import annotations

import os
import threading
import zlib

import pytest

from kvengine import Engine, ManualClock
from kvengine import exceptions as e
from kvengine.persistence import FS, snapshot
from kvengine.persistence.check import check_aof, export_resp
from kvengine.persistence.resp import encode_command, parse_commands
from kvengine.persistence.snapshot import SnapshotReader
from tests.persistence_helpers import dump, fill


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000_000)


def open_engine(path, clock, **options) -> Engine:  # type: ignore[no-untyped-def]
    return Engine(str(path), clock=clock, active_expire=False, seed=1, **options)


@pytest.mark.parametrize("method", ["fork", "copy"])
def test_bgsave_is_a_point_in_time_copy(tmp_path, clock, method) -> None:
    kv = open_engine(tmp_path, clock, persistence="snapshot", bgsave_method=method)
    for i in range(3000):
        kv.set(f"k{i}", "before")
    kv.rpush("list", *range(100))
    assert kv.bgsave(schedule=False)
    for i in range(3000):  # writes go on while the child writes
        kv.set(f"k{i}", "after")
    kv.delete("list")
    kv.set("new", "x")
    backend = kv.server.persistence
    assert backend.wait()
    assert backend.persistence_info()["rdb_last_bgsave_status"] == "ok"
    records = list(SnapshotReader(str(tmp_path / "dump.rdb")).records())
    values = {key: value for _, key, value, _ in records}
    assert len(values) == 3001 and b"new" not in values
    assert all(values[f"k{i}".encode()] == b"before" for i in range(3000))
    assert backend.persistence_info()["rdb_changes_since_last_save"] == 3002
    assert backend.last_fork_usec >= 0
    kv.close()


@pytest.mark.parametrize("options", [
    {"persistence": "aof"},
    {"persistence": "aof", "aof_use_rdb_preamble": True},
    {"persistence": "hybrid"},
    {"persistence": "hybrid", "aof_use_rdb_preamble": False},
    {"persistence": "hybrid", "bgsave_method": "copy"},
])
def test_rewrite_during_concurrent_writes_loses_nothing(tmp_path, clock, options) -> None:
    kv = open_engine(tmp_path, clock, **options)
    fill(kv)
    stop = threading.Event()
    counts = [0, 0]

    def writer(n: int) -> None:
        client = kv.client(db=n)
        while not stop.is_set():
            counts[n] += 1
            client.incr("counter")
            client.rpush("log", counts[n])
            client.hset("h", str(counts[n] % 50), counts[n])

    threads = [threading.Thread(target=writer, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    backend = kv.server.persistence
    for _ in range(3):
        while True:
            try:
                kv.bgrewriteaof()
                break
            except e.ResponseError:  # pragma: no cover - the previous one still runs
                backend.wait()
        assert backend.wait()
    stop.set()
    for t in threads:
        t.join()
    assert backend.aof_rewrites == 3
    before = dump(kv)
    assert kv.get("counter") == str(counts[0]).encode()
    kv.close()
    kv = open_engine(tmp_path, clock, **options)
    assert dump(kv) == before
    kv.close()


def test_hybrid_rewrite_replaces_base_and_incr(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    kv.set("a", 1)
    assert kv.execute_command("BGREWRITEAOF") is True
    kv.server.persistence.wait()
    kv.set("b", 2)
    directory = tmp_path / "appendonlydir"
    assert sorted(os.listdir(directory)) == [
        "appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]
    text = (directory / "appendonly.aof.manifest").read_text()
    body = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
    # Redis's lines, after kvengine's line (a comment to Redis): a checksum of what
    # follows and the sizes of the complete files ("-": the one appended to).
    header, rest = text.split("\n", 1)
    assert rest == body
    sizes = f" sizes {(directory / 'appendonly.aof.2.base.rdb').stat().st_size} -"
    assert header == f"# kvengine manifest crc32 {zlib.crc32(body.encode(), zlib.crc32(sizes.encode())):08x}{sizes}"
    info = kv.server.persistence.persistence_info()
    assert info["aof_base_size"] == (directory / "appendonly.aof.2.base.rdb").stat().st_size
    kv.close()


def test_failed_rewrite_keeps_every_file_needed(tmp_path, clock, monkeypatch) -> None:
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    kv.set("a", 1)
    orig = FS.replace

    def no_base_rename(src: str, dst: str) -> None:
        if "temp-rewriteaof" in src:
            raise OSError(28, "No space left on device")
        orig(src, dst)

    monkeypatch.setattr(FS, "replace", no_base_rename)
    kv.bgrewriteaof()
    backend = kv.server.persistence
    backend.wait()
    monkeypatch.setattr(FS, "replace", orig)
    info = backend.persistence_info()
    assert info["aof_last_bgrewrite_status"] == "err" and info["aof_rewrites_consecutive_failures"] == 1
    kv.set("b", 2)
    kv.close()
    names = sorted(os.listdir(tmp_path / "appendonlydir"))
    assert not [n for n in names if n.startswith("temp-")]
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert kv.mget("a", "b") == [b"1", b"2"]
    kv.close()


def test_automatic_rewrite_by_percentage_and_min_size(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="aof", auto_aof_rewrite_min_size="4kb",
                     auto_aof_rewrite_percentage=100)
    backend = kv.server.persistence
    for _ in range(100):
        kv.set("same", "x" * 50)  # grows the log, not the data set
    backend.cron(kv.server)
    assert backend.wait()
    assert backend.aof_rewrites == 1
    size = backend.log.current_size
    assert size < 200 and backend.log.base_size == size
    backend.cron(kv.server)
    assert backend.aof_rewrites == 1  # below min size: no new rewrite
    kv.close()


def test_save_points_follow_the_engine_clock(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="snapshot", save="100 1 10 3")
    backend = kv.server.persistence
    start = int(kv.lastsave().timestamp())
    assert start == clock() // 1000
    kv.set("a", 1)
    backend.cron(kv.server)
    assert backend.child is None and not (tmp_path / "dump.rdb").exists()
    clock.advance(11)
    backend.cron(kv.server)  # 1 change, 11 s: "10 3" needs 3 changes, "100 1" needs 100 s
    assert backend.child is None
    kv.set("b", 1)
    kv.set("c", 1)
    backend.cron(kv.server)
    assert backend.wait() and (tmp_path / "dump.rdb").exists()
    assert int(kv.lastsave().timestamp()) == clock() // 1000 == start + 11
    assert backend.persistence_info()["rdb_changes_since_last_save"] == 0
    kv.close()


def test_always_fsyncs_before_the_reply(tmp_path, clock, monkeypatch) -> None:
    kv = open_engine(tmp_path, clock, persistence="aof", appendfsync="always")
    calls: list[int] = []
    orig = FS.fsync
    monkeypatch.setattr(FS, "fsync", lambda fd: (calls.append(fd), orig(fd))[1])
    kv.set("a", 1)
    assert len(calls) == 1
    kv.get("a")
    assert len(calls) == 1  # reads do not fsync
    kv.mset({"b": 1, "c": 2})
    assert len(calls) == 2
    f = kv.server.persistence.log.file
    assert f.synced_size == f.size == os.path.getsize(tmp_path / "appendonly.aof")
    kv.close()


@pytest.mark.parametrize("policy", ["everysec", "no"])
def test_buffered_policies_fsync_off_the_command_path(tmp_path, clock, monkeypatch, policy) -> None:
    kv = open_engine(tmp_path, clock, persistence="aof", appendfsync=policy, aof_write_interval=3600)
    backend = kv.server.persistence
    calls: list[int] = []
    orig = FS.fsync
    monkeypatch.setattr(FS, "fsync", lambda fd: (calls.append(fd), orig(fd))[1])
    for i in range(100):
        kv.set(f"k{i}", i)
    assert calls == []
    f = backend.log.file
    assert f.pending() > 0  # buffered in memory until the background tick
    backend.cron(kv.server)  # the tick: handed to the OS
    assert f.pending() == 0 and f.size == os.path.getsize(tmp_path / "appendonly.aof")
    backend._background_fsync()
    assert (calls != []) == (policy == "everysec")
    kv.close()
    assert calls  # close always fsyncs


def test_hand_edited_log_delete_flushall(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="aof")
    fill(kv)
    before = dump(kv)
    kv.flushall()
    kv.set("later", "1")
    kv.close()
    path = tmp_path / "appendonly.aof"
    data = path.read_bytes()
    flush = encode_command([b"FLUSHALL"])
    assert data.count(flush) == 1
    path.write_bytes(data.replace(flush, b""))
    assert check_aof(path).ok
    kv = open_engine(tmp_path, clock, persistence="aof")
    after = dump(kv)
    assert after.pop((0, b"later"))[1] == b"1"
    assert after == before
    kv.close()


def test_hand_edited_hybrid_incr_delete_flushall(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    fill(kv)
    before = dump(kv)
    kv.flushall()
    kv.close()
    incr = tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof"
    incr.write_bytes(incr.read_bytes().replace(encode_command([b"FLUSHALL"]), b""))
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert dump(kv) == before
    kv.close()


def test_log_contents_are_what_happened(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="aof")
    kv.set("a", "1", ex=10)
    kv.client(db=1).expire("nothing", 5)
    kv.client(db=1).set("b", "2")
    kv.set("c", "3")
    kv.incrbyfloat("f", 0.5)
    kv.sadd("s", "x")
    kv.spop("s")
    clock.advance(20)
    assert kv.get("a") is None  # lazy expiry, logged as DEL
    kv.close()
    cmds = [argv for _, _, argv in parse_commands((tmp_path / "appendonly.aof").read_bytes())]
    assert cmds == [
        [b"SELECT", b"0"],  # the base of an empty data set (a log is never an empty file)
        [b"SELECT", b"0"],
        [b"SET", b"a", b"1", b"PXAT", b"%d" % (1_700_000_000_000 + 10_000)],
        [b"SELECT", b"1"], [b"SET", b"b", b"2"],
        [b"SELECT", b"0"], [b"SET", b"c", b"3"],
        [b"SET", b"f", b"0.5", b"KEEPTTL"],
        [b"SADD", b"s", b"x"], [b"DEL", b"s"],
        [b"DEL", b"a"],
    ]


def test_commands_replies_and_scheduling(tmp_path, clock, monkeypatch) -> None:
    kv = open_engine(tmp_path, clock, persistence="hybrid", bgsave_method="copy")
    backend = kv.server.persistence
    gate = threading.Event()
    orig = snapshot.write_snapshot

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        gate.wait(10)
        return orig(*args, **kwargs)

    monkeypatch.setattr(snapshot, "write_snapshot", slow)
    kv.set("a", 1)
    assert kv.execute_command("BGSAVE") is True
    with pytest.raises(e.ResponseError, match=r"^Background save already in progress$"):
        kv.execute_command("BGSAVE")
    with pytest.raises(e.ResponseError, match=r"^Background save already in progress$"):
        kv.save()
    assert kv.server.persistence.persistence_info()["rdb_bgsave_in_progress"] == 1
    assert kv._call([b"BGREWRITEAOF"]) == b"Background append only file rewriting scheduled"
    with pytest.raises(e.ResponseError, match=r"^syntax error$"):
        kv.execute_command("BGSAVE", "NOW")
    gate.set()
    assert backend.wait()
    assert backend.aof_rewrites == 1 and backend.rdb_saves == 1
    gate.clear()
    kv._call([b"BGREWRITEAOF"])
    monkeypatch.setattr(snapshot, "write_snapshot", orig)
    # The rewrite (copy mode) runs in a thread; make it wait on the base writer.
    gate.set()
    backend.wait()
    assert kv._call([b"BGSAVE", b"SCHEDULE"]) == b"Background saving started"
    backend.wait()
    info = backend.persistence_info()
    for name in ("rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
                 "rdb_last_bgsave_status", "aof_enabled", "aof_rewrite_in_progress", "aof_current_size",
                 "aof_base_size", "aof_last_write_status", "aof_last_bgrewrite_status"):
        assert name in info
    assert info["aof_enabled"] == 1 and info["aof_current_size"] >= info["aof_base_size"] > 0
    kv.close()


def test_export_resp_of_every_layout(tmp_path, clock) -> None:
    for mode in ("snapshot", "aof", "hybrid"):
        directory = tmp_path / mode
        kv = open_engine(directory, clock, persistence=mode)
        fill(kv)
        before = dump(kv)
        kv.close()
        out = tmp_path / f"{mode}.resp"
        assert export_resp(directory, out) == len(before)
        target = tmp_path / f"{mode}-copy"
        target.mkdir()
        (target / "appendonly.aof").write_bytes(out.read_bytes())
        kv = open_engine(target, clock, persistence="aof")
        assert dump(kv) == before
        kv.close()


def test_without_fork_background_work_falls_back_to_a_copy(tmp_path, clock, monkeypatch) -> None:
    monkeypatch.delattr(os, "fork")
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    kv.set("a", 1)
    kv.bgsave(schedule=False)
    kv.set("a", 2)
    kv.server.persistence.wait()
    assert [v for _, _, v, _ in SnapshotReader(str(tmp_path / "dump.rdb")).records()] == [b"1"]
    kv.bgrewriteaof()
    kv.server.persistence.wait()
    kv.close()
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert kv.get("a") == b"2"
    kv.close()


@pytest.mark.parametrize("mode", ["aof", "hybrid"])
def test_set_fast_path_logs_exactly_what_the_general_path_logs(tmp_path, clock, mode) -> None:
    """The SET shortcut into the log buffer (server.log_set) writes the same bytes as
    the general feed, across database switches, transactions and a rewrite."""
    logs = []
    for shortcut in (True, False):
        d = tmp_path / str(shortcut)
        kv = open_engine(d, clock, persistence=mode, bgsave_method="copy")
        srv = kv.server
        assert srv.log_set is not None  # everysec: on
        if not shortcut:
            srv.log_set = None
        other = kv.client(db=3)
        kv.set("a", "1")
        other.set("b", "2")
        kv.set("c", "3")
        kv.set("d", "4", ex=10)  # not the fast path
        with kv.pipeline() as p:
            p.set("e", "5")
            p.incr("n")
            p.execute()
        gate = threading.Event()
        orig = srv.persistence.log.child_write

        def slow(tmp, source, orig=orig, gate=gate):  # type: ignore[no-untyped-def]
            gate.wait(10)
            orig(tmp, source)

        srv.persistence.log.child_write = slow
        kv.bgrewriteaof()
        kv.set("during", "rewrite")
        other.set("during", "too")
        gate.set()
        assert srv.persistence.wait()
        kv.set("after", "x" * 1000)
        expected = dump(kv)
        kv.close()
        files = sorted(p for p in d.rglob("*") if p.is_file() and p.suffix == ".aof")
        logs.append([f.read_bytes() for f in files])
        kv = open_engine(d, clock, persistence=mode)
        assert dump(kv) == expected
        kv.close()
    assert logs[0] == logs[1]


def test_set_fast_path_shortcut_only_without_a_waiting_fsync(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="aof", appendfsync="everysec")
    srv = kv.server
    assert srv.log_set is not None
    kv.config_set("appendfsync", "always")  # the reply waits for after_call's fsync
    assert srv.log_set is None
    kv.config_set("appendfsync", "no")
    assert srv.log_set is not None
    kv.config_set("appendonly", "no")
    assert srv.log_set is None
    kv.config_set("appendonly", "yes")
    assert srv.log_set is not None
    kv.close()
    assert srv.log_set is None
    assert Engine().server.log_set is None


def test_format_sets_encodes_like_encode_command() -> None:
    from kvengine.persistence.aof import format_sets

    for sizes in ([0, 0], [1, 2], [4095, 4096], [5000, 3], [70_000, 1] * 3, [3, 10] * 100):
        sets = [bytes([i % 256]) * n for i, n in enumerate(sizes)]
        expected = b"".join(encode_command([b"SET", sets[i], sets[i + 1]]) for i in range(0, len(sets), 2))
        assert format_sets(sets) == expected


def test_deferred_sets_keep_their_order_with_every_other_write(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="aof")
    f = kv.server.persistence.log.file
    kv.set("a", "1")
    kv.set("b", "2")
    assert f.sets  # deferred, not encoded yet
    kv.incr("a")   # the general path encodes them first
    kv.set("a", "10")
    kv.client(db=1).set("a", "db1")
    kv.set("c", "3")
    assert kv.info("persistence")["aof_buffer_length"] == f.pending() > 0
    kv.close()
    cmds = [argv for _, _, argv in parse_commands((tmp_path / "appendonly.aof").read_bytes())]
    assert cmds[1:] == [[b"SELECT", b"0"], [b"SET", b"a", b"1"], [b"SET", b"b", b"2"], [b"INCRBY", b"a", b"1"],
                        [b"SET", b"a", b"10"], [b"SELECT", b"1"], [b"SET", b"a", b"db1"],
                        [b"SELECT", b"0"], [b"SET", b"c", b"3"]]
