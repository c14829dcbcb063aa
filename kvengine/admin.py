"""Server commands: PING, ECHO, TIME, DBSIZE, SELECT, SWAPDB, FLUSHDB, FLUSHALL, COMMAND."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from kvengine import exceptions as e
from kvengine import keyspecs
from kvengine.commands import (
    FAST,
    LOADING,
    MOVABLEKEYS,
    NO_MANDATORY_KEYS,
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
from kvengine.keys import glob_match
from kvengine.reply import OK, PONG, Status
from kvengine.util import get_int, parse_int

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
def _keyspec_reply(spec: keyspecs.Spec) -> list[object]:
    """One key spec as COMMAND INFO prints it (RESP2 maps as flat lists)."""
    flags, begin, find, extra = spec
    out: list[object] = []
    for name, value in extra.items():
        out += [name.encode(), value.encode()]
    out += [b"flags", [Status(f.encode()) for f in flags]]
    if begin[0] == "index":
        bs: list[object] = [b"index", begin[1]]
    elif begin[0] == "keyword":
        bs = [b"keyword", begin[1].encode(), b"startfrom", begin[2]]
    else:
        bs = []
    out += [b"begin_search", [b"type", begin[0].encode(), b"spec", bs]]
    if find[0] == "range":
        fk: list[object] = [b"lastkey", find[1], b"keystep", find[2], b"limit", find[3]]
    elif find[0] == "keynum":
        fk = [b"keynumidx", find[1], b"firstkey", find[2], b"keystep", find[3]]
    else:
        fk = []
    out += [b"find_keys", [b"type", find[0].encode(), b"spec", fk]]
    return out


# COMMAND INFO lists flags in this order (Redis's addReplyCommandFlags table).
_FLAG_ORDER = ("write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking", "loading",
               "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth", "may_replicate",
               "no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys", "allow_busy")


def _ordered_flags(cmd: Command) -> list[str]:
    names = cmd.flag_names
    return sorted(names, key=lambda f: _FLAG_ORDER.index(f) if f in _FLAG_ORDER else len(_FLAG_ORDER))


def command_info(cmd: Command) -> list[object]:
    """One COMMAND INFO entry (name, arity, flags, first, last, step, ACL categories,
    tips, key specs, subcommands)."""
    acl, tips, specs = keyspecs.COMMAND_DOCS.get(cmd.name, ((), (), ()))
    return [
        cmd.name.encode(),
        cmd.arity,
        [Status(f.encode()) for f in _ordered_flags(cmd)],
        cmd.first_key,
        cmd.last_key,
        cmd.step,
        [Status(a.encode()) for a in acl],
        [t.encode() for t in tips],
        [_keyspec_reply(s) for s in specs],
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


# Redis 7.0's ACL categories (ACLCommandCategories), the names FILTERBY ACLCAT accepts.
ACL_CATEGORIES = frozenset((
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
    "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
    "transaction", "scripting",
))


@command("COMMAND|LIST", -2, LOADING | STALE)
def command_list_command(c: Client, argv: Argv) -> Reply:
    """COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]

    Redis's commandListCommand: every command and subcommand (`config|get`); a filter
    keeps the matching ones. No module commands exist in-process, and an unknown ACL
    category matches nothing, as in Redis.
    """
    keep: Callable[[Command], bool] = lambda cmd: True  # noqa: E731
    i = 2
    while i < len(argv):
        if argv[i].lower() == b"filterby" and len(argv) - 1 - i == 2:
            kind, arg = argv[i + 1].lower(), argv[i + 2]
            if kind == b"module":
                keep = lambda cmd: False  # noqa: E731
            elif kind == b"aclcat":
                cat = arg.decode("latin-1").lower()
                valid = cat in ACL_CATEGORIES

                def keep(cmd: Command, cat: str = "@" + cat, valid: bool = valid) -> bool:
                    return valid and cat in keyspecs.COMMAND_DOCS.get(cmd.name, ((),))[0]
            elif kind == b"pattern":
                keep = lambda cmd, p=arg: glob_match(p, cmd.name.encode(), nocase=True)  # noqa: E731
            else:
                raise e.syntax()
            i += 3
        else:
            raise e.syntax()
    return [cmd.name.encode() for cmd in all_commands() if keep(cmd)]


@command("COMMAND|INFO", -2, LOADING | STALE)
def command_info_command(c: Client, argv: Argv) -> Reply:
    """COMMAND INFO [command-name ...]"""
    names = argv[2:] or list(COMMAND_TABLE)
    out: list[object] = []
    for name in names:
        cmd = COMMAND_TABLE.get(name.lower())
        out.append(None if cmd is None else command_info(cmd))
    return out


# Key flags as GETKEYSANDFLAGS prints them (Redis's addReplyFlagsForKeyArgs order).
KeyRef = tuple[int, tuple[str, ...]]


def _keys_by_specs(specs: tuple[keyspecs.Spec, ...], argv: Argv, arity: int) -> list[KeyRef] | None:
    """Redis's getKeysUsingKeySpecs: (position, flags) of every key; None when a spec
    cannot tell (unknown, incomplete, or an argument it needs is missing or bad)."""
    out: list[KeyRef] = []
    argc = len(argv)
    for flags, begin, find, _ in specs:
        if "not_key" in flags:
            continue
        first = 0
        if begin[0] == "index":
            first = begin[1]
        elif begin[0] == "keyword":
            word, startfrom = begin[1].encode().lower(), begin[2]
            start = startfrom if startfrom > 0 else argc + startfrom
            end = argc - 1 if startfrom > 0 else 1
            i = start
            while i != end:
                if i >= argc or i < 1:
                    break
                if argv[i].lower() == word:
                    first = i + 1
                    break
                i = i + 1 if start <= end else i - 1
            if not first:
                continue
        else:
            return None
        if find[0] == "range":
            _, lastkey, step, limit = find
            if lastkey >= 0:
                last = first + lastkey
            elif not limit:
                last = argc + lastkey
            else:
                last = first + ((argc - first) // limit + lastkey)
        elif find[0] == "keynum":
            _, keynumidx, firstkey, step = find
            if keynumidx >= argc or first + keynumidx >= argc:
                return None
            text = argv[first + keynumidx]
            numkeys = parse_int(text) if re.fullmatch(rb"-?[1-9][0-9]*|0", text) else None
            if numkeys is None or numkeys < 0:
                return None
            first += firstkey
            last = first + numkeys - 1
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return None
        for i in range(first, last + 1, step):
            if i >= argc and arity < 0:
                continue
            out.append((i, flags))
        if "incomplete" in flags:
            return None
    return out


def _sort_keys(argv: Argv, readonly: bool) -> list[KeyRef]:
    """sortGetKeys / sortROGetKeys: the sorted key and the last STORE target."""
    out: list[KeyRef] = [(1, ("RO", "access"))]
    if readonly:
        return out
    skip = {b"limit": 2, b"get": 1, b"by": 1}
    store = None
    i = 2
    while i < len(argv):
        word = argv[i].lower()
        if word in skip:
            i += skip[word]
        elif word == b"store" and i + 1 < len(argv):
            store = i + 1
        i += 1
    if store is not None:
        out.append((store, ("OW", "update")))
    return out


def _set_keys(argv: Argv) -> list[KeyRef]:
    """setGetKeys: SET's key is RW when GET is given, else OW."""
    if any(a.lower() == b"get" for a in argv[3:]):
        return [(1, ("RW", "access", "update"))]
    return [(1, ("OW", "update"))]


