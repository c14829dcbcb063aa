"""Malformed calls to a keyspace table, run in a child process by tests/test_table.py.

Every case is a call that a caller could get wrong (wrong type, negative or huge
count, out-of-range integer, use after close, an empty table) with the exception it
must raise, or None when it must succeed.  The C table and the twin must give the
same answer; a crash of the child (a segfault, an ASan or UBSan report under
``make test-sanitize``) is the failure the child process exists to catch.  After
every case the table must still pass check() and work.

    python tests/table_cases.py c|twin|raw    # prints one JSON object: case -> outcome
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from kvengine._native.pytable import KEEP_EXPIRE, NO_EXPIRE  # noqa: E402

NOW = 1_700_000_000_000
BIG = 1 << 70          # no C integer holds it
I64 = 1 << 63          # one past INT64_MAX
U64 = (1 << 64) - 1    # the largest unsigned 64-bit value

Case = tuple[str, Callable[[object], object], "str | None"]


class Box:
    """A container-like value (not bytes): the C table keeps it in a Python slot."""

    mem = 100


def fresh(cls: type) -> object:
    """A small table: a string, an object value, a key with a TTL."""
    t = cls(7)
    t.set(b"k", b"v", NO_EXPIRE, NOW)
    t.set(b"obj", Box(), NO_EXPIRE, NOW)
    t.set(b"vol", b"v", NOW + 1000, NOW)
    return t


def closed(cls: type) -> object:
    t = fresh(cls)
    t.close()
    return t


CASES: list[Case] = [
    # -- keys of the wrong type, of length 0, long ones
    ("lookup str key", lambda t: t.lookup("k", NOW), "TypeError"),
    ("lookup list key", lambda t: t.lookup([107], NOW), "TypeError"),
    ("lookup None key", lambda t: t.lookup(None, NOW), "TypeError"),
    ("lookup bytearray key", lambda t: t.lookup(bytearray(b"k"), NOW), "TypeError"),
    ("lookup empty key", lambda t: t.lookup(b"", NOW), None),
    ("lookup 16 MB key", lambda t: t.lookup(b"x" * (16 << 20), NOW), None),
    ("set 16 MB key", lambda t: t.set(b"x" * (16 << 20), b"v", NO_EXPIRE, NOW), None),
    ("set empty key and value", lambda t: t.set(b"", b"", NO_EXPIRE, NOW), None),
    ("set str key", lambda t: t.set("k", b"v"), "TypeError"),
    ("set memoryview key", lambda t: t.set(memoryview(b"k"), b"v"), "TypeError"),
    ("set None value", lambda t: t.set(b"k", None), "TypeError"),
    ("get_expire str key", lambda t: t.get_expire("k"), "TypeError"),
    ("get_field str key", lambda t: t.get_field("k"), "TypeError"),
    ("set_field str key", lambda t: t.set_field("k", 1), "TypeError"),
    ("set_expire str key", lambda t: t.set_expire("k", NOW), "TypeError"),
    ("delete str key", lambda t: t.delete("k"), "TypeError"),
    ("delete list key", lambda t: t.delete([107]), "TypeError"),
    # -- integers of the wrong type or out of range
    ("lookup now 2**63", lambda t: t.lookup(b"k", I64), "OverflowError"),
    ("lookup now -2**63-1", lambda t: t.lookup(b"k", -I64 - 1), "OverflowError"),
    ("lookup now float", lambda t: t.lookup(b"k", 1.5), "TypeError"),
    ("lookup now str", lambda t: t.lookup(b"k", "1"), "TypeError"),
    ("set expire -3", lambda t: t.set(b"k", b"v", -3, NOW), "ValueError"),
    ("set expire 2**63", lambda t: t.set(b"k", b"v", I64, NOW), "OverflowError"),
    ("set expire float", lambda t: t.set(b"k", b"v", 1.5, NOW), "TypeError"),
    ("set expire str", lambda t: t.set(b"k", b"v", "1", NOW), "TypeError"),
    ("set now 2**63", lambda t: t.set(b"k", b"v", NO_EXPIRE, I64), "OverflowError"),
    ("set object now 2**63", lambda t: t.set(b"o2", Box(), NO_EXPIRE, I64), "OverflowError"),
    ("set object expire float", lambda t: t.set(b"o2", Box(), 2.5, NOW), "TypeError"),
    ("set keepttl", lambda t: t.set(b"vol", b"w", KEEP_EXPIRE, NOW), None),
    ("set_expire 2**63", lambda t: t.set_expire(b"k", I64), "OverflowError"),
    ("set_expire float", lambda t: t.set_expire(b"k", 1.5), "TypeError"),
    ("set_field str", lambda t: t.set_field(b"k", "x"), "TypeError"),
    ("set_field huge", lambda t: t.set_field(b"k", BIG), None),
    ("set_field negative", lambda t: t.set_field(b"k", -1), None),
    ("set_lfu negative factor", lambda t: t.set_lfu(True, -1, 1), "ValueError"),
    ("set_lfu huge decay", lambda t: t.set_lfu(True, 10, BIG), "ValueError"),
    ("set_lfu str factor", lambda t: t.set_lfu(True, "10", 1), "TypeError"),
    ("seed str", lambda t: t.seed("x"), "TypeError"),
    ("seed huge", lambda t: t.seed(BIG), None),
    ("new table str seed", lambda t: type(t)("x"), "TypeError"),
    ("new table float seed", lambda t: type(t)(1.5), "TypeError"),
    ("new table bad group", lambda t: type(t)(1, object()), "TypeError"),
    # -- counts: negative, huge, wrong type
    ("sample -1", lambda t: t.sample(-1), "ValueError"),
    ("sample huge", lambda t: len(t.sample(BIG)) <= 3 or 1 / 0, None),
    ("sample float", lambda t: t.sample(1.5), "TypeError"),
    ("sample str", lambda t: t.sample("3"), "TypeError"),
    ("sample_volatile -1", lambda t: t.sample_volatile(-1), "ValueError"),
    ("sample_volatile huge", lambda t: t.sample_volatile(BIG) == [b"vol"] or 1 / 0, None),
    ("evict_sample -1", lambda t: t.evict_sample(-1, False, 0, NOW), "ValueError"),
    ("evict_sample huge", lambda t: len(t.evict_sample(BIG, False, 0, NOW)) <= 3 or 1 / 0, None),
    ("evict_sample mode 3", lambda t: t.evict_sample(5, False, 3, NOW), "ValueError"),
    ("evict_sample mode str", lambda t: t.evict_sample(5, False, "0", NOW), "ValueError"),
    ("evict_sample now 2**63", lambda t: t.evict_sample(5, False, 0, I64), "OverflowError"),
    ("evict_one 0", lambda t: t.evict_one(0, False, 0, NOW), "ValueError"),
    ("evict_one -1", lambda t: t.evict_one(-1, False, 0, NOW), "ValueError"),
    ("evict_one huge", lambda t: t.evict_one(BIG, False, 0, NOW) is not None or 1 / 0, None),
    ("evict_one mode -1", lambda t: t.evict_one(5, False, -1, NOW), "ValueError"),
    ("evict_one float n", lambda t: t.evict_one(5.0, False, 0, NOW), "TypeError"),
    ("evict_drop 0", lambda t: t.evict_drop(0, False, 0, NOW), "ValueError"),
    ("evict_drop huge", lambda t: t.evict_drop(BIG, True, 2, NOW) or 1 / 0, None),
    ("evict_drop mode 9", lambda t: t.evict_drop(5, False, 9, NOW), "ValueError"),
    ("evict_until max -1", lambda t: t.evict_until(0, -1, 5, False, 0, NOW), "ValueError"),
    ("evict_until max 2**64", lambda t: t.evict_until(0, 1 << 64, 5, False, 0, NOW), "OverflowError"),
    ("evict_until n 0", lambda t: t.evict_until(0, 10, 0, False, 0, NOW), "ValueError"),
    ("evict_until mode 4", lambda t: t.evict_until(0, 10, 5, False, 4, NOW), "ValueError"),
    ("evict_until limit 2**63", lambda t: t.evict_until(I64, 10, 5, False, 0, NOW), "OverflowError"),
    ("evict_until limit float", lambda t: t.evict_until(0.5, 10, 5, False, 0, NOW), "TypeError"),
    ("evict_until all", lambda t: t.evict_until(0, 100, 5, False, 0, NOW) == (3, False) or 1 / 0, None),
    ("evict_until max 0", lambda t: t.evict_until(0, 0, 5, False, 0, NOW) == (0, False) or 1 / 0, None),
    ("expire_step -1", lambda t: t.expire_step(NOW, -1), "ValueError"),
    ("expire_step huge", lambda t: t.expire_step(NOW + 5000, BIG)[1] == [b"vol"] or 1 / 0, None),
    ("expire_step now 2**63", lambda t: t.expire_step(I64, 5), "OverflowError"),
    ("scan cursor -1", lambda t: t.scan(-1, 10), "ValueError"),
    ("scan cursor 2**64", lambda t: t.scan(1 << 64, 10), "OverflowError"),
    ("scan cursor 2**64-1", lambda t: t.scan(U64, 10), None),
    ("scan count 0", lambda t: t.scan(0, 0), "ValueError"),
    ("scan count huge", lambda t: sorted(t.scan(0, BIG)[1]) == [b"k", b"obj", b"vol"] or 1 / 0, None),
    ("scan cursor float", lambda t: t.scan(1.5, 10), "TypeError"),
    ("scan count str", lambda t: t.scan(0, "10"), "TypeError"),
    # -- random operations on an empty table
    ("empty random_key", lambda t: (t.clear(), t.random_key())[1] is None or 1 / 0, None),
    ("empty sample", lambda t: (t.clear(), t.sample(BIG))[1] == [] or 1 / 0, None),
    ("empty sample_volatile", lambda t: (t.clear(), t.sample_volatile(5))[1] == [] or 1 / 0, None),
    ("empty evict_sample", lambda t: (t.clear(), t.evict_sample(5, True, 2, NOW))[1] == [] or 1 / 0, None),
    ("empty evict_one", lambda t: (t.clear(), t.evict_one(5, False, 0, NOW))[1] is None or 1 / 0, None),
    ("empty evict_drop", lambda t: (t.clear(), t.evict_drop(5, True, 1, NOW))[1] is False or 1 / 0, None),
    ("empty evict_until", lambda t: (t.clear(), t.evict_until(-1, 9, 5, False, 0, NOW))[1] == (0, False)
     or 1 / 0, None),
    ("empty expire_step", lambda t: (t.clear(), t.expire_step(NOW, 20))[1] == (0, []) or 1 / 0, None),
    ("empty scan", lambda t: (t.clear(), t.scan(12345, 10))[1][1] == [] or 1 / 0, None),
    ("empty keys", lambda t: (t.clear(), t.keys())[1] == [] or 1 / 0, None),
    # -- use after close
    ("closed lookup", lambda t: (t.close(), t.lookup(b"k", NOW)), "ValueError"),
    ("closed set", lambda t: (t.close(), t.set(b"k", b"v")), "ValueError"),
    ("closed delete", lambda t: (t.close(), t.delete(b"k")), "ValueError"),
    ("closed len", lambda t: (t.close(), len(t)), "ValueError"),
    ("closed scan", lambda t: (t.close(), t.scan(0, 10)), "ValueError"),
    ("closed sample", lambda t: (t.close(), t.sample(5)), "ValueError"),
    ("closed evict_until", lambda t: (t.close(), t.evict_until(0, 9, 5, False, 0, NOW)), "ValueError"),
    ("closed items", lambda t: (t.close(), list(t.items())), "ValueError"),
    ("closed check", lambda t: (t.close(), t.check()), "ValueError"),
    ("closed close", lambda t: (t.close(), t.close()), None),
    ("closed leaves group", lambda t: (t.close(), t.group.total())[1] == 0 or 1 / 0, None),
]


def run(kind: str) -> dict[str, str | None]:
    """Each case on a fresh table of `kind` ("c" or "twin"): case -> exception name or None."""
    if kind == "c":
        from kvengine._native.ctable import Table
    else:
        from kvengine._native.pytable import Table
    out: dict[str, str | None] = {}
    for name, call, _ in CASES:
        t = fresh(Table)
        try:
            call(t)
            got = None
        except Exception as exc:  # the outcome under test
            got = type(exc).__name__
        if type(t) is Table:  # not closed: still consistent and usable
            t.check()
            t.set(b"after", b"1", NO_EXPIRE, NOW)
            assert t.lookup(b"after", NOW) == b"1" and t.lookup(b"k", NOW) in (b"v", None)
            t.check()
        out[name] = got
    return out


def run_raw() -> dict[str, object]:
    """The raw cffi functions with a NULL table, NULL outputs and bad counts: each
    returns an error code or an empty result (the values are compared by the test)."""
    from kvengine._native.ctable import ffi, lib

    null = ffi.NULL
    h = ffi.new("int64_t *")
    v = ffi.new("const char **")
    st = ffi.new("int *")
    n_out = ffi.new("size_t *")
    out = ffi.new("kvt_entry *[]", 4)
    t = lib.kvt_new(1)
    try:
        lib.kvt_set(t, b"a", 1, b"x", 1, 0, 0, -1, NOW, h)
        res: dict[str, object] = {
            "count NULL": lib.kvt_count(null),
            "volatile_count NULL": lib.kvt_volatile_count(null),
            "mem_usage NULL": lib.kvt_mem_usage(null),
            "buckets NULL": lib.kvt_buckets(null),
            "lookup NULL table": lib.kvt_lookup(null, b"a", 1, NOW, 1, v),
            "lookup NULL out": lib.kvt_lookup(t, b"a", 1, NOW, 1, null),
            "lookup NULL key": lib.kvt_lookup(t, null, 5, NOW, 1, v),
            "set NULL table": lib.kvt_set(null, b"a", 1, b"x", 1, 0, 0, -1, NOW, h),
            "set NULL old": lib.kvt_set(t, b"a", 1, b"x", 1, 0, 0, -1, NOW, null),
            "set NULL value": lib.kvt_set(t, b"a", 1, null, 9, 0, 0, -1, NOW, h),
            "set key over 512 MB": lib.kvt_set(t, b"a", (512 << 20) + 1, b"x", 1, 0, 0, -1, NOW, h),
            "set value over 512 MB": lib.kvt_set(t, b"a", 1, b"x", (512 << 20) + 1, 0, 0, -1, NOW, h),
            "set size_t max": lib.kvt_set(t, b"a", U64, b"x", U64, 0, 0, -1, NOW, h),
            "set expire -3": lib.kvt_set(t, b"a", 1, b"x", 1, 0, 0, -3, NOW, h),
            "delete NULL": lib.kvt_delete(null, b"a", 1, v),
            "get_expire NULL": lib.kvt_get_expire(null, b"a", 1),
            "set_expire NULL": lib.kvt_set_expire(null, b"a", 1, NOW),
            "get_field NULL": lib.kvt_get_field(null, b"a", 1),
            "set_field NULL": lib.kvt_set_field(null, b"a", 1, 3),
            "sample NULL table": lib.kvt_sample(null, 5, 0, out),
            "sample NULL out": lib.kvt_sample(t, 5, 0, null),
            "evict_sample NULL": lib.kvt_evict_sample(t, 5, 0, 0, NOW, null, null),
            "evict_sample mode 7": lib.kvt_evict_sample(t, 5, 0, 7, NOW, out, ffi.new("uint64_t[]", 4)),
            "evict NULL table": lib.kvt_evict(null, 5, 0, 0, NOW, v),
            "evict n 0": lib.kvt_evict(t, 0, 0, 0, NOW, v),
            "evict mode 3": lib.kvt_evict(t, 5, 0, 3, NOW, v),
            "evict_drop NULL": lib.kvt_evict_drop(null, 5, 0, 0, NOW),
            "evict_until NULL status": lib.kvt_evict_until(t, 0, 5, 5, 0, 0, NOW, h, null),
            "evict_until NULL table": (lib.kvt_evict_until(null, 0, 5, 5, 0, 0, NOW, h, st), st[0]),
            "evict_until NULL handle": (lib.kvt_evict_until(t, 0, 5, 5, 0, 0, NOW, null, st), st[0]),
            "random NULL": lib.kvt_random(null) == null,
            "take_detached NULL": lib.kvt_take_detached(null) == null,
            "take_detached none parked": lib.kvt_take_detached(t) == null,
            "entry_handle NULL": lib.kvt_entry_handle(null),
            "expire_step NULL": lib.kvt_expire_step(null, NOW, 5, n_out, out),
            "expire_step NULL sampled": lib.kvt_expire_step(t, NOW, 5, null, out),
            "scan NULL table": (lib.kvt_scan(null, 0, 10, out, 4, n_out), n_out[0]),
            "scan NULL n_out": lib.kvt_scan(t, 0, 10, out, 4, null),
            "scan huge cursor and count": (lib.kvt_scan(t, U64, U64, out, 4, n_out) >= 0, n_out[0] <= 4),
            "scan no room": (lib.kvt_scan(t, 0, 10, null, 0, n_out) >= 0, n_out[0] in (0, U64)),
            "collect NULL": lib.kvt_collect(null, out, 4),
            "collect NULL out": lib.kvt_collect(t, null, 4),
            "check NULL": lib.kvt_check(null, null, 0),
            "check NULL msg": lib.kvt_check(t, null, 0),
        }
        lib.kvt_entry_free(null)
        lib.kvt_free(null)
        lib.kvt_clear(null)
        lib.kvt_seed(null, 1)
        lib.kvt_set_lfu(null, 1, 10, 1)
        lib.kvt_pool_reset(null)
        lib.kvt_share_mem(null, null)
        res["table intact"] = lib.kvt_check(t, null, 0) == 0 and lib.kvt_count(t) == 1
    finally:
        lib.kvt_free(t)
    return res


RAW_EXPECTED: dict[str, object] = {
    "count NULL": 0, "volatile_count NULL": 0, "mem_usage NULL": 0, "buckets NULL": 0,
    "lookup NULL table": -6, "lookup NULL out": -6, "lookup NULL key": -6,
    "set NULL table": -6, "set NULL old": -6, "set NULL value": -6, "set key over 512 MB": -6,
    "set value over 512 MB": -6, "set size_t max": -6, "set expire -3": -6,
    "delete NULL": -6, "get_expire NULL": -6, "set_expire NULL": -6, "get_field NULL": -6,
    "set_field NULL": -6, "sample NULL table": 0, "sample NULL out": 0, "evict_sample NULL": 0,
    "evict_sample mode 7": 0, "evict NULL table": -6, "evict n 0": -6, "evict mode 3": -6,
    "evict_drop NULL": -6, "evict_until NULL status": 0, "evict_until NULL table": [0, -6],
    "evict_until NULL handle": [0, -6], "random NULL": True, "take_detached NULL": True,
    "take_detached none parked": True, "entry_handle NULL": -6, "expire_step NULL": 0,
    "expire_step NULL sampled": 0, "scan NULL table": [0, 0], "scan NULL n_out": 0,
    "scan huge cursor and count": [True, True], "scan no room": [True, True],
    "collect NULL": 0, "collect NULL out": 0, "check NULL": -1, "check NULL msg": 0,
    "table intact": True,
}


if __name__ == "__main__":
    which = sys.argv[1]
    print(json.dumps(run_raw() if which == "raw" else run(which)))
