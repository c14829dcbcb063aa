"""Hash commands (Redis's t_hash.c)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine.commands import DENYOOM, FAST, READONLY, WRITE, Argv, Reply, command
from kvengine.containers import ScanOrder, sample_distinct, sample_with_repetition
from kvengine.keys import glob_match, parse_cursor, scan_options
from kvengine.reply import OK
from kvengine.serialize import register_type
from kvengine.util import (
    LLONG_MAX,
    LLONG_MIN,
    format_long_double,
    get_int,
    long_double_add,
    parse_int,
    parse_long_double,
)

if TYPE_CHECKING:
    from kvengine.client import Client

# Redis 7.0's defaults: hash-max-listpack-entries / hash-max-listpack-value.
HASH_MAX_LISTPACK_ENTRIES = 512  # Redis 7.0's default (CONFIG SET hash-max-listpack-entries)
HASH_MAX_LISTPACK_VALUE = 64
# Size model (bytes), calibrated against CPython 3.11's RSS growth (see DESIGN.md and
# benchmarks/bench_memory_types.py): the Hash object and its dict, and per field two
# bytes objects plus a dict slot; the field and value lengths are added.
HASH_BASE_BYTES = 230
HASH_ENTRY_BYTES = 115


@register_type
class Hash:
    """A Redis hash: field -> value, both bytes.

    Runtime complexity: O(1) per field operation.  ``mem`` follows the size model
    above incrementally; ``listpack`` is Redis's compact encoding flag (one-way).
    """

    redis_type = "hash"
    __slots__ = ("d", "listpack", "mem", "acct", "version", "_scan")

    def __init__(self) -> None:
        self.d: dict[bytes, bytes] = {}
        self.listpack = True
        self.mem = HASH_BASE_BYTES
        self.version = 0
        self._scan: ScanOrder | None = None

    def __len__(self) -> int:
        return len(self.d)

    def set(self, field: bytes, value: bytes) -> bool:
        """Set a field; True if it is new."""
        d = self.d
        old = d.get(field)
        d[field] = value
        self.version += 1
        if old is None:
            self.mem += HASH_ENTRY_BYTES + len(field) + len(value)
        else:
            self.mem += len(value) - len(old)
        if self.listpack and (
            len(d) > HASH_MAX_LISTPACK_ENTRIES
            or len(field) > HASH_MAX_LISTPACK_VALUE
            or len(value) > HASH_MAX_LISTPACK_VALUE
        ):
            self.listpack = False
        return old is None

    def delete(self, field: bytes) -> bool:
        """Delete a field; True if it existed."""
        old = self.d.pop(field, None)
        if old is None:
            return False
        self.version += 1
        self.mem -= HASH_ENTRY_BYTES + len(field) + len(old)
        return True

    def encoding(self) -> str:
        """OBJECT ENCODING."""
        return "listpack" if self.listpack else "hashtable"

    def copy(self) -> Hash:
        """An independent copy (COPY)."""
        new = Hash()
        new.d = dict(self.d)
        new.listpack, new.mem = self.listpack, self.mem
        return new

    def dump_state(self) -> Any:
        """Flat [field, value, ...] plus the encoding flag, for msgpack."""
        return [self.listpack, [x for pair in self.d.items() for x in pair]]

    @classmethod
    def load_state(cls, state: Any) -> Hash:
        """Inverse of dump_state."""
        listpack, flat = state
        h = cls()
        for i in range(0, len(flat), 2):
            h.set(bytes(flat[i]), bytes(flat[i + 1]))
        h.listpack = h.listpack and bool(listpack)
        return h

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        """HSCAN step over fields (whole hash at once while listpack-encoded, as Redis)."""
        if self.listpack:
            return 0, list(self.d)
        if self._scan is None:
            self._scan = ScanOrder()
        return self._scan.scan(self.d, self.version, cursor, count)


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
    added = 0
    for i in range(2, len(argv), 2):
        added += h.set(argv[i], argv[i + 1])
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
    if h is not None and field in h.d:
        return 0
    h = _get_or_create(c, key)
    h.set(field, argv[3])
    c.db.modified(key, h)
    return 1


@command("HGET", 3, READONLY | FAST, keys=(1, 1, 1))
def hget_command(c: Client, argv: Argv) -> Reply:
    """HGET key field"""
    h = _get_hash(c, argv[1])
    return None if h is None else h.d.get(argv[2])


@command("HMGET", -3, READONLY | FAST, keys=(1, 1, 1))
def hmget_command(c: Client, argv: Argv) -> Reply:
    """HMGET key field [field ...]"""
    h = _get_hash(c, argv[1])
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.d.get
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
    return 0 if h is None else len(h.d)


@command("HSTRLEN", 3, READONLY | FAST, keys=(1, 1, 1))
def hstrlen_command(c: Client, argv: Argv) -> Reply:
    """HSTRLEN key field"""
    h = _get_hash(c, argv[1])
    value = None if h is None else h.d.get(argv[2])
    return 0 if value is None else len(value)


@command("HEXISTS", 3, READONLY | FAST, keys=(1, 1, 1))
def hexists_command(c: Client, argv: Argv) -> Reply:
    """HEXISTS key field"""
    h = _get_hash(c, argv[1])
    return int(h is not None and argv[2] in h.d)


@command("HGETALL", 2, READONLY, keys=(1, 1, 1))
def hgetall_command(c: Client, argv: Argv) -> Reply:
    """HGETALL key"""
    h = _get_hash(c, argv[1])
    return [] if h is None else [x for pair in h.d.items() for x in pair]


@command("HKEYS", 2, READONLY, keys=(1, 1, 1))
def hkeys_command(c: Client, argv: Argv) -> Reply:
    """HKEYS key"""
    h = _get_hash(c, argv[1])
    return [] if h is None else list(h.d)


@command("HVALS", 2, READONLY, keys=(1, 1, 1))
def hvals_command(c: Client, argv: Argv) -> Reply:
    """HVALS key"""
    h = _get_hash(c, argv[1])
    return [] if h is None else list(h.d.values())


@command("HINCRBY", 4, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def hincrby_command(c: Client, argv: Argv) -> Reply:
    """HINCRBY key field increment"""
    key, field = argv[1], argv[2]
    incr = get_int(argv[3])
    h = _get_hash(c, key, True)
    old = None if h is None else h.d.get(field)
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
    old = None if h is None else h.d.get(field)
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
        count = get_int(argv[2])
        if count < -LLONG_MAX:
            raise e.err("value is out of range")
        if len(argv) == 4:
            if argv[3].upper() != b"WITHVALUES":
                raise e.syntax()
            withvalues = True
        elif len(argv) > 4:
            raise e.syntax()
        h = _get_hash(c, argv[1])
        if h is None or count == 0:
            return []
        fields = list(h.d)
        if count > 0:
            chosen = sample_distinct(fields, count)
        else:
            chosen = sample_with_repetition(fields, -count)
        if not withvalues:
            return chosen
        return [x for f in chosen for x in (f, h.d[f])]
    h = _get_hash(c, argv[1])
    if h is None:
        return None
    return sample_distinct(list(h.d), 1)[0]


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
            value = h.d.get(f)
            if value is not None:
                out += [f, value]
    return [b"%d" % nxt, out]
