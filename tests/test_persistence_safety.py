"""Persistence never loses data silently: the directory lock, refused manifests,
never-reused file names, sticky fsync failures, file modes."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from kvengine import Engine, ManualClock
from kvengine import exceptions as e
from kvengine.persistence import FS, DataDirLocked, PersistenceError
from kvengine.persistence.base import write_file_atomic
from kvengine.persistence.check import check_aof, export_resp
from kvengine.persistence.hybrid import format_manifest, parse_manifest
from tests.persistence_helpers import Failing, child_env, dump, fill


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000_000)


def open_engine(path, clock, **options) -> Engine:  # type: ignore[no-untyped-def]
    return Engine(str(path), clock=clock, active_expire=False, seed=1, **options)


def files_of(directory) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """Every file under `directory` (but the lock file) and its bytes."""
    out = {}
    for root, _, names in os.walk(directory):
        for name in names:
            if name != "kvengine.lock":
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    out[os.path.relpath(path, directory)] = f.read()
    return out


# -- the directory lock ------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["snapshot", "aof", "hybrid"])
def test_a_second_engine_on_one_directory_fails_at_once(tmp_path, clock, mode) -> None:
    kv = open_engine(tmp_path, clock, persistence=mode)
    kv.set("a", "1")
    with pytest.raises(DataDirLocked) as info:
        open_engine(tmp_path, clock, persistence=mode)
    message = str(info.value)
    assert str(tmp_path) in message and f"process {os.getpid()}" in message
    assert isinstance(info.value, PersistenceError)
    assert kv.set("b", "2") and kv.get("a") == b"1"  # the first one is unharmed
    kv.close()
    kv = open_engine(tmp_path, clock, persistence=mode)  # released on close
    if mode != "snapshot":
        assert kv.get("b") == b"2"
    kv.close()


HOLDER = textwrap.dedent("""
    import sys
    from kvengine import Engine
    kv = Engine(sys.argv[1], persistence="hybrid", appendfsync="always")
    kv.set("from-holder", "1")
    print("ready", flush=True)
    sys.stdin.readline()
