"""RESP3 shapes of Redis 7.0's replies, from the RESP2 shapes kvengine's handlers return.

With RESP3 a real Redis 7.0 sends some replies as other types (addReplyMapLen,
addReplySetLen, addReplyDouble in src/*.c).  ``RESP3[name](argv, reply)`` turns a
command's RESP2-shaped reply into Python values of those types: a map a ``dict``, a
set a :class:`~kvengine.reply.Resp3Set`, a double a ``float`` (nulls stay ``None``).
Only commands whose RESP3 reply differs are listed.  Used by the redis-py drop-in
(``protocol=3``) and by scripts after ``redis.setresp(3)``; held to redis-server by
``tests/differential/test_resp3.py``.  No dependency on redis-py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kvengine.reply import Resp3Set as _Resp3Set

__all__ = ["RESP3", "convert"]

Argv = list[bytes]


def _double(v: Any) -> Any:
    return None if v is None else float(v)


def _pairs(reply: Any, second: Callable[[Any], Any] = _double) -> Any:
    if not isinstance(reply, list):
        return reply
    it = iter(reply)
    return [[a, second(b)] for a, b in zip(it, it)]


def _map(reply: Any) -> Any:
    if not isinstance(reply, list):
        return reply
    it = iter(reply)
    return dict(zip(it, it))


def _has(argv: Argv, word: bytes) -> bool:
    return any(a.upper() == word for a in argv[2:])


def _withscores(argv: Argv, reply: Any) -> Any:
    return _pairs(reply) if _has(argv, b"WITHSCORES") else reply


def _zpop(argv: Argv, reply: Any) -> Any:
    if not reply:
        return reply
    if len(argv) > 2:  # with COUNT: a list of pairs
        return _pairs(reply)
    return [reply[0], _double(reply[1])]


def _zmpop(argv: Argv, reply: Any) -> Any:
    if not reply:
        return reply
    # RESP2 already nests the pairs ([key, [[member, score], ...]]): only the scores change
    return [reply[0], [[m, _double(sc)] for m, sc in reply[1]]]


def _bzpop(argv: Argv, reply: Any) -> Any:
    if not reply:
        return reply
    return [reply[0], reply[1], _double(reply[2])]


def _lcs(argv: Argv, reply: Any) -> Any:
    if not _has(argv, b"IDX") or not isinstance(reply, list):
        return reply
    return _map(reply)


def _xread(argv: Argv, reply: Any) -> Any:
    if not isinstance(reply, list):
        return reply
    return {stream: entries for stream, entries in reply}


def _geo_coords(argv: Argv, reply: Any) -> Any:
    def point(p: Any) -> Any:
        return None if p is None else [float(p[0]), float(p[1])]

    return [point(p) for p in reply] if isinstance(reply, list) else reply


def _geo_search(argv: Argv, reply: Any) -> Any:
    if not _has(argv, b"WITHCOORD") or not isinstance(reply, list):
        return reply
    out = []
    for item in reply:
        if isinstance(item, list) and item and isinstance(item[-1], list):
            item = [*item[:-1], [float(item[-1][0]), float(item[-1][1])]]
        out.append(item)
    return out


def _xinfo(argv: Argv, reply: Any) -> Any:
    sub = argv[1].lower() if len(argv) > 1 else b""
    if sub == b"stream":
        return _map(reply)
    if sub in (b"groups", b"consumers") and isinstance(reply, list):
        return [_map(r) for r in reply]
    return reply


def _key_spec(spec: Any) -> Any:
    """One key spec (addReplyCommandKeySpecs): a map; its flags a set, begin_search and
    find_keys maps holding a ``spec`` map."""
    out = _map(spec)
    if not isinstance(out, dict):
        return spec
    for k, v in out.items():
        if k == b"flags" and isinstance(v, list):
            out[k] = _Resp3Set(v)
        elif k in (b"begin_search", b"find_keys") and isinstance(v, list):
            inner = _map(v)
            if isinstance(inner.get(b"spec"), list):
                inner[b"spec"] = _map(inner[b"spec"])
            out[k] = inner
    return out


def _command_info(entry: Any) -> Any:
    """One COMMAND INFO entry (addReplyCommandInfo): flags, ACL categories, tips and key
    specs are sets; subcommands an array of entries, or an empty set when there are none."""
    if not isinstance(entry, list) or len(entry) != 10:
        return entry  # a null for an unknown name
    subs = entry[9]
    return [*entry[:2], _Resp3Set(entry[2]), *entry[3:6], _Resp3Set(entry[6]), _Resp3Set(entry[7]),
            _Resp3Set([_key_spec(k) for k in entry[8]]),
            [_command_info(s) for s in subs] if subs else _Resp3Set()]


def _command(argv: Argv, reply: Any) -> Any:
    sub = argv[1].lower() if len(argv) > 1 else b"info"
    if sub == b"info" and isinstance(reply, list):
        return [_command_info(entry) for entry in reply]
    if sub == b"getkeysandflags" and isinstance(reply, list):
        return [[key, _Resp3Set(flags)] for key, flags in reply]
    return reply


def _debug(argv: Argv, reply: Any) -> Any:
    """DEBUG PROTOCOL's RESP3 test values (debugCommand)."""
    if len(argv) != 3 or argv[1].lower() != b"protocol":
        return reply
    kind = argv[2].lower()
    if kind == b"double":
        return float(reply)
    if kind == b"bignum":
        return int(reply)
    if kind == b"set":
        return _Resp3Set(reply)
    if kind == b"map":
        it = iter(reply)
        return {k: bool(v) for k, v in zip(it, it)}
    if kind in (b"true", b"false"):
        return bool(reply)
    return reply


