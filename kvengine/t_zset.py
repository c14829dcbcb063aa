"""Sorted set commands, blocking pops included (Redis's t_zset.c).

A sorted set keeps member -> score in a dict and the order in a
``sortedcontainers.SortedList`` of ``(score, member)`` tuples, so a score lookup is
O(1) and rank, range and count are O(log n) (+ the size of the answer), as with
Redis's skiplist.  Redis 7.0 reports ``listpack`` until a set holds more than
zset-max-listpack-entries (128) members or a member longer than
zset-max-listpack-value (64 bytes), and ``skiplist`` afterwards, for good; the
*STORE commands build their result from scratch, so it gets the compact
encoding again when it fits.

Two listpack quirks are kept because they are visible: a listpack stores a score
of ``-0`` as the integer 0 (so it reads back as ``0``), and BYLEX ranges over
members with different scores follow the listpack's linear walk (the documented
behaviour is "unspecified"; the walk makes it deterministic and matches a small
set exactly).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedList

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
from kvengine.containers import ScanOrder, random_source
from kvengine.keys import glob_match, parse_cursor, scan_options
from kvengine.serialize import register_type
from kvengine.t_set import Set
from kvengine.util import LLONG_MAX, check_reply_items, format_double, get_int, get_range_long, parse_float

if TYPE_CHECKING:
    from kvengine.client import Client

# Redis 7.0's defaults: zset-max-listpack-entries / zset-max-listpack-value.
ZSET_MAX_LISTPACK_ENTRIES = 128
ZSET_MAX_LISTPACK_VALUE = 64
# Size model (bytes), calibrated against CPython's RSS growth: the ZSet object, its dict
# and sorted list, and per member a dict slot, a float, a tuple and a sorted-list slot.
ZSET_BASE_BYTES = 600
ZSET_ENTRY_BYTES = 182
# Listpack: the ZSet object and its one bytes object, plus that object's length.
ZSET_LISTPACK_BASE_BYTES = 170

NOT_FLOAT = e.NOT_FLOAT
NAN_RESULT = "resulting score is not a number (NaN)"
MINMAX_NOT_FLOAT = "min or max is not a float"
MINMAX_NOT_LEX = "min or max not valid string range item"
POSITIVE = "value is out of range, must be positive"


class _Top:
    """Compares greater than any member: ``(score, TOP)`` sorts after every
    ``(score, member)`` with that score (exclusive score bounds)."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return other is not self

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return 0


TOP = _Top()


