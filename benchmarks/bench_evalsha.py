"""EVALSHA of a one-call script, fast paths against the general path (issue 11 item 4).

Usage: python benchmarks/bench_evalsha.py [ROUNDS]   (default 15)

For ``return redis.call('GET', KEYS[1])`` and ``return 1``, measured alternately in
the same process, round after round (20000 calls each): the general path (EVALSHA
through ``Client._run`` -> ``dispatch.execute`` -> ``eval_generic``, and redis.call('GET')
through ``dispatch.execute``) against ``Engine.evalsha`` with its fast paths.  Medians of
per-thread CPU time (``time.thread_time``) per call; the ratio is what to compare on a
shared machine.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import kvengine.scripting  # noqa: F401  (the module, not a name it exports)
from kvengine import Engine
from kvengine.commands import TABLE

SCRIPTING = sys.modules["kvengine.scripting"]
REAL_GET = SCRIPTING.get_command
CALLS = 20000


def main(rounds: int) -> None:
    kv = Engine(active_expire=False)
    kv.set("k", "v")
    cmd = TABLE[b"evalsha"]

    def general(sha: str, numkeys: int, *args: Any) -> Any:
        return kv._run(cmd, [b"EVALSHA", sha.encode(), b"%d" % numkeys, *(a.encode() for a in args)])

    def timed(f: Any, sha: str, fast_get: bool) -> float:
        SCRIPTING.get_command = REAL_GET if fast_get else None  # redis.call('GET')'s fast path
        start = time.thread_time()
        for _ in range(CALLS):
            f(sha, 1, "k")
        return (time.thread_time() - start) / CALLS * 1e6

    try:
        for body in ("return redis.call('GET', KEYS[1])", "return 1"):
            sha = kv.script_load(body)
            assert general(sha, 1, "k") == kv.evalsha(sha, 1, "k")
            slow, fast = [], []
            for _ in range(rounds):
                slow.append(timed(general, sha, False))
                fast.append(timed(kv.evalsha, sha, True))
            s, f = statistics.median(slow), statistics.median(fast)
            print(f"{body!r}: general {s:.2f} us ({1e6 / s:.0f}/s), fast {f:.2f} us "
                  f"({1e6 / f:.0f}/s), ratio {f / s:.2f}")
    finally:
        SCRIPTING.get_command = REAL_GET
        kv.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
