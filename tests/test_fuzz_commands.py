"""Hostile arguments to every command: a Redis error or a reply, never anything else.

Hypothesis builds argument lists for every command and subcommand of the command
table from a vocabulary of hostile values (LLONG_MIN/MAX and their neighbours past the
64-bit range, negative and huge counts, floats, ``inf``/``nan``/``1e308``, empty strings,
NUL bytes, non-UTF-8 bytes, Python ints/floats/str, keys holding each type, the option
keywords kvengine's handlers know) and runs each call on a fresh engine holding one key
of each type.  A call fails the test when it

- raises anything but a kvengine (redis-py) error class,
- runs past a deadline (a watchdog: the call runs in a thread that is joined with a
  timeout and then interrupted), or
- allocates more, at its peak, than a fixed slack plus a multiple of what it keeps
  (the reply and the data it stored), measured with tracemalloc.

The data is a handful of small containers, so any call that takes long or allocates
much does so because of an argument, which is exactly what Redis never lets happen.

Blocking commands run inside MULTI (where they answer at once instead of waiting
forever on a zero timeout); every other command runs as is, FLUSHALL and friends
included, since each example starts from a fresh engine.  The engine runs without
persistence in a temporary working directory, so SAVE and CONFIG SET dir/dbfilename
cannot touch the source tree.

Each command also gets a deterministic sweep: every hostile number of a short list
(LLONG_MIN/MAX, -LLONG_MAX, LLONG_MAX+1, -1, 0, 1.5, inf, nan, 1e308) in each non-key
position of its shortest call, and after each option keyword of its syntax line.

CI runs a fixed seed and a fixed number of examples per command (about 15-30 s per
table on one core).  ``KVENGINE_FUZZ_EXAMPLES=N`` runs N examples per command instead, and
``KVENGINE_FUZZ_SEED=S`` another seed, e.g. for a long run before a release:
``KVENGINE_FUZZ_EXAMPLES=2000 KVENGINE_FUZZ_SEED=7 python -m pytest tests/test_fuzz_commands.py``.
"""

from __future__ import annotations

import ctypes
import inspect
import os
import re
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import kvengine
from kvengine import Engine
from kvengine import exceptions as kx
from kvengine.clock import ManualClock
from kvengine.commands import BLOCKING, Command, all_commands

EXAMPLES = int(os.environ.get("KVENGINE_FUZZ_EXAMPLES", "2"))
SEED = int(os.environ.get("KVENGINE_FUZZ_SEED", "20260410"))
CALLS_PER_EXAMPLE = 6
DEADLINE_S = float(os.environ.get("KVENGINE_FUZZ_DEADLINE", "10"))
MEMORY_SLACK = 4 << 20  # bytes a call may use beyond 3x what it keeps

LLONG_MAX = (1 << 63) - 1
LLONG_MIN = -(1 << 63)

NUMBERS: list[Any] = [
    LLONG_MAX, LLONG_MIN, LLONG_MAX + 1, LLONG_MIN - 1, LLONG_MAX - 1, LLONG_MIN + 1,
    1 << 64, -(1 << 64), 99999999999999999999, -99999999999999999999,
    (1 << 32), (1 << 32) + 1, -(1 << 31), 2147483648, 100000, -100000,
    -1, 0, 1, 2, 3, -2, -3, 10,
    1.5, -1.5, 0.0, 1e308, -1e308, 1e-320,
    b"1e308", b"-1e308", b"1e400", b"inf", b"-inf", b"+inf", b"nan", b"-nan", b"NaN",
    b"infinity", b"0x10", b"1.", b".5", b" 1", b"1 ", b"+1", b"01", b"-0", b"0.0",
    b"(1", b"(inf", b"[a", b"(a", b"-", b"+", b"(nan", b"(-inf", b"(9223372036854775807",
]
ODD: list[Any] = [
    b"", b"\x00", b"a\x00b", b"\xff\xfe", b"\xc3", "é", "x" * 200, b"\n", b"a b",
    b"return 1", b"return redis.call('get', KEYS[1])", b"#!lua name=lib\nredis.register_function('f', function() return 1 end)",
    b"*", b"0", b"?", b"[", b"f1", b"a", b"v",
]
KEYS = [b"str", b"int", b"list", b"hash", b"set", b"iset", b"zset", b"nokey", b"dst"]


