"""A client view: per-client state plus redis-py's command methods.

A ``Client`` is what a connection is to a Redis server: a selected database, a
MULTI queue, watched keys, and how replies are decoded.  Its command methods come
from the mixins in :mod:`kvengine.api` and have redis-py's names, parameters and
return shapes.  Every method ends in :meth:`Client._call`, which takes the engine
lock, reads the clock once and runs :func:`kvengine.dispatch.call`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kvengine import blocking
from kvengine import exceptions as e
from kvengine.api import ALL_MIXINS
from kvengine.api.callbacks import CALLBACKS
from kvengine.blocking import Block
from kvengine.commands import NO_MULTI, NO_QUEUE, WRITE, Argv, Command, Reply
from kvengine.dispatch import execute, resolve
from kvengine.reply import QUEUED, Status

if TYPE_CHECKING:
    from kvengine.server import Server


def encode_arg(value: Any, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """Encode one argument exactly as redis-py's Encoder does."""
    t = type(value)
    if t is bytes:
        return value  # type: ignore[no-any-return]
    if t is str:
        return value.encode(encoding, errors)  # type: ignore[no-any-return]
    if t is int or t is float:
        return repr(value).encode()
    if isinstance(value, (bytes, memoryview, bytearray)):
        return bytes(value)
    if isinstance(value, bool):
        raise e.data_error(value)
    if isinstance(value, (int, float)):
        return repr(value).encode()
    if isinstance(value, str):
        return value.encode(encoding, errors)
    raise e.data_error(value)


def decode_reply(reply: Any, encoding: str = "utf-8", errors: str = "strict") -> Any:
    """Decode bulk and status strings to str, recursively (decode_responses=True)."""
    if isinstance(reply, bytes):
        return reply.decode(encoding, errors)
    if isinstance(reply, list):
        return [decode_reply(r, encoding, errors) for r in reply]
    return reply


