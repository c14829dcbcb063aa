"""The pure-Python twin of the C keyspace table.

This module is the executable contract of a keyspace table; ``ctable.Table`` (the C
table behind cffi) has the same methods with the same results.  The twin serves where
no compiler exists and is the oracle the C table is tested against.

What "the same" means: every deterministic operation (lookup, set, delete, expiry,
LRU/LFU fields, counts, memory) gives identical results.  Random operations
(``sample``, ``random_key``) and the order of ``scan`` are only held to the same
contract (sampled keys exist; a full scan returns every key present throughout it
at least once), because reproducing the C table's bucket layout in Python would make
the twin several times slower for no behavioural gain.

Values: ``bytes`` are strings (stored inline by the C table); any other object is a
value of another type (held in a Python-side slot list by the C table).  ``None`` is
never a value, so lookups return ``None`` for "no such key".

Malformed calls raise the same exceptions on both tables (the ``check_*`` helpers
below are shared; the C table's hot paths leave the integer checks to cffi, which
raises the same TypeError/OverflowError): keys must be ``bytes`` (TypeError), integers
must be ints (TypeError) that fit the C type (OverflowError), counts >= 0 and modes
0-2 (ValueError), keys and string values at most 512 MB (ValueError).  Flags
(``touch``, ``volatile_only``) are taken by truthiness on both.  After ``close()``
every call raises ValueError.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Iterator

NO_EXPIRE = -1
"""``expire_ms`` meaning "the key does not expire"."""
KEEP_EXPIRE = -2
"""``set(..., expire_ms=KEEP_EXPIRE)`` keeps the key's current expiry (SET KEEPTTL)."""

LRU_CLOCK_MAX = (1 << 24) - 1
LRU_CLOCK_RESOLUTION = 1000  # ms, as Redis
LFU_INIT_VAL = 5

# Memory model shared with the C table, so `used_memory` is the same on both:
# each entry costs ENTRY_OVERHEAD + len(key) (+ len(value) for strings, or
# OBJ_SLOT for a handle) rounded up to 8, + VOLATILE_OVERHEAD when it has a TTL;
# the bucket array costs 8 bytes per bucket.  The bucket count follows the C
# table's resize policy exactly: it doubles when the key count exceeds it, and
# shrinks to the smallest power of two >= the count when under 1/8 is used.
ENTRY_OVERHEAD = 24
OBJ_SLOT = 8
VOLATILE_OVERHEAD = 16
BUCKET_BYTES = 8
MIN_BUCKETS = 4
MAX_LEN = 512 * 1024 * 1024  # Redis's proto-max-bulk-len default: the longest key or string
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
_INT32_MAX = (1 << 31) - 1


# -- argument checks, shared by both tables so that both raise alike -----------------
def check_int64(*values: object) -> None:
    """Each value must be an int (TypeError) that fits in int64 (OverflowError), as
    cffi requires of an ``int64_t`` argument."""
    for v in values:
        if not isinstance(v, int):
            raise TypeError(f"an integer is required, not {type(v).__name__}")
        if not INT64_MIN <= v <= INT64_MAX:
            raise OverflowError("integer out of int64 range")


def check_count(n: object) -> int:
    """A count: an int >= 0 (huge ones are clamped by the caller, never allocated)."""
    if not isinstance(n, int):
        raise TypeError(f"a count must be an integer, not {type(n).__name__}")
    if n < 0:
        raise ValueError("a count must be >= 0")
    return n


def check_samples(n: object) -> None:
    """An eviction sample size: an int >= 1 (more than 64 is taken as 64)."""
    if not isinstance(n, int):
        raise TypeError(f"a sample size must be an integer, not {type(n).__name__}")
    if n < 1:
        raise ValueError("n must be >= 1")


def check_mode(mode: object) -> None:
    """An eviction scoring mode: 0 LRU, 1 LFU, 2 TTL."""
    if not isinstance(mode, int) or mode not in (0, 1, 2):
        raise ValueError("mode must be 0, 1 or 2")


def check_seed(seed: object) -> None:
    """A seed is an int (any size: the C table keeps its low 64 bits)."""
    if not isinstance(seed, int):
        raise TypeError(f"a seed must be an integer, not {type(seed).__name__}")