# MEMORY STATS fields sent with addReplyDouble
_MEMORY_STATS_DOUBLES = frozenset({
    b"dataset.percentage", b"peak.percentage", b"allocator-fragmentation.ratio",
    b"allocator-rss.ratio", b"rss-overhead.ratio", b"fragmentation",
})


def _memory(argv: Argv, reply: Any) -> Any:
    if len(argv) < 2 or argv[1].lower() != b"stats" or not isinstance(reply, list):
        return reply
    out = _map(reply)
    for k, v in out.items():
        if k in _MEMORY_STATS_DOUBLES:
            out[k] = _double(v)
        elif k.startswith(b"db.") and isinstance(v, list):
            out[k] = _map(v)
    return out


def _function_entry(fn: Any) -> Any:
    out = _map(fn)
    if isinstance(out, dict) and isinstance(out.get(b"flags"), list):
        out[b"flags"] = _Resp3Set(out[b"flags"])
    return out


def _function(argv: Argv, reply: Any) -> Any:
    """FUNCTION LIST: an array of library maps, each function a map with a set of
    flags; FUNCTION STATS: a map of maps (functionListCommand, functionStatsCommand)."""
    sub = argv[1].lower() if len(argv) > 1 else b""
    if sub == b"list" and isinstance(reply, list):
        libs = []
        for lib in reply:
            lib = _map(lib)
            if isinstance(lib, dict) and isinstance(lib.get(b"functions"), list):
                lib[b"functions"] = [_function_entry(f) for f in lib[b"functions"]]
            libs.append(lib)
        return libs
    if sub == b"stats" and isinstance(reply, list):
        out = _map(reply)
        if isinstance(out.get(b"running_script"), list):
            out[b"running_script"] = _map(out[b"running_script"])
        if isinstance(out.get(b"engines"), list):
            out[b"engines"] = {k: _map(v) for k, v in _map(out[b"engines"]).items()}
        return out
    return reply


RESP3: dict[bytes, Callable[[Argv, Any], Any]] = {
    b"hgetall": lambda a, r: _map(r),
    b"config": lambda a, r: _map(r) if len(a) > 1 and a[1].lower() == b"get" else r,
    b"smembers": lambda a, r: _Resp3Set(r),
    b"sinter": lambda a, r: _Resp3Set(r),
    b"sunion": lambda a, r: _Resp3Set(r),
    b"sdiff": lambda a, r: _Resp3Set(r),
    b"spop": lambda a, r: _Resp3Set(r) if len(a) > 2 else r,
    b"hrandfield": lambda a, r: _pairs(r, lambda v: v) if _has(a, b"WITHVALUES") else r,
    b"zscore": lambda a, r: _double(r),
    b"zincrby": lambda a, r: _double(r),
    b"zadd": lambda a, r: _double(r) if _has(a, b"INCR") else r,
    b"zmscore": lambda a, r: [_double(x) for x in r] if isinstance(r, list) else r,
    b"zrange": _withscores,
    b"zrangebyscore": _withscores,
    b"zrevrange": _withscores,
    b"zrevrangebyscore": _withscores,
    b"zunion": _withscores,
    b"zinter": _withscores,
    b"zdiff": _withscores,
    b"zrandmember": _withscores,
    b"zpopmin": _zpop,
    b"zpopmax": _zpop,
    b"bzpopmin": _bzpop,
    b"bzpopmax": _bzpop,
    b"zmpop": _zmpop,
    b"bzmpop": _zmpop,
    b"lcs": _lcs,
    b"xread": _xread,
    b"xreadgroup": _xread,
    b"xinfo": _xinfo,
    b"geopos": _geo_coords,
    b"geosearch": _geo_search,
    b"georadius": _geo_search,
    b"georadius_ro": _geo_search,
    b"georadiusbymember": _geo_search,
    b"georadiusbymember_ro": _geo_search,
    b"memory": _memory,
    b"command": _command,
    b"function": _function,
    b"debug": _debug,
}


def convert(argv: Argv, reply: Any) -> Any:
    """`reply` of the command `argv` in its RESP3 shape (unchanged if it has none)."""
    conv = RESP3.get(argv[0].lower()) if argv else None
    if conv is None or reply is None:
        return reply
    try:
        return conv(argv, reply)
    except (TypeError, ValueError, IndexError, AttributeError):  # an unexpected shape: leave it
        return reply
