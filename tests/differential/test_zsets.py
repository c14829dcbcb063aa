"""Sorted set commands against a real redis-server: replies, errors, encodings, shapes."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

redis = pytest.importorskip("redis")

BIG = [str(i) for i in range(1, 201)]  # 200 members: a skiplist in Redis 7.0


def _pairs(n: int, prefix: str = "m", score: Any = None) -> list[str]:
    out: list[str] = []
    for i in range(n):
        out += [str(i if score is None else score), f"{prefix}{i}"]
    return out


CASES: dict[str, list[tuple[str, ...]]] = {
    "zadd-basics": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"), ("ZCARD", "z"), ("ZCARD", "nope"),
        ("ZSCORE", "z", "b"), ("ZSCORE", "z", "x"), ("ZSCORE", "nope", "x"), ("ZMSCORE", "z", "a", "x", "c"),
        ("ZMSCORE", "nope", "a", "b"), ("ZADD", "z", "5", "a", "9", "d"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZADD", "z", "CH", "5", "a", "6", "b", "7", "e"), ("ZADD", "z", "1", "a", "1", "a", "2", "a"),
        ("ZSCORE", "z", "a"), ("ZADD", "z", "nx", "100", "a", "100", "f"), ("ZADD", "z", "XX", "100", "a", "100", "g"),
        ("ZADD", "z", "XX", "CH", "101", "a", "100", "g"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZADD", "z", "GT", "CH", "50", "a", "200", "b", "1", "new"), ("ZADD", "z", "LT", "CH", "50", "a", "500", "b"),
        ("ZADD", "z", "GT", "XX", "CH", "1000", "a", "1", "zz"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZADD", "z", "Nx", "xX", "1", "a"), ("ZADD", "z", "ch", "ch", "1", "a"),
    ],
    "zadd-incr": [
        ("ZADD", "z", "INCR", "1", "a"), ("ZADD", "z", "INCR", "2.5", "a"), ("ZADD", "z", "NX", "INCR", "1", "a"),
        ("ZADD", "z", "NX", "INCR", "1", "b"), ("ZADD", "z", "XX", "INCR", "1", "c"), ("ZADD", "z", "XX", "INCR", "1", "a"),
        ("ZADD", "z", "GT", "INCR", "-1", "a"), ("ZADD", "z", "GT", "INCR", "0", "a"), ("ZADD", "z", "LT", "INCR", "-1", "a"),
        ("ZADD", "z", "LT", "INCR", "1", "a"), ("ZADD", "z", "GT", "INCR", "5", "new"), ("ZADD", "z", "CH", "INCR", "1", "a"),
        ("ZADD", "missing", "XX", "INCR", "1", "a"), ("EXISTS", "missing"), ("ZADD", "missing", "XX", "1", "a"),
        ("EXISTS", "missing"), ("ZINCRBY", "z", "10", "a"), ("ZINCRBY", "z", "-0.1", "q"), ("ZINCRBY", "z", "inf", "a"),
        ("ZINCRBY", "z", "1", "a"), ("ZINCRBY", "z", "-inf", "a"), ("ZADD", "z", "INCR", "-inf", "a"),
        ("ZSCORE", "z", "a"), ("ZINCRBY", "z2", "5", "m"), ("TYPE", "z2"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    ],
    "score-formats": [
        ("ZADD", "z", "0.1", "a", "1e20", "b", "9007199254740993", "c", "-0.0", "d", "1.5e-7", "e", "0x1p-3", "f",
         "+inf", "g", "-INF", "h", "123456789012345678", "i", "4e-320", "j", "3.0", "k", "1e16", "l", "-1e-300", "m"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZSCORE", "z", "a"), ("ZSCORE", "z", "d"), ("ZSCORE", "z", "g"),
        ("ZMSCORE", "z", "b", "h", "j"), ("ZINCRBY", "z", "0.2", "a"), ("ZINCRBY", "z", "0", "d"),
        ("ZADD", "z", "INCR", "-0", "nz"), ("ZSCORE", "z", "nz"), ("ZPOPMAX", "z", "3"), ("ZPOPMIN", "z", "2"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZADD", "skip", "-0", "x" * 70, "0", "a", "-0", "b"), ("ZRANGE", "skip", "0", "-1", "WITHSCORES"),
        ("ZADD", "skip", "0", "x" * 70), ("ZSCORE", "skip", "x" * 70), ("ZINCRBY", "skip", "-0", "c"),
        ("ZRANGE", "skip", "0", "-1", "WITHSCORES"),
    ],
    "rank-and-rem": [
        ("ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d"), ("ZRANK", "z", "a"), ("ZRANK", "z", "c"),
        ("ZREVRANK", "z", "a"), ("ZREVRANK", "z", "d"), ("ZRANK", "z", "x"), ("ZRANK", "nope", "a"),
        ("ZREVRANK", "nope", "a"), ("ZREM", "z", "a", "x", "a"), ("ZREM", "nope", "a"), ("ZREM", "z", "b", "c", "d"),
        ("EXISTS", "z"),
    ],
    "ranges-by-rank": [
        ("ZADD", "z", *_pairs(6)), ("ZRANGE", "z", "0", "-1"), ("ZRANGE", "z", "2", "3", "WITHSCORES"),
        ("ZRANGE", "z", "-2", "-1"), ("ZRANGE", "z", "-100", "100"), ("ZRANGE", "z", "4", "2"),
        ("ZRANGE", "z", "6", "10"), ("ZRANGE", "z", "0", "-7"), ("ZRANGE", "z", "0", "0", "REV"),
        ("ZRANGE", "z", "1", "3", "REV", "WITHSCORES"), ("ZREVRANGE", "z", "0", "-1"),
        ("ZREVRANGE", "z", "1", "2", "WITHSCORES"), ("ZREVRANGE", "z", "-1", "-1"), ("ZRANGE", "nope", "0", "-1"),
        ("ZREVRANGE", "nope", "0", "-1"), ("ZRANGE", "z", "0", "-1", "withscores", "withscores"),
    ],
    "ranges-by-score": [
        ("ZADD", "z", "1", "a", "2", "b", "2", "c", "3", "d", "inf", "e", "-inf", "f", "2.5", "g"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf"), ("ZRANGEBYSCORE", "z", "(1", "3", "WITHSCORES"),
        ("ZRANGEBYSCORE", "z", "2", "(3"), ("ZRANGEBYSCORE", "z", "(2", "(2.5"), ("ZRANGEBYSCORE", "z", "3", "1"),
        ("ZRANGEBYSCORE", "z", "2", "2"), ("ZRANGEBYSCORE", "z", "(2", "2"), ("ZRANGEBYSCORE", "z", "(inf", "inf"),
        ("ZRANGEBYSCORE", "z", "inf", "inf"), ("ZRANGEBYSCORE", "z", "-inf", "(-inf"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "3"), ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0", "0"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "3"), ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "2", "-1"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "7", "1"), ("ZRANGEBYSCORE", "z", "1", "3", "LIMIT", "5", "1"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2", "LIMIT", "2", "2"),
        ("ZREVRANGEBYSCORE", "z", "+inf", "-inf"), ("ZREVRANGEBYSCORE", "z", "3", "(1", "WITHSCORES"),
        ("ZREVRANGEBYSCORE", "z", "1", "3"), ("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2"),
        ("ZREVRANGEBYSCORE", "z", "2.5", "2", "LIMIT", "1", "-5"), ("ZRANGE", "z", "(1", "3", "BYSCORE"),
        ("ZRANGE", "z", "3", "(1", "BYSCORE", "REV", "LIMIT", "1", "1", "WITHSCORES"),
        ("ZRANGE", "z", "1", "3", "REV", "BYSCORE"), ("ZCOUNT", "z", "-inf", "+inf"), ("ZCOUNT", "z", "(2", "3"),
        ("ZCOUNT", "z", "2", "2"), ("ZCOUNT", "z", "5", "1"), ("ZCOUNT", "nope", "1", "2"),
        ("ZCOUNT", "z", "", ""), ("ZCOUNT", "z", "(", "3"), ("ZCOUNT", "z", " 2", "\t3"), ("ZCOUNT", "z", "1e400", "inf"),
        ("ZCOUNT", "z", "0x2", "0X3"), ("ZRANGEBYSCORE", "nope", "1", "2"),
    ],
    "ranges-by-lex": [
        ("ZADD", "z", *_pairs(8, "m", 0), "0", "a", "0", "b", "0", "c", "0", "", "0", "ab"),
        ("ZRANGEBYLEX", "z", "-", "+"), ("ZRANGEBYLEX", "z", "[a", "(b"), ("ZRANGEBYLEX", "z", "(a", "[m3"),
        ("ZRANGEBYLEX", "z", "[m", "+", "LIMIT", "2", "3"), ("ZRANGEBYLEX", "z", "-", "+", "LIMIT", "-1", "2"),
        ("ZRANGEBYLEX", "z", "-", "[", "LIMIT", "0", "5"), ("ZRANGEBYLEX", "z", "[", "(a"), ("ZRANGEBYLEX", "z", "+", "-"),
        ("ZRANGEBYLEX", "z", "-", "-"), ("ZRANGEBYLEX", "z", "+", "+"), ("ZRANGEBYLEX", "z", "[b", "[a"),
        ("ZRANGEBYLEX", "z", "(b", "(b"), ("ZRANGEBYLEX", "z", "[b", "[b"), ("ZREVRANGEBYLEX", "z", "+", "-"),
        ("ZREVRANGEBYLEX", "z", "(m5", "[b", "LIMIT", "1", "2"), ("ZREVRANGEBYLEX", "z", "-", "+"),
        ("ZRANGE", "z", "[a", "[c", "BYLEX"), ("ZRANGE", "z", "[c", "[a", "BYLEX", "REV", "LIMIT", "0", "2"),
        ("ZLEXCOUNT", "z", "-", "+"), ("ZLEXCOUNT", "z", "[a", "(m"), ("ZLEXCOUNT", "z", "(m7", "+"),
        ("ZLEXCOUNT", "nope", "-", "+"), ("ZRANGEBYLEX", "nope", "-", "+"),
    ],
    "lex-with-mixed-scores": [
        ("ZADD", "z", "1", "c", "2", "a", "3", "d", "4", "b", "5", "e"), ("ZRANGEBYLEX", "z", "-", "+"),
        ("ZRANGEBYLEX", "z", "[a", "[c"), ("ZRANGEBYLEX", "z", "[b", "+"), ("ZREVRANGEBYLEX", "z", "[c", "[a"),
        ("ZREVRANGEBYLEX", "z", "+", "[b"), ("ZRANGEBYLEX", "z", "[a", "[c", "LIMIT", "2", "1"),
        ("ZRANGEBYLEX", "z", "-", "[c", "LIMIT", "1", "-1"), ("ZREVRANGEBYLEX", "z", "[d", "-", "LIMIT", "1", "5"),
        ("ZLEXCOUNT", "z", "[a", "[c"), ("ZLEXCOUNT", "z", "[d", "+"), ("ZREMRANGEBYLEX", "z", "[a", "[c"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    ],
    "remove-ranges": [
        ("ZADD", "z", *_pairs(10)), ("ZREMRANGEBYRANK", "z", "0", "1"), ("ZREMRANGEBYRANK", "z", "-2", "-1"),
        ("ZREMRANGEBYRANK", "z", "5", "1"), ("ZREMRANGEBYRANK", "z", "10", "20"), ("ZRANGE", "z", "0", "-1"),
        ("ZREMRANGEBYSCORE", "z", "(2", "4"), ("ZREMRANGEBYSCORE", "z", "100", "200"), ("ZRANGE", "z", "0", "-1"),
        ("ZREMRANGEBYRANK", "nope", "0", "-1"), ("ZREMRANGEBYSCORE", "nope", "-inf", "inf"),
        ("ZREMRANGEBYLEX", "nope", "-", "+"), ("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"),
        ("ZREMRANGEBYLEX", "l", "(a", "[c"), ("ZRANGE", "l", "0", "-1"), ("ZREMRANGEBYLEX", "l", "-", "+"),
        ("EXISTS", "l"), ("ZREMRANGEBYSCORE", "z", "-inf", "inf"), ("EXISTS", "z"),
    ],
    "zrangestore": [
        ("ZADD", "z", *_pairs(6)), ("SET", "dst", "string"), ("EXPIRE", "dst", "1000"),
        ("ZRANGESTORE", "dst", "z", "1", "3"), ("TYPE", "dst"), ("TTL", "dst"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("ZRANGESTORE", "dst", "z", "(1", "4", "BYSCORE", "LIMIT", "1", "2"), ("ZRANGE", "dst", "0", "-1"),
        ("ZRANGESTORE", "dst", "z", "4", "0", "BYSCORE", "REV"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("ZRANGESTORE", "dst", "z", "[m1", "[m3", "BYLEX"), ("ZRANGE", "dst", "0", "-1"),
        ("ZRANGESTORE", "dst", "z", "0", "0", "REV"), ("ZRANGE", "dst", "0", "-1"),
        ("ZRANGESTORE", "dst", "z", "10", "20"), ("EXISTS", "dst"), ("ZRANGESTORE", "dst", "z", "0", "-1"),
        ("ZRANGESTORE", "dst", "nope", "0", "-1"), ("EXISTS", "dst"), ("ZRANGESTORE", "z", "z", "0", "1"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    ],
    "pops": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZPOPMIN", "z"), ("ZPOPMAX", "z"),
        ("ZPOPMIN", "z", "0"), ("ZPOPMAX", "z", "10"), ("EXISTS", "z"), ("ZPOPMIN", "z"), ("ZPOPMIN", "z", "3"),
        ("ZPOPMAX", "nope", "0"), ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZMPOP", "1", "z", "MIN"),
        ("ZMPOP", "2", "nope", "z", "max", "COUNT", "5"), ("ZMPOP", "1", "z", "MIN"), ("EXISTS", "z"),
        ("ZADD", "y", "5", "q", "6", "r"), ("BZPOPMIN", "nope", "y", "0"), ("BZPOPMAX", "y", "nope", "0.5"),
        ("EXISTS", "y"), ("ZADD", "y", "5", "q", "6", "r", "7", "s"), ("BZMPOP", "0", "2", "nope", "y", "MAX", "COUNT", "2"),
        ("BZMPOP", "0.5", "1", "y", "MIN"), ("ZMPOP", "1", "y", "MAX"), ("SET", "s", "v"),
        ("ZADD", "y", "1", "a"), ("ZMPOP", "2", "y", "s", "MIN"), ("BZPOPMIN", "y", "s", "0"),
    ],
    "algebra": [
        ("ZADD", "a", "1", "x", "2", "y", "3", "z"), ("ZADD", "b", "10", "y", "20", "z", "30", "w"),
        ("SADD", "s", "x", "w", "v"), ("ZUNION", "2", "a", "b"), ("ZUNION", "2", "a", "b", "WITHSCORES"),
        ("ZUNION", "3", "a", "b", "s", "WEIGHTS", "1", "2", "3", "WITHSCORES"),
        ("ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"), ("ZUNION", "2", "a", "b", "aggregate", "max", "withscores"),
        ("ZINTER", "2", "a", "b", "WITHSCORES"), ("ZINTER", "2", "a", "s", "WITHSCORES"),
        ("ZINTER", "2", "a", "b", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX", "WITHSCORES"),
        ("ZINTER", "2", "a", "nope"), ("ZDIFF", "2", "a", "b"), ("ZDIFF", "2", "a", "s", "WITHSCORES"),
        ("ZDIFF", "2", "s", "a", "WITHSCORES"), ("ZDIFF", "1", "nope"), ("ZDIFF", "2", "b", "b"),
        ("ZUNIONSTORE", "d", "2", "a", "b"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "-1"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("ZDIFFSTORE", "d", "2", "b", "a"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("ZINTERSTORE", "d", "2", "a", "nope"), ("EXISTS", "d"), ("ZUNIONSTORE", "a", "2", "a", "a"),
        ("ZRANGE", "a", "0", "-1", "WITHSCORES"), ("ZINTERCARD", "2", "a", "b"), ("ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
        ("ZINTERCARD", "1", "a", "LIMIT", "0"), ("ZINTERCARD", "2", "a", "nope"), ("ZINTERCARD", "2", "a", "s"),
        ("ZUNIONSTORE", "s", "1", "s"), ("TYPE", "s"), ("ZRANGE", "s", "0", "-1", "WITHSCORES"),
    ],
    "algebra-infinities": [
        ("ZADD", "p", "inf", "x", "-inf", "y", "5", "z"), ("ZADD", "n", "-inf", "x", "inf", "y", "-5", "z"),
        ("ZUNION", "2", "p", "n", "WITHSCORES"), ("ZINTER", "2", "p", "n", "WITHSCORES"),
        ("ZUNION", "2", "p", "n", "WEIGHTS", "0", "1", "WITHSCORES"), ("ZINTER", "2", "p", "n", "WEIGHTS", "0", "0", "WITHSCORES"),
        ("ZINTER", "2", "p", "n", "WEIGHTS", "1", "0", "AGGREGATE", "MIN", "WITHSCORES"),
        ("ZINTER", "2", "p", "n", "WEIGHTS", "1", "0", "AGGREGATE", "MAX", "WITHSCORES"),
        ("ZUNION", "2", "p", "n", "WEIGHTS", "inf", "-inf", "AGGREGATE", "MAX", "WITHSCORES"),
        ("ZUNION", "1", "p", "WEIGHTS", "0x10", "WITHSCORES"), ("ZADD", "f", "0.1", "a"), ("ZADD", "g", "0.2", "a"),
        ("ZADD", "h", "0.3", "a", "1", "b"), ("ZUNION", "3", "h", "g", "f", "WITHSCORES"),
        ("ZINTER", "3", "h", "f", "g", "WITHSCORES"),
    ],
    "zscan-small": [
        ("ZADD", "z", "1", "a", "2", "b", "0.5", "c", "-0", "d"), ("ZSCAN", "z", "0"), ("ZSCAN", "z", "0", "MATCH", "[ab]"),
        ("ZSCAN", "z", "0", "COUNT", "1"), ("ZSCAN", "nope", "0"), ("ZSCAN", "z", "0", "MATCH", "*", "COUNT", "100"),
    ],
    "generic-keys": [
        ("ZADD", "z", "1", "a", "2", "b"), ("TYPE", "z"), ("OBJECT", "ENCODING", "z"), ("COPY", "z", "c"),
        ("ZRANGE", "c", "0", "-1", "WITHSCORES"), ("ZADD", "c", "3", "x"), ("ZCARD", "z"), ("RENAME", "z", "r"),
        ("ZRANGE", "r", "0", "-1"), ("EXISTS", "z"), ("MOVE", "r", "1"), ("EXISTS", "r"), ("SELECT", "1"),
        ("ZRANGE", "r", "0", "-1", "WITHSCORES"), ("TYPE", "r"), ("SELECT", "0"), ("SCAN", "0", "TYPE", "zset"),
        ("ZADD", "big", *_pairs(200)), ("COPY", "big", "big2"), ("OBJECT", "ENCODING", "big2"), ("ZCARD", "big2"),
        ("DEL", "big", "big2", "c"), ("EXISTS", "big"),
    ],
}
SORTED = {"SCAN"}

ERRORS: list[tuple[str, tuple[str, ...]]] = [
    ("wrong number of arguments", ("ZADD", "z", "1")),
    ("wrong number of arguments", ("ZINCRBY", "z", "1")),
    ("wrong number of arguments", ("ZRANK", "z", "a", "WITHSCORE")),
    ("wrong number of arguments", ("ZREVRANK", "z")),
    ("wrong number of arguments", ("ZCOUNT", "z", "1")),
    ("wrong number of arguments", ("ZRANGESTORE", "d", "z", "0")),
    ("wrong number of arguments", ("ZREMRANGEBYRANK", "z", "0")),
    ("wrong number of arguments", ("ZMPOP", "1", "z")),
    ("wrong number of arguments", ("BZMPOP", "0", "1", "z")),
    ("wrong number of arguments", ("BZPOPMIN", "z")),
    ("wrong number of arguments", ("ZSCAN", "z")),
    ("wrong number of arguments", ("ZUNIONSTORE", "d", "1")),
    ("syntax error", ("ZADD", "z", "1", "a", "2")),
    ("syntax error", ("ZADD", "z", "NX", "CH")),
    ("syntax error", ("ZADD", "z", "FOO", "1", "a")),
    ("syntax error", ("ZINCRBY", "z", "nx", "a")),
    ("not compatible", ("ZADD", "z", "NX", "XX", "1", "a")),
    ("not compatible", ("ZADD", "z", "NX", "GT", "1", "a")),
    ("not compatible", ("ZADD", "z", "GT", "LT", "1", "a")),
    ("not compatible", ("ZADD", "z", "LT", "NX", "1", "a")),
    ("single increment-element pair", ("ZADD", "z", "INCR", "1", "a", "2", "b")),
    ("not a valid float", ("ZADD", "z", "x", "a")),
    ("not a valid float", ("ZADD", "z", "1", "a", "nan", "b")),
    ("not a valid float", ("ZADD", "z", "1e400", "a")),
    ("not a valid float", ("ZADD", "z", "-1e-400", "a")),
    ("not a valid float", ("ZADD", "z", " 1", "a")),
    ("not a valid float", ("ZADD", "z", "", "a")),
    ("not a valid float", ("ZADD", "z", "1.5x", "a")),
    ("not a valid float", ("ZINCRBY", "z", "abc", "a")),
    ("not a valid float", ("ZINCRBY", "z", "NaN", "a")),
    ("resulting score is not a number", ("ZINCRBY", "infs", "-inf", "m")),
    ("resulting score is not a number", ("ZADD", "infs", "INCR", "+inf", "n")),
    ("min or max is not a float", ("ZCOUNT", "z", "a", "1")),
    ("min or max is not a float", ("ZCOUNT", "z", "1", "(x")),
    ("min or max is not a float", ("ZCOUNT", "z", "nan", "1")),
    ("min or max is not a float", ("ZCOUNT", "z", "   ", "1")),
    ("min or max is not a float", ("ZRANGEBYSCORE", "z", "[1", "2")),
    ("min or max is not a float", ("ZREMRANGEBYSCORE", "z", "1", "2x")),
    ("min or max is not a float", ("ZRANGE", "z", "a", "b", "BYSCORE")),
    ("min or max not valid string range item", ("ZLEXCOUNT", "z", "a", "+")),
    ("min or max not valid string range item", ("ZRANGEBYLEX", "z", "-", "b")),
    ("min or max not valid string range item", ("ZRANGEBYLEX", "z", "", "+")),
    ("min or max not valid string range item", ("ZRANGEBYLEX", "z", "--", "+")),
    ("min or max not valid string range item", ("ZREMRANGEBYLEX", "z", "[a", "++")),
    ("min or max not valid string range item", ("ZRANGE", "z", "1", "2", "BYLEX")),
    ("not an integer", ("ZRANGE", "z", "a", "1")),
    ("not an integer", ("ZRANGE", "z", "0", "1.5")),
    ("not an integer", ("ZREVRANGE", "z", "0", "x")),
    ("not an integer", ("ZREMRANGEBYRANK", "z", "0", "x")),
    ("not an integer", ("ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "x", "1")),
    ("not an integer", ("ZRANGE", "z", "(1", "3", "BYSCORE", "LIMIT", "x", "1", "WITHSCORES", "foo")),
    ("syntax error", ("ZRANGE", "z", "0", "1", "FOO")),
    ("syntax error", ("ZRANGE", "z", "0", "1", "REV", "REV")),
    ("syntax error", ("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX")),
    ("syntax error", ("ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "0")),
    ("syntax error", ("ZREVRANGE", "z", "0", "1", "REV")),
    ("syntax error", ("ZREVRANGE", "z", "0", "1", "BYSCORE")),
    ("syntax error", ("ZRANGEBYSCORE", "z", "0", "1", "BYLEX")),
    ("syntax error", ("ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES")),
    ("LIMIT is only supported", ("ZRANGE", "z", "0", "1", "LIMIT", "0", "1")),
    ("LIMIT is only supported", ("ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1")),
    ("WITHSCORES not supported", ("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES")),
    ("WITHSCORES not supported", ("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES")),
    ("value is out of range, must be positive", ("ZPOPMIN", "z", "-1")),
    ("value is out of range, must be positive", ("ZPOPMAX", "z", "x")),
    ("syntax error", ("ZPOPMIN", "z", "1", "2")),
    ("numkeys should be greater than 0", ("ZMPOP", "0", "z", "MIN")),
    ("numkeys should be greater than 0", ("ZMPOP", "x", "z", "MIN")),
    ("syntax error", ("ZMPOP", "3", "z", "MIN")),
    ("syntax error", ("ZMPOP", "1", "z", "MIDDLE")),
    ("syntax error", ("ZMPOP", "1", "z", "MIN", "COUNT")),
    ("syntax error", ("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1")),
    ("count should be greater than 0", ("ZMPOP", "1", "z", "MIN", "COUNT", "0")),
    ("count should be greater than 0", ("ZMPOP", "1", "z", "MAX", "COUNT", "x")),
    ("numkeys should be greater than 0", ("BZMPOP", "x", "0", "z", "MIN")),
    ("syntax error", ("BZMPOP", "x", "1", "z", "FOO")),
    ("timeout is not a float", ("BZMPOP", "x", "1", "z", "MIN")),
    ("timeout is negative", ("BZMPOP", "-1", "1", "z", "MIN")),
    ("timeout is not a float", ("BZPOPMIN", "z", "x")),
    ("timeout is negative", ("BZPOPMAX", "z", "-0.5")),
    ("timeout is not a float", ("BZPOPMIN", "str", "nan")),
    ("not an integer", ("ZRANDMEMBER", "z", "x")),
    ("syntax error", ("ZRANDMEMBER", "z", "1", "foo")),
    ("syntax error", ("ZRANDMEMBER", "z", "1", "WITHSCORES", "foo")),
    ("value is out of range", ("ZRANDMEMBER", "z", "-9223372036854775808")),
    ("value is out of range", ("ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES")),
    ("value is out of range", ("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES")),
    ("at least 1 input key", ("ZUNION", "0", "z")),
    ("at least 1 input key", ("ZINTERSTORE", "d", "0", "z")),
    ("at least 1 input key", ("ZDIFFSTORE", "d", "-1", "z")),
    ("at least 1 input key", ("ZINTERCARD", "0", "z")),
    ("not an integer", ("ZUNION", "x", "z")),
    ("syntax error", ("ZUNION", "3", "z")),
    ("syntax error", ("ZINTERCARD", "2", "z")),
    ("syntax error", ("ZINTERCARD", "1", "z", "WITHSCORES")),
    ("syntax error", ("ZINTERCARD", "1", "z", "LIMIT")),
    ("LIMIT can't be negative", ("ZINTERCARD", "1", "z", "LIMIT", "-1")),
    ("LIMIT can't be negative", ("ZINTERCARD", "1", "z", "LIMIT", "x")),
    ("syntax error", ("ZDIFF", "1", "z", "WEIGHTS", "1")),
    ("syntax error", ("ZDIFF", "1", "z", "AGGREGATE", "SUM")),
    ("weight value is not a float", ("ZUNION", "1", "z", "WEIGHTS", "x")),
    ("weight value is not a float", ("ZINTER", "2", "z", "z", "WEIGHTS", "1", "nan")),
    ("syntax error", ("ZUNION", "2", "z", "z", "WEIGHTS", "1")),
    ("syntax error", ("ZUNION", "1", "z", "AGGREGATE", "COUNT")),
    ("syntax error", ("ZUNION", "1", "z", "AGGREGATE")),
    ("syntax error", ("ZUNIONSTORE", "d", "1", "z", "WITHSCORES")),
    ("invalid cursor", ("ZSCAN", "z", "x")),
    ("syntax error", ("ZSCAN", "z", "0", "COUNT", "0")),
    ("syntax error", ("ZSCAN", "z", "0", "FOO", "1")),
    ("syntax error", ("ZSCAN", "z", "0", "TYPE", "zset")),
    ("WRONGTYPE", ("ZADD", "str", "1", "a")),
    ("WRONGTYPE", ("ZADD", "str", "XX", "1", "a")),
    ("WRONGTYPE", ("ZINCRBY", "str", "1", "a")),
    ("WRONGTYPE", ("ZSCORE", "str", "a")),
    ("WRONGTYPE", ("ZMSCORE", "str", "a")),
    ("WRONGTYPE", ("ZCARD", "str")),
    ("WRONGTYPE", ("ZREM", "str", "a")),
    ("WRONGTYPE", ("ZRANK", "str", "a")),
    ("WRONGTYPE", ("ZCOUNT", "str", "1", "2")),
    ("WRONGTYPE", ("ZLEXCOUNT", "list", "-", "+")),
    ("WRONGTYPE", ("ZRANGE", "str", "0", "1")),
    ("WRONGTYPE", ("ZRANGESTORE", "d", "str", "0", "1")),
    ("WRONGTYPE", ("ZRANGEBYLEX", "str", "-", "+")),
    ("WRONGTYPE", ("ZREMRANGEBYSCORE", "str", "1", "2")),
    ("WRONGTYPE", ("ZPOPMIN", "str")),
    ("WRONGTYPE", ("ZPOPMAX", "str", "0")),
    ("WRONGTYPE", ("ZMPOP", "2", "nope", "str", "MIN")),
    ("WRONGTYPE", ("BZPOPMIN", "nope", "str", "0")),
    ("WRONGTYPE", ("BZMPOP", "0", "2", "str", "z", "MAX")),
    ("WRONGTYPE", ("ZRANDMEMBER", "str")),
    ("WRONGTYPE", ("ZRANDMEMBER", "str", "0")),
    ("WRONGTYPE", ("ZUNION", "2", "z", "str")),
    ("WRONGTYPE", ("ZUNION", "2", "z", "str", "WEIGHTS", "x")),
    ("WRONGTYPE", ("ZINTERSTORE", "d", "2", "list", "z")),
    ("WRONGTYPE", ("ZINTERCARD", "1", "str")),
    ("WRONGTYPE", ("ZDIFF", "2", "z", "list")),
    ("WRONGTYPE", ("ZSCAN", "str", "0")),
    ("WRONGTYPE", ("SADD", "z", "a")),
    ("WRONGTYPE", ("LPUSH", "z", "a")),
    ("WRONGTYPE", ("GET", "z")),
]


@pytest.mark.parametrize("name", list(CASES))
def test_sequences(both, name: str) -> None:
    for cmd in CASES[name]:
        both.eq(*cmd, sort=cmd[0] in SORTED)


@pytest.mark.parametrize("fragment, cmd", ERRORS, ids=[" ".join(c)[:60] for _, c in ERRORS])
def test_errors(both, fragment: str, cmd: tuple[str, ...]) -> None:
    both.eq("ZADD", "z", "1", "a", "2", "b")
    both.eq("SET", "str", "v")
    both.eq("RPUSH", "list", "x")
    both.eq("ZADD", "infs", "inf", "m", "-inf", "n")
    both.error(fragment, *cmd)


def test_nan_increment_changes_nothing(both) -> None:
    both.eq("ZADD", "z", "INCR", "-inf", "inf")  # a new member: the increment is its score
    both.eq("ZADD", "z", "inf", "m")
    both.error("resulting score", "ZADD", "z", "INCR", "-inf", "m")
    both.eq("ZRANGE", "z", "0", "-1", "WITHSCORES")


@pytest.mark.parametrize("size, long_member", [(128, False), (129, False), (5, True)])
def test_encodings_follow_redis(both, size: int, long_member: bool) -> None:
    args = _pairs(size)
    if long_member:
        args += ["1", "x" * 65]
    both.eq("ZADD", "z", *args)
    both.eq("OBJECT", "ENCODING", "z")
    both.eq("ZREMRANGEBYRANK", "z", "0", "-3")
    both.eq("OBJECT", "ENCODING", "z")  # one-way
    for cmd in (("ZUNIONSTORE", "u", "1", "z"), ("ZRANGESTORE", "r", "z", "0", "0"), ("ZDIFFSTORE", "d", "1", "z"),
                ("ZINTERSTORE", "i", "2", "z", "z")):
        both.eq(*cmd)
        both.eq("OBJECT", "ENCODING", cmd[1])
    both.eq("COPY", "z", "c")
    both.eq("OBJECT", "ENCODING", "c")
    # Duplicates in one ZADD do not count toward the entry limit.
    both.eq("ZADD", "dups", *(["1", "same"] * 200))
    both.eq("OBJECT", "ENCODING", "dups")
    both.eq("ZADD", "lp", "1", "a")
    both.eq("ZINCRBY", "lp", "1", "y" * 65)
    both.eq("OBJECT", "ENCODING", "lp")


def test_big_sets_ranges_and_stores(both) -> None:
    both.eq("ZADD", "big", *_pairs(300))
    both.eq("ZADD", "lex", *_pairs(300, "w", 7))
    for cmd in [
        ("ZRANGE", "big", "100", "120", "WITHSCORES"), ("ZREVRANGE", "big", "0", "5"),
        ("ZRANGEBYSCORE", "big", "(250", "+inf", "LIMIT", "10", "5"), ("ZCOUNT", "big", "10", "(200"),
        ("ZRANK", "big", "m150"), ("ZREVRANK", "big", "m150"), ("ZRANGEBYLEX", "lex", "[w1", "(w11"),
        ("ZREVRANGEBYLEX", "lex", "+", "[w9", "LIMIT", "3", "4"), ("ZLEXCOUNT", "lex", "(w2", "[w3"),
        ("ZUNIONSTORE", "u", "2", "big", "lex", "WEIGHTS", "2", "1"), ("ZRANGE", "u", "0", "10", "WITHSCORES"),
        ("ZINTERCARD", "2", "big", "u", "LIMIT", "100"), ("ZREMRANGEBYLEX", "lex", "[w2", "(w3"), ("ZCARD", "lex"),
        ("ZREMRANGEBYSCORE", "big", "50", "(250"), ("ZCARD", "big"), ("ZPOPMIN", "big", "3"), ("ZPOPMAX", "big", "3"),
        ("ZMPOP", "1", "big", "MAX", "COUNT", "2"), ("ZRANGE", "big", "0", "-1", "WITHSCORES"),
    ]:
        both.eq(*cmd)


@pytest.mark.parametrize("size", [10, 300])
def test_zscan_full_iteration(both, size: int) -> None:
    both.eq("ZADD", "z", *_pairs(size))
    for args in [(), ("MATCH", "*1*"), ("COUNT", "7")]:
        results = []
        for side in range(2):
            cursor, seen = b"0", {}
            while True:
                cursor, flat = both.raw("ZSCAN", "z", cursor, *args)[side]
                seen.update(zip(flat[::2], flat[1::2]))
                if cursor == b"0":
                    break
            results.append(seen)
        assert results[0] == results[1]
        assert len(results[0]) == (size if not args or args[0] == "COUNT" else len(results[0]))


def test_zrandmember(both) -> None:
    both.eq("ZADD", "z", *_pairs(10))
    members = {f"m{i}".encode(): str(i).encode() for i in range(10)}
    for side in both.raw("ZRANDMEMBER", "z"):
        assert side in members
    for side in both.raw("ZRANDMEMBER", "z", "4"):
        assert len(set(side)) == 4 and set(side) <= set(members)
    for side in both.raw("ZRANDMEMBER", "z", "20", "WITHSCORES"):
        assert len(side) == 20 and dict(zip(side[::2], side[1::2])) == members
    for side in both.raw("ZRANDMEMBER", "z", "-25", "WITHSCORES"):
        assert len(side) == 50 and all(members[m] == s for m, s in zip(side[::2], side[1::2]))
    both.eq("ZRANDMEMBER", "z", "0")
    both.eq("ZRANDMEMBER", "nope")
    both.eq("ZRANDMEMBER", "nope", "5", "WITHSCORES")
    both.eq("ZRANDMEMBER", "nope", "-5")


# -- redis-py's method shapes: kvengine's methods against redis-py's own client ----------------------------
@pytest.fixture(params=[2, None], ids=["resp2", "default-protocol"])
def pyboth(request: pytest.FixtureRequest, redis_port: int, both) -> Any:
    """(redis-py client with its default callbacks, kvengine), both empty.  redis-py 8
    speaks RESP3 by default and converts to the legacy shapes; kvengine's methods
    must return the same shapes as over either protocol."""
    return redis.Redis(port=redis_port, protocol=request.param), both.kv


API_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("zadd", ("z", {"a": 1, "b": 2.5, "c": 3}), {}),
    ("zadd", ("z", {"a": 5}), {"ch": True}),
    ("zadd", ("z", {"a": 1}), {"incr": True}),
    ("zadd", ("z", {"a": 1}), {"incr": True, "nx": True}),
    ("zadd", ("z", {"d": 0.5}), {"gt": True}),
    ("zincrby", ("z", 2, "b"), {}),
    ("zscore", ("z", "b"), {}),
    ("zscore", ("z", "nope"), {}),
    ("zmscore", ("z", ["a", "nope"]), {}),
    ("zcard", ("z",), {}),
    ("zcount", ("z", "(1", "+inf"), {}),
    ("zlexcount", ("z", "-", "+"), {}),
    ("zrank", ("z", "b"), {}),
    ("zrevrank", ("z", "b"), {}),
    ("zrank", ("z", "nope"), {}),
    ("zrange", ("z", 0, -1), {}),
    ("zrange", ("z", 0, -1), {"withscores": True}),
    ("zrange", ("z", 0, 1), {"desc": True, "withscores": True}),
    ("zrange", ("z", 0, 1), {"withscores": True, "score_cast_func": int}),
    ("zrange", ("z", "(1", 10), {"byscore": True, "offset": 0, "num": 2, "withscores": True}),
    ("zrange", ("z", 10, 1), {"byscore": True, "desc": True}),
    ("zrange", ("z", "-", "+"), {"bylex": True}),
    ("zrevrange", ("z", 0, -1), {"withscores": True}),
    ("zrangebyscore", ("z", 1, 5), {"start": 1, "num": 1, "withscores": True}),
    ("zrevrangebyscore", ("z", "+inf", "-inf"), {"withscores": True, "score_cast_func": str}),
    ("zrangebylex", ("z", "-", "+"), {"start": 0, "num": 2}),
    ("zrevrangebylex", ("z", "+", "-"), {}),
    ("zrangestore", ("dst", "z", 0, 1), {}),
    ("zrangestore", ("dst", "z", 1, 3), {"byscore": True, "desc": False, "offset": 0, "num": 5}),
    ("zunion", (["z", "dst"],), {"withscores": True}),
    ("zunion", ({"z": 2, "dst": 1},), {"aggregate": "max", "withscores": True}),
    ("zinter", (["z", "dst"],), {"withscores": True}),
    ("zinter", (["z", "dst"],), {"aggregate": "MIN"}),
    ("zdiff", (["z", "dst"],), {}),
    ("zdiff", (["z", "dst"],), {"withscores": True}),
    ("zunionstore", ("u", ["z", "dst"]), {}),
    ("zinterstore", ("i", {"z": 1, "dst": 3}), {"aggregate": "SUM"}),
    ("zdiffstore", ("d", ["z", "dst"]), {}),
    ("zintercard", (2, ["z", "dst"]), {}),
    ("zintercard", (2, ["z", "dst"]), {"limit": 1}),
    ("zscan", ("z",), {}),
    ("zscan", ("z", 0), {"match": "a*", "count": 5, "score_cast_func": int}),
    ("zrandmember", ("missing",), {}),
    ("zrandmember", ("missing", 2), {"withscores": True}),
    ("zrem", ("z", "d", "nope"), {}),
    ("zremrangebyrank", ("u", 0, 0), {}),
    ("zremrangebyscore", ("u", "-inf", 1), {}),
    ("zremrangebylex", ("u", "-", "+"), {}),
    ("zpopmin", ("z",), {}),
    ("zpopmax", ("z", 2), {}),
    ("zpopmin", ("missing", 2), {}),
    ("zmpop", (1, ["i"]), {"min": True}),
    ("zmpop", (2, ["missing", "d"]), {"max": True, "count": 5}),
    ("zmpop", (1, ["missing"]), {"max": True}),
    ("zadd", ("b", {"x": 1, "y": 2}), {}),
    ("bzpopmin", (["missing", "b"],), {"timeout": 1}),
    ("bzpopmax", ("b",), {"timeout": 1}),
    ("bzpopmax", ("missing",), {"timeout": 0.01}),
    ("zadd", ("b", {"x": 1, "y": 2}), {}),
    ("bzmpop", (1, 1, ["b"]), {"min": True}),
    ("bzmpop", (1, 1, ["b"]), {"max": True, "count": 3}),
    ("bzmpop", (0.01, 1, ["b"]), {"max": True}),
]


def test_api_shapes_match_redis_py(pyboth) -> None:
    real, kv = pyboth
    for name, args, kwargs in API_CALLS:
        expected = getattr(real, name)(*args, **kwargs)
        got = getattr(kv, name)(*args, **kwargs)
        if name == "zscan":
            assert type(got) is type(expected) and got[0] == 0 == expected[0]
            assert sorted(got[1]) == sorted(expected[1]), (name, args, kwargs)
            continue
        assert got == expected, (name, args, kwargs, got, expected)
        assert type(got) is type(expected), (name, args, kwargs, got, expected)


@pytest.mark.parametrize("kwargs", [
    {"mapping": {}}, {"mapping": {"a": 1}, "nx": True, "xx": True}, {"mapping": {"a": 1}, "gt": True, "lt": True},
    {"mapping": {"a": 1, "b": 2}, "incr": True}, {"mapping": {"a": 1}, "nx": True, "gt": True},
])
def test_zadd_data_errors_match_redis_py(pyboth, kwargs: dict[str, Any]) -> None:
    real, kv = pyboth
    with pytest.raises(redis.DataError) as expected:
        real.zadd("z", **kwargs)
    with pytest.raises(redis.DataError) as got:
        kv.zadd("z", **kwargs)
    assert str(got.value) == str(expected.value)


def test_execute_command_shapes_match_redis_py(redis_port: int, both) -> None:
    # Without the typed methods' options redis-py returns the wire's shape, so the
    # reference is a RESP2 connection (kvengine's replies are RESP2's).
    real, kv = redis.Redis(port=redis_port, protocol=2), both.kv
    for side in (real, kv):
        side.zadd("z", {"a": 1, "b": 2})
    for args, options in [
        (("ZRANGE", "z", 0, -1, "WITHSCORES"), {}), (("ZRANGE", "z", 0, -1, "WITHSCORES"), {"withscores": True}),
        (("ZPOPMIN", "z"), {}), (("ZSCORE", "z", "b"), {}), (("ZINCRBY", "z", 1, "b"), {}),
        (("ZADD", "z", 1, "q"), {}), (("ZMSCORE", "z", "b", "x"), {}), (("ZSCAN", "z", 0), {}),
        (("BZPOPMAX", "z", 1), {}), (("ZRANK", "z", "q"), {"withscore": True}),
    ]:
        assert kv.execute_command(*args, **options) == real.execute_command(*args, **options), args


def test_decode_responses_shapes(redis_port: int, both) -> None:
    real = redis.Redis(port=redis_port, decode_responses=True, protocol=2)
    kv = both.kv.client(decode_responses=True)
    for side in (real, kv):
        side.zadd("z", {"é": 1.5, "b": 2})
    for name, args, kwargs in [
        ("zrange", ("z", 0, -1), {"withscores": True}), ("zscore", ("z", "é"), {}), ("zpopmax", ("z",), {}),
        ("zmpop", (1, ["z"]), {"min": True}), ("zrangebylex", ("z", "-", "+"), {}),
    ]:
        assert getattr(kv, name)(*args, **kwargs) == getattr(real, name)(*args, **kwargs), name


# -- random programs ---------------------------------------------------------------------------------------
ZKEYS = st.sampled_from(["a", "b", "c"])
ZMEMBERS = st.sampled_from(["x", "y", "z", "w", ""])
ZSCORES = st.sampled_from(["0", "1", "-1", "2.5", "1e3", "inf", "-inf", "-0", "0.1", "nan", "x"])
ZBOUNDS = st.sampled_from(["-inf", "+inf", "0", "(0", "1", "(1", "2.5", "(2.5", "x"])
ZLEX = st.sampled_from(["-", "+", "[x", "(x", "[y", "(z", "[", "x"])
ZINDEX = st.sampled_from(["0", "1", "-1", "2", "-3", "10"])
ADD_OPTS = st.sampled_from([(), ("NX",), ("XX",), ("GT",), ("LT",), ("CH",), ("INCR",), ("XX", "CH"), ("GT", "CH"),
                            ("LT", "INCR"), ("NX", "INCR"), ("NX", "GT")])
ZCOMMANDS = st.one_of(
    st.tuples(st.just("ZADD"), ZKEYS).flatmap(
        lambda c: st.tuples(ADD_OPTS, st.lists(st.tuples(ZSCORES, ZMEMBERS), min_size=1, max_size=3)).map(
            lambda t: (*c, *t[0], *[x for pair in t[1] for x in pair]))),
    st.tuples(st.just("ZINCRBY"), ZKEYS, ZSCORES, ZMEMBERS),
    st.tuples(st.sampled_from(["ZREM", "ZSCORE", "ZRANK", "ZREVRANK"]), ZKEYS, ZMEMBERS),
    st.tuples(st.just("ZMSCORE"), ZKEYS, ZMEMBERS, ZMEMBERS),
    st.tuples(st.sampled_from(["ZCARD", "TYPE", "EXISTS"]), ZKEYS),
    st.tuples(st.sampled_from(["ZCOUNT", "ZREMRANGEBYSCORE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), ZKEYS, ZBOUNDS,
              ZBOUNDS),
    st.tuples(st.sampled_from(["ZLEXCOUNT", "ZREMRANGEBYLEX", "ZRANGEBYLEX", "ZREVRANGEBYLEX"]), ZKEYS, ZLEX, ZLEX),
    st.tuples(st.sampled_from(["ZRANGE", "ZREVRANGE", "ZREMRANGEBYRANK"]), ZKEYS, ZINDEX, ZINDEX),
    st.tuples(st.just("ZRANGE"), ZKEYS, ZBOUNDS, ZBOUNDS, st.just("BYSCORE"),
              st.sampled_from(["REV", "WITHSCORES", "LIMIT"])).map(
        lambda c: (*c[:5], "LIMIT", "1", "2") if c[5] == "LIMIT" else c),
    st.tuples(st.just("ZRANGESTORE"), ZKEYS, ZKEYS, ZINDEX, ZINDEX),
    st.tuples(st.sampled_from(["ZPOPMIN", "ZPOPMAX"]), ZKEYS, st.sampled_from(["0", "1", "2", "5"])),
    st.tuples(st.just("ZMPOP"), st.just("2"), ZKEYS, ZKEYS, st.sampled_from(["MIN", "MAX"]), st.just("COUNT"),
              st.sampled_from(["1", "2"])),
    st.tuples(st.sampled_from(["BZPOPMIN", "BZPOPMAX"]), ZKEYS, ZKEYS, st.just("0.001")),
    st.tuples(st.sampled_from(["ZUNION", "ZINTER", "ZDIFF"]), st.just("2"), ZKEYS, ZKEYS, st.just("WITHSCORES")),
    st.tuples(st.sampled_from(["ZUNIONSTORE", "ZINTERSTORE"]), ZKEYS, st.just("2"), ZKEYS, ZKEYS,
              st.sampled_from(["SUM", "MIN", "MAX"])).map(lambda c: (*c[:5], "WEIGHTS", "2", "-1", "AGGREGATE", c[5])),
    st.tuples(st.just("ZDIFFSTORE"), ZKEYS, st.just("2"), ZKEYS, ZKEYS),
    st.tuples(st.just("ZINTERCARD"), st.just("2"), ZKEYS, ZKEYS),
    st.tuples(st.just("SADD"), ZKEYS, ZMEMBERS),
    st.tuples(st.just("SET"), ZKEYS, ZMEMBERS),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=st.lists(ZCOMMANDS, min_size=1, max_size=25))
def test_random_zset_programs(both, program: list[tuple[str, ...]]) -> None:
    both.real.flushall()
    both.kv.flushall()
    for cmd in program:
        both.eq(*cmd)
    for key in ("a", "b", "c"):
        value = both.kv.db.peek(key.encode())
        if hasattr(value, "check"):
            value.check()


def test_scores_are_exact_doubles(both) -> None:
    values = ["0.1", "0.3", "1e-300", "1.7976931348623157e308", "2.2250738585072014e-308", "5e-324",
              "123456.789", "-9.999999999999999e22", "3.141592653589793"]
    both.eq("ZADD", "z", *[x for i, v in enumerate(values) for x in (v, f"m{i}")])
    real, _ = both.raw("ZRANGE", "z", "0", "-1", "WITHSCORES")
    both.eq("ZRANGE", "z", "0", "-1", "WITHSCORES")
    assert all(math.isfinite(float(s)) for s in real[1::2])
