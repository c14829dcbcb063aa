"""redis-py's generic key, TTL and server methods."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from kvengine import exceptions as e
from kvengine.api.base import ApiBase, EncodableT, KeyT
from kvengine.api.strings import ms_arg, seconds_arg, unix_ms, unix_seconds


def _expire_flags(nx: bool, xx: bool, gt: bool, lt: bool) -> list[bytes]:
    return [flag for flag, on in ((b"NX", nx), (b"XX", xx), (b"GT", gt), (b"LT", lt)) if on]


class KeyCommands(ApiBase):
    """DEL, EXISTS, EXPIRE, SCAN and friends, with redis-py's signatures."""

    def delete(self, *names: KeyT) -> int:
        """Delete keys; return how many existed."""
        return self._x(b"DEL", *names)  # type: ignore[no-any-return]

    def __delitem__(self, name: KeyT) -> None:
        self.delete(name)

    def unlink(self, *names: KeyT) -> int:
        """Delete keys (UNLINK)."""
        return self._x(b"UNLINK", *names)  # type: ignore[no-any-return]

    def exists(self, *names: KeyT) -> int:
        """How many of `names` exist (a key named twice counts twice)."""
        return self._x(b"EXISTS", *names)  # type: ignore[no-any-return]

    __contains__ = exists

    def touch(self, *args: KeyT) -> int:
        """Update the access time of keys; return how many exist."""
        return self._x(b"TOUCH", *args)  # type: ignore[no-any-return]

    def type(self, name: KeyT) -> Any:
        """The type of `name` (b"string", b"hash", ..., b"none")."""
        return self._x(b"TYPE", name)

    def keys(self, pattern: KeyT = "*", **kwargs: Any) -> list[Any]:
        """Keys matching a Redis glob pattern."""
        return self._x(b"KEYS", pattern)  # type: ignore[no-any-return]

    def scan(
        self,
        cursor: int = 0,
        match: KeyT | None = None,
        count: int | None = None,
        _type: str | None = None,
        **kwargs: Any,
    ) -> tuple[int, list[Any]]:
        """One SCAN step: (next cursor, keys)."""
        pieces: list[Any] = [cursor]
        if match is not None:
            pieces += [b"MATCH", match]
        if count is not None:
            pieces += [b"COUNT", count]
        if _type is not None:
            pieces += [b"TYPE", _type]
        cur, keys = self._x(b"SCAN", *pieces)
        return int(cur), keys

    def scan_iter(
        self,
        match: KeyT | None = None,
        count: int | None = None,
        _type: str | None = None,
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Iterate over keys with SCAN (each key present throughout is seen at least once)."""
        cursor = -1
        while cursor != 0:
            cursor, keys = self.scan(max(cursor, 0), match, count, _type)
            yield from keys

    def randomkey(self, **kwargs: Any) -> Any:
        """A random key, or None."""
        return self._x(b"RANDOMKEY")

    def rename(self, src: KeyT, dst: KeyT) -> bool:
        """Rename a key (overwrites `dst`)."""
        return self._x(b"RENAME", src, dst) is not None

    def renamenx(self, src: KeyT, dst: KeyT) -> bool:
        """Rename a key only if `dst` does not exist."""
        return bool(self._x(b"RENAMENX", src, dst))

    def copy(
        self,
        source: KeyT,
        destination: KeyT,
        destination_db: int | str | None = None,
        replace: bool = False,
    ) -> bool:
        """Copy a key, possibly to another database."""
        params: list[Any] = [source, destination]
        if destination_db is not None:
            params += [b"DB", destination_db]
        if replace:
            params.append(b"REPLACE")
        return bool(self._x(b"COPY", *params))

    def move(self, name: KeyT, db: int) -> bool:
        """Move a key to another database."""
        return bool(self._x(b"MOVE", name, db))

    def dump(self, name: KeyT) -> Any:
        """A serialized value (kvengine's own format), or None."""
        return self._x(b"DUMP", name)

    def restore(
        self,
        name: KeyT,
        ttl: float,
        value: EncodableT,
        replace: bool = False,
        absttl: bool = False,
        idletime: int | None = None,
        frequency: int | None = None,
    ) -> Any:
        """Create a key from a DUMP payload."""
        params: list[Any] = [name, ttl, value]
        if replace:
            params.append(b"REPLACE")
        if absttl:
            params.append(b"ABSTTL")
        if idletime is not None:
            try:
                params += [b"IDLETIME", int(idletime)]
            except ValueError:
                raise e.DataError("idletimemust be an integer") from None
        if frequency is not None:
            try:
                params += [b"FREQ", int(frequency)]
            except ValueError:
                raise e.DataError("frequency must be an integer") from None
        return self._x(b"RESTORE", *params)

    def object(self, infotype: str, key: KeyT, **kwargs: Any) -> Any:
        """OBJECT ENCODING/REFCOUNT/IDLETIME/FREQ of a key."""
        return self._x(b"OBJECT", infotype, key)

    # -- TTL --------------------------------------------------------------------------------
    def expire(
        self,
        name: KeyT,
        time: int | datetime.timedelta,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """Set a TTL in seconds."""
        return bool(self._x(b"EXPIRE", name, seconds_arg(time, "time"), *_expire_flags(nx, xx, gt, lt)))

    def pexpire(
        self,
        name: KeyT,
        time: int | datetime.timedelta,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """Set a TTL in milliseconds."""
        return bool(self._x(b"PEXPIRE", name, ms_arg(time, "time"), *_expire_flags(nx, xx, gt, lt)))

    def expireat(
        self,
        name: KeyT,
        when: int | datetime.datetime,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """Expire at a Unix time in seconds."""
        return bool(self._x(b"EXPIREAT", name, unix_seconds(when), *_expire_flags(nx, xx, gt, lt)))

    def pexpireat(
        self,
        name: KeyT,
        when: int | datetime.datetime,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """Expire at a Unix time in milliseconds."""
        return bool(self._x(b"PEXPIREAT", name, unix_ms(when), *_expire_flags(nx, xx, gt, lt)))

    def ttl(self, name: KeyT) -> int:
        """Seconds to live; -1 without TTL, -2 if missing."""
        return self._x(b"TTL", name)  # type: ignore[no-any-return]

    def pttl(self, name: KeyT) -> int:
        """Milliseconds to live; -1 without TTL, -2 if missing."""
        return self._x(b"PTTL", name)  # type: ignore[no-any-return]

    def expiretime(self, key: KeyT) -> int:
        """Absolute expiry in Unix seconds; -1 / -2."""
        return self._x(b"EXPIRETIME", key)  # type: ignore[no-any-return]

    def pexpiretime(self, key: KeyT) -> int:
        """Absolute expiry in Unix ms; -1 / -2."""
        return self._x(b"PEXPIRETIME", key)  # type: ignore[no-any-return]

    def persist(self, name: KeyT) -> bool:
        """Remove the TTL."""
        return bool(self._x(b"PERSIST", name))


class ServerCommands(ApiBase):
    """PING, ECHO, TIME, DBSIZE, FLUSH*, SELECT, SWAPDB."""

    def ping(self, **kwargs: Any) -> bool:
        """True (the engine answered PONG)."""
        return self._x(b"PING") in (b"PONG", "PONG")

    def echo(self, value: EncodableT, **kwargs: Any) -> Any:
        """`value`, as sent."""
        return self._x(b"ECHO", value)

    def time(self, **kwargs: Any) -> tuple[int, int]:
        """(seconds, microseconds) of the engine clock."""
        secs, micros = self._x(b"TIME")
        return int(secs), int(micros)

    def dbsize(self, **kwargs: Any) -> int:
        """Number of keys in the selected database."""
        return self._x(b"DBSIZE")  # type: ignore[no-any-return]

    def flushdb(self, asynchronous: bool = False, **kwargs: Any) -> bool:
        """Delete every key of the selected database."""
        return self._x(b"FLUSHDB", *([b"ASYNC"] if asynchronous else [])) is not None

    def flushall(self, asynchronous: bool = False, **kwargs: Any) -> bool:
        """Delete every key of every database."""
        return self._x(b"FLUSHALL", *([b"ASYNC"] if asynchronous else [])) is not None

    def select(self, index: int, **kwargs: Any) -> bool:
        """Select another database for this client view."""
        return self._x(b"SELECT", index) is not None

    def swapdb(self, first: int, second: int, **kwargs: Any) -> bool:
        """Swap the contents of two databases."""
        return self._x(b"SWAPDB", first, second) is not None
