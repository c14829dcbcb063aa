"""redis-py's stream methods (XADD, XRANGE, XREADGROUP and friends), RESP2 shapes."""

from __future__ import annotations

from typing import Any

from kvengine import exceptions as e
from kvengine.api.base import ApiBase, KeyT
from kvengine.api.callbacks import CALLBACKS, pairs_to_dict


# -- redis-py's stream response callbacks ---------------------------------------------------
def parse_stream_list(reply: Any, **options: Any) -> Any:
    """[[id, [f, v, ...]], ...] -> [(id, {f: v})]; a deleted entry is (None, None)."""
    if not isinstance(reply, list):
        return reply  # QUEUED inside MULTI, None for nothing
    if reply is None:
        return None
    out: list[Any] = []
    for r in reply:
        if r is not None:
            out.append((r[0], pairs_to_dict(r[1])))
        else:
            out.append((None, None))
    return out


def _str_keys(reply: Any) -> dict[str, Any]:
    """redis-py's pairs_to_dict(decode_keys=True)."""
    it = iter(reply)
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in zip(it, it)}


def parse_xread(reply: Any, **options: Any) -> Any:
    """XREAD/XREADGROUP -> [[key, [(id, {f: v})]]] ([] when nothing came)."""
    if reply is None:
        return []
    if not isinstance(reply, list):
        return reply  # QUEUED inside MULTI
    return [[r[0], parse_stream_list(r[1])] for r in reply]


def parse_list_of_dicts(reply: Any, **options: Any) -> list[dict[str, Any]]:
    """XINFO GROUPS / CONSUMERS -> [{"name": ..., ...}]."""
    if not isinstance(reply, list):
        return reply  # QUEUED inside MULTI, None for nothing
    return [_str_keys(r) for r in reply]


def parse_xclaim(reply: Any, **options: Any) -> Any:
    """XCLAIM -> [(id, {f: v})], or the IDs with JUSTID."""
    if not isinstance(reply, list):
        return reply  # QUEUED inside MULTI, None for nothing
    if options.get("parse_justid"):
        return reply
    return parse_stream_list(reply)


def parse_xautoclaim(reply: Any, **options: Any) -> Any:
    """XAUTOCLAIM -> [cursor, [(id, {f: v})], deleted IDs], or just the IDs with JUSTID."""
    if not isinstance(reply, list):
        return reply  # QUEUED inside MULTI, None for nothing
    if options.get("parse_justid"):
        return reply[1]
    reply[1] = parse_stream_list(reply[1])
    return reply


def parse_xinfo_stream(reply: Any, **options: Any) -> dict[str, Any]:
    """XINFO STREAM [FULL] -> a dict with str keys, entries as (id, {f: v})."""
    if not isinstance(reply, list):
        return reply  # QUEUED inside MULTI, None for nothing
    data = _str_keys(reply)
    if not options.get("full"):
        for k in ("first-entry", "last-entry"):
            entry = data.get(k)
            if entry is not None and entry[0] is not None:
                data[k] = (entry[0], pairs_to_dict(entry[1]))
    else:
        data["entries"] = {i: pairs_to_dict(f) for i, f in data["entries"]}
        if data["groups"] and isinstance(data["groups"][0], list):
            data["groups"] = [_str_keys(g) for g in data["groups"]]
            for g in data["groups"]:
                if g["consumers"] and g["consumers"][0] is not None:
                    g["consumers"] = [_str_keys(c) for c in g["consumers"]]
    return data


def parse_xpending(reply: Any, **options: Any) -> Any:
    """XPENDING summary -> {"pending", "min", "max", "consumers"}; ranges -> list of dicts."""
    if not isinstance(reply, list):
        return reply  # QUEUED inside MULTI, None for nothing
    if options.get("parse_detail"):
        return parse_xpending_range(reply)
    consumers = [{"name": n, "pending": int(p)} for n, p in reply[3] or []]
    return {"pending": reply[0], "min": reply[1], "max": reply[2], "consumers": consumers}


def parse_xpending_range(reply: Any) -> list[dict[str, Any]]:
    k = ("message_id", "consumer", "time_since_delivered", "times_delivered")
    return [dict(zip(k, r)) for r in reply]


def _bool_ok(reply: Any, **options: Any) -> bool:
    return reply in (b"OK", "OK")


