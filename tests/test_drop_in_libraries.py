"""Libraries that use redis-py their own way, run for real on the drop-in.

One per way a library gets its client: from a URL it builds itself (limits,
dogpile.cache: ``patch_redis`` as a context manager), or from a client object it is
handed and whose ``connection_kwargs`` it reads (pottery).  rq is not here: it needs
streams (XADD/XREVRANGE for job results), which kvengine does not have, and its
work-horse is a fresh process that cannot reach an in-process engine.
"""

from __future__ import annotations

import pytest

pytest.importorskip("redis")
import redis

from kvengine import Engine, ManualClock
from kvengine.redis_compat import Redis, patch_redis


def test_limits_configured_by_url() -> None:
    limits = pytest.importorskip("limits")
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

    clock = ManualClock()
    engine = Engine(clock=clock)
    with patch_redis(engine):
        storage = storage_from_string("redis://limits.internal:6379/0")
    fixed = FixedWindowRateLimiter(storage)
    moving = MovingWindowRateLimiter(storage)  # a Lua script inside
    two_a_minute = limits.parse("2/minute")
    assert [fixed.hit(two_a_minute, "ann") for _ in range(3)] == [True, True, False]
    assert fixed.hit(two_a_minute, "bob")
    assert [moving.hit(two_a_minute, "eve") for _ in range(3)] == [True, True, False]
    assert any(b"ann" in k for k in engine.keys("*"))  # the counters live in the engine
    engine.close()


def test_dogpile_cache_configured_by_url() -> None:
    pytest.importorskip("dogpile.cache")
    from dogpile.cache import make_region

    engine = Engine()
    calls: list[int] = []
    with patch_redis(engine):
        region = make_region().configure(
            "dogpile.cache.redis", arguments={"url": "redis://cache.internal:6379/1"}
        )

        @region.cache_on_arguments()
        def double(x: int) -> int:
            calls.append(x)
            return x * 2

        assert double(21) == 42 and double(21) == 42
    assert calls == [21]                       # the second call was a cache hit
    assert engine.client(db=1).dbsize() == 1   # stored in db 1, as the URL said
    double.invalidate(21)
    assert double(21) == 42 and calls == [21, 21]
    engine.close()


@pytest.mark.filterwarnings("ignore:Doing an O\\(n\\) Redis operation")
def test_pottery_containers_on_a_client_object() -> None:
    """pottery reads connection_kwargs['host'] (KeyError before the drop-in kept it)."""
    pottery = pytest.importorskip("pottery")

    engine = Engine()
    r = Redis(engine=engine)
    users = pottery.RedisDict({"ann": 31}, redis=r, key="users")
    users["bob"] = 42
    left = pottery.RedisSet({1, 2}, redis=r, key="left")
    right = pottery.RedisSet({2, 3}, redis=r, key="right")
    assert dict(users) == {"ann": 31, "bob": 42}
    assert left.union(right) == {1, 2, 3}       # both on "the same server": one transaction
    assert not left.isdisjoint(right)
    queue = pottery.RedisDeque([1, 2], redis=r, key="q")
    queue.appendleft(0)
    assert list(queue) == [0, 1, 2]
    assert engine.type("users") == b"hash" and engine.type("q") == b"list"
    # a client made by redis.Redis(...) under the patch works the same way
    with patch_redis(engine):
        other = redis.Redis(host="cache.internal", port=6380)
    assert pottery.RedisDict(redis=other, key="users")["ann"] == 31
    engine.close()