# -- the container -------------------------------------------------------------------------
@register_type
class ZSet(packed.PackedPairs):
    """A Redis sorted set: bytes members with float scores, ordered by (score, member).

    Two encodings, as Redis's (one factory, this class; zsetConvert's one-way rule):
    while small (zset-max-listpack-entries/value) the set lives packed in one bytes
    object (``lp``, kvengine/packed.py) in (score, member) order, and ZSCORE is a
    ``bytes.find``; past a threshold it converts for good to a dict (``d``) plus a
    ``SortedList`` (``sl``).  A packed set still answers ``d`` and ``sl``, read-only,
    from a decoded view cached for the last packed bytes object decoded.

    Runtime complexity: O(1) score lookup, O(log n) add/remove/rank, O(log n + k)
    for a range of k members; packed, O(n) (n <= 128).  ``mem`` follows the size
    model incrementally.
    """

    redis_type = "zset"
    __slots__ = ("lp", "_d", "_sl", "mem", "acct", "version", "_scan")

    def __init__(self) -> None:
        self.lp: bytes | None = b""
        self._d: dict[bytes, float] | None = None
        self._sl: SortedList | None = None
        self.mem = ZSET_LISTPACK_BASE_BYTES
        self.acct = 0  # the part of `mem` the keyspace has accounted (set by Table.set)
        self.version = 0
        self._scan: ScanOrder | None = None

    @property
    def listpack(self) -> bool:
        """True while packed (OBJECT ENCODING listpack)."""
        return self.lp is not None

    def _view(self) -> tuple[dict[bytes, float], SortedList]:
        global _VIEW
        lp = self.lp
        if lp is None:
            return self._d, self._sl  # type: ignore[return-value]
        view = _VIEW
        if view[0] is not lp:
            pairs = [(float(s), m) for m, s in packed.pairs(lp)]
            view = _VIEW = (lp, {m: s for s, m in pairs}, SortedList(pairs))
        return view[1], view[2]

    @property
    def d(self) -> dict[bytes, float]:
        """member -> score (read-only while packed: change the set through its methods)."""
        return self._view()[0]

    @property
    def sl(self) -> SortedList:
        """(score, member) in order (read-only while packed)."""
        return self._view()[1]

    def __iter__(self) -> Iterator[tuple[float, bytes]]:
        """(score, member) pairs in order."""
        return iter(self.sl)

    def score(self, member: bytes) -> float | None:
        """`member`'s score, or None."""
        lp = self.lp
        if lp is None:
            return self._d.get(member)  # type: ignore[union-attr]
        # packed.lookup, inlined (ZSCORE's latency); scores never hold 0x00-0x02.
        if 0 in member or 1 in member or 2 in member:
            member = packed.escape(member)
        needle = b"\x00" + member + b"\x01"
        pos = lp.find(needle)
        if pos < 0:
            return None
        pos += len(needle)
        end = lp.find(b"\x00", pos)
        return float(lp[pos:end] if end >= 0 else lp[pos:])

    def add(self, member: bytes, score: float) -> bool:
        """Set `member`'s score (adding it if new); True if it is new.

        Runtime complexity: O(log n); O(n) packed
        """
        lp = self.lp
        if lp is not None:
            # One find for the member's entry (packed.lookup and packed.remove, fused).
            needle = b"\x00" + (packed.escape(member) if packed.has_special(member) else member) + b"\x01"
            pos = lp.find(needle)
            if pos >= 0:
                start = pos + len(needle)
                end = lp.find(b"\x00", start)
                if end < 0:
                    end = len(lp)
                if float(lp[start:end]) != score:  # -0 == 0: no change, as Redis's `score != curscore`
                    self._set_lp(_lp_insert(lp[:pos] + lp[end:], member, score))
                    self.version += 1
                return False
            if lp.count(packed.SEP) < ZSET_MAX_LISTPACK_ENTRIES and len(member) <= ZSET_MAX_LISTPACK_VALUE:
                self._set_lp(_lp_insert(lp, member, score))
                self.version += 1
                return True
            self.convert()
        d, sl = self._d, self._sl
        old = d.get(member)  # type: ignore[union-attr]
        if old is not None:
            if old != score:
                sl.remove((old, member))  # type: ignore[union-attr]
                sl.add((score, member))  # type: ignore[union-attr]
                d[member] = score  # type: ignore[index]
                self.version += 1
            return False
        d[member] = score  # type: ignore[index]
        sl.add((score, member))  # type: ignore[union-attr]
        self.mem += ZSET_ENTRY_BYTES + len(member)
        self.version += 1
        return True

    def fill(self, scores: list[float], members: list[bytes]) -> bool:
        """Make this new, empty set hold `members` with `scores` (distinct members), packed
        in one go (a sort and one ``bytes %`` format, not one insert per member); False,
        changing nothing, when they would not stay packed or repeat a member."""
        n = len(members)
        if (
            self.lp != b""
            or n > ZSET_MAX_LISTPACK_ENTRIES
            or max(map(len, members)) > ZSET_MAX_LISTPACK_VALUE
            or len(set(members)) != n
        ):
            return False
        pairs = sorted(zip([s + 0.0 for s in scores], members))  # + 0.0: -0 is stored as 0
        if packed.has_special(b"".join(members)):
            flat = [x for s, m in pairs for x in (packed.escape(m), s)]
        else:
            flat = [x for s, m in pairs for x in (m, s)]
        self._set_lp(_lp_format(n) % tuple(flat))
        self.version += 1
        return True

    def _set_lp(self, lp: bytes) -> None:
        self.lp = lp
        self.mem = ZSET_LISTPACK_BASE_BYTES + len(lp)

    def convert(self) -> None:
        """Listpack -> skiplist, for good (Redis's zsetConvert; SORT does it too)."""
        if self.lp is None:
            return
        d, sl = self._view()
        self._d, self._sl = dict(d), SortedList(sl)
        self.lp = None
        self.mem = ZSET_BASE_BYTES + sum(ZSET_ENTRY_BYTES + len(m) for m in d)
        self.version += 1

    def remove(self, member: bytes) -> bool:
        """Remove `member`; True if it was there.

        Runtime complexity: O(log n); O(n) packed
        """
        lp = self.lp
        if lp is not None:
            new = packed.remove(lp, member)
            if new is None:
                return False
            self._set_lp(new)
            self.version += 1
            return True
        score = self._d.pop(member, None)  # type: ignore[union-attr]
        if score is None:
            return False
        self._sl.remove((score, member))  # type: ignore[union-attr]
        self.mem -= ZSET_ENTRY_BYTES + len(member)
        self.version += 1
        return True

    def delete_positions(self, start: int, stop: int) -> list[tuple[float, bytes]]:
        """Remove the members at positions [start, stop) in order; return them.

        Runtime complexity: O(log n + k); O(n) packed
        """
        if start >= stop:
            return []
        lp = self.lp
        if lp is not None:
            entries = lp.split(packed.SEP)  # entries[0] is the empty prefix
            gone = entries[start + 1:stop + 1]
            del entries[start + 1:stop + 1]
            self._set_lp(packed.SEP.join(entries))
            self.version += 1
            return [(float(sc), m) for m, sc in packed.pairs(packed.SEP + packed.SEP.join(gone))] if gone else []
        sl = self._sl
        gone = list(sl.islice(start, stop))  # type: ignore[union-attr]
        del sl[start:stop]  # type: ignore[index]
        d = self._d
        for _, member in gone:
            del d[member]  # type: ignore[union-attr]
            self.mem -= ZSET_ENTRY_BYTES + len(member)
        self.version += 1
        return gone

    def rank(self, member: bytes) -> int | None:
        """0-based position of `member` in ascending order, or None."""
        score = self.d.get(member)
        if score is None:
            return None
        return self.sl.bisect_left((score, member))  # type: ignore[no-any-return]

    def score_range(self, lo: float, lo_ex: bool, hi: float, hi_ex: bool) -> tuple[int, int]:
        """Positions [i, j) of the members with lo <(=) score <(=) hi."""
        sl = self.sl
        i = sl.bisect_left((lo, TOP) if lo_ex else (lo,))
        j = sl.bisect_left((hi,) if hi_ex else (hi, TOP))
        return i, max(i, j)

    def lex_range(self, lo: LexBound, hi: LexBound) -> tuple[int, int]:
        """Positions [i, j) of a BYLEX range walked upwards (ZLEXCOUNT, ZREMRANGEBYLEX)."""
        start = self._lex_start(lo, hi, False)
        if start is None:
            return 0, 0
        if start < 0:  # one score for every member: a bisection
            return self._lex_bisect(lo, hi)
        members = self._members()
        j = start
        while j < len(members) and lex_lte_max(members[j], hi):
            j += 1
        return start, j

    def lex_select(
        self, lo: LexBound, hi: LexBound, reverse: bool, offset: int, limit: int
    ) -> list[tuple[float, bytes]]:
        """The (score, member) pairs of a BYLEX range with LIMIT, in reply order."""
        start = self._lex_start(lo, hi, reverse)
        if start is None:
            return []
        if start < 0:
            i, j = self._lex_bisect(lo, hi)
            return limit_positions(self.sl, i, j, offset, limit, reverse)
        # Redis's listpack walk: skip `offset` members unchecked, then take members
        # while they stay within the far bound.
        if offset < 0 or limit == 0:
            return []
        sl = self.sl
        step = -1 if reverse else 1
        pos = start + step * offset
        out: list[tuple[float, bytes]] = []
        while 0 <= pos < len(sl) and limit != 0:
            pair = sl[pos]
            if not (lex_gte_min(pair[1], lo) if reverse else lex_lte_max(pair[1], hi)):
                break
            out.append(pair)
            limit -= 1
            pos += step
        return out

    def _members(self) -> list[bytes]:
        return [m for _, m in self.sl]

    def _lex_start(self, lo: LexBound, hi: LexBound, reverse: bool) -> int | None:
        """Where a BYLEX walk starts: None for an empty range, -1 when every member
        has the same score (the members are then in lexicographic order, and the
        range is a bisection), else the position Redis's listpack walk starts at.

        With different scores Redis's answer is "unspecified"; a listpack finds the
        first member >= min (the last <= max for REV) by a linear walk, and so does
        this, which makes the answer deterministic and exact for small sets.
        """
        sl = self.sl
        n = len(sl)
        if not n or lex_range_empty(lo, hi):
            return None
        if sl[0][0] == sl[-1][0]:
            return -1
        if not lex_gte_min(sl[-1][1], lo) or not lex_lte_max(sl[0][1], hi):
            return None
        members = self._members()
        if not reverse:
            for i, m in enumerate(members):
                if lex_gte_min(m, lo):
                    return i if lex_lte_max(m, hi) else None
            return None
        for i in range(n - 1, -1, -1):
            m = members[i]
            if lex_lte_max(m, hi):
                return i if lex_gte_min(m, lo) else None
        return None

    def _lex_bisect(self, lo: LexBound, hi: LexBound) -> tuple[int, int]:
        sl = self.sl
        score = sl[0][0]
        i = _lex_position(sl, score, lo, True)
        j = _lex_position(sl, score, hi, False)
        return i, max(i, j)

    def encoding(self) -> str:
        """OBJECT ENCODING."""
        return "listpack" if self.lp is not None else "skiplist"

    def copy(self) -> ZSet:
        """An independent copy (COPY keeps the encoding, as Redis's zsetDup; a packed
        set shares its immutable bytes)."""
        new = ZSet()
        if self.lp is None:
            new.lp, new._d, new._sl = None, dict(self._d), SortedList(self._sl)  # type: ignore[arg-type]
        else:
            new.lp = self.lp
        new.mem = self.mem
        return new

    def dump_state(self) -> Any:
        """[listpack flag, [member, score, ...]] for msgpack."""
        return [self.lp is not None, [x for score, member in self.sl for x in (member, score)]]

    @classmethod
    def load_state(cls, state: Any) -> ZSet:
        """Inverse of dump_state.  The encoding is chosen afresh from the contents, as
        Redis's RDB loading does: a small set made a skiplist by SORT comes back packed."""
        _, flat = state
        return cls.of((bytes(flat[i]), float(flat[i + 1])) for i in range(0, len(flat), 2))

    @classmethod
    def of(cls, pairs: Iterable[tuple[bytes, float]]) -> ZSet:
        """A new sorted set holding (member, score) `pairs` (later pairs win), packed
        if it fits (the *STORE results, RESTORE)."""
        d: dict[bytes, float] = {}
        for member, score in pairs:
            d[member] = score
        new = cls()
        if len(d) <= ZSET_MAX_LISTPACK_ENTRIES and all(len(m) <= ZSET_MAX_LISTPACK_VALUE for m in d):
            new._set_lp(_lp_pack(sorted((0.0 if s == 0.0 else s, m) for m, s in d.items())))
            return new
        new.lp, new._d = None, d
        new._sl = SortedList((s, m) for m, s in d.items())
        new.mem = ZSET_BASE_BYTES + sum(ZSET_ENTRY_BYTES + len(m) for m in d)
        return new

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        """ZSCAN step over members (the whole set at once while listpack-encoded, as Redis)."""
        if self.lp is not None:
            return 0, packed.keys(self.lp)
        if self._scan is None:
            self._scan = ScanOrder()
        return self._scan.scan(self._d, self.version, cursor, count)  # type: ignore[arg-type]

    def check(self) -> None:
        """Assert the invariants (tests call this after random operations)."""
        d, sl = self._view()
        sl._check()
        assert len(d) == len(sl) == len(self)
        for score, member in sl:
            assert d[member] == score and not math.isnan(score)
        if self.lp is not None:
            assert len(d) <= ZSET_MAX_LISTPACK_ENTRIES
            assert all(len(m) <= ZSET_MAX_LISTPACK_VALUE for m in d)
            assert self.lp == _lp_pack(list(sl))
            assert self.mem == ZSET_LISTPACK_BASE_BYTES + len(self.lp)
        else:
            assert self.mem == ZSET_BASE_BYTES + sum(ZSET_ENTRY_BYTES + len(m) for m in d)


