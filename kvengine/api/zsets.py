"""redis-py's sorted set methods, blocking pops included.

Each method builds the arguments redis-py builds (same option words, same order,
same DataErrors before anything is sent) and shapes the reply with redis-py's
RESP2 response callback for that command (kvengine.api.callbacks), so results
compare equal to redis-py's against a real server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from kvengine import exceptions as e
from kvengine.api.base import SLOW, ApiBase, EncodableT, KeyT, list_or_args
from kvengine.api.callbacks import CALLBACKS
from kvengine.commands import TABLE
from kvengine.t_zset import ZSet

_ZSCORE = TABLE[b"zscore"]

ScoreCast = type | Callable[[Any], Any]


def _range_args(
    name: Any, lo: Any, hi: Any, start: int | None, num: int | None, withscores: bool = False
) -> list[Any]:
    """The arguments of the *RANGEBYSCORE / *RANGEBYLEX commands, checked as redis-py does."""
    if (start is None) != (num is None):
        raise e.DataError("``start`` and ``num`` must both be specified")
    pieces: list[Any] = [name, lo, hi]
    if start is not None:
        pieces += [b"LIMIT", start, num]
    if withscores:
        pieces.append(b"WITHSCORES")
    return pieces


class SortedSetCommands(ApiBase):
    """ZADD, ZRANGE, BZPOPMIN and friends, with redis-py's signatures."""

    def _zcmd(self, name: bytes, *args: Any, **options: Any) -> Any:
        """Run `name` and apply redis-py's response callback for it."""
        reply = self._x(name, *args)
        cb = CALLBACKS.get(name.decode())
        return reply if cb is None else cb(reply, **options)

    # -- adding, scoring, removing -------------------------------------------------------------
    def zadd(
        self,
        name: KeyT,
        mapping: Mapping[Any, EncodableT],
        nx: bool = False,
        xx: bool = False,
        ch: bool = False,
        incr: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> Any:
        """Add members with scores ({member: score}); the number added (changed with
        `ch`), or the new score (None if not applied) with `incr`."""
        if not mapping:
            raise e.DataError("ZADD requires at least one element/score pair")
        if nx and xx:
            raise e.DataError("ZADD allows either 'nx' or 'xx', not both")
        if gt and lt:
            raise e.DataError("ZADD allows either 'gt' or 'lt', not both")
        if incr and len(mapping) != 1:
            raise e.DataError("ZADD option 'incr' only works when passing a single element/score pair")
        if nx and (gt or lt):
            raise e.DataError("Only one of 'nx', 'lt', or 'gr' may be defined.")
        pieces: list[Any] = []
        if nx:
            pieces.append(b"NX")
        if xx:
            pieces.append(b"XX")
        if ch:
            pieces.append(b"CH")
        if incr:
            pieces.append(b"INCR")
        if gt:
            pieces.append(b"GT")
        if lt:
            pieces.append(b"LT")
        for member, score in mapping.items():
            pieces += [score, member]
        return self._zcmd(b"ZADD", name, *pieces, as_score=incr)

    def zincrby(self, name: KeyT, amount: float, value: EncodableT) -> float | None:
        """Add `amount` to the score of `value`; return the new score."""
        return self._zcmd(b"ZINCRBY", name, amount, value)  # type: ignore[no-any-return]

    def zrem(self, name: KeyT, *values: EncodableT) -> int:
        """Remove members; return how many were there."""
        return self._x(b"ZREM", name, *values)  # type: ignore[no-any-return]

    def zcard(self, name: KeyT) -> int:
        """Number of members."""
        return self._x(b"ZCARD", name)  # type: ignore[no-any-return]

    def zscore(self, name: KeyT, value: EncodableT) -> float | None:
        """The score of `value`, or None."""
        k = name if type(name) is bytes else self._enc(name)
        m = value if type(value) is bytes else self._enc(value)
        score = self._read_container(_ZSCORE, k, ZSet, ZSet.score, m)
        if score is SLOW:
            return self._zcmd(b"ZSCORE", k, m)  # type: ignore[no-any-return]
        return score  # type: ignore[no-any-return]  # float(format_double(x)) == x

    def zmscore(self, key: KeyT, members: list[Any]) -> list[float | None]:
        """The scores of several members (None for absent ones)."""
        if not members:
            raise e.DataError("ZMSCORE members must be a non-empty list")
        return self._zcmd(b"ZMSCORE", key, *members)  # type: ignore[no-any-return]

    def zcount(self, name: KeyT, min: Any, max: Any) -> int:  # noqa: A002 - redis-py's names
        """Members with min <= score <= max (``(`` for exclusive, ``-inf``/``+inf``)."""
        return self._x(b"ZCOUNT", name, min, max)  # type: ignore[no-any-return]

    def zlexcount(self, name: KeyT, min: EncodableT, max: EncodableT) -> int:  # noqa: A002
        """Members between two lex bounds (``[a``, ``(a``, ``-``, ``+``)."""
        return self._x(b"ZLEXCOUNT", name, min, max)  # type: ignore[no-any-return]

    def zrank(
        self, name: KeyT, value: EncodableT, withscore: bool = False, score_cast_func: ScoreCast = float
    ) -> Any:
        """0-based rank of `value` by ascending score, or None (WITHSCORE needs Redis 7.2)."""
        pieces: list[Any] = [name, value]
        if withscore:
            pieces.append(b"WITHSCORE")
        return self._zcmd(b"ZRANK", *pieces, withscore=withscore, score_cast_func=score_cast_func)

    def zrevrank(
        self, name: KeyT, value: EncodableT, withscore: bool = False, score_cast_func: ScoreCast = float
    ) -> Any:
        """0-based rank of `value` by descending score, or None."""
        pieces: list[Any] = [name, value]
        if withscore:
            pieces.append(b"WITHSCORE")
        return self._zcmd(b"ZREVRANK", *pieces, withscore=withscore, score_cast_func=score_cast_func)

    def zremrangebyrank(self, name: KeyT, min: int, max: int) -> int:  # noqa: A002
        """Remove the members with rank between min and max; return how many."""
        return self._x(b"ZREMRANGEBYRANK", name, min, max)  # type: ignore[no-any-return]

    def zremrangebyscore(self, name: KeyT, min: Any, max: Any) -> int:  # noqa: A002
        """Remove the members with score between min and max; return how many."""
        return self._x(b"ZREMRANGEBYSCORE", name, min, max)  # type: ignore[no-any-return]

    def zremrangebylex(self, name: KeyT, min: EncodableT, max: EncodableT) -> int:  # noqa: A002
        """Remove the members between two lex bounds; return how many."""
        return self._x(b"ZREMRANGEBYLEX", name, min, max)  # type: ignore[no-any-return]

    # -- ranges -------------------------------------------------------------------------------
    def _zrange(
        self,
        command: bytes,
        dest: KeyT | None,
        name: KeyT,
        start: EncodableT,
        end: EncodableT,
        desc: bool = False,
        byscore: bool = False,
        bylex: bool = False,
        withscores: bool = False,
        score_cast_func: ScoreCast | None = float,
        offset: int | None = None,
        num: int | None = None,
    ) -> Any:
        if byscore and bylex:
            raise e.DataError("``byscore`` and ``bylex`` can not be specified together.")
        if (offset is not None and num is None) or (num is not None and offset is None):
            raise e.DataError("``offset`` and ``num`` must both be specified.")
        if bylex and withscores:
            raise e.DataError("``withscores`` not supported in combination with ``bylex``.")
        pieces: list[Any] = []
        if dest:
            pieces.append(dest)
        pieces += [name, start, end]
        if byscore:
            pieces.append(b"BYSCORE")
        if bylex:
            pieces.append(b"BYLEX")
        if desc:
            pieces.append(b"REV")
        if offset is not None and num is not None:
            pieces += [b"LIMIT", offset, num]
        if withscores:
            pieces.append(b"WITHSCORES")
        return self._zcmd(command, *pieces, withscores=withscores, score_cast_func=score_cast_func)

    def zrange(
        self,
        name: KeyT,
        start: EncodableT,
        end: EncodableT,
        desc: bool = False,
        withscores: bool = False,
        score_cast_func: ScoreCast = float,
        byscore: bool = False,
        bylex: bool = False,
        offset: int | None = None,
        num: int | None = None,
    ) -> list[Any]:
        """Members by rank (or by score/lex), [(member, score)] with `withscores`."""
        if not byscore and not bylex and offset is None and num is None and desc:
            return self.zrevrange(name, start, end, withscores, score_cast_func)  # type: ignore[arg-type]
        return self._zrange(  # type: ignore[no-any-return]
            b"ZRANGE", None, name, start, end, desc, byscore, bylex, withscores, score_cast_func, offset, num
        )

    def zrevrange(
        self, name: KeyT, start: int, end: int, withscores: bool = False, score_cast_func: ScoreCast = float
    ) -> list[Any]:
        """Members by descending rank."""
        pieces: list[Any] = [name, start, end]
        if withscores:
            pieces.append(b"WITHSCORES")
        return self._zcmd(  # type: ignore[no-any-return]
            b"ZREVRANGE", *pieces, withscores=withscores, score_cast_func=score_cast_func
        )

    def zrangestore(
        self,
        dest: KeyT,
        name: KeyT,
        start: EncodableT,
        end: EncodableT,
        byscore: bool = False,
        bylex: bool = False,
        desc: bool = False,
        offset: int | None = None,
        num: int | None = None,
    ) -> int:
        """Store a ZRANGE result in `dest`; return its size."""
        return self._zrange(  # type: ignore[no-any-return]
            b"ZRANGESTORE", dest, name, start, end, desc, byscore, bylex, False, None, offset, num
        )

    def zrangebylex(
        self, name: KeyT, min: EncodableT, max: EncodableT,  # noqa: A002
        start: int | None = None, num: int | None = None,
    ) -> list[Any]:
        """Members between two lex bounds (a slice with start/num)."""
        pieces = _range_args(name, min, max, start, num)
        return self._x(b"ZRANGEBYLEX", *pieces)  # type: ignore[no-any-return]

    def zrevrangebylex(
        self, name: KeyT, max: EncodableT, min: EncodableT,  # noqa: A002
        start: int | None = None, num: int | None = None,
    ) -> list[Any]:
        """Members between two lex bounds, highest first."""
        pieces = _range_args(name, max, min, start, num)
        return self._x(b"ZREVRANGEBYLEX", *pieces)  # type: ignore[no-any-return]

    def zrangebyscore(
        self,
        name: KeyT,
        min: Any,  # noqa: A002
        max: Any,  # noqa: A002
        start: int | None = None,
        num: int | None = None,
        withscores: bool = False,
        score_cast_func: ScoreCast = float,
    ) -> list[Any]:
        """Members with min <= score <= max (a slice with start/num)."""
        pieces = _range_args(name, min, max, start, num, withscores)
        return self._zcmd(  # type: ignore[no-any-return]
            b"ZRANGEBYSCORE", *pieces, withscores=withscores, score_cast_func=score_cast_func
        )

    def zrevrangebyscore(
        self,
        name: KeyT,
        max: Any,  # noqa: A002
        min: Any,  # noqa: A002
        start: int | None = None,
        num: int | None = None,
        withscores: bool = False,
        score_cast_func: ScoreCast = float,
    ) -> list[Any]:
        """Members with max >= score >= min, highest first."""
        pieces = _range_args(name, max, min, start, num, withscores)
        return self._zcmd(  # type: ignore[no-any-return]
            b"ZREVRANGEBYSCORE", *pieces, withscores=withscores, score_cast_func=score_cast_func
        )

    # -- pops -----------------------------------------------------------------------------------
    def zpopmin(self, name: KeyT, count: int | None = None) -> list[Any]:
        """Remove and return the lowest-scored members as [(member, score)]."""
        args = [count] if count is not None else []
        return self._zcmd(b"ZPOPMIN", name, *args, withscores=True)  # type: ignore[no-any-return]

    def zpopmax(self, name: KeyT, count: int | None = None) -> list[Any]:
        """Remove and return the highest-scored members as [(member, score)]."""
        args = [count] if count is not None else []
        return self._zcmd(b"ZPOPMAX", name, *args, withscores=True)  # type: ignore[no-any-return]

    def bzpopmin(self, keys: Any, timeout: float | None = 0) -> tuple[Any, Any, float] | None:
        """ZPOPMIN from the first non-empty set, waiting up to `timeout` s (0: forever);
        (key, member, score) or None."""
        args = list_or_args(keys, ())
        args.append(0 if timeout is None else timeout)
        return self._zcmd(b"BZPOPMIN", *args)  # type: ignore[no-any-return]

    def bzpopmax(self, keys: Any, timeout: float | None = 0) -> tuple[Any, Any, float] | None:
        """ZPOPMAX from the first non-empty set, waiting up to `timeout` s (0: forever)."""
        args = list_or_args(keys, ())
        args.append(0 if timeout is None else timeout)
        return self._zcmd(b"BZPOPMAX", *args)  # type: ignore[no-any-return]

    def zmpop(
        self,
        num_keys: int,
        keys: list[Any],
        min: bool | None = False,  # noqa: A002
        max: bool | None = False,  # noqa: A002
        count: int | None = 1,
    ) -> Any:
        """Pop up to `count` members from the first non-empty set: [key, [[member, score]]]."""
        args: list[Any] = [num_keys, *keys]
        if (min and max) or (not min and not max):
            raise e.DataError
        args.append(b"MIN" if min else b"MAX")
        if count != 1:
            args += [b"COUNT", count]
        return self._x(b"ZMPOP", *args)

    def bzmpop(
        self,
        timeout: float,
        numkeys: int,
        keys: list[Any],
        min: bool | None = False,  # noqa: A002
        max: bool | None = False,  # noqa: A002
        count: int | None = 1,
    ) -> Any:
        """ZMPOP, waiting up to `timeout` s for a member to pop."""
        args: list[Any] = [timeout, numkeys, *keys]
        if (min and max) or (not min and not max):
            raise e.DataError("Either min or max, but not both must be set")
        args.append(b"MIN" if min else b"MAX")
        args += [b"COUNT", count]
        return self._x(b"BZMPOP", *args)

    def zrandmember(self, key: KeyT, count: int | None = None, withscores: bool = False) -> Any:
        """Random members (repetitions allowed for a negative count); a flat
        [member, score, ...] list with `withscores`, as redis-py returns it."""
        params: list[Any] = []
        if count is not None:
            params.append(count)
        if withscores:
            params.append(b"WITHSCORES")
        return self._x(b"ZRANDMEMBER", key, *params)

    # -- set algebra ----------------------------------------------------------------------------
    def _zaggregate(
        self,
        command: bytes,
        dest: KeyT | None,
        keys: Sequence[KeyT] | Mapping[Any, float],
        aggregate: str | None = None,
        **options: Any,
    ) -> Any:
        pieces: list[Any] = []
        if dest is not None:
            pieces.append(dest)
        pieces.append(len(keys))
        weights: Any = None
        if isinstance(keys, dict):
            keys, weights = keys.keys(), keys.values()  # type: ignore[assignment]
        pieces.extend(keys)
        if weights:
            pieces.append(b"WEIGHTS")
            pieces.extend(weights)
        if aggregate:
            if aggregate.upper() in ("SUM", "MIN", "MAX", "COUNT"):
                pieces += [b"AGGREGATE", aggregate]
            else:
                raise e.DataError("aggregate can be sum, min, max or count.")
        if options.get("withscores", False):
            pieces.append(b"WITHSCORES")
        return self._zcmd(command, *pieces, **options)

    def zunion(
        self,
        keys: Sequence[KeyT] | Mapping[Any, float],
        aggregate: str | None = None,
        withscores: bool = False,
        score_cast_func: ScoreCast = float,
    ) -> list[Any]:
        """Union of sorted sets (a dict gives weights); [(member, score)] with scores."""
        return self._zaggregate(  # type: ignore[no-any-return]
            b"ZUNION", None, keys, aggregate, withscores=withscores, score_cast_func=score_cast_func
        )

    def zinter(
        self, keys: Sequence[KeyT] | Mapping[Any, float], aggregate: str | None = None, withscores: bool = False
    ) -> list[Any]:
        """Intersection of sorted sets."""
        return self._zaggregate(b"ZINTER", None, keys, aggregate, withscores=withscores)  # type: ignore[no-any-return]

    def zdiff(self, keys: Sequence[KeyT], withscores: bool = False) -> list[Any]:
        """Members of the first set not in the others (flat [member, score, ...] with
        scores: redis-py applies no conversion to ZDIFF)."""
        pieces: list[Any] = [len(keys), *keys]
        if withscores:
            pieces.append(b"WITHSCORES")
        return self._zcmd(b"ZDIFF", *pieces, withscores=withscores)  # type: ignore[no-any-return]

    def zunionstore(
        self, dest: KeyT, keys: Sequence[KeyT] | Mapping[Any, float], aggregate: str | None = None
    ) -> int:
        """Store the union in `dest`; return its size."""
        return self._zaggregate(b"ZUNIONSTORE", dest, keys, aggregate)  # type: ignore[no-any-return]

    def zinterstore(
        self, dest: KeyT, keys: Sequence[KeyT] | Mapping[Any, float], aggregate: str | None = None
    ) -> int:
        """Store the intersection in `dest`; return its size."""
        return self._zaggregate(b"ZINTERSTORE", dest, keys, aggregate)  # type: ignore[no-any-return]

    def zdiffstore(self, dest: KeyT, keys: Sequence[KeyT]) -> int:
        """Store the difference in `dest`; return its size."""
        return self._x(b"ZDIFFSTORE", dest, len(keys), *keys)  # type: ignore[no-any-return]

    def zintercard(self, numkeys: int, keys: list[Any], limit: int = 0) -> int:
        """Size of the intersection, stopping at `limit` (0: no limit)."""
        return self._x(b"ZINTERCARD", numkeys, *keys, b"LIMIT", limit)  # type: ignore[no-any-return]

    # -- iteration --------------------------------------------------------------------------------
    def zscan(
        self,
        name: KeyT,
        cursor: int = 0,
        match: KeyT | None = None,
        count: int | None = None,
        score_cast_func: ScoreCast = float,
    ) -> tuple[int, list[tuple[Any, Any]]]:
        """One ZSCAN step: (cursor, [(member, score)])."""
        pieces: list[Any] = [name, cursor]
        if match is not None:
            pieces += [b"MATCH", match]
        if count is not None:
            pieces += [b"COUNT", count]
        return self._zcmd(b"ZSCAN", *pieces, score_cast_func=score_cast_func)  # type: ignore[no-any-return]

    def zscan_iter(
        self,
        name: KeyT,
        match: KeyT | None = None,
        count: int | None = None,
        score_cast_func: ScoreCast = float,
    ) -> Iterator[tuple[Any, Any]]:
        """Iterate over (member, score) pairs with ZSCAN."""
        cursor: Any = "0"
        while cursor != 0:
            cursor, data = self.zscan(name, cursor=cursor, match=match, count=count,
                                      score_cast_func=score_cast_func)
            yield from data
