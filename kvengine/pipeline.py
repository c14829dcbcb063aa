"""Pipelines and transactions with redis-py's Pipeline interface.

``engine.pipeline()`` returns a :class:`Pipeline`: every command method of the
engine, buffered and chainable, run by :meth:`Pipeline.execute`.  With
``transaction=True`` (the default) the buffer runs as one MULTI/EXEC: under the
engine lock from first command to last, one time snapshot, effects propagated
wrapped in MULTI/EXEC, blocked clients served only afterwards; runtime errors are
per-command results, a WATCHed key that changed raises ``WatchError``.  After
``watch()`` the pipeline runs commands immediately until ``multi()`` (redis-py's
check-and-set pattern), and ``engine.transaction(func, *watches)`` retries ``func``
on WatchError.
"""

from __future__ import annotations

import copy
import textwrap
import time
from collections.abc import Callable
from time import time_ns as _time_ns
from typing import TYPE_CHECKING, Any

from kvengine import blocking
from kvengine import exceptions as e
from kvengine._native import NO_EXPIRE
from kvengine.api.callbacks import CALLBACKS
from kvengine.client import Client, decode_reply
from kvengine.clock import system_clock
from kvengine.commands import TABLE, WRITE, Argv, Command, Reply
from kvengine.dispatch import execute, resolve
from kvengine.multi import unwatch_all, watched_key_expired, wrap_effects
from kvengine.reply import Status

if TYPE_CHECKING:
    from kvengine.db import Database
    from kvengine.server import Server

# Client methods that are not commands and are never buffered.
_NOT_COMMANDS = frozenset(
    {"client", "close", "pipeline", "transaction", "execute_command", "lock", "run_active_expire"}
)


class _ExecRunner(Client):
    """Runs a transaction's commands inside an EXEC: no lock taking, no clock read,
    no feed flush, no blocking (``multi`` is non-None, so blocking commands answer
    at once and the GET/SET fast paths step aside).  The OOM gate ran once for the
    whole transaction, before the first command, as Redis checks each command while
    it queues."""

    def __init__(self, view: Client) -> None:
        super().__init__(
            view.server, view.db.id, view.decode_responses, view.encoding, view.encoding_errors
        )
        self.multi = []  # never used as a queue: _run is overridden
        self.in_exec = True
        self.argvs: list[Argv] = []

    def _run(self, cmd: Command, argv: Argv) -> Reply:
        self.argvs.append(argv)
        reply = execute(self, cmd, argv, gate=False)
        if self.decode_responses:
            return decode_reply(reply, self.encoding, self.encoding_errors)
        if type(reply) is Status:
            return bytes(reply)
        return reply

    def _call(self, argv: Argv) -> Reply:
        try:
            cmd = resolve(argv)
        except e.ResponseError:
            self.argvs.append(argv)
            raise
        return self._run(cmd, argv)


class _Probed(BaseException):
    """Carries the command a method would run out of :class:`_Probe` (a BaseException,
    so no ``except Exception`` in a method can swallow it)."""

    def __init__(self, cmd: Command | None, argv: Argv) -> None:
        super().__init__()
        self.cmd = cmd
        self.argv = argv


class _Probe(Client):
    """Learns which command a typed method would send, without running it: for
    redis-py's error annotation and the checks Redis makes while queueing (rare paths
    only, so typed methods are not probed on the way in)."""

    def __init__(self, view: Client) -> None:
        super().__init__(
            view.server, view.db.id, view.decode_responses, view.encoding, view.encoding_errors
        )
        self.multi = []  # the GET/SET fast paths step aside, as inside MULTI

    def _run(self, cmd: Command, argv: Argv) -> Reply:
        raise _Probed(cmd, argv)

    def _call(self, argv: Argv) -> Reply:
        try:
            cmd: Command | None = resolve(argv)
        except e.ResponseError:
            cmd = None
        raise _Probed(cmd, argv)


def _probe(view: Client, entry: tuple[Any, ...]) -> tuple[Command | None, Argv | None]:
    """The (command, argv) a queued entry runs, if it can be known without running it."""
    kind, a, b, c = entry
    if kind == _K_GET:
        return _GET, [b"GET", a]
    if kind == _K_SET:
        return _SET, [b"SET", a, b]
    if kind == _K_CMD:
        return (a if type(a) is Command else None), b
    if kind == _K_CALL:
        try:
            getattr(_Probe(view), a)(*b, **c)
        except _Probed as found:
            return found.cmd, found.argv
        except Exception:  # an argument it refuses: it raises at run time as well
            pass
    return None, None


