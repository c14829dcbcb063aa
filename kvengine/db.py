"""A database: lookups with lazy expiry, the write epilogue, and the generic key commands' helpers.

Every read goes through :meth:`Database.lookup_read` or :meth:`lookup_write`, which
expire the key if its time has passed (Redis's ``expireIfNeeded``), so no command
ever sees a dead key.  Every write ends with :meth:`Database.modified` (Redis's
``signalModifiedKey`` + ``dirty++``): WATCH invalidation and the dirty counter
that makes ``call()`` hand the command to persistence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine._native import KEEP_EXPIRE, NO_EXPIRE, MemGroup, Table

if TYPE_CHECKING:
    from kvengine.server import Server


def type_name(value: object) -> str:
    """Redis's TYPE of a stored value ("string", "hash", ...)."""
    if type(value) is bytes:
        return "string"
    return value.redis_type  # type: ignore[attr-defined, no-any-return]


class Database:
    """One of the server's numbered databases."""

    __slots__ = ("server", "id", "table", "has_table", "hits", "misses", "_seed", "_group")

    def __init__(
        self, server: Server, index: int, seed: int | None = None, group: MemGroup | None = None
    ) -> None:
        self.server = server
        self.id = index
        # The table is made on first use (see __getattr__): sixteen C tables cost more
        # than the rest of an Engine(), and most programs use db 0 only.  Until then the
        # group counts an empty table's bytes, so used_memory does not depend on it.
        self.has_table = False
        """False while no command has touched this database (it is empty)."""
        self._seed = seed
        self._group = group if group is not None else MemGroup()
        self._group.obj += empty_table_bytes()
        # Keyspace hits and misses, counted here (one attribute on the hot path) and
        # summed over databases for INFO stats.
        self.hits = 0
        self.misses = 0

    def __getattr__(self, name: str) -> Any:
        # Only reached while the `table` slot is unset: make the table now.
        if name != "table":
            raise AttributeError(name)
        group = self._group
        group.obj -= empty_table_bytes()
        table = self.table = Table(self._seed, group)
        self.has_table = True
        srv = self.server
        if srv.lfu:
            table.set_lfu(True, srv.lfu_log_factor, srv.lfu_decay_time)
        return table

    def __len__(self) -> int:
        return len(self.table) if self.has_table else 0

    def volatile_count(self) -> int:
        """Keys with a TTL (0 for a database never touched, without making its table)."""
        return self.table.volatile_count() if self.has_table else 0

    # -- lookups -----------------------------------------------------------------------
    def lookup_read(self, key: bytes) -> Any:
        """The live value of `key` or None; counts a keyspace hit or miss, touches LRU/LFU."""
        value = self.table.lookup(key, self.server.now)
        if value is None:
            if self.table.expired:
                self.drain_expired()
            self.misses += 1
        else:
            self.hits += 1
        return value

    def lookup_write(self, key: bytes) -> Any:
        """The live value of `key` or None, for a command about to write it."""
        value = self.table.lookup(key, self.server.now)
        if value is None and self.table.expired:
            self.drain_expired()
        return value

    def peek(self, key: bytes) -> Any:
        """The live value without touching LRU/LFU (EXISTS, TYPE, OBJECT, TTL)."""
        value = self.table.lookup(key, self.server.now, False)
        if value is None and self.table.expired:
            self.drain_expired()
        return value

    def get_string(self, key: bytes, write: bool = False) -> bytes | None:
        """The string at `key`, None if absent; WRONGTYPE for another type."""
        value = self.lookup_write(key) if write else self.lookup_read(key)
        if value is not None and type(value) is not bytes:
            raise e.wrongtype()
        return value

    def get_typed(self, key: bytes, cls: type, write: bool = True) -> Any:
        """The value at `key` if it is a `cls`, None if absent; WRONGTYPE otherwise."""
        value = self.lookup_write(key) if write else self.lookup_read(key)
        if value is not None and type(value) is not cls:
            raise e.wrongtype()
        return value

    # -- writes --------------------------------------------------------------------------
    def set(self, key: bytes, value: object, expire_ms: int = NO_EXPIRE) -> None:
        """Store `value` (absolute `expire_ms`, NO_EXPIRE or KEEP_EXPIRE) and signal the write."""
        self.table.set(key, value, expire_ms, self.server.now)
        self.modified(key)

    def delete(self, key: bytes) -> bool:
        """Delete a live key; False if absent (an expired key is expired, not deleted)."""
        if self.peek(key) is None:
            return False
        self.table.delete(key)
        self.modified(key)
        return True

    def modified(self, key: bytes, value: Any = None) -> None:
        """The write epilogue: dirty counter and WATCH invalidation.

        Pass the container just changed as `value` to delete its key when it became
        empty (Redis never keeps an empty hash, list, set or sorted set).
        """
        srv = self.server
        srv.dirty += 1
        if value is not None:
            grown = value.mem - value.acct  # the container's size change, O(1)
            if grown:
                value.acct += grown
                table = self.table
                table.obj_mem += grown
                table.group.obj += grown
            if not value:
                self.table.delete(key)
        if srv.watched:
            srv.touch_watched(self.id, key)
        if srv.blocked:
            dk = (self.id, key)
            if dk in srv.blocked and dk not in srv.ready_keys:
                srv.ready_keys.append(dk)  # served right after this command (blocking.py)

    def expire_at(self, key: bytes, when_ms: int) -> None:
        """Set an absolute expiry; a time already past deletes the key (as Redis)."""
        if when_ms <= self.server.now and not self.server.loading:
            self.table.delete(key)
        else:
            self.table.set_expire(key, when_ms)
        self.modified(key)

    def drain_expired(self) -> None:
        """Account and propagate the keys lazy expiry just removed (logged as DEL)."""
        srv = self.server
        keys = self.table.expired
        for key in keys:
            srv.stats.expired_keys += 1
            if srv.feeding:
                srv.propagate(self.id, [b"DEL", key])
            if srv.watched:
                srv.touch_watched(self.id, key)
        keys.clear()

    def clear(self) -> int:
        """Remove every key; return how many there were."""
        if not self.has_table:
            return 0
        n = len(self.table)
        if self.server.watched:
            for key in self.table.keys():
                self.server.touch_watched(self.id, key)
        self.table.clear()
        return n


_EMPTY_TABLE_BYTES: int | None = None


def empty_table_bytes() -> int:
    """What an empty table adds to its group's used memory (measured once)."""
    global _EMPTY_TABLE_BYTES
    if _EMPTY_TABLE_BYTES is None:
        group = MemGroup()
        table = Table(0, group)
        _EMPTY_TABLE_BYTES = group.total()
        del table
    return _EMPTY_TABLE_BYTES


__all__ = ["KEEP_EXPIRE", "NO_EXPIRE", "Database", "empty_table_bytes", "type_name"]
