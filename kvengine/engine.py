"""Engine: an in-process Redis server plus a default client view on db 0."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

# Importing the command modules registers their commands in the table.
from kvengine import (  # noqa: F401
    admin,
    expire,
    functions,
    info,
    keys,
    multi,
    scripting,
    sort,
    t_hash,
    t_list,
    t_set,
    t_stream,
    t_string,
    t_zset,
)
from kvengine.client import Client
from kvengine.clock import Clock
from kvengine.config import apply_options
from kvengine.cron import no_wait
from kvengine.persistence import Backend, attach, create_backend, split_options
from kvengine.persistence import commands as _persistence_commands  # noqa: F401
from kvengine.server import Server


class Engine(Client):
    """An embeddable Redis-compatible key-value engine.

    >>> kv = Engine()
    >>> kv.set("user:1", "ann", ex=60)
    True
    >>> kv.get("user:1")
    b'ann'

    The engine is the server and a client view at once: its methods are redis-py's,
    and :meth:`client` gives more views (another db, decoded replies) on the same data.
    Every command is atomic under one lock, so an engine can be shared by threads.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        persistence: str | Backend | None = "hybrid",
        clock: Clock | None = None,
        db: int = 0,
        decode_responses: bool = False,
        encoding: str = "utf-8",
        encoding_errors: str = "strict",
        databases: int = 16,
        seed: int | None = None,
        active_expire: bool = True,
        hz: int = 10,
        maxmemory: int | str = 0,
        maxmemory_policy: str = "noeviction",
        lua_memory_limit: int | str | None = None,
        **config: Any,
    ) -> None:
        # Persistence settings by Redis's names (appendfsync="always", save="900 1", ...);
        # `path` is Redis's `dir`.  Engine(path) alone: hybrid, appendfsync everysec.
        persistence_options, config = split_options(config)
        backend = create_backend(path, persistence, **persistence_options)
        server = Server(
            clock=clock, databases=databases, seed=seed, hz=hz, active_expire=active_expire
        )
        super().__init__(server, db, decode_responses, encoding, encoding_errors)
        # Settings by Redis's names (maxmemory_samples=10, lfu_log_factor=...), validated
        # as CONFIG SET validates them.
        settings: dict[str, Any] = {}
        if maxmemory:
            settings["maxmemory"] = maxmemory
        if maxmemory_policy != "noeviction":
            settings["maxmemory_policy"] = maxmemory_policy
        settings.update(config)
        if settings:
            apply_options(server, settings)
        if lua_memory_limit is not None:
            # kvengine's own (Redis has no cap on Lua's heap, so it is no CONFIG
            # parameter): bytes the Lua runtime may hold, 0 for none.
            from kvengine.config import parse_memory
            from kvengine.scripting import state

            state(server).set_max_memory(parse_memory(lua_memory_limit))
        if backend is not None:
            try:
                attach(server, backend)
            except BaseException:
                server.close()
                raise
            server.cron_wake()  # loaded keys may carry TTLs: one tick, which parks if not

    def run_active_expire(self) -> int:
        """Run one active expiry cycle now (tests call this instead of waiting)."""
        from kvengine.expire import active_expire_cycle

        srv = self.server
        with srv.lock:
            srv.snapshot_time()
            n = active_expire_cycle(srv, time_limit_us=10**9)
            srv.flush_feed()
            return n

    def close(self) -> None:
        """Stop background work, flush and fsync the persistence backend and close it.
        Commands afterwards raise ConnectionError."""
        self.server.close()
        backend = getattr(self.server, "persistence", None)
        if backend is not None:
            backend.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # Dropped without close(): release what close() releases, without waiting for
        # any background tick (kvengine.cron.no_wait), on whatever thread collects us.
        server: Any = getattr(self, "server", None)
        if server is not None and not server.closed:
            try:
                with no_wait():
                    self.close()
            except Exception:  # pragma: no cover - interpreter shutdown
                pass
