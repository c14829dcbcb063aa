"""Cost of eviction at scale: SET throughput under constant eviction vs without a limit.

Usage: python benchmarks/bench_eviction.py [N] [POLICY] [ROUNDS]
(default 1,000,000 keys, allkeys-lru, 9 rounds)

Two engines are filled with N keys of 16 B / 32 B values.  One has no limit; the other
gets maxmemory set to its current usage, so every further SET of a new key evicts
about one key.  Rounds of 100,000 new-key SETs alternate between the two, timed in
CPU time of this process (time.process_time: a shared machine's other processes
cost wall time but not this), and the median round of each is reported; the
difference per SET is the cost of one eviction (the OOM gate, sampling in C, the
16-entry pool, the delete, stats).
"""

from __future__ import annotations

import statistics
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
    keys = [b"key:%012d" % i for i in range(start, start + count)]
    put = kv.set
    t = time.process_time()
    for key in keys:
        put(key, VALUE)
    return (time.process_time() - t) / count


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    policy = sys.argv[2] if len(sys.argv) > 2 else "allkeys-lru"
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 9
    count = 100_000
    free = filled(n)
    limited = filled(n, maxmemory_policy=policy)
    limited.config_set("maxmemory", limited.server.used_memory())
    base, under = [], []
    for r in range(rounds):
        base.append(time_sets(free, n + r * count, count))
        under.append(time_sets(limited, n + r * count, count))
    b, u = statistics.median(base), statistics.median(under)
    evicted = limited.info("stats")["evicted_keys"]
    sets = rounds * count
    print(f"{n:,} keys, policy {policy}, samples 5; {evicted:,} evictions over {sets:,} SETs, "
          f"median of {rounds} rounds (CPU time)\n")
    print("| SET without limit (us) | SET under eviction (us) | ratio | cost of one eviction (us) |")
    print("|---|---|---|---|")
    print(f"| {b * 1e6:.2f} | {u * 1e6:.2f} | {u / b:.2f}x | {(u - b) * 1e6 * sets / max(evicted, 1):.2f} |")


if __name__ == "__main__":
    main()
