"""redis-py's list methods, blocking ones included."""

from __future__ import annotations

from typing import Any

from kvengine.api.base import ApiBase, EncodableT, KeyT, list_or_args


def _timeout(timeout: float | None) -> Any:
    return 0 if timeout is None else timeout


class ListCommands(ApiBase):
    """LPUSH, LRANGE, BLPOP and friends, with redis-py's signatures."""

    def lpush(self, name: KeyT, *values: EncodableT) -> int:
        """Push to the head; return the new length."""
        return self._x(b"LPUSH", name, *values)  # type: ignore[no-any-return]

    def rpush(self, name: KeyT, *values: EncodableT) -> int:
        """Push to the tail; return the new length."""
        return self._x(b"RPUSH", name, *values)  # type: ignore[no-any-return]

    def lpushx(self, name: KeyT, *values: EncodableT) -> int:
        """Push to the head of an existing list."""
        return self._x(b"LPUSHX", name, *values)  # type: ignore[no-any-return]

    def rpushx(self, name: KeyT, *values: EncodableT) -> int:
        """Push to the tail of an existing list."""
        return self._x(b"RPUSHX", name, *values)  # type: ignore[no-any-return]

    def lpop(self, name: KeyT, count: int | None = None) -> Any:
        """Pop from the head (a list of up to `count` items with count)."""
        return self._x(b"LPOP", name, *([] if count is None else [count]))

    def rpop(self, name: KeyT, count: int | None = None) -> Any:
        """Pop from the tail (a list of up to `count` items with count)."""
        return self._x(b"RPOP", name, *([] if count is None else [count]))

    def llen(self, name: KeyT) -> int:
        """Length of the list."""
        return self._x(b"LLEN", name)  # type: ignore[no-any-return]

    def lrange(self, name: KeyT, start: int, end: int) -> list[Any]:
        """Items from `start` to `end` inclusive (negative indexes count from the end)."""
        return self._x(b"LRANGE", name, start, end)  # type: ignore[no-any-return]

    def lindex(self, name: KeyT, index: int) -> Any:
        """The item at `index`, or None."""
        return self._x(b"LINDEX", name, index)

    def lset(self, name: KeyT, index: int, value: EncodableT) -> bool:
        """Replace the item at `index`."""
        return self._x(b"LSET", name, index, value) is not None

    def linsert(self, name: KeyT, where: str, refvalue: EncodableT, value: EncodableT) -> int:
        """Insert before or after the first `refvalue`."""
        return self._x(b"LINSERT", name, where, refvalue, value)  # type: ignore[no-any-return]

    def lrem(self, name: KeyT, count: int, value: EncodableT) -> int:
        """Remove occurrences of `value` (from the tail when count < 0, all when 0)."""
        return self._x(b"LREM", name, count, value)  # type: ignore[no-any-return]

    def ltrim(self, name: KeyT, start: int, end: int) -> bool:
        """Keep only the items from `start` to `end`."""
        return self._x(b"LTRIM", name, start, end) is not None

    def lpos(
        self,
        name: KeyT,
        value: EncodableT,
        rank: int | None = None,
        count: int | None = None,
        maxlen: int | None = None,
    ) -> Any:
        """Index (or indexes, with count) of `value`."""
        pieces: list[Any] = [name, value]
        if rank is not None:
            pieces += [b"RANK", rank]
        if count is not None:
            pieces += [b"COUNT", count]
        if maxlen is not None:
            pieces += [b"MAXLEN", maxlen]
        return self._x(b"LPOS", *pieces)

    def lmove(self, first_list: KeyT, second_list: KeyT, src: str = "LEFT", dest: str = "RIGHT") -> Any:
        """Move an item between lists."""
        return self._x(b"LMOVE", first_list, second_list, src, dest)

    def rpoplpush(self, src: KeyT, dst: KeyT) -> Any:
        """Move the tail of `src` to the head of `dst`."""
        return self._x(b"RPOPLPUSH", src, dst)

    def lmpop(self, num_keys: int, *args: KeyT, direction: str, count: int = 1) -> Any:
        """Pop up to `count` items from the first non-empty list."""
        pieces: list[Any] = [num_keys, *args, direction]
        if count != 1:
            pieces += [b"COUNT", count]
        return self._x(b"LMPOP", *pieces)

    def blpop(self, keys: Any, timeout: float | None = 0) -> tuple[Any, Any] | None:
        """Pop from the first non-empty list, waiting up to `timeout` s (0: forever)."""
        reply = self._x(b"BLPOP", *list_or_args(keys, ()), _timeout(timeout))
        return tuple(reply) if reply else None  # type: ignore[return-value]

    def brpop(self, keys: Any, timeout: float | None = 0) -> tuple[Any, Any] | None:
        """Pop from the tail of the first non-empty list, waiting up to `timeout` s."""
        reply = self._x(b"BRPOP", *list_or_args(keys, ()), _timeout(timeout))
        return tuple(reply) if reply else None  # type: ignore[return-value]

    def brpoplpush(self, src: KeyT, dst: KeyT, timeout: float | None = 0) -> Any:
        """RPOPLPUSH, waiting up to `timeout` s for `src` to have an item."""
        return self._x(b"BRPOPLPUSH", src, dst, _timeout(timeout))

    def blmove(
        self, first_list: KeyT, second_list: KeyT, timeout: float, src: str = "LEFT", dest: str = "RIGHT"
    ) -> Any:
        """LMOVE, waiting up to `timeout` s."""
        return self._x(b"BLMOVE", first_list, second_list, src, dest, timeout)

    def blmpop(self, timeout: float, numkeys: int, *args: KeyT, direction: str, count: int = 1) -> Any:
        """LMPOP, waiting up to `timeout` s."""
        pieces: list[Any] = [timeout, numkeys, *args, direction]
        if count != 1:
            pieces += [b"COUNT", count]
        return self._x(b"BLMPOP", *pieces)
