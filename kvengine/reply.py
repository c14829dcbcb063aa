"""Reply values shared by every command handler.

Handlers return plain Python values that map one-to-one onto RESP2:
``Status`` (a bytes subclass) for simple strings, ``bytes`` for bulk strings,
``int`` for integers, ``list`` for arrays, ``None`` for the null bulk/array, and
raise a ``ResponseError`` for error replies.  Keeping status replies distinct lets
Lua (``{ok=...}``), the shell (``OK`` vs ``"OK"``) and the RESP writer tell them apart,
while redis-py-style callers can treat them as the bytes redis-py would return.
"""

from __future__ import annotations


class Status(bytes):
    """A RESP simple string (``+OK``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Status({bytes(self)!r})"


OK = Status(b"OK")
PONG = Status(b"PONG")
QUEUED = Status(b"QUEUED")


class Resp3Set(list):  # type: ignore[type-arg]
    """A RESP3 set inside a reply built for a RESP3 caller (a script's ``{set=...}``):
    a list to everything in kvengine; the redis-py drop-in hands it over as its parser
    would a ``~`` reply."""

    __slots__ = ()
