"""The Lua side of scripting: a sandboxed Lua 5.1 runtime shaped like Redis 7.0's.

:mod:`kvengine.lua.prelude` holds the Lua code that builds the sandbox (read-only
globals and libraries, Redis's ``redis`` table, error handler, result conversion);
:mod:`kvengine.lua.libs` holds Redis's bundled libraries (``cjson``, ``cmsgpack``,
``bit``, ``struct``), written in Lua with a few plain-value helpers in Python.
:mod:`kvengine.lua.runtime` creates the runtime and is the only module that talks to
lupa.  The Lua sources live in Python strings so they ship inside the package
without package-data configuration.
"""
