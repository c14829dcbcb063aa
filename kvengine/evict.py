"""maxmemory and eviction (Redis's evict.c): approximated LRU/LFU/TTL by sampling.

Before every command flagged ``denyoom`` (and by the cron while an eviction run is
unfinished) the server calls :func:`perform_evictions`.  Under an ``allkeys-*`` or
``volatile-*`` LRU/LFU/TTL policy the C table samples ``maxmemory-samples`` keys per
database and scores them in the same call (idle time, 255 minus the decayed LFU
counter, or time to expiry); the candidates are merged into a 16-entry pool kept
sorted by score, and the best one that still exists is evicted, until memory is
under the limit.  Random policies pick a random key, databases taken round-robin.
A run goes on a little below the limit (:func:`evict_target`), so that a full cache
under a stream of writes evicts in runs of a few dozen keys rather than one run per
write; in the steady state a whole run is one call into the table
(``Table.evict_until``).  A run is bounded by ``maxmemory-eviction-tenacity``: when
the time budget is spent with memory still over the limit, the command goes on and
the cron keeps evicting (Redis's EVICT_RUNNING); only when nothing can be evicted is
the command refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine._native.pytable import POOL_SIZE as EVPOOL_SIZE
from kvengine._native.pytable import pool_insert

if TYPE_CHECKING:
    from kvengine.server import Server

POLICIES = (
    "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction",
)
MAX_SAMPLES = 64  # the C sampler's buffer; Redis accepts more but gains nothing
_MODE = {"lru": 0, "lfu": 1, "ttl": 2}
# (volatile only, scoring mode) of the policies the tables evict on their own.
_STEADY = {p: (p.startswith("volatile-"), _MODE[p[-3:]]) for p in POLICIES if p[-3:] in _MODE}
EVICT_AHEAD_MAX = 4096  # bytes an eviction run goes below maxmemory, at most (evict_target)
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
    """Redis's eviction pool over several databases: 16 slots of (score, (db, key)),
    with the same insertion rule as each table's own pool (pytable.pool_insert)."""

    __slots__ = ("slots",)

    def __init__(self) -> None:
        self.slots: list[tuple[int, Any] | None] = [None] * EVPOOL_SIZE

    @property
    def entries(self) -> list[tuple[int, int, bytes]]:
        """The occupied slots, left to right, as (score, db, key)."""
        return [(e[0], e[1][0], e[1][1]) for e in self.slots if e is not None]

    def populate(self, candidates: list[tuple[int, bytes]], db_id: int) -> None:
        """Merge sampled candidates (Redis's evictionPoolPopulate)."""
        for score, key in candidates:
            pool_insert(self.slots, score, (db_id, key))

    def pop_best(self) -> tuple[int, bytes] | None:
        """The highest-scored (db, key), removed from the pool (the slot is emptied)."""
        pool = self.slots
        for k in range(EVPOOL_SIZE - 1, -1, -1):
            entry = pool[k]
            if entry is not None:
                pool[k] = None
                return entry[1]  # type: ignore[no-any-return]
        return None


def _pick(srv: Server, policy: str) -> tuple[int, bytes, bool] | None:
    """The next key to evict under `policy` as (db, key, already deleted), or None
    when no key qualifies."""
    volatile = policy.startswith("volatile-")
    kind = policy.split("-", 1)[1]
    now = srv.now
    if kind == "random":
        dbs = srv.dbs
        for _ in range(len(dbs)):
            db = dbs[srv.evict_next_db % len(dbs)]
            srv.evict_next_db += 1
            if not len(db):  # empty (or never used: no table to make)
                continue
            table = db.table
            if volatile:
                keys = table.sample_volatile(1)
                key = keys[0] if keys else None
            else:
                key = table.random_key()
            if key is not None:
                return db.id, key, False
        return None
    pool = srv.evict_pool
    mode = _MODE[kind]
    samples = min(srv.maxmemory_samples, MAX_SAMPLES)
    while True:
        # The databases worth sampling, re-counted every 64 picks or when they ran dry
        # (counting all 16 on every pick would cost more than the eviction).
        srv.evict_picks += 1
        dbs = srv.evict_dbs
        if not dbs or srv.evict_picks % 64 == 0:
            dbs = srv.evict_dbs = [
                db for db in srv.dbs if (db.volatile_count() if volatile else len(db))
            ]
            if not dbs:
                return None
        if len(dbs) == 1:
            # One database (the usual case): sampling, the pool and the delete all
            # happen in one call into the table.
            db = dbs[0]
            key = db.table.evict_one(samples, volatile, mode, now)
            if key is not None:
                return db.id, key, True
            srv.evict_dbs = []
            continue
        found = False
        for db in dbs:
            candidates = db.table.evict_sample(samples, volatile, mode, now)
            if candidates:
                found = True
                pool.populate(candidates, db.id)
        if not found:
            srv.evict_dbs = []  # stale list: count again
            continue
        while True:
            best = pool.pop_best()
            if best is None:
                break  # every pooled key was stale: sample again
            db_id, key = best
            table = srv.dbs[db_id].table
            # A ghost (deleted, or lost its TTL under a volatile policy) is skipped.
            if volatile:
                if table.get_expire(key) >= 0:
                    return db_id, key, False
            elif table.get_field(key) is not None:
                return db_id, key, False


