"""Redis functions (Redis 7's functions.c / function_lua.c): FUNCTION LOAD, LIST, DELETE,
FLUSH, DUMP, RESTORE, STATS, KILL, HELP, and FCALL / FCALL_RO.

A library is Lua code with a ``#!lua name=<lib>`` shebang whose top level calls
``redis.register_function`` (positional ``(name, callback)`` or named
``{function_name=, callback=, flags={...}, description=}``).  It runs in the
engine's one Lua runtime (:mod:`kvengine.scripting`) with a restricted load-time
API, and its functions then run like EVAL scripts (same checks, same effects
replication) with ``(keys, args)`` as arguments and the flags they were registered
with (no ``no-writes`` flag: a write function, refused by FCALL_RO).

Libraries are engine state that persistence must keep: :class:`FunctionRegistry`
(``server.functions``) offers :meth:`~FunctionRegistry.dump_state` (a list of library
codes, msgpack-able) and :meth:`~FunctionRegistry.load_state`.  FUNCTION LOAD, DELETE,
FLUSH and RESTORE are write commands and reach the persistence feed as themselves.
"""

from __future__ import annotations

import struct
import time
import zlib
from typing import TYPE_CHECKING, Any

import msgpack

from kvengine import exceptions as e
from kvengine import scripting
from kvengine.commands import (
    ALLOW_BUSY,
    DENYOOM,
    LOADING,
    MOVABLEKEYS,
    NO_MANDATORY_KEYS,
    NOSCRIPT,
    READONLY,
    SKIP_MONITOR,
    STALE,
    WRITE,
    Argv,
    Reply,
    command,
)
from kvengine.keys import glob_match
from kvengine.reply import OK, Status
from kvengine.server import Server
from kvengine.util import parse_int, split_args

if TYPE_CHECKING:
    from kvengine.client import Client

ENGINE_NAME = b"LUA"
_NAME_ERROR = (
    "Library names can only contain letters, numbers, or underscores(_) and must be at "
    "least one character long"
)
# Flags in the order Redis lists them (scripts_flags_def).
_FLAG_ORDER = [
    (b"no-writes", scripting.FLAG_NO_WRITES),
    (b"allow-oom", scripting.FLAG_ALLOW_OOM),
    (b"allow-stale", scripting.FLAG_ALLOW_STALE),
    (b"no-cluster", scripting.FLAG_NO_CLUSTER),
    (b"allow-cross-slot-keys", scripting.FLAG_ALLOW_CROSS_SLOT),
]
_DUMP_VERSION = 1


def valid_name(name: bytes) -> bool:
    """functionsVerifyName: letters, digits and underscores, at least one."""
    return bool(name) and all(c == 95 or 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 for c in name)


class Function:
    """One registered function."""

    __slots__ = ("name", "library", "fn", "description", "flags")

    def __init__(self, name: bytes, library: Library, fn: Any, description: bytes | None, flags: int) -> None:
        self.name = name
        self.library = library
        self.fn = fn
        self.description = description
        self.flags = flags

    def flag_names(self) -> list[bytes]:
        """The flags as FUNCTION LIST shows them."""
        return [name for name, bit in _FLAG_ORDER if self.flags & bit]


class Library:
    """A loaded library: its name, full code (shebang included) and functions."""

    __slots__ = ("name", "code", "functions")

    def __init__(self, name: bytes, code: bytes) -> None:
        self.name = name
        self.code = code
        # name -> function, case-sensitive within a library (Redis's dicts differ here:
        # "f" and "F" may both register, and FCALL then finds whichever was linked first)
        self.functions: dict[bytes, Function] = {}


def parse_metadata(code: bytes) -> tuple[bytes, bytes, bytes]:
    """(library name, engine name, code from the shebang's line feed on) of a library
    (Redis's functionExtractLibMetaData), or Redis's error."""
    if not code.startswith(b"#!"):
        raise e.err("Missing library metadata")
    end = code.find(b"\n")
    if end < 0:
        raise e.err("Invalid library metadata")
    parts = split_args(code[:end])
    if not parts:
        raise e.err("Invalid library metadata")
    engine = parts[0][2:]
    name: bytes | None = None
    for part in parts[1:]:
        if part[:5].lower() == b"name=":
            if name is not None:
                raise e.err("Invalid metadata value, name argument was given multiple times")
            name = part[5:]
            continue
        # Redis formats the option as a C string (cut at NUL); its CR/LF would break the
        # reply line (Redis 7.0 sends them raw, an invalid reply), so they become spaces.
        shown = part.split(b"\0", 1)[0].replace(b"\r", b" ").replace(b"\n", b" ")
        raise e.err("Invalid metadata value given: " + shown.decode("utf-8", "replace"))
    if name is None:
        raise e.err("Library name was not given")
    return name, engine, code[end:]


