"""Turning tail calls into plain calls in compiled Lua 5.1 chunks.

Why: Redis's ``redis.call``, ``pcall``, ``rawset``... are C functions, so in
``return redis.call(...)`` the script's frame stays on the stack and an error
raised by the call is reported "on @user_script:<line>".  In kvengine those
functions are Lua closures of the sandbox prelude, and a Lua tail call would replace
the script's frame, losing the line.  Every user chunk is therefore compiled, dumped,
and reloaded with each ``TAILCALL A B C`` rewritten to ``CALL A B C``: the compiler
always follows a TAILCALL with ``RETURN A 0``, which returns what the call left on
the stack, so results are unchanged.  The only difference from Redis: unbounded
tail recursion in a script now hits Lua's call depth limit (about 20000 levels).

The loader only ever sees bytecode that Lua itself produced from source a moment
before: scripts cannot load bytecode (``loadstring`` parses text only).
"""

from __future__ import annotations

import struct

_OP_CALL = 28
_OP_TAILCALL = 29


class _Reader:
    __slots__ = ("data", "pos", "int_fmt", "size_fmt", "int_size", "size_size")

    def __init__(self, data: bytearray) -> None:
        self.data = data
        if bytes(data[:5]) != b"\x1bLuaQ" or data[5] != 0:
            raise ValueError("not a Lua 5.1 chunk")
        endian = "<" if data[6] == 1 else ">"
        self.int_size, self.size_size = data[7], data[8]
        if data[9] != 4 or data[10] != 8:
            raise ValueError("unexpected Lua build (instruction or number size)")
        self.int_fmt = endian + {4: "i", 8: "q"}[self.int_size]
        self.size_fmt = endian + {4: "I", 8: "Q"}[self.size_size]
        self.pos = 12

    def int(self) -> int:
        (value,) = struct.unpack_from(self.int_fmt, self.data, self.pos)
        self.pos += self.int_size
        return int(value)

    def string(self) -> None:
        (n,) = struct.unpack_from(self.size_fmt, self.data, self.pos)
        self.pos += self.size_size + n

    def function(self, endian: str) -> None:
        self.string()                     # source
        self.pos += 2 * self.int_size     # linedefined, lastlinedefined
        self.pos += 4                     # nups, numparams, is_vararg, maxstacksize
        ncode = self.int()
        data = self.data
        for at in range(self.pos, self.pos + 4 * ncode, 4):
            (ins,) = struct.unpack_from(endian + "I", data, at)
            if ins & 0x3F == _OP_TAILCALL:
                struct.pack_into(endian + "I", data, at, (ins & ~0x3F) | _OP_CALL)
        self.pos += 4 * ncode
        for _ in range(self.int()):       # constants
            kind = data[self.pos]
            self.pos += 1
            if kind == 1:
                self.pos += 1
            elif kind == 3:
                self.pos += 8
            elif kind == 4:
                self.string()
            elif kind != 0:
                raise ValueError(f"unknown constant type {kind}")
        for _ in range(self.int()):       # nested functions
            self.function(endian)
        nlines = self.int()               # line info
        self.pos += nlines * self.int_size
        for _ in range(self.int()):       # local variables
            self.string()
            self.pos += 2 * self.int_size
        for _ in range(self.int()):       # upvalue names
            self.string()


def untail(chunk: bytes) -> bytes:
    """`chunk` (a ``string.dump`` of Lua 5.1 source) with tail calls made plain calls."""
    data = bytearray(chunk)
    reader = _Reader(data)
    reader.function("<" if data[6] == 1 else ">")
    if reader.pos != len(data):
        raise ValueError("trailing bytes in Lua chunk")
    return bytes(data)
