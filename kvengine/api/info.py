"""redis-py's INFO, CONFIG and MEMORY methods, with its parsed return shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kvengine.api.base import ApiBase, KeyT


def _text(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _info_value(value: str) -> Any:
    """redis-py's parse_info value rules: numbers, lists, and k=v dicts."""
    if "," not in value and "=" not in value:
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    if "=" not in value:
        return [_info_value(v) for v in value.split(",") if v]
    out: dict[str, Any] = {}
    for item in value.split(","):
        if "=" in item:
            k, v = item.rsplit("=", 1)
            out[k] = _info_value(v)
        elif item:
            out[item] = True
    return out


def parse_info(reply: Any) -> dict[str, Any]:
    """INFO text -> the dict redis-py's ``info()`` returns."""
    info: dict[str, Any] = {}
    for line in _text(reply).splitlines():
        if line and not line.startswith("#") and ":" in line:
            key, value = line.split(":", 1)
            info[key] = _info_value(value)
    return info


def _pairs(reply: list[Any]) -> dict[str, Any]:
    return {_text(k): _text(v) for k, v in zip(reply[::2], reply[1::2])}


def parse_memory_stats(reply: list[Any]) -> dict[str, Any]:
    """MEMORY STATS -> redis-py's dict (``db.N`` entries as nested dicts)."""
    stats = _pairs(reply)
    for key, value in stats.items():
        if key.startswith("db.") and isinstance(value, list):
            stats[key] = _pairs(value)
    return stats


class InfoCommands(ApiBase):
    """INFO, CONFIG GET/SET/RESETSTAT/REWRITE, MEMORY USAGE/STATS/DOCTOR/PURGE."""

    def info(self, section: str | None = None, *args: str, **kwargs: Any) -> dict[str, Any]:
        """Server information as a dict (all default sections, or the ones named)."""
        names = [] if section is None else [section, *args]
        return parse_info(self._x(b"INFO", *names))

    def config_get(self, pattern: KeyT = "*", *args: KeyT, **kwargs: Any) -> dict[str, str]:
        """Settings matching the glob patterns, as {name: value}."""
        return _pairs(self._x(b"CONFIG", b"GET", pattern, *args))

    def config_set(self, name: KeyT, value: Any, *args: Any, **kwargs: Any) -> bool:
        """Change settings (several pairs at once, all or nothing)."""
        return self._x(b"CONFIG", b"SET", name, value, *args) == b"OK"

    def config_resetstat(self, **kwargs: Any) -> bool:
        """Zero INFO's counters."""
        return self._x(b"CONFIG", b"RESETSTAT") == b"OK"

    def config_rewrite(self, **kwargs: Any) -> Any:
        """Refused: there is no config file in-process."""
        return self._x(b"CONFIG", b"REWRITE")

    def memory_usage(self, key: KeyT, samples: int | None = None) -> int | None:
        """Bytes `key` and its value use, or None."""
        extra = [] if samples is None else [b"SAMPLES", samples]
        return self._x(b"MEMORY", b"USAGE", key, *extra)  # type: ignore[no-any-return]

    def memory_stats(self, **kwargs: Any) -> dict[str, Any]:
        """MEMORY STATS as a dict."""
        return parse_memory_stats(self._x(b"MEMORY", b"STATS"))

    def memory_doctor(self, **kwargs: Any) -> str:
        """A short report on memory use."""
        return _text(self._x(b"MEMORY", b"DOCTOR"))  # type: ignore[no-any-return]

    def memory_purge(self, **kwargs: Any) -> bool:
        """No-op kept for redis-py compatibility."""
        return self._x(b"MEMORY", b"PURGE") == b"OK"

    def on_evict(self, callback: Callable[[bytes, int, str], None]) -> Callable[[bytes, int, str], None]:
        """Call ``callback(key, db, policy)`` for every key eviction removes (usable as
        a decorator); a way to see why a key is gone."""
        self.server.evict_callbacks.append(callback)  # type: ignore[attr-defined]
        return callback
