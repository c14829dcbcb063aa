"""Generic key commands (Redis's db.c, and DUMP/RESTORE/OBJECT from cluster.c and object.c)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine._native import NO_EXPIRE
from kvengine._native.pytable import LFU_INIT_VAL, estimate_idle_ms, lfu_decr, lru_clock
from kvengine.commands import DENYOOM, FAST, LOADING, READONLY, STALE, WRITE, Argv, Reply, command
from kvengine.db import Database, type_name
from kvengine.expire import mstime
from kvengine.reply import OK, Status
from kvengine.serialize import dump_payload, load_payload
from kvengine.util import LLONG_MAX, get_int, parse_int

if TYPE_CHECKING:
    from kvengine.client import Client

# -- glob matching ------------------------------------------------------------------------
_MAX_NESTING = 1000


def glob_match(pattern: bytes, string: bytes, nocase: bool = False) -> bool:
    """Redis's stringmatchlen: ``*``, ``?``, ``[abc]``, ``[^a]``, ``[a-z]``, ``\\x`` escapes.

    Not fnmatch: ``[^...]`` negates, ranges may be reversed, an unterminated ``[``
    matches literally up to the end of the pattern, and a backslash escapes anything.
    """
    if pattern == b"*":
        return True
    if nocase:
        pattern, string = pattern.lower(), string.lower()
    return _match(pattern, 0, string, 0, [False], 0)


def _match(p: bytes, pi: int, s: bytes, si: int, skip: list[bool], nesting: int) -> bool:
    if nesting > _MAX_NESTING:
        return False
    plen, slen = len(p), len(s)
    while pi < plen and si < slen:
        ch = p[pi]
        if ch == 42:  # '*'
            while pi + 1 < plen and p[pi + 1] == 42:
                pi += 1
            if pi + 1 == plen:
                return True
            while si < slen:
                if _match(p, pi + 1, s, si, skip, nesting + 1):
                    return True
                if skip[0]:
                    return False
                si += 1
            skip[0] = True
            return False
        if ch == 63:  # '?'
            si += 1
        elif ch == 91:  # '['
            pi += 1
            negate = pi < plen and p[pi] == 94  # '^'
            if negate:
                pi += 1
            matched = False
            c = s[si]
            while True:
                if pi < plen and p[pi] == 92 and plen - pi >= 2:  # '\\'
                    pi += 1
                    if p[pi] == c:
                        matched = True
                elif pi < plen and p[pi] == 93:  # ']'
                    break
                elif pi >= plen:
                    pi -= 1  # unterminated: the loop's final step lands on the end
                    break
                elif plen - pi >= 3 and p[pi + 1] == 45:  # 'a-z'
                    lo, hi = p[pi], p[pi + 2]
                    if lo > hi:
                        lo, hi = hi, lo
                    pi += 2
                    if lo <= c <= hi:
                        matched = True
                elif p[pi] == c:
                    matched = True
                pi += 1
            if negate:
                matched = not matched
            if not matched:
                return False
            si += 1
        else:
            if ch == 92 and plen - pi >= 2:  # '\\' escapes the next byte
                pi += 1
            if p[pi] != s[si]:
                return False
            si += 1
        pi += 1
        if si == slen:
            while pi < plen and p[pi] == 42:
                pi += 1
            break
    return pi == plen and si == slen


# -- existence and deletion -----------------------------------------------------------------
def _del_generic(c: Client, argv: Argv) -> int:
    """Implements DEL and UNLINK (UNLINK frees memory at once here: values are Python objects)."""
    delete = c.db.delete
    return sum(1 for key in argv[1:] if delete(key))


@command("DEL", -2, WRITE, keys=(1, -1, 1))
def del_command(c: Client, argv: Argv) -> Reply:
    """DEL key [key ...]"""
    return _del_generic(c, argv)


@command("UNLINK", -2, WRITE | FAST, keys=(1, -1, 1))
def unlink_command(c: Client, argv: Argv) -> Reply:
    """UNLINK key [key ...]"""
    return _del_generic(c, argv)


@command("EXISTS", -2, READONLY | FAST, keys=(1, -1, 1))
def exists_command(c: Client, argv: Argv) -> Reply:
    """EXISTS key [key ...]"""
    peek = c.db.peek
    return sum(1 for key in argv[1:] if peek(key) is not None)


@command("TOUCH", -2, READONLY | FAST, keys=(1, -1, 1))
def touch_command(c: Client, argv: Argv) -> Reply:
    """TOUCH key [key ...]"""
    lookup = c.db.lookup_read
    return sum(1 for key in argv[1:] if lookup(key) is not None)


@command("TYPE", 2, READONLY | FAST, keys=(1, 1, 1))
def type_command(c: Client, argv: Argv) -> Reply:
    """TYPE key"""
    value = c.db.peek(argv[1])
    return Status(b"none" if value is None else type_name(value).encode())


# -- iteration ------------------------------------------------------------------------------
@command("KEYS", 2, READONLY, keys=(0, 0, 0))
def keys_command(c: Client, argv: Argv) -> Reply:
    """KEYS pattern"""
    pattern = argv[1]
    db = c.db
    now = c.server.now
    table = db.table
    out = []
    for key in table.keys():
        if pattern == b"*" or glob_match(pattern, key):
            when = table.get_expire(key)
            if when != NO_EXPIRE and when <= now:
                db.peek(key)  # expire it through the normal path
                continue
            out.append(key)
    return out


def parse_cursor(arg: bytes) -> int:
    """Redis's parseScanCursorOrReply (strtoul: an optional sign, digits, wraps mod 2**64)."""
    text = arg
    neg = text[:1] == b"-"
    if text[:1] in (b"-", b"+"):
        text = text[1:]
    if not text.isdigit() or not text.isascii():
        raise e.err("invalid cursor")
    value = int(text)
    if value >= 1 << 64:
        raise e.err("invalid cursor")
    return (-value) % (1 << 64) if neg else value


_SCAN_COUNT_CAP = 1 << 32


def scan_options(argv: Argv, start: int, with_type: bool) -> tuple[int, bytes | None, bytes | None]:
    """COUNT/MATCH/TYPE of SCAN and the *SCAN family: (count, pattern, type)."""
    count, pattern, typename = 10, None, None
    i = start
    n = len(argv)
    while i < n:
        opt = argv[i].upper()
        more = n - i
        if opt == b"COUNT" and more >= 2:
            count = get_int(argv[i + 1])
            if count < 1:
                raise e.syntax()
            # No table or container holds 2**32 items, so a larger COUNT asks for
            # everything either way; the cap keeps it a machine-sized integer.
            count = min(count, _SCAN_COUNT_CAP)
        elif opt == b"MATCH" and more >= 2:
            pattern = None if argv[i + 1] == b"*" else argv[i + 1]
        elif opt == b"TYPE" and with_type and more >= 2:
            typename = argv[i + 1]
        else:
            raise e.syntax()
        i += 2
    return count, pattern, typename


@command("SCAN", -2, READONLY, keys=(0, 0, 0))
def scan_command(c: Client, argv: Argv) -> Reply:
    """SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]"""
    cursor = parse_cursor(argv[1])
    count, pattern, typename = scan_options(argv, 2, True)
    db = c.db
    cursor, keys = db.table.scan(cursor, count)
    out = []
    for key in keys:
        if pattern is not None and not glob_match(pattern, key):
            continue
        value = db.peek(key)
        if value is None:
            continue
        if typename is not None and type_name(value).encode() != typename.lower():
            continue
        out.append(key)
    return [b"%d" % cursor, out]


@command("RANDOMKEY", 1, READONLY, keys=(0, 0, 0))
def randomkey_command(c: Client, argv: Argv) -> Reply:
    """RANDOMKEY"""
    db = c.db
    table = db.table
    # Every key may have expired: bound the attempts like Redis (then give up on volatile ones).
    for _ in range(100 + len(table)):
        key = table.random_key()
        if key is None:
            return None
        if db.peek(key) is not None:
            return key
    return None


# -- renaming and copying -------------------------------------------------------------------
def _copy_value(value: Any) -> Any:
    return value if type(value) is bytes else value.copy()


def _rename_generic(c: Client, argv: Argv, nx: bool) -> Reply:
    """Implements RENAME and RENAMENX."""
    src, dst = argv[1], argv[2]
    db = c.db
    value = db.lookup_write(src)
    if value is None:
        raise e.err(e.NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    when = db.table.get_expire(src)
    field = db.table.get_field(src)
    if db.lookup_write(dst) is not None:
        if nx:
            return 0
    db.table.delete(src)
    db.table.set(dst, value, when, c.server.now)
    if field is not None:
        db.table.set_field(dst, field)
    db.modified(src)
    db.modified(dst)
    return 1 if nx else OK


@command("RENAME", 3, WRITE, keys=(1, 2, 1))
def rename_command(c: Client, argv: Argv) -> Reply:
    """RENAME key newkey"""
    return _rename_generic(c, argv, False)


@command("RENAMENX", 3, WRITE | FAST, keys=(1, 2, 1))
def renamenx_command(c: Client, argv: Argv) -> Reply:
    """RENAMENX key newkey"""
    return _rename_generic(c, argv, True)


def _get_db(c: Client, arg: bytes) -> Database:
    index = get_int(arg)
    if not -(1 << 31) <= index < (1 << 31):
        raise e.not_integer()
    if not 0 <= index < len(c.server.dbs):
        raise e.err(e.DB_INDEX)
    return c.server.dbs[index]


@command("COPY", -3, WRITE | DENYOOM, keys=(1, 2, 1))
def copy_command(c: Client, argv: Argv) -> Reply:
    """COPY source destination [DB destination-db] [REPLACE]"""
    src_db = dst_db = c.db
    replace = False
    j = 3
    while j < len(argv):
        opt = argv[j].upper()
        if opt == b"REPLACE":
            replace = True
        elif opt == b"DB" and j + 1 < len(argv):
            dst_db = _get_db(c, argv[j + 1])
            j += 1
        else:
            raise e.syntax()
        j += 1
    src, dst = argv[1], argv[2]
    if src_db is dst_db and src == dst:
        raise e.err(e.SAME_OBJECT)
    value = src_db.lookup_read(src)
    if value is None:
        return 0
    when = src_db.table.get_expire(src)
    if dst_db.lookup_write(dst) is not None:
        if not replace:
            return 0
        dst_db.table.delete(dst)
    dst_db.table.set(dst, _copy_value(value), when, c.server.now)
    dst_db.modified(dst)
    return 1


@command("MOVE", 3, WRITE | FAST, keys=(1, 1, 1))
def move_command(c: Client, argv: Argv) -> Reply:
    """MOVE key db"""
    key = argv[1]
    dst_db = _get_db(c, argv[2])
    src_db = c.db
    if dst_db is src_db:
        raise e.err(e.SAME_OBJECT)
    value = src_db.lookup_write(key)
    if value is None:
        return 0
    when = src_db.table.get_expire(key)
    if dst_db.lookup_write(key) is not None:
        return 0
    src_db.table.delete(key)
    dst_db.table.set(key, value, when, c.server.now)
    src_db.modified(key)
    dst_db.modified(key)
    return 1


# -- DUMP / RESTORE -----------------------------------------------------------------------------
@command("DUMP", 2, READONLY, keys=(1, 1, 1))
def dump_command(c: Client, argv: Argv) -> Reply:
    """DUMP key (kvengine's own payload format: msgpack + version + CRC-32)"""
    value = c.db.lookup_read(argv[1])
    return None if value is None else dump_payload(value)


@command("RESTORE", -4, WRITE | DENYOOM, keys=(1, 1, 1))
def restore_command(c: Client, argv: Argv) -> Reply:
    """RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"""
    key = argv[1]
    replace = absttl = False
    lfu_freq = lru_idle = -1
    j = 4
    while j < len(argv):
        opt = argv[j].upper()
        more = j + 1 < len(argv)
        if opt == b"REPLACE":
            replace = True
        elif opt == b"ABSTTL":
            absttl = True
        elif opt == b"IDLETIME" and more and lfu_freq == -1:
            lru_idle = get_int(argv[j + 1])
            if lru_idle < 0:
                raise e.err("Invalid IDLETIME value, must be >= 0")
            j += 1
        elif opt == b"FREQ" and more and lru_idle == -1:
            lfu_freq = get_int(argv[j + 1])
            if not 0 <= lfu_freq <= 255:
                raise e.err("Invalid FREQ value, must be >= 0 and <= 255")
            j += 1
        else:
            raise e.syntax()
        j += 1
    db = c.db
    if not replace and db.lookup_write(key) is not None:  # Redis: before the TTL is read
        raise e.error_from_line("BUSYKEY Target key name already exists.")
    ttl = parse_int(argv[2])
    if ttl is None:
        raise e.not_integer()
    if ttl < 0:
        raise e.err("Invalid TTL value, must be >= 0")
    try:
        value = load_payload(argv[3])
    except ValueError:
        raise e.err("DUMP payload version or checksum are wrong") from None
    now = mstime(c)
    if ttl and not absttl:
        if ttl > LLONG_MAX - now:
            raise e.err("Invalid TTL value, must be >= 0")
        ttl += now
    if ttl and ttl <= now and not c.server.loading:
        # Already expired: delete the old value if REPLACE, but do not create the key.
        if db.lookup_write(key) is not None:
            db.table.delete(key)
            db.modified(key)
            c.prop = [[b"DEL", key]]
        else:
            c.prop = []
            c.server.dirty += 1
        return OK
    db.table.delete(key)
    db.table.set(key, value, ttl if ttl else NO_EXPIRE, now)
    if lru_idle >= 0 and not c.server.lfu:
        db.table.set_field(key, lru_clock(now - lru_idle * 1000))
    elif lfu_freq >= 0 and c.server.lfu:
        db.table.set_field(key, (((now // 60000) & 65535) << 8) | lfu_freq)
    db.modified(key)
    return OK


# -- OBJECT ---------------------------------------------------------------------------------
_SHARED_INTEGERS = 10000
_OBJ_SHARED_REFCOUNT = 2147483647
_LRU_NOT_SELECTED = (
    "An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
)
_LFU_NOT_SELECTED = (
    "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
)


def string_encoding(value: bytes) -> str:
    """Redis's encoding of a string value: int, embstr (<= 44 bytes) or raw."""
    if len(value) <= 20 and parse_int(value) is not None:
        return "int"
    return "embstr" if len(value) <= 44 else "raw"


def encoding_of(value: Any) -> str:
    """OBJECT ENCODING of any value."""
    if type(value) is bytes:
        return string_encoding(value)
    return value.encoding()  # type: ignore[no-any-return]


@command("OBJECT|ENCODING", 3, READONLY, keys=(2, 2, 1))
def object_encoding_command(c: Client, argv: Argv) -> Reply:
    """OBJECT ENCODING key"""
    value = c.db.peek(argv[2])
    return None if value is None else encoding_of(value).encode()


@command("OBJECT|REFCOUNT", 3, READONLY, keys=(2, 2, 1))
def object_refcount_command(c: Client, argv: Argv) -> Reply:
    """OBJECT REFCOUNT key"""
    value = c.db.peek(argv[2])
    if value is None:
        return None
    if type(value) is bytes and not c.server.maxmemory:
        n = parse_int(value)
        if n is not None and 0 <= n < _SHARED_INTEGERS and string_encoding(value) == "int":
            return _OBJ_SHARED_REFCOUNT
    return 1


@command("OBJECT|IDLETIME", 3, READONLY, keys=(2, 2, 1))
def object_idletime_command(c: Client, argv: Argv) -> Reply:
    """OBJECT IDLETIME key"""
    db = c.db
    if db.peek(argv[2]) is None:
        return None
    if c.server.lfu:
        raise e.err(_LRU_NOT_SELECTED)
    field = db.table.get_field(argv[2])
    return estimate_idle_ms(field or 0, c.server.now) // 1000


@command("OBJECT|FREQ", 3, READONLY, keys=(2, 2, 1))
def object_freq_command(c: Client, argv: Argv) -> Reply:
    """OBJECT FREQ key"""
    db = c.db
    if db.peek(argv[2]) is None:
        return None
    if not c.server.lfu:
        raise e.err(_LFU_NOT_SELECTED)
    field = db.table.get_field(argv[2])
    return lfu_decr(LFU_INIT_VAL if field is None else field, c.server.now, c.server.lfu_decay_time)


@command("OBJECT|HELP", 2, LOADING | STALE)
def object_help_command(c: Client, argv: Argv) -> Reply:
    """OBJECT HELP"""
    return [
        Status(line.encode())
        for line in (
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
            "HELP",
            "    Prints this help.",
        )
    ]

