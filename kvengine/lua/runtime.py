"""Creating the sandboxed Lua runtime (the only module that talks to lupa).

Lua 5.1 semantics, as Redis: lupa ships one extension module per Lua version, and
``lupa.lua51`` (stock PUC-Rio Lua 5.1) is what Redis embeds, so it is preferred.
When a lupa wheel lacks it we fall back to LuaJIT 2.1 (``lupa.luajit21``, 5.1
language plus a few extensions), then to lupa's default runtime; ``LUA_FLAVOUR``
says which one was loaded.

No path leads from a script to a Python object: the runtime is created without
``python.eval`` and without Python builtins, the ``python`` table and every unsafe
global (``io``, ``os``, ``debug``, ``package``, ``require``, ``loadfile``, ``dofile``,
``getfenv``, ``setfenv``, ...) are removed from the state's globals after the
prelude captured what it needs, attribute access on any Python object is refused
(``attribute_handlers``), and the bridge functions, which exist only as upvalues of
prelude closures, take and return plain values (bytes, numbers, booleans, Lua
tables).  A memory limit (lupa's ``max_memory``) bounds what scripts can allocate.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from kvengine.lua.libs import LIBS, LibHelpers
from kvengine.lua.prelude import PRELUDE


def _load_lupa() -> tuple[Any, str]:
    for name in ("lupa.lua51", "lupa.luajit21", "lupa.luajit20", "lupa"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return module, name.rpartition(".")[2]
    raise ImportError("Lua scripting needs lupa (pip install lupa)")


_lupa: Any = None
LUA_FLAVOUR = ""
"""Which lupa runtime is used: "lua51" (preferred), "luajit21", ... ("" until loaded)."""

RESERVE = 1024 * 1024
"""Bytes kept free for Python's own pushes into the state (see Sandbox.ensure_room)."""

DEFAULT_MAX_MEMORY = 256 * 1024 * 1024
"""Bytes a runtime may allocate (scripts, libraries, cached functions) before Lua
raises "not enough memory" in the script that asked for more."""

# Globals of the raw state that must not survive (the prelude keeps private copies
# of what it needs).
_UNSAFE_GLOBALS = (
    "python", "debug", "io", "os", "package", "require", "dofile", "loadfile", "load",
    "loadstring", "module", "getfenv", "setfenv", "newproxy", "print",
)


def _refuse_get(obj: Any, name: Any) -> Any:
    raise AttributeError("access to Python objects is not allowed")


def _refuse_set(obj: Any, name: Any, value: Any) -> None:
    raise AttributeError("access to Python objects is not allowed")


class Sandbox:
    """One Lua state holding Redis's script environment.

    `call` implements ``redis.call``/``redis.pcall`` (``call(*args) -> value`` or
    ``(value, tag)``), `hook` is polled every 100000 instructions and returns True
    to kill the running script, `ctl(op, *args)` serves the rest of the ``redis``
    table.  All three receive and return plain values only.
    """

    def __init__(
        self,
        call: Callable[..., Any],
        hook: Callable[[], bool],
        ctl: Callable[..., Any],
        max_memory: int = DEFAULT_MAX_MEMORY,
        call_packed: Callable[..., Any] | None = None,
    ) -> None:
        global _lupa, LUA_FLAVOUR
        if _lupa is None:
            _lupa, LUA_FLAVOUR = _load_lupa()
        lua = _lupa.LuaRuntime(
            encoding=None,
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_handlers=(_refuse_get, _refuse_set),
            max_memory=0,  # installs lupa's counting allocator; the cap is set below
        )
        self.lua = lua
        self.LuaError = _lupa.LuaError
        self.LuaMemoryError = getattr(_lupa, "LuaMemoryError", MemoryError)
        prelude = lua.compile(PRELUDE, name="=kvengine")
        api = prelude(call, hook, ctl, call_packed or call)
        self.api = api
        helpers = LibHelpers(self)
        for _name, source in LIBS:
            lua.compile(source, name="=kvengine")(api, helpers.bridge)
        g = lua.globals()
        for name in _UNSAFE_GLOBALS:
            g[name] = None
        # The prelude and libraries keep everything they use in locals: a read of an
        # undefined global from them is a bug, and must fail loudly, not yield nil.
        lua.execute(
            "setmetatable(_G, {__index = function(_, k) "
            "error('kvengine internal error: undefined global ' .. tostring(k), 2) end})"
        )
        self.run_eval = api.run_eval
        self.run_eval_tables = api.run_eval_tables
        self.run_function = api.run_function
        self.run_function_tables = api.run_function_tables
        self.load_library = api.load_library
        self.compile_script = api.compile_script
        self.compile_text = api.compile_text
        self.table_from = lua.table_from
        self.slice = lua.eval("function(t, i, j) return unpack(t, i, j) end")
        self.gc = lua.eval("function() collectgarbage('collect') end")
        self.memory = lua.eval("function() return collectgarbage('count') * 1024 end")
        self.memory_used = lua.get_memory_used  # (total) -> bytes, the allocator's count
        self.set_max_memory(max_memory)

    def set_max_memory(self, limit: int) -> None:
        """Cap what the state may allocate (0: no cap).  LuaJIT runtimes cannot."""
        self.max_memory = limit
        self._cap = limit
        try:
            self.lua.set_max_memory(limit, total=True)
        except (AttributeError, RuntimeError):  # pragma: no cover - LuaJIT
            self.max_memory = self._cap = 0
            self.memory_used = lambda total=False: 0

    def ensure_room(self) -> None:
        """Called before Python hands Lua anything: make sure RESERVE bytes are free.

        Python's pushes into the state (a script's arguments, converted replies) run
        outside any protected call, and an allocation failure there is a Lua panic
        that ends the process.  So when a script left the state near its cap
        (garbage of a runaway table, or data a function library keeps in upvalues),
        collect garbage first, and if live data still fills the cap, let the cap
        float RESERVE above it: the next script then fails with "not enough memory"
        as soon as it allocates, instead of the engine dying.
        """
        limit = self.max_memory
        if not limit:
            return
        lua = self.lua
        used = lua.get_memory_used(total=True)
        if used + RESERVE <= self._cap and self._cap == limit:
            return
        self.gc()
        used = lua.get_memory_used(total=True)
        cap = max(limit, used + RESERVE)
        if cap != self._cap:
            self._cap = cap
            lua.set_max_memory(cap, total=True)

    def room(self, need: int) -> bool:
        """Called before Python pushes about `need` bytes into the state while a script
        runs (a reply of ``redis.call``): True if the push cannot fail.

        An allocation failure during such a push is a Lua panic (lupa pushes outside
        any protected call), so the push must fit under the cap.  When the script
        left the state at its cap, the cap floats up to RESERVE above the limit for a
        small push (the script fails on its next allocation instead); a push that
        does not fit even then is refused, and the script gets "not enough memory".
        """
        limit = self.max_memory
        if not limit:
            return True
        lua = self.lua
        need += 4096  # the table headers and stack slots around the values
        if lua.get_memory_used(total=True) + need <= self._cap:
            return True
        self.gc()
        used = lua.get_memory_used(total=True)
        if used + need <= self._cap:
            return True
        if used + need > limit + RESERVE:
            return False
        self._cap = used + need
        lua.set_max_memory(self._cap, total=True)
        return True

    def used_memory(self) -> int:
        """Bytes the Lua state holds (INFO's used_memory_lua)."""
        try:
            return int(self.memory())
        except self.LuaError:  # pragma: no cover - out of memory while asking
            return 0
