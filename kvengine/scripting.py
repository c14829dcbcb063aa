"""Lua scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis's eval.c / script.c).

One sandboxed Lua 5.1 runtime per engine (:mod:`kvengine.lua`), created on the first
script.  A script runs atomically: EVAL's handler runs with the engine lock held,
and every ``redis.call`` goes through the normal execution path
(:func:`kvengine.dispatch.execute`) on a private *script client* view whose
``in_script`` flag makes blocking commands answer at once.  Before a command runs,
the checks of Redis's ``scriptCall`` apply in Redis's order: arity and existence,
``noscript``, writes in read-only scripts (``*_RO`` and ``no-writes``), and the OOM
rule (a denyoom command is refused only if the engine was over ``maxmemory`` when
the script started and the script has not written yet, unless ``allow-oom``).

Effects, not scripts, are replicated: each inner write propagates itself as the
command it ran, and EVAL wraps what one script propagated in MULTI/EXEC when it is
more than one operation (inside EXEC, the transaction's wrapper covers it).
``redis.set_repl(redis.REPL_NONE)`` keeps the following writes out of the feed.

Busy scripts: the Lua count hook asks :meth:`Scripting.hook` every 100000
instructions; once a script has run longer than ``busy-reply-threshold`` (default
5000 ms, on the monotonic clock: a ManualClock does not move it), other threads that
find the engine lock taken get ``BUSY`` instead of waiting
(:func:`acquire_or_busy`, called by ``Client._run`` only on contention), and
``SCRIPT KILL`` runs without the lock: it marks the script killed unless it already
wrote (``UNKILLABLE``), and the hook raises in it on its next instructions.

Redis 7.0.15 is the reference, and where it differs from later Redis or from older
descriptions, kvengine follows it: there is no ``os`` table (``os.clock`` came in
7.2), writing a global fails with "Attempt to modify a readonly table", and
``math.random`` is one deterministic sequence per engine (Redis's PRNG, not reseeded
between scripts; ``math.randomseed`` reseeds it).
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine.commands import (
    ALLOW_BUSY,
    DENYOOM,
    LOADING,
    MAY_REPLICATE,
    MOVABLEKEYS,
    NO_MANDATORY_KEYS,
    NO_QUEUE,
    NOSCRIPT,
    READONLY,
    SKIP_MONITOR,
    STALE,
    TABLE,
    WRITE,
    Argv,
    Command,
    Reply,
    command,
)
from kvengine.dispatch import execute
from kvengine.lua.bytecode import untail
from kvengine.reply import OK, QUEUED, Resp3Set, Status
from kvengine.resp3 import convert as resp3_convert
from kvengine.t_string import get_command
from kvengine.util import get_int, split_args

if TYPE_CHECKING:
    from kvengine.client import Client
    from kvengine.lua.runtime import Sandbox
    from kvengine.server import Server

log = logging.getLogger("kvengine.scripting")

# -- Redis's texts ----------------------------------------------------------------------
NOSCRIPT_ERR = "NOSCRIPT No matching script. Please use EVAL."
BUSY_EVAL = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
BUSY_FUNCTION = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
UNKILLABLE = (
    "UNKILLABLE Sorry the script already executed write commands against the dataset. "
    "You can either wait the script termination or kill the server in a hard way using "
    "the SHUTDOWN NOSAVE command."
)
NOTBUSY = "NOTBUSY No scripts in execution right now."
OOM_TEXT = "OOM command not allowed when used memory > 'maxmemory'."
RO_WITH_WRITE_FLAG = "Can not execute a script with write flag using *_ro command."

# Lua bridge error lines (bytes: the Lua side takes strings as bytes).
_E_NO_ARGS = b"ERR Please specify at least one argument for this redis lib call"
_E_BAD_ARG = b"ERR Lua redis lib command arguments must be strings or integers"
_E_UNKNOWN = b"ERR Unknown Redis command called from script"
_E_ARITY = b"ERR Wrong number of args calling Redis command from script"
_E_NOSCRIPT = b"ERR This Redis command is not allowed from script"
_E_READONLY = b"ERR Write commands are not allowed from read-only scripts."
_E_OOM = OOM_TEXT.encode()
_E_OUTSIDE = b"ERR redis.call/pcall can only be called inside a script invocation"
_E_KILLED = b"ERR Script killed by user with SCRIPT KILL..."
_E_NOMEM = b"not enough memory"  # Lua's own text for a failed allocation
_E_WRONGTYPE = e.WRONGTYPE.encode()
_SMALL_PUSH = 256 * 1024  # arguments this small fit in the RESERVE ensure_room keeps free
LOAD_TIMEOUT_S = 0.5  # FUNCTION LOAD's limit for running a library's top-level code

REDIS_VERSION = "7.0.15"  # what redis.REDIS_VERSION reports: the Redis kvengine follows
DEFAULT_BUSY_REPLY_THRESHOLD = 5000  # ms, Redis's default (alias lua-time-limit)

# -- script flags (Redis's SCRIPT_FLAG_*) -------------------------------------------------
FLAG_NO_WRITES = 1 << 0
FLAG_ALLOW_OOM = 1 << 1
FLAG_ALLOW_STALE = 1 << 2
FLAG_NO_CLUSTER = 1 << 3
FLAG_EVAL_COMPAT = 1 << 4  # no shebang: Redis 6 rules (any command, OOM per command)
FLAG_ALLOW_CROSS_SLOT = 1 << 5
SCRIPT_FLAGS = {
    b"no-writes": FLAG_NO_WRITES,
    b"allow-oom": FLAG_ALLOW_OOM,
    b"allow-stale": FLAG_ALLOW_STALE,
    b"no-cluster": FLAG_NO_CLUSTER,
    b"allow-cross-slot-keys": FLAG_ALLOW_CROSS_SLOT,
}

REPL_AOF = 1
REPL_ALL = 3
_CHECKED_FLAGS = NOSCRIPT | WRITE | MAY_REPLICATE

_LLONG_MIN = -(1 << 63)
_LLONG_LIMIT = 1 << 63
_MANY_ARGS = 1000  # more arguments than this travel to Lua as tables, not on the C stack


def parse_shebang(body: bytes) -> tuple[int, int]:
    """(script flags, length of the shebang line) of an EVAL body (Redis's
    evalExtractShebangFlags); raises Redis's error for a malformed shebang."""
    if not body.startswith(b"#!"):
        return FLAG_EVAL_COMPAT, 0
    end = body.find(b"\n")
    if end < 0:
        raise e.err("Invalid script shebang")
    parts = split_args(body[:end])
    if not parts:
        raise e.err("Invalid engine in script shebang")
    if parts[0] != b"#!lua":
        raise e.err("Unexpected engine in script shebang: " + _text(parts[0]))
    flags = 0
    for part in parts[1:]:
        if not part.startswith(b"flags="):
            raise e.err("Unknown lua shebang option: " + _text(part))
        flags |= parse_flag_list(part[6:], "Unexpected flag in script shebang: ")
    return flags, end