_VIEW: tuple[bytes | None, dict[bytes, float], SortedList] = (None, {}, SortedList())
"""(packed bytes, its dict, its SortedList): the last packed set decoded, so that a
run of reads on one small set decodes it once.  Keyed by the immutable bytes object,
it is never stale; replaced whole (one assignment), it is safe across threads."""


def _lp_entry(member: bytes, score: float) -> bytes:
    """One packed entry; a listpack stores a score of -0 as the integer 0."""
    if score == 0.0:
        score = 0.0
    return b"\x00" + packed.escape(member) + b"\x01" + repr(float(score)).encode()


_LP_FORMATS: dict[int, bytes] = {}


def _lp_format(n: int) -> bytes:
    """The ``bytes %`` format of `n` entries, member then float score (``%r`` is the
    float's repr, as _lp_entry writes it)."""
    fmt = _LP_FORMATS.get(n)
    if fmt is None:
        fmt = _LP_FORMATS[n] = b"\x00%b\x01%r" * n
    return fmt


def _lp_pack(pairs: list[tuple[float, bytes]]) -> bytes:
    """The packed form of (score, member) `pairs`, already in order."""
    return b"".join([_lp_entry(m, s) for s, m in pairs])


def _entry_key(entry: bytes) -> tuple[float, bytes]:
    member, score = entry.split(b"\x01")
    return float(score), packed.unescape(member)


def _lp_insert(lp: bytes, member: bytes, score: float) -> bytes:
    """`lp` with the new `member` inserted at its (score, member) position: the scores
    decoded in one C-speed pass (replace, split, map float) and bisected, members
    compared only among equal scores."""
    entry = _lp_entry(member, score)
    if score == 0.0:
        score = 0.0
    if not lp:
        return entry
    last = lp.rfind(b"\x00")
    if _entry_key(lp[last + 1:]) < (score, member):  # ascending inserts: append
        return lp + entry
    flat = lp[1:].replace(b"\x01", b"\x00").split(b"\x00")
    scores = list(map(float, flat[1::2]))
    i = bisect_left(scores, score)
    j = bisect_right(scores, score, i)
    while i < j and packed.unescape(flat[2 * i]) < member:
        i += 1
    entries = lp[1:].split(b"\x00")
    entries.insert(i, entry[1:])
    return b"\x00" + b"\x00".join(entries)


# -- argument parsing -------------------------------------------------------------------------
_C_SPACE = b" \t\n\v\f\r"


def overflowed(text: bytes, f: float) -> bool:
    """True when strtod gave `f` for `text` with ERANGE because the value overflowed
    to infinity or underflowed to zero (1e400, 1e-400)."""
    body = text.lstrip(_C_SPACE).lstrip(b"+-").lower()
    if math.isinf(f):
        return not body.startswith(b"inf")
    if f == 0.0:
        if body.startswith(b"0x"):
            return body[2:].split(b"p")[0].strip(b"0.") != b""
        return body.split(b"e")[0].strip(b"0.") != b""
    return False


