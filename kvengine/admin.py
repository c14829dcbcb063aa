"""Server commands: PING, ECHO, TIME, DBSIZE, SELECT, SWAPDB, FLUSHDB, FLUSHALL, COMMAND."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kvengine import exceptions as e
from kvengine.commands import (
    FAST,
    LOADING,
    READONLY,
    STALE,
    WRITE,
    Argv,
    Command,
    Reply,
    all_commands,
    command,
)
from kvengine.commands import TABLE as COMMAND_TABLE
from kvengine.reply import OK, PONG, Status
from kvengine.util import get_int

if TYPE_CHECKING:
    from kvengine.client import Client


@command("PING", -1, FAST)
def ping_command(c: Client, argv: Argv) -> Reply:
    """PING [message]"""
    if len(argv) > 2:
        raise e.wrong_args("ping")
    return PONG if len(argv) == 1 else argv[1]


@command("ECHO", 2, LOADING | STALE | FAST)
def echo_command(c: Client, argv: Argv) -> Reply:
    """ECHO message"""
    return argv[1]


@command("TIME", 1, LOADING | STALE | FAST)
def time_command(c: Client, argv: Argv) -> Reply:
    """TIME (the engine clock: a ManualClock moves it)"""
    now = c.server.clock()
    return [b"%d" % (now // 1000), b"%d" % (now % 1000 * 1000)]


@command("DBSIZE", 1, READONLY | FAST)
def dbsize_command(c: Client, argv: Argv) -> Reply:
    """DBSIZE"""
    return len(c.db.table)


def _db_index(arg: bytes, message: str = e.NOT_INTEGER) -> int:
    index = get_int(arg, message)
    if not -(1 << 31) <= index < (1 << 31):
        raise e.err(message)
    return index


@command("SELECT", 2, LOADING | STALE | FAST)
def select_command(c: Client, argv: Argv) -> Reply:
    """SELECT index"""
    index = _db_index(argv[1])
    if not 0 <= index < len(c.server.dbs):
        raise e.err(e.DB_INDEX)
    c.db = c.server.dbs[index]
    return OK


@command("SWAPDB", 3, WRITE | FAST)
def swapdb_command(c: Client, argv: Argv) -> Reply:
    """SWAPDB index1 index2"""
    first = _db_index(argv[1], "invalid first DB index")
    second = _db_index(argv[2], "invalid second DB index")
    dbs = c.server.dbs
    if not (0 <= first < len(dbs) and 0 <= second < len(dbs)):
        raise e.err(e.DB_INDEX)
    a, b = dbs[first], dbs[second]
    # Watched keys of both databases are touched: their contents change under them.
    # (Redis's touchAllWatchedKeysInDb: a watched key that exists in either one.)
    srv = c.server
    if srv.watched:
        now = srv.now
        for db_id, key in list(srv.watched):
            if db_id in (first, second) and (
                a.table.lookup(key, now, False) is not None or b.table.lookup(key, now, False) is not None
            ):
                srv.touch_watched(db_id, key)
        for db in (a, b):
            if db.table.expired:
                db.drain_expired()
    # Swap contents, not Database objects, so every client keeps its db number.
    a.table, b.table = b.table, a.table
    c.server.dirty += 1
    return OK


def _flush_flags(argv: Argv) -> None:
    if len(argv) > 2:
        raise e.syntax()
    if len(argv) == 2 and argv[1].upper() not in (b"ASYNC", b"SYNC"):
        raise e.syntax()


@command("FLUSHDB", -1, WRITE)
def flushdb_command(c: Client, argv: Argv) -> Reply:
    """FLUSHDB [ASYNC|SYNC]"""
    _flush_flags(argv)
    c.db.clear()
    c.server.dirty += 1
    return OK


@command("FLUSHALL", -1, WRITE)
def flushall_command(c: Client, argv: Argv) -> Reply:
    """FLUSHALL [ASYNC|SYNC]"""
    _flush_flags(argv)
    for db in c.server.dbs:
        db.clear()
    c.server.dirty += 1
    return OK


# -- COMMAND ------------------------------------------------------------------------------
def command_info(cmd: Command) -> list[object]:
    """One COMMAND INFO entry (name, arity, flags, first, last, step, ...)."""
    return [
        cmd.name.encode(),
        cmd.arity,
        [Status(f.encode()) for f in cmd.flag_names],
        cmd.first_key,
        cmd.last_key,
        cmd.step,
        [],
        [],
        [],
        [command_info(sub) for sub in cmd.subcommands.values()],
    ]


@command("COMMAND", -1, LOADING | STALE)
def command_command(c: Client, argv: Argv) -> Reply:
    """COMMAND"""
    return [command_info(cmd) for cmd in COMMAND_TABLE.values()]


@command("COMMAND|COUNT", 2, LOADING | STALE)
def command_count_command(c: Client, argv: Argv) -> Reply:
    """COMMAND COUNT"""
    return len(COMMAND_TABLE)


@command("COMMAND|LIST", -2, LOADING | STALE)
def command_list_command(c: Client, argv: Argv) -> Reply:
    """COMMAND LIST"""
    return [cmd.name.encode() for cmd in all_commands() if "|" not in cmd.name]


@command("COMMAND|INFO", -2, LOADING | STALE)
def command_info_command(c: Client, argv: Argv) -> Reply:
    """COMMAND INFO [command-name ...]"""
    names = argv[2:] or list(COMMAND_TABLE)
    out: list[object] = []
    for name in names:
        cmd = COMMAND_TABLE.get(name.lower())
        out.append(None if cmd is None else command_info(cmd))
    return out