class FunctionRegistry:
    """The engine's libraries and functions (Redis's functionsLibCtx)."""

    def __init__(self, srv: Server) -> None:
        self.srv = srv
        self.libraries: dict[bytes, Library] = {}     # name (case-sensitive) -> library
        self.functions: dict[bytes, Function] = {}    # lowercase name -> function (FCALL ignores case)

    # -- building libraries ------------------------------------------------------------
    def _create(self, code: bytes, check: dict[bytes, Library], replace: bool) -> tuple[Library, Library | None]:
        """Compile and run `code` into a new, unlinked library; returns it and the
        library of the same name in `check` that it replaces (unlinked by the caller)."""
        name, engine, body = parse_metadata(code)
        if not valid_name(name):
            raise e.err(_NAME_ERROR)
        if engine.upper() != ENGINE_NAME:
            raise e.err(f"Engine '{engine.decode('utf-8', 'replace')}' not found")
        old = check.get(name)
        if old is not None and not replace:
            raise e.err(f"Library '{name.decode('utf-8', 'replace')}' already exists")
        lib = Library(name, code)
        st = scripting.state(self.srv)

        def on_register(fname: Any, fn: Any, description: Any, flags_csv: Any) -> str | None:
            if type(fname) is not bytes or not valid_name(fname):
                return "ERR " + _NAME_ERROR
            if fname in lib.functions:
                return "ERR Function already exists in the library"
            flags = scripting.parse_flag_list(flags_csv or b"", "unknown flag given: ")
            lib.functions[fname] = Function(fname, lib, fn, description, flags)
            return None

        sb = st.sandbox
        sb.ensure_room()
        st.on_register = on_register
        st.loading_since = time.monotonic()
        try:
            result = sb.load_library(body)
        except sb.LuaMemoryError:
            sb.gc()
            result = (2, b"ERR not enough memory")
        finally:
            st.on_register = None
            st.loading_since = None
        if result is not None:
            kind, message = result
            text = (message or b"").decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")
            if kind == 1:
                raise e.err("Error compiling function: " + text)
            raise e.err("Error registering functions: " + text)
        if not lib.functions:
            raise e.err("No functions registered")
        return lib, old

    def _link(self, lib: Library) -> None:
        self.libraries[lib.name] = lib
        for name, fn in lib.functions.items():
            self.functions.setdefault(name.lower(), fn)

    def _unlink(self, lib: Library) -> None:
        del self.libraries[lib.name]
        for name in lib.functions:
            key = name.lower()
            if self.functions.get(key) is not None and self.functions[key].library is lib:
                del self.functions[key]

    def _collision(self, lib: Library, taken: dict[bytes, Any]) -> None:
        """Redis's check that no function of `lib` is already linked (ignoring case)."""
        for name, fn in lib.functions.items():
            if name.lower() in taken:
                raise e.err(f"Function {fn.name.decode('utf-8', 'replace')} already exists")

    def load(self, code: bytes, replace: bool = False) -> bytes:
        """FUNCTION LOAD: create and link a library; its name, or Redis's error."""
        lib, old = self._create(code, self.libraries, replace)
        if old is not None:
            self._unlink(old)
        try:
            self._collision(lib, self.functions)
        except e.RedisError:
            if old is not None:
                self._link(old)
            raise
        self._link(lib)
        return lib.name

    def delete(self, name: bytes) -> None:
        """FUNCTION DELETE."""
        lib = self.libraries.get(name)
        if lib is None:
            raise e.err("Library not found")
        self._unlink(lib)

    def flush(self) -> None:
        """FUNCTION FLUSH."""
        self.libraries.clear()
        self.functions.clear()
        st = self.srv.__dict__.get("scripting")
        if st is not None and st._sandbox is not None:
            st._sandbox.gc()

    # -- persistence ----------------------------------------------------------------------
    def dump_state(self) -> list[bytes]:
        """Every library's code, in load order (msgpack-able; see load_state)."""
        return [lib.code for lib in self.libraries.values()]

    def load_state(self, codes: list[bytes], policy: str = "FLUSH") -> None:
        """Load libraries saved by dump_state (FLUSH, APPEND or REPLACE, as FUNCTION
        RESTORE); raises Redis's error (nothing changes) if one fails."""
        staged: dict[bytes, Library] = {}
        for code in codes:
            lib, _ = self._create(bytes(code), staged, False)
            self._collision(lib, {name.lower(): None for other in staged.values() for name in other.functions})
            staged[lib.name] = lib
        if policy == "FLUSH":
            self.libraries.clear()
            self.functions.clear()
            for lib in staged.values():
                self._link(lib)
            return
        replaced: list[Library] = []
        try:
            for lib in staged.values():
                old = self.libraries.get(lib.name)
                if old is not None:
                    if policy != "REPLACE":
                        raise e.err(f"Library {lib.name.decode('utf-8', 'replace')} already exists")
                    self._unlink(old)
                    replaced.append(old)
            for lib in staged.values():
                self._collision(lib, self.functions)
        except e.RedisError:
            for old in replaced:
                self._link(old)
            raise
        for lib in staged.values():
            self._link(lib)

    def dump_payload(self) -> bytes:
        """FUNCTION DUMP: kvengine's own format (msgpack + version + CRC-32), like DUMP."""
        head = msgpack.packb(["functions", self.dump_state()], use_bin_type=True)
        head += struct.pack("<H", _DUMP_VERSION)
        return head + struct.pack("<I", zlib.crc32(head))

    @staticmethod
    def parse_payload(payload: bytes) -> list[bytes]:
        """The library codes in a FUNCTION DUMP payload; ValueError if it is not one."""
        if len(payload) < 6:
            raise ValueError("payload too short")
        version, crc = struct.unpack("<HI", payload[-6:])
        if version != _DUMP_VERSION or zlib.crc32(payload[:-4]) != crc:
            raise ValueError("bad version or checksum")
        try:
            kind, codes = msgpack.unpackb(payload[:-6], raw=False)
        except Exception as exc:
            raise ValueError("malformed payload") from exc
        if kind != "functions" or not isinstance(codes, list) or not all(isinstance(c, bytes) for c in codes):
            raise ValueError("malformed payload")
        return codes


