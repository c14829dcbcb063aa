"""Transactions and pipelines against the same commands sent one by one (issue 11 item 4).

Usage: python benchmarks/bench_pipeline.py [ROUNDS]   (default 41)

Three pairs, each measured alternately in the same process, round after round; a
round's ratio is (batched time) / (one-by-one time), and the medians are printed:

- MULTI/EXEC of 10 SETs through ``engine.pipeline()`` vs ten ``kv.set(k, v)``;
- a pipeline (``transaction=False``) of 100 GETs vs a hundred ``kv.get(k)``;
- MULTI/EXEC of 10 INCRs vs ten ``kv.incr(k)`` (a typed command without a shortcut).

Times are per-thread CPU time (``time.thread_time``), so other processes on a shared
machine disturb them less than wall time would; the ratios are what to compare.
To compare two versions, run the script under each (PYTHONPATH=<tree>) one after
the other.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from kvengine import Engine

KEYS10 = [b"key:%08d" % i for i in range(10)]
KEYS100 = [b"key:%08d" % i for i in range(100)]
VALUE = b"v" * 32


def per_call_us(fn: Callable[[], object], n: int) -> float:
    t0 = time.thread_time()
    for _ in range(n):
        fn()
    return (time.thread_time() - t0) / n * 1e6


def pair(one: Callable[[], object], batched: Callable[[], object], n: int,
         rounds: int) -> tuple[float, float, float]:
    """Median one-by-one time, median batched time, median per-round ratio."""
    a, b, r = [], [], []
    for _ in range(rounds):
        x, y = per_call_us(one, n), per_call_us(batched, n)
        a.append(x)
        b.append(y)
        r.append(y / x)
    return statistics.median(a), statistics.median(b), statistics.median(r)


def main(rounds: int) -> None:
    kv = Engine(active_expire=False)
    for k in KEYS100:
        kv.set(k, VALUE)

    def set10() -> None:
        s = kv.set
        for k in KEYS10:
            s(k, VALUE)

    def multi_set10() -> None:
        p = kv.pipeline()
        for k in KEYS10:
            p.set(k, VALUE)
        p.execute()

    def get100() -> None:
        g = kv.get
        for k in KEYS100:
            g(k)

    def pipeline_get100() -> None:
        p = kv.pipeline(transaction=False)
        for k in KEYS100:
            p.get(k)
        p.execute()

    def incr10() -> None:
        s = kv.incr
        for k in KEYS10:
            s(k)

    def multi_incr10() -> None:
        p = kv.pipeline()
        for k in KEYS10:
            p.incr(k)
        p.execute()

    for label, one, batched, n in (
        ("10 SET: one by one / MULTI/EXEC pipeline", set10, multi_set10, 200),
        ("100 GET: one by one / pipeline, no transaction", get100, pipeline_get100, 20),
        ("10 INCR: one by one / MULTI/EXEC pipeline", incr10, multi_incr10, 200),
    ):
        if one is incr10:
            for k in KEYS10:
                kv.set(k, 0)
        a, b, r = pair(one, batched, n, rounds)
        print(f"{label}: {a:.2f} us / {b:.2f} us, ratio {r:.2f}")
    kv.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 41)
