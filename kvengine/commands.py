"""The command table: every command declared once, beside its handler.

A row carries what Redis's own table carries (name, arity, flags, key positions), in
Redis's vocabulary, so that dispatch, MULTI queueing, script restrictions, the OOM
gate, ``COMMAND INFO``, the shell's HELP and the documentation all read one source,
and a test can diff it against a real server's ``COMMAND INFO``.

Arity follows Redis: a positive N means exactly N arguments including the name, a
negative -N means at least N.  Subcommands are declared as ``"OBJECT|ENCODING"``;
their container (``OBJECT``) is created on first use with arity -2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntFlag
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kvengine.client import Client

Argv = list[bytes]
Reply = Any
Handler = Callable[["Client", Argv], Reply]


class Flag(IntFlag):
    """Redis command flags (``COMMAND INFO`` names, lowercased)."""

    WRITE = 1 << 0
    READONLY = 1 << 1
    DENYOOM = 1 << 2
    ADMIN = 1 << 3
    PUBSUB = 1 << 4
    NOSCRIPT = 1 << 5
    BLOCKING = 1 << 6
    LOADING = 1 << 7
    STALE = 1 << 8
    SKIP_MONITOR = 1 << 9
    SKIP_SLOWLOG = 1 << 10
    FAST = 1 << 11
    NO_AUTH = 1 << 12
    MAY_REPLICATE = 1 << 13
    NO_MANDATORY_KEYS = 1 << 14
    NO_MULTI = 1 << 15
    MOVABLEKEYS = 1 << 16
    ALLOW_BUSY = 1 << 17
    NO_ASYNC_LOADING = 1 << 18
    # kvengine-only flag (not reported by COMMAND INFO): runs immediately inside
    # MULTI instead of being queued (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET).
    NO_QUEUE = 1 << 30


# Plain ints for handlers and dispatch (``flags=WRITE | DENYOOM``).
WRITE, READONLY, DENYOOM, ADMIN = int(Flag.WRITE), int(Flag.READONLY), int(Flag.DENYOOM), int(Flag.ADMIN)
PUBSUB, NOSCRIPT, BLOCKING, LOADING = int(Flag.PUBSUB), int(Flag.NOSCRIPT), int(Flag.BLOCKING), int(Flag.LOADING)
STALE, FAST, MAY_REPLICATE, NO_MULTI = int(Flag.STALE), int(Flag.FAST), int(Flag.MAY_REPLICATE), int(Flag.NO_MULTI)
SKIP_MONITOR, SKIP_SLOWLOG, NO_AUTH = int(Flag.SKIP_MONITOR), int(Flag.SKIP_SLOWLOG), int(Flag.NO_AUTH)
MOVABLEKEYS, ALLOW_BUSY, NO_QUEUE = int(Flag.MOVABLEKEYS), int(Flag.ALLOW_BUSY), int(Flag.NO_QUEUE)
NO_MANDATORY_KEYS = int(Flag.NO_MANDATORY_KEYS)
NO_ASYNC_LOADING = int(Flag.NO_ASYNC_LOADING)

_INFO_FLAGS = [f for f in Flag if f is not Flag.NO_QUEUE]


@dataclass(eq=False)
class Command:
    """One row of the command table."""

    name: str                       # lowercase, as Redis reports it ("get", "object|encoding")
    arity: int
    flags: int                      # a plain int of Flag bits: IntFlag arithmetic is slow on the hot path
    first_key: int = 0
    last_key: int = 0
    step: int = 0
    handler: Handler | None = None
    doc: str = ""
    subcommands: dict[bytes, Command] = field(default_factory=dict)
    calls: int = 0                  # INFO commandstats

    @property
    def flag_names(self) -> list[str]:
        """The flags as COMMAND INFO lists them."""
        return [f.name.lower() for f in _INFO_FLAGS if self.flags & f and f.name]

    def keys(self, argv: Argv) -> list[bytes]:
        """The key arguments of a call, from (first, last, step)."""
        if not self.first_key:
            return []
        last = self.last_key if self.last_key >= 0 else len(argv) + self.last_key
        return argv[self.first_key: last + 1: self.step or 1]

    def check_arity(self, n: int) -> bool:
        """Redis's commandCheckArity: exact for positive arity, minimum for negative."""
        a = self.arity
        return n == a if a > 0 else n >= -a


TABLE: dict[bytes, Command] = {}
"""lowercase name -> Command, for every top-level command."""


def command(
    name: str,
    arity: int,
    flags: int = 0,
    keys: tuple[int, int, int] = (0, 0, 0),
) -> Callable[[Handler], Handler]:
    """Declare `name` with Redis's arity, flags and key positions, handled by the
    decorated function ``handler(client, argv) -> reply``.
    """

    def register(fn: Handler) -> Handler:
        doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        cmd = Command(name.lower(), arity, int(flags), *keys, handler=fn, doc=doc)
        parent_name, _, sub = name.lower().partition("|")
        if sub:
            parent = TABLE.get(parent_name.encode())
            if parent is None:
                parent = Command(parent_name, -2, 0)
                TABLE[parent_name.encode()] = parent
            parent.subcommands[sub.encode()] = cmd
        else:
            existing = TABLE.get(name.lower().encode())
            if existing is not None and existing.handler is not None:
                raise RuntimeError(f"command {name} declared twice")
            if existing is not None:  # a container created by a subcommand first
                cmd.subcommands = existing.subcommands
            TABLE[name.lower().encode()] = cmd
        return fn

    return register


def lookup(name: bytes) -> Command | None:
    """The top-level command called `name` (any case), or None."""
    return TABLE.get(name.lower())


def all_commands() -> list[Command]:
    """Every command and subcommand, sorted by name (for COMMAND, docs and tests)."""
    out: list[Command] = []
    for cmd in TABLE.values():
        out.append(cmd)
        out.extend(cmd.subcommands.values())
    return sorted(out, key=lambda c: c.name)
