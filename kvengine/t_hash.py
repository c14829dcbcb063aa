"""Hash commands (Redis's t_hash.c)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine import packed
from kvengine.commands import DENYOOM, FAST, READONLY, WRITE, Argv, Reply, command
from kvengine.containers import ScanOrder, sample_distinct, sample_with_repetition
from kvengine.keys import glob_match, parse_cursor, scan_options
from kvengine.reply import OK
from kvengine.serialize import register_type
from kvengine.util import (
    LLONG_MAX,
    LLONG_MIN,
    check_reply_items,
    format_long_double,
    get_int,
    get_range_long,
    long_double_add,
    parse_int,
    parse_long_double,
)

if TYPE_CHECKING:
    from kvengine.client import Client

# Redis 7.0's defaults: hash-max-listpack-entries / hash-max-listpack-value.
HASH_MAX_LISTPACK_ENTRIES = 512  # Redis 7.0's default (CONFIG SET hash-max-listpack-entries)
HASH_MAX_LISTPACK_VALUE = 64
# Size model (bytes), calibrated against CPython 3.11's RSS growth (see
# benchmarks/bench_memory_types.py).  Hashtable: the Hash object and its dict, and per
# field two bytes objects plus a dict slot; the field and value lengths are added.
# Listpack: the Hash object and its one bytes object, plus that object's length.
HASH_BASE_BYTES = 230
HASH_ENTRY_BYTES = 115
HASH_LISTPACK_BASE_BYTES = 185


@register_type
class Hash(packed.PackedPairs):
    """A Redis hash: field -> value, both bytes.

    Two encodings, as Redis's: while small (hash-max-listpack-entries/value) the
    fields live packed in one bytes object (``lp``, see kvengine/packed.py) in
    insertion order, and a lookup is a ``bytes.find``; past a threshold the hash
    converts to a dict (``d``) for good, as Redis's hashTypeConvert.

    Runtime complexity: O(1) per field operation as a dict, O(n) (C speed, n <= 128)
    packed.  ``mem`` follows the size model above incrementally.
    """

    redis_type = "hash"
    __slots__ = ("lp", "_d", "mem", "acct", "version", "_scan")

    def __init__(self) -> None:
        self.lp: bytes | None = b""
        self._d: dict[bytes, bytes] | None = None
        self.mem = HASH_LISTPACK_BASE_BYTES
        self.version = 0
        self._scan: ScanOrder | None = None

    @property
    def listpack(self) -> bool:
        """True while packed (OBJECT ENCODING listpack)."""
        return self.lp is not None

    @property
    def d(self) -> dict[bytes, bytes]:
        """The fields as a dict: the hash itself once converted, a decoded copy while
        packed (read-only use: change a hash through set/delete)."""
        if self._d is not None:
            return self._d
        return dict(packed.pairs(self.lp))  # type: ignore[arg-type]

    def get(self, field: bytes) -> bytes | None:
        """A field's value, or None."""
        lp = self.lp
        if lp is None:
            return self._d.get(field)  # type: ignore[union-attr]
        # packed.lookup, inlined: HGET's latency is the target of the packed design.
        if 0 in field or 1 in field or 2 in field:
            return packed.lookup(lp, field)
        needle = b"\x00" + field + b"\x01"
        pos = lp.find(needle)
        if pos < 0:
            return None
        pos += len(needle)
        end = lp.find(b"\x00", pos)
        value = lp[pos:end] if end >= 0 else lp[pos:]
        return packed.unescape(value) if 2 in value else value

    def __contains__(self, field: bytes) -> bool:
        return self.get(field) is not None

    def items(self) -> Iterable[tuple[bytes, bytes]]:
        """(field, value) pairs (insertion order while packed, as a listpack)."""
        lp = self.lp
        if lp is None:
            return self._d.items()  # type: ignore[union-attr]
        return packed.pairs(lp)

    def keys(self) -> list[bytes]:
        """The fields."""
        lp = self.lp
        if lp is None:
            return list(self._d)  # type: ignore[arg-type]
        return packed.keys(lp)

    def values(self) -> list[bytes]:
        """The values."""
        lp = self.lp
        if lp is None:
            return list(self._d.values())  # type: ignore[union-attr]
        return packed.values(lp)

    def flat(self) -> list[bytes]:
        """Fields and values alternating, as HGETALL replies."""
        lp = self.lp
        if lp is None:
            return [x for pair in self._d.items() for x in pair]  # type: ignore[union-attr]
        return packed.flat(lp)

    def set(self, field: bytes, value: bytes) -> bool:
        """Set a field; True if it is new."""
        lp = self.lp
        self.version += 1
        if lp is not None:
            if len(field) > HASH_MAX_LISTPACK_VALUE or len(value) > HASH_MAX_LISTPACK_VALUE:
                self.convert()
            else:  # packed.put, inlined (HSET of many fields calls this per field)
                if 0 in field or 1 in field or 2 in field:
                    field = packed.escape(field)
                if 0 in value or 1 in value or 2 in value:
                    value = packed.escape(value)
                needle = b"\x00" + field + b"\x01"
                pos = lp.find(needle)
                if pos >= 0:
                    start = pos + len(needle)
                    end = lp.find(b"\x00", start)
                    new = lp[:start] + value + (lp[end:] if end >= 0 else b"")
                    self.lp = new
                    self.mem += len(new) - len(lp)
                    return False
                if lp.count(b"\x00") < HASH_MAX_LISTPACK_ENTRIES:
                    new = lp + needle + value
                    self.lp = new
                    self.mem += len(new) - len(lp)
                    return True
                field, value = packed.unescape(field), packed.unescape(value)
                self.convert()
        d = self._d
        old = d.get(field)  # type: ignore[union-attr]
        d[field] = value  # type: ignore[index]
        if old is None:
            self.mem += HASH_ENTRY_BYTES + len(field) + len(value)
        else:
            self.mem += len(value) - len(old)
        return old is None

    def set_many(self, argv: list[bytes], start: int) -> int:
        """HSET's field value pairs ``argv[start:]``, as set() one by one would do them,
        but packing once (one ``bytes %`` format, packed.pack_flat); the number of new
        fields."""
        lp = self.lp
        if len(argv) - start == 2:
            return 1 if self.set(argv[start], argv[start + 1]) else 0
        if lp is not None:
            items = argv[start:]
            if max(map(len, items)) <= HASH_MAX_LISTPACK_VALUE:
                if not lp and len(set(items[::2])) * 2 == len(items):
                    flat, added = items, len(items) // 2  # a new hash of distinct fields
                else:
                    d = dict(packed.pairs(lp))
                    before = len(d)
                    it = iter(items)
                    d.update(zip(it, it))
                    flat, added = [x for pair in d.items() for x in pair], len(d) - before
                if len(flat) <= 2 * HASH_MAX_LISTPACK_ENTRIES:
                    self.version += 1
                    self.lp = new = packed.pack_flat(flat)
                    self.mem += len(new) - len(lp)
                    return added
        return sum(self.set(argv[i], argv[i + 1]) for i in range(start, len(argv), 2))

    def delete(self, field: bytes) -> bool:
        """Delete a field; True if it existed."""
        lp = self.lp
        if lp is not None:
            new = packed.remove(lp, field)
            if new is None:
                return False
            self.lp = new
            self.version += 1
            self.mem += len(new) - len(lp)
            return True
        old = self._d.pop(field, None)  # type: ignore[union-attr]
        if old is None:
            return False
        self.version += 1
        self.mem -= HASH_ENTRY_BYTES + len(field) + len(old)
        return True

    def convert(self) -> None:
        """Listpack -> hashtable, for good (Redis's hashTypeConvert)."""
        if self.lp is None:
            return
        d = dict(packed.pairs(self.lp))
        self.lp, self._d = None, d
        self.mem = HASH_BASE_BYTES + sum(HASH_ENTRY_BYTES + len(f) + len(v) for f, v in d.items())

    def encoding(self) -> str:
        """OBJECT ENCODING."""
        return "listpack" if self.lp is not None else "hashtable"

    def copy(self) -> Hash:
        """An independent copy (COPY keeps the encoding; a packed hash shares its
        immutable bytes)."""
        new = Hash()
        new.lp = self.lp
        new._d = None if self._d is None else dict(self._d)
        new.mem = self.mem
        return new

    def dump_state(self) -> Any:
        """Flat [field, value, ...] plus the encoding flag, for msgpack."""
        return [self.lp is not None, [x for pair in self.items() for x in pair]]

    @classmethod
    def load_state(cls, state: Any) -> Hash:
        """Inverse of dump_state.  The encoding is chosen afresh from the contents,
        as Redis's RDB loading does: a small hash comes back packed."""
        _, flat = state
        h = cls()
        for i in range(0, len(flat), 2):
            h.set(bytes(flat[i]), bytes(flat[i + 1]))
        return h

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        """HSCAN step over fields (whole hash at once while listpack-encoded, as Redis)."""
        if self.lp is not None:
            return 0, self.keys()
        if self._scan is None:
            self._scan = ScanOrder()
        return self._scan.scan(self._d, self.version, cursor, count)  # type: ignore[arg-type]

    def check(self) -> None:
        """Assert the invariants (tests call this after random operations)."""
        if self.lp is not None:
            pairs = packed.pairs(self.lp)
            assert len({f for f, _ in pairs}) == len(pairs) <= HASH_MAX_LISTPACK_ENTRIES
            assert all(len(f) <= HASH_MAX_LISTPACK_VALUE and len(v) <= HASH_MAX_LISTPACK_VALUE for f, v in pairs)
            assert packed.pack(pairs) == self.lp
            assert self.mem == HASH_LISTPACK_BASE_BYTES + len(self.lp)
        else:
            d = self._d
            assert d is not None
            assert self.mem == HASH_BASE_BYTES + sum(HASH_ENTRY_BYTES + len(f) + len(v) for f, v in d.items())


