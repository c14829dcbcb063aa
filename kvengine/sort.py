"""SORT and SORT_RO over lists, sets and sorted sets (Redis's sort.c).

The elements are loaded into a vector, weighted (by themselves, or by the keys a
BY pattern names), sorted, cut by LIMIT, and replied or stored, each element
replaced by what the GET patterns name.  Redis's choices that show are kept:

- ``BY`` with a pattern that has no ``*`` (``BY nosort``) skips sorting: lists
  and sorted sets come in their own order (reversed by DESC), sets in their
  iteration order, except with STORE or inside a script, where a set is sorted
  ALPHA so the result is reproducible;
- numeric weights are parsed by strtod (leading blanks, ``0x``, ``inf`` accepted;
  trailing garbage, NaN and out-of-range values refused with "One or more scores
  can't be converted into double"), equal weights are ordered by the element's
  bytes, and a missing BY key weighs 0 (or sorts first with ALPHA);
- sorting a listpack-encoded sorted set converts it to a skiplist for good.

SORT ... STORE is logged as what it wrote (DEL + RPUSH of the result), not as a
command whose tie order a replay might not reproduce.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from kvengine import exceptions as e
from kvengine.commands import DENYOOM, MOVABLEKEYS, READONLY, WRITE, Argv, Reply, command
from kvengine.t_hash import Hash
from kvengine.t_list import List
from kvengine.t_set import Set
from kvengine.t_zset import ZSet, overflowed, strtod_whole
from kvengine.util import get_int

if TYPE_CHECKING:
    from kvengine.client import Client

CANT_CONVERT = "One or more scores can't be converted into double"
_DBL_MIN = sys.float_info.min


def sort_weight(value: bytes) -> float | None:
    """A numeric weight as SORT's strtod reads it, or None (errno ERANGE included:
    overflow, underflow to zero, and subnormal results).  Redis hands the value to
    strtod as a C string, so a NUL byte ends it."""
    value = value.split(b"\0", 1)[0]
    f = strtod_whole(value)
    if f is None or overflowed(value, f) or (f != 0.0 and abs(f) < _DBL_MIN):
        return None
    return f


def lookup_by_pattern(c: Client, pattern: bytes, subst: bytes) -> bytes | None:
    """Redis's lookupKeyByPattern: ``#`` is the element itself; otherwise the first
    ``*`` is replaced by the element and the string at that key is read, or, with
    ``key->field`` after the ``*``, that field of the hash.  None when absent, of
    another type, or when the pattern has no ``*``."""
    if pattern == b"#":
        return subst
    star = pattern.find(b"*")
    if star < 0:
        return None
    arrow = pattern.find(b"->", star + 1)
    field = None
    if arrow >= 0 and arrow + 2 < len(pattern):
        field = pattern[arrow + 2:]
        postfix = pattern[star + 1: arrow]
    else:
        postfix = pattern[star + 1:]
    key = pattern[:star] + subst + postfix
    value = c.db.lookup_read(key)
    if value is None:
        return None
    if field is not None:
        if type(value) is not Hash:
            return None
        return value.get(field)
    return value if type(value) is bytes else None


def _limits(limit_start: int, limit_count: int, n: int) -> tuple[int, int]:
    """Redis's LIMIT sanity: inclusive [start, end] over n elements (end < start: none)."""
    start = max(limit_start, 0)
    end = n - 1 if limit_count < 0 else start + limit_count - 1
    if start >= n:
        start, end = n - 1, n - 2
    end = min(end, n - 1)
    return start, end


