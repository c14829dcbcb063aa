"""redis-py's string and bitmap methods."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from time import time_ns as _time_ns
from typing import Any

from kvengine import exceptions as e
from kvengine import t_string
from kvengine._native import NO_EXPIRE
from kvengine.api.base import ApiBase, EncodableT, KeyT, list_or_args
from kvengine.clock import system_clock
from kvengine.commands import TABLE
from kvengine.evict import oom_error, perform_evictions

# Resolved once: GET and SET are the hot path and skip the table lookup.
assert t_string  # the import registers the string commands
_GET = TABLE[b"get"]
_SET = TABLE[b"set"]
_MGET = TABLE[b"mget"]
_INCRBY = TABLE[b"incrby"]
_DECRBY = TABLE[b"decrby"]

ExpiryT = int | datetime.timedelta
AbsExpiryT = int | datetime.datetime


def seconds_arg(value: Any, name: str) -> Any:
    """A relative time in seconds as redis-py accepts it (int, digit string, timedelta)."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise e.DataError(f"{name} must be datetime.timedelta or int")


def ms_arg(value: Any, name: str) -> Any:
    """A relative time in ms (int, digit string, timedelta)."""
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds() * 1000)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise e.DataError(f"{name} must be datetime.timedelta or int")


def unix_seconds(value: Any) -> Any:
    """An absolute time in seconds (int or datetime)."""
    if isinstance(value, datetime.datetime):
        return int(value.timestamp())
    return value


def unix_ms(value: Any) -> Any:
    """An absolute time in ms (int or datetime)."""
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    return value


def expiry_pieces(ex: Any, px: Any, exat: Any, pxat: Any) -> list[Any]:
    """The EX/PX/EXAT/PXAT words for SET and GETEX."""
    pieces: list[Any] = []
    if ex is not None:
        pieces += [b"EX", seconds_arg(ex, "ex")]
    if px is not None:
        pieces += [b"PX", ms_arg(px, "px")]
    if exat is not None:
        pieces += [b"EXAT", unix_seconds(exat)]
    if pxat is not None:
        pieces += [b"PXAT", unix_ms(pxat)]
    return pieces


