"""The shared scheduler (kvengine.cron): one thread for every engine, parked crons,
weak references, fork and interpreter exit."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading
import weakref

import pytest

from kvengine import Engine, ManualClock
from kvengine import server as server_module
from kvengine.cron import SCHEDULER


def _wait_for(predicate, timeout: float = 5.0) -> bool:
    """Poll `predicate` on an event with a timeout (the scheduler runs on its thread)."""
    event = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return True
        event.wait(0.01)
    return bool(predicate())


def _kvengine_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("kvengine")]


def test_many_engines_share_one_thread(tmp_path) -> None:
    engines = [Engine() for _ in range(200)]
    disk = Engine(str(tmp_path), appendfsync="everysec")
    try:
        for i, kv in enumerate(engines):
            kv.set("k", i, ex=100)
        disk.set("k", "v")
        names = _kvengine_threads()
        assert names.count("kvengine-cron") <= 1
        assert "kvengine-persistence" not in names
        # the everysec log still reaches the OS without a thread of its own
        log_dir = tmp_path / "appendonlydir"
        assert _wait_for(lambda: any(p.name.endswith(".incr.aof") and b"SET" in p.read_bytes()
                                     for p in log_dir.iterdir()))
    finally:
        for kv in engines:
            kv.close()
        disk.close()


def test_idle_engines_are_parked_not_ticked() -> None:
    engines = [Engine() for _ in range(500)]
    try:
        for kv in engines:
            kv.set("plain", "no ttl")  # the fast path: no TTL, nothing for the cron
        # (the once-a-second sweep may re-arm some for one tick: they park again after it)
        assert _wait_for(lambda: all(kv.server.cron_parked for kv in engines))
        # parked crons are not in the scheduler's heap: idle engines cost no tick
        live = [t for _, _, t in SCHEDULER._heap if not t.cancelled]
        ours = {id(kv.server._cron) for kv in engines}
        assert not [t for t in live if id(t) in ours]
    finally:
        for kv in engines:
            kv.close()


def test_a_ttl_arms_the_cron_and_expiry_runs_in_the_background() -> None:
    clock = ManualClock()
    kv = Engine(clock=clock, hz=100)
    try:
        assert kv.server.cron_parked
        kv.set("k", "v", ex=1)  # the general path re-arms at once
        assert not kv.server.cron_parked
        clock.advance(2)
        assert _wait_for(lambda: kv.server.stats.expired_keys == 1)
        assert len(kv.server.dbs[0].table) == 0
        # nothing left with a TTL: the next tick parks it again
        assert _wait_for(lambda: kv.server.cron_parked)
    finally:
        kv.close()


def test_writes_outside_the_general_path_are_seen_by_the_sweep() -> None:
    clock = ManualClock()
    kv = Engine(clock=clock, hz=100)
    try:
        with kv.pipeline(transaction=False) as pipe:
            pipe.set("k", "v", ex=1)
            pipe.execute()
        srv = kv.server
        # whatever path wrote, the dirty counter moved: the sweep re-arms the cron
        server_module._SWEEPER.sweep()
        assert not srv.cron_parked
        clock.advance(2)
        assert _wait_for(lambda: srv.stats.expired_keys == 1)
    finally:
        kv.close()


def test_active_expire_false_never_schedules() -> None:
    kv = Engine(active_expire=False)
    kv.set("k", "v", ex=1)
    assert kv.server._cron is None and not kv.server.cron_parked
    kv.close()


def test_an_engine_dropped_without_close_is_collected() -> None:
    kv = Engine(hz=100)
    kv.set("k", "v", ex=100)  # armed: its task is in the heap
    task = kv.server._cron
    server_ref = weakref.ref(kv.server)
    del kv
    gc.collect()
    assert server_ref() is None
    assert task.cancelled or task.ref() is None
    assert id(task) not in server_module._PARKED


def test_closed_engine_leaves_the_schedule() -> None:
    kv = Engine()
    task = kv.server._cron
    assert id(task) in server_module._PARKED
    kv.close()
    assert task.cancelled and id(task) not in server_module._PARKED


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_the_scheduler_restarts_in_a_forked_child() -> None:
    clock = ManualClock()
    kv = Engine(clock=clock, hz=100)
    kv.set("armed", "v", ex=1000)  # armed in the parent: its thread is running
    assert _wait_for(lambda: SCHEDULER.thread() is not None)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        status = 1
        try:
            ok = SCHEDULER.thread() is None  # the parent's thread does not exist here
            kv.set("k", "v", ex=1)            # the child's first write re-arms its cron
            clock.advance(2)
            ok = ok and _wait_for(lambda: kv.server.stats.expired_keys >= 1)
            ok = ok and SCHEDULER.thread() is not None
            status = 0 if ok else 1
            os.write(write, b"ok" if ok else b"no")
        finally:
            os._exit(status)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    answer = os.read(read, 16)
    os.close(read)
    try:
        assert answer == b"ok" and os.WEXITSTATUS(status) == 0
        assert kv.get("k") is None  # the child's writes stayed in the child
        assert kv.get("armed") == b"v"
    finally:
        kv.close()


def test_interpreter_exit_with_engines_open(tmp_path) -> None:
    code = textwrap.dedent(f"""
        from kvengine import Engine
        keep = [Engine() for _ in range(50)]
        for i, kv in enumerate(keep):
            kv.set("k", i, ex=60)
        disk = Engine({str(tmp_path)!r}, appendfsync="everysec")
        disk.set("survives", "exit")
        # no close(): the interpreter exits with engines armed on the scheduler
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=os.getcwd())
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "Exception" not in out.stderr
    with Engine(str(tmp_path)) as again:
        assert again.get("survives") == b"exit"
