"""redis-py's hash methods."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kvengine import exceptions as e
from kvengine.api.base import SLOW, ApiBase, EncodableT, KeyT, list_or_args
from kvengine.api.callbacks import pairs_to_dict
from kvengine.commands import TABLE
from kvengine.t_hash import Hash

_HGET = TABLE[b"hget"]


class HashCommands(ApiBase):
    """HSET, HGET and friends, with redis-py's signatures."""

    def hset(
        self,
        name: KeyT,
        key: KeyT | None = None,
        value: EncodableT | None = None,
        mapping: Mapping[KeyT, EncodableT] | None = None,
        items: list[Any] | None = None,
    ) -> int:
        """Set fields; return how many were new."""
        if key is None and not mapping and not items:
            raise e.DataError("'hset' with no key value pairs")
        pieces: list[Any] = []
        if items:
            pieces.extend(items)
        if key is not None:
            pieces.extend((key, value))
        if mapping:
            for pair in mapping.items():
                pieces.extend(pair)
        return self._x(b"HSET", name, *pieces)  # type: ignore[no-any-return]

    def hsetnx(self, name: KeyT, key: KeyT, value: EncodableT) -> int:
        """Set a field only if it does not exist."""
        return self._x(b"HSETNX", name, key, value)  # type: ignore[no-any-return]

    def hmset(self, name: KeyT, mapping: Mapping[KeyT, EncodableT]) -> bool:
        """Set several fields (deprecated in Redis in favour of HSET)."""
        if not mapping:
            raise e.DataError("'hmset' with 'mapping' of length 0")
        items: list[Any] = []
        for pair in mapping.items():
            items.extend(pair)
        return self._x(b"HMSET", name, *items) is not None

    def hget(self, name: KeyT, key: KeyT) -> Any:
        """The value of one field, or None."""
        k = name if type(name) is bytes else self._enc(name)
        f = key if type(key) is bytes else self._enc(key)
        value = self._read_container(_HGET, k, Hash, Hash.get, f)
        if value is SLOW:
            return self._run(_HGET, [b"HGET", k, f])  # type: ignore[attr-defined]
        if value is not None and self.decode_responses:  # type: ignore[attr-defined]
            return value.decode(self.encoding, self.encoding_errors)  # type: ignore[attr-defined]
        return value

    def hmget(self, name: KeyT, keys: Any, *args: Any) -> list[Any]:
        """Values of several fields."""
        return self._x(b"HMGET", name, *list_or_args(keys, args))  # type: ignore[no-any-return]

    def hgetall(self, name: KeyT) -> dict[Any, Any]:
        """Every field and value, as a dict."""
        return pairs_to_dict(self._x(b"HGETALL", name))

    def hdel(self, name: KeyT, *keys: KeyT) -> int:
        """Delete fields; return how many existed."""
        return self._x(b"HDEL", name, *keys)  # type: ignore[no-any-return]

    def hexists(self, name: KeyT, key: KeyT) -> bool:
        """Whether a field exists."""
        return bool(self._x(b"HEXISTS", name, key))

    def hlen(self, name: KeyT) -> int:
        """Number of fields."""
        return self._x(b"HLEN", name)  # type: ignore[no-any-return]

    def hstrlen(self, name: KeyT, key: KeyT) -> int:
        """Length of a field's value."""
        return self._x(b"HSTRLEN", name, key)  # type: ignore[no-any-return]

    def hkeys(self, name: KeyT) -> list[Any]:
        """Every field."""
        return self._x(b"HKEYS", name)  # type: ignore[no-any-return]

    def hvals(self, name: KeyT) -> list[Any]:
        """Every value."""
        return self._x(b"HVALS", name)  # type: ignore[no-any-return]

    def hincrby(self, name: KeyT, key: KeyT, amount: int = 1) -> int:
        """Increment an integer field."""
        return self._x(b"HINCRBY", name, key, amount)  # type: ignore[no-any-return]

    def hincrbyfloat(self, name: KeyT, key: KeyT, amount: float = 1.0) -> float:
        """Increment a float field."""
        return float(self._x(b"HINCRBYFLOAT", name, key, amount))

    def hrandfield(self, key: KeyT, count: int | None = None, withvalues: bool = False) -> Any:
        """Random fields (with repetition for a negative count)."""
        params: list[Any] = []
        if count is not None:
            params.append(count)
        if withvalues:
            params.append(b"WITHVALUES")
        return self._x(b"HRANDFIELD", key, *params)

    def hscan(
        self,
        name: KeyT,
        cursor: int = 0,
        match: KeyT | None = None,
        count: int | None = None,
        no_values: bool | None = None,
    ) -> tuple[int, Any]:
        """One HSCAN step: (cursor, {field: value}) (or a list of fields with no_values)."""
        pieces: list[Any] = [name, cursor]
        if match is not None:
            pieces += [b"MATCH", match]
        if count is not None:
            pieces += [b"COUNT", count]
        cur, flat = self._x(b"HSCAN", *pieces)
        if no_values:
            return int(cur), flat[0::2]
        return int(cur), pairs_to_dict(flat)

    def hscan_iter(
        self,
        name: KeyT,
        match: KeyT | None = None,
        count: int | None = None,
        no_values: bool | None = None,
    ) -> Iterator[Any]:
        """Iterate over (field, value) pairs (fields only with no_values)."""
        cursor = -1
        while cursor != 0:
            cursor, data = self.hscan(name, max(cursor, 0), match, count, no_values)
            if no_values:
                yield from data
            else:
                yield from data.items()


