"""DEBUG on the engine itself: RELOAD and LOADAOF through persistence, SLEEP on the
engine clock, the active expiry switch, and what Redis cannot show us."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvengine import Engine
from kvengine.clock import ManualClock
from tests.persistence_helpers import dump, fill


def _debug(kv: Engine, *args: str) -> object:
    return kv.execute_command("DEBUG", *args)


@pytest.mark.parametrize("mode", ["snapshot", "aof", "hybrid", None])
def test_reload_round_trips_the_data_set(tmp_path: Path, clock: ManualClock, mode: str | None) -> None:
    kv = Engine(str(tmp_path) if mode else None, persistence=mode, clock=clock, enable_debug_command="yes")
    fill(kv)
    before, digest = dump(kv), _debug(kv, "DIGEST")
    dirty = kv.server.dirty
    assert _debug(kv, "RELOAD") == b"OK"
    assert dump(kv) == before and _debug(kv, "DIGEST") == digest
    assert kv.server.dirty == dirty  # nothing to propagate
    kv.set("after", "reload")
    kv.close()
    if mode:  # the files still hold everything, once
        again = Engine(str(tmp_path), persistence=mode, clock=clock)
        expected = dict(before)
        expected[(0, b"after")] = ("string", b"reload", -1)
        assert dump(again) == expected
        again.close()


def test_reload_nosave_without_an_image_fails(clock: ManualClock) -> None:
    kv = Engine(clock=clock, enable_debug_command="yes", active_expire=False)
    kv.set("k", "v")
    with pytest.raises(Exception, match="Error trying to load the RDB dump"):
        _debug(kv, "RELOAD", "NOSAVE")
    assert kv.get("k") == b"v"
    _debug(kv, "RELOAD")
    kv.set("k2", "v2")
    _debug(kv, "RELOAD", "NOSAVE")  # back to the saved image
    assert kv.get("k2") is None and kv.get("k") == b"v"
    kv.close()


@pytest.mark.parametrize("mode", ["aof", "hybrid"])
def test_loadaof_replays_the_log(tmp_path: Path, clock: ManualClock, mode: str) -> None:
    kv = Engine(str(tmp_path), persistence=mode, clock=clock, enable_debug_command="yes")
    fill(kv)
    before, digest = dump(kv), _debug(kv, "DIGEST")
    assert _debug(kv, "LOADAOF") == b"OK"
    assert dump(kv) == before and _debug(kv, "DIGEST") == digest
    kv.set("more", "1")
    kv.close()
    again = Engine(str(tmp_path), persistence=mode, clock=clock)
    assert again.get("more") == b"1" and len(dump(again)) == len(before) + 1
    again.close()


def test_loadaof_needs_a_log(clock: ManualClock) -> None:
    kv = Engine(clock=clock, enable_debug_command="yes", active_expire=False)
    with pytest.raises(Exception, match="needs appendonly yes"):
        _debug(kv, "LOADAOF")
    kv.close()


def test_sleep_moves_a_manual_clock() -> None:
    clock = ManualClock(1_700_000_000_000)
    kv = Engine(clock=clock, enable_debug_command="yes", active_expire=False)
    kv.set("k", "v", px=1500)
    _debug(kv, "SLEEP", "1.5")
    assert clock() == 1_700_000_001_500
    assert kv.get("k") is None
    _debug(kv, "SLEEP", "abc")  # strtod: 0
    assert clock() == 1_700_000_001_500
    kv.close()


def test_set_active_expire_and_pause_cron(clock: ManualClock) -> None:
    kv = Engine(clock=clock, enable_debug_command="yes", active_expire=False)
    for i in range(20):
        kv.set(f"k{i}", "v", px=10)
    clock.advance(1)
    _debug(kv, "SET-ACTIVE-EXPIRE", "0")
    kv.server.cron()
    assert kv.dbsize() == 20  # the keys are there, expired but not collected
    _debug(kv, "SET-ACTIVE-EXPIRE", "1")
    _debug(kv, "PAUSE-CRON", "1")
    kv.server.cron()
    assert kv.dbsize() == 20
    _debug(kv, "PAUSE-CRON", "0")
    kv.server.cron()
    assert kv.dbsize() == 0
    kv.close()


def test_change_repl_id_and_crashers(clock: ManualClock) -> None:
    kv = Engine(clock=clock, enable_debug_command="local", active_expire=False)
    before = kv.info("replication")["master_replid"]
    _debug(kv, "CHANGE-REPL-ID")
    after = kv.info("replication")["master_replid"]
    assert after != before and len(after) == 40
    for sub in ("SEGFAULT", "PANIC", "RESTART", "OOM", "ASSERT", "CRASH-AND-RECOVER"):
        with pytest.raises(Exception, match="not supported by an in-process engine"):
            _debug(kv, sub)
    assert _debug(kv, "STRINGMATCH-TEST") == b"Apparently Redis did not crash: test passed"
    kv.set("k", "v")
    assert kv.get("k") == b"v"
    kv.close()


def test_debug_is_refused_in_scripts(clock: ManualClock) -> None:
    kv = Engine(clock=clock, enable_debug_command="yes", active_expire=False)
    with pytest.raises(Exception, match="not allowed from script"):
        kv.eval("return redis.call('DEBUG', 'DIGEST')", 0)
    kv.close()
