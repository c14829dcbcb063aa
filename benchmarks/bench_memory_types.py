"""Memory per item for containers, and HGET / ZSCORE latency.

Usage: python benchmarks/bench_memory_types.py [N] [--before TREE] [--no-fakeredis]

Workloads (per item = per field / member / element):
  hashes   N hashes x 10 fields          zsets    N sorted sets x 10 members
  zset     one sorted set of N members   intsets  N sets x 10 integers
  sets     N sets x 10 strings           lists    N lists x 10 items

For kvengine (and fakeredis), each workload runs in a fresh subprocess and reports the
RSS growth and kvengine's own used_memory (its size model); Redis 7 reports used_memory
from INFO.  With ``--before TREE`` the same children also run against another kvengine
checkout (e.g. ``/work/main``, built), so before and after are measured in one run;
latency through the Engine API (kv.hget / kv.zscore on 10-element containers, and
the writes: a new 10-field hash, a new 10-member sorted set, LRANGE of 10 items; best
of 5 x 15 rounds of 2,000 calls, the trees alternating) is reported for both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

WORKLOADS = ("hashes", "zsets", "zset", "intsets", "sets", "lists")

FILL = r"""
def fill(store, N, workload):
    if workload == "hashes":
        for i in range(N):
            store.hset(b"user:%08d" % i, mapping={b"field%d" % f: b"value-%d-%d" % (i, f) for f in range(10)})
        return N * 10
    if workload == "zsets":
        for i in range(N):
            store.zadd(b"z:%08d" % i, {b"member:%d" % f: i + f * 1.5 for f in range(10)})
        return N * 10
    if workload == "zset":
        for start in range(0, N, 1000):
            store.zadd(b"z", {b"member:%08d" % i: i * 1.5 for i in range(start, min(N, start + 1000))})
        return N
    if workload == "intsets":
        for i in range(N):
            store.sadd(b"s:%08d" % i, *[i * 10 + f for f in range(10)])
        return N * 10
    if workload == "sets":
        for i in range(N):
            store.sadd(b"s:%08d" % i, *[b"m-%d-%d" % (i, f) for f in range(10)])
        return N * 10
    for i in range(N):
        store.rpush(b"l:%08d" % i, *[b"item-%d-%d" % (i, f) for f in range(10)])
    return N * 10
"""

CHILD = FILL + r"""
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
items = fill(store, N, workload)
gc.collect()
accounted = store.server.used_memory() if kind == "kvengine" else None
print(json.dumps({"rss": rss() - before, "accounted": accounted, "items": items,
                  "file": kvengine.__file__}))
"""

LATENCY = FILL + r"""
import json, sys, timeit
import kvengine
kv = kvengine.Engine(active_expire=False)
fill(kv, 1000, "hashes")
fill(kv, 1000, "zsets")
def hget(): return kv.hget(b"user:00000500", b"field7")
def zscore(): return kv.zscore(b"z:00000500", b"member:7")
def hget_miss(): return kv.hget(b"user:00000500", b"nofield")
n = iter(range(10**9))
def hset10():  # a new 10-field hash (per call; compare with hget's per-call cost)
    i = next(n)
    kv.hset(b"new:%d" % i, mapping={b"field%d" % f: b"value-%d-%d" % (i, f) for f in range(10)})
def zadd10():
    i = next(n)
    kv.zadd(b"newz:%d" % i, {b"member:%d" % f: i + f * 1.5 for f in range(10)})
def lrange():
    return kv.lrange(b"l:00000500", 0, -1)
fill(kv, 1000, "lists")
assert hget() == b"value-500-7" and zscore() == 510.5
out = {}
for name, fn in (("hget", hget), ("zscore", zscore), ("hget_miss", hget_miss), ("hset10", hset10),
                 ("zadd10", zadd10), ("lrange10", lrange)):
    out[name] = min(timeit.repeat(fn, number=2000, repeat=15)) / 2000 * 1e6
print(json.dumps(out))
"""


def _run(code: str, tree: str, *args: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True, cwd=tree, env=env)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def measure(kind: str, workload: str, n: int, tree: str = ROOT) -> dict[str, float | None]:
    data = _run(CHILD, tree, str(n), kind, workload)
    if kind == "kvengine":
        assert data["file"].startswith(tree), (data["file"], tree)
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
        scope: dict[str, object] = {}
        exec(FILL, scope)

        class Batched:
            """Sends the fill's calls through a pipeline, 1,000 at a time."""

            def __init__(self) -> None:
                self.pipe = r.pipeline(transaction=False)
                self.n = 0

            def __getattr__(self, name: str) -> object:
                def call(*args: object, **kwargs: object) -> None:
                    getattr(self.pipe, name)(*args, **kwargs)
                    self.n += 1
                    if self.n % 1000 == 0:
                        self.pipe.execute()
                return call

        batched = Batched()
        items = scope["fill"](batched, n, workload)  # type: ignore[operator]
        batched.pipe.execute()
        return (r.info("memory")["used_memory"] - base) / items  # type: ignore[no-any-return]


def _cell(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def main() -> None:
    args = sys.argv[1:]
    before = None
    if "--before" in args:
        i = args.index("--before")
        before = os.path.abspath(args[i + 1])
        del args[i:i + 2]
    fake = "--no-fakeredis" not in args
    args = [a for a in args if a != "--no-fakeredis"]
    n = int(args[0]) if args else 100_000
    print(f"Memory per item, N = {n:,} (see the docstring for the workloads)\n")
    head = "| workload | kvengine RSS/item (B) | kvengine used_memory/item (B) |"
    if before:
        head = "| workload | before RSS/item (B) | before used_memory/item (B) | after RSS/item (B) | after used_memory/item (B) |"
    if fake:
        head += " fakeredis RSS/item (B) |"
    head += " Redis 7 used_memory/item (B) |"
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    rows: dict[str, object] = {}
    for workload in WORKLOADS:
        row: dict[str, object] = {}
        cells = [workload]
        if before:
            row["before"] = b = measure("kvengine", workload, n, before)
            cells += [_cell(b["rss"]), _cell(b["accounted"])]
        row["kvengine"] = kv = measure("kvengine", workload, n)
        cells += [_cell(kv["rss"]), _cell(kv["accounted"])]
        if fake:
            row["fakeredis"] = fr = measure("fakeredis", workload, n)
            cells.append(_cell(fr["rss"]))
        row["redis"] = rd = redis_used(workload, n)
        cells.append(_cell(rd))
        rows[workload] = row
        print("| " + " | ".join(cells) + " |")
    print()
    trees = [("after", ROOT)] + ([("before", before)] if before else [])
    lat: dict[str, dict[str, float]] = {}
    for _ in range(5):  # alternate the trees; keep each one's best
        for name, tree in trees:
            got = _run(LATENCY, tree)
            best = lat.setdefault(name, got)
            for k, v in got.items():
                best[k] = min(best[k], v)
    print("| latency (us/call) | " + " | ".join(name for name, _ in trees) + " |")
    print("|---" * (len(trees) + 1) + "|")
    for op in ("hget", "zscore", "hget_miss", "hset10", "zadd10", "lrange10"):
        print(f"| {op} | " + " | ".join(f"{lat[name][op]:.2f}" for name, _ in trees) + " |")
    rows["latency"] = lat
    print()
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
