"""Differential testing: the same calls to a real redis-server and to kvengine.

A session-scoped ``redis-server`` (Debian's package; ``.ci/run`` installs it) is
started on a free loopback port.  The ``both`` fixture sends each call to both and
compares replies, or error classes and texts.  Without redis-server the tests are
skipped, unless KVENGINE_REQUIRE_REDIS=1 (CI) makes that a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

redis = pytest.importorskip("redis")

from kvengine import Engine  # noqa: E402
from kvengine.reply import Status  # noqa: E402
from tests.redis_server import redis_server  # noqa: E402


@pytest.fixture(scope="session")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Port of a private redis-server for this test session."""
    with redis_server(tmp_path_factory.mktemp("redis")) as port:
        yield port


def normalize(reply: Any) -> Any:
    """Make replies comparable: Status -> bytes, errors -> (class name, text), tuples -> lists."""
    if isinstance(reply, Exception):
        return ("error", type(reply).__name__, str(reply))
    if isinstance(reply, Status):
        return bytes(reply)
    if isinstance(reply, (list, tuple)):
        return [normalize(r) for r in reply]
    return reply


class Both:
    """Send the same command to a real Redis and to kvengine."""

    def __init__(self, real: Any, kv: Engine) -> None:
        self.real = real
        self.kv = kv

    def raw(self, *args: Any) -> tuple[Any, Any]:
        """(real reply or exception, kvengine reply or exception), normalized."""
        argv = [self.kv._enc(a) for a in args]
        try:
            real = self.real.execute_command(*argv)
        except redis.ResponseError as exc:
            real = exc
        try:
            mine = self.kv._call(argv)
        except redis.ResponseError as exc:
            mine = exc
        return normalize(real), normalize(mine)

    def eq(self, *args: Any, sort: bool = False) -> Any:
        """Assert both give the same reply (sorted first if `sort`); return it."""
        real, mine = self.raw(*args)
        if sort and isinstance(real, list) and isinstance(mine, list):
            real, mine = sorted(real, key=repr), sorted(mine, key=repr)
        assert mine == real, f"{args!r}: kvengine {mine!r} != redis {real!r}"
        return real

    def error(self, fragment: str, *args: Any) -> None:
        """Assert both fail with the same error class and text, containing `fragment`."""
        real, mine = self.raw(*args)
        assert isinstance(real, tuple) and real[0] == "error", f"{args!r}: redis gave {real!r}"
        assert mine == real, f"{args!r}: kvengine {mine!r} != redis {real!r}"
        assert fragment in real[2], f"{args!r}: {real[2]!r} lacks {fragment!r}"

    def approx(self, *args: Any, tolerance: int = 2) -> None:
        """Assert integer replies within `tolerance` (TTLs race the wall clock)."""
        real, mine = self.raw(*args)
        assert isinstance(real, int) and isinstance(mine, int), (real, mine)
        assert abs(real - mine) <= tolerance, f"{args!r}: kvengine {mine} vs redis {real}"


@pytest.fixture(scope="session")
def real_client(redis_port: int) -> Any:
    client = redis.Redis(port=redis_port, protocol=2)
    client.response_callbacks.clear()
    return client


@pytest.fixture
def both(real_client: Any) -> Iterator[Both]:
    """A flushed real Redis and a fresh kvengine (wall clock, like the server's)."""
    real_client.flushall()
    real_client.execute_command("SELECT", 0)
    engine = Engine(active_expire=False)
    yield Both(real_client, engine)
    engine.close()
