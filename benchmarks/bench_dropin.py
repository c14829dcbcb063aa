"""The redis-py drop-in through redis-py's ``execute_command``, side by side with fakeredis.

Three callers, timed in interleaved rounds in one process (best round of each, so the
noise of a shared machine hits all three alike):

* ``drop-in``: ``kvengine.redis_compat.Redis.execute_command`` as it is now;
* ``drop-in (before)``: the path this replaced, kept here to measure against: the
  thread's private connection, then redis-py's ``send_command`` + ``parse_response``
  (``Connection.send_command`` -> ``read_response`` -> callbacks);
* ``fakeredis``: ``fakeredis.FakeRedis().execute_command``.

    python benchmarks/bench_dropin.py [-n 20000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's kvengine

from kvengine import Engine
from kvengine.redis_compat import Redis

COMMANDS: dict[str, list[Any]] = {
    "SET": ["SET", "key:1", "value"],
    "GET": ["GET", "key:1"],
    "INCR": ["INCR", "counter"],
    "HSET": ["HSET", "hash", "field", "value"],
    "LPUSH": ["LPUSH", "list", "x"],
}


def _old_path(r: Redis) -> Callable[..., Any]:
    pool = r.connection_pool
    conn = pool.connection_class(**pool.connection_kwargs)  # the old private connection

    def call(*args: Any, **options: Any) -> Any:
        conn.send_command(*args)
        return r.parse_response(conn, args[0], **options)

    return call


def _time(call: Callable[..., Any], argv: list[Any], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        call(*argv)
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=20000, help="calls per round per command")
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args()
    import fakeredis

    engine = Engine()
    r = Redis(engine=engine)
    fake = fakeredis.FakeRedis()
    callers = {"drop-in": r.execute_command, "drop-in (before)": _old_path(r),
               "fakeredis": fake.execute_command}
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.rounds):
        for name, argv in COMMANDS.items():
            for who, call in callers.items():
                us = _time(call, argv, args.n)
                key = (name, who)
                best[key] = min(best.get(key, us), us)
            r.delete("list")
            fake.delete("list")
    print("| command | drop-in (us) | drop-in before (us) | fakeredis (us) | speed-up | vs fakeredis (before -> now) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in COMMANDS:
        now, before, fk = (best[(name, w)] for w in callers)
        print(f"| {name} | {now:.2f} | {before:.2f} | {fk:.2f} | {before / now:.2f}x "
              f"| {fk / before:.1f}x -> {fk / now:.1f}x |")
    r.close()
    engine.close()


if __name__ == "__main__":
    main()
