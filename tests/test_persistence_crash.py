"""Crash safety: truncated logs, corrupted snapshots, killed writers, failing disks."""

from __future__ import annotations

import errno
import itertools
import os
import random
import re

import pytest

from kvengine import Engine, ManualClock
from kvengine import exceptions as e
from kvengine.persistence import PersistenceError
from kvengine.persistence.check import check_aof, check_snapshot
from kvengine.persistence.resp import encode_command, parse_commands
from kvengine.persistence.snapshot import SnapshotReader
from tests.persistence_helpers import Failing, dump, fill


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000_000)


def open_engine(path, clock, **options) -> Engine:  # type: ignore[no-untyped-def]
    return Engine(str(path), clock=clock, active_expire=False, seed=1, **options)


def small_log(tmp_path, clock) -> bytes:  # type: ignore[no-untyped-def]
    """A single-file log of a few commands and one transaction."""
    kv = open_engine(tmp_path, clock, persistence="aof")
    kv.set("a", "1")
    kv.incr("a")
    kv.hset("h", mapping={"f": "v", "g": "w"})
    kv.rpush("l", "x", "y")
    kv.client(db=2).set("b", "2")
    kv.close()
    path = tmp_path / "appendonly.aof"
    data = path.read_bytes()
    # A transaction as a script's or EXEC's effects are logged.
    data += b"".join(encode_command(a) for a in (
        [b"MULTI"], [b"SELECT", b"0"], [b"SADD", b"s", b"m"], [b"INCR", b"a"], [b"EXEC"]))
    data += encode_command([b"DEL", b"h"])
    path.write_bytes(data)
    return data


def test_log_truncated_at_every_offset_loads_a_clean_prefix(tmp_path, clock) -> None:
    data = small_log(tmp_path, clock)
    path = tmp_path / "appendonly.aof"
    # The data set after each complete unit (command, or MULTI..EXEC).
    boundaries = [0]
    in_multi = False
    for _, end, argv in parse_commands(data):
        name = argv[0].upper()
        in_multi = (in_multi or name == b"MULTI") and name != b"EXEC"
        if not in_multi:
            boundaries.append(end)
    expected = {0: {}}
    for b in boundaries[1:]:
        path.write_bytes(data[:b])
        kv = open_engine(tmp_path, clock, persistence="aof")
        expected[b] = dump(kv)
        kv.close()
    # SELECTs change nothing; every other unit does.
    assert len(set(map(repr, expected.values()))) == len(boundaries) - 3
    path.write_bytes(b"")  # an empty log is lost content (kvengine never writes one): refused
    with pytest.raises(PersistenceError, match=r"appendonly\.aof: empty log \(0 bytes\) at offset 0"):
        open_engine(tmp_path, clock, persistence="aof")
    for cut in range(1, len(data) + 1):
        path.write_bytes(data[:cut])
        kv = open_engine(tmp_path, clock, persistence="aof")
        valid = max(b for b in boundaries if b <= cut)
        assert dump(kv) == expected[valid], cut
        kv.close()
        # The torn tail was cut off, as Redis does (a log cut to nothing keeps a SELECT).
        assert path.read_bytes() == (data[:valid] or encode_command([b"SELECT", b"0"]))


def test_log_truncated_refused_when_aof_load_truncated_no(tmp_path, clock) -> None:
    data = small_log(tmp_path, clock)
    path = tmp_path / "appendonly.aof"
    path.write_bytes(data[:-5])
    with pytest.raises(PersistenceError, match=r"appendonly.aof: unexpected end of file at offset \d+"):
        open_engine(tmp_path, clock, persistence="aof", aof_load_truncated=False)
    assert path.read_bytes() == data[:-5]  # untouched


@pytest.mark.parametrize("garbage", [b"*2\r\n$3\r\nFOO\r\n$1\r\nx\r\n", b"GARBAGE\r\n", b"*1\r\n$3\r\nDELX\r\n",
                                     b"*2\r\n$3\r\nDEL\r\n$1\r\nxy\r\n"])
def test_corrupt_log_is_refused_with_file_and_offset(tmp_path, clock, garbage) -> None:
    data = small_log(tmp_path, clock)
    path = tmp_path / "appendonly.aof"
    path.write_bytes(data + garbage + encode_command([b"SET", b"z", b"1"]))
    with pytest.raises(PersistenceError, match=f"appendonly.aof: .* at offset {len(data)}"):
        open_engine(tmp_path, clock, persistence="aof")
    report = check_aof(path)
    assert not report.ok and not report.truncated and report.valid_size == len(data)
    assert check_aof(path, fix=True).fixed
    assert check_aof(path).ok
    kv = open_engine(tmp_path, clock, persistence="aof")
    assert kv.get("a") == b"3"
    kv.close()