def evict_key(srv: Server, db_id: int, key: bytes, policy: str, deleted: bool = False) -> None:
    """Delete one key as an eviction (unless the table already did): stats, WATCH,
    propagation as DEL, callbacks."""
    if not deleted:
        srv.dbs[db_id].table.delete(key)
    srv.stats.evicted_keys += 1
    srv.dirty += 1
    if srv.watched:
        srv.touch_watched(db_id, key)
    if srv.feeding:
        srv.propagate(db_id, [b"DEL", key])
    for callback in srv.evict_callbacks:
        callback(key, db_id, policy)


def evict_target(limit: int) -> int:
    """Where an eviction run stops: EVICT_AHEAD below maxmemory (1/1024 of it, at most
    4 KB), so that a full cache under a stream of new keys evicts a few dozen keys
    per run and the writes between runs pass the OOM gate with one comparison,
    instead of one run per write.  Which keys go is unchanged (each is chosen by its
    own sampling round and the pool); a small limit (under 1 MB: a few hundred
    bytes ahead) keeps runs of one or two keys."""
    return limit - min(limit >> 10, EVICT_AHEAD_MAX)


def perform_evictions(srv: Server) -> bool:
    """Evict until used memory is under maxmemory (down to evict_target).  True if
    the command may run (under the limit, or a time-limited run still in progress);
    False if nothing more can be evicted and memory is still over the limit (the
    caller answers OOM)."""
    limit = srv.maxmemory
    mem = srv.mem
    used = mem.total()
    if used <= limit:
        srv.evict_pending = False
        return True
    policy = srv.maxmemory_policy
    steady = _STEADY.get(policy)
    target = limit - min(limit >> 10, EVICT_AHEAD_MAX)  # evict_target, inlined
    if steady is not None and used - limit < 4096 and not (srv.evict_callbacks or srv.watched or srv.feeding):
        # The steady state of a full cache: a few keys to go, nobody to tell.  The
        # table runs the whole loop (sample, pool, delete, until under the target) in
        # one C call; only the counters are kept here.  It stops at the next multiple
        # of 64 picks, where _pick re-counts the databases worth sampling.
        dbs = srv.evict_dbs
        picks = srv.evict_picks
        if len(dbs) == 1 and picks % 64:
            # (The table takes at most 64 samples, as MAX_SAMPLES.)
            n, under = dbs[0].table.evict_until(target, 64 - picks % 64, srv.maxmemory_samples, steady[0],
                                                steady[1], srv.now)
            srv.evict_picks = picks + n
            srv.stats.evicted_keys += n
            srv.dirty += n
            if under:
                srv.evict_pending = False
                return True
            used = mem.total()
    if policy == "noeviction":
        return False
    deadline = time.perf_counter() + time_limit_us(srv.maxmemory_eviction_tenacity) / 1e6
    keys = 0
    while used > target:
        victim = _pick(srv, policy)
        if victim is None:
            srv.evict_pending = False
            return used <= limit
        evict_key(srv, *victim[:2], policy, victim[2])
        used = mem.total()
        keys += 1
        if keys % 16 == 0 and time.perf_counter() > deadline and used > limit:
            srv.evict_pending = True  # the cron goes on (Redis's eviction time proc)
            return True
    srv.evict_pending = False
    return True


def oom_error() -> e.RedisError:
    """Redis's shared.oomerr."""
    return e.error_from_line(OOM_TEXT)