# What the command stack holds: (kind, a, b, c).  GET and SET without options are
# encoded when queued and run inline (the engine's fast paths, written out once more
# under the transaction's lock); execute_command is encoded and resolved when queued
# (an unknown command or wrong arity then aborts the transaction before anything
# runs); any other method is called at run time on the runner.
_K_GET = 0  # (_K_GET, key, None, None)
_K_SET = 1  # (_K_SET, key, value, None)
_K_CMD = 2  # (_K_CMD, Command or the queueing error, argv, (callback, options))
_K_CALL = 3  # (_K_CALL, method name, args, kwargs)
_K_BAD = 4  # (_K_BAD, the encoding error, None, None): raised by execute(), nothing runs

_GET = TABLE[b"get"]
_SET = TABLE[b"set"]


def _lookup_string(db: Database, key: bytes) -> bytes | None:
    """GET's work once the lock is held and the clock read (server.now), as
    t_string.get_command does it: lazy expiry, keyspace hit/miss, WRONGTYPE."""
    _GET.calls += 1
    return db.get_typed(key, bytes, write=False)  # type: ignore[no-any-return]


def _annotate(exc: Exception, number: int, argv: Argv | None) -> None:
    """redis-py's wording for the first failing command of a pipeline."""
    cmd = textwrap.shorten(" ".join(a.decode("utf-8", "replace") for a in argv or []),
                           width=100, placeholder="...", break_long_words=True)
    exc.args = (f"Command # {number} ({cmd}) of pipeline caused error: {exc.args[0]}", *exc.args[1:])


