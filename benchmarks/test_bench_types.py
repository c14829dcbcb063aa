"""Data-type commands on 100k-member structures: kvengine beside fakeredis and
redis-py + redis-server (issue 3).  The dict peer has no containers and is skipped.

Run: ``make bench`` (this file is part of it), then ``python benchmarks/report.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

N = 100_000
MEMBERS = [b"member:%08d" % i for i in range(N)]
MID = MEMBERS[N // 2]


def _containers(peer: Any) -> Any:
    if not hasattr(peer, "zadd"):
        pytest.skip("no containers in this peer")
    return peer


@pytest.fixture
def big(peer: Any) -> Any:
    """A peer holding a 100k-field hash, a 100k-element list, a 100k-member set and zset."""
    p = _containers(peer)
    for start in range(0, N, 10_000):
        chunk = MEMBERS[start:start + 10_000]
        p.hset(b"h", mapping=dict.fromkeys(chunk, b"v" * 16))
        p.rpush(b"l", *chunk)
        p.sadd(b"s", *chunk)
        p.zadd(b"z", {m: start + i for i, m in enumerate(chunk)})
    return p


@pytest.mark.benchmark(group="HSET (100k-field hash)")
def test_hset(benchmark: Any, big: Any) -> None:
    benchmark(big.hset, b"h", MID, b"w" * 16)


@pytest.mark.benchmark(group="HGET (100k-field hash)")
def test_hget(benchmark: Any, big: Any) -> None:
    assert benchmark(big.hget, b"h", MID) is not None


@pytest.mark.benchmark(group="LPUSH+RPOP (100k list)")
def test_lpush_rpop(benchmark: Any, big: Any) -> None:
    def push_pop() -> Any:
        big.lpush(b"l", b"x")
        return big.rpop(b"l")

    assert benchmark(push_pop) is not None


@pytest.mark.benchmark(group="SADD existing (100k set)")
def test_sadd(benchmark: Any, big: Any) -> None:
    assert benchmark(big.sadd, b"s", MID) == 0


@pytest.mark.benchmark(group="SISMEMBER (100k set)")
def test_sismember(benchmark: Any, big: Any) -> None:
    assert benchmark(big.sismember, b"s", MID)


@pytest.mark.benchmark(group="ZADD update (100k zset)")
def test_zadd(benchmark: Any, big: Any) -> None:
    benchmark(big.zadd, b"z", {MID: 12345.5})


@pytest.mark.benchmark(group="ZRANGE 0 9 WITHSCORES (100k zset)")
def test_zrange(benchmark: Any, big: Any) -> None:
    assert len(benchmark(big.zrange, b"z", 0, 9, withscores=True)) == 10


@pytest.mark.benchmark(group="ZRANK (100k zset)")
def test_zrank(benchmark: Any, big: Any) -> None:
    assert benchmark(big.zrank, b"z", MID) is not None