def parse_flag_list(text: bytes, error_prefix: str) -> int:
    """Comma separated script flags (empty items are ignored, as sdssplitlen does)."""
    flags = 0
    if not text:
        return flags
    for name in text.split(b","):
        flag = SCRIPT_FLAGS.get(name)
        if flag is None:
            raise e.err(error_prefix + _text(name))
        flags |= flag
    return flags


def _text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _line(exc: BaseException) -> bytes:
    return e.error_line(exc).encode("utf-8", "surrogateescape")


def lua_number_to_int(v: Any) -> int:
    """C's (long long) cast of a lua_Number, as Redis converts a Lua number reply
    (truncation toward zero; NaN, infinities and out-of-range values give LLONG_MIN,
    what x86-64 produces)."""
    if type(v) is int:
        return v if _LLONG_MIN <= v < _LLONG_LIMIT else _LLONG_MIN
    if v != v or v in (math.inf, -math.inf):
        return _LLONG_MIN
    n = int(v)
    return n if _LLONG_MIN <= n < _LLONG_LIMIT else _LLONG_MIN


def format_lua_double(v: float) -> bytes:
    """RESP2's addReplyDouble text ("%.17g")."""
    if type(v) is int:
        v = float(v)
    return b"%.17g" % v


def _crlf_to_spaces(b: bytes) -> bytes:
    return b.replace(b"\r", b" ").replace(b"\n", b" ")


# -- state -------------------------------------------------------------------------------
class Script:
    """A cached EVAL script: body, flags, and its compiled Lua function."""

    __slots__ = ("sha", "name", "body", "flags", "fn")

    def __init__(self, sha: bytes, body: bytes, flags: int, fn: Any) -> None:
        self.sha = sha
        self.name = sha.decode()  # how errors name the script
        self.body = body
        self.flags = flags
        self.fn = fn


class Run:
    """The script being executed (Redis's scriptRunCtx)."""

    __slots__ = ("caller", "name", "is_eval", "start", "busy_at", "timed_out", "killed", "read_only",
                 "allow_oom", "oom", "write_dirty", "resp", "repl", "argv")

    def __init__(self, caller: Client, name: str, is_eval: bool, read_only: bool,
                 allow_oom: bool, oom: bool, argv: Argv | None = None,
                 threshold_ms: int = DEFAULT_BUSY_REPLY_THRESHOLD) -> None:
        self.caller = caller
        self.name = name
        self.is_eval = is_eval
        self.start = time.monotonic()
        # When other clients start getting BUSY (monotonic seconds; inf: never).
        self.busy_at = self.start + threshold_ms / 1000 if threshold_ms > 0 else math.inf
        self.timed_out = False
        self.killed = False
        self.read_only = read_only
        self.allow_oom = allow_oom
        self.oom = oom
        self.write_dirty = False
        self.resp = 2
        self.repl = REPL_ALL
        self.argv = argv  # the caller's command, for FUNCTION STATS

    def busy(self) -> bool:
        """True once the script has run past busy-reply-threshold.  Read from the
        clock, not only from the hook's flag, so that a script stuck in one long C
        library call (a pattern match, a huge string.rep) still answers BUSY."""
        return self.timed_out or time.monotonic() >= self.busy_at


