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


# -- transactions and pipelines (issue 11 item 4): each beside the same commands sent one by one
KEYS100 = [b"key:%08d" % i for i in range(100)]


def _pipelining(peer: Any) -> Any:
    if not hasattr(peer, "pipeline"):
        pytest.skip("no pipelines in this peer")
    return peer


@pytest.mark.benchmark(group="10 SET one by one")
def test_set10(benchmark: Any, peer: Any) -> None:
    def run() -> None:
        s = peer.set
        for k in KEYS10:
            s(k, VALUE)

    benchmark(run)
    assert peer.get(KEYS10[-1]) == VALUE


@pytest.mark.benchmark(group="MULTI/EXEC of 10 SET (pipeline)")
def test_multi_exec_set10(benchmark: Any, peer: Any) -> None:
    p = _pipelining(peer)

    def run() -> list[Any]:
        pipe = p.pipeline()
        for k in KEYS10:
            pipe.set(k, VALUE)
        return pipe.execute()  # type: ignore[no-any-return]

    assert benchmark(run) == [True] * 10


@pytest.mark.benchmark(group="100 GET one by one")
def test_get100(benchmark: Any, peer: Any) -> None:
    for k in KEYS100:
        peer.set(k, VALUE)

    def run() -> list[Any]:
        g = peer.get
        return [g(k) for k in KEYS100]

    assert benchmark(run) == [VALUE] * 100


@pytest.mark.benchmark(group="pipeline of 100 GET (no transaction)")
def test_pipeline_get100(benchmark: Any, peer: Any) -> None:
    p = _pipelining(peer)
    for k in KEYS100:
        p.set(k, VALUE)

    def run() -> list[Any]:
        pipe = p.pipeline(transaction=False)
        for k in KEYS100:
            pipe.get(k)
        return pipe.execute()  # type: ignore[no-any-return]

    assert benchmark(run) == [VALUE] * 100
