"""allow-busy commands while a script is busy (Redis 7.0's processCommand).

MULTI, DISCARD, WATCH, UNWATCH, SCRIPT KILL, FUNCTION KILL and FUNCTION STATS
answer at once while another thread's script is past busy-reply-threshold; every
other command gets BUSY, which inside MULTI flags the transaction, and EXEC then
answers EXECABORT with the BUSY text.  The expected replies were taken from
redis-server 7.0.15 with the same sequences (tests/differential/test_script_busy.py
replays the ones a killable script allows).

The scripts here wait on the engine's ManualClock through TIME, so each test
decides when the script ends.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from kvengine import BusyError, Engine, ManualClock, ResponseError
from kvengine.exceptions import ExecAbortError
from tests.threads import start

BUSY = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
BUSY_RE = re.compile("^" + re.escape(BUSY) + "$")
# Spins until the engine clock moved 10 s past the script's start, then writes wk.
GATED = ("local t0 = tonumber(redis.call('time')[1]) "
         "while tonumber(redis.call('time')[1]) < t0 + 10 do end "
         "redis.call('set', 'wk', 'script') return 'done'")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def kv(clock: ManualClock) -> Iterator[Engine]:
    engine = Engine(active_expire=False, busy_reply_threshold=1, clock=clock)
    yield engine
    engine.close()


def raw(c: Any, *args: Any) -> Any:
    """The reply without redis-py's response callbacks."""
    return c._call([c._enc(a) for a in args])


def wait_busy(kv: Engine) -> None:
    event = threading.Event()
    for _ in range(2000):
        try:
            kv.execute_command("PING")
        except BusyError:
            return
        event.wait(0.005)
    raise AssertionError("the script never became busy")


def run_gated(kv: Engine) -> tuple[threading.Thread, list[Any]]:
    t, out = start(lambda: kv.client().eval(GATED, 0))
    wait_busy(kv)
    return t, out


def release(clock: ManualClock, t: threading.Thread, out: list[Any]) -> None:
    clock.advance(10)
    t.join(30)
    assert not t.is_alive() and out == [b"done"]


def test_multi_queues_allowed_and_flags_busy(kv: Engine, clock: ManualClock) -> None:
    t, out = run_gated(kv)
    c = kv.client()
    assert c.execute_command("MULTI") == b"OK"
    with pytest.raises(BusyError, match=BUSY_RE):
        c.execute_command("SET", "a", "1")
    assert raw(c, "SCRIPT", "KILL") == b"QUEUED"  # Redis queues it, too
    with pytest.raises(ExecAbortError, match="^" + re.escape("Transaction discarded because of: " + BUSY) + "$"):
        c.execute_command("EXEC")
    assert c.multi is None  # EXEC's abort discarded the transaction
    release(clock, t, out)
    with pytest.raises(ResponseError, match=r"^EXEC without MULTI$"):
        c.execute_command("EXEC")
    assert kv.get("a") is None


def test_exec_after_the_script_aborts_a_flagged_transaction(kv: Engine, clock: ManualClock) -> None:
    t, out = run_gated(kv)
    c = kv.client()
    assert c.execute_command("MULTI") == b"OK"
    with pytest.raises(BusyError):
        c.execute_command("INCR", "n")
    release(clock, t, out)
    with pytest.raises(ExecAbortError, match=r"^Transaction discarded because of previous errors\.$"):
        c.execute_command("EXEC")
    assert kv.get("n") is None


def test_discard_and_unwatch_during_busy(kv: Engine, clock: ManualClock) -> None:
    t, out = run_gated(kv)
    c = kv.client()
    with pytest.raises(ResponseError, match=r"^DISCARD without MULTI$"):
        c.execute_command("DISCARD")
    assert c.execute_command("WATCH", "x") is True
    assert c.execute_command("MULTI") == b"OK"
    assert c.execute_command("DISCARD") == b"OK"
    assert c.watching == set() and kv.server.watched == {}
    assert c.execute_command("UNWATCH") is True
    release(clock, t, out)
    assert c.execute_command("MULTI") == b"OK"
    assert raw(c, "PING") == b"QUEUED"
    assert raw(c, "EXEC") == [b"PONG"]


