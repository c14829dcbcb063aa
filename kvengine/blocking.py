"""Blocking commands (BLPOP & co.): wait without the engine lock, served in order.

Redis's design, kept: a blocking command that finds nothing to pop registers its
client as waiting on its keys, first come first served per key.  When a write makes
one of those keys ready (``Database.modified`` notices a watched-for key), the
writer's thread, still holding the engine lock right after its command, re-runs
each waiting command in arrival order on behalf of its client (Redis's
handleClientsBlockedOnKeys) until one still finds nothing; every served client
gets its reply handed over and its thread woken.  So wake order is exact, no
client is woken to find the element gone, and the served pop is logged as the
non-blocking command it amounts to (the handlers set ``c.prop``).

A waiting thread holds no lock: it sleeps on an Event.  Its deadline is on the
engine clock, so with a ManualClock it times out when the test advances the clock
(the thread polls the clock every few milliseconds while it waits).  Inside
MULTI/EXEC or a script a blocking command never blocks: it answers at once as if
it had timed out, as Redis does.  Engine.close() fails every waiter.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine.clock import system_clock
from kvengine.util import LLONG_MAX, LLONG_MIN, ld_round, parse_long_double

if TYPE_CHECKING:
    from kvengine.client import Client
    from kvengine.commands import Argv, Command
    from kvengine.server import Server

_POLL_S = 0.005  # how often a waiter on a manual clock looks at the time
_MAX_WAIT_S = min(threading.TIMEOUT_MAX, 86400.0)  # the longest single Event.wait


class Block(Exception):
    """Raised by a blocking handler that has to wait.

    keys: the keys (in the client's db) to wait on; deadline_ms: engine-clock time
    at which to give up (None: forever); timeout_reply: the reply then; argv: the
    command to re-run when served, if not the blocked call's own (XREAD's `$`
    resolved to the ID it stood for when the call blocked).
    """

    def __init__(self, keys: list[bytes], deadline_ms: int | None, timeout_reply: Any = None,
                 argv: Argv | None = None) -> None:
        super().__init__()
        self.keys = keys
        self.deadline_ms = deadline_ms
        self.timeout_reply = timeout_reply
        self.argv = argv


def may_block(c: Client) -> bool:
    """False inside MULTI/EXEC or a script, where blocking commands answer at once."""
    return c.multi is None and not c.in_exec and not c.in_script


def parse_timeout(arg: bytes) -> int:
    """Redis's getTimeoutFromObjectOrReply: a blocking command's timeout (seconds, a
    long double) in ms, with Redis's errors.

    Redis computes ``(long long) ceill(seconds * 1000.0)``: a product past the 64-bit
    range (``inf``, ``1e308``, 99999999999999999999) converts to LLONG_MIN on x86-64,
    hence ``timeout is negative``; -0.0001 rounds up to 0, which blocks forever.
    """
    seconds = parse_long_double(arg)
    if seconds is None:
        raise e.err("timeout is not a float or out of range")
    if isinstance(seconds, float):  # +-inf
        raise e.err("timeout is negative")
    ms = ld_round(seconds * 1000)
    tval = math.ceil(ms) if not isinstance(ms, float) else LLONG_MIN
    if not LLONG_MIN <= tval <= LLONG_MAX:
        tval = LLONG_MIN
    if tval < 0:
        raise e.err("timeout is negative")
    return tval


def deadline_from(c: Client, timeout_ms: int) -> int | None:
    """The engine-clock deadline for a timeout in ms (0 means forever)."""
    return None if timeout_ms == 0 else c.server.now + timeout_ms


class Waiter:
    """One blocked call: its client, command, keys, and where the reply goes."""

    __slots__ = ("client", "cmd", "argv", "keys", "deadline_ms", "timeout_reply", "event", "reply",
                 "error", "done")

    def __init__(self, client: Client, cmd: Command, argv: Argv, block: Block) -> None:
        self.client = client
        self.cmd = cmd
        self.argv = argv
        self.keys = [(client.db.id, k) for k in dict.fromkeys(block.keys)]
        self.deadline_ms = block.deadline_ms
        self.timeout_reply = block.timeout_reply
        self.event = threading.Event()
        self.reply: Any = None
        self.error: BaseException | None = None
        self.done = False


def register(srv: Server, waiter: Waiter) -> None:
    """Queue `waiter` at the end of every one of its keys' lines."""
    for dk in waiter.keys:
        srv.blocked.setdefault(dk, deque()).append(waiter)


