"""List commands, blocking ones included (Redis's t_list.c)."""

from __future__ import annotations

from collections import deque
from itertools import islice
from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine import packed
from kvengine.blocking import Block, deadline_from, may_block, parse_timeout
from kvengine.commands import (
    BLOCKING,
    DENYOOM,
    FAST,
    MOVABLEKEYS,
    NOSCRIPT,
    READONLY,
    WRITE,
    Argv,
    Reply,
    command,
)
from kvengine.reply import OK
from kvengine.serialize import register_type
from kvengine.util import LLONG_MIN, get_int

if TYPE_CHECKING:
    from kvengine.client import Client

# Size model (bytes), calibrated against CPython's RSS growth: the List object and its
# deque (whose first block alone is ~520 B), and per item a bytes object and a slot.
# Packed: the List object and its one bytes object, plus that object's length.
LIST_BASE_BYTES = 850
LIST_ENTRY_BYTES = 42
LIST_PACKED_BASE_BYTES = 80
# Redis 7.0's list-max-listpack-size -2: a quicklist node holds up to 8 kB of listpack.
# A list stays packed while it would fit in one such node (OBJECT ENCODING is
# "quicklist" either way in 7.0, so the choice is invisible).
LIST_MAX_PACKED_BYTES = 8192


@register_type
class List:
    """A Redis list of bytes.

    Small lists (up to one quicklist node's worth, LIST_MAX_PACKED_BYTES) are packed in
    one bytes object (``lp``): each item escaped (kvengine/packed.py) after a 0x00, so
    a push or pop at either end is one slice; bigger lists become a deque, for good.
    ``q`` answers the items as a deque either way (a decoded copy while packed: change
    a list through its methods, or assign ``q``).  O(1) at both ends as a deque, O(n)
    in the middle (as Redis's quicklist); ``mem`` follows the size model.
    """

    redis_type = "list"
    __slots__ = ("lp", "_q", "mem", "acct")

    def __init__(self, items: Any = ()) -> None:
        self.lp: bytes | None = b""
        self._q: deque[bytes] | None = None
        self.mem = LIST_PACKED_BASE_BYTES
        self._assign(items)

    def _assign(self, items: Any) -> None:
        """Make the list hold `items`: packed if it still is and they fit."""
        if self.lp is not None:
            lp = b"".join([b"\x00" + packed.escape(x) for x in items])
            if len(lp) <= LIST_MAX_PACKED_BYTES:
                self.lp = lp
                self.mem = LIST_PACKED_BASE_BYTES + len(lp)
                return
            self.lp = None
            self._q = deque(_unpack(lp))
        else:
            self._q = deque(items)
        self.recount()

    @property
    def q(self) -> deque[bytes]:
        """The items (a decoded copy while packed)."""
        if self.lp is None:
            return self._q  # type: ignore[return-value]
        return deque(_unpack(self.lp))

    @q.setter
    def q(self, items: deque[bytes]) -> None:
        self._assign(items)

    @property
    def packed(self) -> bool:
        """True while packed in one bytes object."""
        return self.lp is not None

    def __len__(self) -> int:
        lp = self.lp
        if lp is None:
            return len(self._q)  # type: ignore[arg-type]
        return lp.count(b"\x00")

    def __bool__(self) -> bool:
        # Without it, truth tests (the write epilogue's emptiness check) count items.
        lp = self.lp
        return bool(lp) if lp is not None else bool(self._q)

    def __iter__(self) -> Any:
        lp = self.lp
        return iter(self._q if lp is None else _unpack(lp))  # type: ignore[arg-type]

    def range(self, start: int, stop: int) -> list[bytes]:
        """The items at positions [start, stop) (LRANGE)."""
        lp = self.lp
        if lp is None:
            return list(islice(self._q, start, stop))  # type: ignore[arg-type]
        return _unpack(lp)[start:stop]

    def push(self, item: bytes, left: bool) -> None:
        """Add at the head (left) or the tail."""
        lp = self.lp
        if lp is not None:
            entry = b"\x00" + packed.escape(item)
            new = entry + lp if left else lp + entry
            if len(new) <= LIST_MAX_PACKED_BYTES:
                self.lp = new
                self.mem = LIST_PACKED_BASE_BYTES + len(new)
                return
            self.convert()
        (self._q.appendleft if left else self._q.append)(item)  # type: ignore[union-attr]
        self.mem += LIST_ENTRY_BYTES + len(item)

    def push_many(self, items: list[bytes], left: bool) -> None:
        """LPUSH/RPUSH of `items`, as push() one by one would do them, but one join
        while the list stays packed."""
        lp = self.lp
        if lp is not None and len(items) > 1:
            joined = b"\x00".join(items[::-1] if left else items)
            if packed.has_special(joined):
                joined = b"\x00".join([packed.escape(x) for x in (items[::-1] if left else items)])
            new = b"\x00" + joined + lp if left else lp + b"\x00" + joined
            if len(new) <= LIST_MAX_PACKED_BYTES:
                self.lp = new
                self.mem = LIST_PACKED_BASE_BYTES + len(new)
                return
            self.convert()  # where push() one by one would end up, in one step
        if self.lp is not None:
            self.push(items[0], left)
            return
        q = self._q
        (q.extendleft if left else q.extend)(items)  # type: ignore[union-attr]
        self.mem += LIST_ENTRY_BYTES * len(items) + sum(map(len, items))

    def index(self, index: int) -> bytes | None:
        """LINDEX: the item at `index` (negative counts from the tail), or None."""
        lp = self.lp
        items = self._q if lp is None else _unpack(lp)
        n = len(items)  # type: ignore[arg-type]
        if index < 0:
            index += n
        return items[index] if 0 <= index < n else None  # type: ignore[index]

    def pop(self, left: bool) -> bytes:
        """Remove from the head (left) or the tail (IndexError if empty)."""
        lp = self.lp
        if lp is not None:
            if not lp:
                raise IndexError("pop from an empty list")
            if left:
                end = lp.find(b"\x00", 1)
                item, self.lp = (lp[1:], b"") if end < 0 else (lp[1:end], lp[end:])
            else:
                start = lp.rfind(b"\x00")
                item, self.lp = lp[start + 1:], lp[:start]
            self.mem = LIST_PACKED_BASE_BYTES + len(self.lp)
            return packed.unescape(item)
        item = self._q.popleft() if left else self._q.pop()  # type: ignore[union-attr]
        self.mem -= LIST_ENTRY_BYTES + len(item)
        return item

    def set_item(self, index: int, item: bytes) -> None:
        """LSET: replace the item at `index` (0 <= index < len)."""
        if self.lp is None:
            self._q[index] = item  # type: ignore[index]
            self.recount()
            return
        items = self.q
        items[index] = item
        self._assign(items)

    def insert(self, index: int, item: bytes) -> None:
        """LINSERT: put `item` before position `index`."""
        if self.lp is None:
            self._q.insert(index, item)  # type: ignore[union-attr]
            self.recount()
            return
        items = self.q
        items.insert(index, item)
        self._assign(items)

    def convert(self) -> None:
        """Packed -> deque, for good."""
        if self.lp is not None:
            self._q, self.lp = deque(_unpack(self.lp)), None
            self.recount()

    def recount(self) -> None:
        """Recompute ``mem`` after a bulk edit (LREM, LTRIM, LINSERT, LSET)."""
        if self.lp is not None:
            self.mem = LIST_PACKED_BASE_BYTES + len(self.lp)
        else:
            self.mem = LIST_BASE_BYTES + sum(LIST_ENTRY_BYTES + len(x) for x in self._q)  # type: ignore[union-attr]

    def encoding(self) -> str:
        """OBJECT ENCODING: every list is a quicklist in Redis 7.0."""
        return "quicklist"

    def copy(self) -> List:
        """An independent copy (COPY; a packed list shares its immutable bytes)."""
        if self.lp is None:
            new = List()
            new.lp, new._q = None, deque(self._q)  # type: ignore[arg-type]
            new.recount()
            return new
        new = List()
        new.lp, new.mem = self.lp, self.mem
        return new

    def dump_state(self) -> Any:
        """The items, for msgpack."""
        return list(self)

    @classmethod
    def load_state(cls, state: Any) -> List:
        """Inverse of dump_state (packed again if the items fit)."""
        return cls([bytes(x) for x in state])

    def check(self) -> None:
        """Assert the invariants (tests call this after random operations)."""
        if self.lp is not None:
            assert len(self.lp) <= LIST_MAX_PACKED_BYTES
            assert self.lp == b"".join([b"\x00" + packed.escape(x) for x in _unpack(self.lp)])
            assert self.mem == LIST_PACKED_BASE_BYTES + len(self.lp)
        else:
            assert self.mem == LIST_BASE_BYTES + sum(LIST_ENTRY_BYTES + len(x) for x in self._q)  # type: ignore[union-attr]


