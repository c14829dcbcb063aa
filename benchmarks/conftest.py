"""Benchmark fixtures: the same key-value API over each peer.

Each peer is a redis-py-shaped object (``get``, ``set``, ``incr``, ``mget``), so one
benchmark body measures all of them in the same run:

- ``dict``: a plain Python dict behind the same method names (the floor);
- ``kvengine``: ``kvengine.Engine`` (the C table unless KVENGINE_PUREPYTHON=1);
- ``fakeredis``: ``fakeredis.FakeRedis``;
- ``redis``: redis-py talking to a real redis-server over loopback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from servers import redis_server


class DictPeer:
    """The floor: a dict with redis-py's method names."""

    def __init__(self) -> None:
        self.d: dict[Any, Any] = {}

    def get(self, k: Any) -> Any:
        return self.d.get(k)

    def set(self, k: Any, v: Any) -> bool:
        self.d[k] = v
        return True

    def incr(self, k: Any, n: int = 1) -> int:
        v = self.d[k] = int(self.d.get(k, 0)) + n
        return v

    def mget(self, keys: list[Any]) -> list[Any]:
        return [self.d.get(k) for k in keys]

    def flushall(self) -> None:
        self.d.clear()


PEERS = ["dict", "kvengine", "fakeredis", "redis"]


@pytest.fixture(scope="session")
def redis_port() -> Iterator[int | None]:
    with redis_server() as port:
        yield port


@pytest.fixture(params=PEERS)
def peer(request: pytest.FixtureRequest, redis_port: int | None) -> Iterator[Any]:
    """One peer, empty."""
    name = request.param
    if name == "dict":
        yield DictPeer()
    elif name == "kvengine":
        from kvengine import Engine

        engine = Engine(active_expire=False)
        yield engine
        engine.close()
    elif name == "fakeredis":
        fakeredis = pytest.importorskip("fakeredis")
        yield fakeredis.FakeRedis()
    else:
        redis = pytest.importorskip("redis")
        if redis_port is None:
            pytest.skip("redis-server is not installed")
        client = redis.Redis(port=redis_port)
        client.flushall()
        yield client
        client.close()
