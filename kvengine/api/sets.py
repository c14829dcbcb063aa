"""redis-py's set methods."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kvengine.api.base import ApiBase, EncodableT, KeyT, list_or_args


class SetCommands(ApiBase):
    """SADD, SMEMBERS and friends, with redis-py's signatures."""

    def sadd(self, name: KeyT, *values: EncodableT) -> int:
        """Add members; return how many were new."""
        return self._x(b"SADD", name, *values)  # type: ignore[no-any-return]

    def srem(self, name: KeyT, *values: EncodableT) -> int:
        """Remove members; return how many were there."""
        return self._x(b"SREM", name, *values)  # type: ignore[no-any-return]

    def sismember(self, name: KeyT, value: EncodableT) -> int:
        """1 if `value` is a member, else 0."""
        return self._x(b"SISMEMBER", name, value)  # type: ignore[no-any-return]

    def smismember(self, name: KeyT, values: Any, *args: Any) -> list[int]:
        """Membership of several values (1/0 each)."""
        return self._x(b"SMISMEMBER", name, *list_or_args(values, args))  # type: ignore[no-any-return]

    def smembers(self, name: KeyT) -> set[Any]:
        """Every member, as a Python set."""
        return set(self._x(b"SMEMBERS", name))

    def scard(self, name: KeyT) -> int:
        """Number of members."""
        return self._x(b"SCARD", name)  # type: ignore[no-any-return]

    def spop(self, name: KeyT, count: int | None = None) -> Any:
        """Remove and return random members."""
        return self._x(b"SPOP", name, *([] if count is None else [count]))

    def srandmember(self, name: KeyT, number: int | None = None) -> Any:
        """Random members (with repetition for a negative number)."""
        return self._x(b"SRANDMEMBER", name, *([] if number is None else [number]))

    def smove(self, src: KeyT, dst: KeyT, value: EncodableT) -> bool:
        """Move a member between sets."""
        return bool(self._x(b"SMOVE", src, dst, value))

    def sinter(self, keys: Any, *args: Any) -> set[Any]:
        """Intersection."""
        return set(self._x(b"SINTER", *list_or_args(keys, args)))

    def sunion(self, keys: Any, *args: Any) -> set[Any]:
        """Union."""
        return set(self._x(b"SUNION", *list_or_args(keys, args)))

    def sdiff(self, keys: Any, *args: Any) -> set[Any]:
        """Difference of the first set and the others."""
        return set(self._x(b"SDIFF", *list_or_args(keys, args)))

    def sinterstore(self, dest: KeyT, keys: Any, *args: Any) -> int:
        """Store the intersection; return its size."""
        return self._x(b"SINTERSTORE", dest, *list_or_args(keys, args))  # type: ignore[no-any-return]

    def sunionstore(self, dest: KeyT, keys: Any, *args: Any) -> int:
        """Store the union; return its size."""
        return self._x(b"SUNIONSTORE", dest, *list_or_args(keys, args))  # type: ignore[no-any-return]

    def sdiffstore(self, dest: KeyT, keys: Any, *args: Any) -> int:
        """Store the difference; return its size."""
        return self._x(b"SDIFFSTORE", dest, *list_or_args(keys, args))  # type: ignore[no-any-return]

    def sintercard(self, numkeys: int, keys: list[KeyT], limit: int = 0) -> int:
        """Size of the intersection, stopping at `limit` (0: no limit)."""
        return self._x(b"SINTERCARD", numkeys, *keys, b"LIMIT", limit)  # type: ignore[no-any-return]

    def sscan(
        self, name: KeyT, cursor: int = 0, match: KeyT | None = None, count: int | None = None
    ) -> tuple[int, list[Any]]:
        """One SSCAN step: (cursor, members)."""
        pieces: list[Any] = [name, cursor]
        if match is not None:
            pieces += [b"MATCH", match]
        if count is not None:
            pieces += [b"COUNT", count]
        cur, members = self._x(b"SSCAN", *pieces)
        return int(cur), members

    def sscan_iter(self, name: KeyT, match: KeyT | None = None, count: int | None = None) -> Iterator[Any]:
        """Iterate over members with SSCAN."""
        cursor = -1
        while cursor != 0:
            cursor, members = self.sscan(name, max(cursor, 0), match, count)
            yield from members
