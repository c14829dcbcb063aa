"""EVAL and EVALSHA of a one-call script: kvengine beside fakeredis and redis-py +
redis-server (issue 6).  The dict peer has no scripting and is skipped.

Run: ``make bench`` (this file is part of it), then ``python benchmarks/report.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

SCRIPT = "return redis.call('GET', KEYS[1])"


def _scripting(peer: Any) -> Any:
    if not hasattr(peer, "evalsha"):
        pytest.skip("no scripting in this peer")
    return peer


@pytest.mark.benchmark(group="EVAL one-call script")
def test_eval(benchmark: Any, peer: Any) -> None:
    p = _scripting(peer)
    p.set(b"k", b"v")
    assert benchmark(p.eval, SCRIPT, 1, b"k") == b"v"


@pytest.mark.benchmark(group="EVALSHA one-call script")
def test_evalsha(benchmark: Any, peer: Any) -> None:
    p = _scripting(peer)
    p.set(b"k", b"v")
    sha = p.script_load(SCRIPT)
    assert benchmark(p.evalsha, sha, 1, b"k") == b"v"