class Scripting:
    """Per-engine scripting state: the Lua runtime, the script cache, the running script."""

    def __init__(self, srv: Server) -> None:
        self.srv = srv
        self.scripts: dict[bytes, Script] = {}     # lowercase hex sha -> script
        self.by_body: dict[bytes, Script] = {}     # body -> script (EVAL skips hashing)
        self.run: Run | None = None
        self.busy_reply_threshold = DEFAULT_BUSY_REPLY_THRESHOLD
        from kvengine.lua.runtime import DEFAULT_MAX_MEMORY

        self.lua_max_memory = DEFAULT_MAX_MEMORY
        self._sandbox: Sandbox | None = None
        self._client: Client | None = None
        self._LuaError: Any = None
        # FUNCTION LOAD in progress: when it started, and who takes redis.register_function.
        self.loading_since: float | None = None
        self.on_register: Any = None
        # allow-busy commands that run while a script holds the engine lock take this
        # one instead (see acquire_or_busy); WATCHes made then, settled when it ends.
        self.busy_lock = threading.Lock()
        self.busy_watches: list[tuple[Client, tuple[int, bytes], int]] = []

    # -- the runtime -------------------------------------------------------------------
    @property
    def sandbox(self) -> Sandbox:
        """The Lua runtime, created on first use."""
        sb = self._sandbox
        if sb is None:
            from kvengine.lua.runtime import Sandbox

            sb = Sandbox(self.lua_call, self.hook, self.ctl, self.lua_max_memory, self.lua_call_packed)
            self._sandbox = sb
            self._LuaError = sb.LuaError
        return sb

    @property
    def client(self) -> Client:
        """The script client view: commands run by scripts run as this client."""
        c = self._client
        if c is None:
            from kvengine.client import Client

            c = Client(self.srv)
            c.in_script = True
            self._client = c
        return c

    def used_memory(self) -> int:
        """Bytes held by the Lua runtime (0 before the first script)."""
        return self._sandbox.used_memory() if self._sandbox is not None else 0

    def info(self) -> dict[str, int]:
        """INFO fields Redis reports for Lua (memory section)."""
        used = self.used_memory()
        return {
            "used_memory_lua": used,
            "used_memory_vm_eval": used,
            "used_memory_scripts_eval": sum(len(s.body) for s in self.scripts.values()),
            "number_of_cached_scripts": len(self.scripts),
        }

    def set_max_memory(self, limit: int) -> None:
        """Cap the Lua runtime's memory (bytes; 0 = no cap)."""
        self.lua_max_memory = limit
        if self._sandbox is not None:
            self._sandbox.set_max_memory(limit)

    # -- the script cache ----------------------------------------------------------------
    def create(self, body: bytes) -> Script:
        """Compile and cache `body` (or return the cached script); raises Redis's
        shebang and compile errors."""
        script = self.by_body.get(body)
        if script is not None:
            return script
        sha = hashlib.sha1(body).hexdigest().encode()
        script = self.scripts.get(sha)
        if script is not None:
            self.by_body[body] = script
            return script
        flags, shebang_len = parse_shebang(body)
        # Compile from the shebang's line feed on, so line numbers stay the user's.
        fn = self.compile(body[shebang_len:], "Error compiling script (new function): ")
        script = Script(sha, body, flags, fn)
        self.scripts[sha] = script
        self.by_body[body] = script
        return script

    def compile(self, source: bytes, error_prefix: str) -> Any:
        """Compile `source` as a sandboxed chunk; raises ERR <error_prefix><lua message>."""
        sb = self.sandbox
        sb.ensure_room()
        try:
            result = sb.compile_script(source)
        except sb.LuaMemoryError:
            sb.gc()
            raise e.err(error_prefix + "not enough memory") from None
        if type(result) is tuple:
            if result[0] is not None:
                return result[0]
            message = result[1]
            raise e.err(error_prefix + _text(_crlf_to_spaces(message or b"")))
        return result

    def flush(self) -> None:
        """SCRIPT FLUSH: forget every cached script."""
        self.scripts.clear()
        self.by_body.clear()
        if self._sandbox is not None:
            self._sandbox.gc()

    # -- running -------------------------------------------------------------------------
    def run_script(
        self,
        c: Client,
        fn: Any,
        name: str,
        flags: int,
        ro: bool,
        numkeys: int,
        args: list[bytes],
        is_eval: bool = True,
        argv: Argv | None = None,
    ) -> Reply:
        """Run a compiled script or function for client `c` (engine lock held) and
        return its reply (Redis's scriptPrepareForRun + luaCallFunction)."""
        srv = self.srv
        if srv.maxmemory or ro or not flags & FLAG_EVAL_COMPAT:
            read_only, allow_oom, oom = self._prepare(c, flags, ro)
        else:
            read_only = allow_oom = oom = False
        if self.run is not None:  # pragma: no cover - EVAL/FCALL are noscript
            raise e.err("a script is already running")
        sb = self._sandbox or self.sandbox
        client = self._client or self.client
        client.db = c.db
        run = Run(c, name, is_eval, read_only, allow_oom, oom, argv, self.busy_reply_threshold)
        feeding = srv.feeding
        start = len(srv.pending_ops) if feeding else 0
        self.run = run
        srv.script_busy = run
        try:
            sb.ensure_room()  # RESERVE bytes free: small arguments always fit
            if sb.max_memory and sum(map(len, args)) + 64 * len(args) > _SMALL_PUSH \
                    and not sb.room(push_size(args)):
                raise sb.LuaMemoryError("not enough memory")
            if len(args) <= _MANY_ARGS:
                if is_eval:
                    res = sb.run_eval(fn, numkeys, *args)
                else:
                    res = sb.run_function(fn, numkeys, *args)
            else:
                keys = sb.table_from(args[:numkeys])
                rest = sb.table_from(args[numkeys:])
                runner = sb.run_eval_tables if is_eval else sb.run_function_tables
                res = runner(fn, keys, rest)
        except sb.LuaMemoryError:
            sb.gc()
            res = (10, b"not enough memory")
        except sb.LuaError as exc:  # pragma: no cover - the prelude catches script errors
            res = (10, _E_KILLED[4:] if run.killed else str(exc).encode())
        finally:
            self.run = None
            srv.script_busy = None
            # Only a script that became busy can have allow-busy commands in flight:
            # they saw busy() true before script_busy was cleared, so this does too.
            if run.timed_out or time.monotonic() >= run.busy_at:  # run.busy()
                self.end_busy()
            if feeding and not c.in_exec:
                from kvengine.multi import wrap_effects

                wrap_effects(srv, start)
            # EVAL/FCALL's own argv is never logged: the commands they ran were.
            c.prop = []
            if run.timed_out:
                log.warning("Lua script finished after %.0f ms%s", (time.monotonic() - run.start) * 1000,
                            " (killed)" if run.killed else "")
        if type(res) is not tuple:  # finish() returned the code alone: nil
            return None
        code = res[0]
        if code == 0:
            return res[1]
        if code == 1:
            v = res[1]
            if type(v) is int and _LLONG_MIN <= v < _LLONG_LIMIT:
                return v
        return self.reply_from_lua(res, name, run)

    def _prepare(self, c: Client, flags: int, ro: bool) -> tuple[bool, bool, bool]:
        """Redis's scriptPrepareForRun checks, and the OOM state at the script's start:
        (read only, allow-oom, out of memory)."""
        srv = self.srv
        compat = bool(flags & FLAG_EVAL_COMPAT)
        oom = False
        if srv.maxmemory:
            # processCommand: evict first, and remember whether we are over the limit.
            if c.in_exec:
                oom = srv.used_memory() > srv.maxmemory
            else:
                try:
                    srv.free_memory_or_oom()
                except e.OutOfMemoryError:
                    oom = True
            # A script with a shebang is a denyoom command unless allow-oom or
            # no-writes (Redis's scriptFlagsToCmdFlags): refused before it starts.
            if oom and not compat and not flags & (FLAG_ALLOW_OOM | FLAG_NO_WRITES):
                raise e.error_from_line(OOM_TEXT)
        if ro and not compat and not flags & FLAG_NO_WRITES:
            raise e.err(RO_WITH_WRITE_FLAG)
        read_only = ro or (not compat and bool(flags & FLAG_NO_WRITES))
        allow_oom = not compat and bool(flags & FLAG_ALLOW_OOM)
        return read_only, allow_oom, oom

    def reply_from_lua(self, res: Any, name: str, run: Run | None = None) -> Reply:
        """Turn what the prelude's finish() returned into a reply (or raise the error)."""
        code = res[0]
        if code == 0:
            return res[1]
        if code == 1:
            return lua_number_to_int(res[1])
        if code == 2:
            return None
        if code == 8 or code == 11:
            if code == 11:
                out = res[1]
                n = len(out)
                tokens: list[Any] = []
                slice_ = self.sandbox.slice
                for i in range(1, n + 1, 5000):
                    part = slice_(out, i, min(n, i + 4999))
                    tokens.extend(part if type(part) is tuple else (part,))
            else:
                tokens = list(res[1:])
            reply = decode_tokens(tokens, run.resp if run is not None else 2,
                                  run is not None and getattr(run.caller, "resp", 2) == 3)
            if isinstance(reply, e.RedisError):
                raise reply
            return reply
        if code == 9:
            msg, source, line = (*res, None, None, None)[1:4]
            text = msg if msg is not None else b"ERR unknown error"
            if source is not None and line is not None:
                text += b" script: %s, on %s:%s." % (name.encode(), source, line)
            raise e.error_from_line(_text(_crlf_to_spaces(text)))
        msg = res[1] if len(res) > 1 and res[1] is not None else b"execution failure"
        if msg == b"not enough memory":
            self.sandbox.gc()  # free the runaway script's garbage now
        raise e.err(f"Error running script {name}, {_text(_crlf_to_spaces(msg))[:100]}")

    # -- the bridge (called from Lua with plain values only) ------------------------------
    def lua_call(self, *args: Any) -> Any:
        """redis.call / redis.pcall: run one command for the running script.

        Returns the reply converted for Lua, or (value, tag): tag 1 a status string,
        tag 2 an error line from the command or the script checks, tag 3 an error
        line about the arguments.  Never raises (an exception would reach Lua as a
        Python object).
        """
        run = self.run
        if run is None:
            return _E_OUTSIDE, 3
        if not args:
            return _E_NO_ARGS, 3
        argv = list(args)
        for a in args:  # all strings, the common case: one type test each
            if type(a) is not bytes:
                for i, a in enumerate(args):
                    t = type(a)
                    if t is not bytes:
                        if t is int:
                            argv[i] = b"%d" % a if -100000000000000000 < a < 100000000000000000 \
                                else b"%.17g" % a
                        elif t is float:
                            argv[i] = b"%.17g" % a
                        else:
                            return _E_BAD_ARG, 3
                break
        name = argv[0]
        cmd = TABLE.get(name) or TABLE.get(name.lower())
        if cmd is None:
            return _E_UNKNOWN, 2
        n = len(argv)
        if cmd.handler is get_command and n == 2 and run.repl == REPL_ALL:
            # GET, the most common call: dispatch.execute + get_command + Database.lookup_read
            # inlined (call count, lazy expiry, keyspace hit or miss, WRONGTYPE); GET has no
            # flag the checks below look at.  tests/test_evalsha_fastpath.py compares it
            # with the general path (redis.call('get', ...) with a lowercase name is the same).
            client = self._client
            client.prop = None  # type: ignore[union-attr]
            cmd.calls += 1
            value = client.db.lookup_read(argv[1])  # type: ignore[union-attr]
            if value is None:
                return None if run.resp == 3 else False
            if type(value) is not bytes:
                return _E_WRONGTYPE, 2
            sb = self._sandbox
            cap = sb._cap  # type: ignore[union-attr]
            if cap and sb.memory_used(True) + len(value) + 4144 > cap \
                    and not sb.room(len(value) + 48):  # type: ignore[union-attr]
                return _E_NOMEM, 4
            return value
        if cmd.subcommands and n > 1:
            cmd = cmd.subcommands.get(argv[1].lower())  # type: ignore[assignment]
            if cmd is None:
                return _E_UNKNOWN, 2
        arity = cmd.arity
        if (n != arity) if arity > 0 else (n < -arity):
            return _E_ARITY, 2
        flags = cmd.flags
        if flags & _CHECKED_FLAGS:
            if flags & NOSCRIPT:
                return _E_NOSCRIPT, 2
            if run.read_only:
                return _E_READONLY, 2
            if flags & DENYOOM and run.oom and not run.allow_oom and not run.write_dirty:
                return _E_OOM, 2
            if flags & WRITE:
                run.write_dirty = True
        if run.repl == REPL_ALL:
            try:
                reply = execute(self._client, cmd, argv, False)  # type: ignore[arg-type]
            except e.RedisError as exc:
                return _line(exc), 2
            except Exception as exc:  # a bug must not hand Lua a Python object
                log.exception("command %r failed inside a script", name)
                return ("ERR " + repr(exc)).encode(), 2
        else:
            # redis.set_repl without REPL_AOF: keep this command out of the feed.
            pending = self.srv.pending_ops
            before = len(pending)
            try:
                reply = execute(self._client, cmd, argv, False)  # type: ignore[arg-type]
            except e.RedisError as exc:
                return _line(exc), 2
            except Exception as exc:
                log.exception("command %r failed inside a script", name)
                return ("ERR " + repr(exc)).encode(), 2
            finally:
                if not run.repl & REPL_AOF:
                    del pending[before:]
        t = type(reply)
        if t is int:
            return reply
        sb = self._sandbox
        cap = sb._cap  # type: ignore[union-attr]
        if cap:
            need = len(reply) + 48 if t is bytes else push_size(reply)
            if sb.memory_used(True) + need + 4096 > cap and not sb.room(need):  # type: ignore[union-attr]
                return _E_NOMEM, 4
        if run.resp == 3 and reply is not None:
            reply = resp3_convert(argv, reply)  # what a RESP3 client would get
            t = type(reply)
        if t is bytes:
            return reply
        if reply is None:
            return None if run.resp == 3 else False
        if t is Status:
            return bytes(reply), 1
        if t is list:
            return self._lua_table(reply, run.resp == 3)
        return self._lua_value(reply, run.resp == 3)

    def lua_call_packed(self, blob: bytes, lengths: bytes) -> Any:
        """redis.call / redis.pcall with many string arguments, joined in `blob`,
        their lengths comma separated in `lengths` (see the prelude's call_many)."""
        ends = list(accumulate(map(int, lengths.split(b","))))
        return self.lua_call(*map(blob.__getitem__, map(slice, [0, *ends], ends)))

    def _lua_value(self, x: Any, resp3: bool) -> Any:
        t = type(x)
        if t is bytes or t is int:
            return x
        if x is None:
            return None if resp3 else False
        if t is Status:
            return self._sandbox.table_from({b"ok": bytes(x)})  # type: ignore[union-attr]
        if t is list or t is tuple:
            return self._lua_table(x, resp3)
        if isinstance(x, BaseException):
            return self._sandbox.table_from({b"err": _line(x)})  # type: ignore[union-attr]
        if t is float:
            return self._sandbox.table_from({b"double": x}) if resp3 else b"%.17g" % x  # type: ignore[union-attr]
        if t is dict:  # a RESP3 map (redisProtocolToLuaType_Map)
            conv = self._lua_value
            return self._sandbox.table_from({b"map": self._sandbox.table_from(  # type: ignore[union-attr]
                {conv(k, resp3): conv(v, resp3) for k, v in x.items()})})
        if t is Resp3Set:  # a RESP3 set: {set={member=true, ...}}
            conv = self._lua_value
            return self._sandbox.table_from({b"set": self._sandbox.table_from(  # type: ignore[union-attr]
                {conv(k, resp3): True for k in x})})
        if t is bool:
            return 1 if x else 0
        return str(x).encode()

    def _lua_table(self, items: Any, resp3: bool) -> Any:
        conv = self._lua_value
        return self._sandbox.table_from(  # type: ignore[union-attr]
            [x if type(x) is bytes else conv(x, resp3) for x in items]
        )

    def hook(self) -> bytes | None:
        """Polled by the Lua count hook: mark the script timed out past
        busy-reply-threshold; return the error that ends it once killed (or once a
        FUNCTION LOAD ran past its 500 ms), else None."""
        run = self.run
        if run is None:
            started = self.loading_since
            if started is not None and time.monotonic() - started > LOAD_TIMEOUT_S:
                return b"ERR FUNCTION LOAD timeout"
            return None
        if not run.timed_out:
            threshold = self.busy_reply_threshold
            if threshold > 0:
                elapsed = (time.monotonic() - run.start) * 1000
                if elapsed >= threshold:
                    run.timed_out = True
                    log.warning(
                        "Slow script detected: still in execution after %d milliseconds. "
                        "You can try killing the script using the %s command.",
                        elapsed, "SCRIPT KILL" if run.is_eval else "FUNCTION KILL",
                    )
        return _E_KILLED if run.killed else None

    def ctl(self, op: bytes, *args: Any) -> Any:
        """The rest of the redis table (plain values in and out, never raises)."""
        try:
            if op == b"untail":
                return untail(args[0])
            if op == b"sha1":
                return hashlib.sha1(args[0]).hexdigest().encode()
            if op == b"log":
                level, message = args
                log.log(_LOG_LEVELS[int(level)], "%s", _text(message))
                return None
            run = self.run
            if op == b"setresp":
                if run is not None:
                    run.resp = int(args[0])
                return None
            if op == b"set_repl":
                if run is not None:
                    run.repl = int(args[0])
                return None
            if op == b"acl":
                return self._acl_check(args)
            if op == b"register":
                if self.on_register is None:
                    return b"ERR redis.register_function can only be called on FUNCTION LOAD command"
                problem = self.on_register(*args)
                return None if problem is None else problem.encode()
        except Exception:  # pragma: no cover - defensive: never hand Lua an exception
            log.exception("redis.* helper %r failed", op)
        return None

    def _acl_check(self, args: tuple[Any, ...]) -> Any:
        if not args:
            return None, _E_NO_ARGS
        argv: list[bytes] = []
        for a in args:
            if type(a) is bytes:
                argv.append(a)
            elif type(a) in (int, float):
                argv.append(b"%.17g" % a)
            else:
                return None, _E_BAD_ARG
        cmd = TABLE.get(argv[0].lower())
        if cmd is not None and cmd.subcommands and len(argv) > 1:
            cmd = cmd.subcommands.get(argv[1].lower())
        if cmd is None:
            return None, b"ERR Invalid command passed to redis.acl_check_cmd()"
        return True  # no ACLs: the default user may run everything

    def end_busy(self) -> None:
        """The script is over (engine lock still held): wait for allow-busy commands
        still running, then settle the WATCHes they made.  A key that was already
        expired when it was watched is removed now as the clock stood then, without
        dirtying that watcher (Redis 7.0 keeps an "expired at WATCH" mark instead)."""
        with self.busy_lock:
            pending = self.busy_watches
            if not pending:
                return
            self.busy_watches = []
            srv = self.srv
            now = srv.now
            try:
                for c, dk, when in pending:
                    if dk not in c.watching:
                        continue
                    dirty = c.watch_dirty
                    srv.now = when
                    srv.dbs[dk[0]].peek(dk[1])
                    c.watch_dirty = dirty
            finally:
                srv.now = now

    # -- SCRIPT KILL / FUNCTION KILL -----------------------------------------------------
    def kill(self, is_eval: bool) -> Reply:
        """Redis's scriptKill (may run without the engine lock, from another thread)."""
        run = self.run
        if run is None:
            raise e.error_from_line(NOTBUSY)
        if run.write_dirty:
            raise e.error_from_line(UNKILLABLE)
        if is_eval and not run.is_eval:
            raise e.error_from_line(BUSY_FUNCTION)
        if not is_eval and run.is_eval:
            raise e.error_from_line(BUSY_EVAL)
        run.killed = True
        return OK


