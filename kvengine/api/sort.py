"""redis-py's sort() and sort_ro()."""

from __future__ import annotations

from typing import Any

from kvengine import exceptions as e
from kvengine.api.base import ApiBase, KeyT
from kvengine.api.callbacks import sort_return_tuples


class SortCommands(ApiBase):
    """SORT and SORT_RO with redis-py's signatures."""

    def _sort_pieces(
        self,
        start: int | None,
        num: int | None,
        by: Any,
        get: Any,
        desc: bool,
        alpha: bool,
    ) -> list[Any]:
        if (start is not None and num is None) or (num is not None and start is None):
            raise e.DataError("``start`` and ``num`` must both be specified")
        pieces: list[Any] = []
        if by is not None:
            pieces += [b"BY", by]
        if start is not None and num is not None:
            pieces += [b"LIMIT", start, num]
        if get is not None:
            # A single pattern may be given as a string (strings are iterable).
            for g in [get] if isinstance(get, (bytes, str)) else get:
                pieces += [b"GET", g]
        if desc:
            pieces.append(b"DESC")
        if alpha:
            pieces.append(b"ALPHA")
        return pieces

    def sort(
        self,
        name: KeyT,
        start: int | None = None,
        num: int | None = None,
        by: Any = None,
        get: Any = None,
        desc: bool = False,
        alpha: bool = False,
        store: Any = None,
        groups: bool | None = False,
    ) -> Any:
        """Sort the list, set or sorted set at `name` (numerically unless `alpha`);
        `by`/`get` patterns use ``*`` for the element, ``#`` for the element itself
        and ``key->field`` for hash fields; with `store`, the result is stored as a
        list and its length returned; `groups` returns the GET values as tuples."""
        pieces = self._sort_pieces(start, num, by, get, desc, alpha)
        if store is not None:
            pieces += [b"STORE", store]
        if groups and (not get or isinstance(get, (bytes, str)) or len(get) < 2):
            raise e.DataError(
                'when using "groups" the "get" argument must be specified and contain at least two keys'
            )
        reply = self._x(b"SORT", name, *pieces)
        return sort_return_tuples(reply, groups=len(get) if groups else None)

    def sort_ro(
        self,
        key: KeyT,
        start: int | None = None,
        num: int | None = None,
        by: Any = None,
        get: Any = None,
        desc: bool = False,
        alpha: bool = False,
    ) -> list[Any]:
        """SORT without STORE, as the read-only SORT_RO (allowed where writes are not)."""
        return self._x(b"SORT_RO", key, *self._sort_pieces(start, num, by, get, desc, alpha))  # type: ignore[no-any-return]
