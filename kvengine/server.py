"""The server: databases, configuration, clock, lock, statistics, persistence feed.

One ``Server`` is shared by every client view of an engine.  It plays the part of
Redis's ``struct redisServer``: the state that commands read and the side effects
(dirty counter, propagation, WATCH invalidation) that ``call()`` and the databases
drive.  The public face is :class:`kvengine.Engine`.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kvengine._native import MemGroup
from kvengine.clock import Clock, system_clock
from kvengine.commands import Argv
from kvengine.cron import SCHEDULER, Task
from kvengine.db import Database
from kvengine.evict import EvictCallback, EvictionPool, oom_error, perform_evictions

if TYPE_CHECKING:
    from kvengine.client import Client


# Parked engine crons, by id of their task (plain dict operations are atomic, so the
# sweep, the write path and finalizers need no lock), and the sweep that re-arms any
# whose data changed since it parked: one comparison per parked engine per second.
_PARKED: dict[int, Task] = {}
SWEEP_INTERVAL_S = 1.0


class _Sweeper:
    def sweep(self) -> float | None:
        for task in list(_PARKED.values()):
            srv = task.ref()
            if srv is None or srv.closed or task.cancelled:
                _PARKED.pop(id(task), None)
            elif srv.dirty != srv.cron_parked_dirty or srv.evict_pending:
                srv.cron_wake()
            del srv
        return SWEEP_INTERVAL_S if _PARKED else None


_SWEEPER = _Sweeper()
_SWEEP = Task(_SWEEPER, _Sweeper.sweep, "parked crons", on_fork="park")


@dataclass
class Stats:
    """Counters reported by INFO stats (Redis's names).  Keyspace hits and misses
    are counted per database (``Database.hits``/``misses``): see Server.keyspace_hits."""

    expired_keys: int = 0
    evicted_keys: int = 0
    expired_stale_perc: float = 0.0
    expire_cycle_cpu_milliseconds: int = 0

    def reset(self) -> None:
        """CONFIG RESETSTAT."""
        for name in self.__dataclass_fields__:
            setattr(self, name, type(getattr(self, name))())


class Server:
    """Shared state of an engine.  All mutation happens under ``self.lock``."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        databases: int = 16,
        seed: int | None = None,
        hz: int = 10,
        active_expire: bool = True,
    ) -> None:
        if databases < 1:
            raise ValueError("databases must be >= 1")
        self.lock = threading.RLock()
        self.clock: Clock = clock or system_clock
        self.now: int = self.clock()
        self.mem = MemGroup()  # every database's bytes, read in O(1) by used_memory()
        self.dbs = [
            Database(self, i, None if seed is None else seed + i, self.mem) for i in range(databases)
        ]
        self.dirty = 0
        self.stats = Stats()
        self.loading = False
        # Persistence feed: commands that changed data, as (db index, argv), in order.
        self.feeding = False
        self.pending_ops: list[tuple[int, Argv]] = []
        # The persistence backend's shortcut for the SET fast path: log_set(db, key,
        # value) appends to the log directly when nothing else is queued (or None).
        self.log_set: Callable[[int, bytes, bytes], None] | None = None
        # The persistence backend (kvengine.persistence), None for an in-memory engine,
        # and the MISCONF line it sets while writes must be refused (failed save/log).
        self.persistence: Any = None
        self.write_denied: str | None = None
        # Blocking commands (kvengine.blocking): (db, key) -> waiters in arrival
        # order, and the keys a write just made ready for them.
        self.blocked: dict[tuple[int, bytes], Any] = {}
        self.ready_keys: list[tuple[int, bytes]] = []
        # WATCH: (db index, key) -> clients watching it.
        self.watched: dict[tuple[int, bytes], set[Client]] = {}
        # maxmemory and eviction (kvengine.evict); settings by Redis's names in kvengine.info.
        self.maxmemory = 0
        self.maxmemory_policy = "noeviction"
        self.maxmemory_samples = 5
        self.maxmemory_eviction_tenacity = 10
        self.lfu = False  # True under an *-lfu policy: the per-key field is an LFU counter
        self.lfu_log_factor = 10
        self.lfu_decay_time = 1
        self.evict_pool = EvictionPool()
        self.evict_next_db = 0
        self.evict_dbs: list[Database] = []  # databases with keys to sample (evict._pick)
        self.evict_picks = 0
        self.evict_pending = False
        self.evict_callbacks: list[EvictCallback] = []
        self.used_memory_peak = 0
        self.hz = hz
        self.active_expire_enabled = True  # DEBUG SET-ACTIVE-EXPIRE
        self.pause_cron = False  # DEBUG PAUSE-CRON
        self.start_time = time.time()
        self.run_id = os.urandom(20).hex()
        self.client_ids = itertools.count(1)
        self.closed = False
        # Who closed the engine and what to do instead, for the error later commands get
        # (the pytest plugin fills these in: a client kept past its test is the usual case).
        self.closed_by: str | None = None
        self.closed_hint: str | None = None
        # The cron task on the process's shared scheduler (kvengine.cron), parked while
        # there is nothing to do; a write re-arms it (cron_wake).
        self._cron: Task | None = None
        self.cron_parked = False
        self.cron_parked_dirty = 0
        if active_expire:
            self.start_cron()

    @property
    def keyspace_hits(self) -> int:
        """Successful key lookups by read commands, over every database."""
        return sum(db.hits for db in self.dbs)

    @property
    def keyspace_misses(self) -> int:
        """Failed key lookups by read commands, over every database."""
        return sum(db.misses for db in self.dbs)

    def reset_stats(self) -> None:
        """CONFIG RESETSTAT: zero every counter."""
        self.stats.reset()
        for db in self.dbs:
            db.hits = db.misses = 0

    # -- time --------------------------------------------------------------------------
    def snapshot_time(self) -> int:
        """Read the clock once for the command about to run (Redis's command time snapshot)."""
        self.now = now = self.clock()
        return now

    # -- side effects ----------------------------------------------------------------
    def propagate(self, db_id: int, argv: Argv) -> None:
        """Queue one operation for the persistence feed."""
        self.pending_ops.append((db_id, argv))

    def touch_watched(self, db_id: int, key: bytes) -> None:
        """Mark every client watching `key` as dirty, so its EXEC aborts."""
        clients = self.watched.get((db_id, key))
        if clients:
            for client in clients:
                client.watch_dirty = True

    def free_memory_or_oom(self) -> None:
        """The OOM gate before a denyoom command: evict under the policy, or refuse."""
        if not perform_evictions(self):
            raise oom_error()

    def used_memory(self) -> int:
        """Bytes accounted for every database's keys and values (tables exactly,
        containers by their size model), in O(1)."""
        return self.mem.total()

    def memory_peak(self) -> int:
        """used_memory_peak, moved up to now (as Redis, sampled by the cron and by
        INFO/MEMORY rather than on every write)."""
        used = self.mem.total()
        if used > self.used_memory_peak:
            self.used_memory_peak = used
        return self.used_memory_peak

    def apply_policy(self) -> None:
        """Make every table's per-key field LRU or LFU to match maxmemory-policy."""
        self.lfu = self.maxmemory_policy.endswith("-lfu")
        self.evict_pool = EvictionPool()
        self.evict_dbs = []
        for db in self.dbs:
            if db.has_table:  # (a table made later gets the policy then)
                db.table.pool_reset()
                db.table.set_lfu(self.lfu, self.lfu_log_factor, self.lfu_decay_time)

    # -- background work -------------------------------------------------------------
    def start_cron(self) -> None:
        """Give this engine a cron (the active expiry cycle, pending evictions, the memory
        peak) on the shared scheduler: `hz` times a second while there is work, parked
        (costing one comparison a second) while there is none."""
        if self._cron is not None:
            return
        self._cron = Task(self, Server._cron_tick, "server cron", on_fork="park")
        self._park(self.dirty)

    def _park(self, dirty: int) -> None:
        self.cron_parked = True
        self.cron_parked_dirty = dirty
        task = self._cron
        if task is not None:
            _PARKED[id(task)] = task
            if not _SWEEP.queued:
                SCHEDULER.schedule(_SWEEP, SWEEP_INTERVAL_S)

    def cron_wake(self) -> None:
        """Re-arm a parked cron: its next tick in 1/hz s (``Client._run`` calls this
        after a command changed data; the sweep catches every other path)."""
        task = self._cron
        if task is not None and self.cron_parked and not self.closed:
            self.cron_parked = False
            _PARKED.pop(id(task), None)
            SCHEDULER.schedule(task, 1.0 / max(1, self.hz))

    def cron_park_after_fork(self) -> None:
        """In a forked child: parked until the child's first command (kvengine.cron)."""
        if self._cron is not None and not self.closed:
            self.cron_parked = True
            self.cron_parked_dirty = -1
            _PARKED[id(self._cron)] = self._cron

    def _cron_tick(self) -> float | None:
        """The scheduled tick: run the cron, then park unless keys with a TTL (or an
        unfinished eviction) need the next one.  Parking is decided under the lock, so
        a write after it sees ``cron_parked`` and re-arms."""
        with self.lock:
            if self.closed:
                return None
            self.cron()
            if self.evict_pending or any(db.volatile_count() for db in self.dbs):
                return 1.0 / max(1, self.hz)
            self._park(self.dirty)
            return None

    def cron(self) -> None:
        """One tick of background work (Redis's serverCron/databasesCron)."""
        from kvengine.expire import active_expire_cycle

        with self.lock:
            if self.closed:
                return
            if self.pause_cron:  # DEBUG PAUSE-CRON 1
                return
            self.snapshot_time()
            if self.active_expire_enabled:  # DEBUG SET-ACTIVE-EXPIRE 0 turns it off
                active_expire_cycle(self)
            if self.evict_pending and self.maxmemory:
                perform_evictions(self)
            self.memory_peak()
            self.flush_feed()

    def flush_feed(self) -> None:
        """Hand queued operations to the persistence backend (kvengine.persistence).

        The backend copies what it keeps; ``after_call`` is where ``appendfsync
        always`` makes the write durable before the command's reply leaves.
        """
        ops = self.pending_ops
        backend = self.persistence
        if backend is not None and self.feeding:
            if ops:
                backend.feed(ops)
                ops.clear()
            if backend.needs_after_call:
                backend.after_call(self)
        else:
            ops.clear()

    def close(self) -> None:
        """Stop background work and fail blocked calls; commands are refused afterwards."""
        from kvengine.blocking import fail_all

        self.closed = True
        fail_all(self)
        cron = self._cron
        if cron is not None:
            # No wait: a tick in progress holds the lock and sees `closed` when it has it.
            cron.cancel(wait=False)
            _PARKED.pop(id(cron), None)

    def closed_error(self) -> Exception:
        """The ConnectionError a command on a closed engine raises: which engine, who
        closed it, and what to use instead when that is known."""
        from kvengine import exceptions as e

        text = f"the engine is closed (engine 0x{id(self):x}"
        if self.closed_by:
            text += f", closed by {self.closed_by}"
        text += ")"
        if self.closed_hint:
            text += f"; {self.closed_hint}"
        return e.ConnectionError(text)

    def info_keyspace(self) -> dict[str, dict[str, Any]]:
        """db index -> keys/expires counts (INFO keyspace)."""
        return {
            f"db{db.id}": {"keys": len(db), "expires": db.volatile_count()}
            for db in self.dbs
            if len(db)
        }
