"""Core command latency, kvengine side by side with a dict, fakeredis and redis-py + redis-server.

Run: ``make bench`` (writes benchmarks/results.json; ``python benchmarks/report.py``
turns it into the ratio table of RESULTS.md).
"""

from __future__ import annotations

from typing import Any

import pytest

KEY = b"user:00000001"
VALUE = b"v" * 32
KEYS10 = [b"key:%08d" % i for i in range(10)]


@pytest.mark.benchmark(group="GET hit")
def test_get_hit(benchmark: Any, peer: Any) -> None:
    peer.set(KEY, VALUE)
    assert benchmark(peer.get, KEY) == VALUE


@pytest.mark.benchmark(group="GET miss")
def test_get_miss(benchmark: Any, peer: Any) -> None:
    assert benchmark(peer.get, b"missing") is None


@pytest.mark.benchmark(group="SET")
def test_set(benchmark: Any, peer: Any) -> None:
    assert benchmark(peer.set, KEY, VALUE)


@pytest.mark.benchmark(group="INCR")
def test_incr(benchmark: Any, peer: Any) -> None:
    benchmark(peer.incr, b"counter")
    assert int(peer.get(b"counter")) > 0


@pytest.mark.benchmark(group="MGET 10")
def test_mget10(benchmark: Any, peer: Any) -> None:
    for k in KEYS10:
        peer.set(k, VALUE)
    assert benchmark(peer.mget, KEYS10) == [VALUE] * 10