def _get_hash(c: Client, key: bytes, write: bool = False) -> Hash | None:
    return c.db.get_typed(key, Hash, write)  # type: ignore[no-any-return]


def _get_or_create(c: Client, key: bytes) -> Hash:
    h = _get_hash(c, key, True)
    if h is None:
        h = Hash()
        c.db.table.set(key, h, -1, c.server.now)
    return h


def _hset_generic(c: Client, argv: Argv, name: str) -> int:
    """Implements HSET and HMSET: the number of new fields."""
    if len(argv) % 2 == 1:
        raise e.wrong_args(name)
    key = argv[1]
    h = _get_or_create(c, key)
    added = h.set_many(argv, 2)
    c.db.modified(key, h)
    return added


@command("HSET", -4, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def hset_command(c: Client, argv: Argv) -> Reply:
    """HSET key field value [field value ...]"""
    return _hset_generic(c, argv, "hset")


@command("HMSET", -4, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def hmset_command(c: Client, argv: Argv) -> Reply:
    """HMSET key field value [field value ...]"""
    _hset_generic(c, argv, "hmset")
    return OK


@command("HSETNX", 4, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def hsetnx_command(c: Client, argv: Argv) -> Reply:
    """HSETNX key field value"""
    key, field = argv[1], argv[2]
    h = _get_hash(c, key, True)
    if h is not None and field in h:
        return 0
    h = _get_or_create(c, key)
    h.set(field, argv[3])
    c.db.modified(key, h)
    return 1


@command("HGET", 3, READONLY | FAST, keys=(1, 1, 1))
def hget_command(c: Client, argv: Argv) -> Reply:
    """HGET key field"""
    h = c.db.get_typed(argv[1], Hash, False)
    return None if h is None else h.get(argv[2])


@command("HMGET", -3, READONLY | FAST, keys=(1, 1, 1))
def hmget_command(c: Client, argv: Argv) -> Reply:
    """HMGET key field [field ...]"""
    h = _get_hash(c, argv[1])
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(f) for f in argv[2:]]


@command("HDEL", -3, WRITE | FAST, keys=(1, 1, 1))
def hdel_command(c: Client, argv: Argv) -> Reply:
    """HDEL key field [field ...]"""
    key = argv[1]
    h = _get_hash(c, key, True)
    if h is None:
        return 0
    deleted = sum(1 for f in argv[2:] if h.delete(f))
    if deleted:
        c.db.modified(key, h)
    return deleted


@command("HLEN", 2, READONLY | FAST, keys=(1, 1, 1))
def hlen_command(c: Client, argv: Argv) -> Reply:
    """HLEN key"""
    h = _get_hash(c, argv[1])
    return 0 if h is None else len(h)


@command("HSTRLEN", 3, READONLY | FAST, keys=(1, 1, 1))
def hstrlen_command(c: Client, argv: Argv) -> Reply:
    """HSTRLEN key field"""
    h = _get_hash(c, argv[1])
    value = None if h is None else h.get(argv[2])
    return 0 if value is None else len(value)


@command("HEXISTS", 3, READONLY | FAST, keys=(1, 1, 1))
def hexists_command(c: Client, argv: Argv) -> Reply:
    """HEXISTS key field"""
    h = _get_hash(c, argv[1])
    return int(h is not None and argv[2] in h)


@command("HGETALL", 2, READONLY, keys=(1, 1, 1))
def hgetall_command(c: Client, argv: Argv) -> Reply:
    """HGETALL key"""
    h = _get_hash(c, argv[1])
    return [] if h is None else h.flat()


@command("HKEYS", 2, READONLY, keys=(1, 1, 1))
def hkeys_command(c: Client, argv: Argv) -> Reply:
    """HKEYS key"""
    h = _get_hash(c, argv[1])
    return [] if h is None else h.keys()


@command("HVALS", 2, READONLY, keys=(1, 1, 1))
def hvals_command(c: Client, argv: Argv) -> Reply:
    """HVALS key"""
    h = _get_hash(c, argv[1])
    return [] if h is None else h.values()


@command("HINCRBY", 4, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def hincrby_command(c: Client, argv: Argv) -> Reply:
    """HINCRBY key field increment"""
    key, field = argv[1], argv[2]
    incr = get_int(argv[3])
    h = _get_hash(c, key, True)
    old = None if h is None else h.get(field)
    value = 0
    if old is not None:
        parsed = parse_int(old)
        if parsed is None:
            raise e.err("hash value is not an integer")
        value = parsed
    if (incr < 0 and value < 0 and incr < LLONG_MIN - value) or (
        incr > 0 and value > 0 and incr > LLONG_MAX - value
    ):
        raise e.err(e.OVERFLOW)
    value += incr
    h = _get_or_create(c, key)
    h.set(field, b"%d" % value)
    c.db.modified(key, h)
    return value


@command("HINCRBYFLOAT", 4, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def hincrbyfloat_command(c: Client, argv: Argv) -> Reply:
    """HINCRBYFLOAT key field increment"""
    key, field = argv[1], argv[2]
    incr = parse_long_double(argv[3])
    if incr is None:
        raise e.err(e.NOT_FLOAT)
    if isinstance(incr, float):  # +-inf
        raise e.err("value is NaN or Infinity")
    h = _get_hash(c, key, True)
    old = None if h is None else h.get(field)
    value: Any = 0
    if old is not None:
        value = parse_long_double(old)
        if value is None:
            raise e.err("hash value is not a float")
    result = long_double_add(value, incr)
    if isinstance(result, float):
        raise e.err(e.NAN_OR_INF)
    new = format_long_double(result)
    h = _get_or_create(c, key)
    h.set(field, new)
    c.db.modified(key, h)
    # Log the result, not the increment (as Redis: HSET key field value).
    c.prop = [[b"HSET", key, field, new]]
    return new


@command("HRANDFIELD", -2, READONLY, keys=(1, 1, 1))
def hrandfield_command(c: Client, argv: Argv) -> Reply:
    """HRANDFIELD key [count [WITHVALUES]]"""
    withvalues = False
    if len(argv) >= 3:
        count = get_range_long(argv[2], -LLONG_MAX, LLONG_MAX)
        if len(argv) > 4 or (len(argv) == 4 and argv[3].upper() != b"WITHVALUES"):
            raise e.syntax()
        if len(argv) == 4:
            withvalues = True
            if not -(LLONG_MAX // 2) <= count <= LLONG_MAX // 2:  # count * 2 must fit a long
                raise e.err("value is out of range")
        h = _get_hash(c, argv[1])
        if h is None or count == 0:
            return []
        fields = h.keys()
        if count > 0:
            chosen = sample_distinct(fields, count)
        else:
            check_reply_items(-count * (2 if withvalues else 1))
            chosen = sample_with_repetition(fields, -count)
        if not withvalues:
            return chosen
        return [x for f in chosen for x in (f, h.get(f))]
    h = _get_hash(c, argv[1])
    if h is None:
        return None
    return sample_distinct(h.keys(), 1)[0]


@command("HSCAN", -3, READONLY, keys=(1, 1, 1))
def hscan_command(c: Client, argv: Argv) -> Reply:
    """HSCAN key cursor [MATCH pattern] [COUNT count]"""
    cursor = parse_cursor(argv[2])
    h = _get_hash(c, argv[1])
    if h is None:
        return [b"0", []]
    count, pattern, _ = scan_options(argv, 3, False)
    nxt, fields = h.scan(cursor, count)
    out = []
    for f in fields:
        if pattern is None or glob_match(pattern, f):
            value = h.get(f)
            if value is not None:
                out += [f, value]
    return [b"%d" % nxt, out]
