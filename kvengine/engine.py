"""Engine: an in-process Redis server plus a default client view on db 0."""

from __future__ import annotations

from types import TracebackType
from typing import Any

# Importing the command modules registers their commands in the table.
from kvengine import admin, expire, keys, t_hash, t_list, t_set, t_string  # noqa: F401
from kvengine import multi  # noqa: F401  (transactions)
from kvengine.client import Client
from kvengine.clock import Clock
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
        path: str | None = None,
        *,
        clock: Clock | None = None,
        db: int = 0,
        decode_responses: bool = False,
        encoding: str = "utf-8",
        encoding_errors: str = "strict",
        databases: int = 16,
        seed: int | None = None,
        active_expire: bool = True,
        hz: int = 10,
    ) -> None:
        if path is not None:
            raise NotImplementedError("persistence to a directory is not available yet")
        server = Server(
            clock=clock, databases=databases, seed=seed, hz=hz, active_expire=active_expire
        )
        super().__init__(server, db, decode_responses, encoding, encoding_errors)

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
        """Stop background work.  Commands afterwards raise ConnectionError."""
        self.server.close()

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
        server: Any = getattr(self, "server", None)
        if server is not None and not server.closed:
            try:
                server.close()
            except Exception:  # pragma: no cover - interpreter shutdown
                pass