def _unpack(lp: bytes) -> list[bytes]:
    """The items of a packed list."""
    if not lp:
        return []
    items = lp[1:].split(b"\x00")
    if 2 in lp:
        return [packed.unescape(x) for x in items]
    return items


def _get_list(c: Client, key: bytes, write: bool = False) -> List | None:
    return c.db.get_typed(key, List, write)  # type: ignore[no-any-return]


def _side(arg: bytes) -> bool:
    """LEFT -> True, RIGHT -> False, else a syntax error."""
    word = arg.upper()
    if word == b"LEFT":
        return True
    if word == b"RIGHT":
        return False
    raise e.syntax()


# -- pushes ------------------------------------------------------------------------------
def _push_generic(c: Client, argv: Argv, left: bool, only_existing: bool) -> int:
    """Implements LPUSH, RPUSH, LPUSHX and RPUSHX."""
    key = argv[1]
    lst = _get_list(c, key, True)
    if lst is None:
        if only_existing:
            return 0
        lst = List()
        c.db.table.set(key, lst, -1, c.server.now)
    lst.push_many(argv[2:], left)
    c.db.modified(key, lst)
    return len(lst)


@command("LPUSH", -3, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def lpush_command(c: Client, argv: Argv) -> Reply:
    """LPUSH key element [element ...]"""
    return _push_generic(c, argv, True, False)


@command("RPUSH", -3, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def rpush_command(c: Client, argv: Argv) -> Reply:
    """RPUSH key element [element ...]"""
    return _push_generic(c, argv, False, False)


@command("LPUSHX", -3, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def lpushx_command(c: Client, argv: Argv) -> Reply:
    """LPUSHX key element [element ...]"""
    return _push_generic(c, argv, True, True)


@command("RPUSHX", -3, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def rpushx_command(c: Client, argv: Argv) -> Reply:
    """RPUSHX key element [element ...]"""
    return _push_generic(c, argv, False, True)


# -- pops ---------------------------------------------------------------------------------
def _positive_count(arg: bytes) -> int:
    n = get_int(arg, "value is out of range, must be positive")
    if n < 0:
        raise e.err("value is out of range, must be positive")
    return n


def _pop_n(c: Client, key: bytes, lst: List, left: bool, count: int) -> list[bytes]:
    items = [lst.pop(left) for _ in range(min(count, len(lst)))]
    c.db.modified(key, lst)
    return items


def _pop_generic(c: Client, argv: Argv, left: bool) -> Reply:
    """Implements LPOP and RPOP."""
    if len(argv) > 3:
        raise e.wrong_args(argv[0].decode("utf-8", "replace").lower())
    count = _positive_count(argv[2]) if len(argv) == 3 else None
    key = argv[1]
    lst = _get_list(c, key, True)
    if lst is None:
        return None
    if count is None:
        return _pop_n(c, key, lst, left, 1)[0]
    if count == 0:
        return []
    return _pop_n(c, key, lst, left, count)


@command("LPOP", -2, WRITE | FAST, keys=(1, 1, 1))
def lpop_command(c: Client, argv: Argv) -> Reply:
    """LPOP key [count]"""
    return _pop_generic(c, argv, True)


@command("RPOP", -2, WRITE | FAST, keys=(1, 1, 1))
def rpop_command(c: Client, argv: Argv) -> Reply:
    """RPOP key [count]"""
    return _pop_generic(c, argv, False)


# -- reads and edits ----------------------------------------------------------------------
@command("LLEN", 2, READONLY | FAST, keys=(1, 1, 1))
def llen_command(c: Client, argv: Argv) -> Reply:
    """LLEN key"""
    lst = _get_list(c, argv[1], False)
    return 0 if lst is None else len(lst)


def _range(start: int, end: int, n: int) -> tuple[int, int] | None:
    """Redis's index normalisation for LRANGE/LTRIM; None for an empty range."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = max(start, 0)
    if start > end or start >= n:
        return None
    return start, min(end, n - 1)


@command("LRANGE", 4, READONLY, keys=(1, 1, 1))
def lrange_command(c: Client, argv: Argv) -> Reply:
    """LRANGE key start stop"""
    start, end = get_int(argv[2]), get_int(argv[3])
    lst = _get_list(c, argv[1], False)
    if lst is None:
        return []
    bounds = _range(start, end, len(lst))
    if bounds is None:
        return []
    return lst.range(bounds[0], bounds[1] + 1)


@command("LINDEX", 3, READONLY, keys=(1, 1, 1))
def lindex_command(c: Client, argv: Argv) -> Reply:
    """LINDEX key index"""
    lst = _get_list(c, argv[1], False)  # Redis looks the key up before reading the index
    if lst is None:
        return None
    index = get_int(argv[2])
    return lst.index(index)


@command("LSET", 4, WRITE | DENYOOM, keys=(1, 1, 1))
def lset_command(c: Client, argv: Argv) -> Reply:
    """LSET key index element"""
    lst = _get_list(c, argv[1], True)  # Redis looks the key up before reading the index
    if lst is None:
        raise e.err(e.NO_SUCH_KEY)
    index = get_int(argv[2])
    if index < 0:
        index += len(lst)
    if not 0 <= index < len(lst):
        raise e.err(e.OUT_OF_RANGE)
    lst.set_item(index, argv[3])
    c.db.modified(argv[1], lst)
    return OK


@command("LINSERT", 5, WRITE | DENYOOM, keys=(1, 1, 1))
def linsert_command(c: Client, argv: Argv) -> Reply:
    """LINSERT key BEFORE|AFTER pivot element"""
    where = argv[2].upper()
    if where not in (b"BEFORE", b"AFTER"):
        raise e.syntax()
    lst = _get_list(c, argv[1], True)
    if lst is None:
        return 0
    try:
        i = lst.q.index(argv[3])
    except ValueError:
        return -1
    lst.insert(i if where == b"BEFORE" else i + 1, argv[4])
    c.db.modified(argv[1], lst)
    return len(lst)


@command("LREM", 4, WRITE, keys=(1, 1, 1))
def lrem_command(c: Client, argv: Argv) -> Reply:
    """LREM key count element"""
    count = get_int(argv[2])
    key, element = argv[1], argv[3]
    lst = _get_list(c, key, True)
    if lst is None:
        return 0
    items = list(lst.q)
    limit = abs(count) or len(items)
    removed = 0
    order = range(len(items) - 1, -1, -1) if count < 0 else range(len(items))
    drop = set()
    for i in order:
        if removed == limit:
            break
        if items[i] == element:
            drop.add(i)
            removed += 1
    if removed:
        lst.q = deque(x for i, x in enumerate(items) if i not in drop)
        lst.recount()
        c.db.modified(key, lst)
    return removed


@command("LTRIM", 4, WRITE, keys=(1, 1, 1))
def ltrim_command(c: Client, argv: Argv) -> Reply:
    """LTRIM key start stop"""
    start, end = get_int(argv[2]), get_int(argv[3])
    key = argv[1]
    lst = _get_list(c, key, True)
    if lst is None:
        return OK
    bounds = _range(start, end, len(lst))
    lst.q = deque() if bounds is None else deque(islice(lst.q, bounds[0], bounds[1] + 1))
    lst.recount()
    c.db.modified(key, lst)
    return OK


@command("LPOS", -3, READONLY, keys=(1, 1, 1))
def lpos_command(c: Client, argv: Argv) -> Reply:
    """LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]"""
    rank, count, maxlen = 1, None, 0
    j = 3
    while j < len(argv):
        opt = argv[j].upper()
        if j + 1 >= len(argv):
            raise e.syntax()
        if opt == b"RANK":
            rank = get_int(argv[j + 1])
            if rank == 0:
                raise e.err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
                    "or use negative to start from the end of the list"
                )
        elif opt == b"COUNT":
            count = get_int(argv[j + 1], "COUNT can't be negative")
            if count < 0:
                raise e.err("COUNT can't be negative")
        elif opt == b"MAXLEN":
            maxlen = get_int(argv[j + 1], "MAXLEN can't be negative")
            if maxlen < 0:
                raise e.err("MAXLEN can't be negative")
        else:
            raise e.syntax()
        j += 2
    lst = _get_list(c, argv[1], False)
    if lst is None:
        return None if count is None else []
    items = lst.q
    n = len(items)
    indexes = range(n) if rank > 0 else range(n - 1, -1, -1)
    if rank == LLONG_MIN:
        # Redis negates the rank in a C long: LLONG_MIN stays negative, so every match
        # is at or past the rank (the first one counts) and COUNT's stop test
        # (matches - rank + 1 >= count) overflows and never holds unless COUNT is 0.
        skip = 0
        if count:
            count = 0
    else:
        skip = abs(rank) - 1
    found: list[int] = []
    want = 1 if count is None else (count or n)
    for scanned, i in enumerate(indexes):
        if maxlen and scanned >= maxlen:
            break
        if items[i] == argv[2]:
            if skip:
                skip -= 1
                continue
            found.append(i)
            if len(found) >= want:
                break
    if count is None:
        return found[0] if found else None
    return found


# -- moves ------------------------------------------------------------------------------------
def _move(c: Client, src_key: bytes, dst_key: bytes, src_left: bool, dst_left: bool) -> bytes | None:
    """Implements LMOVE/RPOPLPUSH and their blocking forms: the moved element or None."""
    src = _get_list(c, src_key, True)
    if src is None:
        return None
    dst = _get_list(c, dst_key, True)  # WRONGTYPE before anything moves
    item = src.pop(src_left)
    if dst is src:  # the same list: a rotation
        src.push(item, dst_left)
        c.db.modified(src_key, src)
        return item
    c.db.modified(src_key, src)
    if dst is None:
        dst = List()
        c.db.table.set(dst_key, dst, -1, c.server.now)
    dst.push(item, dst_left)
    c.db.modified(dst_key, dst)
    return item


@command("LMOVE", 5, WRITE | DENYOOM, keys=(1, 2, 1))
def lmove_command(c: Client, argv: Argv) -> Reply:
    """LMOVE source destination LEFT|RIGHT LEFT|RIGHT"""
    src_left, dst_left = _side(argv[3]), _side(argv[4])
    return _move(c, argv[1], argv[2], src_left, dst_left)


@command("RPOPLPUSH", 3, WRITE | DENYOOM, keys=(1, 2, 1))
def rpoplpush_command(c: Client, argv: Argv) -> Reply:
    """RPOPLPUSH source destination"""
    return _move(c, argv[1], argv[2], False, True)


def _mpop_args(argv: Argv, first: int) -> tuple[list[bytes], bool, int]:
    """numkeys key... LEFT|RIGHT [COUNT n] of LMPOP/BLMPOP, from argv[first]."""
    numkeys = get_int(argv[first], "numkeys should be greater than 0")
    if numkeys <= 0:
        raise e.err("numkeys should be greater than 0")
    if numkeys > len(argv) - first - 2:
        raise e.syntax()
    keys = argv[first + 1: first + 1 + numkeys]
    j = first + 1 + numkeys
    left = _side(argv[j])
    count = 1
    j += 1
    seen_count = False
    while j < len(argv):
        if argv[j].upper() == b"COUNT" and j + 1 < len(argv) and not seen_count:
            count = get_int(argv[j + 1], "count should be greater than 0")
            if count <= 0:
                raise e.err("count should be greater than 0")
            seen_count = True
            j += 2
        else:
            raise e.syntax()
    return keys, left, count


def _mpop(c: Client, keys: list[bytes], left: bool, count: int) -> Reply:
    for key in keys:
        lst = _get_list(c, key, True)
        if lst is not None:
            items = _pop_n(c, key, lst, left, count)
            c.prop = [[b"LPOP" if left else b"RPOP", key, b"%d" % len(items)]]
            return [key, items]
    return None


@command("LMPOP", -4, WRITE | MOVABLEKEYS, keys=(0, 0, 0))
def lmpop_command(c: Client, argv: Argv) -> Reply:
    """LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]"""
    keys, left, count = _mpop_args(argv, 1)
    return _mpop(c, keys, left, count)


# -- blocking ---------------------------------------------------------------------------------


def _blocking_pop(c: Client, argv: Argv, left: bool) -> Reply:
    """Implements BLPOP and BRPOP."""
    timeout = parse_timeout(argv[-1])
    keys = argv[1:-1]
    for key in keys:
        lst = _get_list(c, key, True)
        if lst is not None:
            item = _pop_n(c, key, lst, left, 1)[0]
            c.prop = [[b"LPOP" if left else b"RPOP", key]]
            return [key, item]
    if may_block(c):
        raise Block(keys, deadline_from(c, timeout))
    return None


@command("BLPOP", -3, WRITE | NOSCRIPT | BLOCKING, keys=(1, -2, 1))
def blpop_command(c: Client, argv: Argv) -> Reply:
    """BLPOP key [key ...] timeout"""
    return _blocking_pop(c, argv, True)


@command("BRPOP", -3, WRITE | NOSCRIPT | BLOCKING, keys=(1, -2, 1))
def brpop_command(c: Client, argv: Argv) -> Reply:
    """BRPOP key [key ...] timeout"""
    return _blocking_pop(c, argv, False)


def _blocking_move(c: Client, src: bytes, dst: bytes, src_left: bool, dst_left: bool, timeout: int) -> Reply:
    item = _move(c, src, dst, src_left, dst_left)
    if item is not None:
        c.prop = [[b"LMOVE", src, dst, b"LEFT" if src_left else b"RIGHT", b"LEFT" if dst_left else b"RIGHT"]]
        return item
    if may_block(c):
        raise Block([src], deadline_from(c, timeout))
    return None


@command("BLMOVE", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, keys=(1, 2, 1))
def blmove_command(c: Client, argv: Argv) -> Reply:
    """BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout"""
    src_left, dst_left = _side(argv[3]), _side(argv[4])
    return _blocking_move(c, argv[1], argv[2], src_left, dst_left, parse_timeout(argv[5]))


@command("BRPOPLPUSH", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, keys=(1, 2, 1))
def brpoplpush_command(c: Client, argv: Argv) -> Reply:
    """BRPOPLPUSH source destination timeout"""
    return _blocking_move(c, argv[1], argv[2], False, True, parse_timeout(argv[3]))


@command("BLMPOP", -5, WRITE | BLOCKING | MOVABLEKEYS, keys=(0, 0, 0))
def blmpop_command(c: Client, argv: Argv) -> Reply:
    """BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]"""
    keys, left, count = _mpop_args(argv, 2)
    timeout = parse_timeout(argv[1])  # Redis reads the timeout after the other arguments
    reply = _mpop(c, keys, left, count)
    if reply is None and may_block(c):
        raise Block(keys, deadline_from(c, timeout))
    return reply
