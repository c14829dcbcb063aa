"""Engine.evalsha and redis.call('GET') take inlined fast paths; they must behave like the
general ones (EVALSHA through execute_command, GET through dispatch.execute): same
replies, errors, stats and propagation."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import kvengine
from kvengine import Engine, ManualClock, ResponseError
from kvengine.commands import TABLE

SCRIPTING = sys.modules["kvengine.scripting"]


def plain(reply: Any) -> Any:
    """`reply` with its error items as (class, text), which compare by value."""
    if isinstance(reply, list):
        return [plain(x) for x in reply]
    if isinstance(reply, Exception):
        return type(reply), str(reply)
    return reply


def outcome(run: Any) -> Any:
    """The reply of `run()`, or its error class and text."""
    try:
        return plain(run())
    except ResponseError as exc:
        return type(exc), str(exc)


def stats(kv: Engine) -> tuple[int, ...]:
    srv = kv.server
    return (srv.keyspace_hits, srv.keyspace_misses, srv.stats.expired_keys,
            TABLE[b"evalsha"].calls, TABLE[b"get"].calls, srv.dirty)


def both_ways(kv: Engine, monkeypatch: pytest.MonkeyPatch, sha: str, *args: Any) -> tuple[Any, Any]:
    """((reply, stats delta) of the fast paths, the same of the general paths)."""
    results = []
    for fast in (True, False):
        with monkeypatch.context() as m:
            if not fast:  # redis.call('GET') through dispatch.execute
                m.setattr(SCRIPTING, "get_command", None)
            before = stats(kv)
            if fast:
                reply = outcome(lambda: kv.evalsha(sha, *args))
            else:
                reply = outcome(lambda: kv.execute_command("EVALSHA", sha, *args))
            after = stats(kv)
        results.append((reply, tuple(b - a for a, b in zip(before, after))))
    return results[0], results[1]


GET = "return redis.call('GET', KEYS[1])"
PGET = "return redis.pcall('get', KEYS[1])"


def test_get_scripts_agree(kv: Engine, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    get, pget = kv.script_load(GET), kv.script_load(PGET)
    kv.set("k", "v")
    kv.hset("h", "f", "x")
    fast, slow = both_ways(kv, monkeypatch, get, 1, "k")
    assert fast == slow and fast[0] == b"v" and fast[1][0] == 1  # one keyspace hit
    fast, slow = both_ways(kv, monkeypatch, get, 1, "missing")
    assert fast == slow and fast[0] is None and fast[1][1] == 1  # one miss
    fast, slow = both_ways(kv, monkeypatch, get, 1, "h")
    assert fast == slow and fast[0][0] is kvengine.exceptions.ResponseError
    assert fast[0][1].startswith("WRONGTYPE")
    fast, slow = both_ways(kv, monkeypatch, pget, 1, "h")  # pcall: the error table, returned
    assert fast == slow and "WRONGTYPE" in fast[0][1]
    # Lazy expiry inside the script: the key is gone and counted, once per path.
    assert both_ways(kv, monkeypatch, kv.script_load("return redis.call('SET', KEYS[1], 'v', 'PX', 5)"),
                     1, "t")[0][0] == b"OK"
    kv.set("t2", "v", px=5)
    clock.advance(ms=5)
    first = outcome(lambda: kv.evalsha(get, 1, "t"))
    with monkeypatch.context() as m:
        m.setattr(SCRIPTING, "get_command", None)
        second = outcome(lambda: kv.execute_command("EVALSHA", get, 1, "t2"))
    assert first is None and second is None and kv.server.stats.expired_keys == 2


def test_replies_and_decoding_agree(kv: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    kv.set("s", "é")
    scripts = [GET, "return 1", "return {1, 'a', {err='x'}}", "return {ok='fine'}",
               "return redis.call('get', KEYS[1]) .. ARGV[1]", "return #KEYS + #ARGV",
               "return redis.call('GET', 1)", "return 3.99"]
    text = kv.client(decode_responses=True)
    for body in scripts:
        sha = kv.script_load(body)
        fast, slow = both_ways(kv, monkeypatch, sha, 1, "s", "é")
        assert fast == slow, body
        assert outcome(lambda s=sha: text.evalsha(s, 1, "s", "é")) == \
            outcome(lambda s=sha: text.execute_command("EVALSHA", s, 1, "s", "é")), body


def test_argument_encoding_agrees() -> None:
    kv = Engine(encoding="latin-1", active_expire=False)
    sha = kv.script_load("return ARGV[1] .. ARGV[2] .. ARGV[3]")
    assert kv.evalsha(sha, 0, "é", 7, 1.5) == kv.execute_command("EVALSHA", sha, 0, "é", 7, 1.5) \
        == "é".encode("latin-1") + b"71.5"
    with pytest.raises(UnicodeEncodeError):
        kv.evalsha(sha, 0, "\u20ac", "", "")
    kv.close()


def test_errors_agree(kv: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    sha = kv.script_load(GET)
    boom = kv.script_load("error('boom')")
    ro = kv.script_load("return redis.call('SET', 'x', 'y')")
    for args in [(sha, -1, "k"), (sha, 2, "k"), (sha, "x", "k"), ("0" * 40, 0), ("abc", 0),
                 (sha.upper(), 1, "k"), (boom, 0), (ro, 0)]:
        fast, slow = both_ways(kv, monkeypatch, *args)
        assert fast == slow, args
    with pytest.raises(kvengine.exceptions.NoScriptError):
        kv.evalsha("1" * 40, 0)


def test_writes_propagate_wrapped_like_the_general_path() -> None:
    kv = Engine(clock=ManualClock(1000), active_expire=False)
    srv = kv.server
    logged: list[tuple[int, list[bytes]]] = []
    srv.feeding = True
    srv.flush_feed = lambda: (logged.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    sha = kv.script_load("redis.call('SET', KEYS[1], ARGV[1]); redis.call('GET', KEYS[1]); "
                         "return redis.call('INCR', KEYS[2])")
    assert kv.evalsha(sha, 2, "a", "c", "1") == 1
    fast = list(logged)
    logged.clear()
    assert kv.execute_command("EVALSHA", sha, 2, "a", "c", "1") == 2
    assert [op for _, op in fast] == [op for _, op in logged] == [
        [b"MULTI"], [b"SET", b"a", b"1"], [b"INCR", b"c"], [b"EXEC"]]
    kv.close()


def test_multi_and_closed_take_the_general_path(kv: Engine) -> None:
    sha = kv.script_load(GET)
    kv.set("k", "v")
    pipe = kv.pipeline()
    pipe.evalsha(sha, 1, "k")
    assert pipe.execute() == [b"v"]
    kv.execute_command("MULTI")
    assert kv.evalsha(sha, 1, "k") == b"QUEUED"
    assert kv.execute_command("EXEC") == [b"v"]
    kv.close()
    with pytest.raises(kvengine.ConnectionError):
        kv.evalsha(sha, 1, "k")


def test_a_write_script_serves_blocked_clients(kv: Engine) -> None:
    import threading

    sha = kv.script_load("return redis.call('LPUSH', KEYS[1], ARGV[1])")
    waiter = kv.client()
    got: list[Any] = []
    done = threading.Event()

    def pop() -> None:
        got.append(waiter.blpop(["q"], timeout=5))
        done.set()

    t = threading.Thread(target=pop)
    t.start()
    while not kv.server.blocked:
        done.wait(0.001)
    assert kv.evalsha(sha, 1, "q", "x") == 1
    assert done.wait(5)
    t.join()
    assert got == [(b"q", b"x")]