_LOG_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG + 5, 2: logging.INFO, 3: logging.WARNING}


def push_size(value: Any) -> int:
    """About how many bytes Lua needs to hold `value` converted (a string is a
    TString: 24 bytes of header, the bytes and a NUL; a table slot 16 bytes plus
    the table's own), iteratively (replies nest), at C speed for flat lists."""
    t = type(value)
    if t is bytes:
        return len(value) + 48
    if t is not list and t is not tuple:
        return 48
    total = 0
    stack = [value]
    while stack:
        items = stack.pop()
        total += 64 + 64 * len(items)
        types = set(map(type, items))
        if types <= _STRINGS:
            total += sum(map(len, items))
            continue
        for x in items:
            tx = type(x)
            if tx is bytes or tx is Status:
                total += len(x)
            elif tx is list or tx is tuple:
                stack.append(x)
    return total


_STRINGS = {bytes, Status}


def _resp3_aggregate(item: list[Any], code: int) -> Any:
    """A finished {map=} (code 12) or {set=} (code 13) for a RESP3 caller."""
    if code == 12:
        it = iter(item)
        out: dict[Any, Any] = {}
        for k, v in zip(it, it):
            try:
                out[k] = v
            except TypeError:  # an unhashable key (a table): keep the flat form
                return item
        return out
    return Resp3Set(item)


