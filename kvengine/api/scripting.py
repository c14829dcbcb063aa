"""redis-py's scripting and functions methods, and its ``Script`` object."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from kvengine import exceptions as e
from kvengine.api.base import ApiBase, EncodableT, KeyT
from kvengine.api.callbacks import CALLBACKS, bool_ok
from kvengine.blocking import serve_ready as _serve_ready
from kvengine.reply import Status

# What redis-py's response callbacks do for these, when called by name through
# execute_command (the typed methods below apply the same conversions inline).
for _name in ("FUNCTION DELETE", "FUNCTION FLUSH", "FUNCTION RESTORE"):
    CALLBACKS.setdefault(_name, bool_ok)


_NUMKEYS = {i: b"%d" % i for i in range(16)}
_EVALSHA: list[Any] = []
_MISS = object()  # evalsha's fast path did not run the script


def _evalsha_command() -> Any:
    """EVALSHA's table entry (kvengine.scripting registers it after this module loads)."""
    if not _EVALSHA:
        from kvengine.commands import TABLE

        _EVALSHA.append(TABLE[b"evalsha"])
    return _EVALSHA[0]


def _decode_reply(reply: Any, encoding: str, errors: str) -> Any:
    """kvengine.client.decode_reply (imported on first use: it imports this package)."""
    global _decode_reply
    from kvengine.client import decode_reply

    _decode_reply = decode_reply
    return decode_reply(reply, encoding, errors)


_PIPELINE: list[type] = []


def _pipeline_class() -> type:
    """kvengine.pipeline.Pipeline (imported on first use: it imports this package)."""
    if not _PIPELINE:
        from kvengine.pipeline import Pipeline

        _PIPELINE.append(Pipeline)
    return _PIPELINE[0]


