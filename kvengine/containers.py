"""What every container type shares: encodings, a size model, and a stable scan.

Small containers are packed in one bytes object (kvengine/packed.py; Redis's listpack
and intset) until they outgrow a threshold, and Python dicts, sets, deques and
SortedLists afterwards, for good: each type's class converts one way, so OBJECT
ENCODING answers as Redis does (docs/architecture.md, "Compact encodings").

SCAN over a container: Redis returns a compact-encoded container whole, with cursor
0, and walks a hash table with its reverse-binary cursor.  Python's dict and set do
not expose buckets, so the hash-table case orders members by their bit-reversed hash
and uses the position in that order as the cursor: the order does not depend on
insertions or deletions, so every member present for the whole scan is returned at
least once, which is Redis's guarantee.  The order is cached per container version.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

_MASK63 = (1 << 63) - 1


def _bitrev63(h: int) -> int:
    return int(f"{h & _MASK63:063b}"[::-1], 2)


class ScanOrder:
    """A container's members in bit-reversed hash order, rebuilt when it changes."""

    __slots__ = ("index", "keys", "version")

    def __init__(self) -> None:
        self.version = -1
        self.index: list[int] = []
        self.keys: list[bytes] = []

    def scan(self, members: Iterable[bytes], version: int, cursor: int, count: int) -> tuple[int, list[bytes]]:
        """(next cursor, members) for a SCAN step over `members` at `version`."""
        if version != self.version:
            pairs = sorted((_bitrev63(hash(m)), m) for m in members)
            self.index = [p[0] for p in pairs]
            self.keys = [p[1] for p in pairs]
            self.version = version
        index, keys = self.index, self.keys
        start = 0 if cursor == 0 else bisect_left(index, cursor - 1)
        end = min(start + count, len(keys))
        while end < len(keys) and index[end] == index[end - 1]:
            end += 1
        nxt = 0 if end >= len(keys) else index[end] + 1
        return nxt, keys[start:end]


def random_source() -> random.Random:
    """The random source of SPOP/SRANDMEMBER/HRANDFIELD (module-level, reseedable in tests)."""
    return _RANDOM


_RANDOM = random.Random()


def sample_distinct(items: list[Any], count: int) -> list[Any]:
    """`count` distinct random items (all of them, shuffled, when count >= len)."""
    if count >= len(items):
        out = list(items)
        _RANDOM.shuffle(out)
        return out
    return _RANDOM.sample(items, count)


def sample_with_repetition(items: list[Any], count: int) -> list[Any]:
    """`count` random items, repetitions allowed (negative COUNT of SRANDMEMBER)."""
    return [items[_RANDOM.randrange(len(items))] for _ in range(count)]