CALLBACKS.update({
    "XRANGE": parse_stream_list,
    "XREVRANGE": parse_stream_list,
    "XREAD": parse_xread,
    "XREADGROUP": parse_xread,
    "XCLAIM": parse_xclaim,
    "XAUTOCLAIM": parse_xautoclaim,
    "XINFO STREAM": parse_xinfo_stream,
    "XINFO GROUPS": parse_list_of_dicts,
    "XINFO CONSUMERS": parse_list_of_dicts,
    "XPENDING": parse_xpending,
    "XGROUP CREATE": _bool_ok,
    "XGROUP SETID": _bool_ok,
    "XGROUP DESTROY": lambda r, **o: bool(r),
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

    def xsetid(self, name: KeyT, lastid: Any, entries_added: int | None = None,
               max_deleted_entry_id: Any = None) -> bool:
        """Set the stream's last ID (and counters)."""
        pieces: list[Any] = [lastid]
        if entries_added is not None:
            pieces.extend([b"ENTRIESADDED", entries_added])
        if max_deleted_entry_id is not None:
            pieces.extend([b"MAXDELETEDID", max_deleted_entry_id])
        return _bool_ok(self._x(b"XSETID", name, *pieces))

    # -- consumer groups ----------------------------------------------------------------------
    def xgroup_create(self, name: KeyT, groupname: Any, id: Any = "$", mkstream: bool = False,  # noqa: A002
                      entries_read: int | None = None) -> bool:
        """Create a consumer group."""
        pieces: list[Any] = [name, groupname, id]
        if mkstream:
            pieces.append(b"MKSTREAM")
        if entries_read is not None:
            pieces.extend([b"ENTRIESREAD", entries_read])
        return _bool_ok(self._x(b"XGROUP", b"CREATE", *pieces))

    def xgroup_setid(self, name: KeyT, groupname: Any, id: Any,  # noqa: A002
                     entries_read: int | None = None) -> bool:
        """Set a group's last delivered ID."""
        pieces: list[Any] = [name, groupname, id]
        if entries_read is not None:
            pieces.extend([b"ENTRIESREAD", entries_read])
        return _bool_ok(self._x(b"XGROUP", b"SETID", *pieces))

    def xgroup_destroy(self, name: KeyT, groupname: Any) -> bool:
        """Destroy a group."""
        return bool(self._x(b"XGROUP", b"DESTROY", name, groupname))

    def xgroup_createconsumer(self, name: KeyT, groupname: Any, consumername: Any) -> int:
        """Create a consumer; 1 if new."""
        return self._x(b"XGROUP", b"CREATECONSUMER", name, groupname, consumername)  # type: ignore[no-any-return]

    def xgroup_delconsumer(self, name: KeyT, groupname: Any, consumername: Any) -> int:
        """Delete a consumer; its pending count."""
        return self._x(b"XGROUP", b"DELCONSUMER", name, groupname, consumername)  # type: ignore[no-any-return]

    def xread(self, streams: dict[Any, Any], count: int | None = None, block: int | None = None) -> Any:
        """Entries after the given IDs, optionally blocking `block` ms."""
        pieces: list[Any] = []
        if block is not None:
            if not isinstance(block, int) or block < 0:
                raise e.DataError("XREAD block must be a non-negative integer")
            pieces.extend([b"BLOCK", str(block)])
        if count is not None:
            if not isinstance(count, int) or count < 1:
                raise e.DataError("XREAD count must be a positive integer")
            pieces.extend([b"COUNT", str(count)])
        if not isinstance(streams, dict) or len(streams) == 0:
            raise e.DataError("XREAD streams must be a non empty dict")
        pieces.append(b"STREAMS")
        keys, values = zip(*streams.items())
        pieces.extend(keys)
        pieces.extend(values)
        return parse_xread(self._x(b"XREAD", *pieces))

    def xreadgroup(self, groupname: Any, consumername: Any, streams: dict[Any, Any],
                   count: int | None = None, block: int | None = None, noack: bool = False) -> Any:
        """Deliver entries to a consumer of a group."""
        pieces: list[Any] = [b"GROUP", groupname, consumername]
        if count is not None:
            if not isinstance(count, int) or count < 1:
                raise e.DataError("XREADGROUP count must be a positive integer")
            pieces.extend([b"COUNT", str(count)])
        if block is not None:
            if not isinstance(block, int) or block < 0:
                raise e.DataError("XREADGROUP block must be a non-negative integer")
            pieces.extend([b"BLOCK", str(block)])
        if noack:
            pieces.append(b"NOACK")
        if not isinstance(streams, dict) or len(streams) == 0:
            raise e.DataError("XREADGROUP streams must be a non empty dict")
        pieces.append(b"STREAMS")
        pieces.extend(streams.keys())
        pieces.extend(streams.values())
        return parse_xread(self._x(b"XREADGROUP", *pieces))

    def xack(self, name: KeyT, groupname: Any, *ids: Any) -> int:
        """Acknowledge pending entries."""
        return self._x(b"XACK", name, groupname, *ids)  # type: ignore[no-any-return]

    def xpending(self, name: KeyT, groupname: Any) -> dict[str, Any]:
        """The group's pending summary."""
        return parse_xpending(self._x(b"XPENDING", name, groupname))  # type: ignore[no-any-return]

    def xpending_range(self, name: KeyT, groupname: Any, min: Any, max: Any, count: int,  # noqa: A002
                       consumername: Any = None, idle: int | None = None) -> Any:
        """Pending entries in a range: message_id, consumer, time_since_delivered, times_delivered."""
        if {min, max, count} == {None}:
            if idle is not None or consumername is not None:
                raise e.DataError("if XPENDING is provided with idle time or consumername, it must be "
                                  "provided with min, max and count parameters")
            return self.xpending(name, groupname)
        pieces: list[Any] = [name, groupname]
        if min is None or max is None or count is None:
            raise e.DataError("XPENDING must be provided with min, max and count parameters, or none of them.")
        if idle is not None:
            if int(idle) < 0:
                raise e.DataError("XPENDING idle must be a integer >= 0")
            pieces.extend([b"IDLE", idle])
        if int(count) < 0:
            raise e.DataError("XPENDING count must be a integer >= 0")
        pieces.extend([min, max, count])
        if consumername:
            pieces.append(consumername)
        return parse_xpending_range(self._x(b"XPENDING", *pieces))

    def xclaim(self, name: KeyT, groupname: Any, consumername: Any, min_idle_time: int, message_ids: Any,
               idle: int | None = None, time: int | None = None, retrycount: int | None = None,
               force: bool = False, justid: bool = False) -> Any:
        """Take pending entries over."""
        if not isinstance(min_idle_time, int) or min_idle_time < 0:
            raise e.DataError("XCLAIM min_idle_time must be a non negative integer")
        if not isinstance(message_ids, (list, tuple)) or not message_ids:
            raise e.DataError("XCLAIM message_ids must be a non empty list or tuple of message IDs to claim")
        pieces: list[Any] = [name, groupname, consumername, str(min_idle_time), *message_ids]
        for word, value in ((b"IDLE", idle), (b"TIME", time), (b"RETRYCOUNT", retrycount)):
            if value is not None:
                if not isinstance(value, int):
                    raise e.DataError(f"XCLAIM {word.decode().lower()} must be an integer")
                pieces.extend((word, str(value)))
        if force:
            pieces.append(b"FORCE")
        if justid:
            pieces.append(b"JUSTID")
        return parse_xclaim(self._x(b"XCLAIM", *pieces), parse_justid=justid)

    def xautoclaim(self, name: KeyT, groupname: Any, consumername: Any, min_idle_time: int,
                   start_id: Any = "0-0", count: int | None = None, justid: bool = False) -> Any:
        """Claim pending entries idle long enough, scanning from a cursor."""
        try:
            if int(min_idle_time) < 0:
                raise e.DataError("XAUTOCLAIM min_idle_time must be a nonnegative integer")
        except TypeError:
            pass
        pieces: list[Any] = [name, groupname, consumername, min_idle_time, start_id]
        try:
            if int(count) < 0:  # type: ignore[arg-type]
                raise e.DataError("XPENDING count must be a integer >= 0")
            pieces.extend([b"COUNT", count])
        except TypeError:
            pass
        if justid:
            pieces.append(b"JUSTID")
        return parse_xautoclaim(self._x(b"XAUTOCLAIM", *pieces), parse_justid=justid)

    def xinfo_stream(self, name: KeyT, full: bool = False) -> dict[str, Any]:
        """XINFO STREAM [FULL] as a dict."""
        pieces: list[Any] = [name]
        if full:
            pieces.append(b"FULL")
        return parse_xinfo_stream(self._x(b"XINFO", b"STREAM", *pieces), full=full)

    def xinfo_groups(self, name: KeyT) -> list[dict[str, Any]]:
        """XINFO GROUPS as a list of dicts."""
        return parse_list_of_dicts(self._x(b"XINFO", b"GROUPS", name))

    def xinfo_consumers(self, name: KeyT, groupname: Any) -> list[dict[str, Any]]:
        """XINFO CONSUMERS as a list of dicts."""
        return parse_list_of_dicts(self._x(b"XINFO", b"CONSUMERS", name, groupname))