""")


def test_another_process_holding_the_directory_is_named_and_a_crash_releases_it(tmp_path) -> None:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, str(script), str(data)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=os.getcwd(), env=child_env())
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        with pytest.raises(DataDirLocked, match=rf"{data}: .* in use .*process {proc.pid}\b"):
            Engine(str(data))
    finally:
        proc.kill()  # SIGKILL: no close, the kernel drops the lock
        proc.wait()
    kv = Engine(str(data))
    assert kv.get("from-holder") == b"1"
    kv.close()


def test_a_failed_load_releases_the_lock(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock)
    kv.set("a", 1)
    kv.close()
    manifest = tmp_path / "appendonlydir" / "appendonly.aof.manifest"
    good = manifest.read_bytes()
    manifest.write_bytes(b"")
    with pytest.raises(PersistenceError):
        open_engine(tmp_path, clock)
    manifest.write_bytes(good)
    kv = open_engine(tmp_path, clock)  # not "in use": the failed open let go
    assert kv.get("a") == b"1"
    kv.close()


def test_temp_file_names_are_unique_per_process_and_call(tmp_path, clock, monkeypatch) -> None:
    seen: list[str] = []
    orig = FS.replace

    def replace(src: str, dst: str) -> None:
        seen.append(os.path.basename(src))
        orig(src, dst)

    monkeypatch.setattr(FS, "replace", replace)
    kv = open_engine(tmp_path, clock, save="", bgsave_method="copy")  # copy: the writer is this process
    kv.set("a", 1)
    kv.save()
    kv.save()
    kv.bgsave()
    kv.server.persistence.wait()
    kv.bgrewriteaof()
    kv.server.persistence.wait()
    write_file_atomic(str(tmp_path / "x"), b"1")
    write_file_atomic(str(tmp_path / "x"), b"2")
    kv.close()
    temps = [name for name in seen if "tmp" in name or name.startswith("temp-")]
    assert len(temps) >= 8
    assert len(set(temps)) == len(temps)  # no two alike
    assert all(str(os.getpid()) in name for name in temps)


# -- damaged or missing manifests and bases are refused ------------------------------------------
def hybrid_dir(tmp_path, clock, **options):  # type: ignore[no-untyped-def]
    kv = open_engine(tmp_path, clock, persistence="hybrid", **options)
    fill(kv)
    kv.bgrewriteaof()  # a base with data in it
    kv.server.persistence.wait()
    kv.set("after", "rewrite")
    expected = dump(kv)
    kv.close()
    return tmp_path / "appendonlydir", expected


def _refused(tmp_path, clock, pattern: str, **options) -> str:  # type: ignore[no-untyped-def]
    before = files_of(tmp_path)
    with pytest.raises(PersistenceError, match=pattern) as info:
        open_engine(tmp_path, clock, persistence="hybrid", **options)
    message = str(info.value)
    assert "offset" in message, message
    assert "check-aof" in message, message   # what to do
    assert files_of(tmp_path) == before     # nothing was changed or deleted
    return message


MANIFEST = "appendonly.aof.manifest"


@pytest.mark.parametrize("damage, pattern", [
    (lambda m: b"", r"appendonly\.aof\.manifest: empty manifest"),
    (lambda m: m[:-1], r"truncated manifest"),
    (lambda m: m[:m.index(b"\n") + 5], r"truncated manifest"),
    (lambda m: b"# only a comment\n", r"lists no base or incremental file"),
    (lambda m: m.split(b"\n", 1)[0] + b"\n", r"checksum mismatch"),
    (lambda m: m.replace(b"type i", b"type h"), r"checksum mismatch"),
    (lambda m: m.replace(b"2.incr", b"3.incr"), r"checksum mismatch"),
    (lambda m: m.split(b"\n", 1)[1].replace(b"appendonly.aof.2.incr.aof", b"other.aof"),
     r"listed file other\.aof does not exist"),
    (lambda m: m.split(b"\n", 1)[1].replace(b"seq 2 type i", b"seq 3 type i"), r"inconsistent manifest"),
    (lambda m: m.split(b"\n", 1)[1].replace(b"type i", b"type b"), r"inconsistent manifest"),
    (lambda m: b"".join(reversed(m.split(b"\n", 1)[1].splitlines(True))), r"base file after"),
    (lambda m: m.split(b"\n", 1)[1] * 2, r"listed twice"),
    (lambda m: m.replace(b"seq", b"sex"), r"malformed|checksum"),
])
def test_bad_manifest_is_refused_never_loaded_empty(tmp_path, clock, damage, pattern) -> None:
    directory, expected = hybrid_dir(tmp_path, clock)
    manifest = directory / MANIFEST
    good = manifest.read_bytes()
    manifest.write_bytes(damage(good))
    _refused(tmp_path, clock, pattern)
    assert not check_aof(directory).ok
    manifest.write_bytes(good)
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert dump(kv) == expected
    kv.close()


def test_a_manifest_without_the_checksum_line_is_redis_format_and_loads(tmp_path, clock) -> None:
    directory, expected = hybrid_dir(tmp_path, clock)
    manifest = directory / MANIFEST
    manifest.write_bytes(manifest.read_bytes().split(b"\n", 1)[1])  # as Redis writes it
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert dump(kv) == expected
    kv.close()


def test_missing_manifest_beside_log_files_is_refused(tmp_path, clock) -> None:
    directory, expected = hybrid_dir(tmp_path, clock)
    good = (directory / MANIFEST).read_bytes()
    (directory / MANIFEST).unlink()
    message = _refused(tmp_path, clock, r"manifest is missing but .* holds appendonly\.aof\.2\.base\.rdb")
    assert "restore the manifest" in message
    (directory / MANIFEST).write_bytes(good)
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    assert dump(kv) == expected
    kv.close()


@pytest.mark.parametrize("preamble", [True, False])
def test_base_that_does_not_parse_is_refused(tmp_path, clock, preamble) -> None:
    directory, _ = hybrid_dir(tmp_path, clock, aof_use_rdb_preamble=preamble)
    base = directory / f"appendonly.aof.2.base.{'rdb' if preamble else 'aof'}"
    data = base.read_bytes()
    garbage = b"*2\r\n$3\r\nGET\r\n"  # GET has arity 2: this is not a log (nor a snapshot)
    base.write_bytes(garbage + data[len(garbage):])  # same size: only its content is wrong
    _refused(tmp_path, clock, r"2\.base\.(rdb|aof): .* at offset 0")
    for cut in (len(data) - 3, data.rfind(b"*") if not preamble else len(data) // 2):  # mid-command, at a boundary
        base.write_bytes(data[:cut])  # never accepted for a base, aof-load-truncated or not
        _refused(tmp_path, clock, r"2\.base\.(rdb|aof): truncated: \d+ bytes, the manifest recorded \d+")


def test_unknown_snapshot_format_version_is_refused(tmp_path, clock) -> None:
    directory, _ = hybrid_dir(tmp_path, clock)
    base = directory / "appendonly.aof.2.base.rdb"
    data = bytearray(base.read_bytes())
    data[8:10] = (99).to_bytes(2, "little")
    base.write_bytes(bytes(data))
    _refused(tmp_path, clock, r"unsupported snapshot format version 99 at offset 8")
    kv = open_engine(tmp_path / "snap", clock, persistence="snapshot")
    kv.set("a", 1)
    kv.save()
    kv.close()
    rdb = tmp_path / "snap" / "dump.rdb"
    data = bytearray(rdb.read_bytes())
    data[8:10] = (2).to_bytes(2, "little")
    rdb.write_bytes(bytes(data))
    with pytest.raises(PersistenceError, match=r"dump\.rdb: unsupported snapshot format version 2 .*check-snapshot"):
        open_engine(tmp_path / "snap", clock, persistence="snapshot")


def test_truncated_earlier_incremental_file_is_an_error_the_last_is_cut(tmp_path, clock) -> None:
    kv = open_engine(tmp_path, clock, persistence="hybrid")
    kv.set("a", 1)
    with kv.server.lock:  # a rewrite whose child failed: two incremental files
        kv.server.persistence.log.begin_rewrite()
        kv.server.persistence.log.finish_rewrite("/nonexistent", False)
    kv.set("b", 2)
    kv.set("c", 3)
    kv.close()
    directory = tmp_path / "appendonlydir"
    last = directory / "appendonly.aof.2.incr.aof"
    last.write_bytes(last.read_bytes()[:-3])
    kv = open_engine(tmp_path, clock, persistence="hybrid")  # the torn tail of the last file: cut
    assert (kv.get("a"), kv.get("b"), kv.get("c")) == (b"1", b"2", None)
    kv.close()
    first = directory / "appendonly.aof.1.incr.aof"
    first.write_bytes(first.read_bytes()[:-3])
    _refused(tmp_path, clock, r"1\.incr\.aof: truncated: \d+ bytes, the manifest recorded \d+, at offset \d+")
    # A cut at a command boundary too: the manifest recorded the size of a closed file.
    data = first.read_bytes()
    first.write_bytes(data[:data.rindex(b"*")])
    _refused(tmp_path, clock, r"1\.incr\.aof: truncated")


def test_a_new_layout_never_reuses_a_sequence_number_on_disk(tmp_path, clock) -> None:
    directory = tmp_path / "appendonlydir"
    directory.mkdir()
    stray = {"appendonly.aof.1.incr.aof": b"*1\r\n$4\r\nPING\r\n", "appendonly.aof.2.base.aof": b""}
    for name, data in stray.items():
        (directory / name).write_bytes(data)
    # Files but no manifest: refused (see above).  With appendonly off, BGREWRITEAOF
    # writes a fresh layout (Redis 7 does) beside them, without touching them.
    kv = open_engine(tmp_path, clock, persistence="snapshot")
    kv.set("a", 1)
    assert kv.bgrewriteaof()
    kv.close()
    for name, data in stray.items():
        assert (directory / name).read_bytes() == data
    parts = parse_manifest((directory / MANIFEST).read_bytes(), MANIFEST)
    assert [p.name for p in parts] == ["appendonly.aof.3.base.rdb", "appendonly.aof.3.incr.aof"]


def test_format_manifest_round_trips() -> None:
    from kvengine.persistence.hybrid import Part

    parts = [Part("x.3.base.rdb", 3, "b"), Part("x.3.incr.aof", 3, "i"), Part("x.4.incr.aof", 4, "i")]
    assert parse_manifest(format_manifest(parts), "m") == parts


# -- a failed fsync ("fsyncgate") ----------------------------------------------------------------
@pytest.mark.parametrize("mode", ["aof", "hybrid"])
@pytest.mark.parametrize("method", ["fork", "copy"])
def test_failed_fsync_under_always_refuses_writes_until_a_rewrite(tmp_path, clock, monkeypatch, mode, method) -> None:
    kv = open_engine(tmp_path, clock, persistence=mode, appendfsync="always", bgsave_method=method)
    backend = kv.server.persistence
    kv.set("a", "1")
    misconf = "MISCONF Errors writing to the AOF file: Input/output error"
    with Failing(monkeypatch, "fsync", errno.EIO):
        with pytest.raises(e.MisconfError, match=misconf):
            kv.set("b", "2")  # applied in memory, never acknowledged
    # The disk "recovered": a retried fsync succeeds, but the dropped pages are not
    # back, so success is not reported for anything until the log is rewritten.
    assert backend.log.file.fsync()
    with pytest.raises(e.MisconfError, match=misconf):
        kv.set("c", "3")
    assert kv.get("a") == b"1"
    assert backend.persistence_info()["aof_last_write_status"] == "err"
    rewrites = backend.aof_rewrites
    with Failing(monkeypatch, "fsync", errno.EIO):  # the recovery rewrite fails too: still refused
        backend.cron(kv.server)
        assert backend.wait()
    with pytest.raises(e.MisconfError):
        kv.set("c", "3")
    backend.cron(kv.server)   # retried only after Redis's retry delay
    assert backend.aof_rewrites == rewrites and backend.child is None
    clock.advance(6)
    backend.cron(kv.server)
    assert backend.wait()
    assert backend.aof_rewrites == rewrites + 1
    assert kv.set("c", "3")
    assert backend.persistence_info()["aof_last_write_status"] == "ok"
    kv.close()
    kv = open_engine(tmp_path, clock, persistence=mode)
    assert (kv.get("a"), kv.get("b"), kv.get("c")) == (b"1", b"2", b"3")  # b: in memory, so in the rewrite
    kv.close()


# -- file modes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o027, 0o640), (0o000, 0o664), (0o077, 0o600)])
def test_every_file_is_created_with_the_umask_never_world_writable(tmp_path, clock, umask, expected) -> None:
    old = os.umask(umask)
    try:
        for mode, method in (("hybrid", "fork"), ("aof", "copy")):
            kv = open_engine(tmp_path / mode, clock, persistence=mode, bgsave_method=method)
            kv.set("a", "1")
            kv.save()
            kv.bgsave()
            kv.server.persistence.wait()
            kv.bgrewriteaof()
            kv.server.persistence.wait()
            kv.set("b", "2")
            kv.close()
        export_resp(tmp_path / "hybrid", tmp_path / "export.resp")
    finally:
        os.umask(old)
    files = [os.path.join(root, n) for root, _, names in os.walk(tmp_path) for n in names]
    assert len(files) >= 9  # lock, dump, manifest, base, incr (x2 layouts), export
    for path in files:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode == expected, (path, oct(mode))
        assert not mode & stat.S_IWOTH


def test_config_set_appendonly_in_a_locked_directory_is_a_config_error(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    holder = Engine(str(tmp_path), persistence="snapshot", save="")
    kv = Engine()
    try:
        with pytest.raises(e.ResponseError, match=r"Unable to turn on AOF .*in use by another Engine"):
            kv.config_set("appendonly", "yes")
        kv.set("still", "works")
    finally:
        kv.close()
        holder.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_a_fork_child_never_writes_the_parents_directory(tmp_path, policy) -> None:
    """A forked child works on a private copy: its writes, its close() and its exit
    handlers leave the parent's files alone, and the parent's buffered writes are not
    written twice (an INCR logged twice would count twice)."""
    import atexit

    kv = Engine(str(tmp_path), appendfsync=policy, active_expire=False)
    for _ in range(5):
        kv.incr("counter")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            for i in range(500):
                kv.set(f"child{i}", "x")
            kv.incr("counter")
            code = 0 if kv.get("child499") == b"x" else 2  # the child's copy works
            kv.close()
            atexit._run_exitfuncs()  # what a normal interpreter exit would run
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    kv.incr("counter")
    kv.close()
    kv = Engine(str(tmp_path), active_expire=False)
    assert kv.get("counter") == b"6"
    assert not [k for k in kv.keys() if k.startswith(b"child")]
    kv.close()