def unregister(srv: Server, waiter: Waiter) -> None:
    """Take `waiter` out of every line it stands in."""
    for dk in waiter.keys:
        line = srv.blocked.get(dk)
        if line is None:
            continue
        try:
            line.remove(waiter)
        except ValueError:
            pass
        if not line:
            del srv.blocked[dk]


def wanted_type(cmd: Command) -> str:
    """The type a blocked command pops from: sorted sets for BZ*, streams for XREAD and
    XREADGROUP, lists otherwise."""
    if cmd.name.startswith("x"):
        return "stream"
    return "zset" if cmd.name.startswith("bz") else "list"


def serve_ready(srv: Server) -> None:
    """Serve the clients blocked on keys that became ready (engine lock held).

    Each ready key's line is served in arrival order, re-running the blocked
    command for its client, until a command still has to wait.  Serving can make
    more keys ready (BLMOVE pushes), so this loops until nothing is ready.
    """
    from kvengine.dispatch import execute

    while srv.ready_keys:
        dk = srv.ready_keys.pop(0)
        db = srv.dbs[dk[0]]
        line = srv.blocked.get(dk)
        if line and any(wanted_type(w.cmd) == "stream" for w in line):
            from kvengine.t_stream import serve_blocked_stream

            serve_blocked_stream(srv, dk)  # XREAD / XREADGROUP: Redis's own rules
        while True:
            line = srv.blocked.get(dk)
            if not line:
                break
            # Only a waiter for the type the key now holds is served (a BLPOP stays
            # blocked when its key became a sorted set, as in Redis); others wait on.
            value = db.peek(dk[1])
            if value is None:
                break
            held = "string" if type(value) is bytes else value.redis_type
            if held == "stream":
                break  # served above
            waiter = next((w for w in line if wanted_type(w.cmd) == held), None)
            if waiter is None:
                break
            client = waiter.client
            saved_db = client.db
            client.db = srv.dbs[dk[0]]
            try:
                waiter.reply = execute(client, waiter.cmd, waiter.argv)
            except Block:
                break  # nothing left for the rest of this line
            except e.RedisError as exc:
                waiter.error = exc
            finally:
                client.db = saved_db
            waiter.done = True
            unregister(srv, waiter)
            waiter.event.set()


def unblock(client: Client) -> bool:
    """Take `client`'s blocked call out of every key's line and wake it with its
    timeout reply (Redis's CLIENT UNBLOCK).  False if it was not (yet) blocked."""
    srv = client.server
    found = False
    with srv.lock:
        for line in list(srv.blocked.values()):
            for waiter in list(line):
                if waiter.client is client and not waiter.done:
                    unregister(srv, waiter)
                    waiter.deadline_ms = -(1 << 62)
                    waiter.event.set()
                    found = True
    return found


def block(client: Client, cmd: Command, argv: Argv, signal: Block) -> Waiter:
    """Register a blocked call (engine lock held, so no push can slip in between
    the failed attempt and the registration)."""
    waiter = Waiter(client, cmd, signal.argv if signal.argv is not None else argv, signal)
    register(client.server, waiter)
    return waiter


def wait(srv: Server, waiter: Waiter) -> Any:
    """Sleep (engine lock NOT held) until `waiter` is served, times out, or the
    engine closes; return its reply."""
    manual = srv.clock is not system_clock
    while not waiter.done and not srv.closed:
        if waiter.deadline_ms is None:
            timeout = _POLL_S if manual else None
        else:
            remaining = (waiter.deadline_ms - srv.clock()) / 1000
            if remaining <= 0:
                break
            # (a deadline centuries away exceeds what a lock wait accepts: wait in steps)
            timeout = min(remaining, _POLL_S if manual else _MAX_WAIT_S)
        waiter.event.wait(timeout)
    with srv.lock:
        unregister(srv, waiter)
        if not waiter.done and srv.closed:
            raise e.ConnectionError("the engine was closed while the command was blocked")
    if waiter.error is not None:
        raise waiter.error
    return waiter.reply if waiter.done else waiter.timeout_reply


def fail_all(srv: Server) -> None:
    """Wake every blocked client (Engine.close)."""
    for line in list(srv.blocked.values()):
        for waiter in list(line):
            waiter.event.set()
