"""Persistence benchmarks (issue 5): SET throughput per fsync policy, snapshot save
and load, BGSAVE's parent pause, log replay speed, file sizes.

    KVENGINE_REQUIRE_NATIVE=1 python benchmarks/bench_persistence.py [--keys 1000000]

Prints a Markdown table.  Numbers from a shared 2-core machine: read ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time

from kvengine import NATIVE, Engine


def per_op_us(kv: Engine, n: int, cpu: bool = True, runs: int = 5) -> float:
    """Median over `runs` runs of the cost of one SET without options.  `cpu`: measure
    the process's CPU time (every thread), which a busy shared machine disturbs
    less than the wall clock; fsync waits are not CPU, so `always` uses the wall clock."""
    clock = time.process_time if cpu else time.perf_counter
    times = []
    set_ = kv.set
    keys = [f"key:{i}".encode() for i in range(n)]
    value = b"v" * 32
    for _ in range(runs):
        t = clock()
        for k in keys:
            set_(k, value)
        times.append((clock() - t) / n * 1e6)
    return statistics.median(times)


def size_of(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--ops", type=int, default=100_000)
    parser.add_argument("--always-ops", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    base = tempfile.mkdtemp(prefix="kvbench-")
    try:
        # -- SET cost per fsync policy ------------------------------------------------------
        kv = Engine(active_expire=False)
        none = per_op_us(kv, args.ops)
        none_wall = per_op_us(kv, args.ops, cpu=False)
        kv.close()
        rows.append(("SET, no persistence", f"{none:.2f} us"))
        for policy, n in (("no", args.ops), ("everysec", args.ops), ("always", args.always_ops)):
            d = os.path.join(base, f"set-{policy}")
            kv = Engine(d, persistence="aof", appendfsync=policy, active_expire=False)
            us = per_op_us(kv, n, cpu=policy != "always")
            kv.close()
            ref = none if policy != "always" else none_wall
            rows.append((f"SET, aof appendfsync {policy}", f"{us:.2f} us ({us / ref:.2f}x)"))
        # everysec against no persistence, in alternating rounds (a shared machine's load
        # drifts): the median of each round's ratio.  "general feed path" is the same
        # log without the SET fast path's shortcut (server.log_set = None): every
        # write through propagate, flush_feed and feed, as before the shortcut.
        engines = {
            "none": Engine(active_expire=False),
            "aof everysec": Engine(os.path.join(base, "r-aof"), persistence="aof", active_expire=False),
            "hybrid everysec (Engine(path) default)": Engine(os.path.join(base, "r-hybrid"), active_expire=False),
            "aof everysec, general feed path (no shortcut)":
                Engine(os.path.join(base, "r-general"), persistence="aof", active_expire=False),
        }
        engines["aof everysec, general feed path (no shortcut)"].server.log_set = None
        ratios: dict[str, list[float]] = {name: [] for name in engines if name != "none"}
        for _ in range(args.rounds):
            ref = per_op_us(engines["none"], args.ops, runs=3)
            for name, kv in engines.items():
                if name != "none":
                    ratios[name].append(per_op_us(kv, args.ops, runs=3) / ref)
        for kv in engines.values():
            kv.close()
        for name, values in ratios.items():
            rows.append((f"SET, {name}, vs none, median of {args.rounds} alternating rounds",
                         f"{statistics.median(values):.2f}x (min {min(values):.2f}x, max {max(values):.2f}x)"))

        # -- snapshot save / load ----------------------------------------------------------------
        for compression in (True, False):
            d = os.path.join(base, f"snap-{compression}")
            kv = Engine(d, persistence="snapshot", save="", rdbcompression=compression, active_expire=False)
            value = b"x" * 32
            with kv.server.lock:  # fill fast, outside the command path
                table = kv.server.dbs[0].table
                for i in range(args.keys):
                    table.set(b"key:%d" % i, value)
            t, c = time.perf_counter(), time.process_time()
            kv.save()
            save_s, save_cpu = time.perf_counter() - t, time.process_time() - c
            size = os.path.getsize(os.path.join(d, "dump.rdb"))
            # BGSAVE: the parent's pause is the fork.
            pauses = []
            backend = kv.server.persistence
            for _ in range(3):
                t = time.perf_counter()
                kv.bgsave(schedule=False)
                pauses.append((time.perf_counter() - t) * 1000)
                backend.wait()
            fork_us = backend.last_fork_usec
            kv.close()
            t, c = time.perf_counter(), time.process_time()
            kv = Engine(d, persistence="snapshot", save="", active_expire=False)
            load_s, load_cpu = time.perf_counter() - t, time.process_time() - c
            assert kv.dbsize() == args.keys
            kv.close()
            label = "zlib" if compression else "uncompressed"
            rows.append((f"SAVE {args.keys} keys ({label})",
                         f"cpu {save_cpu:.2f} s (wall {save_s:.2f} s), {size / 1e6:.1f} MB"))
            rows.append((f"load {args.keys} keys ({label})", f"cpu {load_cpu:.2f} s (wall {load_s:.2f} s)"))
            rows.append((f"BGSAVE parent pause, {args.keys} keys ({label})",
                         f"{statistics.median(pauses):.1f} ms (fork {fork_us / 1000:.1f} ms)"))

        # -- copy-mode BGSAVE pause ---------------------------------------------------------------
        d = os.path.join(base, "snap-copy")
        kv = Engine(d, persistence="snapshot", save="", bgsave_method="copy", active_expire=False)
        with kv.server.lock:
            table = kv.server.dbs[0].table
            for i in range(args.keys):
                table.set(b"key:%d" % i, b"x" * 32)
        t = time.perf_counter()
        kv.bgsave(schedule=False)
        pause = (time.perf_counter() - t) * 1000
        kv.server.persistence.wait()
        kv.close()
        rows.append((f"BGSAVE parent pause, copy mode (no fork), {args.keys} keys", f"{pause:.0f} ms"))

        # -- log replay ------------------------------------------------------------------------------
        d = os.path.join(base, "replay")
        kv = Engine(d, persistence="aof", active_expire=False)
        for i in range(args.ops):
            kv.set(f"key:{i}", "x" * 32)
        kv.close()
        t, c = time.perf_counter(), time.process_time()
        kv = Engine(d, persistence="aof", active_expire=False)
        replay, replay_cpu = time.perf_counter() - t, time.process_time() - c
        kv.close()
        rows.append((f"replay {args.ops} SETs (aof)",
                     f"cpu {replay_cpu:.2f} s ({args.ops / replay_cpu / 1000:.0f}k commands/s; wall {replay:.2f} s), "
                     f"{size_of(d) / 1e6:.1f} MB"))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"kvengine NATIVE={NATIVE}, load average {os.getloadavg()[0]:.1f} at the end")
    print("| measure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