def decode_tokens(tokens: list[Any], script_resp: int = 2, caller_resp3: bool = False) -> Reply:
    """Rebuild a reply from the prelude's flattened (code, value) tokens, iteratively
    (a deeply nested Lua table must not exhaust Python's recursion limit).

    As luaReplyToRedisReply: for a RESP2 caller maps and sets are arrays, doubles and big
    numbers bulk strings, and booleans 1 / nil (or 1 / 0 after redis.setresp(3)); for a
    RESP3 caller (``caller_resp3``) maps become dicts, sets :class:`Resp3Set`, doubles
    floats, big numbers ints and, after redis.setresp(3), booleans bools."""
    resp3_bools = script_resp == 3
    root: list[Reply] = []
    # (list being filled, items missing, its code, where it sits in its parent)
    stack: list[tuple[list[Reply], int, int, int]] = [(root, 1, 5, 0)]
    i = 0
    n = len(tokens)
    while i < n:
        code = tokens[i]
        v = tokens[i + 1]
        i += 2
        if code == 5 or code == 12 or code == 13:
            item: Reply = []
            target, missing, tcode, at = stack[-1]
            target.append(item)
            stack[-1] = (target, missing - 1, tcode, at)
            stack.append((item, int(v), code, len(target) - 1))
        else:
            if code == 0:
                item = v
            elif code == 1:
                item = lua_number_to_int(v)
            elif code == 2:
                item = None
            elif code == 3:
                item = Status(_crlf_to_spaces(v))
            elif code == 4:
                item = e.error_from_line(_text(_crlf_to_spaces(v)))
            elif code == 7:  # a boolean
                if resp3_bools:
                    item = bool(v) if caller_resp3 else int(bool(v))
                else:
                    item = 1 if v else None
            elif code == 14:  # {big_number=}
                item = v
                if caller_resp3:
                    try:
                        item = int(v)
                    except ValueError:
                        pass
            else:  # 6: a double
                item = float(v) if caller_resp3 else format_lua_double(v)
            target, missing, tcode, at = stack[-1]
            target.append(item)
            stack[-1] = (target, missing - 1, tcode, at)
        while len(stack) > 1 and stack[-1][1] == 0:
            done, _, dcode, at = stack.pop()
            if caller_resp3 and dcode != 5:
                stack[-1][0][at] = _resp3_aggregate(done, dcode)
    return root[0] if root else None


