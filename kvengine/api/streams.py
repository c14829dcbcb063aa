"""redis-py's stream methods (XADD, XRANGE, XREADGROUP and friends), RESP2 shapes."""

from __future__ import annotations

from typing import Any

from kvengine import exceptions as e
from kvengine.api.base import ApiBase, KeyT
from kvengine.api.callbacks import CALLBACKS, pairs_to_dict


# -- redis-py's stream response callbacks ---------------------------------------------------
def parse_stream_list(reply: Any, **options: Any) -> Any:
    """[[id, [f, v, ...]], ...] -> [(id, {f: v})]; a deleted entry is (None, None)."""
    if reply is None:
        return None
    out: list[Any] = []
    for r in reply:
        if r is not None:
            out.append((r[0], pairs_to_dict(r[1])))
        else:
            out.append((None, None))
    return out


CALLBACKS.update({
    "XRANGE": parse_stream_list,
    "XREVRANGE": parse_stream_list,
})


class StreamCommands(ApiBase):
    """XADD, XRANGE and friends, with redis-py's signatures and return shapes."""

    def xadd(
        self,
        name: KeyT,
        fields: dict[Any, Any],
        id: Any = "*",  # noqa: A002
        maxlen: int | None = None,
        approximate: bool = True,
        nomkstream: bool = False,
        minid: Any = None,
        limit: int | None = None,
    ) -> Any:
        """Append an entry; its ID."""
        pieces: list[Any] = []
        if maxlen is not None and minid is not None:
            raise e.DataError("Only one of ```maxlen``` or ```minid``` may be specified")
        if nomkstream:
            pieces.append(b"NOMKSTREAM")
        if maxlen is not None:
            if not isinstance(maxlen, int) or maxlen < 0:
                raise e.DataError("XADD maxlen must be non-negative integer")
            pieces.append(b"MAXLEN")
            if approximate:
                pieces.append(b"~")
            pieces.append(str(maxlen))
        if minid is not None:
            pieces.append(b"MINID")
            if approximate:
                pieces.append(b"~")
            pieces.append(minid)
        if limit is not None:
            pieces.extend([b"LIMIT", limit])
        pieces.append(id)
        if not isinstance(fields, dict) or len(fields) == 0:
            raise e.DataError("XADD fields must be a non-empty dict")
        for pair in fields.items():
            pieces.extend(pair)
        return self._x(b"XADD", name, *pieces)

    def xrange(self, name: KeyT, min: Any = "-", max: Any = "+", count: int | None = None) -> Any:  # noqa: A002
        """Entries between two IDs, oldest first, as [(id, {field: value})]."""
        pieces = [min, max]
        if count is not None:
            if not isinstance(count, int) or count < 1:
                raise e.DataError("XRANGE count must be a positive integer")
            pieces.extend([b"COUNT", str(count)])
        return parse_stream_list(self._x(b"XRANGE", name, *pieces))

    def xrevrange(self, name: KeyT, max: Any = "+", min: Any = "-", count: int | None = None) -> Any:  # noqa: A002
        """Entries between two IDs, newest first."""
        pieces = [max, min]
        if count is not None:
            if not isinstance(count, int) or count < 1:
                raise e.DataError("XREVRANGE count must be a positive integer")
            pieces.extend([b"COUNT", str(count)])
        return parse_stream_list(self._x(b"XREVRANGE", name, *pieces))

    def xlen(self, name: KeyT) -> int:
        """The number of entries."""
        return self._x(b"XLEN", name)  # type: ignore[no-any-return]

    def xdel(self, name: KeyT, *ids: Any) -> int:
        """Delete entries; how many existed."""
        return self._x(b"XDEL", name, *ids)  # type: ignore[no-any-return]

    def xtrim(
        self,
        name: KeyT,
        maxlen: int | None = None,
        approximate: bool = True,
        minid: Any = None,
        limit: int | None = None,
    ) -> int:
        """Trim by MAXLEN or MINID; how many entries went."""
        pieces: list[Any] = []
        if maxlen is not None and minid is not None:
            raise e.DataError("Only one of ``maxlen`` or ``minid`` may be specified")
        if maxlen is None and minid is None:
            raise e.DataError("One of ``maxlen`` or ``minid`` must be specified")
        pieces.append(b"MAXLEN" if maxlen is not None else b"MINID")
        if approximate:
            pieces.append(b"~")
        pieces.append(maxlen if maxlen is not None else minid)
        if limit is not None:
            pieces.extend([b"LIMIT", limit])
        return self._x(b"XTRIM", name, *pieces)  # type: ignore[no-any-return]
