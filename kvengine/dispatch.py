"""call(): the one execution path every caller goes through.

Engine methods, pipelines and MULTI/EXEC, Lua's ``redis.call``, log replay and the
redis-py adapter all end here.  Dispatch resolves the command in the table, checks
arity, queues inside MULTI, applies the OOM gate, runs the handler, and, when the
handler changed the data set (the dirty counter moved), hands the command's log form
to the persistence feed.  Handlers never write to the log themselves (Redis's
``server.c:call``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kvengine import exceptions as e
from kvengine.commands import DENYOOM, MAY_REPLICATE, NO_QUEUE, TABLE, WRITE, Argv, Command, Reply
from kvengine.evict import oom_error, perform_evictions

if TYPE_CHECKING:
    from kvengine.client import Client


def _c_string(arg: bytes, limit: int = 128) -> bytes:
    """What Redis's ``%.*s`` prints of an argument: up to its first NUL, at most
    `limit` bytes."""
    return arg.split(b"\0", 1)[0][:limit]


def _error_text(raw: bytes) -> str:
    """An error built from arguments as Redis's addReplyErrorFormat sends it: CR and
    LF become spaces (so the reply stays one protocol line)."""
    return raw.replace(b"\r", b" ").replace(b"\n", b" ").decode("utf-8", "replace")


def unknown_command(argv: Argv) -> e.RedisError:
    """Redis 7's text: the name and the first arguments, up to 128 bytes."""
    args = b""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += b"'" + _c_string(arg, 128 - len(args)) + b"' "
    return e.err(
        _error_text(b"unknown command '" + _c_string(argv[0]) + b"', with args beginning with: " + args)
    )


def unknown_subcommand(argv: Argv) -> e.RedisError:
    """``unknown subcommand '<sub>'. Try <CMD> HELP.`` (the subcommand as Redis's %.128s)."""
    return e.err(
        _error_text(b"unknown subcommand '" + _c_string(argv[1]) + b"'. Try " + argv[0].upper() + b" HELP.")
    )


def resolve(argv: Argv) -> Command:
    """The Command for `argv` (subcommand included), arity checked; raises the
    error Redis gives for an unknown command or subcommand or a wrong arity.
    """
    if not argv:
        raise e.err("empty command")
    cmd = TABLE.get(argv[0].lower())
    if cmd is None:
        raise unknown_command(argv)
    if cmd.subcommands and (len(argv) >= 2 or cmd.handler is None):
        if len(argv) < 2:
            raise e.wrong_args(cmd.name)
        sub = cmd.subcommands.get(argv[1].lower())
        if sub is None:
            raise unknown_subcommand(argv)
        cmd = sub
    if not cmd.check_arity(len(argv)):
        raise e.wrong_args(cmd.name)
    return cmd


def call(c: Client, argv: Argv) -> Reply:
    """Run `argv` for client `c`: resolve, queue in MULTI, or execute.

    The engine lock must be held and ``server.now`` set (see ``Client._call``).
    """
    try:
        cmd = resolve(argv)
    except e.ResponseError:
        if c.multi is not None:
            c.multi_error = True  # EXEC will answer EXECABORT (Redis's flagTransaction)
        raise
    if c.multi is not None and not cmd.flags & NO_QUEUE:
        return c.queue(cmd, argv)
    return execute(c, cmd, argv)


def execute(c: Client, cmd: Command, argv: Argv, gate: bool = True) -> Reply:
    """Run an already resolved command: OOM gate, handler, propagation.

    `gate` False skips the OOM gate (commands inside EXEC: Redis checks the
    transaction as a whole, see kvengine.multi)."""
    srv = c.server
    if srv.write_denied is not None and (cmd.flags & WRITE or cmd.name == "ping"):
        # Persistence is failing (MISCONF): Redis refuses writes, and PING, until it recovers.
        raise e.error_from_line(srv.write_denied)
    if gate and srv.maxmemory and cmd.flags & DENYOOM and (srv.evict_pending or srv.mem.total() > srv.maxmemory) \
            and not perform_evictions(srv):
        raise oom_error()  # (Server.free_memory_or_oom, inlined: one comparison while under the limit)
    dirty = srv.dirty
    c.prop = None
    cmd.calls += 1
    reply = cmd.handler(c, argv)  # type: ignore[misc]
    if srv.dirty == dirty:
        return reply
    if not cmd.flags & WRITE:
        # EXEC (no-queue) and EVAL/FCALL (which set c.prop = []) change data only through
        # the commands they run, which propagated themselves.  Any other command the table
        # does not call a write must never change data: the table drives MULTI,
        # scripts' no-writes mode and the OOM gate, so a wrong flag is a bug.
        assert cmd.flags & (NO_QUEUE | MAY_REPLICATE) or c.prop == [], (
            f"{cmd.name} changed data without the write flag"
        )
        return reply
    if srv.feeding:
        # SELECT is not a write, so c.db is still the database the command ran in.
        prop = c.prop
        if prop is None:
            srv.propagate(c.db.id, argv)
        else:
            for op in prop:
                srv.propagate(c.db.id, op)
    return reply
