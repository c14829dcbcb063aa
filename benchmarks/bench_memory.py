"""Memory per key: kvengine (C table and twin), a plain dict, fakeredis and Redis 7.

Usage: python benchmarks/bench_memory.py [N]     (default N = 1,000,000)

Keys are 16 bytes and values 32 bytes, as in the targets of issue 2.  For each
peer the process's RSS growth is measured in a fresh subprocess (so one peer's
garbage cannot flatter another), plus the engine's own accounting where it has one;
Redis reports used_memory from INFO.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CHILD = r"""
import gc, json, os, sys
N, kind = int(sys.argv[1]), sys.argv[2]
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
# Keys and values are made inside the loop, so a store that keeps Python objects
# pays for them and a store that copies bytes into C does not.
def pairs():
    for i in range(N):
        yield b"key:%012d" % i, b"v" * 24 + b"%08d" % (i % 10**8)
# Import everything first: module imports (redis-py, cffi) must not count as data.
import kvengine  # noqa: F401
from kvengine._native import pytable
if kind == "fakeredis":
    import fakeredis
if kind == "kvengine-c":
    from kvengine._native.ctable import Table
else:
    Table = pytable.Table
gc.collect()
before = rss()
extra = None
if kind == "dict":
    store = {}
    for k, v in pairs():
        store[k] = v
elif kind == "fakeredis":
    store = fakeredis.FakeRedis()
    for k, v in pairs():
        store.set(k, v)
else:
    store = Table(1)
    for k, v in pairs():
        store.set(k, v)
    extra = store.mem_usage()
gc.collect()
print(json.dumps({"rss": rss() - before, "accounted": extra}))
"""


def measure(kind: str, n: int) -> dict[str, float | None]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), kind], capture_output=True, text=True,
                         check=True)
    data = json.loads(out.stdout)
    return {"rss_per_key": data["rss"] / n,
            "accounted_per_key": None if data["accounted"] is None else data["accounted"] / n}


def redis_used_memory(n: int) -> float | None:
    from servers import redis_server

    with redis_server() as port:
        if port is None:
            return None
        import redis

        client = redis.Redis(port=port)
        base = client.info("memory")["used_memory"]
        value = b"v" * 32
        pipe = client.pipeline(transaction=False)
        for i in range(n):
            pipe.set(b"key:%012d" % i, value[:-8] + b"%08d" % (i % 10**8))
            if i % 10000 == 9999:
                pipe.execute()
        pipe.execute()
        return (client.info("memory")["used_memory"] - base) / n


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rows = {}
    for kind in ("kvengine-c", "kvengine-twin", "dict"):
        rows[kind] = measure(kind, n)
    rows["fakeredis"] = measure("fakeredis", min(n, 200_000))
    rows["redis-server"] = {"rss_per_key": None, "accounted_per_key": redis_used_memory(n)}
    print(f"Memory per key, {n:,} keys of 16 B with 32 B values "
          f"(fakeredis measured on {min(n, 200_000):,} keys)\n")
    print("| store | RSS growth per key (B) | own accounting per key (B) |")
    print("|---|---|---|")
    for kind, row in rows.items():
        rss = "-" if row["rss_per_key"] is None else f"{row['rss_per_key']:.1f}"
        acc = "-" if row["accounted_per_key"] is None else f"{row['accounted_per_key']:.1f}"
        print(f"| {kind} | {rss} | {acc} |")
    print()
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
