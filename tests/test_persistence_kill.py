"""SIGKILL at random moments, many times: no acknowledged write is lost under
``appendfsync always`` (including kills during BGSAVE and BGREWRITEAOF), and
``everysec`` loses at most its window.

A "zygote" subprocess imports kvengine once and forks one writer per round, so a
round costs a fork, not an interpreter start.  The writer prints ``<i> <ns>`` after
each acknowledged write (``<ns>``: CLOCK_MONOTONIC, shared by every process); the
test SIGKILLs it after a random number of acknowledgements, reads every line it
managed to print, then opens the directory and checks.

``KVENGINE_CRASH_KILLS`` sets the number of kills of the ``always`` test (default
100, about 30 s on a 2-core CI machine); ``KVENGINE_CRASH_KILLS=2000 python -m pytest
tests/test_persistence_kill.py`` runs a long soak by hand.  The seed is printed on
failure; ``KVENGINE_CRASH_SEED`` replays one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest

from kvengine import Engine
from kvengine.persistence import DataDirLocked
from tests.persistence_helpers import child_env

KILLS = int(os.environ.get("KVENGINE_CRASH_KILLS", "100"))
SEED = int(os.environ.get("KVENGINE_CRASH_SEED", str(random.SystemRandom().randrange(1 << 30))))
EVERYSEC_WINDOW_S = 1.0  # appendfsync everysec's promise ("at most one second"), see docs/persistence.md

ZYGOTE = textwrap.dedent("""
    import os, random, sys, time
    import kvengine
    from kvengine import Engine

    def writer(data_dir, mode, policy, start, seed, bg_every, preload):
        rng = random.Random(seed)
        kv = Engine(data_dir, persistence=mode, appendfsync=policy, active_expire=False,
                    save="", aof_write_interval=0.1)
        if preload and not kv.exists("pre:0"):
            kv.mset({"pre:%d" % j: "x" * 200 for j in range(preload)})
        os.write(1, b"ready\\n")
        i = start
        while True:
            kv.set("k%d" % i, "v%d" % i)
            kv.hset("h", "f%d" % i, i)
            os.write(1, b"%d %d\\n" % (i, time.monotonic_ns()))
            i += 1
            if bg_every and rng.randrange(bg_every) == 0:
                try:
                    if rng.randrange(2):
                        kv.bgsave()
                    else:
                        kv.bgrewriteaof()
                except Exception:
                    pass  # one child at a time: "already in progress"

    for line in sys.stdin:
        args = line.split()
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                os.write(1, b"pid %d\\n" % os.getpid())
                writer(args[0], args[1], args[2], *map(int, args[3:]))
            except BaseException as exc:
                os.write(2, repr(exc).encode() + b"\\n")
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        os.write(1, b"exit %d\\n" % status)
""")


class Zygote:
    """The forking subprocess (see the module docstring)."""

    def __init__(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        script = tmp_path / "zygote.py"
        script.write_text(ZYGOTE)
        self.proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, cwd=os.getcwd(), env=child_env())

    def lines(self) -> Iterator[bytes]:
        assert self.proc.stdout is not None
        # Not "yield from": closing this generator (each round makes one) would close
        # the zygote's stdout with it.
        for line in self.proc.stdout:  # noqa: UP028
            yield line
        raise AssertionError("the zygote died")

    def round(self, args: str, kill_after: int) -> tuple[int, int, list[tuple[int, int]]]:
        """Start a writer, SIGKILL it after `kill_after` acknowledgements; return
        (first index, kill time ns, every (index, ack time ns) it printed)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(args.encode() + b"\n")
        self.proc.stdin.flush()
        lines = self.lines()
        first = next(lines).split()
        assert first[0] == b"pid", first
        pid = int(first[1])
        acks: list[tuple[int, int]] = []
        killed_at = 0
        for line in lines:
            if line.startswith(b"exit"):
                assert killed_at, f"the writer died by itself: {line!r}"
                break
            if line == b"ready\n":
                continue
            i, ns = map(int, line.split())
            acks.append((i, ns))
            if not killed_at and len(acks) >= kill_after:
                killed_at = time.monotonic_ns()
                os.kill(pid, signal.SIGKILL)  # no cleanup, no flush; its fork child dies with it
        return int(args.split()[3]), killed_at, acks

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def open_when_free(path: str, mode: str) -> Engine:
    """Open `path`; a killed writer's background child may take a moment to die
    (PR_SET_PDEATHSIG is asynchronous) and holds the lock until then."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return Engine(path, persistence=mode, active_expire=False, save="")
        except DataDirLocked:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def written(kv: Engine) -> tuple[int, int]:
    """(keys, fields) such that k0..k(keys-1) and h's f0..f(fields-1) are there and
    nothing else: the log is a prefix.  Write i is SET k<i> then HSET h f<i>, so
    the key of the write in flight may be there without its field."""
    keys = sorted(int(k[1:]) for k in kv.keys("k*"))
    assert keys == list(range(len(keys))), "a hole: a later write survived an earlier one"
    fields = sorted(int(f[1:]) for f in kv.hkeys("h"))
    assert fields == list(range(len(fields))), "a hole in the hash"
    assert len(fields) <= len(keys) <= len(fields) + 1
    return len(keys), len(fields)


@pytest.mark.parametrize("mode", ["aof", "hybrid"])
def test_sigkill_under_always_loses_no_acknowledged_write(tmp_path, mode) -> None:
    seed = SEED + (mode == "hybrid")
    rng = random.Random(seed)
    data = str(tmp_path / "data")
    zygote = Zygote(tmp_path)
    n = 0
    try:
        for round_no in range(max(1, KILLS // 2)):
            start, _, acks = zygote.round(f"{data} {mode} always {n} {rng.randrange(1 << 30)} 8 3000",
                                          rng.randrange(1, 60))
            assert [i for i, _ in acks] == list(range(start, start + len(acks)))
            kv = open_when_free(data, mode)
            try:
                keys, n = written(kv)  # the next round starts at the first incomplete write
                last_acked = acks[-1][0] if acks else start - 1
                assert n >= last_acked + 1, (f"seed {seed} round {round_no}: acknowledged write {last_acked} "
                                             f"lost ({n} complete writes)")
                assert keys <= last_acked + 2  # at most the one in flight beyond it
                for i in range(max(0, last_acked - 50), last_acked + 1):
                    assert kv.get(f"k{i}") == f"v{i}".encode()
                    assert kv.hget("h", f"f{i}") == str(i).encode()
                assert kv.get("pre:2999") == b"x" * 200
            finally:
                kv.close()
    finally:
        zygote.close()


def test_sigkill_under_everysec_loses_at_most_the_window(tmp_path) -> None:
    rng = random.Random(SEED + 7)
    data = str(tmp_path / "data")
    zygote = Zygote(tmp_path)
    n = 0
    lost_max = 0
    try:
        for round_no in range(max(1, KILLS // 10)):
            start, killed_at, acks = zygote.round(
                f"{data} hybrid everysec {n} {rng.randrange(1 << 30)} 50 0", rng.randrange(200, 3000))
            kv = open_when_free(data, "hybrid")
            try:
                _, n = written(kv)
            finally:
                kv.close()
            lost = [(i, ns) for i, ns in acks if i >= n]
            for i, ns in lost:
                age = (killed_at - ns) / 1e9
                lost_max = max(lost_max, len(lost))
                assert age <= EVERYSEC_WINDOW_S, (f"seed {SEED + 7} round {round_no}: k{i}, acknowledged "
                                                  f"{age:.3f} s before the kill, was lost")
            if n < start:  # the log never goes back past what the previous round verified
                raise AssertionError(f"round {round_no}: {n} keys after a round that started at {start}")
    finally:
        zygote.close()