def test_watch_during_busy_sees_the_scripts_write(kv: Engine, clock: ManualClock) -> None:
    kv.set("wk", "before")
    t, out = run_gated(kv)
    c = kv.client()
    assert c.execute_command("WATCH", "wk", "other") is True
    assert c.execute_command("MULTI") == b"OK"
    with pytest.raises(ResponseError, match=r"^WATCH inside MULTI is not allowed$"):
        c.execute_command("WATCH", "wk")
    c.execute_command("DISCARD")
    assert c.execute_command("WATCH", "wk") is True
    release(clock, t, out)
    assert c.execute_command("MULTI") == b"OK"
    c.execute_command("SET", "wk", "mine")
    assert c.execute_command("EXEC") is None  # the script wrote wk after the WATCH
    assert kv.get("wk") == b"script"


def test_watch_during_busy_of_an_untouched_key(kv: Engine, clock: ManualClock) -> None:
    t, out = run_gated(kv)
    c = kv.client()
    assert c.execute_command("WATCH", "quiet") is True
    release(clock, t, out)
    assert c.execute_command("MULTI") == b"OK"
    c.execute_command("SET", "quiet", "1")
    assert raw(c, "EXEC") == [b"OK"]


def test_watch_of_a_key_already_expired_does_not_abort(kv: Engine, clock: ManualClock) -> None:
    """Redis 7.0: a key already expired at WATCH is not a change when it goes."""
    kv.set("gone", "1", px=1)
    clock.advance(ms=5)  # expired, not yet removed (no active expiry)
    t, out = run_gated(kv)
    c = kv.client()
    assert c.execute_command("WATCH", "gone") is True
    release(clock, t, out)
    assert c.execute_command("MULTI") == b"OK"
    c.execute_command("SET", "gone", "2")
    assert raw(c, "EXEC") == [b"OK"]


def test_watch_of_a_key_that_expires_later_aborts(kv: Engine, clock: ManualClock) -> None:
    kv.set("ttl", "1", ex=5)
    t, out = run_gated(kv)
    c = kv.client()
    assert c.execute_command("WATCH", "ttl") is True
    release(clock, t, out)  # +10 s: expired after the WATCH
    assert c.execute_command("MULTI") == b"OK"
    c.execute_command("SET", "ttl", "2")
    assert c.execute_command("EXEC") is None


def test_function_commands_during_an_eval(kv: Engine, clock: ManualClock) -> None:
    t, out = run_gated(kv)
    c = kv.client()
    with pytest.raises(BusyError, match=BUSY_RE):
        c.execute_command("FUNCTION", "STATS")
    with pytest.raises(BusyError, match=BUSY_RE):
        c.execute_command("FUNCTION", "KILL")
    release(clock, t, out)


def test_the_client_in_multi_can_still_kill_after_discard(kv: Engine) -> None:
    """The hang of issue #21: a client that sent MULTI during the script used to wait
    for the engine lock, so its SCRIPT KILL never came."""
    t, out = start(lambda: kv.client().eval("while true do end", 0))
    wait_busy(kv)
    c = kv.client()
    assert c.execute_command("MULTI") == b"OK"
    assert c.execute_command("DISCARD") == b"OK"
    assert c.execute_command("SCRIPT", "KILL") is True
    t.join(30)
    assert not t.is_alive() and "Script killed" in str(out[0])
    assert kv.ping() is True


def test_function_stats_and_kill_during_a_function(kv: Engine) -> None:
    kv.function_load("#!lua name=spin\nredis.register_function('spin', function() while true do end end)")
    t, out = start(lambda: kv.client().fcall("spin", 0))
    wait_busy(kv)
    c = kv.client()
    assert c.execute_command("MULTI") == b"OK"
    assert c.execute_command("DISCARD") == b"OK"
    stats = c.execute_command("FUNCTION", "STATS")
    assert stats[1][:2] == [b"name", b"spin"]
    assert c.execute_command("FUNCTION", "KILL") == b"OK"
    t.join(30)
    assert not t.is_alive()
    assert "Script killed" in str(out[0])
    assert kv.ping() is True


def test_every_allow_busy_command_has_a_lock_free_path() -> None:
    """The table's flag is the one source: each flagged command runs while busy."""
    from kvengine.commands import ALLOW_BUSY, all_commands

    flagged = sorted(c.name for c in all_commands() if c.flags & ALLOW_BUSY)
    assert flagged == ["discard", "function|kill", "function|stats", "multi", "script|kill",
                       "unwatch", "watch"]
