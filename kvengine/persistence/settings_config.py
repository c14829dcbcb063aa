"""CONFIG GET/SET for the persistence settings, by Redis's names.

Values live on the backend's :class:`~kvengine.persistence.base.Settings`; an
in-memory engine keeps them on a no-op backend so that CONFIG GET answers as a
Redis with persistence switched off.  Redis's immutable settings
(``appendfilename``, ``appenddirname``, ``rdbchecksum``) are refused at run time with
Redis's texts; the protected ones (``dir``, ``dbfilename``) are gated by
:func:`kvengine.config.config_set` (``enable-protected-configs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kvengine.config import ConfigError, Param, register
from kvengine.persistence.base import PersistenceError, Settings, format_save

if TYPE_CHECKING:
    from kvengine.server import Server

_IMMUTABLE = ("appendfilename", "appenddirname", "rdbchecksum")


def _settings(srv: Server) -> Settings:
    from kvengine.persistence.commands import backend_of

    return backend_of(srv).settings


def _getter(name: str):  # type: ignore[no-untyped-def]
    attr = name.replace("-", "_")

    def get(srv: Server) -> str:
        if name == "appendonly":
            backend = srv.persistence
            on = backend is not None and getattr(backend, "log", None) is not None
            return "yes" if on else "no"
        value = getattr(_settings(srv), attr)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if name == "save":
            return format_save(value)
        if name == "dir":
            import os

            return os.path.abspath(value)
        return str(value)

    return get


def _setter(name: str):  # type: ignore[no-untyped-def]
    attr = name.replace("-", "_")

    def set_(srv: Server, text: str) -> None:
        if name in _IMMUTABLE:
            raise ConfigError("can't set immutable config")
        settings = _settings(srv)
        if name == "appendonly":
            _set_appendonly(srv, text)
            return
        old = getattr(settings, attr)
        try:
            settings.set(attr, text)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if getattr(settings, attr) != old:
            backend = srv.persistence
            refresh = getattr(backend, "settings_changed", None)
            if refresh is not None:
                refresh()

    return set_


def _set_appendonly(srv: Server, text: str) -> None:
    from kvengine.persistence.base import _convert

    try:
        on = _convert("appendonly", text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    backend = srv.persistence
    toggle = getattr(backend, "set_appendonly", None)
    if toggle is None:
        if on:
            _start_aof_in_dir(srv)
        return
    try:
        toggle(on)
    except (OSError, PersistenceError) as exc:  # a full disk, a damaged manifest
        raise ConfigError(f"Unable to turn on AOF ({exc})") from None


def _start_aof_in_dir(srv: Server) -> None:
    """CONFIG SET appendonly yes on an in-memory engine: as Redis, start an AOF of the
    running data set in ``dir`` (the working directory; settings set meanwhile carry
    over).  Nothing is read from the directory: an appendonlydir already there is
    replaced by the current data set."""
    import os
    from dataclasses import replace

    from kvengine.persistence import attach
    from kvengine.persistence.base import open_settings

    current = _settings(srv)
    settings = replace(current, dir=os.path.abspath(current.dir), appendonly=False, aof_layout="multipart")
    try:
        disk = open_settings(settings)
        disk._load_snapshot = lambda server: None  # type: ignore[method-assign]  # keep the running data
        try:
            attach(srv, disk)
        finally:
            del disk._load_snapshot
        disk.set_appendonly(True)
    except (OSError, PersistenceError) as exc:  # DataDirLocked: another Engine has the directory
        raise ConfigError(f"Unable to turn on AOF ({exc})") from None


for _name in ("appendonly", "appendfsync", "save", "dir", "dbfilename", "appendfilename",
              "appenddirname", "aof-use-rdb-preamble", "auto-aof-rewrite-percentage",
              "auto-aof-rewrite-min-size", "aof-load-truncated", "stop-writes-on-bgsave-error",
              "rdbchecksum", "rdbcompression"):
    register(Param(_name, _getter(_name), _setter(_name)))