def parse_score(arg: bytes) -> float | None:
    """Redis's getDoubleFromObject: strtod, no spaces, no NaN, and no overflow to
    infinity or underflow to zero (ERANGE); None when invalid."""
    f = parse_float(arg)
    if f is None or overflowed(arg, f):
        return None
    return f


def get_score(arg: bytes, message: str = NOT_FLOAT) -> float:
    """parse_score or raise ``ERR value is not a valid float`` (or `message`)."""
    f = parse_score(arg)
    if f is None:
        raise e.err(message)
    return f


def strtod_whole(text: bytes) -> float | None:
    """strtod over the whole of `text` as zslParseRange uses it: leading
    whitespace allowed, the empty string reads as 0, NaN rejected."""
    if not text:
        return 0.0
    body = text.lstrip(_C_SPACE)
    if not body:
        return None
    return parse_float(body)


def _score_bound(arg: bytes) -> tuple[float, bool]:
    if arg[:1] == b"(":
        f = strtod_whole(arg[1:])
        ex = True
    else:
        f = strtod_whole(arg)
        ex = False
    if f is None:
        raise e.err(MINMAX_NOT_FLOAT)
    return f, ex


def parse_score_range(lo: bytes, hi: bytes) -> tuple[float, bool, float, bool]:
    """Redis's zslParseRange: ``(`` makes a bound exclusive; ``-inf``/``+inf`` work."""
    a, a_ex = _score_bound(lo)
    b, b_ex = _score_bound(hi)
    return a, a_ex, b, b_ex


# A lex bound: (kind, value, exclusive); kind -1 is "-" (below everything), +1 is
# "+" (above everything), 0 an ordinary string.
LexBound = tuple[int, bytes, bool]


def _lex_item(arg: bytes) -> LexBound:
    first = arg[:1]
    if first == b"+" and len(arg) == 1:
        return 1, b"", True
    if first == b"-" and len(arg) == 1:
        return -1, b"", True
    if first == b"(":
        return 0, arg[1:], True
    if first == b"[":
        return 0, arg[1:], False
    raise e.err(MINMAX_NOT_LEX)


def parse_lex_range(lo: bytes, hi: bytes) -> tuple[LexBound, LexBound]:
    """Redis's zslParseLexRange: ``[x`` inclusive, ``(x`` exclusive, ``-`` and ``+``."""
    return _lex_item(lo), _lex_item(hi)


def _lex_cmp(a: LexBound, b: LexBound) -> int:
    """Redis's sdscmplex between two bounds."""
    if a[0] == b[0] and (a[0] != 0 or a[1] == b[1]):
        return 0
    if a[0] == -1 or b[0] == 1:
        return -1
    if a[0] == 1 or b[0] == -1:
        return 1
    return -1 if a[1] < b[1] else 1


def lex_range_empty(lo: LexBound, hi: LexBound) -> bool:
    """True for a range that can hold nothing (min > max, or min == max with an exclusion)."""
    cmp = _lex_cmp(lo, hi)
    return cmp > 0 or (cmp == 0 and (lo[2] or hi[2]))


def lex_gte_min(member: bytes, lo: LexBound) -> bool:
    """member >= min (or > for an exclusive min)."""
    if lo[0]:
        return lo[0] < 0
    return member > lo[1] if lo[2] else member >= lo[1]


def lex_lte_max(member: bytes, hi: LexBound) -> bool:
    """member <= max (or < for an exclusive max)."""
    if hi[0]:
        return hi[0] > 0
    return member < hi[1] if hi[2] else member <= hi[1]


def _lex_position(sl: SortedList, score: float, bound: LexBound, is_min: bool) -> int:
    """Position of a lex bound in a list whose members all have `score`."""
    kind, value, ex = bound
    if kind:
        return 0 if kind < 0 else len(sl)
    if is_min:
        return sl.bisect_right((score, value)) if ex else sl.bisect_left((score, value))  # type: ignore[no-any-return]
    return sl.bisect_left((score, value)) if ex else sl.bisect_right((score, value))  # type: ignore[no-any-return]


# -- helpers ------------------------------------------------------------------------------------
def _get_zset(c: Client, key: bytes, write: bool = False) -> ZSet | None:
    return c.db.get_typed(key, ZSet, write)  # type: ignore[no-any-return]


def _new_key(c: Client, key: bytes, zs: ZSet) -> None:
    c.db.table.set(key, zs, -1, c.server.now)


def _flat(pairs: Iterable[tuple[float, bytes]], withscores: bool) -> list[bytes]:
    """(score, member) pairs as Redis's RESP2 reply: members, or member, score, ..."""
    if not withscores:
        return [m for _, m in pairs]
    out: list[bytes] = []
    for score, member in pairs:
        out.append(member)
        out.append(format_double(score))
    return out


def _store(c: Client, dest: bytes, pairs: Iterable[tuple[bytes, float]]) -> int:
    """Write a *STORE result: replaces `dest` whatever its type; deleted when empty."""
    zs = ZSet.of(pairs)
    db = c.db
    if len(zs):
        db.lookup_write(dest)
        db.table.delete(dest)
        db.set(dest, zs)
    else:
        db.delete(dest)
    return len(zs)