def sort_generic(c: Client, argv: Argv, readonly: bool) -> Reply:
    """Implements SORT and SORT_RO."""
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    sortby: bytes | None = None
    storekey: bytes | None = None
    gets: list[bytes] = []
    n = len(argv)
    j = 2
    while j < n:
        opt = argv[j].upper()
        left = n - j - 1
        if opt == b"ASC":
            desc = False
        elif opt == b"DESC":
            desc = True
        elif opt == b"ALPHA":
            alpha = True
        elif opt == b"LIMIT" and left >= 2:
            limit_start = get_int(argv[j + 1])
            limit_count = get_int(argv[j + 2])
            j += 2
        elif not readonly and opt == b"STORE" and left >= 1:
            storekey = argv[j + 1]
            j += 1
        elif opt == b"BY" and left >= 1:
            sortby = argv[j + 1]
            dontsort = dontsort or b"*" not in sortby  # sticky, as in Redis
            j += 1
        elif opt == b"GET" and left >= 1:
            gets.append(argv[j + 1])
            j += 1
        else:
            raise e.syntax()
        j += 1

    value = c.db.lookup_read(argv[1])
    kind = type(value)
    if value is not None and kind not in (List, Set, ZSet):
        raise e.wrongtype()
    if value is None:
        kind = List
    if dontsort and kind is Set and (storekey is not None or c.in_script):
        # A set's order is its hash table's: sort it so the result is reproducible.
        dontsort, alpha, sortby = False, True, None
    if kind is ZSet:
        value.convert()  # Redis converts a sorted set to a skiplist to sort it

    total = 0 if value is None else len(value)
    start, end = _limits(limit_start, limit_count, total)
    if dontsort and kind is not Set:
        # Lists and sorted sets keep their own order (DESC reverses it); LIMIT picks the range.
        if kind is List:
            items = [] if value is None else list(value.q)
        else:
            items = [m for _, m in value.sl]
        if desc:
            items.reverse()
        vector = items[start: end + 1] if end >= start else []
        start, end = 0, len(vector) - 1
    elif value is None:
        vector = []
    elif kind is Set:
        vector = _set_order(value)
    elif kind is List:
        vector = list(value.q)
    else:
        vector = list(value.d)

    if not dontsort:
        vector = _sorted(c, vector, sortby, alpha, desc, storekey is not None)

    chosen = vector[start: end + 1] if end >= start else []
    if storekey is None:
        if not gets:
            return chosen
        return [lookup_by_pattern(c, g, elem) for elem in chosen for g in gets]
    if gets:
        stored = [lookup_by_pattern(c, g, elem) or b"" for elem in chosen for g in gets]
    else:
        stored = chosen
    db = c.db
    if stored:
        db.lookup_write(storekey)
        db.table.delete(storekey)
        db.set(storekey, List(stored))
        # Log what happened: the stored list, whatever order ties took.
        c.prop = [[b"DEL", storekey], [b"RPUSH", storekey, *stored]]
    elif db.delete(storekey):
        c.prop = [[b"DEL", storekey]]
    return len(stored)


def _set_order(s: Set) -> list[bytes]:
    """A set's iteration order: ascending integers while it is an intset (as
    Redis's intset), the hash order otherwise."""
    return s.members()


def _sorted(c: Client, vector: list[bytes], sortby: bytes | None, alpha: bool, desc: bool,
            store: bool) -> list[bytes]:
    """Redis's sortCompare over the vector (a stable sort, like glibc's qsort)."""
    if alpha:
        if sortby is None:
            return sorted(vector, reverse=desc)
        # Elements whose BY key is missing sort first (in their original order).
        weights = [lookup_by_pattern(c, sortby, elem) for elem in vector]
        order = sorted(range(len(vector)), key=lambda i: (weights[i] is not None, weights[i] or b""),
                       reverse=desc)
        return [vector[i] for i in order]
    scored: list[tuple[float, bytes]] = []
    error = False
    for elem in vector:
        by = elem if sortby is None else lookup_by_pattern(c, sortby, elem)
        if by is None:
            scored.append((0.0, elem))
            continue
        weight = sort_weight(by)
        if weight is None:
            error = True
            weight = 0.0
        scored.append((weight, elem))
    if error:
        raise e.err(CANT_CONVERT)
    scored.sort(reverse=desc)
    return [elem for _, elem in scored]


@command("SORT", -2, WRITE | DENYOOM | MOVABLEKEYS, keys=(1, 1, 1))
def sort_command(c: Client, argv: Argv) -> Reply:
    """SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]"""
    return sort_generic(c, argv, False)


@command("SORT_RO", -2, READONLY | MOVABLEKEYS, keys=(1, 1, 1))
def sort_ro_command(c: Client, argv: Argv) -> Reply:
    """SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]"""
    return sort_generic(c, argv, True)