def _str(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class Script:
    """A Lua script registered with :meth:`ScriptingCommands.register_script`
    (redis-py's ``Script``): calling it runs EVALSHA, and loads the script first when
    the engine answers NOSCRIPT (after SCRIPT FLUSH, or on another engine)."""

    def __init__(self, registered_client: Any, script: str | bytes) -> None:
        self.registered_client = registered_client
        self.script = script
        if isinstance(script, str):
            encoded = script.encode(getattr(registered_client, "encoding", "utf-8"))
        else:
            encoded = bytes(script)
        self.sha = hashlib.sha1(encoded).hexdigest()

    def __call__(
        self,
        keys: Sequence[KeyT] | None = None,
        args: Iterable[EncodableT] | None = None,
        client: Any = None,
    ) -> Any:
        """Run the script with `keys` and `args` on `client` (the registering client by default)."""
        keys = list(keys or ())
        argv = (*keys, *args) if args else keys
        if client is None:
            client = self.registered_client
        if isinstance(client, _pipeline_class()):
            # A buffered EVALSHA cannot be retried inside EXEC: make sure the engine
            # knows the script now (redis-py's pipeline loads its scripts first too).
            self.sha = client._view.script_load(self.script)
            return client.evalsha(self.sha, len(keys), *argv)
        try:
            return client.evalsha(self.sha, len(keys), *argv)
        except e.NoScriptError:
            self.sha = client.script_load(self.script)
            return client.evalsha(self.sha, len(keys), *argv)

    def __repr__(self) -> str:
        return f"<Script sha={self.sha}>"


class ScriptingCommands(ApiBase):
    """EVAL & co., SCRIPT *, FCALL and FUNCTION *, with redis-py's signatures."""

    # -- scripts ----------------------------------------------------------------------------
    def eval(self, script: str | bytes, numkeys: int, *keys_and_args: Any) -> Any:
        """Run a Lua script: the first `numkeys` arguments are keys (KEYS), the rest ARGV."""
        return self._x(b"EVAL", script, numkeys, *keys_and_args)

    def eval_ro(self, script: str | bytes, numkeys: int, *keys_and_args: Any) -> Any:
        """EVAL for read-only scripts (a write command inside fails)."""
        return self._x(b"EVAL_RO", script, numkeys, *keys_and_args)

    def evalsha(self, sha: str | bytes, numkeys: int, *keys_and_args: Any) -> Any:
        """Run a cached script by its SHA1; NoScriptError if the engine does not know it."""
        # The hot path of register_script().  A known script with a valid int numkeys,
        # outside MULTI and with the lock free, runs straight through Scripting.run_script
        # with the steps Client._run + dispatch.execute + eval_generic take for EVALSHA
        # (closed check, clock snapshot, call count, blocked clients served, feed flushed,
        # cron woken), written out inline.  Anything else (NOSCRIPT, bad numkeys, MULTI,
        # a contended lock: BUSY) takes the general path, which makes the same decisions.
        # tests/test_evalsha_fastpath.py holds the two paths to the same results.
        enc = self._enc
        sha_b = sha if type(sha) is bytes else enc(sha)
        # str.encode inline for str arguments (what encode_arg does with them).
        encoding, errors = self.encoding, self.encoding_errors  # type: ignore[attr-defined]
        args = [a if type(a) is bytes else a.encode(encoding, errors) if type(a) is str else enc(a)
                for a in keys_and_args]
        cmd = _EVALSHA[0] if _EVALSHA else _evalsha_command()
        if type(numkeys) is int and 0 <= numkeys <= len(args) and len(sha_b) == 40 \
                and self.multi is None:  # type: ignore[attr-defined]
            srv = self.server  # type: ignore[attr-defined]
            st = getattr(srv, "scripting", None)
            lock = srv.lock
            if st is not None and lock.acquire(False):
                reply: Any = _MISS
                try:
                    if srv.closed:
                        raise srv.closed_error()
                    script = st.scripts.get(sha_b.lower())
                    if script is not None:
                        srv.now = srv.clock()
                        cmd.calls += 1
                        self.prop = None
                        try:
                            reply = st.run_script(self, script.fn, script.name, script.flags, False,
                                                  numkeys, args)
                        finally:
                            if srv.ready_keys:
                                _serve_ready(srv)
                            if srv.pending_ops:
                                srv.flush_feed()
                            if srv.cron_parked and srv.dirty != srv.cron_parked_dirty:
                                srv.cron_wake()
                finally:
                    lock.release()
                if reply is not _MISS:
                    if self.decode_responses:  # type: ignore[attr-defined]
                        return _decode_reply(reply, self.encoding, self.encoding_errors)  # type: ignore[attr-defined]
                    if type(reply) is Status:
                        return bytes(reply)
                    return reply
        argv = [b"EVALSHA", sha_b,
                (_NUMKEYS.get(numkeys) if type(numkeys) is int else None) or enc(numkeys), *args]
        return self._run(cmd, argv)

    def evalsha_ro(self, sha: str | bytes, numkeys: int, *keys_and_args: Any) -> Any:
        """EVALSHA for read-only scripts."""
        return self._x(b"EVALSHA_RO", sha, numkeys, *keys_and_args)

    def script_exists(self, *args: str | bytes) -> list[bool]:
        """Whether each SHA1 is in the script cache."""
        return [bool(x) for x in self._x(b"SCRIPT", b"EXISTS", *args)]

    def script_flush(self, sync_type: str | None = None) -> bool:
        """Empty the script cache (SYNC or ASYNC, as redis-py validates it)."""
        if sync_type not in ("SYNC", "ASYNC", None):
            raise e.DataError(
                "SCRIPT FLUSH defaults to SYNC in redis > 6.2, or accepts SYNC/ASYNC. "
                "For older versions, of redis leave as None."
            )
        pieces = [] if sync_type is None else [sync_type]
        return bool_ok(self._x(b"SCRIPT", b"FLUSH", *pieces))

    def script_kill(self) -> bool:
        """Stop the script that is running (only from another thread: it holds the engine)."""
        return bool_ok(self._x(b"SCRIPT", b"KILL"))

    def script_load(self, script: str | bytes) -> str:
        """Compile and cache a script without running it; its SHA1."""
        return _str(self._x(b"SCRIPT", b"LOAD", script))  # type: ignore[no-any-return]

    def script_debug(self, *args: Any) -> None:
        """Not available, as in redis-py (the Lua debugger needs a terminal)."""
        raise NotImplementedError("SCRIPT DEBUG is intentionally not implemented in the client.")

    def register_script(self, script: str | bytes) -> Script:
        """A callable :class:`Script` for `script` (EVALSHA, reloading on NOSCRIPT)."""
        return Script(self, script)

    # -- functions ----------------------------------------------------------------------------
    def fcall(self, function: str | bytes, numkeys: int, *keys_and_args: Any) -> Any:
        """Call a function registered by FUNCTION LOAD."""
        return self._x(b"FCALL", function, numkeys, *keys_and_args)

    def fcall_ro(self, function: str | bytes, numkeys: int, *keys_and_args: Any) -> Any:
        """FCALL for functions registered with the no-writes flag."""
        return self._x(b"FCALL_RO", function, numkeys, *keys_and_args)

    def function_load(self, code: str | bytes, replace: bool | None = False) -> Any:
        """Load a library (``#!lua name=<lib>`` code); the library name."""
        pieces: list[Any] = [b"REPLACE"] if replace else []
        return self._x(b"FUNCTION", b"LOAD", *pieces, code)

    def function_delete(self, library: str | bytes) -> bool:
        """Delete a library and its functions."""
        return bool_ok(self._x(b"FUNCTION", b"DELETE", library))

    def function_flush(self, mode: str = "SYNC") -> bool:
        """Delete every library."""
        return bool_ok(self._x(b"FUNCTION", b"FLUSH", mode))

    def function_list(self, library: str | None = "*", withcode: bool | None = False) -> list[Any]:
        """Libraries matching `library` (a glob), with their functions (and code)."""
        args: list[Any] = [b"LIBRARYNAME", library]
        if withcode:
            args.append(b"WITHCODE")
        return self._x(b"FUNCTION", b"LIST", *args)  # type: ignore[no-any-return]

    def function_dump(self) -> bytes:
        """A payload of every library for :meth:`function_restore` (never decoded)."""
        view = self.client(decode_responses=False)  # type: ignore[attr-defined]
        return view._x(b"FUNCTION", b"DUMP")  # type: ignore[no-any-return]

    def function_restore(self, payload: bytes, policy: str | None = "APPEND") -> bool:
        """Load the libraries of a :meth:`function_dump` payload (FLUSH, APPEND, REPLACE)."""
        return bool_ok(self._x(b"FUNCTION", b"RESTORE", payload, policy))

    def function_kill(self) -> Any:
        """Stop the function that is running (from another thread)."""
        return self._x(b"FUNCTION", b"KILL")

    def function_stats(self) -> Any:
        """The running function, if any, and the library and function counts."""
        return self._x(b"FUNCTION", b"STATS")