def _normalize_rank(start: int, end: int, n: int) -> tuple[int, int] | None:
    """Redis's index normalisation of rank ranges; None for an empty range."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = max(start, 0)
    if start > end or start >= n:
        return None
    return start, min(end, n - 1)


# -- ZADD and ZINCRBY -----------------------------------------------------------------------------
def _zadd_generic(c: Client, argv: Argv, incr: bool) -> Reply:
    """Implements ZADD and ZINCRBY (which is ZADD ... INCR without options)."""
    key = argv[1]
    nx = xx = gt = lt = ch = False
    j = 2
    n = len(argv)
    while j < n:
        opt = argv[j].upper()
        if opt == b"NX":
            nx = True
        elif opt == b"XX":
            xx = True
        elif opt == b"CH":
            ch = True
        elif opt == b"INCR":
            incr = True
        elif opt == b"GT":
            gt = True
        elif opt == b"LT":
            lt = True
        else:
            break
        j += 1
    elements = n - j
    if elements % 2 or not elements:
        raise e.syntax()
    elements //= 2
    if nx and xx:
        raise e.err("XX and NX options at the same time are not compatible")
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise e.err("GT, LT, and/or NX options at the same time are not compatible")
    if incr and elements > 1:
        raise e.err("INCR option supports a single increment-element pair")
    scores = [get_score(argv[j + 2 * i]) for i in range(elements)]
    zs = _get_zset(c, key, True)
    added = updated = processed = 0
    score = 0.0
    if zs is None and xx:
        return None if incr else 0
    created = zs is None
    if zs is None:
        zs = ZSet()
        if not (nx or xx or lt or gt or incr) and zs.fill(scores, argv[j + 1 : j + 2 * elements : 2]):
            _new_key(c, key, zs)  # a new set packed in one go
            c.db.modified(key, zs)
            return elements
    for i in range(elements):
        score = scores[i]
        member = argv[j + 2 * i + 1]
        cur = zs.score(member)
        if cur is not None:
            if nx:
                continue
            if incr:
                score += cur
                if math.isnan(score):
                    raise e.err(NAN_RESULT)  # INCR takes one pair: nothing changed yet
            if (lt and score >= cur) or (gt and score <= cur):
                continue
            processed += 1
            if score != cur:
                zs.add(member, score)
                updated += 1
        elif not xx:
            zs.add(member, score)
            added += 1
            processed += 1
    if created and len(zs):
        _new_key(c, key, zs)
    if added or updated:
        c.db.modified(key, zs)
    if incr:
        return format_double(score) if processed else None
    return added + updated if ch else added


@command("ZADD", -4, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def zadd_command(c: Client, argv: Argv) -> Reply:
    """ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]"""
    return _zadd_generic(c, argv, False)


@command("ZINCRBY", 4, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def zincrby_command(c: Client, argv: Argv) -> Reply:
    """ZINCRBY key increment member"""
    return _zadd_generic(c, argv, True)


# -- simple reads and removal ------------------------------------------------------------------------
@command("ZREM", -3, WRITE | FAST, keys=(1, 1, 1))
def zrem_command(c: Client, argv: Argv) -> Reply:
    """ZREM key member [member ...]"""
    key = argv[1]
    zs = _get_zset(c, key, True)
    if zs is None:
        return 0
    removed = sum(1 for m in argv[2:] if zs.remove(m))
    if removed:
        c.db.modified(key, zs)
    return removed


@command("ZCARD", 2, READONLY | FAST, keys=(1, 1, 1))
def zcard_command(c: Client, argv: Argv) -> Reply:
    """ZCARD key"""
    zs = _get_zset(c, argv[1])
    return 0 if zs is None else len(zs)


@command("ZSCORE", 3, READONLY | FAST, keys=(1, 1, 1))
def zscore_command(c: Client, argv: Argv) -> Reply:
    """ZSCORE key member"""
    zs = c.db.get_typed(argv[1], ZSet, False)
    if zs is None:
        return None
    score = zs.score(argv[2])
    return None if score is None else format_double(score)


@command("ZMSCORE", -3, READONLY | FAST, keys=(1, 1, 1))
def zmscore_command(c: Client, argv: Argv) -> Reply:
    """ZMSCORE key member [member ...]"""
    zs = _get_zset(c, argv[1])
    d = zs.d if zs is not None else {}
    out: list[bytes | None] = []
    for m in argv[2:]:
        score = d.get(m)
        out.append(None if score is None else format_double(score))
    return out


def _rank_generic(c: Client, argv: Argv, reverse: bool) -> Reply:
    """Implements ZRANK and ZREVRANK (Redis 7.0: no WITHSCORE)."""
    zs = _get_zset(c, argv[1])
    if zs is None:
        return None
    rank = zs.rank(argv[2])
    if rank is None:
        return None
    return len(zs) - 1 - rank if reverse else rank


@command("ZRANK", 3, READONLY | FAST, keys=(1, 1, 1))
def zrank_command(c: Client, argv: Argv) -> Reply:
    """ZRANK key member"""
    return _rank_generic(c, argv, False)


@command("ZREVRANK", 3, READONLY | FAST, keys=(1, 1, 1))
def zrevrank_command(c: Client, argv: Argv) -> Reply:
    """ZREVRANK key member"""
    return _rank_generic(c, argv, True)


@command("ZCOUNT", 4, READONLY | FAST, keys=(1, 1, 1))
def zcount_command(c: Client, argv: Argv) -> Reply:
    """ZCOUNT key min max"""
    lo, lo_ex, hi, hi_ex = parse_score_range(argv[2], argv[3])
    zs = _get_zset(c, argv[1])
    if zs is None:
        return 0
    i, j = zs.score_range(lo, lo_ex, hi, hi_ex)
    return j - i


@command("ZLEXCOUNT", 4, READONLY | FAST, keys=(1, 1, 1))
def zlexcount_command(c: Client, argv: Argv) -> Reply:
    """ZLEXCOUNT key min max"""
    lo, hi = parse_lex_range(argv[2], argv[3])
    zs = _get_zset(c, argv[1])
    if zs is None:
        return 0
    i, j = zs.lex_range(lo, hi)
    return j - i


# -- ranges -----------------------------------------------------------------------------------------
RANK, SCORE, LEX = 0, 1, 2


def _zrange_generic(
    c: Client, argv: Argv, src_idx: int, store: bool, rangetype: int | None, reverse: bool | None
) -> Reply:
    """Implements ZRANGE, ZRANGESTORE, ZREVRANGE, Z[REV]RANGEBYSCORE and Z[REV]RANGEBYLEX.

    `rangetype` and `reverse` are None where the options may choose them (ZRANGE,
    ZRANGESTORE); the older commands fix them and refuse the options.
    """
    key = argv[src_idx]
    withscores = False
    offset, limit = 0, -1
    n = len(argv)
    j = src_idx + 3
    while j < n:
        opt = argv[j].upper()
        left = n - j - 1
        if not store and opt == b"WITHSCORES":
            withscores = True
        elif opt == b"LIMIT" and left >= 2:
            offset = get_int(argv[j + 1])
            limit = get_int(argv[j + 2])
            j += 2
        elif reverse is None and opt == b"REV":
            reverse = True
        elif rangetype is None and opt == b"BYLEX":
            rangetype = LEX
        elif rangetype is None and opt == b"BYSCORE":
            rangetype = SCORE
        else:
            raise e.syntax()
        j += 1
    reverse = bool(reverse)
    if rangetype is None:
        rangetype = RANK
    if limit != -1 and rangetype == RANK:
        raise e.err("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    if withscores and rangetype == LEX:
        raise e.err("syntax error, WITHSCORES not supported in combination with BYLEX")
    lo_arg, hi_arg = argv[src_idx + 1], argv[src_idx + 2]
    if reverse and rangetype != RANK:
        lo_arg, hi_arg = hi_arg, lo_arg  # given as max, min
    if rangetype == RANK:
        start, end = get_int(lo_arg), get_int(hi_arg)
    elif rangetype == SCORE:
        srange = parse_score_range(lo_arg, hi_arg)
    else:
        lrange = parse_lex_range(lo_arg, hi_arg)
    zs = _get_zset(c, key)
    pairs: list[tuple[float, bytes]] = []
    if zs is not None:
        sl = zs.sl
        if rangetype == RANK:
            bounds = _normalize_rank(start, end, len(zs))
            if bounds is not None:
                if reverse:
                    size = len(zs)
                    pairs = list(sl.islice(size - 1 - bounds[1], size - bounds[0], reverse=True))
                else:
                    pairs = list(sl.islice(bounds[0], bounds[1] + 1))
        else:
            if rangetype == SCORE:
                i, k = zs.score_range(*srange)
                pairs = limit_positions(sl, i, k, offset, limit, reverse)
            else:
                pairs = zs.lex_select(lrange[0], lrange[1], reverse, offset, limit)
    if store:
        return _store(c, argv[1], ((m, s) for s, m in pairs))
    return _flat(pairs, withscores)


def limit_positions(sl: SortedList, i: int, k: int, offset: int, limit: int, reverse: bool) -> list[tuple[float, bytes]]:
    """Positions [i, k) cut by LIMIT offset count as Redis walks them (a negative
    offset skips everything, a negative count means all)."""
    if offset < 0 or limit == 0 or i >= k:
        return []
    if not reverse:
        start = i + offset
        stop = k if limit < 0 else min(k, start + limit)
        return list(sl.islice(start, stop)) if start < stop else []
    top = k - offset  # exclusive
    bottom = i if limit < 0 else max(i, top - limit)
    return list(sl.islice(bottom, top, reverse=True)) if bottom < top else []


@command("ZRANGE", -4, READONLY, keys=(1, 1, 1))
def zrange_command(c: Client, argv: Argv) -> Reply:
    """ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"""
    return _zrange_generic(c, argv, 1, False, None, None)


@command("ZRANGESTORE", -5, WRITE | DENYOOM, keys=(1, 2, 1))
def zrangestore_command(c: Client, argv: Argv) -> Reply:
    """ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]"""
    return _zrange_generic(c, argv, 2, True, None, None)


@command("ZREVRANGE", -4, READONLY, keys=(1, 1, 1))
def zrevrange_command(c: Client, argv: Argv) -> Reply:
    """ZREVRANGE key start stop [WITHSCORES]"""
    return _zrange_generic(c, argv, 1, False, RANK, True)


@command("ZRANGEBYSCORE", -4, READONLY, keys=(1, 1, 1))
def zrangebyscore_command(c: Client, argv: Argv) -> Reply:
    """ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, False, SCORE, False)


