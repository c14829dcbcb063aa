"""SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE: the persistence commands.

They talk to ``server.persistence`` through the backend protocol; an engine without
persistence answers as a Redis whose saves cost nothing (there is nowhere to write).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kvengine import exceptions as e
from kvengine.commands import (
    ADMIN,
    FAST,
    LOADING,
    NO_ASYNC_LOADING,
    NO_MULTI,
    NOSCRIPT,
    STALE,
    Argv,
    Reply,
    command,
)
from kvengine.persistence.base import Backend, MemoryBackend
from kvengine.reply import OK, Status

if TYPE_CHECKING:
    from kvengine.client import Client
    from kvengine.server import Server


def backend_of(srv: Server) -> Backend:
    """The server's backend, or a no-op one kept on the server for an in-memory engine."""
    backend = getattr(srv, "persistence", None)
    if backend is None:
        backend = getattr(srv, "_memory_backend", None)
        if backend is None:
            backend = MemoryBackend()
            backend.server = srv
            backend.last_save = srv.clock() // 1000
            srv._memory_backend = backend  # type: ignore[attr-defined]
    return backend


def _in_exec(c: Client) -> bool:
    return bool(getattr(c, "in_exec", False) or getattr(c, "in_script", False))


@command("SAVE", 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI)
def save_command(c: Client, argv: Argv) -> Reply:
    """SAVE: write a snapshot now, blocking every client until it is on disk."""
    backend_of(c.server).save(c.server)
    return OK


@command("BGSAVE", -1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING)
def bgsave_command(c: Client, argv: Argv) -> Reply:
    """BGSAVE [SCHEDULE]: write a snapshot in the background."""
    schedule = False
    if len(argv) > 1:
        if len(argv) == 2 and argv[1].lower() == b"schedule":
            schedule = True
        else:
            raise e.syntax()
    text = backend_of(c.server).bgsave(c.server, schedule, _in_exec(c))
    return Status(text.encode())


@command("BGREWRITEAOF", 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING)
def bgrewriteaof_command(c: Client, argv: Argv) -> Reply:
    """BGREWRITEAOF: rewrite the append-only log in the background."""
    text = backend_of(c.server).rewrite(c.server, _in_exec(c))
    return Status(text.encode())


@command("LASTSAVE", 1, LOADING | STALE | FAST)
def lastsave_command(c: Client, argv: Argv) -> Reply:
    """LASTSAVE: unix time of the last successful save."""
    return backend_of(c.server).lastsave()


from kvengine.persistence import settings_config as _settings_config  # noqa: E402, F401  (CONFIG names)
