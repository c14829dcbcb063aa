"""The packed encoding of small hashes and sorted sets (Redis's listpack, in spirit).

A packed container is one immutable ``bytes`` object holding its entries in order::

    \\x00 key \\x01 value \\x00 key \\x01 value ...

where ``key`` and ``value`` are escaped so that the bytes 0x00 and 0x01 occur only as
the separators: 0x02 -> 02 12, 0x00 -> 02 10, 0x01 -> 02 11.  Finding a key is then
one ``bytes.find`` of ``\\x00 key \\x01`` (no false match is possible, since every
0x00 starts an entry and every 0x01 ends a key) and the value runs to the next 0x00:
C-speed work with no per-entry Python loop, which measured faster than calling into
a C helper through cffi (a cffi call alone costs about as much as the whole lookup).

A hash stores field -> value in insertion order (as a listpack); a sorted set stores
member -> score text (``repr`` of the float, which round-trips exactly) in
(score, member) order.  Nothing here knows about thresholds: the container classes
decide when to convert (t_hash.Hash, t_zset.ZSet).
"""

from __future__ import annotations

SEP = b"\x00"


class PackedPairs:
    """What Hash and ZSet share: ``lp``, their packed bytes (one SEP per entry), or None
    once converted, when ``_d`` (a dict) holds the entries. Size and truth in O(1) for
    the dict and one C-level count for the bytes."""

    __slots__ = ()
    lp: bytes | None
    _d: dict | None  # type: ignore[type-arg]

    def __len__(self) -> int:
        lp = self.lp
        if lp is None:
            return len(self._d)  # type: ignore[arg-type]
        return lp.count(SEP)

    def __bool__(self) -> bool:
        # Without it, truth tests (the write epilogue's emptiness check) count entries.
        lp = self.lp
        return bool(lp) if lp is not None else bool(self._d)
"""Starts every entry (so ``lp.count(SEP)`` is the number of entries)."""
VSEP = b"\x01"
"""Ends every key."""


def escape(x: bytes) -> bytes:
    """`x` with 0x00, 0x01 and 0x02 escaped (unchanged, and not copied, if it has none)."""
    if 0 in x or 1 in x or 2 in x:
        return x.replace(b"\x02", b"\x02\x12").replace(b"\x00", b"\x02\x10").replace(b"\x01", b"\x02\x11")
    return x


def unescape(x: bytes) -> bytes:
    """Inverse of escape (every 0x02 in an escaped string leads a two-byte code)."""
    if 2 in x:
        return x.replace(b"\x02\x10", b"\x00").replace(b"\x02\x11", b"\x01").replace(b"\x02\x12", b"\x02")
    return x


def lookup(lp: bytes, key: bytes) -> bytes | None:
    """The value stored under `key`, or None."""
    if 0 in key or 1 in key or 2 in key:
        key = escape(key)
    needle = b"\x00" + key + b"\x01"
    pos = lp.find(needle)
    if pos < 0:
        return None
    start = pos + len(needle)
    end = lp.find(b"\x00", start)
    value = lp[start:] if end < 0 else lp[start:end]
    if 2 in value:
        return unescape(value)
    return value


def _span(lp: bytes, key: bytes) -> tuple[int, int, int]:
    """(entry start, value start, entry end) of `key`'s entry; start -1 if absent."""
    needle = b"\x00" + escape(key) + b"\x01"
    pos = lp.find(needle)
    if pos < 0:
        return -1, -1, -1
    start = pos + len(needle)
    end = lp.find(b"\x00", start)
    return pos, start, len(lp) if end < 0 else end


def put(lp: bytes, key: bytes, value: bytes) -> tuple[bytes, bool]:
    """`lp` with `key` set to `value` in place, or appended if new; and whether it is new."""
    pos, start, end = _span(lp, key)
    if pos < 0:
        return lp + b"\x00" + escape(key) + b"\x01" + escape(value), True
    return lp[:start] + escape(value) + lp[end:], False


def remove(lp: bytes, key: bytes) -> bytes | None:
    """`lp` without `key`'s entry, or None if `key` is absent."""
    pos, _, end = _span(lp, key)
    if pos < 0:
        return None
    return lp[:pos] + lp[end:]


def flat(lp: bytes) -> list[bytes]:
    """Every key and value, alternating, in order: one C-speed replace and split."""
    if not lp:
        return []
    out = lp[1:].replace(b"\x01", b"\x00").split(b"\x00")
    if 2 in lp:
        return [unescape(x) for x in out]
    return out


def pairs(lp: bytes) -> list[tuple[bytes, bytes]]:
    """Every (key, value), in order."""
    it = iter(flat(lp))
    return list(zip(it, it))


def keys(lp: bytes) -> list[bytes]:
    """Every key, in order."""
    return flat(lp)[::2]


def values(lp: bytes) -> list[bytes]:
    """Every value, in order."""
    return flat(lp)[1::2]


def has_special(x: bytes) -> bool:
    """Whether `x` holds a byte that escape() rewrites (0x00, 0x01 or 0x02)."""
    return 0 in x or 1 in x or 2 in x


_FORMATS: dict[int, bytes] = {}


def pack_flat(flat_items: list[bytes] | tuple[bytes, ...]) -> bytes:
    """Inverse of flat: one ``bytes %`` format over every key and value (escaped
    first only where some holds a byte 0x00-0x02); the keys must be distinct."""
    n = len(flat_items) // 2
    fmt = _FORMATS.get(n)
    if fmt is None:
        fmt = b"\x00%b\x01%b" * n
        if n <= 1024:
            _FORMATS[n] = fmt
    items = tuple(flat_items)
    if has_special(b"".join(items)):
        items = tuple(map(escape, items))
    return fmt % items


def pack(items: list[tuple[bytes, bytes]]) -> bytes:
    """Inverse of pairs (the keys must be distinct)."""
    return pack_flat([x for pair in items for x in pair])