def state(srv: Server) -> Scripting:
    """The engine's scripting state, created on first use."""
    try:
        return srv.scripting  # type: ignore[attr-defined, no-any-return]
    except AttributeError:
        st = srv.scripting = Scripting(srv)  # type: ignore[attr-defined]
        return st


# -- lock contention (Client._run): the busy gate -------------------------------------------
_POLL_S = 0.005


def acquire_or_busy(c: Client, cmd: Command, argv: Argv) -> tuple[bool, Reply]:
    """Called by Client._run when the engine lock is taken: wait for it, unless a
    script has run past busy-reply-threshold (Redis's processCommand).  Then a
    command flagged ``allow-busy`` in the command table runs at once without the
    engine lock (:func:`run_allow_busy`), and any other gets BUSY; inside MULTI that
    flags the transaction, and EXEC answers EXECABORT.  This is the one place the
    flag is read.

    Returns (True, None) with the lock held, or (False, reply) without it.
    """
    srv = c.server
    lock = srv.lock
    while True:
        run = srv.__dict__.get("script_busy")
        if run is not None and run.busy():
            if cmd.flags & ALLOW_BUSY:
                done, reply = run_allow_busy(c, cmd, argv)
                if done:
                    return False, reply
            else:
                raise busy_reject(c, cmd, run)
        if lock.acquire(timeout=_POLL_S):
            return True, None