def check_lfu(log_factor: object, decay_time: object) -> None:
    """lfu-log-factor and lfu-decay-time: ints in 0..2**31-1, as Redis's config."""
    for v in (log_factor, decay_time):
        if not isinstance(v, int):
            raise TypeError(f"an integer is required, not {type(v).__name__}")
        if not 0 <= v <= _INT32_MAX:
            raise ValueError("lfu-log-factor and lfu-decay-time must be in 0..2147483647")


def check_scan(cursor: object, count: object) -> None:
    """A SCAN cursor (an unsigned 64-bit int) and a count >= 1."""
    if not isinstance(cursor, int) or not isinstance(count, int):
        raise TypeError("cursor and count must be integers")
    if cursor < 0 or count < 1:
        raise ValueError("cursor must be >= 0 and count >= 1")
    if cursor >> 64:
        raise OverflowError("cursor must fit in 64 bits")


def check_key(key: object) -> None:
    """Keys are bytes."""
    if type(key) is not bytes:
        raise TypeError("keys are bytes")


def closed_class(cls: type) -> type:
    """A subclass of `cls` (same layout, so ``close()`` can switch an instance to it)
    whose every public method raises ValueError: use after close never reaches freed
    memory."""

    def closed(self: object, *args: object, **kwargs: object) -> None:
        raise ValueError("the keyspace table is closed")

    ns: dict[str, object] = {"__slots__": (), "__doc__": f"A closed {cls.__name__}."}
    for name, attr in vars(cls).items():
        if callable(attr) and (not name.startswith("_") or name in ("__len__", "__iter__")):
            ns[name] = closed
    ns["close"] = lambda self: None
    return type("Closed" + cls.__name__, (cls,), ns)


def _round8(n: int) -> int:
    return (n + 7) & ~7


def _entry_bytes(key: bytes, value: object, volatile: bool) -> int:
    size = ENTRY_OVERHEAD + len(key) + (len(value) if type(value) is bytes else OBJ_SLOT)
    return _round8(size) + (VOLATILE_OVERHEAD if volatile else 0)


