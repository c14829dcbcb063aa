"""redis-py's RESP2 response callbacks, for ``execute_command`` by name.

The typed methods in this package apply their conversion inline; this table gives
``execute_command("SET", ...)`` the same result redis-py's client would return.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any


def bool_ok(reply: Any, **options: Any) -> bool:
    """``OK`` -> True (errors are raised before callbacks run)."""
    return reply in (b"OK", "OK")


def as_bool(reply: Any, **options: Any) -> bool:
    """Integer reply -> bool."""
    return bool(reply)


def as_float(reply: Any, **options: Any) -> float | None:
    """Bulk double -> float (None stays None)."""
    return None if reply is None else float(reply)


def as_set(reply: Any, **options: Any) -> set[Any]:
    """Array -> set."""
    return set(reply) if reply else set()


def pairs_to_dict(reply: Any, **options: Any) -> dict[Any, Any]:
    """Flat [k1, v1, k2, v2] -> {k1: v1, k2: v2}."""
    if not reply:
        return {}
    it = iter(reply)
    return dict(zip(it, it))


def parse_set_result(reply: Any, **options: Any) -> Any:
    """SET: True/None, or the old value with GET."""
    if options.get("get"):
        return reply
    return reply is not None and bool_ok(reply)


def parse_scan(reply: Any, **options: Any) -> tuple[int, Any]:
    """SCAN/SSCAN: (int cursor, keys)."""
    cursor, items = reply
    return int(cursor), items


def parse_hscan(reply: Any, **options: Any) -> tuple[int, Any]:
    """HSCAN: (int cursor, {field: value}) or list of fields with no_values."""
    cursor, items = reply
    if options.get("no_values"):
        return int(cursor), items or []
    return int(cursor), pairs_to_dict(items)


def _score_cast(options: dict[str, Any]) -> Callable[[Any], Any]:
    """redis-py's _wrap_score_cast_func: a custom cast that refuses the reply's
    string (``int(b"1.5")``) is retried on its float value."""
    cast: Callable[[Any], Any] = options.get("score_cast_func", float) or float
    if cast is float:
        return cast

    def safe_cast(x: Any) -> Any:
        try:
            return cast(x)
        except (ValueError, TypeError):
            return cast(float(x))

    return safe_cast


def zset_score_pairs(reply: Any, **options: Any) -> Any:
    """WITHSCORES replies -> [(member, score)] with score_cast_func (float by default)."""
    if not reply or not options.get("withscores"):
        return reply
    cast = _score_cast(options)
    it = iter(reply)
    return [(member, cast(score)) for member, score in zip(it, it)]


def zpop_score_pairs(reply: Any, **options: Any) -> Any:
    """ZPOPMIN/ZPOPMAX -> [(member, score)] (always with scores)."""
    if not reply:
        return reply
    cast = _score_cast(options)
    it = iter(reply)
    return [(member, cast(score)) for member, score in zip(it, it)]


def parse_zscan(reply: Any, **options: Any) -> tuple[int, Any]:
    """ZSCAN: (int cursor, [(member, score)])."""
    cursor, items = reply
    cast = _score_cast(options)
    it = iter(items)
    return int(cursor), [(member, cast(score)) for member, score in zip(it, it)]


def zset_score_for_rank(reply: Any, **options: Any) -> Any:
    """ZRANK/ZREVRANK WITHSCORE -> [rank, score] (Redis 7.2+; 7.0 refuses WITHSCORE)."""
    if not reply or not options.get("withscore"):
        return reply
    return [reply[0], _score_cast(options)(reply[1])]


def parse_zadd(reply: Any, **options: Any) -> Any:
    """ZADD: int, or float score with INCR (``as_score``)."""
    if reply is None:
        return None
    if options.get("as_score"):
        return float(reply)
    return int(reply)


def parse_zmscore(reply: Any, **options: Any) -> Any:
    """ZMSCORE -> [float | None]."""
    return [None if s is None else float(s) for s in reply]


def pop_tuple(reply: Any, **options: Any) -> Any:
    """BLPOP/BRPOP -> (key, value) or None."""
    return tuple(reply) if reply else None


def sort_return_tuples(reply: Any, **options: Any) -> Any:
    """SORT with ``groups=n``: the flat reply as n-tuples."""
    if not reply or not options.get("groups"):
        return reply
    n = options["groups"]
    return list(zip(*[reply[i::n] for i in range(n)]))


def bzpop(reply: Any, **options: Any) -> Any:
    """BZPOPMIN/BZPOPMAX -> (key, member, float score) or None."""
    return (reply[0], reply[1], float(reply[2])) if reply else None


CALLBACKS: dict[str, Callable[..., Any]] = {
    **{name: as_bool for name in (
        "COPY EXPIRE EXPIREAT PEXPIRE PEXPIREAT PERSIST MOVE MSETNX RENAMENX SETNX SMOVE "
        "HEXISTS HMSET PSETEX SETEX"
    ).split()},
    **{name: bool_ok for name in (
        "FLUSHALL FLUSHDB MSET RENAME SELECT SWAPDB LSET LTRIM SAVE WATCH UNWATCH"
    ).split()},
    **{name: as_float for name in "INCRBYFLOAT HINCRBYFLOAT ZINCRBY ZSCORE".split()},
    **{name: as_set for name in "SDIFF SINTER SMEMBERS SUNION".split()},
    **{name: zset_score_pairs for name in (
        "ZRANGE ZRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE ZUNION ZINTER"
    ).split()},
    "CONFIG GET": pairs_to_dict,
    "CONFIG SET": bool_ok,
    "CONFIG RESETSTAT": bool_ok,
    "HGETALL": pairs_to_dict,
    "SET": parse_set_result,
    "SCAN": parse_scan,
    "SSCAN": parse_scan,
    "HSCAN": parse_hscan,
    "ZSCAN": parse_zscan,
    "ZPOPMIN": zpop_score_pairs,
    "ZPOPMAX": zpop_score_pairs,
    "ZRANK": zset_score_for_rank,
    "ZREVRANK": zset_score_for_rank,
    "ZADD": parse_zadd,
    "ZMSCORE": parse_zmscore,
    "BLPOP": pop_tuple,
    "BRPOP": pop_tuple,
    "BZPOPMIN": bzpop,
    "BZPOPMAX": bzpop,
    "SORT": sort_return_tuples,
    "LASTSAVE": lambda r, **o: datetime.datetime.fromtimestamp(r),
    "PING": lambda r, **o: r in (b"PONG", "PONG"),
    "TIME": lambda r, **o: (int(r[0]), int(r[1])),
    "SCRIPT EXISTS": lambda r, **o: [bool(x) for x in r],
    "SCRIPT FLUSH": bool_ok,
    "SCRIPT KILL": bool_ok,
    "SCRIPT LOAD": lambda r, **o: r.decode() if isinstance(r, bytes) else r,
    "BGSAVE": lambda r, **o: True,
    "BGREWRITEAOF": lambda r, **o: True,
}
