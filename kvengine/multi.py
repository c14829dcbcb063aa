"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's multi.c).

Each client view has its own queue and watched keys.  Queueing errors (unknown
command, wrong arity, OOM at queue time) flag the transaction and EXEC answers
EXECABORT; runtime errors inside EXEC are replies in the result array, with no
rollback.  EXEC runs the whole queue under the engine lock, so it is atomic with
respect to every other thread.  WATCH is optimistic locking: any write to a watched
key (including RENAME, EXPIRE, expiry, eviction, FLUSHDB of an existing key,
SWAPDB) marks the watcher dirty, and a watched key that was alive at WATCH and has
logically expired by EXEC aborts too (Redis 7.0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kvengine import exceptions as e
from kvengine.commands import (
    ALLOW_BUSY,
    DENYOOM,
    FAST,
    LOADING,
    NO_QUEUE,
    NOSCRIPT,
    SKIP_SLOWLOG,
    STALE,
    WRITE,
    Argv,
    Reply,
    command,
)
from kvengine.dispatch import execute
from kvengine.reply import OK

if TYPE_CHECKING:
    from kvengine.client import Client
    from kvengine.server import Server


def unwatch_all(c: Client) -> None:
    """Forget every key `c` watches (EXEC, DISCARD, UNWATCH do this)."""
    watched = c.server.watched
    for dk in c.watching:
        clients = watched.get(dk)
        if clients is not None:
            clients.discard(c)
            if not clients:
                del watched[dk]
    c.watching.clear()
    c.watch_dirty = False


def discard_transaction(c: Client) -> None:
    """Leave MULTI state and unwatch (Redis's discardTransaction)."""
    c.multi = None
    c.multi_error = False
    unwatch_all(c)


def watched_key_expired(c: Client) -> bool:
    """True if a key alive at WATCH time has logically expired since (aborts EXEC).

    The lookup removes the dead key, which marks every watcher dirty.
    """
    dbs = c.server.dbs
    for db_id, key in list(c.watching):
        dbs[db_id].peek(key)
    return c.watch_dirty


def wrap_effects(srv: Server, start: int) -> None:
    """Wrap what one EXEC or script propagated in MULTI/EXEC when it is more than one
    operation (Redis 7's propagatePendingCommands), so a log replays it atomically."""
    ops = srv.pending_ops
    if len(ops) - start > 1:
        db_id = ops[start][0]
        ops.insert(start, (db_id, [b"MULTI"]))
        ops.append((ops[-1][0], [b"EXEC"]))


def exec_abort(c: Client, exc: BaseException) -> e.RedisError:
    """EXEC refused before it ran (wrong arity, OOM): the transaction is discarded and
    the reason given as Redis's execCommandAbort words it."""
    if c.multi is not None:
        discard_transaction(c)
    reason = e.error_line(exc)
    if reason.startswith("ERR "):
        reason = reason[4:]
    return e.error_from_line(f"EXECABORT Transaction discarded because of: {reason}")


@command("MULTI", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | NO_QUEUE)
def multi_command(c: Client, argv: Argv) -> Reply:
    """MULTI"""
    if c.multi is not None:
        raise e.err("MULTI calls can not be nested")
    c.multi = []
    c.multi_error = False
    return OK


@command("DISCARD", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | NO_QUEUE)
def discard_command(c: Client, argv: Argv) -> Reply:
    """DISCARD"""
    if c.multi is None:
        raise e.err("DISCARD without MULTI")
    discard_transaction(c)
    return OK


@command("EXEC", 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG | NO_QUEUE)
def exec_command(c: Client, argv: Argv) -> Reply:
    """EXEC: run the queue atomically; None (null array) if a watched key changed."""
    if c.multi is None:
        raise e.err("EXEC without MULTI")
    queue = c.multi
    if c.multi_error:
        discard_transaction(c)
        raise e.error_from_line("EXECABORT Transaction discarded because of previous errors.")
    if c.watching and watched_key_expired(c):
        discard_transaction(c)
        return None
    srv = c.server
    # Persistence failing (MISCONF): a transaction with writes is refused as a whole.
    if srv.write_denied is not None and any(cmd.flags & WRITE for cmd, _ in queue):
        raise exec_abort(c, e.error_from_line(srv.write_denied))
    # The OOM gate for the transaction as a whole (Redis checks EXEC as denyoom when
    # any queued command is): refused before anything runs.
    if srv.maxmemory and any(cmd.flags & DENYOOM for cmd, _ in queue):
        try:
            srv.free_memory_or_oom()
        except e.RedisError as exc:
            raise exec_abort(c, exc) from None
    c.multi = None
    c.multi_error = False
    unwatch_all(c)
    replies: list[Reply] = []
    start = len(srv.pending_ops)
    c.in_exec = True
    try:
        for cmd, args in queue:
            try:
                replies.append(execute(c, cmd, args, gate=False))
            except e.ResponseError as exc:
                replies.append(exc)
    finally:
        c.in_exec = False
    if srv.feeding:
        wrap_effects(srv, start)
    return replies


@command("WATCH", -2, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY | NO_QUEUE, keys=(1, -1, 1))
def watch_command(c: Client, argv: Argv) -> Reply:
    """WATCH key [key ...]"""
    if c.multi is not None:
        raise e.err("WATCH inside MULTI is not allowed")
    srv = c.server
    for key in argv[1:]:
        dk = (c.db.id, key)
        if dk in c.watching:
            continue
        c.db.peek(key)  # an already-dead key goes now, before we watch it
        c.watching.add(dk)
        srv.watched.setdefault(dk, set()).add(c)
    return OK


@command("UNWATCH", 1, NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY)
def unwatch_command(c: Client, argv: Argv) -> Reply:
    """UNWATCH"""
    unwatch_all(c)
    return OK
