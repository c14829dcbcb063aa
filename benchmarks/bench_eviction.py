"""Cost of eviction at scale: SET throughput under constant eviction vs without a limit.

Usage: python benchmarks/bench_eviction.py [N] [POLICY]   (default 1,000,000 keys, allkeys-lru)

Two engines are filled with N keys of 16 B / 32 B values.  One has no limit; the other
gets maxmemory set to its current usage, so every further SET of a new key evicts
about one key.  The same 200,000 new-key SETs are timed on both (best of 3 runs);
the difference per SET is the cost of one eviction (sampling in C, the 16-entry pool,
the delete, stats and the DEL for the log).
"""

from __future__ import annotations

import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__file__)))

from kvengine import Engine

VALUE = b"v" * 32


def filled(n: int, **config: object) -> Engine:
    kv = Engine(active_expire=False, seed=1, **config)  # type: ignore[arg-type]
    for i in range(n):
        kv.set(b"key:%012d" % i, VALUE)
    return kv


def time_sets(kv: Engine, start: int, count: int) -> float:
    t = time.perf_counter()
    for i in range(start, start + count):
        kv.set(b"key:%012d" % i, VALUE)
    return (time.perf_counter() - t) / count


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    policy = sys.argv[2] if len(sys.argv) > 2 else "allkeys-lru"
    count = 200_000
    free = filled(n)
    limited = filled(n, maxmemory_policy=policy)
    limited.config_set("maxmemory", limited.server.used_memory())
    base, under = [], []
    for r in range(3):
        base.append(time_sets(free, n + r * count, count))
        under.append(time_sets(limited, n + r * count, count))
    b, u = min(base), min(under)
    evicted = limited.info("stats")["evicted_keys"]
    print(f"{n:,} keys, policy {policy}, samples 5; {evicted:,} evictions over {3 * count:,} SETs\n")
    print("| SET without limit (us) | SET under eviction (us) | ratio | cost of one eviction (us) |")
    print("|---|---|---|---|")
    print(f"| {b * 1e6:.2f} | {u * 1e6:.2f} | {u / b:.2f}x | {(u - b) * 1e6 * 3 * count / max(evicted, 1):.2f} |")


if __name__ == "__main__":
    main()
