"""The log loads into a real Redis: ``redis-cli --pipe < file`` with zero errors, and
the real server then holds the same data set as kvengine.  Also: the persistence
commands' replies and errors against the real server."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from kvengine import Engine, ManualClock
from kvengine.persistence.check import export_resp
from kvengine.persistence.hybrid import manifest_entries
from tests.persistence_helpers import fill


def _pipe(port: int, data: bytes) -> str:
    exe = shutil.which("redis-cli")
    if exe is None:
        if os.environ.get("KVENGINE_REQUIRE_REDIS"):
            pytest.fail("redis-cli is required (KVENGINE_REQUIRE_REDIS=1)")
        pytest.skip("redis-cli is not installed")
    proc = subprocess.run([exe, "-p", str(port), "--pipe"], input=data, capture_output=True, timeout=60)
    out = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 0, out
    return out


def _snapshot_of(client, databases: list[int]) -> dict:  # type: ignore[no-untyped-def]
    """Every key's type, value and absolute expiry, read with ordinary commands."""
    out = {}
    if isinstance(client, Engine):  # raw replies, as the real client (callbacks cleared) gives
        engine = client

        class Raw:
            def execute_command(self, *args):  # type: ignore[no-untyped-def]
                return engine._call([engine._enc(a) for a in args])

        client = Raw()
    for db in databases:
        client.execute_command("SELECT", db)
        for key in client.execute_command("KEYS", "*"):
            kind = client.execute_command("TYPE", key)
            kind = kind.decode() if isinstance(kind, bytes) else kind
            if kind == "string":
                value = client.execute_command("GET", key)
            elif kind == "hash":
                flat = client.execute_command("HGETALL", key)
                value = dict(zip(flat[::2], flat[1::2]))
            elif kind == "list":
                value = client.execute_command("LRANGE", key, 0, -1)
            elif kind == "set":
                value = sorted(client.execute_command("SMEMBERS", key))
            elif kind == "zset":
                flat = client.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")
                value = [(m, float(s)) for m, s in zip(flat[::2], flat[1::2])]
            else:  # pragma: no cover
                value = kind
            out[(db, key)] = (kind, value, client.execute_command("PEXPIRETIME", key))
    client.execute_command("SELECT", 0)
    return out


def _workload(kv: Engine) -> None:
    fill(kv)
    kv.set("ttl:rel", "x", ex=3600)
    kv.getex("s", px=7_200_000)
    kv.lmove("l", "l2", "LEFT", "RIGHT")
    kv.rpop("l", 2)
    kv.hincrbyfloat("h", "fl", 2.5)
    kv.zincrby("z", 3, "new")
    kv.zpopmin("z")
    kv.srem("set:int", 2)
    kv.rename("n", "n2")
    kv.client(db=5).mset({"m1": "1", "m2": "2"})
    kv.swapdb(5, 6)
    kv.client(db=6).move("m1", 7)
    kv.append("s:bin", "tail")
    kv.setrange("s", 2, "XY")
    kv.persist("h")


@pytest.mark.parametrize("options", [
    {"persistence": "aof"},
    {"persistence": "hybrid", "aof_use_rdb_preamble": False},
])
def test_log_pipes_into_real_redis(tmp_path, real_client, redis_port, options) -> None:
    real_client.flushall()
    kv = Engine(str(tmp_path), active_expire=False, **options)
    _workload(kv)
    backend = kv.server.persistence
    kv.bgrewriteaof()
    backend.wait()
    kv.sadd("after:rewrite", "m")
    kv.incrby("n2", 10)
    mine = _snapshot_of(kv, list(range(16)))
    kv.close()
    if options["persistence"] == "aof":
        data = (tmp_path / "appendonly.aof").read_bytes()
    else:
        directory = tmp_path / "appendonlydir"
        names = manifest_entries((directory / "appendonly.aof.manifest").read_text())
        data = b"".join((directory / name).read_bytes() for name in names)
    out = _pipe(redis_port, data)
    assert "errors: 0," in out, out
    assert _snapshot_of(real_client, list(range(16))) == mine


def test_exported_hybrid_with_snapshot_base_pipes_into_real_redis(tmp_path, real_client, redis_port) -> None:
    real_client.flushall()
    kv = Engine(str(tmp_path / "data"), active_expire=False)
    _workload(kv)
    mine = _snapshot_of(kv, list(range(16)))
    kv.close()
    out_file = tmp_path / "export.resp"
    export_resp(tmp_path / "data", out_file)
    out = _pipe(redis_port, out_file.read_bytes())
    assert "errors: 0," in out, out
    assert _snapshot_of(real_client, list(range(16))) == mine


def test_persistence_command_errors(both) -> None:
    both.error("syntax error", "BGSAVE", "NOW")
    both.error("wrong number of arguments", "SAVE", "x")
    both.error("wrong number of arguments", "BGREWRITEAOF", "x")
    both.error("wrong number of arguments", "LASTSAVE", "x")


def test_lastsave_is_an_integer_unix_time(both) -> None:
    real, mine = both.raw("LASTSAVE")
    assert isinstance(real, int) and isinstance(mine, int)
    assert abs(real - mine) < 10**6


def test_manual_clock_lastsave(tmp_path) -> None:
    clock = ManualClock(1_700_000_000_000)
    kv = Engine(str(tmp_path), persistence="snapshot", clock=clock, active_expire=False)
    clock.advance(5)
    kv.save()
    assert int(kv.lastsave().timestamp()) == 1_700_000_005
    kv.close()