class Client(*ALL_MIXINS):  # type: ignore[misc]
    """A view on an engine's data with its own selected db, MULTI state and decoding."""

    #: The protocol the view's replies are meant for (Redis's ``c->resp``): 2 for the
    #: engine's own API; the redis-py drop-in's connections set 3 under ``protocol=3``,
    #: and a script then returns RESP3 types (maps, sets, doubles, booleans).
    resp: int = 2

    def __init__(
        self,
        server: Server,
        db: int = 0,
        decode_responses: bool = False,
        encoding: str = "utf-8",
        encoding_errors: str = "strict",
    ) -> None:
        self.server = server
        if not 0 <= db < len(server.dbs):
            raise e.err(e.DB_INDEX)
        self.db = server.dbs[db]
        self.decode_responses = decode_responses
        self.encoding = encoding
        self.encoding_errors = encoding_errors
        self.id = next(server.client_ids)
        self.name: bytes | None = None
        # MULTI/EXEC state (kvengine.multi): None when not in a transaction.
        self.multi: list[tuple[Command, Argv]] | None = None
        self.multi_error = False
        self.watch_dirty = False
        self.watching: set[tuple[int, bytes]] = set()
        # Set by a handler to log something other than its argv (see dispatch.execute).
        self.prop: list[Argv] | None = None
        # True while EXEC runs the queue or a script runs: blocking commands must not block.
        self.in_exec = False
        self.in_script = False

    # -- the one way in --------------------------------------------------------------------
    def _enc(self, value: Any) -> bytes:
        if type(value) is bytes:
            return value  # type: ignore[no-any-return]
        return encode_arg(value, self.encoding, self.encoding_errors)

    def _call(self, argv: Argv) -> Reply:
        """Run one command by name atomically and return its reply, decoded if asked."""
        try:
            cmd = resolve(argv)
        except e.ResponseError as exc:
            if self.multi is not None:
                self.multi_error = True  # EXEC will answer EXECABORT (Redis's flagTransaction)
            if argv and argv[0].lower() == b"exec":
                from kvengine.multi import exec_abort

                raise exec_abort(self, exc) from None
            raise
        return self._run(cmd, argv)

    def _run(self, cmd: Command, argv: Argv) -> Reply:
        """Run an already resolved command atomically (the typed methods' fast path:
        they resolve their command once, at import)."""
        srv = self.server
        waiter = None
        lock = srv.lock
        held = lock.acquire(False)
        if not held:
            # Contended.  If a script has run past busy-reply-threshold, Redis answers
            # BUSY (or runs SCRIPT KILL) instead of waiting: kvengine.scripting decides.
            from kvengine.scripting import acquire_or_busy

            held, reply = acquire_or_busy(self, cmd, argv)
        if held:
            try:
                if srv.closed:
                    raise srv.closed_error()
                srv.now = srv.clock()
                try:
                    if self.multi is not None and not cmd.flags & NO_QUEUE:
                        reply = self.queue(cmd, argv)
                    else:
                        reply = execute(self, cmd, argv)
                except Block as signal:
                    waiter = blocking.block(self, cmd, argv, signal)
                finally:
                    if srv.ready_keys:
                        blocking.serve_ready(srv)
                    if srv.pending_ops:
                        srv.flush_feed()
                    if srv.cron_parked and srv.dirty != srv.cron_parked_dirty:
                        srv.cron_wake()  # data changed: the cron has work again (server.py)
            finally:
                lock.release()
        if waiter is not None:
            reply = blocking.wait(srv, waiter)  # outside the lock
        if self.decode_responses:
            return decode_reply(reply, self.encoding, self.encoding_errors)
        if type(reply) is Status:
            return bytes(reply)
        return reply

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Run any command by name, as redis-py's ``execute_command``, with redis-py's
        response callback for that command applied to the reply.
        """
        argv = [self._enc(a) for a in args]
        reply = self._call(argv)
        if not argv:
            return reply
        name = argv[0].decode("utf-8", "replace").upper()
        cb: Callable[..., Any] | None = CALLBACKS.get(name)
        if cb is None and len(args) > 1:
            cb = CALLBACKS.get(f"{name} {argv[1].decode('utf-8', 'replace').upper()}")
        if cb is not None and not isinstance(reply, Exception):
            return cb(reply, **options)
        return reply

    # -- MULTI support used by dispatch --------------------------------------------------
    def queue(self, cmd: Command, argv: Argv) -> Reply:
        """Queue a command inside MULTI and answer QUEUED."""
        assert self.multi is not None
        if cmd.flags & NO_MULTI:
            self.multi_error = True
            raise e.err("Command not allowed inside a transaction")
        srv = self.server
        if cmd.name == "debug":  # a protected command: refused before queueing (processCommand)
            from kvengine.debug import check_allowed

            try:
                check_allowed(srv)
            except e.RedisError:
                self.multi_error = True
                raise
        # processCommand's order: no-multi, protected (DEBUG), then OOM, then MISCONF.
        if srv.maxmemory:
            # Inside MULTI Redis rejects any command while out of memory, not only the
            # denyoom ones: queueing itself takes memory (server.c, reject_cmd_on_oom).
            try:
                srv.free_memory_or_oom()
            except e.RedisError:
                self.multi_error = True  # Redis rejects and flags the transaction
                raise
        if srv.write_denied is not None and cmd.flags & WRITE:
            self.multi_error = True  # MISCONF: Redis rejects and flags the transaction
            raise e.error_from_line(srv.write_denied)
        self.multi.append((cmd, argv))
        return QUEUED

    # -- views ----------------------------------------------------------------------------
    def client(self, db: int | None = None, decode_responses: bool | None = None) -> Client:
        """Another view on the same data (its own db, MULTI state and decoding)."""
        return Client(
            self.server,
            self.db.id if db is None else db,
            self.decode_responses if decode_responses is None else decode_responses,
            self.encoding,
            self.encoding_errors,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={self.id} db={self.db.id}>"