def registry(srv: Server) -> FunctionRegistry:
    """The engine's function libraries, created on first use."""
    reg = srv.__dict__.get("_functions")
    if reg is None:
        reg = srv._functions = FunctionRegistry(srv)  # type: ignore[attr-defined]
    return reg  # type: ignore[no-any-return]


# ``server.functions`` for the persistence backends (the registry is created lazily,
# so Server itself need not know about Lua).
Server.functions = property(registry)  # type: ignore[attr-defined]


# -- commands --------------------------------------------------------------------------------------
def fcall_generic(c: Client, argv: Argv, ro: bool) -> Reply:
    """Implements FCALL and FCALL_RO (Redis's fcallCommandGeneric)."""
    fn = registry(c.server).functions.get(argv[1].lower())
    if fn is None:
        raise e.err("Function not found")
    numkeys = parse_int(argv[2])
    if numkeys is None:
        raise e.err("Bad number of keys provided")
    if numkeys > len(argv) - 3:
        raise e.err("Number of keys can't be greater than number of args")
    if numkeys < 0:
        raise e.err("Number of keys can't be negative")
    st = scripting.state(c.server)
    return st.run_script(
        c, fn.fn, fn.name.decode("utf-8", "replace"), fn.flags, ro, numkeys, argv[3:],
        is_eval=False, argv=argv,
    )


_FCALL_FLAGS = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLEKEYS


@command("FCALL", -3, _FCALL_FLAGS)
def fcall_command(c: Client, argv: Argv) -> Reply:
    """FCALL function numkeys [key ...] [arg ...]"""
    return fcall_generic(c, argv, False)


@command("FCALL_RO", -3, READONLY | _FCALL_FLAGS)
def fcall_ro_command(c: Client, argv: Argv) -> Reply:
    """FCALL_RO function numkeys [key ...] [arg ...]"""
    return fcall_generic(c, argv, True)


@command("FUNCTION|LOAD", -3, WRITE | DENYOOM | NOSCRIPT)
def function_load_command(c: Client, argv: Argv) -> Reply:
    """FUNCTION LOAD [REPLACE] function-code"""
    replace = False
    for arg in argv[2:-1]:
        if arg.lower() == b"replace":
            replace = True
        else:
            raise e.err("Unknown option given: " + arg.decode("utf-8", "replace"))
    name = registry(c.server).load(argv[-1], replace)
    c.server.dirty += 1
    return name


