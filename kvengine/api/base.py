"""What every command mixin builds on: argument encoding and the one call path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

KeyT = bytes | str | memoryview
EncodableT = bytes | str | memoryview | int | float


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
