"""Hit ratio of approximated LRU under maxmemory: kvengine vs exact LRU vs Redis 7.

A Zipf-distributed stream of requests over a fixed key space goes to a cache that
holds a fraction of the keys.  Each request is ``SET key value GET``: a nil reply is
a miss (and inserts the key), anything else a hit (and touches it), so one command
per request works identically everywhere and can be pipelined to a real server.
The cache size is given in keys and turned into each store's own bytes per key.

    python benchmarks/bench_hitratio.py                     # table on stdout
    python benchmarks/bench_hitratio.py --plot benchmarks/hitratio.png

Exact LRU is an OrderedDict with the same capacity in keys.  The first pass over
``--warmup`` requests fills the cache and is not counted.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys
from collections import OrderedDict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.servers import redis_server
from kvengine import Engine, ManualClock

VALUE = b"v" * 32
RATES = (1000, 10000)  # simulated request rates for the ManualClock runs


def zipf_stream(keys: int, requests: int, alpha: float, seed: int) -> list[bytes]:
    """`requests` key names drawn with P(rank r) ~ 1 / r**alpha; ranks shuffled over names."""
    rng = random.Random(seed)
    cum = list(itertools.accumulate(1.0 / (r**alpha) for r in range(1, keys + 1)))
    total = cum[-1]
    names = [b"key:%08d" % i for i in range(keys)]
    rng.shuffle(names)
    return [names[bisect.bisect_left(cum, rng.random() * total)] for _ in range(requests)]


def exact_lru(stream: list[bytes], capacity: int, warmup: int) -> float:
    cache: OrderedDict[bytes, bytes] = OrderedDict()
    hits = 0
    for i, key in enumerate(stream):
        if key in cache:
            cache.move_to_end(key)
            hits += i >= warmup
        else:
            cache[key] = VALUE
            if len(cache) > capacity:
                cache.popitem(last=False)
    return hits / (len(stream) - warmup)


def bytes_per_key_kvengine(keys: int) -> float:
    kv = Engine(active_expire=False)
    before = kv.server.used_memory()
    for i in range(keys):
        kv.set(b"key:%08d" % i, VALUE)
    return (kv.server.used_memory() - before) / keys


def kvengine_ratio(
    stream: list[bytes], capacity: int, per_key: float, samples: int, warmup: int, rate: int = 0
) -> tuple[float, int]:
    """(hit ratio, keys held at the end).  `rate` > 0 runs on a ManualClock moved
    1/rate s per request (a cache serving `rate` requests a second); 0 runs on the
    wall clock at full speed."""
    clock = ManualClock(1_700_000_000_000) if rate else None
    kv = Engine(active_expire=False, seed=1, maxmemory=int(capacity * per_key), clock=clock,
                maxmemory_policy="allkeys-lru", maxmemory_samples=samples)
    hits = 0
    step = 1e6 / rate if rate else 0.0
    elapsed_us = 0.0
    for i, key in enumerate(stream):
        if clock is not None:
            elapsed_us += step
            if elapsed_us >= 1000:
                clock.advance(ms=int(elapsed_us // 1000))
                elapsed_us %= 1000
        if kv.set(key, VALUE, get=True) is not None:
            hits += i >= warmup
    held = kv.dbsize()
    kv.close()
    return hits / (len(stream) - warmup), held


def redis_ratio(port: int, stream: list[bytes], capacity: int, samples: int, warmup: int) -> tuple[float, int]:
    """(hit ratio, keys held at the end) for a real redis-server, pipelined 200 deep."""
    import redis

    r = redis.Redis(port=port)
    r.config_set("maxmemory", 0)
    r.flushall()
    base = r.info("memory")["used_memory"]
    n = min(len(set(stream)), 20000)
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.set(b"probe:%08d" % i, VALUE)
    pipe.execute()
    per_key = (r.info("memory")["used_memory"] - base) / n
    r.flushall()
    base = r.info("memory")["used_memory"]
    r.config_set("maxmemory-policy", "allkeys-lru")
    r.config_set("maxmemory-samples", samples)
    r.config_set("maxmemory", int(base + capacity * per_key))
    hits = 0
    batch = 200
    for start in range(0, len(stream), batch):
        pipe = r.pipeline(transaction=False)
        chunk = stream[start:start + batch]
        for key in chunk:
            pipe.set(key, VALUE, get=True)
        for j, reply in enumerate(pipe.execute()):
            if reply is not None and start + j >= warmup:
                hits += 1
    held = r.dbsize()
    r.config_set("maxmemory", 0)
    return hits / (len(stream) - warmup), held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=300000)
    parser.add_argument("--warmup", type=int, default=50000)
    parser.add_argument("--alpha", type=float, default=0.9)
    parser.add_argument("--fractions", default="0.02,0.05,0.1,0.2,0.4")
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--plot", help="write a PNG of the curves here (needs matplotlib)")
    args = parser.parse_args(argv)

    fractions = [float(f) for f in args.fractions.split(",")]
    stream = zipf_stream(args.keys, args.requests, args.alpha, seed=42)
    per_key = bytes_per_key_kvengine(args.keys)
    runs: dict[str, list[tuple[float, int]]] = {}
    names = ["kvengine samples=5", "kvengine samples=10"]
    names += [f"kvengine samples=10 @{rate // 1000}k req/s" for rate in RATES]
    port_ctx = redis_server() if not args.no_redis else None
    port = port_ctx.__enter__() if port_ctx is not None else None
    if port is not None:
        names += ["redis samples=5", "redis samples=10"]
    for name in names:
        runs[name] = []
    try:
        for fraction in fractions:
            capacity = int(args.keys * fraction)
            for samples in (5, 10):
                runs[f"kvengine samples={samples}"].append(
                    kvengine_ratio(stream, capacity, per_key, samples, args.warmup))
                if port is not None:
                    runs[f"redis samples={samples}"].append(
                        redis_ratio(port, stream, capacity, samples, args.warmup))
            for rate in RATES:
                runs[f"kvengine samples=10 @{rate // 1000}k req/s"].append(
                    kvengine_ratio(stream, capacity, per_key, 10, args.warmup, rate))
    finally:
        if port_ctx is not None:
            port_ctx.__exit__(None, None, None)

    # Each store holds as many keys as its own bytes allow: compare each with an
    # exact LRU of the same number of keys.
    print(f"Zipf alpha={args.alpha}, {args.keys} keys, {args.requests} requests "
          f"({args.warmup} warm-up), one SET key value GET per request.\n"
          "Each cell: hit ratio / keys held / exact LRU with that many keys / gap in points.\n")
    print("| cache (nominal % of keys) | " + " | ".join(runs) + " |")
    print("|---" * (len(runs) + 1) + "|")
    series: dict[str, list[float]] = {name: [] for name in runs}
    series["exact LRU"] = []
    for i, fraction in enumerate(fractions):
        cells = []
        for name, results in runs.items():
            ratio, held = results[i]
            exact = exact_lru(stream, held, args.warmup)
            series[name].append(ratio)
            cells.append(f"{100 * ratio:.1f}% / {held} / {100 * exact:.1f}% / {100 * (ratio - exact):+.1f}")
        series["exact LRU"].append(exact_lru(stream, int(args.keys * fraction), args.warmup))
        print(f"| {100 * fraction:g}% | " + " | ".join(cells) + " |")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5))
        for name, values in series.items():
            ax.plot([100 * f for f in fractions], [100 * v for v in values], marker="o", label=name)
        ax.set_xscale("log")
        ax.set_xticks([100 * f for f in fractions], [f"{100 * f:g}%" for f in fractions])
        ax.minorticks_off()
        ax.set_xlabel("cache size (nominal, % of key space; exact LRU at that size)")
        ax.set_ylabel("hit ratio (%)")
        ax.set_title(f"allkeys-lru hit ratio, Zipf alpha={args.alpha}")
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)
        print(f"\nplot: {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
