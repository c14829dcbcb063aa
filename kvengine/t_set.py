"""Set commands (Redis's t_set.c)."""

from __future__ import annotations

from bisect import bisect_left
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
# set table, and per member a bytes object and a table slot (+ its length).  Intset:
# the Set object and its one bytes object, plus that object's length.
SET_BASE_BYTES = 500
SET_ENTRY_BYTES = 73
SET_INTSET_BASE_BYTES = 120


@register_type
class Set:
    """A Redis set of bytes members.

    Two encodings, as Redis 7.0's: while every member is an integer (string2ll) and
    there are at most set-max-intset-entries, the set is an intset, packed in one
    bytes object (``lp``): the canonical decimal texts in ascending numeric order,
    each between 0x00 bytes (``\\x00 1 \\x00 7 \\x00 10 \\x00``), so membership is one
    ``bytes.find`` and SMEMBERS comes out ascending as Redis's; otherwise a Python
    set, for good (setTypeConvert).  ``mem`` follows the size model incrementally.
    """

    redis_type = "set"
    __slots__ = ("lp", "_s", "mem", "acct", "version", "_scan")

    def __init__(self) -> None:
        self.lp: bytes | None = b"\x00"
        self._s: set[bytes] | None = None
        self.mem = SET_INTSET_BASE_BYTES + 1
        self.version = 0
        self._scan: ScanOrder | None = None

    @property
    def intset(self) -> bool:
        """True while intset-encoded."""
        return self.lp is not None

    @property
    def s(self) -> set[bytes]:
        """The members as a set: the set itself once converted, a decoded copy while an
        intset (read-only use: change a set through add/remove)."""
        if self._s is not None:
            return self._s
        return set(self.members())

    def __len__(self) -> int:
        lp = self.lp
        if lp is None:
            return len(self._s)  # type: ignore[arg-type]
        return lp.count(b"\x00") - 1

    def __bool__(self) -> bool:
        # Without it, truth tests (the write epilogue's emptiness check) count members.
        lp = self.lp
        return len(lp) > 1 if lp is not None else bool(self._s)

    def __contains__(self, member: bytes) -> bool:
        lp = self.lp
        if lp is None:
            return member in self._s  # type: ignore[operator]
        # Only canonical integer texts are stored, and none holds a 0x00 byte.
        return 0 not in member and lp.find(b"\x00" + member + b"\x00") >= 0

    def members(self) -> list[bytes]:
        """The members (ascending integers while an intset, as Redis's)."""
        lp = self.lp
        if lp is None:
            return list(self._s)  # type: ignore[arg-type]
        return lp[1:-1].split(b"\x00") if len(lp) > 1 else []

    def add(self, member: bytes) -> bool:
        """Add a member; True if it is new."""
        lp = self.lp
        if lp is not None:
            if member in self:
                return False
            n = parse_int(member)
            if n is not None and lp.count(b"\x00") <= SET_MAX_INTSET_ENTRIES:
                self.lp = _intset_insert(lp, member, n)
                self.mem = SET_INTSET_BASE_BYTES + len(self.lp)
                self.version += 1
                return True
            self.convert()
        s = self._s
        if member in s:  # type: ignore[operator]
            return False
        s.add(member)  # type: ignore[union-attr]
        self.version += 1
        self.mem += SET_ENTRY_BYTES + len(member)
        return True

    def add_many(self, members: list[bytes]) -> int:
        """SADD's members, as add() one by one would do them, but an intset is rebuilt
        once (one sort and join) when every member is an integer; how many were new."""
        lp = self.lp
        if lp is None or len(members) == 1:
            return sum(1 for m in members if self.add(m))
        ns = [parse_int(m) for m in members]
        if None in ns:
            return sum(1 for m in members if self.add(m))
        old = [int(t) for t in lp[1:-1].split(b"\x00")] if len(lp) > 1 else []
        allints = set(old)
        allints.update(ns)  # type: ignore[arg-type]
        if len(allints) > SET_MAX_INTSET_ENTRIES:
            return sum(1 for m in members if self.add(m))
        added = len(allints) - len(old)
        if added:
            self.lp = new = b"\x00" + b"\x00".join([b"%d" % n for n in sorted(allints)]) + b"\x00"
            self.mem = SET_INTSET_BASE_BYTES + len(new)
            self.version += 1
        return added

    def remove(self, member: bytes) -> bool:
        """Remove a member; True if it was there."""
        lp = self.lp
        if lp is not None:
            pos = lp.find(b"\x00" + member + b"\x00") if 0 not in member else -1
            if pos < 0:
                return False
            self.lp = lp[:pos] + lp[pos + len(member) + 1:]
            self.mem = SET_INTSET_BASE_BYTES + len(self.lp)
            self.version += 1
            return True
        if member not in self._s:  # type: ignore[operator]
            return False
        self._s.discard(member)  # type: ignore[union-attr]
        self.version += 1
        self.mem -= SET_ENTRY_BYTES + len(member)
        return True

    def convert(self) -> None:
        """Intset -> hashtable, for good (Redis's setTypeConvert)."""
        if self.lp is None:
            return
        s = set(self.members())
        self.lp, self._s = None, s
        self.mem = SET_BASE_BYTES + sum(SET_ENTRY_BYTES + len(m) for m in s)
        self.version += 1

    def encoding(self) -> str:
        """OBJECT ENCODING."""
        return "intset" if self.lp is not None else "hashtable"

    def copy(self) -> Set:
        """An independent copy (COPY keeps the encoding; an intset shares its bytes)."""
        new = Set()
        new.lp = self.lp
        new._s = None if self._s is None else set(self._s)
        new.mem = self.mem
        return new

    def dump_state(self) -> Any:
        """[intset flag, members] for msgpack."""
        return [self.lp is not None, self.members()]

    @classmethod
    def load_state(cls, state: Any) -> Set:
        """Inverse of dump_state.  The encoding is chosen afresh from the contents, as
        Redis's RDB loading does: a shrunk set of integers comes back an intset."""
        _, members = state
        return cls.of(bytes(m) for m in members)

    @classmethod
    def of(cls, members: Any) -> Set:
        """A new set holding `members` (an intset if they fit)."""
        unique = set(members)
        new = cls()
        ints = [parse_int(m) for m in unique] if len(unique) <= SET_MAX_INTSET_ENTRIES else [None]
        if None not in ints:
            new.lp = b"\x00" + b"".join([b"%d\x00" % n for n in sorted(ints)])  # type: ignore[type-var]
            new.mem = SET_INTSET_BASE_BYTES + len(new.lp)
            return new
        new.lp, new._s = None, unique
        new.mem = SET_BASE_BYTES + sum(SET_ENTRY_BYTES + len(m) for m in unique)
        return new

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        """SSCAN step (the whole set at once while intset-encoded, as Redis)."""
        if self.lp is not None:
            return 0, self.members()
        if self._scan is None:
            self._scan = ScanOrder()
        return self._scan.scan(self._s, self.version, cursor, count)  # type: ignore[arg-type]

    def check(self) -> None:
        """Assert the invariants (tests call this after random operations)."""
        if self.lp is not None:
            ints = [parse_int(m) for m in self.members()]
            assert None not in ints and len(ints) <= SET_MAX_INTSET_ENTRIES
            assert ints == sorted(set(ints))  # type: ignore[type-var]
            assert self.lp == b"\x00" + b"".join([b"%d\x00" % n for n in ints])  # type: ignore[str-format]
            assert self.mem == SET_INTSET_BASE_BYTES + len(self.lp)
        else:
            assert self._s is not None
            assert self.mem == SET_BASE_BYTES + sum(SET_ENTRY_BYTES + len(m) for m in self._s)