@command("FUNCTION|DELETE", 3, WRITE | NOSCRIPT)
def function_delete_command(c: Client, argv: Argv) -> Reply:
    """FUNCTION DELETE library-name"""
    registry(c.server).delete(argv[2])
    c.server.dirty += 1
    return OK


@command("FUNCTION|FLUSH", -2, WRITE | NOSCRIPT)
def function_flush_command(c: Client, argv: Argv) -> Reply:
    """FUNCTION FLUSH [ASYNC|SYNC]"""
    if len(argv) > 3:
        raise e.err("unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.")
    if len(argv) == 3 and argv[2].upper() not in (b"SYNC", b"ASYNC"):
        raise e.err("FUNCTION FLUSH only supports SYNC|ASYNC option")
    registry(c.server).flush()
    c.server.dirty += 1
    return OK


def _function_info(fn: Function) -> list[Any]:
    return [b"name", fn.name, b"description", fn.description, b"flags",
            [Status(f) for f in fn.flag_names()]]


@command("FUNCTION|LIST", -2, NOSCRIPT)
def function_list_command(c: Client, argv: Argv) -> Reply:
    """FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]"""
    with_code = False
    pattern: bytes | None = None
    i = 2
    while i < len(argv):
        arg = argv[i]
        if not with_code and arg.lower() == b"withcode":
            with_code = True
        elif pattern is None and arg.lower() == b"libraryname":
            if i >= len(argv) - 1:
                raise e.err("library name argument was not given")
            i += 1
            pattern = argv[i]
        else:
            raise e.err("Unknown argument " + arg.decode("utf-8", "replace"))
        i += 1
    out: list[Any] = []
    for lib in registry(c.server).libraries.values():
        if pattern is not None and not glob_match(pattern, lib.name, nocase=True):
            continue
        entry: list[Any] = [b"library_name", lib.name, b"engine", ENGINE_NAME, b"functions",
                            [_function_info(fn) for fn in lib.functions.values()]]
        if with_code:
            entry += [b"library_code", lib.code]
        out.append(entry)
    return out


@command("FUNCTION|DUMP", 2, NOSCRIPT)
def function_dump_command(c: Client, argv: Argv) -> Reply:
    """FUNCTION DUMP (kvengine's own payload format: msgpack + version + CRC-32)"""
    return registry(c.server).dump_payload()


@command("FUNCTION|RESTORE", -3, WRITE | DENYOOM | NOSCRIPT)
def function_restore_command(c: Client, argv: Argv) -> Reply:
    """FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]"""
    if len(argv) > 4:
        raise e.err("unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.")
    policy = "APPEND"
    if len(argv) == 4:
        policy = argv[3].upper().decode("utf-8", "replace")
        if policy not in ("FLUSH", "APPEND", "REPLACE"):
            raise e.err("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    try:
        codes = FunctionRegistry.parse_payload(argv[2])
    except ValueError:
        raise e.err("DUMP payload version or checksum are wrong") from None
    registry(c.server).load_state(codes, policy)
    c.server.dirty += 1
    return OK


@command("FUNCTION|KILL", 2, NOSCRIPT | ALLOW_BUSY)
def function_kill_command(c: Client, argv: Argv) -> Reply:
    """FUNCTION KILL"""
    return scripting.state(c.server).kill(is_eval=False)


@command("FUNCTION|STATS", 2, NOSCRIPT | ALLOW_BUSY)
def function_stats_command(c: Client, argv: Argv) -> Reply:
    """FUNCTION STATS (may run without the engine lock while a function is busy)"""
    run = scripting.state(c.server).run
    if run is not None and run.is_eval:
        raise e.error_from_line(scripting.BUSY_EVAL)
    running: Any = None
    if run is not None:
        running = [b"name", run.name.encode(), b"command", list(run.argv or []),
                   b"duration_ms", int((time.monotonic() - run.start) * 1000)]
    reg = registry(c.server)
    return [b"running_script", running, b"engines",
            [ENGINE_NAME, [b"libraries_count", len(reg.libraries), b"functions_count", len(reg.functions)]]]


FUNCTION_HELP = [
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
]


@command("FUNCTION|HELP", 2, LOADING | STALE)
def function_help_command(c: Client, argv: Argv) -> Reply:
    """FUNCTION HELP"""
    return [Status(line.encode()) for line in FUNCTION_HELP]
