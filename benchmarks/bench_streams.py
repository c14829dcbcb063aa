"""Streams against fakeredis and redis-py + redis-server (issue 13 item 9).

Usage: python benchmarks/bench_streams.py [ROUNDS]   (default 15)

Per round, alternately in one process: XADD of one 2-field entry, XRANGE of 10
entries, and an XREADGROUP (COUNT 10) + XACK worker loop, each on kvengine,
fakeredis and redis-py talking to a private redis-server; the medians of per-call
CPU times (``time.thread_time``) and the ratios are printed.  Then memory per entry:
100k entries of 2 small fields, kvengine's used_memory growth, the real server's
used_memory growth, and the process RSS growth of kvengine and of fakeredis.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psutil
import redis

from kvengine import Engine
from tests.redis_server import redis_server

FIELDS = {"sensor": "s-17", "value": "21.5"}


def per_call_us(fn: Callable[[], object], n: int, clock: Callable[[], float] = time.thread_time) -> float:
    t0 = clock()
    for _ in range(n):
        fn()
    return (clock() - t0) / n * 1e6


def prepare(client: Any, key: str, n: int) -> None:
    client.delete(key)
    for _ in range(n):
        client.xadd(key, FIELDS)


def worker_loop(client: Any) -> Callable[[], object]:
    def step() -> object:
        got = client.xreadgroup("g", "w", {"jobs": ">"}, count=10)
        if not got:
            for _ in range(1000):
                client.xadd("jobs", FIELDS)
            got = client.xreadgroup("g", "w", {"jobs": ">"}, count=10)
        return client.xack("jobs", "g", *[i for i, _ in got[0][1]])

    return step


def main() -> None:
    import fakeredis

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with redis_server(tempfile.mkdtemp()) as port:
        clients = {"kvengine": Engine(active_expire=False), "fakeredis": fakeredis.FakeRedis(),
                   "redis-server": redis.Redis(port=port)}
        for c in clients.values():
            prepare(c, "r", 1000)
            c.delete("jobs")
            c.xgroup_create("jobs", "g", "$", mkstream=True)
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(rounds):
            for name, c in clients.items():
                # redis-server's work happens in another process: wall time for it
                clock = time.perf_counter if name == "redis-server" else time.thread_time
                times.setdefault(("XADD", name), []).append(per_call_us(lambda c=c: c.xadd("w", FIELDS), 300, clock))
                times.setdefault(("XRANGE 10", name), []).append(
                    per_call_us(lambda c=c: c.xrange("r", "-", "+", count=10), 300, clock))
                times.setdefault(("XREADGROUP+XACK", name), []).append(per_call_us(worker_loop(c), 100, clock))
        print(f"{'operation':18} {'kvengine us':>12} {'fakeredis us':>13} {'redis-py+server us':>19} "
              f"{'vs fakeredis':>13} {'vs redis-py':>12}")
        for op in ("XADD", "XRANGE 10", "XREADGROUP+XACK"):
            k, f, r = (statistics.median(times[(op, n)]) for n in clients)
            print(f"{op:18} {k:12.2f} {f:13.2f} {r:19.2f} {f / k:12.1f}x {r / k:11.1f}x")
        n = 100_000
        real = clients["redis-server"]
        real.flushall()
        before = real.info("memory")["used_memory"]
        pipe = real.pipeline(transaction=False)
        for i in range(n):
            pipe.xadd("m", {"a": "1", "b": str(i)})
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        redis_bytes = (real.info("memory")["used_memory"] - before) / n
    proc = psutil.Process()
    kv = Engine(active_expire=False)
    gc.collect()
    rss0, used0 = proc.memory_info().rss, kv.server.used_memory()
    for i in range(n):
        kv.xadd("m", {"a": "1", "b": str(i)})
    gc.collect()
    kv_rss = (proc.memory_info().rss - rss0) / n
    kv_used = (kv.server.used_memory() - used0) / n
    fake = fakeredis.FakeRedis()
    gc.collect()
    rss1 = proc.memory_info().rss
    for i in range(n):
        fake.xadd("m", {"a": "1", "b": str(i)})
    gc.collect()
    fake_rss = (proc.memory_info().rss - rss1) / n
    print(f"memory per entry (100k x 2 small fields): redis used_memory {redis_bytes:.1f} B, "
          f"kvengine used_memory {kv_used:.1f} B, kvengine RSS {kv_rss:.1f} B, fakeredis RSS {fake_rss:.1f} B")


if __name__ == "__main__":
    main()