def _intset_insert(lp: bytes, member: bytes, n: int) -> bytes:
    """`lp` with the new integer `n` (canonical text `member`) in its place."""
    if len(lp) == 1:
        return lp + member + b"\x00"
    last = lp.rfind(b"\x00", 0, len(lp) - 1)
    if int(lp[last + 1:-1]) < n:  # ascending inserts: append
        return lp + member + b"\x00"
    texts = lp[1:-1].split(b"\x00")
    i = bisect_left(texts, n, key=int)
    texts.insert(i, member)
    return b"\x00" + b"\x00".join(texts) + b"\x00"


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
    added = s.add_many(argv[2:])
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
    return int(s is not None and argv[2] in s)


@command("SMISMEMBER", -3, READONLY | FAST, keys=(1, 1, 1))
def smismember_command(c: Client, argv: Argv) -> Reply:
    """SMISMEMBER key member [member ...]"""
    s = _get_set(c, argv[1])
    if s is None:
        return [0] * (len(argv) - 2)
    return [int(m in s) for m in argv[2:]]


@command("SMEMBERS", 2, READONLY, keys=(1, 1, 1))
def smembers_command(c: Client, argv: Argv) -> Reply:
    """SMEMBERS key"""
    s = _get_set(c, argv[1])
    return [] if s is None else s.members()


@command("SCARD", 2, READONLY | FAST, keys=(1, 1, 1))
def scard_command(c: Client, argv: Argv) -> Reply:
    """SCARD key"""
    s = _get_set(c, argv[1])
    return 0 if s is None else len(s)


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
    chosen = sample_distinct(s.members(), 1 if count is None else count)
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
        members = s.members()
        if count > 0:
            return sample_distinct(members, count)
        check_reply_items(-count)
        return sample_with_repetition(members, -count)
    s = _get_set(c, argv[1])
    return None if s is None else sample_distinct(s.members(), 1)[0]


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
        return int(member in src)
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
    out = [m for m in members if m in s and (pattern is None or glob_match(pattern, m))]
    return [b"%d" % nxt, out]