def lru_clock(now_ms: int) -> int:
    """Redis's 24-bit LRU clock at 1 s resolution."""
    return (now_ms // LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX


def estimate_idle_ms(field: int, now_ms: int) -> int:
    """Idle time of an LRU field, wrapping like Redis's estimateObjectIdleTime."""
    clock = lru_clock(now_ms)
    if clock >= field:
        return (clock - field) * LRU_CLOCK_RESOLUTION
    return (clock + (LRU_CLOCK_MAX - field)) * LRU_CLOCK_RESOLUTION


def _minutes(now_ms: int) -> int:
    return (now_ms // 60000) & 65535


def lfu_decr(field: int, now_ms: int, decay_time: int) -> int:
    """The LFU counter of `field` after decay (Redis's LFUDecrAndReturn)."""
    ldt, counter = field >> 8, field & 255
    now = _minutes(now_ms)
    elapsed = now - ldt if now >= ldt else 65535 - ldt + now
    periods = elapsed // decay_time if decay_time else 0
    if periods:
        counter = 0 if periods > counter else counter - periods
    return counter


def _bitrev63(h: int) -> int:
    # 63 bits, so that a cursor (reversed hash + 1) fits Redis's unsigned 64-bit range.
    return int(f"{h & 0x7FFFFFFFFFFFFFFF:063b}"[::-1], 2)


def _swap_remove(items: list[bytes], pos: dict[bytes, int], key: bytes) -> None:
    i = pos.pop(key)
    last = items.pop()
    if last != key:
        items[i] = last
        pos[last] = i


def take_account(value: object) -> int:
    """The bytes a stored container costs under its size model (``value.mem``),
    remembered on it as ``value.acct`` so later changes are accounted as deltas
    (Database.modified) and its removal subtracts exactly what was added."""
    mem: int = getattr(value, "mem", 0)
    try:
        value.acct = mem  # type: ignore[attr-defined]
    except AttributeError:
        return 0
    return mem


POOL_SIZE = 16  # Redis's EVPOOL_SIZE


def pool_insert(pool: list[tuple[int, bytes] | None], score: int, key: bytes) -> None:
    """Redis's evictionPoolPopulate insertion rule on a list of POOL_SIZE slots
    (ascending score, None = empty): a candidate goes before equal scores; a full pool
    drops its lowest entry, or the candidate when that is the lowest."""
    last = POOL_SIZE - 1
    first = pool[0]
    if first is not None and pool[last] is not None and score <= first[0]:
        return
    k = 0
    while k < POOL_SIZE and pool[k] is not None and pool[k][0] < score:  # type: ignore[index]
        k += 1
    if k == 0 and pool[last] is not None:
        return
    if k < POOL_SIZE and pool[k] is None:
        pass
    elif pool[last] is None:
        pool[k + 1:] = pool[k:last]
    else:
        k -= 1
        pool[:k] = pool[1:k + 1]
    pool[k] = (score, key)


class MemGroup:
    """Bytes used by a set of tables, as ctable.MemGroup; the twin sums its tables
    (O(tables)) where the C tables share a counter."""

    __slots__ = ("tables", "obj")

    def __init__(self) -> None:
        self.tables: list[Table] = []
        self.obj = 0

    def total(self) -> int:
        """Table bytes plus container bytes of every table in the group."""
        return sum(t.mem_usage() for t in self.tables) + self.obj


class Table:
    """A keyspace: binary keys -> values, with expiry and an LRU/LFU field per key.

    Runtime complexity: O(1) for lookup/set/delete/expiry; `scan` is O(count) per
    call after an O(n log n) re-index when the keyspace changed since the last scan.
    """

    __slots__ = (
        "_d", "_exp", "_lru", "_vol", "_vol_pos", "_all", "_all_pos", "_rng", "_lfu", "_log_factor",
        "_decay_time", "_mem", "_size", "_scan_index", "_scan_keys", "_version", "_scan_version",
        "expired", "obj_mem", "group", "_pool", "__weakref__",
    )

    native = False

    def __init__(self, seed: int | None = None, group: MemGroup | None = None) -> None:
        if seed is not None:
            check_seed(seed)
        if group is not None and not isinstance(group, MemGroup):
            raise TypeError("group must be a pytable.MemGroup")
        self._d: dict[bytes, object] = {}
        self._exp: dict[bytes, int] = {}
        self._lru: dict[bytes, int] = {}
        self._vol: list[bytes] = []              # keys with a TTL, for O(1) sampling
        self._vol_pos: dict[bytes, int] = {}     # key -> index in _vol
        self._all: list[bytes] = []              # every key, for O(1) sampling
        self._all_pos: dict[bytes, int] = {}
        self._rng = random.Random(seed)
        self._lfu = False
        self._log_factor = 10
        self._decay_time = 1
        self._mem = 0
        self._size = MIN_BUCKETS
        self._scan_index: list[int] = []
        self._scan_keys: list[bytes] = []
        self._version = 0
        self._scan_version = -1
        self.expired: list[bytes] = []
        """Keys deleted by lazy expiry, in order; the caller drains this list."""
        self.obj_mem = 0
        """Bytes of the Python-side values (see ctable.Table.obj_mem)."""
        self.group = group if group is not None else MemGroup()
        self.group.tables.append(self)
        self._pool: list[tuple[int, bytes] | None] = [None] * POOL_SIZE

    # -- configuration -------------------------------------------------------------
    def set_lfu(self, enabled: bool, log_factor: int = 10, decay_time: int = 1) -> None:
        """Interpret the per-key field as LFU (True) or LRU (False) from now on."""
        check_lfu(log_factor, decay_time)
        self._lfu = bool(enabled)
        self._log_factor = int(log_factor)
        self._decay_time = int(decay_time)

    def seed(self, seed: int) -> None:
        """Reseed the random source used for sampling and LFU increments."""
        check_seed(seed)
        self._rng.seed(seed)

    def close(self) -> None:
        """Drop every key and leave the group; every later call but close() raises
        ValueError (as the C table, whose memory is freed then)."""
        self.clear()
        self.group.tables.remove(self)
        self.__class__ = _ClosedTable

    # -- size ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._d)

    def volatile_count(self) -> int:
        """Number of keys with a TTL (INFO keyspace `expires=`)."""
        return len(self._vol)

    def mem_usage(self) -> int:
        """Bytes the table accounts for: entries plus the bucket array."""
        return self._mem + self._size * BUCKET_BYTES

    def _maybe_shrink(self) -> None:
        n = len(self._d)
        if self._size > MIN_BUCKETS and n * 8 < self._size:
            size = MIN_BUCKETS
            while size < n:
                size <<= 1
            self._size = size

    # -- field helpers ---------------------------------------------------------------
    def _new_field(self, now_ms: int) -> int:
        if self._lfu:
            return (_minutes(now_ms) << 8) | LFU_INIT_VAL
        return lru_clock(now_ms)

    def _touch(self, key: bytes, now_ms: int) -> None:
        if not self._lfu:
            self._lru[key] = lru_clock(now_ms)
            return
        counter = lfu_decr(self._lru[key], now_ms, self._decay_time)
        if counter < 255:
            base = max(counter - LFU_INIT_VAL, 0)
            if self._rng.random() < 1.0 / (base * self._log_factor + 1):
                counter += 1
        self._lru[key] = (_minutes(now_ms) << 8) | counter

    # -- reads -------------------------------------------------------------------------
    def lookup(self, key: bytes, now_ms: int, touch: bool = True) -> object:
        """Return the value of `key`, or None if absent or expired.

        An expired key is deleted and appended to `self.expired`.  With `touch`, the
        key's LRU clock / LFU counter is updated as an access.
        """
        if type(key) is not bytes:
            raise TypeError("keys are bytes")
        if type(now_ms) is not int or not INT64_MIN <= now_ms <= INT64_MAX:
            check_int64(now_ms)  # raises unless an int subclass in range (as cffi)
        value = self._d.get(key)
        if value is None:
            return None
        when = self._exp.get(key)
        if when is not None and when <= now_ms:
            self._remove(key)
            self.expired.append(key)
            return None
        if touch:
            self._touch(key, now_ms)
        return value

    def get_expire(self, key: bytes) -> int:
        """Absolute expiry in ms, NO_EXPIRE (-1), or -2 if absent.  No expiry check."""
        check_key(key)
        if key not in self._d:
            return -2
        return self._exp.get(key, NO_EXPIRE)

    def get_field(self, key: bytes) -> int | None:
        """The raw 24-bit LRU/LFU field, or None if absent."""
        check_key(key)
        return self._lru.get(key)

    def set_field(self, key: bytes, field: int) -> bool:
        """Set the raw LRU/LFU field (RESTORE IDLETIME/FREQ, OBJECT FREQ tests)."""
        check_key(key)
        field &= LRU_CLOCK_MAX
        if key not in self._d:
            return False
        self._lru[key] = field
        return True

    # -- writes ------------------------------------------------------------------------
    def set(self, key: bytes, value: object, expire_ms: int = NO_EXPIRE, now_ms: int = 0) -> None:
        """Insert or overwrite `key`.

        `expire_ms` is an absolute time, NO_EXPIRE, or KEEP_EXPIRE.  A new key gets
        a fresh LRU/LFU field at `now_ms`; an overwrite keeps an LFU counter (as
        Redis's dbSetValue) and refreshes an LRU clock.
        """
        if type(key) is not bytes:
            raise TypeError("keys are bytes")
        if expire_ms < KEEP_EXPIRE:
            raise ValueError("expire_ms must be >= 0, NO_EXPIRE or KEEP_EXPIRE")
        if type(value) is bytes:
            if len(value) > MAX_LEN or len(key) > MAX_LEN:
                raise ValueError("key or value longer than 512 MB")
        elif value is None:
            raise TypeError("a value cannot be None")
        elif len(key) > MAX_LEN:
            raise ValueError("key or value longer than 512 MB")
        if type(expire_ms) is not int or type(now_ms) is not int or expire_ms > INT64_MAX \
                or not INT64_MIN <= now_ms <= INT64_MAX:
            check_int64(expire_ms, now_ms)
        old = self._d.get(key)
        if old is not None and type(old) is not bytes:
            acct = getattr(old, "acct", 0)
            self.obj_mem -= acct
            self.group.obj -= acct
        if type(value) is not bytes:
            mem = take_account(value)
            self.obj_mem += mem
            self.group.obj += mem
        if old is not None:
            self._mem -= _entry_bytes(key, old, key in self._exp)
            if not self._lfu:
                self._lru[key] = lru_clock(now_ms)
        else:
            self._lru[key] = self._new_field(now_ms)
            self._all_pos[key] = len(self._all)
            self._all.append(key)
            self._version += 1
        self._d[key] = value
        if expire_ms != KEEP_EXPIRE:
            self._set_exp(key, expire_ms)
        self._mem += _entry_bytes(key, value, key in self._exp)
        if old is None and len(self._d) > self._size:
            self._size *= 2

    def set_expire(self, key: bytes, expire_ms: int) -> bool:
        """Set (absolute ms) or remove (NO_EXPIRE) the expiry; False if absent."""
        check_key(key)
        check_int64(expire_ms)
        value = self._d.get(key)
        if value is None:
            return False
        self._mem -= _entry_bytes(key, value, key in self._exp)
        self._set_exp(key, expire_ms)
        self._mem += _entry_bytes(key, value, key in self._exp)
        return True

    def _set_exp(self, key: bytes, expire_ms: int) -> None:
        if expire_ms < 0:
            if key in self._exp:
                del self._exp[key]
                self._vol_remove(key)
            return
        if key not in self._exp:
            self._vol_pos[key] = len(self._vol)
            self._vol.append(key)
        self._exp[key] = expire_ms

    def _vol_remove(self, key: bytes) -> None:
        _swap_remove(self._vol, self._vol_pos, key)

    def delete(self, key: bytes) -> object:
        """Remove `key` whatever its expiry; return its value or None if absent."""
        if type(key) is not bytes:
            raise TypeError("keys are bytes")
        if key not in self._d:
            return None
        return self._remove(key)

    def _remove(self, key: bytes) -> object:
        value = self._d.pop(key)
        if type(value) is not bytes:
            acct = getattr(value, "acct", 0)
            self.obj_mem -= acct
            self.group.obj -= acct
        volatile = key in self._exp
        self._mem -= _entry_bytes(key, value, volatile)
        if volatile:
            del self._exp[key]
            self._vol_remove(key)
        del self._lru[key]
        _swap_remove(self._all, self._all_pos, key)
        self._version += 1
        self._maybe_shrink()
        return value

    def clear(self) -> None:
        """Remove every key."""
        self._d.clear()
        self._exp.clear()
        self._lru.clear()
        self._vol.clear()
        self._vol_pos.clear()
        self._all.clear()
        self._all_pos.clear()
        self._mem = 0
        self.group.obj -= self.obj_mem
        self.obj_mem = 0
        self._size = MIN_BUCKETS
        self._version += 1

    # -- sampling and expiry -----------------------------------------------------------------
    def evict_sample(self, n: int, volatile_only: bool, mode: int, now_ms: int) -> list[tuple[int, bytes]]:
        """Up to `n` sampled (score, key) eviction candidates, higher score evicted first:
        mode 0 idle ms (LRU), 1 ``255 - decayed LFU counter``, 2 ``2**64-1 - expire`` (TTL)."""
        check_count(n)
        check_mode(mode)
        check_int64(now_ms)
        keys = self.sample_volatile(n) if volatile_only else self.sample(n)
        out = []
        for key in keys:
            field = self._lru[key]
            if mode == 0:
                score = estimate_idle_ms(field, now_ms)
            elif mode == 1:
                score = 255 - lfu_decr(field, now_ms, self._decay_time)
            else:
                score = (1 << 64) - 1 - max(self._exp.get(key, 0), 0)
            out.append((score, key))
        return out

    def evict_one(self, n: int, volatile_only: bool, mode: int, now_ms: int) -> bytes | None:
        """Evict one key: sample `n` (<= 64) scored candidates into this table's 16-slot
        pool with Redis's insertion rule, delete the best one that still exists (and
        still has a TTL when `volatile_only`), return its key; None if none can go."""
        check_samples(n)
        check_mode(mode)
        check_int64(now_ms)
        pool = self._pool
        for _ in range(64):
            if not (self._vol if volatile_only else self._d):
                return None
            for score, key in self.evict_sample(min(n, 64), volatile_only, mode, now_ms):
                pool_insert(pool, score, key)
            for k in range(POOL_SIZE - 1, -1, -1):
                entry = pool[k]
                if entry is None:
                    continue
                pool[k] = None
                key = entry[1]
                if key in self._d and (not volatile_only or key in self._exp):
                    self._remove(key)
                    return key
        return None

    def evict_drop(self, n: int, volatile_only: bool, mode: int, now_ms: int) -> bool:
        """evict_one without returning the key: True if a key was evicted."""
        return self.evict_one(n, volatile_only, mode, now_ms) is not None

    def evict_until(self, limit: int, max_keys: int, n: int, volatile_only: bool, mode: int,
                    now_ms: int) -> tuple[int, bool]:
        """evict_drop while the group's total is above `limit`, at most `max_keys` times
        (see ctable.Table.evict_until): (keys evicted, total now <= limit)."""
        check_count(max_keys)
        check_samples(n)
        check_mode(mode)
        check_int64(limit, now_ms)
        if max_keys >> 64:
            raise OverflowError("max_keys must fit in 64 bits")
        group = self.group
        done = 0
        while True:
            if group.total() <= limit:
                return done, True
            if done >= max_keys or self.evict_one(n, volatile_only, mode, now_ms) is None:
                return done, False
            done += 1

    def pool_reset(self) -> None:
        """Forget the eviction pool (the policy's scores changed meaning)."""
        self._pool[:] = [None] * POOL_SIZE

    def random_key(self) -> bytes | None:
        """A random key (expired or not), or None when empty."""
        if not self._d:
            return None
        return self.sample(1)[0]

    def sample(self, n: int) -> list[bytes]:
        """Up to `n` random keys (as Redis's dictGetSomeKeys: may repeat, O(n))."""
        check_count(n)
        if not self._d or n == 0:
            return []
        keys = self._all
        choice = self._rng.randrange
        return [keys[choice(len(keys))] for _ in range(min(n, len(keys)))]

    def sample_volatile(self, n: int) -> list[bytes]:
        """Up to `n` random keys that have a TTL (may repeat)."""
        check_count(n)
        vol = self._vol
        if not vol:
            return []
        choice = self._rng.randrange
        return [vol[choice(len(vol))] for _ in range(min(n, len(vol)))]

    def expire_step(self, now_ms: int, n: int) -> tuple[int, list[bytes]]:
        """One step of the active expiry cycle: sample up to `n` keys with a TTL and
        delete the expired ones.  Returns (keys sampled, keys deleted).
        """
        check_count(n)
        check_int64(now_ms)
        sampled = 0
        deleted: list[bytes] = []
        for key in self.sample_volatile(n):
            sampled += 1
            when = self._exp.get(key)
            if when is not None and when <= now_ms:
                self._remove(key)
                deleted.append(key)
        return sampled, deleted

    # -- iteration -------------------------------------------------------------------------
    def _scan_sorted(self) -> tuple[list[int], list[bytes]]:
        if self._scan_version != self._version:
            pairs = sorted((_bitrev63(hash(k)), k) for k in self._d)
            self._scan_index = [p[0] for p in pairs]
            self._scan_keys = [p[1] for p in pairs]
            self._scan_version = self._version
        return self._scan_index, self._scan_keys

    def scan(self, cursor: int, count: int = 10) -> tuple[int, list[bytes]]:
        """Return (next cursor, keys); cursor 0 starts and ends a full iteration.

        Keys are visited in bit-reversed hash order, so the cursor is stable whatever
        is inserted or deleted between calls: every key present for the whole scan is
        returned at least once, as with Redis's reverse-binary cursor.
        """
        check_scan(cursor, count)
        index, keys = self._scan_sorted()
        # Cursor c means "continue at reversed hash >= c - 1"; 0 is the start.
        start = 0 if cursor == 0 else bisect_left(index, cursor - 1)
        end = min(start + count, len(keys))
        # Include every key sharing the last reversed hash, so none is skipped.
        while end < len(keys) and index[end] == index[end - 1]:
            end += 1
        out = keys[start:end]
        next_cursor = 0 if end >= len(keys) else index[end] + 1
        return next_cursor, out

    def items(self) -> Iterator[tuple[bytes, object, int]]:
        """Yield (key, value, expire_ms) for every key; do not mutate meanwhile."""
        exp = self._exp
        for key, value in self._d.items():
            yield key, value, exp.get(key, NO_EXPIRE)

    def keys(self) -> list[bytes]:
        """Every key (expired or not), as a new list."""
        return list(self._d)

    # -- invariants --------------------------------------------------------------------------
    def check(self) -> None:
        """Raise AssertionError if an internal invariant does not hold."""
        assert set(self._lru) == set(self._d)
        assert set(self._exp) <= set(self._d)
        assert len(self._vol) == len(self._exp) == len(self._vol_pos)
        for i, k in enumerate(self._vol):
            assert self._vol_pos[k] == i and k in self._exp
        assert len(self._all) == len(self._d) == len(self._all_pos)
        for i, k in enumerate(self._all):
            assert self._all_pos[k] == i and k in self._d
        mem = sum(_entry_bytes(k, v, k in self._exp) for k, v in self._d.items())
        assert mem == self._mem, (mem, self._mem)
        for f in self._lru.values():
            assert 0 <= f <= LRU_CLOCK_MAX


_ClosedTable = closed_class(Table)
