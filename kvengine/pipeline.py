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

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kvengine import blocking
from kvengine import exceptions as e
from kvengine.client import Client, decode_reply
from kvengine.commands import TABLE, Argv, Command, Reply
from kvengine.dispatch import execute, resolve
from kvengine.multi import unwatch_all, watched_key_expired, wrap_effects
from kvengine.reply import Status

if TYPE_CHECKING:
    from kvengine.server import Server

# Client methods that are not commands and are never buffered.
_NOT_COMMANDS = frozenset(
    {"client", "close", "pipeline", "transaction", "execute_command", "lock", "run_active_expire"}
)


class _ExecRunner(Client):
    """Runs a transaction's commands inside an EXEC: no lock taking, no clock read,
    no feed flush, no blocking (``multi`` is non-None, so blocking commands answer
    at once and the GET/SET fast paths step aside)."""

    def __init__(self, view: Client) -> None:
        super().__init__(
            view.server, view.db.id, view.decode_responses, view.encoding, view.encoding_errors
        )
        self.multi = []  # never used as a queue: _run is overridden
        self.in_exec = True
        self.argvs: list[Argv] = []

    def _run(self, cmd: Command, argv: Argv) -> Reply:
        self.argvs.append(argv)
        reply = execute(self, cmd, argv)
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


def _annotate(exc: Exception, number: int, argv: Argv | None) -> None:
    """redis-py's wording for the first failing command of a pipeline."""
    cmd = " ".join(a.decode("utf-8", "replace") for a in argv or [])
    if len(cmd) > 100:
        cmd = cmd[:97] + "..."
    exc.args = (f"Command # {number} ({cmd}) of pipeline caused error: {exc.args[0]}", *exc.args[1:])


class Pipeline:
    """Buffered commands, run together by :meth:`execute` (redis-py's Pipeline)."""

    def __init__(self, client: Client, transaction: bool = True) -> None:
        self._view = client.client()  # its own WATCH state, same db and decoding
        self.transaction = transaction
        self.command_stack: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.watching = False
        self.explicit_transaction = False

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

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Buffer any command by name (run immediately while watching)."""
        return self._buffer("execute_command", args, options)

    def _buffer(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self.watching and not self.explicit_transaction:
            return getattr(self._view, name)(*args, **kwargs)
        self.command_stack.append((name, args, kwargs))
        return self

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Run the buffer; a list of results (errors in place, or the first one raised)."""
        stack = self.command_stack
        if not stack and not self.watching:
            return []
        try:
            if self.transaction or self.explicit_transaction:
                results, argvs = self._execute_transaction(stack)
            else:
                results, argvs = self._execute_pipeline(stack)
        finally:
            self.command_stack = []
            self.watching = False
            self.explicit_transaction = False
        if raise_on_error:
            for i, result in enumerate(results):
                if isinstance(result, e.ResponseError):
                    _annotate(result, i + 1, argvs[i] if i < len(argvs) else None)
                    raise result
        return results

    def _execute_pipeline(self, stack: list[Any]) -> tuple[list[Any], list[Argv | None]]:
        results: list[Any] = []
        for name, args, kwargs in stack:
            try:
                results.append(getattr(self._view, name)(*args, **kwargs))
            except e.ResponseError as exc:
                results.append(exc)
        return results, []

    def _execute_transaction(self, stack: list[Any]) -> tuple[list[Any], list[Argv | None]]:
        view = self._view
        srv: Server = view.server
        # Commands given by name can fail to queue (unknown, wrong arity): Redis then
        # refuses the whole EXEC, as here, before anything runs.
        for name, args, _ in stack:
            if name == "execute_command":
                try:
                    resolve([view._enc(a) for a in args])
                except e.ResponseError as exc:
                    unwatch_all(view)
                    raise e.ExecAbortError(
                        "Transaction discarded because of previous errors."
                    ) from exc
        runner = _ExecRunner(view)
        results: list[Any] = []
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
            srv.now = srv.clock()
            try:
                if view.watching and watched_key_expired(view):
                    raise e.WatchError("Watched variable changed.")
            finally:
                unwatch_all(view)
            start = len(srv.pending_ops)
            try:
                for name, args, kwargs in stack:
                    mark = len(runner.argvs)
                    try:
                        results.append(getattr(runner, name)(*args, **kwargs))
                    except e.ResponseError as exc:
                        results.append(exc)
                    argvs.append(runner.argvs[mark] if len(runner.argvs) > mark else None)
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