def _keywords(source: str) -> list[bytes]:
    """The option keywords a module's handlers compare arguments with (b"WITHSCORES"...)."""
    return sorted({w.encode() for w in re.findall(r'b"([A-Za-z][A-Za-z_-]{1,19})"', source)})


ALL_KEYWORDS = _keywords("".join(p.read_text() for p in Path(kvengine.__file__).parent.glob("*.py")))


CORE: list[Any] = [LLONG_MIN, LLONG_MAX, -LLONG_MAX, LLONG_MAX + 1, -1, 0, 1, 2, -100000, 100000,
                   b"1.5", b"inf", b"-inf", b"nan", b"1e308", b"-1e308", b""]


def value_strategy(cmd: Command) -> st.SearchStrategy[Any]:
    """Hostile values, weighted towards the worst numbers and the keywords of `cmd`'s module."""
    module = sys.modules[cmd.handler.__module__]  # type: ignore[union-attr]
    words = _keywords(inspect.getsource(module)) or ALL_KEYWORDS
    core = st.sampled_from(CORE)
    return st.one_of(
        core, core, core, st.sampled_from(words), st.sampled_from(words), st.sampled_from(KEYS),
        st.sampled_from(NUMBERS), st.sampled_from(ODD), st.sampled_from(ALL_KEYWORDS),
        st.binary(max_size=4), st.integers(min_value=-(1 << 66), max_value=1 << 66),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def key_positions(cmd: Command, n: int) -> set[int]:
    """The argument indexes (after the name) that the command table says are keys."""
    skip = len(_name(cmd))
    if not cmd.first_key:
        return set()
    last = cmd.last_key if cmd.last_key >= 0 else n + skip + cmd.last_key
    return {i - skip for i in range(cmd.first_key, last + 1, cmd.step or 1) if i >= skip}


@st.composite
def arguments(draw: st.DrawFn, cmd: Command) -> list[Any]:
    """One argument list for `cmd`: keys where the table puts keys, hostile values elsewhere."""
    arity = abs(cmd.arity) - len(_name(cmd))
    n = draw(st.integers(min_value=max(arity - 1, 0), max_value=arity + (6 if cmd.arity < 0 else 1)))
    keys = key_positions(cmd, n)
    values = value_strategy(cmd)
    out = []
    for i in range(n):
        if i in keys and draw(st.integers(0, 9)):
            out.append(draw(st.sampled_from(KEYS)))
        else:
            out.append(draw(values))
    return out


def _populate(kv: Engine) -> None:
    """One small key of each type (the data the hostile arguments work on)."""
    kv.set("str", "hello")
    kv.set("int", "10")
    kv.rpush("list", "a", "b", "c", "1", "2")
    kv.hset("hash", mapping={"f1": "v1", "f2": "2", "f3": "1.5"})
    kv.sadd("set", "a", "b", "c", "1")
    kv.sadd("iset", 1, 2, 3)
    kv.zadd("zset", {"a": 1, "b": 2, "c": 3, "d": 3})


def _size(reply: Any) -> int:
    if isinstance(reply, (bytes, str)):
        return len(reply) + 64
    if isinstance(reply, (list, tuple)):
        return 64 + sum(_size(r) for r in reply)
    if isinstance(reply, dict):
        return 64 + sum(_size(k) + _size(v) for k, v in reply.items())
    return 64


def _interrupt(thread: threading.Thread) -> None:
    """Raise an exception in a runaway call's thread so it stops burning CPU and memory."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident or 0), ctypes.py_object(SystemExit))


def run_call(kv: Engine, cmd: Command, argv: list[Any]) -> None:
    """Run one call under the watchdog and the memory bound; fail on anything foreign."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            if cmd.flags & BLOCKING:
                kv.execute_command("MULTI")
                try:
                    outcome["reply"] = kv.execute_command(*argv)
                finally:
                    outcome["reply"] = kv.execute_command("EXEC")  # EXECABORT after a queueing error
            else:
                outcome["reply"] = kv.execute_command(*argv)
        except kx.RedisError as exc:
            outcome["reply"] = exc
        except BaseException as exc:
            outcome["foreign"] = exc

    # Traced only around the call: tracing hypothesis's own work would triple the cost.
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        thread = threading.Thread(target=target, daemon=True)
        start = time.monotonic()
        thread.start()
        thread.join(DEADLINE_S)
        if thread.is_alive():
            _interrupt(thread)
            thread.join(5)
            pytest.fail(f"{argv!r} still running after {time.monotonic() - start:.1f} s")
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if "foreign" in outcome:
        exc = outcome["foreign"]
        raise AssertionError(f"{argv!r} raised {type(exc).__name__}: {exc}") from exc
    kept = max(current - before, 0)
    bound = MEMORY_SLACK + 3 * max(kept, _size(outcome.get("reply")))
    assert peak - before <= bound, f"{argv!r} peaked at {peak - before} bytes, keeps {kept}"
    reply = outcome.get("reply")
    if isinstance(reply, list):
        for item in reply:  # EXEC's results (blocking commands)
            assert not isinstance(item, BaseException) or isinstance(item, kx.RedisError), (argv, item)


def _name(cmd: Command) -> list[bytes]:
    parent, _, sub = cmd.name.partition("|")
    return [parent.encode(), sub.encode()] if sub else [parent.encode()]


COMMANDS = [c for c in all_commands() if c.handler is not None]


SWEEP = [LLONG_MIN, LLONG_MAX, -LLONG_MAX, LLONG_MAX + 1, -1, 0, b"1.5", b"inf", b"nan", b"1e308"]
MODULE_KEY = {"t_set": b"set", "t_hash": b"hash", "t_list": b"list", "t_zset": b"zset", "sort": b"list"}


def sweep(cmd: Command) -> list[list[Any]]:
    """Deterministic calls: each hostile number in each non-key position of the shortest
    call, and after each option keyword of the command's syntax line (its docstring)."""
    arity = abs(cmd.arity) - len(_name(cmd))
    key = MODULE_KEY.get(cmd.handler.__module__.rpartition(".")[2], b"str")  # type: ignore[union-attr]
    keys = key_positions(cmd, arity)
    base: list[Any] = [key if i in keys else b"1" for i in range(arity)]
    calls = []
    for i in range(arity):
        if i not in keys:
            calls += [[*base[:i], v, *base[i + 1:]] for v in SWEEP]
    words = re.findall(r"\b([A-Z][A-Z_]{2,})\b", (cmd.handler.__doc__ or "").split("\n")[0])  # type: ignore[union-attr]
    for word in dict.fromkeys(w for w in words if w.lower() not in cmd.name.split("|")):
        calls += [[*base, word.encode(), v] for v in SWEEP]
    return calls


@pytest.mark.parametrize("cmd", COMMANDS, ids=[c.name for c in COMMANDS])
def test_hostile_arguments(cmd: Command, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command answers hostile argument lists with a Redis error or a reply."""
    monkeypatch.chdir(tmp_path)
    lists = st.lists(arguments(cmd), min_size=CALLS_PER_EXAMPLE, max_size=CALLS_PER_EXAMPLE)

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(calls=lists)
    def check(calls: list[list[Any]]) -> None:
        kv = Engine(persistence=None, clock=ManualClock(), active_expire=False, seed=1)
        try:
            _populate(kv)
            for args in calls:
                run_call(kv, cmd, _name(cmd) + args)
        finally:
            kv.close()

    check()
    kv = Engine(persistence=None, clock=ManualClock(), active_expire=False, seed=1)
    try:
        for args in sweep(cmd):
            _populate(kv)
            run_call(kv, cmd, _name(cmd) + args)
    finally:
        kv.close()
