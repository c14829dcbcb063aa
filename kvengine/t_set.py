"""Set commands (Redis's t_set.c)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine.commands import DENYOOM, FAST, MOVABLEKEYS, READONLY, WRITE, Argv, Reply, command
from kvengine.containers import ScanOrder, sample_distinct, sample_with_repetition
from kvengine.keys import glob_match, parse_cursor, scan_options
from kvengine.serialize import register_type
from kvengine.util import LLONG_MAX, check_reply_items, get_int, get_positive_long, get_range_long, parse_int

if TYPE_CHECKING:
    from kvengine.client import Client

# Redis 7.0: sets of integers stay intsets up to set-max-intset-entries; 7.0 has no
# set listpack (7.2 added one), so anything else is a hashtable.
SET_MAX_INTSET_ENTRIES = 512
# Size model (bytes), calibrated against CPython's RSS growth: the Set object and its
# set table, and per member a bytes object and a table slot (+ its length).
SET_BASE_BYTES = 500
SET_ENTRY_BYTES = 73


@register_type
class Set:
    """A Redis set of bytes members.  O(1) membership; ``intset`` is Redis's
    compact-encoding flag (one-way); ``mem`` follows the size model incrementally."""

    redis_type = "set"
    __slots__ = ("s", "intset", "mem", "acct", "version", "_scan")

    def __init__(self) -> None:
        self.s: set[bytes] = set()
        self.intset = True
        self.mem = SET_BASE_BYTES
        self.version = 0
        self._scan: ScanOrder | None = None

    def __len__(self) -> int:
        return len(self.s)

    def add(self, member: bytes) -> bool:
        """Add a member; True if it is new."""
        s = self.s
        if member in s:
            return False
        s.add(member)
        self.version += 1
        self.mem += SET_ENTRY_BYTES + len(member)
        if self.intset and (len(s) > SET_MAX_INTSET_ENTRIES or parse_int(member) is None):
            self.intset = False
        return True

    def remove(self, member: bytes) -> bool:
        """Remove a member; True if it was there."""
        if member not in self.s:
            return False
        self.s.discard(member)
        self.version += 1
        self.mem -= SET_ENTRY_BYTES + len(member)
        return True

    def encoding(self) -> str:
        """OBJECT ENCODING."""
        return "intset" if self.intset else "hashtable"

    def copy(self) -> Set:
        """An independent copy (COPY)."""
        new = Set()
        new.s = set(self.s)
        new.intset, new.mem = self.intset, self.mem
        return new

    def dump_state(self) -> Any:
        """[intset flag, members] for msgpack."""
        return [self.intset, list(self.s)]

    @classmethod
    def load_state(cls, state: Any) -> Set:
        """Inverse of dump_state."""
        intset, members = state
        new = cls.of(bytes(m) for m in members)
        new.intset = new.intset and bool(intset)
        return new

    @classmethod
    def of(cls, members: Any) -> Set:
        """A new set holding `members`."""
        new = cls()
        for m in members:
            new.add(m)
        return new

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        """SSCAN step (the whole set at once while intset-encoded, as Redis)."""
        if self.intset:
            return 0, sorted(self.s, key=int)
        if self._scan is None:
            self._scan = ScanOrder()
        return self._scan.scan(self.s, self.version, cursor, count)


def _get_set(c: Client, key: bytes, write: bool = False) -> Set | None:
    return c.db.get_typed(key, Set, write)  # type: ignore[no-any-return]


@command("SADD", -3, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def sadd_command(c: Client, argv: Argv) -> Reply:
    """SADD key member [member ...]"""
    key = argv[1]
    s = _get_set(c, key, True)
    if s is None:
        s = Set()
        c.db.table.set(key, s, -1, c.server.now)
    added = sum(1 for m in argv[2:] if s.add(m))
    if added:
        c.db.modified(key, s)
    return added


@command("SREM", -3, WRITE | FAST, keys=(1, 1, 1))
def srem_command(c: Client, argv: Argv) -> Reply:
    """SREM key member [member ...]"""
    key = argv[1]
    s = _get_set(c, key, True)
    if s is None:
        return 0
    removed = sum(1 for m in argv[2:] if s.remove(m))
    if removed:
        c.db.modified(key, s)
    return removed


@command("SISMEMBER", 3, READONLY | FAST, keys=(1, 1, 1))
def sismember_command(c: Client, argv: Argv) -> Reply:
    """SISMEMBER key member"""
    s = _get_set(c, argv[1])
    return int(s is not None and argv[2] in s.s)


@command("SMISMEMBER", -3, READONLY | FAST, keys=(1, 1, 1))
def smismember_command(c: Client, argv: Argv) -> Reply:
    """SMISMEMBER key member [member ...]"""
    s = _get_set(c, argv[1])
    members = s.s if s is not None else set()
    return [int(m in members) for m in argv[2:]]


@command("SMEMBERS", 2, READONLY, keys=(1, 1, 1))
def smembers_command(c: Client, argv: Argv) -> Reply:
    """SMEMBERS key"""
    s = _get_set(c, argv[1])
    return [] if s is None else list(s.s)


@command("SCARD", 2, READONLY | FAST, keys=(1, 1, 1))
def scard_command(c: Client, argv: Argv) -> Reply:
    """SCARD key"""
    s = _get_set(c, argv[1])
    return 0 if s is None else len(s.s)


@command("SPOP", -2, WRITE | FAST, keys=(1, 1, 1))
def spop_command(c: Client, argv: Argv) -> Reply:
    """SPOP key [count]"""
    key = argv[1]
    if len(argv) > 3:
        raise e.syntax()
    count = None
    if len(argv) == 3:
        count = get_positive_long(argv[2])
    s = _get_set(c, key, True)
    if s is None:
        return None if count is None else []
    if count == 0:
        return []
    chosen = sample_distinct(list(s.s), 1 if count is None else count)
    for m in chosen:
        s.remove(m)
    c.db.modified(key, s)
    # Log what happened: the members that went, not a random choice to replay.
    c.prop = [[b"SREM", key, *chosen]] if len(s) else [[b"DEL", key]]
    return chosen[0] if count is None else chosen


@command("SRANDMEMBER", -2, READONLY, keys=(1, 1, 1))
def srandmember_command(c: Client, argv: Argv) -> Reply:
    """SRANDMEMBER key [count]"""
    if len(argv) > 3:
        raise e.syntax()
    if len(argv) == 3:
        count = get_range_long(argv[2], -LLONG_MAX, LLONG_MAX)  # before the lookup, as Redis
        s = _get_set(c, argv[1])
        if s is None or count == 0:
            return []
        members = list(s.s)
        if count > 0:
            return sample_distinct(members, count)
        check_reply_items(-count)
        return sample_with_repetition(members, -count)
    s = _get_set(c, argv[1])
    return None if s is None else sample_distinct(list(s.s), 1)[0]


@command("SMOVE", 4, WRITE | FAST, keys=(1, 2, 1))
def smove_command(c: Client, argv: Argv) -> Reply:
    """SMOVE source destination member"""
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    src = c.db.lookup_write(src_key)
    dst = c.db.lookup_write(dst_key)
    if src is None:  # Redis answers 0 before looking at either type
        return 0
    if type(src) is not Set or (dst is not None and type(dst) is not Set):
        raise e.wrongtype()
    if src is dst:
        return int(member in src.s)
    if not src.remove(member):
        return 0
    c.db.modified(src_key, src)
    if dst is None:
        dst = Set()
        c.db.table.set(dst_key, dst, -1, c.server.now)
    if dst.add(member):  # a member the destination already holds leaves it untouched (no WATCH signal)
        c.db.modified(dst_key, dst)
    return 1


def _operands(c: Client, keys: Argv) -> list[set[bytes] | None]:
    """The sets at `keys` (None for missing keys); WRONGTYPE for any other type."""
    out: list[set[bytes] | None] = []
    for key in keys:
        s = c.db.get_typed(key, Set, False)
        out.append(None if s is None else s.s)
    return out


def _inter(sets: list[set[bytes] | None]) -> set[bytes]:
    if any(s is None for s in sets):
        return set()
    ordered = sorted(sets, key=len)  # type: ignore[arg-type]
    result = set(ordered[0])  # type: ignore[arg-type]
    for other in ordered[1:]:
        result &= other  # type: ignore[operator]
    return result


def _union(sets: list[set[bytes] | None]) -> set[bytes]:
    result: set[bytes] = set()
    for s in sets:
        if s:
            result |= s
    return result


def _diff(sets: list[set[bytes] | None]) -> set[bytes]:
    if sets[0] is None:
        return set()
    result = set(sets[0])
    for s in sets[1:]:
        if s:
            result -= s
    return result


def _store(c: Client, dest: bytes, members: set[bytes]) -> int:
    """Write a *STORE result: replaces dest whatever its type; deleted when empty."""
    db = c.db
    if members:
        db.table.delete(dest)
        db.set(dest, Set.of(members))
    else:
        db.delete(dest)
        c.server.dirty += 1
    return len(members)


@command("SINTER", -2, READONLY, keys=(1, -1, 1))
def sinter_command(c: Client, argv: Argv) -> Reply:
    """SINTER key [key ...]"""
    return list(_inter(_operands(c, argv[1:])))


@command("SUNION", -2, READONLY, keys=(1, -1, 1))
def sunion_command(c: Client, argv: Argv) -> Reply:
    """SUNION key [key ...]"""
    return list(_union(_operands(c, argv[1:])))


@command("SDIFF", -2, READONLY, keys=(1, -1, 1))
def sdiff_command(c: Client, argv: Argv) -> Reply:
    """SDIFF key [key ...]"""
    return list(_diff(_operands(c, argv[1:])))


@command("SINTERSTORE", -3, WRITE | DENYOOM, keys=(1, -1, 1))
def sinterstore_command(c: Client, argv: Argv) -> Reply:
    """SINTERSTORE destination key [key ...]"""
    return _store(c, argv[1], _inter(_operands(c, argv[2:])))


@command("SUNIONSTORE", -3, WRITE | DENYOOM, keys=(1, -1, 1))
def sunionstore_command(c: Client, argv: Argv) -> Reply:
    """SUNIONSTORE destination key [key ...]"""
    return _store(c, argv[1], _union(_operands(c, argv[2:])))


@command("SDIFFSTORE", -3, WRITE | DENYOOM, keys=(1, -1, 1))
def sdiffstore_command(c: Client, argv: Argv) -> Reply:
    """SDIFFSTORE destination key [key ...]"""
    return _store(c, argv[1], _diff(_operands(c, argv[2:])))


@command("SINTERCARD", -3, READONLY | MOVABLEKEYS, keys=(0, 0, 0))
def sintercard_command(c: Client, argv: Argv) -> Reply:
    """SINTERCARD numkeys key [key ...] [LIMIT limit]"""
    numkeys = get_int(argv[1], "numkeys should be greater than 0")
    if numkeys <= 0:
        raise e.err("numkeys should be greater than 0")
    if numkeys > len(argv) - 2:
        raise e.err("Number of keys can't be greater than number of args")
    limit = 0
    j = 2 + numkeys
    while j < len(argv):
        if argv[j].upper() == b"LIMIT" and j + 1 < len(argv):
            limit = get_int(argv[j + 1], "LIMIT can't be negative")
            if limit < 0:
                raise e.err("LIMIT can't be negative")
            j += 2
        else:
            raise e.syntax()
    n = len(_inter(_operands(c, argv[2:2 + numkeys])))
    return min(n, limit) if limit else n


@command("SSCAN", -3, READONLY, keys=(1, 1, 1))
def sscan_command(c: Client, argv: Argv) -> Reply:
    """SSCAN key cursor [MATCH pattern] [COUNT count]"""
    cursor = parse_cursor(argv[2])
    s = _get_set(c, argv[1])
    if s is None:
        return [b"0", []]
    count, pattern, _ = scan_options(argv, 3, False)
    nxt, members = s.scan(cursor, count)
    out = [m for m in members if m in s.s and (pattern is None or glob_match(pattern, m))]
    return [b"%d" % nxt, out]