def busy_reject(c: Client, cmd: Command, run: Run) -> e.RedisError:
    """The BUSY error for `cmd` (Redis's rejectCommand: flagTransaction, and EXEC
    aborts the transaction with the BUSY text as its reason)."""
    exc = e.error_from_line(BUSY_EVAL if run.is_eval else BUSY_FUNCTION)
    is_exec = cmd.name == "exec"
    if c.multi is None and not is_exec:
        return exc
    st = state(c.server)
    with st.busy_lock:
        if is_exec:  # even outside MULTI: execCommandAbort discards (and unwatches)
            c.multi = None
            c.multi_error = False
            _busy_unwatch_all(st, c)
            return e.error_from_line("EXECABORT Transaction discarded because of: " + e.error_line(exc))
        c.multi_error = True
        return exc


def run_allow_busy(c: Client, cmd: Command, argv: Argv) -> tuple[bool, Reply]:
    """Run an allow-busy command while a script holds the engine lock.

    These commands touch only the calling client's state, the WATCH registry and
    the running script's flags, never the data: MULTI, DISCARD, WATCH and UNWATCH
    run lock-free variants below (the registry is changed copy-on-write, because
    the script's writes read it meanwhile), SCRIPT KILL, FUNCTION KILL and FUNCTION
    STATS their own handlers.  Inside MULTI, what is not MULTI/DISCARD/WATCH is
    queued, as Redis queues SCRIPT KILL.  All of them serialise on
    ``Scripting.busy_lock``, which the script's end takes too, so none is still
    running when the engine lock is released.  Returns (False, None) if the script
    ended meanwhile: then the caller takes the engine lock as usual.
    """
    srv = c.server
    st = state(srv)
    with st.busy_lock:
        if srv.__dict__.get("script_busy") is None:
            return False, None
        cmd.calls += 1
        name = cmd.name
        if name == "watch":
            return True, _busy_watch(st, c, argv)
        if name == "multi" or name == "discard":
            if name == "multi" or c.multi is None:
                return True, cmd.handler(c, argv)  # type: ignore[misc]  # client state only
            c.multi = None
            c.multi_error = False
            _busy_unwatch_all(st, c)
            return True, OK
        if c.multi is not None and not cmd.flags & NO_QUEUE:
            # Queued without Client.queue's OOM gate, which may evict: the data is the
            # script's now (Redis skips evictions during a busy script too), and none
            # of these commands writes.
            c.multi.append((cmd, argv))
            return True, QUEUED
        if name == "unwatch":
            _busy_unwatch_all(st, c)
            return True, OK
        return True, cmd.handler(c, argv)  # type: ignore[misc]


def _busy_watch(st: Scripting, c: Client, argv: Argv) -> Reply:
    """WATCH during a busy script: register the keys without touching the data (the
    script owns it); whether a key was already dead at this moment is settled when
    the script ends (:meth:`Scripting.end_busy`)."""
    if c.multi is not None:
        raise e.err("WATCH inside MULTI is not allowed")
    srv = c.server
    watched = srv.watched
    when = srv.clock()
    for key in argv[1:]:
        dk = (c.db.id, key)
        if dk in c.watching:
            continue
        c.watching.add(dk)
        clients = watched.get(dk)
        watched[dk] = {c} if clients is None else clients | {c}
        st.busy_watches.append((c, dk, when))
    return OK