@command("ZREVRANGEBYSCORE", -4, READONLY, keys=(1, 1, 1))
def zrevrangebyscore_command(c: Client, argv: Argv) -> Reply:
    """ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, False, SCORE, True)


@command("ZRANGEBYLEX", -4, READONLY, keys=(1, 1, 1))
def zrangebylex_command(c: Client, argv: Argv) -> Reply:
    """ZRANGEBYLEX key min max [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, False, LEX, False)


@command("ZREVRANGEBYLEX", -4, READONLY, keys=(1, 1, 1))
def zrevrangebylex_command(c: Client, argv: Argv) -> Reply:
    """ZREVRANGEBYLEX key max min [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, False, LEX, True)


# -- removal by range ----------------------------------------------------------------------------------
def _zremrange_generic(c: Client, argv: Argv, rangetype: int) -> Reply:
    """Implements ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX."""
    key = argv[1]
    if rangetype == RANK:
        start, end = get_int(argv[2]), get_int(argv[3])
    elif rangetype == SCORE:
        srange = parse_score_range(argv[2], argv[3])
    else:
        lrange = parse_lex_range(argv[2], argv[3])
    zs = _get_zset(c, key, True)
    if zs is None:
        return 0
    if rangetype == RANK:
        bounds = _normalize_rank(start, end, len(zs))
        if bounds is None:
            return 0
        i, k = bounds[0], bounds[1] + 1
    elif rangetype == SCORE:
        i, k = zs.score_range(*srange)
    else:
        i, k = zs.lex_range(*lrange)
    removed = len(zs.delete_positions(i, k))
    if removed:
        c.db.modified(key, zs)
    return removed


@command("ZREMRANGEBYRANK", 4, WRITE, keys=(1, 1, 1))
def zremrangebyrank_command(c: Client, argv: Argv) -> Reply:
    """ZREMRANGEBYRANK key start stop"""
    return _zremrange_generic(c, argv, RANK)


@command("ZREMRANGEBYSCORE", 4, WRITE, keys=(1, 1, 1))
def zremrangebyscore_command(c: Client, argv: Argv) -> Reply:
    """ZREMRANGEBYSCORE key min max"""
    return _zremrange_generic(c, argv, SCORE)


@command("ZREMRANGEBYLEX", 4, WRITE, keys=(1, 1, 1))
def zremrangebylex_command(c: Client, argv: Argv) -> Reply:
    """ZREMRANGEBYLEX key min max"""
    return _zremrange_generic(c, argv, LEX)


# -- pops, blocking ones included ------------------------------------------------------------------------
def _being_served(c: Client, keys: Iterable[bytes]) -> bool:
    """True while `c` is a blocked client whose command is being re-run for it
    (blocking.serve_ready): it is still in the waiting line of one of `keys`."""
    blocked = c.server.blocked
    if not blocked:
        return False
    db_id = c.db.id
    for key in keys:
        line = blocked.get((db_id, key))
        if line and any(w.client is c for w in line):
            return True
    return False


def _first_zset(c: Client, keys: list[bytes]) -> tuple[bytes, ZSet] | None:
    """The first of `keys` holding a sorted set; WRONGTYPE for another type met first.

    A blocked client being served skips keys of another type instead, as Redis
    serves a client blocked on sorted sets only from sorted sets.
    """
    for key in keys:
        value = c.db.lookup_write(key)
        if value is None:
            continue
        if type(value) is not ZSet:
            if _being_served(c, keys):
                continue
            raise e.wrongtype()
        return key, value
    return None


def _pop(c: Client, key: bytes, zs: ZSet, count: int, highest: bool) -> list[tuple[float, bytes]]:
    """Remove up to `count` members from the low (or high) end, in pop order."""
    n = min(count, len(zs))
    if highest:
        popped = zs.delete_positions(len(zs) - n, len(zs))
        popped.reverse()
    else:
        popped = zs.delete_positions(0, n)
    c.db.modified(key, zs)
    return popped


def _zpop_generic(c: Client, argv: Argv, highest: bool) -> Reply:
    """Implements ZPOPMIN and ZPOPMAX."""
    if len(argv) > 3:
        raise e.syntax()
    count = -1
    if len(argv) == 3:
        count = get_int(argv[2], POSITIVE)
        if count < 0:
            raise e.err(POSITIVE)
    found = _first_zset(c, [argv[1]])
    if found is None or count == 0:
        return []
    key, zs = found
    return _flat(_pop(c, key, zs, 1 if count == -1 else count, highest), True)


@command("ZPOPMIN", -2, WRITE | FAST, keys=(1, 1, 1))
def zpopmin_command(c: Client, argv: Argv) -> Reply:
    """ZPOPMIN key [count]"""
    return _zpop_generic(c, argv, False)


@command("ZPOPMAX", -2, WRITE | FAST, keys=(1, 1, 1))
def zpopmax_command(c: Client, argv: Argv) -> Reply:
    """ZPOPMAX key [count]"""
    return _zpop_generic(c, argv, True)


def _pop_name(highest: bool) -> bytes:
    return b"ZPOPMAX" if highest else b"ZPOPMIN"


def _blocking_zpop(c: Client, argv: Argv, highest: bool) -> Reply:
    """Implements BZPOPMIN and BZPOPMAX: [key, member, score] or nil on timeout."""
    timeout = parse_timeout(argv[-1])
    keys = argv[1:-1]
    found = _first_zset(c, keys)
    if found is not None:
        key, zs = found
        popped = _pop(c, key, zs, 1, highest)
        # Log what happened: a plain pop from the key that was served.
        c.prop = [[_pop_name(highest), key]]
        return [key, *_flat(popped, True)]
    if may_block(c):
        raise Block(keys, deadline_from(c, timeout))
    return None


@command("BZPOPMIN", -3, WRITE | NOSCRIPT | BLOCKING | FAST, keys=(1, -2, 1))
def bzpopmin_command(c: Client, argv: Argv) -> Reply:
    """BZPOPMIN key [key ...] timeout"""
    return _blocking_zpop(c, argv, False)


@command("BZPOPMAX", -3, WRITE | NOSCRIPT | BLOCKING | FAST, keys=(1, -2, 1))
def bzpopmax_command(c: Client, argv: Argv) -> Reply:
    """BZPOPMAX key [key ...] timeout"""
    return _blocking_zpop(c, argv, True)


def _mpop_args(argv: Argv, first: int) -> tuple[list[bytes], bool, int]:
    """numkeys key... MIN|MAX [COUNT n] of ZMPOP/BZMPOP, from argv[first]."""
    numkeys = get_int(argv[first], "numkeys should be greater than 0")
    if numkeys <= 0:
        raise e.err("numkeys should be greater than 0")
    where = first + numkeys + 1
    if where >= len(argv):
        raise e.syntax()
    side = argv[where].upper()
    if side not in (b"MIN", b"MAX"):
        raise e.syntax()
    count = -1
    j = where + 1
    while j < len(argv):
        if count == -1 and argv[j].upper() == b"COUNT" and j + 1 < len(argv):
            count = get_int(argv[j + 1], "count should be greater than 0")
            if count <= 0:
                raise e.err("count should be greater than 0")
            j += 2
        else:
            raise e.syntax()
    return argv[first + 1: where], side == b"MAX", max(count, 1)


def _mpop(c: Client, keys: list[bytes], highest: bool, count: int) -> Reply:
    found = _first_zset(c, keys)
    if found is None:
        return None
    key, zs = found
    popped = _pop(c, key, zs, count, highest)
    c.prop = [[_pop_name(highest), key, b"%d" % len(popped)]]
    return [key, [[m, format_double(s)] for s, m in popped]]


@command("ZMPOP", -4, WRITE | MOVABLEKEYS, keys=(0, 0, 0))
def zmpop_command(c: Client, argv: Argv) -> Reply:
    """ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]"""
    keys, highest, count = _mpop_args(argv, 1)
    return _mpop(c, keys, highest, count)


@command("BZMPOP", -5, WRITE | BLOCKING | MOVABLEKEYS, keys=(0, 0, 0))
def bzmpop_command(c: Client, argv: Argv) -> Reply:
    """BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]"""
    keys, highest, count = _mpop_args(argv, 2)
    timeout = parse_timeout(argv[1])
    reply = _mpop(c, keys, highest, count)
    if reply is None and may_block(c):
        raise Block(keys, deadline_from(c, timeout))
    return reply


# -- random members ------------------------------------------------------------------------------------------
_LONG_MAX = LLONG_MAX


@command("ZRANDMEMBER", -2, READONLY, keys=(1, 1, 1))
def zrandmember_command(c: Client, argv: Argv) -> Reply:
    """ZRANDMEMBER key [count [WITHSCORES]]"""
    rnd = random_source()
    if len(argv) >= 3:
        count = get_range_long(argv[2], -_LONG_MAX, _LONG_MAX)
        if len(argv) > 4 or (len(argv) == 4 and argv[3].upper() != b"WITHSCORES"):
            raise e.syntax()
        withscores = len(argv) == 4
        if withscores and not -(_LONG_MAX // 2) <= count <= _LONG_MAX // 2:
            raise e.err("value is out of range")
        zs = _get_zset(c, argv[1])
        if zs is None or count == 0:
            return []
        sl = zs.sl
        n = len(sl)
        if count < 0:
            check_reply_items(-count * (2 if withscores else 1))
            pairs = [sl[rnd.randrange(n)] for _ in range(-count)]
        elif count >= n:
            pairs = list(sl)
            rnd.shuffle(pairs)
        else:
            pairs = [sl[i] for i in rnd.sample(range(n), count)]
        return _flat(pairs, withscores)
    zs = _get_zset(c, argv[1])
    if zs is None:
        return None
    return zs.sl[rnd.randrange(len(zs))][1]


# -- set algebra -------------------------------------------------------------------------------------------
UNION, INTER, DIFF = 0, 1, 2
_OP_NAMES = {UNION: "zunion", INTER: "zinter", DIFF: "zdiff"}


class _Source:
    """One input of ZUNION/ZINTER/ZDIFF: a sorted set, a set (every score 1) or nothing."""

    __slots__ = ("value", "weight")

    def __init__(self, value: ZSet | Set | None) -> None:
        self.value = value
        self.weight = 1.0

    def __len__(self) -> int:
        return 0 if self.value is None else len(self.value)

    def items(self) -> Iterator[tuple[bytes, float]]:
        v = self.value
        if v is None:
            return iter(())
        if type(v) is ZSet:
            return ((m, s) for s, m in v.sl)
        return ((m, 1.0) for m in v.s)  # type: ignore[union-attr]

    def find(self, member: bytes) -> float | None:
        v = self.value
        if v is None:
            return None
        if type(v) is ZSet:
            return v.score(member)
        return 1.0 if member in v.s else None  # type: ignore[union-attr]


def _aggregate(target: float, value: float, how: bytes) -> float:
    """Redis's zunionInterAggregate (inf + -inf sums to 0, not NaN)."""
    if how == b"SUM":
        target = target + value
        return 0.0 if math.isnan(target) else target
    if how == b"MIN":
        return value if value < target else target
    return value if value > target else target


