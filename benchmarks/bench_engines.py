"""What an engine costs at rest: creation + close, idle engines beside a busy one, and the
drop-in's per-test setup.

    python benchmarks/bench_engines.py [--idle 10000] [--sets 20000] [--tests 2000]

1. ``Engine()`` + one SET + ``close()``, and the same with the engine dropped instead of
   closed (best of several rounds, us per engine);
2. SET throughput of one busy engine alone, then with ``--idle`` idle engines alive (the
   engines hold a key each, no TTL), measured in alternating rounds; the ratio is the
   slowdown the idle engines cause;
3. the drop-in's setup and teardown as a test suite pays it: ``--tests`` times a fresh
   ``kvengine.redis_compat.Redis`` (own engine), one SET, close; then a generated pytest
   suite of ``--tests`` tests using the ``kv_redis`` fixture against the same suite with
   no fixture (both in a subprocess; the difference is kvengine's share).

Run it from the checkout to measure (it imports the kvengine next to it).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kvengine import Engine  # noqa: E402


def best_us(fn, n: int, rounds: int = 7) -> float:
    """Best round, in us of this process's CPU time per call (background threads
    included; other processes on a shared machine excluded)."""
    out = []
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        out.append((time.process_time() - t0) / n * 1e6)
    return min(out)


def create_close() -> None:
    kv = Engine()
    kv.set("k", "v")
    kv.close()


def create_drop() -> None:
    kv = Engine()
    kv.set("k", "v")


def sets_per_s(kv: Engine, n: int) -> float:
    """SETs per second of this process's CPU time (the scheduler thread's included), so
    other processes on a shared machine do not count."""
    t0 = time.process_time()
    s = kv.set
    for i in range(n):
        s("key", i)
    return n / (time.process_time() - t0)


def busy_vs_idle(idle: int, n: int, rounds: int) -> tuple[float, float, float]:
    """(best SET/s alone, best SET/s with `idle` idle engines alive, seconds to make them),
    over two alone phases and two crowded phases taken in turn."""
    busy = Engine()
    alone = crowded = made = 0.0
    for _ in range(2):
        alone = max(alone, *(sets_per_s(busy, n) for _ in range(rounds)))
        t0 = time.perf_counter()
        engines = [Engine() for _ in range(idle)]
        for kv in engines:
            kv.set("k", "v")
        made = time.perf_counter() - t0
        time.sleep(1.5)  # let every cron tick and park (the sweep runs once a second)
        crowded = max(crowded, *(sets_per_s(busy, n) for _ in range(rounds)))
        for kv in engines:
            kv.close()
        del engines
        gc.collect()
    busy.close()
    return alone, crowded, made


def dropin_loop(n: int) -> float:
    from kvengine.redis_compat import Redis

    t0 = time.process_time()
    for _ in range(n):
        r = Redis()
        r.set("k", "v")
        r.close()
        r.engine.close()
    return time.process_time() - t0


# Two no-op fixtures shaped like kv and kv_redis (a yield fixture and one depending on
# it): what pytest itself charges for two fixtures per test, to subtract.
_NOOP_FIXTURES = """
import pytest

@pytest.fixture
def engine_like():
    yield object()

@pytest.fixture
def client_like(engine_like):
    yield engine_like
"""


def suite_seconds(tests: int, kind: str) -> float:
    """CPU seconds (user + system) of a pytest run of a generated suite: `kind` "bare"
    (no fixture), "noop" (two no-op fixtures) or "kv_redis"."""
    head, body = {
        "bare": ("", "def test_{i}():\n    pass\n"),
        "noop": (_NOOP_FIXTURES, "def test_{i}(client_like):\n    pass\n"),
        "kv_redis": ("", "def test_{i}(kv_redis):\n    kv_redis.set('k', 'v')\n"),
    }[kind]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test_many.py"
        path.write_text(head + "".join(body.format(i=i) for i in range(tests)))
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
               "-p", "no:randomly", "-p", "no:kvengine", "-p", "kvengine.pytest_plugin",
               "-p", "no:benchmark", str(path)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        took = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if out.returncode != 0:
            raise SystemExit(out.stdout[-2000:] + out.stderr[-2000:])
        return took


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--idle", type=int, default=10000)
    p.add_argument("--sets", type=int, default=200000)
    p.add_argument("--tests", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    print(f"kvengine from {ROOT}, Python {sys.version.split()[0]}")
    print(f"Engine() + SET + close:   {best_us(create_close, 1000):7.1f} us (CPU)")
    print(f"Engine() + SET, dropped:  {best_us(create_drop, 1000):7.1f} us (CPU)")
    gc.collect()
    alone, crowded, made = busy_vs_idle(args.idle, args.sets, args.rounds)
    threads = threading.active_count()
    print(f"busy engine SET/s of CPU alone: {alone:,.0f}; with {args.idle} idle engines alive: "
          f"{crowded:,.0f} ({(1 - crowded / alone) * 100:+.1f}% slower); "
          f"making them took {made:.2f} s; threads now {threads}")
    loop = min(dropin_loop(args.tests) for _ in range(3))
    print(f"{args.tests} x (redis_compat.Redis() + SET + close): {loop:.2f} CPU s "
          f"({loop / args.tests * 1e6:.0f} us each)")
    bare, noop, fixture = (min(suite_seconds(args.tests, kind) for _ in range(2))
                           for kind in ("bare", "noop", "kv_redis"))
    print(f"pytest, {args.tests} tests (CPU s): with kv_redis {fixture:.2f}, with two no-op "
          f"fixtures {noop:.2f}, without fixtures {bare:.2f}; kv_redis minus no fixtures "
          f"{fixture - bare:.2f}, minus the no-op fixtures (kvengine's own) {fixture - noop:.2f}")


if __name__ == "__main__":
    main()