class Pipeline:
    """Buffered commands, run together by :meth:`execute` (redis-py's Pipeline)."""

    def __init__(self, client: Client, transaction: bool = True) -> None:
        self._view = client.client()  # its own WATCH state, same db and decoding
        self._runner: _ExecRunner | None = None
        self.transaction = transaction
        self.command_stack: list[tuple[Any, Any, Any, Any]] = []
        self.watching = False
        self.explicit_transaction = False
        self._bad: Exception | None = None  # an argument that failed to encode

    # -- redis-py's pipeline protocol --------------------------------------------------
    def __len__(self) -> int:
        return len(self.command_stack)

    def __bool__(self) -> bool:
        return True

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget buffered commands and watched keys."""
        self.command_stack = []
        self._bad = None
        if self.watching:
            self._view.execute_command("UNWATCH")
        self.watching = False
        self.explicit_transaction = False

    close = reset

    def multi(self) -> None:
        """Start buffering after WATCH (the check-and-set pattern)."""
        if self.explicit_transaction:
            raise e.RedisError("Cannot issue nested calls to MULTI")
        if self.command_stack:
            raise e.RedisError("Commands without an initial WATCH have already been issued")
        self.explicit_transaction = True

    def watch(self, *names: Any) -> bool:
        """WATCH keys; until multi(), commands run immediately."""
        if self.explicit_transaction:
            raise e.RedisError("Cannot issue a WATCH after a MULTI")
        self._view.execute_command("WATCH", *names)
        self.watching = True
        return True

    def unwatch(self) -> bool:
        """UNWATCH every key."""
        if self.watching:
            self._view.execute_command("UNWATCH")
            self.watching = False
        return True

    def discard(self) -> None:
        """Drop what is buffered."""
        self.command_stack = []
        self._bad = None

    # -- buffering -----------------------------------------------------------------------
    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Buffer any command by name (run immediately while watching)."""
        if self.watching and not self.explicit_transaction:
            return self._view.execute_command(*args, **options)
        view = self._view
        try:
            argv = [view._enc(a) for a in args]
        except e.DataError as exc:
            return self._queue_bad(exc)
        cmd: Any
        try:
            cmd = resolve(argv)
        except e.ResponseError as exc:
            cmd = exc
        cb = None
        if argv:
            name = argv[0].decode("utf-8", "replace").upper()
            cb = CALLBACKS.get(name)
            if cb is None and len(argv) > 1:
                cb = CALLBACKS.get(f"{name} {argv[1].decode('utf-8', 'replace').upper()}")
        self.command_stack.append((_K_CMD, cmd, argv, (cb, options)))
        return self

    def get(self, name: Any) -> Any:
        """Buffer ``GET`` (see the engine's method of the same name)."""
        if self.watching and not self.explicit_transaction:
            return self._view.get(name)
        if type(name) is not bytes:
            try:
                name = self._view._enc(name)
            except e.DataError as exc:
                return self._queue_bad(exc)
        self.command_stack.append((_K_GET, name, None, None))
        return self

    def set(
        self,
        name: Any,
        value: Any,
        ex: Any = None,
        px: Any = None,
        nx: bool = False,
        xx: bool = False,
        keepttl: bool = False,
        get: bool = False,
        exat: Any = None,
        pxat: Any = None,
    ) -> Any:
        """Buffer ``SET`` (see the engine's method of the same name)."""
        if (self.watching and not self.explicit_transaction) or not (
            ex is None and px is None and exat is None and pxat is None
            and not (nx or xx or keepttl or get)
        ):
            return self._buffer(
                "set", (name, value, ex, px, nx, xx, keepttl, get, exat, pxat), {}
            )
        try:
            enc = self._view._enc
            key = name if type(name) is bytes else enc(name)
            val = value if type(value) is bytes else enc(value)
        except e.DataError as exc:
            return self._queue_bad(exc)
        self.command_stack.append((_K_SET, key, val, None))
        return self

    def _queue_bad(self, exc: Exception) -> Pipeline:
        self.command_stack.append((_K_BAD, exc, None, None))
        if self._bad is None:
            self._bad = exc
        return self

    def _buffer(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self.watching and not self.explicit_transaction:
            return getattr(self._view, name)(*args, **kwargs)
        self.command_stack.append((_K_CALL, name, args, kwargs))
        return self

    # -- running -------------------------------------------------------------------------
    def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Run the buffer; a list of results (errors in place, or the first one raised)."""
        stack = self.command_stack
        if not stack and not self.watching:
            return []
        try:
            if self._bad is not None:
                # redis-py encodes everything before sending: nothing runs, and its
                # reset() unwatches.
                unwatch_all(self._view)
                raise self._bad
            if self.transaction or self.explicit_transaction:
                results, argvs = self._execute_transaction(stack)
            else:
                results, argvs = self._execute_pipeline(stack)
        finally:
            self.command_stack = []
            self._bad = None
            self.watching = False
            self.explicit_transaction = False
        if raise_on_error:
            for i, result in enumerate(results):
                if isinstance(result, e.ResponseError):
                    argv = argvs[i] if argvs[i] is not None else _probe(self._view, stack[i])[1]
                    _annotate(result, i + 1, argv)
                    raise result
        return results

    def _execute_pipeline(self, stack: list[Any]) -> tuple[list[Any], list[Argv | None]]:
        """No transaction: each command runs on its own, as one sent on a connection."""
        view = self._view
        srv: Server = view.server
        lock = srv.lock
        results: list[Any] = []
        append = results.append
        i = 0
        n = len(stack)
        while i < n:
            kind, a, b, c = stack[i]
            if kind == _K_GET and lock.acquire(False):
                # A run of GETs under one taking of the lock: each still reads the
                # clock, as it would sent alone (a contended lock goes the general way).
                try:
                    if srv.closed:
                        raise e.ConnectionError("the engine is closed")
                    clock = srv.clock
                    decode = view.decode_responses
                    db = view.db
                    while True:
                        srv.now = _time_ns() // 1_000_000 if clock is system_clock else clock()
                        try:
                            value = _lookup_string(db, a)
                            if decode and value is not None:
                                append(value.decode(view.encoding, view.encoding_errors))
                            else:
                                append(value)
                        except e.ResponseError as exc:
                            append(exc)
                        i += 1
                        if i == n or stack[i][0] != _K_GET:
                            break
                        a = stack[i][1]
                    if srv.pending_ops:
                        srv.flush_feed()
                finally:
                    lock.release()
                continue
            i += 1
            try:
                if kind == _K_GET:
                    append(view.get(a))
                elif kind == _K_SET:
                    append(view.set(a, b))
                elif kind == _K_CMD:
                    if type(a) is not Command:
                        raise a
                    reply = view._run(a, b)
                    cb, options = c
                    append(reply if cb is None else cb(reply, **options))
                else:
                    append(getattr(view, a)(*b, **c))
            except e.ResponseError as exc:
                append(exc)
        return results, [None] * len(stack)

    def _execute_transaction(self, stack: list[Any]) -> tuple[list[Any], list[Argv | None]]:
        view = self._view
        srv: Server = view.server
        # Commands given by name can fail to queue (unknown, wrong arity): Redis then
        # refuses the whole EXEC before anything runs, and redis-py's
        # _execute_transaction raises the first queueing error, annotated, in place of
        # the EXECABORT.
        for i, (kind, cmd, argv, _) in enumerate(stack):
            if kind == _K_CMD and type(cmd) is not Command:
                unwatch_all(view)
                exc = copy.copy(cmd)
                _annotate(exc, i + 1, argv)
                raise exc
        runner = self._runner
        if runner is None:
            runner = self._runner = _ExecRunner(view)
        runner.db = view.db
        runner.multi = []  # (an EXEC sent by name inside the transaction clears them)
        runner.in_exec = True
        runner.argvs = argvs_run = []
        decode = view.decode_responses
        results: list[Any] = []
        append = results.append
        argvs: list[Argv | None] = []
        lock = srv.lock
        if not lock.acquire(False):
            # Contended: wait, unless a script is past busy-reply-threshold (BUSY).
            from kvengine.scripting import acquire_or_busy

            held, _ = acquire_or_busy(view, TABLE[b"exec"], [b"EXEC"])
            assert held  # EXEC is neither lock-free nor allowed while busy: BUSY raises
        try:
            if srv.closed:
                raise e.ConnectionError("the engine is closed")
            srv.now = now = srv.clock()
            if srv.maxmemory and stack:
                # Redis rejects every command queued while out of memory (evicting
                # first), which flags the transaction: EXEC aborts and redis-py raises
                # the first command's error.  Nothing changes memory while queueing, so
                # one check before the first command stands for all of them.
                try:
                    srv.free_memory_or_oom()
                except e.ResponseError as exc:
                    unwatch_all(view)
                    _annotate(exc, 1, _probe(view, stack[0])[1])
                    raise
            if srv.write_denied is not None:
                # MISCONF: Redis rejects each write while queueing, so EXEC aborts.
                for i, entry in enumerate(stack):
                    cmd, argv = _probe(view, entry)
                    if cmd is not None and cmd.flags & WRITE:
                        unwatch_all(view)
                        exc = e.error_from_line(srv.write_denied)
                        _annotate(exc, i + 1, argv)
                        raise exc
            try:
                if view.watching and watched_key_expired(view):
                    raise e.WatchError("Watched variable changed.")
            finally:
                unwatch_all(view)
            start = len(srv.pending_ops)
            try:
                for kind, a, b, c in stack:
                    try:
                        if kind == _K_GET:
                            argvs.append(None)
                            value = _lookup_string(runner.db, a)
                            if decode and value is not None:
                                append(value.decode(view.encoding, view.encoding_errors))
                            else:
                                append(value)
                        elif kind == _K_SET:
                            # SET key value, as api.strings' fast path does it.
                            argvs.append(None)
                            if srv.write_denied is not None:
                                raise e.error_from_line(srv.write_denied)
                            _SET.calls += 1
                            db = runner.db
                            db.table.set(a, b, NO_EXPIRE, now)
                            if srv.watched or srv.blocked:
                                db.modified(a)
                            else:
                                srv.dirty += 1
                            if srv.feeding:
                                srv.propagate(db.id, [b"SET", a, b])
                            append(True)
                        elif kind == _K_CMD:
                            argvs.append(b)
                            reply = execute(runner, a, b, gate=False)
                            if decode:
                                reply = decode_reply(reply, view.encoding, view.encoding_errors)
                            elif type(reply) is Status:
                                reply = bytes(reply)
                            cb, options = c
                            append(reply if cb is None else cb(reply, **options))
                        else:
                            mark = len(argvs_run)
                            try:
                                append(getattr(runner, a)(*b, **c))
                            finally:
                                argvs.append(argvs_run[mark] if len(argvs_run) > mark else None)
                    except e.ResponseError as exc:
                        append(exc)
            finally:
                view.db = runner.db  # a SELECT inside the transaction sticks, as on a connection
                if srv.feeding:
                    wrap_effects(srv, start)
                if srv.ready_keys:
                    blocking.serve_ready(srv)
                if srv.pending_ops:
                    srv.flush_feed()
        finally:
            lock.release()
        return results, argvs


def _make_buffered(name: str) -> Callable[..., Any]:
    def method(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        return self._buffer(name, args, kwargs)

    method.__name__ = name
    method.__doc__ = f"Buffer ``{name}`` (see the engine's method of the same name)."
    return method


for _name in dir(Client):
    if _name.startswith("_") or _name in _NOT_COMMANDS or hasattr(Pipeline, _name):
        continue
    if callable(getattr(Client, _name, None)):
        setattr(Pipeline, _name, _make_buffered(_name))


def run_transaction(
    client: Client,
    func: Callable[[Pipeline], Any],
    *watches: Any,
    value_from_callable: bool = False,
    watch_delay: float | None = None,
) -> Any:
    """redis-py's ``transaction()``: WATCH, call `func(pipe)`, EXEC; retry on WatchError."""
    with Pipeline(client, True) as pipe:
        while True:
            try:
                if watches:
                    pipe.watch(*watches)
                func_value = func(pipe)
                exec_value = pipe.execute()
                return func_value if value_from_callable else exec_value
            except e.WatchError:
                if watch_delay:
                    time.sleep(watch_delay)
                continue