def _setop_generic(c: Client, argv: Argv, dest: bytes | None, numkeys_idx: int, op: int,
                   card_only: bool = False) -> Reply:
    """Implements ZUNION, ZINTER, ZDIFF, their *STORE forms and ZINTERCARD."""
    name = argv[0].decode("utf-8", "replace").lower()
    setnum = get_int(argv[numkeys_idx])
    if setnum < 1:
        raise e.err(f"at least 1 input key is needed for '{name}' command")
    if setnum > len(argv) - numkeys_idx - 1:
        raise e.syntax()
    srcs: list[_Source] = []
    j = numkeys_idx + 1
    for key in argv[j: j + setnum]:
        value = c.db.lookup_read(key)
        if value is not None and type(value) is not ZSet and type(value) is not Set:
            raise e.wrongtype()
        srcs.append(_Source(value))
    j += setnum
    how = b"SUM"
    withscores = False
    limit = 0
    n = len(argv)
    while j < n:
        remaining = n - j
        opt = argv[j].upper()
        if op != DIFF and not card_only and remaining >= setnum + 1 and opt == b"WEIGHTS":
            for i in range(setnum):
                srcs[i].weight = get_score(argv[j + 1 + i], "weight value is not a float")
            j += setnum + 1
        elif op != DIFF and not card_only and remaining >= 2 and opt == b"AGGREGATE":
            how = argv[j + 1].upper()
            if how not in (b"SUM", b"MIN", b"MAX"):
                raise e.syntax()
            j += 2
        elif dest is None and not card_only and opt == b"WITHSCORES":
            withscores = True
            j += 1
        elif card_only and remaining >= 2 and opt == b"LIMIT":
            limit = get_int(argv[j + 1], "LIMIT can't be negative")
            if limit < 0:
                raise e.err("LIMIT can't be negative")
            j += 2
        else:
            raise e.syntax()
    result: dict[bytes, float] = {}
    if op == DIFF:
        first = srcs[0]
        others = srcs[1:]
        for member, score in first.items():
            if not any(o.find(member) is not None for o in others):
                result[member] = score
    else:
        # Smallest inputs first, as Redis orders them (the order of a float SUM).
        ordered = sorted(srcs, key=len)
        if op == INTER:
            if len(ordered[0]):
                cardinality = 0
                base = ordered[0]
                for member, score0 in base.items():
                    score = base.weight * score0
                    if math.isnan(score):
                        score = 0.0
                    for other in ordered[1:]:
                        value = other.find(member)
                        if value is None:
                            break
                        score = _aggregate(score, value * other.weight, how)
                    else:
                        if card_only:
                            cardinality += 1
                            if limit and cardinality >= limit:
                                break
                        else:
                            result[member] = score
                if card_only:
                    return cardinality
            elif card_only:
                return 0
        else:
            for src in ordered:
                weight = src.weight
                for member, score0 in src.items():
                    score = weight * score0
                    if math.isnan(score):
                        score = 0.0
                    old = result.get(member)
                    result[member] = score if old is None else _aggregate(old, score, how)
    if dest is not None:
        return _store(c, dest, result.items())
    ordered_pairs = sorted((s, m) for m, s in result.items())
    return _flat(ordered_pairs, withscores)


