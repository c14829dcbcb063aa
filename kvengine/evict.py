"""maxmemory and eviction (Redis's evict.c): approximated LRU/LFU/TTL by sampling.

Before every command flagged ``denyoom`` (and by the cron while an eviction run is
unfinished) the server calls :func:`perform_evictions`.  Under an ``allkeys-*`` or
``volatile-*`` LRU/LFU/TTL policy the C table samples ``maxmemory-samples`` keys per
database and scores them in the same call (idle time, 255 minus the decayed LFU
counter, or time to expiry); the candidates are merged into a 16-entry pool kept
sorted by score, and the best one that still exists is evicted, until memory is
under the limit.  Random policies pick a random key, databases taken round-robin.
A run is bounded by ``maxmemory-eviction-tenacity``: when the time budget is spent
with memory still over the limit, the command goes on and the cron keeps evicting
(Redis's EVICT_RUNNING); only when nothing can be evicted is the command refused.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from kvengine import exceptions as e

if TYPE_CHECKING:
    from kvengine.server import Server

POLICIES = (
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction",
)
EVPOOL_SIZE = 16
MAX_SAMPLES = 64  # the C sampler's buffer; Redis accepts more but gains nothing
_MODE = {"lru": 0, "lfu": 1, "ttl": 2}
OOM_TEXT = "OOM command not allowed when used memory > 'maxmemory'."

EvictCallback = Callable[[bytes, int, str], None]


def time_limit_us(tenacity: int) -> int:
    """Redis's evictionTimeLimitUs: 50 us at tenacity 0, growing ~15% a step from 10,
    unlimited at 100."""
    if tenacity <= 10:
        return 50 * (tenacity + 1)
    if tenacity < 100:
        return int(500 * 1.15 ** (tenacity - 10))
    return 2**63 - 1


class EvictionPool:
    """Redis's eviction pool: up to 16 (score, db, key), ascending by score."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: list[tuple[int, int, bytes]] = []

    def populate(self, candidates: list[tuple[int, bytes]], db_id: int) -> None:
        """Merge sampled candidates; when full, a candidate must beat the worst entry."""
        entries = self.entries
        for score, key in candidates:
            item = (score, db_id, key)
            if any(k == key and d == db_id for _, d, k in entries):
                continue
            if len(entries) >= EVPOOL_SIZE:
                if score <= entries[0][0]:
                    continue
                del entries[0]
            bisect.insort(entries, item)

    def pop_best(self) -> tuple[int, bytes] | None:
        """The highest-scored (db, key), removed from the pool."""
        if not self.entries:
            return None
        _, db_id, key = self.entries.pop()
        return db_id, key


def _pick(srv: Server, policy: str) -> tuple[int, bytes] | None:
    """The next key to evict under `policy`, or None when no key qualifies."""
    volatile = policy.startswith("volatile-")
    kind = policy.split("-", 1)[1]
    now = srv.now
    if kind == "random":
        dbs = srv.dbs
        for _ in range(len(dbs)):
            db = dbs[srv.evict_next_db % len(dbs)]
            srv.evict_next_db += 1
            table = db.table
            if volatile:
                keys = table.sample_volatile(1)
                key = keys[0] if keys else None
            else:
                key = table.random_key()
            if key is not None:
                return db.id, key
        return None
    pool = srv.evict_pool
    mode = _MODE[kind]
    samples = min(srv.maxmemory_samples, MAX_SAMPLES)
    while True:
        found = False
        for db in srv.dbs:
            table = db.table
            if (table.volatile_count() if volatile else len(table)) == 0:
                continue
            found = True
            pool.populate(table.evict_sample(samples, volatile, mode, now), db.id)
        if not found:
            return None
        while True:
            best = pool.pop_best()
            if best is None:
                break  # every pooled key was stale: sample again
            db_id, key = best
            table = srv.dbs[db_id].table
            # A ghost (deleted, or lost its TTL under a volatile policy) is skipped.
            if volatile:
                if table.get_expire(key) >= 0:
                    return best
            elif table.get_field(key) is not None:
                return best


def evict_key(srv: Server, db_id: int, key: bytes, policy: str) -> int:
    """Delete one key as an eviction: stats, WATCH, propagation as DEL, callbacks.
    Returns the bytes freed."""
    db = srv.dbs[db_id]
    before = db.table.mem_usage() + db.table.obj_mem
    db.table.delete(key)
    freed = before - db.table.mem_usage() - db.table.obj_mem
    srv.stats.evicted_keys += 1
    srv.dirty += 1
    if srv.watched:
        srv.touch_watched(db_id, key)
    if srv.feeding:
        srv.propagate(db_id, [b"DEL", key])
    for callback in srv.evict_callbacks:
        callback(key, db_id, policy)
    return freed


def perform_evictions(srv: Server) -> bool:
    """Evict until used memory is under maxmemory.  True if the command may run
    (under the limit, or a time-limited run still in progress); False if nothing more
    can be evicted (the caller answers OOM)."""
    limit = srv.maxmemory
    used = srv.used_memory()
    if used <= limit:
        srv.evict_pending = False
        return True
    policy = srv.maxmemory_policy
    if policy == "noeviction":
        return False
    deadline = time.perf_counter() + time_limit_us(srv.maxmemory_eviction_tenacity) / 1e6
    keys = 0
    while used > limit:
        victim = _pick(srv, policy)
        if victim is None:
            srv.evict_pending = False
            return False
        evict_key(srv, victim[0], victim[1], policy)
        used = srv.used_memory()
        keys += 1
        if keys % 16 == 0 and time.perf_counter() > deadline and used > limit:
            srv.evict_pending = True  # the cron goes on (Redis's eviction time proc)
            return True
    srv.evict_pending = False
    return True


def oom_error() -> e.RedisError:
    """Redis's shared.oomerr."""
    return e.error_from_line(OOM_TEXT)
