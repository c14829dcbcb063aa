"""Persistence: pluggable backends behind one small protocol (see base.py).

``Engine(path)`` opens a directory with the "hybrid" backend (Redis 7's multi-part
append-only log with a snapshot base, ``appendfsync everysec``);
``persistence="snapshot"|"aof"|"hybrid"|None`` or a :class:`Backend` instance picks
another, and Redis's configuration names set the details.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kvengine.persistence.base import (
    FS,
    PROTOCOL_VERSION,
    Backend,
    DataDirLocked,
    FileSystem,
    MemoryBackend,
    PersistenceError,
    Settings,
    create_backend,
    split_options,
)

if TYPE_CHECKING:
    from kvengine.server import Server

__all__ = [
    "FS",
    "PROTOCOL_VERSION",
    "Backend",
    "DataDirLocked",
    "FileSystem",
    "MemoryBackend",
    "PersistenceError",
    "Settings",
    "attach",
    "create_backend",
    "split_options",
]


def attach(server: Server, backend: Backend) -> None:
    """Make `backend` the server's persistence and load the data from it.

    The backend's ``load`` runs under the engine lock; afterwards the server feeds
    it every change (``server.feeding``) when the backend asked for it.
    """
    version = getattr(backend, "protocol_version", None)
    if not isinstance(version, int) or version > PROTOCOL_VERSION:
        raise TypeError(f"backend protocol version {version!r} is not supported (max {PROTOCOL_VERSION})")
    with server.lock:
        server.persistence = backend
        server.feeding = False
        try:
            backend.load(server)
        except BaseException:
            server.persistence = None
            server.feeding = False
            raise
        server.feeding = backend.wants_feed
        server.write_denied = backend.write_error()
        if server.pending_ops:
            server.flush_feed()