def test_hybrid_last_incr_truncated_every_offset(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    fill(kv)
    kv.bgrewriteaof()
    kv.server.persistence.wait()
    kv.set("x", "1")
    kv.append("x", "2")
    kv.sadd("set", "q")
    kv.close()
    incr = tmp_path / "appendonlydir" / "appendonly.aof.2.incr.aof"
    data = incr.read_bytes()
    ends = [0] + [end for _, end, _ in parse_commands(data)]
    seen = {}
    for cut in range(len(data) + 1):
        incr.write_bytes(data[:cut])
        kv = open_engine(tmp_path, clock, persistence="hybrid")
        valid = max(b for b in ends if b <= cut)
        seen.setdefault(valid, dump(kv))
        assert dump(kv) == seen[valid]
        kv.close()
    assert len(seen) == len(ends)


def test_hybrid_truncated_middle_file_is_fatal(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    kv.set("a", 1)
    srv = kv.server
    with srv.lock:  # start a rewrite whose child fails: two incremental files remain
        srv.persistence.log.begin_rewrite()
        srv.persistence.log.finish_rewrite("/nonexistent", False)
    kv.set("b", 2)
    kv.close()
    first = tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof"
    first.write_bytes(first.read_bytes()[:-3])
    with pytest.raises(PersistenceError, match=r"appendonly\.aof\.1\.incr\.aof: truncated: \d+ bytes, the "
                                               r"manifest recorded \d+, at offset \d+"):
        open_engine(tmp_path, clock, persistence="hybrid")
    report = check_aof(tmp_path / "appendonlydir")
    assert not report.ok


def test_every_single_byte_corruption_of_a_snapshot_is_detected(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="snapshot", rdbcompression=False)
    kv.set("a", "1")
    kv.hset("h", "f", "v")
    kv.sadd("s", "m")
    kv.set("t", "x", ex=100)
    kv.save()
    kv.close()
    path = tmp_path / "dump.rdb"
    data = path.read_bytes()
    for offset in range(len(data)):
        for flip in (0x01, 0x80, 0xFF):
            bad = bytearray(data)
            bad[offset] ^= flip
            with pytest.raises(PersistenceError, match=r"dump.rdb: .* at offset \d+"):
                list(SnapshotReader(str(path), bytes(bad)).records())
    for cut in range(len(data)):
        with pytest.raises(PersistenceError, match=r"dump.rdb: .* at offset \d+"):
            reader = SnapshotReader(str(path), data[:cut])
            list(reader.records())
            if reader.end_offset != cut:  # pragma: no cover - the reader raises first
                raise AssertionError("truncation not detected")
    assert check_snapshot(path).ok
    path.write_bytes(data[:-7])
    report = check_snapshot(path)
    assert not report.ok and "offset" in report.error
    # And the engine refuses it instead of loading part of it.
    with pytest.raises(PersistenceError, match=r"dump\.rdb"):
        open_engine(tmp_path, clock, persistence="snapshot")


def test_compressed_snapshot_corruption_detected(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="snapshot")
    for i in range(2000):
        kv.set(f"key:{i}", "value" * 10)
    kv.save()
    kv.close()
    path = tmp_path / "dump.rdb"
    data = path.read_bytes()
    rng = random.Random(5)
    for offset in rng.sample(range(len(data)), 200):
        bad = bytearray(data)
        bad[offset] ^= 1 << rng.randrange(8)
        with pytest.raises(PersistenceError):
            list(SnapshotReader(str(path), bytes(bad)).records())


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_enospc_on_the_log_gives_misconf_and_loses_nothing_persisted(tmp_path, clock, monkeypatch, policy) -> None:
    kv = open_engine(tmp_path, clock, persistence="aof", appendfsync=policy)
    backend = kv.server.persistence
    kv.set("before", "1")
    backend.cron(kv.server)
    misconf = "MISCONF Errors writing to the AOF file: No space left on device"
    with Failing(monkeypatch, "write", errno.ENOSPC):
        if policy == "always":
            with pytest.raises(e.MisconfError, match=misconf):
                kv.set("during", "x")  # not acknowledged
        else:
            kv.set("during", "x")      # acknowledged: buffered, at most ~1 s at risk
            backend.cron(kv.server)    # the write to the OS fails
        with pytest.raises(e.MisconfError) as info:
            kv.set("refused", "y")
        assert str(info.value) == misconf
        with pytest.raises(e.MisconfError):
            kv.delete("before")
        with pytest.raises(e.MisconfError):
            kv.ping()
        assert kv.get("before") == b"1"  # reads go on
        assert kv.info("persistence")["aof_last_write_status"] == "err" if hasattr(kv, "info") else True
        assert backend.persistence_info()["aof_last_write_status"] == "err"
    backend.cron(kv.server)  # the retry succeeds: writes are accepted again
    assert kv.set("after", "2")
    kv.close()
    kv = open_engine(tmp_path, clock, persistence="aof")
    assert kv.get("before") == b"1" and kv.get("after") == b"2" and kv.get("refused") is None
    assert kv.get("during") == b"x"  # it was applied in memory and kept in the buffer
    kv.close()


def test_eio_on_fsync_gives_misconf_until_the_log_is_rewritten(tmp_path, clock, monkeypatch) -> None:
    kv = open_engine(tmp_path, clock, persistence="hybrid", appendfsync="everysec")
    backend = kv.server.persistence
    kv.set("a", 1)
    backend.cron(kv.server)
    with Failing(monkeypatch, "fsync", errno.EIO):
        backend._background_fsync()
        with pytest.raises(e.MisconfError, match="Input/output error"):
            kv.set("b", 2)
    backend._background_fsync()  # a retried fsync succeeds: it proves nothing (fsyncgate)
    with pytest.raises(e.MisconfError, match="Input/output error"):
        kv.set("b", 2)
    backend.cron(kv.server)      # starts the rewrite from memory
    assert backend.wait()
    kv.set("b", 2)
    kv.close()
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert (kv.get("a"), kv.get("b")) == (b"1", b"2")
    kv.close()


@pytest.mark.parametrize("method", ["fork", "copy"])
def test_failed_bgsave_refuses_writes_with_misconf(tmp_path, clock, monkeypatch, method) -> None:
    kv = open_engine(tmp_path, clock, persistence="snapshot", save="900 1", bgsave_method=method)
    backend = kv.server.persistence
    kv.set("a", 1)
    with Failing(monkeypatch, "replace", errno.ENOSPC):  # the child inherits the failure
        assert kv.bgsave(schedule=False)
        assert backend.wait()
    assert backend.persistence_info()["rdb_last_bgsave_status"] == "err"
    with pytest.raises(e.MisconfError) as info:
        kv.set("b", 2)
    assert str(info.value).startswith("MISCONF Redis is configured to save RDB snapshots, but it's currently "
                                      "unable to persist to disk.")
    assert kv.get("a") == b"1"
    assert not [n for n in os.listdir(tmp_path) if n.startswith("temp-")]  # no temp file left behind
    kv.config_set("stop-writes-on-bgsave-error", "no")
    assert kv.set("b", 2)
    kv.config_set("stop-writes-on-bgsave-error", "yes")
    with pytest.raises(e.MisconfError):
        kv.set("b", 3)
    assert kv.bgsave(schedule=False) and backend.wait()  # a good save lifts the refusal
    assert kv.set("b", 3)
    kv.close()


def test_save_failure_answers_err_and_keeps_the_old_snapshot(tmp_path, clock, monkeypatch) -> None:
    kv = open_engine(tmp_path, clock, persistence="snapshot")
    kv.set("a", 1)
    kv.save()
    good = (tmp_path / "dump.rdb").read_bytes()
    kv.set("a", 2)
    with Failing(monkeypatch, "write", errno.ENOSPC):
        with pytest.raises(e.ResponseError) as info:
            kv.save()
        assert info.value.line == "ERR"
    assert (tmp_path / "dump.rdb").read_bytes() == good
    assert not [n for n in os.listdir(tmp_path) if n.startswith("temp-")]
    kv.close()


def test_hand_written_log_with_relative_ttls_counts_from_load_time(tmp_path, clock) -> None:
    cmds = [[b"SET", b"a", b"1", b"EX", b"100"], [b"SETEX", b"b", b"50", b"2"], [b"SET", b"c", b"3"],
            [b"EXPIRE", b"c", b"10"], [b"SET", b"d", b"4", b"PXAT", b"1"]]
    (tmp_path / "appendonly.aof").write_bytes(b"".join(encode_command(c) for c in cmds))
    kv = open_engine(tmp_path, clock, persistence="aof")
    assert (kv.ttl("a"), kv.ttl("b"), kv.ttl("c")) == (100, 50, 10)
    assert kv.get("d") is None  # an absolute time long past
    kv.close()


def test_leftovers_of_an_interrupted_save_or_rewrite_are_removed(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    kv.set("a", 1)
    kv.close()
    aofdir = tmp_path / "appendonlydir"
    leftovers = [tmp_path / "temp-123-dump.rdb", aofdir / "temp-rewriteaof-bg-99001.aof",
                 aofdir / "appendonly.aof.manifest.tmp-77", aofdir / "appendonly.aof.3.base.rdb.tmp"]
    for path in leftovers:
        path.write_bytes(b"junk")
    (aofdir / "appendonly.aof.2.incr.aof").write_bytes(encode_command([b"SET", b"stale", b"1"]))
    (tmp_path / "notes.txt").write_text("mine")
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert not any(p.exists() for p in leftovers)
    assert (tmp_path / "notes.txt").exists()
    kv.bgrewriteaof()  # a new incremental file never takes the name of an existing one
    kv.server.persistence.wait()
    assert kv.get("stale") is None
    assert (aofdir / "appendonly.aof.2.incr.aof").read_bytes() == encode_command([b"SET", b"stale", b"1"])
    assert (aofdir / "appendonly.aof.3.incr.aof").exists()
    kv.close()
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert kv.keys() == [b"a"]
    kv.close()


# -- every byte flip and every truncation of every file kind -----------------------------------
def payload_offsets(data: bytes, base: int = 0) -> set[int]:
    """Offsets of the bytes inside bulk-string payloads of a RESP command stream: the
    only bytes whose damage a log without checksums cannot see (as in Redis)."""
    inside: set[int] = set()
    pos = base
    while pos < len(data):
        eol = data.index(b"\r\n", pos)
        count, pos = int(data[pos + 1:eol]), eol + 2
        for _ in range(count):
            eol = data.index(b"\r\n", pos)
            length, pos = int(data[pos + 1:eol]), eol + 2
            inside.update(range(pos, pos + length))
            pos += length + 2
    return inside


def _load(tmp_path, clock, mode):  # type: ignore[no-untyped-def]
    """dump() of the directory, or the PersistenceError's message."""
    try:
        kv = open_engine(tmp_path, clock, persistence=mode)
    except PersistenceError as exc:
        return str(exc)
    try:
        return dump(kv)
    finally:
        kv.close()


FLIPS = (0x01, 0x80, 0xFF)


@pytest.mark.parametrize("kind", ["manifest", "base.rdb", "base.aof", "incr", "single"])
def test_every_byte_flip_and_truncation_of_every_file_kind(tmp_path, clock, kind) -> None:
    mode = "aof" if kind == "single" else "hybrid"
    kv = open_engine(tmp_path, clock, persistence=mode, rdbcompression=False,
                     aof_use_rdb_preamble=kind != "base.aof")
    kv.set("a", "1")
    kv.hset("h", mapping={"f": "v"})
    kv.bgrewriteaof()
    kv.server.persistence.wait()
    kv.incr("a")
    kv.rpush("l", "x", "y")
    kv.client(db=2).set("b", "2")
    kv.delete("h")
    expected = dump(kv)
    kv.close()
    aofdir = tmp_path / "appendonlydir"
    path = {"manifest": aofdir / "appendonly.aof.manifest", "base.rdb": aofdir / "appendonly.aof.2.base.rdb",
            "base.aof": aofdir / "appendonly.aof.2.base.aof", "incr": aofdir / "appendonly.aof.2.incr.aof",
            "single": tmp_path / "appendonly.aof"}[kind]
    data = path.read_bytes()
    resp = kind in ("base.aof", "incr", "single")
    start = 0
    if kind == "single":  # a snapshot preamble, then RESP
        reader = SnapshotReader(str(path), data)
        list(reader.records())
        start = reader.end_offset
    inside = payload_offsets(data, start) if resp else set()
    # The data set before each command of a last file (what a cut-off tail leaves).
    before: dict[int, object] = {}
    if kind in ("incr", "single"):
        ends = [start] + [end for _, end, _ in parse_commands(data[start:], start)]
        for a, b in itertools.pairwise(ends):
            path.write_bytes(data[:a])
            state = _load(tmp_path, clock, mode)
            for offset in range(a, b):
                before[offset] = state
    name = path.name
    for offset in range(len(data)):
        for flip in FLIPS:
            bad = bytearray(data)
            bad[offset] ^= flip
            path.write_bytes(bytes(bad))
            got = _load(tmp_path, clock, mode)
            if isinstance(got, str):  # refused: naming the file (or the manifest that names it)
                assert re.search(rf"({re.escape(name)}|manifest).*offset \d+", got), (offset, got)
            elif got != expected:     # loaded differently: only where RESP cannot tell
                assert offset in inside or got == before.get(offset), (kind, offset, flip)
    for cut in range(len(data)):
        path.write_bytes(data[:cut])
        got = _load(tmp_path, clock, mode)
        if kind == "single" and cut < start:  # inside the preamble, or emptied
            assert isinstance(got, str) and "offset" in got, (kind, cut, got)
        elif kind in ("incr", "single"):  # aof-load-truncated: the torn tail is cut
            assert not isinstance(got, str) and got == before.get(cut, expected), (kind, cut)
        else:
            assert isinstance(got, str) and "offset" in got, (kind, cut, got)
    path.write_bytes(data)
    assert _load(tmp_path, clock, mode) == expected