@command("ZUNION", -3, READONLY | MOVABLEKEYS, keys=(0, 0, 0))
def zunion_command(c: Client, argv: Argv) -> Reply:
    """ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"""
    return _setop_generic(c, argv, None, 1, UNION)


@command("ZINTER", -3, READONLY | MOVABLEKEYS, keys=(0, 0, 0))
def zinter_command(c: Client, argv: Argv) -> Reply:
    """ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"""
    return _setop_generic(c, argv, None, 1, INTER)


@command("ZDIFF", -3, READONLY | MOVABLEKEYS, keys=(0, 0, 0))
def zdiff_command(c: Client, argv: Argv) -> Reply:
    """ZDIFF numkeys key [key ...] [WITHSCORES]"""
    return _setop_generic(c, argv, None, 1, DIFF)


@command("ZUNIONSTORE", -4, WRITE | DENYOOM | MOVABLEKEYS, keys=(1, 1, 1))
def zunionstore_command(c: Client, argv: Argv) -> Reply:
    """ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]"""
    return _setop_generic(c, argv, argv[1], 2, UNION)


@command("ZINTERSTORE", -4, WRITE | DENYOOM | MOVABLEKEYS, keys=(1, 1, 1))
def zinterstore_command(c: Client, argv: Argv) -> Reply:
    """ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]"""
    return _setop_generic(c, argv, argv[1], 2, INTER)


@command("ZDIFFSTORE", -4, WRITE | DENYOOM | MOVABLEKEYS, keys=(1, 1, 1))
def zdiffstore_command(c: Client, argv: Argv) -> Reply:
    """ZDIFFSTORE destination numkeys key [key ...]"""
    return _setop_generic(c, argv, argv[1], 2, DIFF)


@command("ZINTERCARD", -3, READONLY | MOVABLEKEYS, keys=(0, 0, 0))
def zintercard_command(c: Client, argv: Argv) -> Reply:
    """ZINTERCARD numkeys key [key ...] [LIMIT limit]"""
    return _setop_generic(c, argv, None, 1, INTER, card_only=True)


# -- ZSCAN -------------------------------------------------------------------------------------------------
@command("ZSCAN", -3, READONLY, keys=(1, 1, 1))
def zscan_command(c: Client, argv: Argv) -> Reply:
    """ZSCAN key cursor [MATCH pattern] [COUNT count]"""
    cursor = parse_cursor(argv[2])
    zs = _get_zset(c, argv[1])
    if zs is None:
        return [b"0", []]
    count, pattern, _ = scan_options(argv, 3, False)
    nxt, members = zs.scan(cursor, count)
    d = zs.d
    out: list[bytes] = []
    for m in members:
        score = d.get(m)
        if score is None or (pattern is not None and not glob_match(pattern, m)):
            continue
        out.append(m)
        out.append(format_double(score))
    return [b"%d" % nxt, out]
