"""Memory per item for containers: 100k hashes of 10 fields, and one 100k-member sorted set.

Usage: python benchmarks/bench_memory_types.py [N]      (default N = 100,000)

For kvengine and fakeredis, each workload runs in a fresh subprocess and reports the
RSS growth (and kvengine's own used_memory, its size model); Redis 7 reports
used_memory from INFO.  Per item = per hash field, or per zset member.
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
N, kind, workload = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
import kvengine
if kind == "fakeredis":
    import fakeredis
    store = fakeredis.FakeRedis()
else:
    store = kvengine.Engine(active_expire=False)
gc.collect()
before = rss()
if workload == "hashes":
    for i in range(N):
        store.hset(b"user:%08d" % i, mapping={b"field%d" % f: b"value-%d-%d" % (i, f) for f in range(10)})
    items = N * 10
else:
    for start in range(0, N, 1000):
        store.zadd(b"z", {b"member:%08d" % i: i * 1.5 for i in range(start, min(N, start + 1000))})
    items = N
gc.collect()
accounted = store.server.used_memory() if kind == "kvengine" else None
print(json.dumps({"rss": rss() - before, "accounted": accounted, "items": items}))
"""


def measure(kind: str, workload: str, n: int) -> dict[str, float | None]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), kind, workload],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    items = data["items"]
    return {"rss": data["rss"] / items,
            "accounted": None if data["accounted"] is None else data["accounted"] / items}


def redis_used(workload: str, n: int) -> float | None:
    from servers import redis_server

    with redis_server() as port:
        if port is None:
            return None
        import redis

        r = redis.Redis(port=port)
        base = r.info("memory")["used_memory"]
        pipe = r.pipeline(transaction=False)
        if workload == "hashes":
            for i in range(n):
                pipe.hset(b"user:%08d" % i, mapping={b"field%d" % f: b"value-%d-%d" % (i, f) for f in range(10)})
                if i % 1000 == 999:
                    pipe.execute()
            items = n * 10
        else:
            for start in range(0, n, 1000):
                pipe.zadd(b"z", {b"member:%08d" % i: i * 1.5 for i in range(start, min(n, start + 1000))})
            items = n
        pipe.execute()
        return (r.info("memory")["used_memory"] - base) / items


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"Memory per item, N = {n:,} (hashes: N hashes x 10 fields, per field; zset: N members)\n")
    print("| workload | kvengine RSS/item (B) | kvengine used_memory/item (B) | fakeredis RSS/item (B) "
          "| Redis 7 used_memory/item (B) |")
    print("|---|---|---|---|---|")
    rows = {}
    for workload in ("hashes", "zset"):
        kv = measure("kvengine", workload, n)
        fr = measure("fakeredis", workload, n)
        rd = redis_used(workload, n)
        rows[workload] = {"kvengine": kv, "fakeredis": fr, "redis": rd}
        print(f"| {workload} | {kv['rss']:.1f} | {kv['accounted']:.1f} | {fr['rss']:.1f} | "
              f"{'-' if rd is None else f'{rd:.1f}'} |")
    print()
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