# Redis's getkeys_proc, for the commands whose key specs cannot say it all.
KEY_FINDERS: dict[str, Callable[[Argv], list[KeyRef]]] = {
    "sort": lambda argv: _sort_keys(argv, False),
    "sort_ro": lambda argv: _sort_keys(argv, True),
    "set": _set_keys,
}


def get_keys(cmd: Command, argv: Argv) -> list[KeyRef] | None:
    """getKeysFromCommandWithSpecs: the keys of a call to `cmd` (argv[0] is its name,
    or the container and subcommand names); None when its arguments are invalid."""
    _, _, specs = keyspecs.COMMAND_DOCS.get(cmd.name, ((), (), ()))
    has_keys = any("not_key" not in s[0] for s in specs)
    varflags = any("variable_flags" in s[0] for s in specs)
    if has_keys and not varflags:
        found = _keys_by_specs(specs, argv, cmd.arity)
        if found is not None:
            return found
    finder = KEY_FINDERS.get(cmd.name)
    if finder is not None:
        return finder(argv)
    return None


def _getkeys(c: Client, argv: Argv, with_flags: bool) -> Reply:
    call = argv[2:]
    cmd = COMMAND_TABLE.get(call[0].lower())
    if cmd is not None and cmd.subcommands:
        sub = cmd.subcommands.get(call[1].lower()) if len(call) > 1 else None
        cmd = sub
    if cmd is None:
        raise e.err("Invalid command specified")
    _, _, specs = keyspecs.COMMAND_DOCS.get(cmd.name, ((), (), ()))
    if not (cmd.name in KEY_FINDERS or cmd.flags & MOVABLEKEYS or any("not_key" not in s[0] for s in specs)):
        raise e.err("The command has no key arguments")
    if not cmd.check_arity(len(call)):
        raise e.err("Invalid number of arguments specified for command")
    keys = get_keys(cmd, call)
    if keys is None or not keys:
        if cmd.flags & NO_MANDATORY_KEYS:
            return []
        # No key found is an error too (XREAD without STREAMS), as Redis's commandGetKeys.
        raise e.err("Invalid arguments specified for command")
    if with_flags:
        return [[call[pos], [Status(f.encode()) for f in flags]] for pos, flags in keys]
    return [call[pos] for pos, _ in keys]


@command("COMMAND|GETKEYS", -4, LOADING | STALE)
def command_getkeys_command(c: Client, argv: Argv) -> Reply:
    """COMMAND GETKEYS command [arg ...]: the key arguments, from the key specs"""
    return _getkeys(c, argv, False)


@command("COMMAND|GETKEYSANDFLAGS", -4, LOADING | STALE)
def command_getkeysandflags_command(c: Client, argv: Argv) -> Reply:
    """COMMAND GETKEYSANDFLAGS command [arg ...]: keys and their key-spec flags"""
    return _getkeys(c, argv, True)


# DEBUG lives in its own module; importing it here registers it with the server commands.
from kvengine import debug as _debug  # noqa: E402, F401