def _busy_unwatch_all(st: Scripting, c: Client) -> None:
    """multi.unwatch_all, copy-on-write (a script's write may be iterating a set)."""
    watched = c.server.watched
    for dk in c.watching:
        clients = watched.get(dk)
        if clients is not None:
            rest = clients - {c}
            if rest:
                watched[dk] = rest
            else:
                watched.pop(dk, None)
    c.watching.clear()
    c.watch_dirty = False
    if st.busy_watches:
        st.busy_watches = [w for w in st.busy_watches if w[0] is not c]


# -- commands --------------------------------------------------------------------------------
_SMALL_INTS = {b"%d" % i: i for i in range(16)}


def parse_numkeys(argv: Argv) -> int:
    """EVAL's numkeys with Redis's checks."""
    numkeys = _SMALL_INTS.get(argv[2])
    if numkeys is None:
        numkeys = get_int(argv[2])
    if numkeys > len(argv) - 3:
        raise e.err("Number of keys can't be greater than number of args")
    if numkeys < 0:
        raise e.err("Number of keys can't be negative")
    return numkeys


def eval_generic(c: Client, argv: Argv, evalsha: bool, ro: bool) -> Reply:
    """Implements EVAL, EVALSHA, EVAL_RO, EVALSHA_RO (Redis's evalGenericCommand)."""
    if evalsha and len(argv[1]) != 40:
        raise e.error_from_line(NOSCRIPT_ERR)
    numkeys = parse_numkeys(argv)
    st = state(c.server)
    if evalsha:
        script = st.scripts.get(argv[1].lower())
        if script is None:
            raise e.error_from_line(NOSCRIPT_ERR)
    else:
        script = st.by_body.get(argv[1]) or st.create(argv[1])
    return st.run_script(c, script.fn, script.name, script.flags, ro, numkeys, argv[3:])


_EVAL_FLAGS = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS


@command("EVAL", -3, _EVAL_FLAGS)
def eval_command(c: Client, argv: Argv) -> Reply:
    """EVAL script numkeys [key ...] [arg ...]"""
    return eval_generic(c, argv, False, False)


@command("EVALSHA", -3, _EVAL_FLAGS)
def evalsha_command(c: Client, argv: Argv) -> Reply:
    """EVALSHA sha1 numkeys [key ...] [arg ...]"""
    return eval_generic(c, argv, True, False)


@command("EVAL_RO", -3, READONLY | _EVAL_FLAGS)
def eval_ro_command(c: Client, argv: Argv) -> Reply:
    """EVAL_RO script numkeys [key ...] [arg ...]"""
    return eval_generic(c, argv, False, True)


@command("EVALSHA_RO", -3, READONLY | _EVAL_FLAGS)
def evalsha_ro_command(c: Client, argv: Argv) -> Reply:
    """EVALSHA_RO sha1 numkeys [key ...] [arg ...]"""
    return eval_generic(c, argv, True, True)


@command("SCRIPT|LOAD", 3, NOSCRIPT | STALE)
def script_load_command(c: Client, argv: Argv) -> Reply:
    """SCRIPT LOAD script"""
    return state(c.server).create(argv[2]).sha


@command("SCRIPT|EXISTS", -3, NOSCRIPT)
def script_exists_command(c: Client, argv: Argv) -> Reply:
    """SCRIPT EXISTS sha1 [sha1 ...]"""
    scripts = state(c.server).scripts
    return [1 if sha.lower() in scripts else 0 for sha in argv[2:]]


@command("SCRIPT|FLUSH", -2, NOSCRIPT)
def script_flush_command(c: Client, argv: Argv) -> Reply:
    """SCRIPT FLUSH [ASYNC|SYNC]"""
    if len(argv) > 3 or (len(argv) == 3 and argv[2].upper() not in (b"SYNC", b"ASYNC")):
        raise e.err("SCRIPT FLUSH only support SYNC|ASYNC option")
    state(c.server).flush()
    return OK


@command("SCRIPT|KILL", 2, NOSCRIPT | ALLOW_BUSY)
def script_kill_command(c: Client, argv: Argv) -> Reply:
    """SCRIPT KILL"""
    return state(c.server).kill(is_eval=True)


@command("SCRIPT|DEBUG", 3, NOSCRIPT)
def script_debug_command(c: Client, argv: Argv) -> Reply:
    """SCRIPT DEBUG YES|SYNC|NO (only NO: kvengine has no Lua debugger)"""
    if c.multi is not None:
        raise e.err("SCRIPT DEBUG must be called outside MULTI")
    mode = argv[2].lower()
    if mode == b"no":
        return OK
    if mode in (b"yes", b"sync"):
        raise e.err("kvengine does not implement the Lua debugger (SCRIPT DEBUG YES|SYNC)")
    raise e.err("Use SCRIPT DEBUG YES/SYNC/NO")


SCRIPT_HELP = [
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
]


@command("SCRIPT|HELP", 2, LOADING | STALE)
def script_help_command(c: Client, argv: Argv) -> Reply:
    """SCRIPT HELP"""
    return [Status(line.encode()) for line in SCRIPT_HELP]


# -- configuration ----------------------------------------------------------------------------
def _register_config() -> None:
    from kvengine.config import Param, attr_param, register
    from kvengine.util import LLONG_MAX

    param = attr_param("busy-reply-threshold", "busy_reply_threshold", "int", lo=0, hi=LLONG_MAX, owner=state)
    register(Param(param.name, param.get, param.set, aliases=("lua-time-limit",)))


_register_config()