class StringCommands(ApiBase):
    """GET, SET and friends, with redis-py's signatures and return values."""

    # GET and SET without options are the hot path: they take the same steps as
    # Client._run + dispatch.execute + their handlers (lock, clock snapshot, lazy
    # expiry, stats, OOM gate, dirty counter, WATCH, propagation), written out
    # inline to spare ~250 ns of calls.  Anything unusual (MULTI) takes the
    # general path.  tests/test_fastpath.py holds the two paths to the same results.
    def get(self, name: KeyT) -> Any:
        """Return the value at `name`, or None."""
        key = name if type(name) is bytes else self._enc(name)
        if self.multi is not None:  # type: ignore[attr-defined]
            return self._run(_GET, [b"GET", key])
        srv = self.server  # type: ignore[attr-defined]
        lock = srv.lock
        if not lock.acquire(False):  # contended: the general path waits, or answers BUSY
            return self._run(_GET, [b"GET", key])
        try:
            if srv.closed:
                raise srv.closed_error()
            clock = srv.clock
            srv.now = now = _time_ns() // 1_000_000 if clock is system_clock else clock()
            _GET.calls += 1
            db = self.db  # type: ignore[attr-defined]
            table = db.table
            value = table.lookup(key, now)  # Database.lookup_read, inlined
            if value is None:
                if table.expired:
                    db.drain_expired()
                db.misses += 1
            else:
                db.hits += 1
            if srv.pending_ops:
                srv.flush_feed()
        finally:
            lock.release()
        if value is None:
            return None
        if type(value) is not bytes:
            raise e.wrongtype()
        if self.decode_responses:  # type: ignore[attr-defined]
            return value.decode(self.encoding, self.encoding_errors)  # type: ignore[attr-defined]
        return value

    def set(
        self,
        name: KeyT,
        value: EncodableT,
        ex: ExpiryT | None = None,
        px: ExpiryT | None = None,
        nx: bool = False,
        xx: bool = False,
        keepttl: bool = False,
        get: bool = False,
        exat: AbsExpiryT | None = None,
        pxat: AbsExpiryT | None = None,
    ) -> Any:
        """Set `name` to `value`; True, None (NX/XX not met), or the old value with `get`."""
        enc = self._enc
        key = name if type(name) is bytes else enc(name)
        val = value if type(value) is bytes else enc(value)
        if ex is None and px is None and exat is None and pxat is None and not (
            nx or xx or keepttl or get
        ) and self.multi is None:  # type: ignore[attr-defined]
            srv = self.server  # type: ignore[attr-defined]
            lock = srv.lock
            if not lock.acquire(False):  # contended: the general path waits, or answers BUSY
                return self._run(_SET, [b"SET", key, val]) is not None or None
            try:
                if srv.closed:
                    raise srv.closed_error()
                clock = srv.clock
                srv.now = now = _time_ns() // 1_000_000 if clock is system_clock else clock()
                if srv.write_denied is not None:
                    raise e.error_from_line(srv.write_denied)
                # The OOM gate (Server.free_memory_or_oom, inlined): one comparison while
                # under the limit, which the runs of evict_target keep most writes.
                if srv.maxmemory and (srv.evict_pending or srv.mem.total() > srv.maxmemory) \
                        and not perform_evictions(srv):
                    raise oom_error()
                _SET.calls += 1
                db = self.db  # type: ignore[attr-defined]
                db.table.set(key, val, NO_EXPIRE, now)  # Database.set, inlined
                if srv.watched or srv.blocked:
                    db.modified(key)
                else:
                    srv.dirty += 1
                if srv.feeding:
                    log_set = srv.log_set
                    if log_set is not None and not srv.pending_ops:
                        log_set(db.id, key, val)  # straight into the log buffer (everysec, no)
                    else:
                        srv.propagate(db.id, [b"SET", key, val])
                if srv.pending_ops:
                    srv.flush_feed()
            finally:
                lock.release()
            return True
        argv = [b"SET", key, val]
        if sum(x is not None for x in (ex, px, exat, pxat)) + bool(keepttl) > 1:
            raise e.DataError("``ex``, ``px``, ``exat``, ``pxat``, and ``keepttl`` are mutually exclusive.")
        argv += [enc(p) for p in expiry_pieces(ex, px, exat, pxat)]
        if keepttl:
            argv.append(b"KEEPTTL")
        if nx:
            argv.append(b"NX")
        if xx:
            argv.append(b"XX")
        if get:
            argv.append(b"GET")
            return self._call(argv)
        return True if self._call(argv) is not None else None

    def __setitem__(self, name: KeyT, value: EncodableT) -> None:
        self.set(name, value)

    def __getitem__(self, name: KeyT) -> Any:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def setnx(self, name: KeyT, value: EncodableT) -> bool:
        """Set `name` only if it does not exist."""
        return bool(self._x(b"SETNX", name, value))

    def setex(self, name: KeyT, time: ExpiryT, value: EncodableT) -> bool:
        """Set `name` with a TTL in seconds."""
        return self._x(b"SETEX", name, seconds_arg(time, "time"), value) is not None

    def psetex(self, name: KeyT, time_ms: ExpiryT, value: EncodableT) -> bool:
        """Set `name` with a TTL in milliseconds."""
        return self._x(b"PSETEX", name, ms_arg(time_ms, "time_ms"), value) is not None

    def getset(self, name: KeyT, value: EncodableT) -> Any:
        """Set `name` and return its old value."""
        return self._x(b"GETSET", name, value)

    def getdel(self, name: KeyT) -> Any:
        """Return and delete the value at `name`."""
        return self._x(b"GETDEL", name)

    def getex(
        self,
        name: KeyT,
        ex: ExpiryT | None = None,
        px: ExpiryT | None = None,
        exat: AbsExpiryT | None = None,
        pxat: AbsExpiryT | None = None,
        persist: bool = False,
    ) -> Any:
        """Return the value at `name` and change its TTL."""
        given = sum(x is not None for x in (ex, px, exat, pxat))
        if given > 1 or (given and persist):
            raise e.DataError(
                "``ex``, ``px``, ``exat``, ``pxat``, and ``persist`` are mutually exclusive."
            )
        pieces = expiry_pieces(ex, px, exat, pxat)
        if persist:
            pieces.append(b"PERSIST")
        return self._x(b"GETEX", name, *pieces)

    def mget(self, keys: KeyT | Iterable[KeyT], *args: KeyT) -> list[Any]:
        """Values of several keys (None for missing or non-string ones)."""
        enc = self._enc
        argv = [b"MGET", *[k if type(k) is bytes else enc(k) for k in list_or_args(keys, args)]]
        if len(argv) < 2:
            return self._call(argv)  # type: ignore[no-any-return]  # the arity error
        return self._run(_MGET, argv)  # type: ignore[no-any-return]

    def mset(self, mapping: Mapping[KeyT, EncodableT]) -> bool:
        """Set several keys at once."""
        items: list[Any] = []
        for pair in mapping.items():
            items.extend(pair)
        return self._x(b"MSET", *items) is not None

    def msetnx(self, mapping: Mapping[KeyT, EncodableT]) -> bool:
        """Set several keys only if none exists."""
        items: list[Any] = []
        for pair in mapping.items():
            items.extend(pair)
        return bool(self._x(b"MSETNX", *items))

    def append(self, key: KeyT, value: EncodableT) -> int:
        """Append to a string; return its new length."""
        return self._x(b"APPEND", key, value)  # type: ignore[no-any-return]

    def strlen(self, name: KeyT) -> int:
        """Length of the string at `name` (0 if missing)."""
        return self._x(b"STRLEN", name)  # type: ignore[no-any-return]

    def getrange(self, key: KeyT, start: int, end: int) -> Any:
        """Substring between `start` and `end` inclusive."""
        return self._x(b"GETRANGE", key, start, end)

    def substr(self, name: KeyT, start: int, end: int = -1) -> Any:
        """SUBSTR (GETRANGE's old name)."""
        return self._x(b"SUBSTR", name, start, end)

    def setrange(self, name: KeyT, offset: int, value: EncodableT) -> int:
        """Overwrite part of a string; return its new length."""
        return self._x(b"SETRANGE", name, offset, value)  # type: ignore[no-any-return]

    def incrby(self, name: KeyT, amount: int = 1) -> int:
        """Increment the integer at `name` by `amount`."""
        key = name if type(name) is bytes else self._enc(name)
        return self._run(_INCRBY, [b"INCRBY", key, self._enc(amount)])  # type: ignore[no-any-return]

    incr = incrby

    def decrby(self, name: KeyT, amount: int = 1) -> int:
        """Decrement the integer at `name` by `amount`."""
        key = name if type(name) is bytes else self._enc(name)
        return self._run(_DECRBY, [b"DECRBY", key, self._enc(amount)])  # type: ignore[no-any-return]

    decr = decrby

    def incrbyfloat(self, name: KeyT, amount: float = 1.0) -> float:
        """Increment the number at `name` by a float."""
        return float(self._x(b"INCRBYFLOAT", name, amount))

    def lcs(
        self,
        key1: KeyT,
        key2: KeyT,
        len: bool = False,  # noqa: A002 - redis-py's parameter name
        idx: bool = False,
        minmatchlen: int = 0,
        withmatchlen: bool = False,
    ) -> Any:
        """Longest common subsequence of two strings."""
        pieces: list[Any] = [key1, key2]
        if len:
            pieces.append(b"LEN")
        if idx:
            pieces.append(b"IDX")
        if minmatchlen:
            pieces += [b"MINMATCHLEN", minmatchlen]
        if withmatchlen:
            pieces.append(b"WITHMATCHLEN")
        return self._x(b"LCS", *pieces)

    def setbit(self, name: KeyT, offset: int, value: int) -> int:
        """Set one bit; return its previous value."""
        return self._x(b"SETBIT", name, offset, 1 if value else 0)  # type: ignore[no-any-return]

    def getbit(self, name: KeyT, offset: int) -> int:
        """One bit of a string."""
        return self._x(b"GETBIT", name, offset)  # type: ignore[no-any-return]

    def bitcount(
        self, key: KeyT, start: int | None = None, end: int | None = None, mode: str | None = None
    ) -> int:
        """Number of set bits, optionally in a byte or bit range."""
        params: list[Any] = [key]
        if start is not None and end is not None:
            params += [start, end]
        elif (start is None) != (end is None):
            raise e.DataError("Both start and end must be specified")
        if mode is not None:
            params.append(mode)
        return self._x(b"BITCOUNT", *params)  # type: ignore[no-any-return]

    def bitpos(
        self,
        key: KeyT,
        bit: int,
        start: int | None = None,
        end: int | None = None,
        mode: str | None = None,
    ) -> int:
        """Position of the first bit set to `bit`."""
        if bit not in (0, 1):
            raise e.DataError("bit must be 0 or 1")
        params: list[Any] = [key, bit]
        if start is not None:
            params.append(start)
        if start is not None and end is not None:
            params.append(end)
        elif start is None and end is not None:
            raise e.DataError("start argument is not set, when end is specified")
        if mode is not None:
            params.append(mode)
        return self._x(b"BITPOS", *params)  # type: ignore[no-any-return]

    def bitop(self, operation: str, dest: KeyT, *keys: KeyT) -> int:
        """AND/OR/XOR/NOT of strings into `dest`; return its length."""
        return self._x(b"BITOP", operation, dest, *keys)  # type: ignore[no-any-return]
