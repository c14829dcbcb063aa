"""A tour of kvengine: strings, TTLs on a manual clock, counters, scans.

Run: make demo
"""

from __future__ import annotations

import kvengine
from kvengine import Engine, ManualClock


def main() -> None:
    clock = ManualClock()
    kv = Engine(clock=clock, decode_responses=True)
    print(f"kvengine {kvengine.__version__}, native C table: {kvengine.NATIVE}")

    kv.set("user:1", "ann", ex=60)
    kv.set("user:2", "bob")
    kv.mset({"page:home": 0, "page:about": 0})
    for _ in range(3):
        kv.incr("page:home")
    print("GET user:1            ->", kv.get("user:1"))
    print("TTL user:1            ->", kv.ttl("user:1"))
    print("INCR page:home x3     ->", kv.get("page:home"))
    print("KEYS page:*           ->", sorted(kv.keys("page:*")))

    clock.advance(61)  # time moves only when we say so
    print("after 61 s, GET user:1 ->", kv.get("user:1"), "(expired)")
    print("DBSIZE                ->", kv.dbsize())

    try:
        kv.incr("user:2")
    except kvengine.ResponseError as exc:
        print("INCR user:2           -> error:", exc)

    hits = kv.server.keyspace_hits
    misses = kv.server.keyspace_misses
    expired = kv.server.stats.expired_keys
    print(f"stats: keyspace_hits={hits} keyspace_misses={misses} expired_keys={expired}")
    kv.close()


if __name__ == "__main__":
    main()
