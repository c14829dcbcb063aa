"""What every command mixin builds on: argument encoding and the one call path."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from time import time_ns as _time_ns
from typing import Any

from kvengine import exceptions as e
from kvengine.clock import system_clock

KeyT = bytes | str | memoryview
EncodableT = bytes | str | memoryview | int | float

SLOW: Any = object()
"""ApiBase._read_container's answer when the caller must take the general path."""


def list_or_args(keys: Any, args: Iterable[Any]) -> list[Any]:
    """redis-py's list_or_args: a single key or an iterable of keys, plus more args."""
    if isinstance(keys, (bytes, str, memoryview, int, float)):
        out = [keys]
    else:
        try:
            out = list(keys)
        except TypeError:
            out = [keys]
    out.extend(args)
    return out


class ApiBase:
    """Mixins call ``self._x(name, *args)``; :class:`kvengine.client.Client` provides
    ``_enc`` (redis-py's encoding) and ``_call`` (lock, clock, dispatch, decoding)."""

    def _enc(self, value: Any) -> bytes:  # pragma: no cover - provided by Client
        raise NotImplementedError

    def _call(self, argv: list[bytes]) -> Any:  # pragma: no cover - provided by Client
        raise NotImplementedError

    def _run(self, cmd: Any, argv: list[bytes]) -> Any:  # pragma: no cover - provided by Client
        raise NotImplementedError

    def _x(self, name: bytes, *args: Any) -> Any:
        """Encode `args` and run the command `name`."""
        enc = self._enc
        return self._call([name, *[a if type(a) is bytes else enc(a) for a in args]])

    def _read_container(self, cmd: Any, key: bytes, cls: type, op: Callable[[Any, bytes], Any], arg: bytes) -> Any:
        """The inlined path of a read-only one-key container command (HGET, ZSCORE),
        as Engine.get's: ``op(value, arg)`` under the engine lock, None for a missing
        key, with the general path's effects (command count, keyspace hits/misses,
        lazy expiry, WRONGTYPE).  SLOW inside MULTI or when the lock is contended:
        the caller then takes the general path (which waits, or answers BUSY)."""
        if self.multi is not None:  # type: ignore[attr-defined]
            return SLOW
        srv = self.server  # type: ignore[attr-defined]
        lock = srv.lock
        if not lock.acquire(False):
            return SLOW
        try:
            if srv.closed:
                raise e.ConnectionError("the engine is closed")
            clock = srv.clock
            srv.now = _time_ns() // 1_000_000 if clock is system_clock else clock()
            cmd.calls += 1
            value = self.db.get_typed(key, cls, write=False)  # type: ignore[attr-defined]
            return None if value is None else op(value, arg)
        finally:
            if srv.pending_ops:
                srv.flush_feed()
            lock.release()
