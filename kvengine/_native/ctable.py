"""The C keyspace table behind cffi, with the API of the twin (pytable.Table).

The C side owns keys, string values, expiry and the LRU/LFU field.  Values of other
types stay Python objects: the C entry holds an integer handle into ``self._objs``
(a slot list with a free list), so the C table never touches Python reference
counts.  Every C call is given validated arguments; C reports errors as codes,
turned into Python exceptions here.

Malformed calls raise, never crash, and raise what the twin raises (tests/test_table.py
runs each on both): a key or value of the wrong type is a TypeError; a negative count,
a length over 512 MB, a bad mode is a ValueError; an integer outside the C type's range
is an OverflowError (cffi's check; the twin checks the same ranges); an allocation the
C side cannot make is a MemoryError; any call after close() is a ValueError.  Counts
are clamped to what the table can return before anything is allocated, so sample(2**60)
allocates no more than sample(len(table)).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

if os.environ.get("KVENGINE_SANITIZE", "") not in ("", "0"):
    # The same table built under ASan/UBSan (make test-sanitize); never a silent fallback.
    from kvengine._native._table_asan import ffi, lib
else:
    from kvengine._native._table import ffi, lib
from kvengine._native.pytable import (
    KEEP_EXPIRE,
    NO_EXPIRE,
    check_count,
    check_int64,
    check_lfu,
    check_mode,
    check_samples,
    check_scan,
    check_seed,
    closed_class,
    take_account,
)

_FLAG_OBJECT = 1 << 24
_INT64_MIN = -(1 << 63)
_MAX_LEN = 512 * 1024 * 1024

_OBJECT_BASE = lib.KVT_OBJECT_BASE
_EXPIRED = lib.KVT_EXPIRED
_MISS = lib.KVT_MISS
_EVICT_OBJECT = lib.KVT_EVICT_OBJECT
_EVICT_UNDER = lib.KVT_EVICT_UNDER
_UINT64_MAX = (1 << 64) - 1
_INT64_MAX = (1 << 63) - 1
_unpack = ffi.unpack
_lookup = lib.kvt_lookup
_set = lib.kvt_set
_evict_until = lib.kvt_evict_until
_NULL = ffi.NULL


class MemGroup:
    """Bytes used by a set of tables (a server's databases), read in O(1): the C
    tables add every change of their usage to one shared counter, and the Python
    side adds its containers' size model to ``obj``."""

    __slots__ = ("cell", "obj")

    def __init__(self) -> None:
        self.cell = ffi.new("int64_t *")
        self.obj = 0

    def total(self) -> int:
        """Table bytes plus container bytes of every table in the group."""
        return self.cell[0] + self.obj  # type: ignore[no-any-return]


class Table:
    """A keyspace: binary keys -> values, with expiry and an LRU/LFU field per key.

    Runtime complexity: O(1) lookup/set/delete (amortized: a resize rehashes every
    key at once); sample/scan O(n) in the number of keys returned.
    """

    __slots__ = ("_t", "_objs", "_free", "_val", "_handle", "_status", "expired", "_scan_cap", "obj_mem",
                 "group")

    native = True

    def __init__(self, seed: int | None = None, group: MemGroup | None = None) -> None:
        if seed is None:
            seed = int.from_bytes(os.urandom(8), "little")
        check_seed(seed)
        if group is not None and not isinstance(group, MemGroup):
            raise TypeError("group must be a ctable.MemGroup")
        t = lib.kvt_new(seed & 0xFFFFFFFFFFFFFFFF)
        if t == _NULL:
            raise MemoryError("cannot allocate a keyspace table")
        self._t = ffi.gc(t, lib.kvt_free)
        self._objs: list[object] = []
        self._free: list[int] = []
        self._val = ffi.new("const char **")
        self._handle = ffi.new("int64_t *")
        self._status = ffi.new("int *")
        self._scan_cap = 64
        self.expired: list[bytes] = []
        """Keys deleted by lazy expiry, in order; the caller drains this list."""
        self.obj_mem = 0
        """Bytes of the Python-side values (containers' size model), kept by
        store/release here and by Database.modified as containers change."""
        self.group = group if group is not None else MemGroup()
        # The group's cell outlives this table's C side: kvt_free stops reporting first.
        lib.kvt_share_mem(t, self.group.cell)

    # -- configuration --------------------------------------------------------------
    def set_lfu(self, enabled: bool, log_factor: int = 10, decay_time: int = 1) -> None:
        """Interpret the per-key field as LFU (True) or LRU (False) from now on."""
        check_lfu(log_factor, decay_time)
        lib.kvt_set_lfu(self._t, int(bool(enabled)), log_factor, decay_time)

    def seed(self, seed: int) -> None:
        """Reseed the random source used for sampling and LFU increments."""
        check_seed(seed)
        lib.kvt_seed(self._t, seed & 0xFFFFFFFFFFFFFFFF)

    def close(self) -> None:
        """Free the C table now (instead of when garbage-collected); every later call
        but close() raises ValueError.  The group stops counting this table's bytes."""
        t = self._t
        lib.kvt_share_mem(t, _NULL)
        self.group.obj -= self.obj_mem
        self.obj_mem = 0
        self._objs.clear()
        self._free.clear()
        self._t = _NULL
        ffi.release(t)  # kvt_free, now rather than at collection
        self.__class__ = _ClosedTable

    # -- object slots ----------------------------------------------------------------
    def _store(self, value: object) -> int:
        mem = take_account(value)
        self.obj_mem += mem
        self.group.obj += mem
        free = self._free
        if free:
            h = free.pop()
            self._objs[h] = value
            return h
        self._objs.append(value)
        return len(self._objs) - 1

    def _release(self, handle: int) -> object:
        value = self._objs[handle]
        acct = getattr(value, "acct", 0)
        self.obj_mem -= acct
        self.group.obj -= acct
        self._objs[handle] = None
        self._free.append(handle)
        return value

    # -- size ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return lib.kvt_count(self._t)  # type: ignore[no-any-return]

    def volatile_count(self) -> int:
        """Number of keys with a TTL."""
        return lib.kvt_volatile_count(self._t)  # type: ignore[no-any-return]

    def mem_usage(self) -> int:
        """Bytes the table accounts for: entries plus the bucket array."""
        return lib.kvt_mem_usage(self._t)  # type: ignore[no-any-return]

    # -- reads ----------------------------------------------------------------------------
    def lookup(self, key: bytes, now_ms: int, touch: bool = True) -> object:
        """Return the value of `key`, or None if absent or expired (then deleted and
        appended to `self.expired`).  With `touch`, update the LRU/LFU field."""
        if type(key) is not bytes:  # cffi would take a list of ints as a char array
            raise TypeError("keys are bytes")
        n = _lookup(self._t, key, len(key), now_ms, touch, self._val)
        if n >= 0:
            return _unpack(self._val[0], n)
        if n <= _OBJECT_BASE:
            return self._objs[_OBJECT_BASE - n]
        if n == _EXPIRED:
            e = self._detached()
            if e.field & _FLAG_OBJECT:
                self._release(lib.kvt_entry_handle(e))
            lib.kvt_entry_free(e)
            self.expired.append(key)
        elif n != _MISS:
            self._raise(n)
        return None

    def _detached(self) -> object:
        """The entry the last call parked (never NULL: cffi would crash on e.field)."""
        e = lib.kvt_take_detached(self._t)
        if e == _NULL:
            raise RuntimeError("keyspace table: no detached entry")
        return e

    def get_expire(self, key: bytes) -> int:
        """Absolute expiry in ms, NO_EXPIRE (-1), or -2 if absent.  No expiry check."""
        if type(key) is not bytes:
            raise TypeError("keys are bytes")
        return lib.kvt_get_expire(self._t, key, len(key))  # type: ignore[no-any-return]

    def get_field(self, key: bytes) -> int | None:
        """The raw 24-bit LRU/LFU field, or None if absent."""
        if type(key) is not bytes:
            raise TypeError("keys are bytes")
        f = lib.kvt_get_field(self._t, key, len(key))
        return None if f < 0 else f

    def set_field(self, key: bytes, field: int) -> bool:
        """Set the raw LRU/LFU field."""
        if type(key) is not bytes:
            raise TypeError("keys are bytes")
        return bool(lib.kvt_set_field(self._t, key, len(key), field & 0xFFFFFF))

    # -- writes ----------------------------------------------------------------------------
    def set(self, key: bytes, value: object, expire_ms: int = NO_EXPIRE, now_ms: int = 0) -> None:
        """Insert or overwrite `key` (see pytable.Table.set)."""
        if type(key) is not bytes:
            raise TypeError("keys are bytes")
        if expire_ms < KEEP_EXPIRE:
            raise ValueError("expire_ms must be >= 0, NO_EXPIRE or KEEP_EXPIRE")
        old = self._handle
        if type(value) is bytes:
            if len(value) > _MAX_LEN or len(key) > _MAX_LEN:
                raise ValueError("key or value longer than 512 MB")
            r = _set(self._t, key, len(key), value, len(value), 0, 0, expire_ms, now_ms, old)
        else:
            if value is None:
                raise TypeError("a value cannot be None")
            if len(key) > _MAX_LEN:
                raise ValueError("key or value longer than 512 MB")
            check_int64(expire_ms, now_ms)  # before the slot is taken
            prev = getattr(value, "acct", 0)
            h = self._store(value)
            r = _set(self._t, key, len(key), _NULL, 0, 1, h, expire_ms, now_ms, old)
            if r < 0:
                self._release(h)
            elif r == 2 and self._objs[old[0]] is value:
                # The same container stored again: it was accounted as `prev`.
                self._objs[old[0]] = None
                self._free.append(old[0])
                self.obj_mem -= prev
                self.group.obj -= prev
                return
        if r == 2:
            self._release(old[0])
        elif r < 0:
            self._raise(r)

    @staticmethod
    def _raise(code: int) -> None:
        if code == lib.KVT_ENOMEM:
            raise MemoryError("keyspace table out of memory")
        raise ValueError(f"keyspace table rejected the call (code {code})")

    def set_expire(self, key: bytes, expire_ms: int) -> bool:
        """Set (absolute ms) or remove (NO_EXPIRE) the expiry; False if absent."""
        if type(key) is not bytes:
            raise TypeError("keys are bytes")
        r = lib.kvt_set_expire(self._t, key, len(key), expire_ms)
        if r < 0:
            self._raise(r)
        return bool(r)

    def delete(self, key: bytes) -> object:
        """Remove `key` whatever its expiry; return its value or None if absent."""
        if type(key) is not bytes:
            raise TypeError("keys are bytes")
        n = lib.kvt_delete(self._t, key, len(key), self._val)
        if n == _MISS:
            return None
        if _OBJECT_BASE < n < 0:
            self._raise(n)
        value = _unpack(self._val[0], n) if n >= 0 else self._release(_OBJECT_BASE - n)
        lib.kvt_entry_free(self._detached())
        return value

    def clear(self) -> None:
        """Remove every key."""
        lib.kvt_clear(self._t)
        self.group.obj -= self.obj_mem
        self.obj_mem = 0
        self._objs.clear()
        self._free.clear()

    # -- sampling and expiry ------------------------------------------------------------------
    def _keys_of(self, entries: object, n: int) -> list[bytes]:
        return [_unpack(entries[i].data, entries[i].klen) for i in range(n)]  # type: ignore[index]

    def sample(self, n: int) -> list[bytes]:
        """Up to `n` random keys (may repeat), O(n)."""
        n = min(check_count(n), len(self))  # never allocate more than can be returned
        if n == 0:
            return []
        out = ffi.new("kvt_entry *[]", n)
        return self._keys_of(out, lib.kvt_sample(self._t, n, 0, out))

    def sample_volatile(self, n: int) -> list[bytes]:
        """Up to `n` random keys that have a TTL (may repeat)."""
        n = min(check_count(n), self.volatile_count())
        if n == 0:
            return []
        out = ffi.new("kvt_entry *[]", n)
        return self._keys_of(out, lib.kvt_sample(self._t, n, 1, out))

    def evict_sample(self, n: int, volatile_only: bool, mode: int, now_ms: int) -> list[tuple[int, bytes]]:
        """Up to `n` sampled (score, key) eviction candidates; `mode` 0 LRU, 1 LFU, 2 TTL
        (see pytable.Table.evict_sample)."""
        check_count(n)
        check_mode(mode)
        check_int64(now_ms)
        n = min(n, self.volatile_count() if volatile_only else len(self))
        if n == 0:
            return []
        out = ffi.new("kvt_entry *[]", n)
        scores = ffi.new("uint64_t[]", n)
        got = lib.kvt_evict_sample(self._t, n, int(volatile_only), mode, now_ms, out, scores)
        return [(scores[i], _unpack(out[i].data, out[i].klen)) for i in range(got)]

    def evict_one(self, n: int, volatile_only: bool, mode: int, now_ms: int) -> bytes | None:
        """Evict one key chosen through the table's pool (see pytable.Table.evict_one)."""
        check_samples(n)
        check_mode(mode)
        r = lib.kvt_evict(self._t, min(n, 64), 1 if volatile_only else 0, mode, now_ms, self._val)
        if r == _MISS:
            return None
        if r < 0 and r > _OBJECT_BASE:
            self._raise(r)
        e = self._detached()
        key = _unpack(e.data, e.klen)  # type: ignore[attr-defined]
        if r <= _OBJECT_BASE:
            self._release(_OBJECT_BASE - r)
        lib.kvt_entry_free(e)
        return key  # type: ignore[no-any-return]

    def evict_drop(self, n: int, volatile_only: bool, mode: int, now_ms: int) -> bool:
        """evict_one without returning the key (the steady state of a full cache,
        when nobody needs to be told): True if a key was evicted."""
        check_samples(n)
        check_mode(mode)
        r = lib.kvt_evict_drop(self._t, min(n, 64), 1 if volatile_only else 0, mode, now_ms)
        if r == _MISS:
            return False
        if r <= _OBJECT_BASE:
            self._release(_OBJECT_BASE - r)
        elif r < 0:
            self._raise(r)
        return True

    def evict_until(self, limit: int, max_keys: int, n: int, volatile_only: bool, mode: int,
                    now_ms: int) -> tuple[int, bool]:
        """Evict keys one by one through the pool, as evict_drop, while the group's
        total (MemGroup.total) is above `limit`, at most `max_keys`: the loop of
        evict.perform_evictions in one C call per object-valued victim instead of
        one Python call per key.  Returns (keys evicted, total now <= limit)."""
        if not (type(n) is int and n > 0 and type(mode) is int and 0 <= mode <= 2
                and type(max_keys) is int and 0 <= max_keys <= _UINT64_MAX
                and type(limit) is int and _INT64_MIN <= limit <= _INT64_MAX):
            check_count(max_keys)  # raises as the twin does (or passes an int subclass)
            check_samples(n)
            check_mode(mode)
            check_int64(limit)
            if max_keys > _UINT64_MAX:
                raise OverflowError("max_keys must fit in 64 bits")
        group = self.group
        handle = self._handle
        status = self._status
        vol = 1 if volatile_only else 0
        done = 0
        while True:
            # The C counter leaves containers out: compare it with what they leave.
            done += _evict_until(self._t, limit - group.obj, max_keys - done, n, vol, mode, now_ms,
                                 handle, status)
            if status[0] != _EVICT_OBJECT:
                break
            self._release(handle[0])  # its bytes leave group.obj: the next target is higher
        if status[0] < 0:
            self._raise(status[0])
        return done, status[0] == _EVICT_UNDER

    def pool_reset(self) -> None:
        """Forget the eviction pool (the policy's scores changed meaning)."""
        lib.kvt_pool_reset(self._t)

    def random_key(self) -> bytes | None:
        """A random key (expired or not), or None when empty."""
        e = lib.kvt_random(self._t)
        return None if e == _NULL else _unpack(e.data, e.klen)

    def expire_step(self, now_ms: int, n: int) -> tuple[int, list[bytes]]:
        """Sample up to `n` keys with a TTL, delete the expired ones; (sampled, deleted keys)."""
        check_count(n)
        check_int64(now_ms)
        # At most n samples, each deleting at most one key: no more than the volatile keys.
        n = min(n, self.volatile_count())
        if n == 0:
            return 0, []
        out = ffi.new("kvt_entry *[]", n)
        sampled = ffi.new("size_t *")
        removed = lib.kvt_expire_step(self._t, now_ms, n, sampled, out)
        keys = []
        for i in range(removed):
            e = out[i]
            keys.append(_unpack(e.data, e.klen))
            if e.field & _FLAG_OBJECT:
                self._release(lib.kvt_entry_handle(e))
            lib.kvt_entry_free(e)
        return sampled[0], keys

    # -- iteration ------------------------------------------------------------------------------
    def scan(self, cursor: int, count: int = 10) -> tuple[int, list[bytes]]:
        """(next cursor, keys) with Redis's reverse-binary cursor; 0 starts and ends."""
        check_scan(cursor, count)
        # A call never needs room for more than every key (plus one bucket's chain,
        # which the retry below grows into): a huge count allocates no more than that.
        count = min(count, len(self) + 1)
        cap = max(self._scan_cap, count * 2 + 16)
        n_out = ffi.new("size_t *")
        while True:
            out = ffi.new("kvt_entry *[]", cap)
            nxt = lib.kvt_scan(self._t, cursor, count, out, cap, n_out)
            if n_out[0] != ffi.cast("size_t", -1):
                return nxt, self._keys_of(out, n_out[0])
            cap *= 4
            self._scan_cap = cap

    def keys(self) -> list[bytes]:
        """Every key (expired or not), as a new list."""
        n = len(self)
        out = ffi.new("kvt_entry *[]", max(n, 1))
        return self._keys_of(out, lib.kvt_collect(self._t, out, n))

    def items(self) -> Iterator[tuple[bytes, object, int]]:
        """Yield (key, value, expire_ms) for every key; do not mutate meanwhile."""
        for key in self.keys():
            value = self.lookup(key, _INT64_MIN, False)
            if value is not None:
                yield key, value, self.get_expire(key)

    # -- invariants -----------------------------------------------------------------------------
    def check(self) -> None:
        """Raise AssertionError if an internal invariant does not hold."""
        msg = ffi.new("char[]", 256)
        if lib.kvt_check(self._t, msg, 256):
            raise AssertionError(ffi.string(msg).decode())
        n = len(self)
        out = ffi.new("kvt_entry *[]", max(n, 1))
        got = lib.kvt_collect(self._t, out, n)
        handles = sorted(
            lib.kvt_entry_handle(out[i]) for i in range(got) if out[i].field & _FLAG_OBJECT
        )
        live = sorted(i for i, v in enumerate(self._objs) if v is not None)
        assert handles == live, "object slots and handles disagree"
        assert set(self._free) == {i for i, v in enumerate(self._objs) if v is None}


_ClosedTable = closed_class(Table)
