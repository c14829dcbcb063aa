"""Streams against a real Redis 7.0: replies and error texts of every stream command."""

from __future__ import annotations

import random

import pytest


def _fill(both, key: str = "s", n: int = 5, start_ms: int = 1) -> None:
    for i in range(n):
        both.eq("XADD", key, f"{start_ms + i}-0", "f", str(i), "g", f"v{i}")


# -- XADD ---------------------------------------------------------------------------------------
def test_xadd_explicit_ids_and_errors(both) -> None:
    both.eq("XADD", "s", "1-1", "a", "1")
    both.eq("XADD", "s", "1-2", "a", "2", "b", "3")
    both.eq("XADD", "s", "2", "a", "x")  # seq defaults to 0
    both.error("equal or smaller", "XADD", "s", "2-0", "a", "y")
    both.error("equal or smaller", "XADD", "s", "1-5", "a", "y")
    both.eq("XADD", "s", "2-*", "a", "z")  # 2-1
    both.eq("XADD", "s", "5-*", "a", "z")  # 5-0
    both.error("greater than 0-0", "XADD", "t", "0-0", "a", "1")
    both.eq("EXISTS", "t")
    both.eq("XADD", "t", "0-*", "a", "1")  # 0-1
    both.error("Invalid stream ID", "XADD", "s", "abc", "a", "1")
    both.error("Invalid stream ID", "XADD", "s", "-", "a", "1")
    both.error("Invalid stream ID", "XADD", "s", "+", "a", "1")
    both.error("Invalid stream ID", "XADD", "s", "1-x", "a", "1")
    both.error("Invalid stream ID", "XADD", "s", "-1", "a", "1")
    both.error("Invalid stream ID", "XADD", "s", "-*", "a", "1")
    both.error("Invalid stream ID", "XADD", "s", "1-2-*", "a", "1")
    both.error("wrong number of arguments", "XADD", "s", "9-0", "a")
    both.error("wrong number of arguments", "XADD", "s", "9-0", "a", "1", "b")
    both.error("wrong number of arguments", "XADD", "s", "9-0")
    both.eq("XRANGE", "s", "-", "+")
    both.eq("XRANGE", "t", "-", "+")
    both.eq("XLEN", "s")


def test_xadd_limits_of_ids(both) -> None:
    top = "18446744073709551615"
    both.eq("XADD", "s", f"{top}-{top}", "a", "1")
    both.error("exhausted", "XADD", "s", "*", "a", "1")
    both.error("exhausted", "XADD", "s", f"{top}-*", "a", "1")
    both.eq("XADD", "u", f"{top}-{int(top) - 1}", "a", "1")
    both.eq("XADD", "u", f"{top}-*", "a", "1")
    both.error("exhausted", "XADD", "u", f"{top}-*", "a", "1")
    both.error("Invalid stream ID", "XADD", "v", "18446744073709551616-0", "a", "1")
    both.eq("XADD", "v", f"5-{top}", "a", "1")
    both.error("too large", "XADD", "v", "5-*", "a", "1")  # Redis's errno quirk
    both.eq("XADD", "v", "6-*", "a", "1")


def test_xadd_nomkstream_and_wrongtype(both) -> None:
    both.eq("XADD", "s", "NOMKSTREAM", "1-0", "a", "1")
    both.eq("EXISTS", "s")
    both.eq("XADD", "s", "1-0", "a", "1")
    both.eq("XADD", "s", "nomkstream", "2-0", "a", "1")
    both.eq("SET", "str", "x")
    both.error("WRONGTYPE", "XADD", "str", "1-0", "a", "1")
    both.error("WRONGTYPE", "XRANGE", "str", "-", "+")
    both.error("WRONGTYPE", "XLEN", "str")
    both.error("WRONGTYPE", "XDEL", "str", "1-0")
    both.error("WRONGTYPE", "XTRIM", "str", "MAXLEN", "1")
    both.error("WRONGTYPE", "XSETID", "str", "1-0")
    both.eq("TYPE", "s")
    both.eq("OBJECT", "ENCODING", "s")


def test_xadd_option_errors(both) -> None:
    both.eq("XADD", "s", "1-0", "a", "1")
    both.error("MAXLEN and MINID", "XADD", "s", "MAXLEN", "1", "MINID", "0", "2-0", "a", "1")
    both.error("MAXLEN and MINID", "XADD", "s", "MINID", "0", "MAXLEN", "1", "2-0", "a", "1")
    both.error("must be >= 0", "XADD", "s", "MAXLEN", "-1", "2-0", "a", "1")
    both.error("not an integer", "XADD", "s", "MAXLEN", "x", "2-0", "a", "1")
    both.error("not an integer", "XADD", "s", "MAXLEN", "~", "x", "2-0", "a", "1")
    both.error("LIMIT argument", "XADD", "s", "MAXLEN", "~", "1", "LIMIT", "-1", "2-0", "a", "1")
    both.error("without the special ~", "XADD", "s", "MAXLEN", "1", "LIMIT", "10", "2-0", "a", "1")
    both.error("without the special ~", "XADD", "s", "MAXLEN", "=", "1", "LIMIT", "10", "2-0", "a", "1")
    both.error("without specifying a trimming", "XADD", "s", "LIMIT", "10", "2-0", "a", "1")
    both.error("Invalid stream ID", "XADD", "s", "MINID", "x", "2-0", "a", "1")
    both.error("Invalid stream ID", "XADD", "s", "MINID", "-", "2-0", "a", "1")
    both.eq("XADD", "s", "LIMIT", "0", "2-0", "a", "1")  # LIMIT 0 without a strategy is fine
    both.eq("XLEN", "s")
    both.eq("XADD", "s", "MAXLEN", "=", "1", "3-0", "a", "1")
    both.eq("XRANGE", "s", "-", "+")
    both.eq("XADD", "s", "MINID", "=", "3-0", "4-0", "a", "1")
    both.eq("XADD", "s", "MINID", "4", "5-0", "a", "1")
    both.eq("XRANGE", "s", "-", "+")
    both.eq("XADD", "s", "MAXLEN", "0", "6-0", "a", "1")
    both.eq("XLEN", "s")
    both.eq("EXISTS", "s")


def test_approximate_trimming_follows_nodes(both) -> None:
    """MAXLEN ~ / MINID ~ remove whole nodes of 100 entries, as Redis."""
    for i in range(1, 451):
        both.eq("XADD", "s", f"{i}-0", "f", "v")
    both.eq("XADD", "s", "MAXLEN", "~", "300", "451-0", "f", "v")
    both.eq("XLEN", "s")
    both.eq("XTRIM", "s", "MAXLEN", "~", "150")
    both.eq("XLEN", "s")
    both.eq("XRANGE", "s", "-", "+", "COUNT", "1")
    both.eq("XTRIM", "s", "MINID", "~", "360")
    both.eq("XRANGE", "s", "-", "+", "COUNT", "1")
    both.eq("XTRIM", "s", "MINID", "~", "420")
    both.eq("XRANGE", "s", "-", "+", "COUNT", "1")
    both.eq("XTRIM", "s", "MINID", "425")
    both.eq("XRANGE", "s", "-", "+", "COUNT", "1")
    both.eq("XLEN", "s")


def test_approximate_trimming_with_limit_and_deletions(both) -> None:
    for i in range(1, 1001):
        both.eq("XADD", "s", f"{i}-0", "f", "v")
    both.eq("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "250")
    both.eq("XLEN", "s")
    both.eq("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "0")
    both.eq("XLEN", "s")
    for i in range(1001, 1251):
        both.eq("XADD", "s", f"{i}-0", "f", "v")
    # exact trimming inside a node leaves tombstones that still count toward the node's size
    both.eq("XTRIM", "s", "MAXLEN", "240")
    both.eq("XDEL", "s", "1100-0", "1101-0", "1250-0", "77-0")
    for i in range(1251, 1400):
        both.eq("XADD", "s", f"{i}-0", "f", "v")
    both.eq("XTRIM", "s", "MAXLEN", "~", "200")
    both.eq("XLEN", "s")
    both.eq("XRANGE", "s", "-", "+", "COUNT", "2")


def test_node_byte_limit_decides_trimming(both) -> None:
    """Big values fill a node by bytes (4096) before 100 entries."""
    rnd = random.Random(7)
    for i in range(1, 301):
        n = rnd.choice([1, 10, 60, 70, 200, 5000])
        fields = ["f", "x" * n] if i % 3 else ["f", "x" * n, "h" * (i % 5), str(i * 1000)]
        both.eq("XADD", "s", f"{i}-0", *fields)
    for target in (250, 200, 120, 40, 3):
        both.eq("XTRIM", "s", "MAXLEN", "~", str(target))
        both.eq("XLEN", "s")


def test_integer_values_are_compact_in_nodes(both) -> None:
    for i in range(1, 400):
        both.eq("XADD", "s", f"{i * 1000}-{i}", "n", str(i * 99999), "m", "-12")
    both.eq("XTRIM", "s", "MAXLEN", "~", "10")
    both.eq("XLEN", "s")


# -- XRANGE / XREVRANGE --------------------------------------------------------------------------
def test_xrange_bounds(both) -> None:
    for ms in (1, 2, 3):
        for seq in (0, 1, 2):
            both.eq("XADD", "s", f"{ms}-{seq}", "f", f"{ms}.{seq}")
    cases = [
        ("-", "+"), ("2", "2"), ("2-1", "+"), ("(2-1", "+"), ("-", "(2-1"), ("(1", "(3"),
        ("(2", "3"), ("3", "2"), ("0", "0"), ("(-", "+"), ("1-1", "(1-2"),
        ("(18446744073709551615-18446744073709551614", "+"),
    ]
    for lo, hi in cases:
        both.eq("XRANGE", "s", lo, hi)
        both.eq("XREVRANGE", "s", hi, lo)
    for n in ("0", "1", "2", "100", "-3"):
        both.eq("XRANGE", "s", "-", "+", "COUNT", n)
        both.eq("XREVRANGE", "s", "+", "-", "COUNT", n)
    both.eq("XRANGE", "nokey", "-", "+")
    both.eq("XRANGE", "nokey", "-", "+", "COUNT", "0")
    both.eq("XRANGE", "s", "-", "+", "count", "1", "COUNT", "3")


def test_xrange_errors(both) -> None:
    _fill(both)
    both.error("invalid start ID", "XRANGE", "s", "(18446744073709551615-18446744073709551615", "+")
    both.error("invalid end ID", "XRANGE", "s", "-", "(0-0")
    both.eq("XREVRANGE", "s", "(0", "-")
    both.error("invalid end ID", "XREVRANGE", "s", "(0-0", "-")
    both.error("Invalid stream ID", "XRANGE", "s", "(+", "+")
    both.error("Invalid stream ID", "XRANGE", "s", "-", "(-")
    both.error("Invalid stream ID", "XRANGE", "s", "x", "+")
    both.error("Invalid stream ID", "XRANGE", "s", "1-", "+")
    both.error("syntax error", "XRANGE", "s", "-", "+", "COUNT")
    both.error("syntax error", "XRANGE", "s", "-", "+", "LIMIT", "1")
    both.error("not an integer", "XRANGE", "s", "-", "+", "COUNT", "x")
    both.error("wrong number", "XRANGE", "s", "-")
    both.error("Invalid stream ID", "XRANGE", "nokey", "x", "+")


def test_xrange_across_many_nodes(both) -> None:
    for i in range(1, 520):
        both.eq("XADD", "s", f"{i}-{i % 3}", "f", str(i))
    both.eq("XDEL", "s", *[f"{i}-{i % 3}" for i in range(95, 215)])
    for lo, hi, count in [("-", "+", "7"), ("50", "300", "80"), ("90", "220", "50"), ("200", "+", "1000")]:
        both.eq("XRANGE", "s", lo, hi, "COUNT", count)
        both.eq("XREVRANGE", "s", hi, lo, "COUNT", count)


# -- XDEL / XLEN / XTRIM / XSETID -------------------------------------------------------------
def test_xdel(both) -> None:
    _fill(both)
    both.eq("XDEL", "s", "1-0", "1-0", "9-9", "3")
    both.eq("XLEN", "s")
    both.error("Invalid stream ID", "XDEL", "s", "2-0", "x")
    both.eq("XLEN", "s")  # nothing deleted before the bad ID was found
    both.error("Invalid stream ID", "XDEL", "s", "+")
    both.eq("XDEL", "nokey", "1-0")
    both.eq("XDEL", "s", "2-0", "4-0", "5-0")
    both.eq("XLEN", "s")
    both.eq("EXISTS", "s")  # an emptied stream stays
    both.error("equal or smaller", "XADD", "s", "5-0", "a", "1")
    both.eq("XADD", "s", "5-*", "a", "1")


def test_xtrim_errors_and_results(both) -> None:
    _fill(both, n=10)
    both.error("without specifying a trimming strategy", "XTRIM", "s", "LIMIT", "1")
    both.error("XTRIM must be called with a trimming strategy", "XTRIM", "s", "LIMIT", "0")
    both.error("wrong number of arguments", "XTRIM", "s", "MAXLEN")
    both.error("not an integer", "XTRIM", "s", "MAXLEN", "~")
    both.error("syntax error", "XTRIM", "s", "FOO", "1")
    both.error("syntax error", "XTRIM", "s", "MAXLEN", "1", "NOMKSTREAM")
    both.error("without the special ~", "XTRIM", "s", "MAXLEN", "1", "LIMIT", "1")
    both.error("must be >= 0", "XTRIM", "s", "MAXLEN", "-5")
    both.eq("XTRIM", "nokey", "MAXLEN", "1")
    both.eq("XTRIM", "s", "MAXLEN", "8")
    both.eq("XTRIM", "s", "MAXLEN", "=", "7")
    both.eq("XTRIM", "s", "MINID", "5")
    both.eq("XTRIM", "s", "MINID", "=", "5-0")
    both.eq("XTRIM", "s", "MINID", "~", "100")
    both.eq("XTRIM", "s", "MAXLEN", "100")
    both.eq("XRANGE", "s", "-", "+")
    both.eq("XTRIM", "s", "MINID", "100")
    both.eq("XLEN", "s")
    both.eq("EXISTS", "s")


def test_xsetid(both) -> None:
    _fill(both)
    both.error("no such key", "XSETID", "nokey", "1-0")
    both.error("smaller than the target stream top item", "XSETID", "s", "4-0")
    both.eq("XSETID", "s", "5-0")
    both.eq("XSETID", "s", "10-0")
    both.error("equal or smaller", "XADD", "s", "10-0", "a", "1")
    both.eq("XADD", "s", "10-*", "a", "1")
    both.error("entries_added must be positive", "XSETID", "s", "11-0", "ENTRIESADDED", "-1")
    both.error("smaller than the target stream length", "XSETID", "s", "11-0", "ENTRIESADDED", "2")
    both.error("max_deleted_entry_id", "XSETID", "s", "11-0", "MAXDELETEDID", "12-0")
    both.error("syntax error", "XSETID", "s", "11-0", "FOO")
    both.error("syntax error", "XSETID", "s", "11-0", "ENTRIESADDED")
    both.error("Invalid stream ID", "XSETID", "s", "+")
    both.error("Invalid stream ID", "XSETID", "s", "11-0", "MAXDELETEDID", "x")
    both.error("not an integer", "XSETID", "s", "11-0", "ENTRIESADDED", "x")
    both.eq("XSETID", "s", "11-0", "ENTRIESADDED", "100", "MAXDELETEDID", "3-0")
    both.eq("XDEL", "s", "1-0", "2-0", "3-0", "4-0", "5-0", "10-1")
    both.eq("XSETID", "s", "0-1")  # an empty stream accepts any ID
    both.eq("XADD", "s", "0-*", "a", "1")


@pytest.mark.parametrize("seed", range(3))
def test_random_add_delete_trim(both, seed: int) -> None:
    rnd = random.Random(seed)
    ms = 1
    for _ in range(600):
        op = rnd.random()
        if op < 0.7:
            ms += rnd.choice([0, 0, 1, 5])
            args = ["XADD", "s"]
            if rnd.random() < 0.1:
                args += ["MAXLEN", rnd.choice(["~", "=", "~"]), str(rnd.randint(0, 300))]
            args += [f"{ms}-*"]
            args += ["f", "x" * rnd.choice([1, 5, 40, 300])]
            if rnd.random() < 0.3:
                args += ["g", str(rnd.randint(-5000, 5000))]
            both.eq(*args)
        elif op < 0.85:
            both.eq("XDEL", "s", *[f"{rnd.randint(1, ms)}-{rnd.randint(0, 3)}" for _ in range(3)])
        elif op < 0.95:
            both.eq("XTRIM", "s", "MINID", rnd.choice(["~", "="]), f"{rnd.randint(1, ms)}")
        else:
            both.eq("XRANGE", "s", "-", "+", "COUNT", "3")
            both.eq("XLEN", "s")
    both.eq("XRANGE", "s", "-", "+")


# -- consumer groups -----------------------------------------------------------------------------
def _masked(both, mask, *args):  # type: ignore[no-untyped-def]
    """Both replies with the wall-clock-dependent parts replaced by `mask`."""
    real, mine = both.raw(*args)
    if isinstance(real, tuple):
        assert mine == real, f"{args!r}: kvengine {mine!r} != redis {real!r}"
        return real
    assert mask(mine) == mask(real), f"{args!r}: kvengine {mine!r} != redis {real!r}"
    return real


def _mask_kv(reply, names=(b"idle", b"seen-time")):  # type: ignore[no-untyped-def]
    """Flat key/value lists: drop the values of time fields; recurse."""
    if not isinstance(reply, list):
        return reply
    out = []
    skip = False
    for i, x in enumerate(reply):
        if skip:
            out.append("T")
            skip = False
            continue
        if isinstance(x, bytes) and x in names and i % 2 == 0:
            skip = True
        out.append(_mask_kv(x, names))
    return out


def _mask_pending_rows(reply):  # type: ignore[no-untyped-def]
    return [[r[0], r[1], "T", r[3]] for r in reply]


def _mask_full(reply):  # type: ignore[no-untyped-def]
    d = dict(zip(reply[::2], reply[1::2]))
    out = _mask_kv(reply)
    groups = []
    for g in d[b"groups"]:
        gd = dict(zip(g[::2], g[1::2]))
        gd[b"pending"] = [[p[0], p[1], "T", p[3]] for p in gd[b"pending"]]
        cons = []
        for c in gd[b"consumers"]:
            cd = dict(zip(c[::2], c[1::2]))
            cd[b"seen-time"] = "T"
            cd[b"pending"] = [[p[0], "T", p[2]] for p in cd[b"pending"]]
            cons.append(cd)
        gd[b"consumers"] = cons
        groups.append(gd)
    return [x for x in out[:-2]], groups


def test_xgroup_create_setid_destroy(both) -> None:
    both.error("requires the key to exist", "XGROUP", "CREATE", "s", "g", "$")
    both.eq("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    both.eq("TYPE", "s")
    both.error("BUSYGROUP", "XGROUP", "CREATE", "s", "g", "$")
    _fill(both)
    both.eq("XGROUP", "CREATE", "s", "g2", "2-0", "ENTRIESREAD", "2")
    both.eq("XGROUP", "CREATE", "s", "g3", "0", "mkstream", "entriesread", "-1")
    both.error("ENTRIESREAD must be positive", "XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "-2")
    both.error("not an integer", "XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "x")
    both.error("unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.",
               "XGROUP", "CREATE", "s", "g4", "0", "FOO")
    both.error("unknown subcommand", "XGROUP", "create", "s", "g4", "0", "ENTRIESREAD")
    both.error("Invalid stream ID", "XGROUP", "CREATE", "s", "g4", "x")
    both.error("Invalid stream ID", "XGROUP", "CREATE", "s", "g4", "+")
    both.error("wrong number of arguments", "XGROUP", "CREATE", "s", "g4")
    both.eq("XINFO", "GROUPS", "s")
    both.eq("XGROUP", "SETID", "s", "g", "3-0")
    both.eq("XGROUP", "SETID", "s", "g2", "$", "ENTRIESREAD", "5")
    both.eq("XGROUP", "SETID", "s", "g3", "+")
    both.error("unknown subcommand", "XGROUP", "SETID", "s", "g", "0", "MKSTREAM")
    both.error("NOGROUP No such consumer group 'nog' for key name 's'", "XGROUP", "SETID", "s", "nog", "0")
    both.error("requires the key to exist", "XGROUP", "SETID", "nokey", "g", "0")
    both.eq("XINFO", "GROUPS", "s")
    both.eq("XGROUP", "DESTROY", "s", "g3")
    both.eq("XGROUP", "DESTROY", "s", "g3")
    both.error("requires the key to exist", "XGROUP", "DESTROY", "nokey", "g3")
    both.eq("SET", "str", "x")
    both.error("WRONGTYPE", "XGROUP", "CREATE", "str", "g", "$")
    both.error("WRONGTYPE", "XGROUP", "CREATE", "str", "g", "$", "MKSTREAM")
    both.eq("XGROUP", "HELP")
    both.error("unknown subcommand", "XGROUP", "FOO")
    both.error("wrong number of arguments", "XGROUP", "HELP", "x")
    both.eq("XINFO", "HELP")


def test_xgroup_consumers(both) -> None:
    _fill(both)
    both.eq("XGROUP", "CREATE", "s", "g", "0")
    both.eq("XGROUP", "CREATECONSUMER", "s", "g", "alice")
    both.eq("XGROUP", "CREATECONSUMER", "s", "g", "alice")
    both.error("NOGROUP", "XGROUP", "CREATECONSUMER", "s", "nog", "alice")
    both.eq("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">")
    _masked(both, _mask_kv, "XINFO", "CONSUMERS", "s", "g")
    both.eq("XGROUP", "DELCONSUMER", "s", "g", "bob")
    both.eq("XGROUP", "DELCONSUMER", "s", "g", "bob")
    both.eq("XPENDING", "s", "g")
    both.error("NOGROUP No such consumer group 'nog' for key name 's'", "XINFO", "CONSUMERS", "s", "nog")
    both.error("no such key", "XINFO", "CONSUMERS", "nokey", "g")


def test_xreadgroup_and_ack(both) -> None:
    _fill(both, n=6)
    both.eq("XGROUP", "CREATE", "s", "g", "0")
    both.eq("XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">")
    both.eq("XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "s", ">")
    both.eq("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0")  # c1's history
    both.eq("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "1-0")  # history after 1-0
    both.eq("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", "0")
    both.eq("XDEL", "s", "2-0")
    both.eq("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0")  # deleted entry: nil body
    both.eq("XACK", "s", "g", "1-0", "1-0", "9-0")
    both.eq("XACK", "s", "g", "2-0")
    both.eq("XACK", "s", "nog", "3-0")
    both.eq("XACK", "nokey", "g", "3-0")
    both.error("Invalid stream ID", "XACK", "s", "g", "3-0", "x")
    both.eq("XPENDING", "s", "g")
    both.eq("XREADGROUP", "GROUP", "g", "c3", "NOACK", "STREAMS", "s", ">")
    both.eq("XPENDING", "s", "g")
    both.eq("XREADGROUP", "GROUP", "g", "c3", "STREAMS", "s", ">")  # nothing new: nil
    both.eq("XINFO", "GROUPS", "s")
    both.eq("XADD", "s", "10-0", "f", "v")
    both.eq("XADD", "t", "1-0", "f", "v")
    both.eq("XGROUP", "CREATE", "t", "g", "$")
    both.eq("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "t", ">", ">")
    both.eq("XADD", "t", "2-0", "f", "v")
    both.eq("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "t", ">", "0")
    both.eq("XINFO", "GROUPS", "t")


def test_xread_and_xreadgroup_errors(both) -> None:
    _fill(both)
    both.eq("XGROUP", "CREATE", "s", "g", "0")
    both.eq("SET", "str", "x")
    both.error("Unbalanced XREAD list", "XREAD", "STREAMS", "s", "t", "0")
    both.error("syntax error", "XREAD", "COUNT", "1", "s", "0")
    both.error("syntax error", "XREAD", "FOO", "1", "STREAMS", "s", "0")
    both.error("GROUP option is only supported by XREADGROUP", "XREAD", "GROUP", "g", "c", "STREAMS", "s", "0")
    both.error("NOACK option is only supported by XREADGROUP", "XREAD", "NOACK", "STREAMS", "s", "0")
    both.error("> ID can be specified only", "XREAD", "STREAMS", "s", ">")
    both.error("not an integer", "XREAD", "COUNT", "x", "STREAMS", "s", "0")
    both.error("timeout is not an integer", "XREAD", "BLOCK", "x", "STREAMS", "s", "0")
    both.error("timeout is negative", "XREAD", "BLOCK", "-1", "STREAMS", "s", "0")
    both.error("WRONGTYPE", "XREAD", "STREAMS", "str", "0")
    both.error("Invalid stream ID", "XREAD", "STREAMS", "s", "x")
    both.error("Invalid stream ID", "XREAD", "STREAMS", "s", "-")
    both.error("Missing GROUP option", "XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "s", ">")
    both.error("NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option",
               "XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">")
    both.error("NOGROUP No such key 'nokey'", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "nokey", ">")
    both.error("The $ ID is meaningless", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$")
    both.error("WRONGTYPE", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">")
    both.error("Unbalanced", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "s", ">")


def test_xread(both) -> None:
    _fill(both, n=4)
    both.eq("XREAD", "STREAMS", "s", "0")
    both.eq("XREAD", "COUNT", "2", "STREAMS", "s", "1-0")
    both.eq("XREAD", "COUNT", "-1", "STREAMS", "s", "1-0")
    both.eq("XREAD", "STREAMS", "s", "$")
    both.eq("XREAD", "STREAMS", "s", "4-0")
    both.eq("XREAD", "STREAMS", "s", "nokey", "2", "0")
    both.eq("XREAD", "STREAMS", "nokey", "$")
    both.eq("XREAD", "STREAMS", "s", "(1")  # an exclusive ID is not an XREAD ID
    both.eq("XREAD", "BLOCK", "0", "STREAMS", "s", "1")  # data: no blocking
    both.eq("MULTI")
    both.eq("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    both.eq("EXEC")  # inside MULTI: answers at once
    both.error("not allowed with BLOCK option from scripts", "EVAL",
               "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')", "1", "s")
    both.eq("EVAL", "return redis.call('XREAD', 'STREAMS', KEYS[1], '3')", "1", "s")


def test_xpending(both) -> None:
    _fill(both, n=8)
    both.eq("XGROUP", "CREATE", "s", "g", "0")
    both.eq("XPENDING", "s", "g")
    both.eq("XREADGROUP", "GROUP", "g", "bob", "COUNT", "3", "STREAMS", "s", ">")
    both.eq("XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">")
    both.eq("XPENDING", "s", "g")
    for args in (
        ["-", "+", "10"], ["-", "+", "2"], ["(2", "5", "10"], ["-", "+", "10", "alice"],
        ["-", "+", "10", "nobody"], ["IDLE", "0", "-", "+", "10"], ["IDLE", "100000", "-", "+", "10"],
        ["IDLE", "0", "-", "+", "10", "bob"], ["-", "+", "0"], ["-", "+", "-1"], ["5", "2", "10"],
    ):
        _masked(both, _mask_pending_rows, "XPENDING", "s", "g", *args)
    both.error("syntax error", "XPENDING", "s", "g", "-")
    both.error("syntax error", "XPENDING", "s", "g", "-", "+")
    both.error("syntax error", "XPENDING", "s", "g", "IDLE", "10", "-", "+")
    both.error("syntax error", "XPENDING", "s", "g", "-", "+", "1", "a", "b", "c", "d")
    both.error("not an integer", "XPENDING", "s", "g", "-", "+", "x")
    both.error("not an integer", "XPENDING", "s", "g", "IDLE", "x", "-", "+", "1")
    both.error("Invalid stream ID", "XPENDING", "s", "g", "x", "+", "1")
    both.error("invalid end ID", "XPENDING", "s", "g", "-", "(0-0", "1")
    both.error("NOGROUP No such key 's' or consumer group 'nog'", "XPENDING", "s", "nog")
    both.error("NOGROUP No such key 'nokey'", "XPENDING", "nokey", "g", "-", "+", "1")


def test_xclaim(both) -> None:
    _fill(both, n=6)
    both.eq("XGROUP", "CREATE", "s", "g", "0")
    both.eq("XREADGROUP", "GROUP", "g", "bob", "COUNT", "4", "STREAMS", "s", ">")
    both.eq("XCLAIM", "s", "g", "alice", "0", "1-0", "2-0")
    both.eq("XCLAIM", "s", "g", "alice", "3600000", "3-0")  # not idle long enough
    both.eq("XCLAIM", "s", "g", "alice", "0", "3-0", "JUSTID")
    both.eq("XCLAIM", "s", "g", "alice", "0", "5-0")  # not pending: nothing
    both.eq("XCLAIM", "s", "g", "alice", "0", "5-0", "FORCE", "JUSTID")
    both.eq("XCLAIM", "s", "g", "alice", "0", "99-0", "FORCE")  # not in the stream
    both.eq("XCLAIM", "s", "g", "carol", "0", "4-0", "RETRYCOUNT", "7", "IDLE", "5000")
    both.eq("XCLAIM", "s", "g", "carol", "0", "4-0", "TIME", "1000", "JUSTID")
    both.eq("XCLAIM", "s", "g", "carol", "0", "1-0", "LASTID", "5-0", "JUSTID")
    both.eq("XINFO", "GROUPS", "s")
    both.eq("XCLAIM", "s", "g", "carol", "0", "x-0", "LASTID", "6-0")  # IDs end at the first non-ID
    both.eq("XINFO", "GROUPS", "s")
    _masked(both, _mask_pending_rows, "XPENDING", "s", "g", "-", "+", "10")
    both.eq("XDEL", "s", "2-0")
    both.eq("XCLAIM", "s", "g", "carol", "0", "2-0")  # deleted: dropped from the PEL
    both.eq("XPENDING", "s", "g")
    both.error("Unrecognized XCLAIM option 'FOO'", "XCLAIM", "s", "g", "c", "0", "1-0", "FOO")
    both.error("Invalid min-idle-time argument for XCLAIM", "XCLAIM", "s", "g", "c", "x", "1-0")
    both.error("Invalid IDLE option argument for XCLAIM", "XCLAIM", "s", "g", "c", "0", "1-0", "IDLE", "x")
    both.error("Invalid TIME option argument for XCLAIM", "XCLAIM", "s", "g", "c", "0", "1-0", "TIME", "x")
    both.error("Invalid RETRYCOUNT option", "XCLAIM", "s", "g", "c", "0", "1-0", "RETRYCOUNT", "x")
    both.error("Invalid stream ID", "XCLAIM", "s", "g", "c", "0", "1-0", "LASTID", "x")
    both.error("NOGROUP No such key 's' or consumer group 'nog'", "XCLAIM", "s", "nog", "c", "0", "1-0")
    both.error("wrong number of arguments", "XCLAIM", "s", "g", "c", "0")


def test_xautoclaim(both) -> None:
    _fill(both, n=10)
    both.eq("XGROUP", "CREATE", "s", "g", "0")
    both.eq("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")
    both.eq("XAUTOCLAIM", "s", "g", "alice", "0", "0", "COUNT", "3")
    both.eq("XAUTOCLAIM", "s", "g", "alice", "0", "4-0", "COUNT", "2", "JUSTID")
    both.eq("XAUTOCLAIM", "s", "g", "alice", "3600000", "0")
    both.eq("XDEL", "s", "7-0", "8-0")
    both.eq("XAUTOCLAIM", "s", "g", "carol", "0", "(5-0", "COUNT", "3")
    both.eq("XAUTOCLAIM", "s", "g", "carol", "0", "0")
    both.eq("XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "1")
    both.eq("XPENDING", "s", "g")
    both.error("COUNT must be > 0", "XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0")
    both.error("COUNT must be > 0", "XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "x")
    both.error("syntax error", "XAUTOCLAIM", "s", "g", "c", "0", "0", "FOO")
    both.error("Invalid min-idle-time argument for XAUTOCLAIM", "XAUTOCLAIM", "s", "g", "c", "x", "0")
    both.error("Invalid stream ID", "XAUTOCLAIM", "s", "g", "c", "0", "x")
    both.error("invalid start ID", "XAUTOCLAIM", "s", "g", "c", "0", "(18446744073709551615-18446744073709551615")
    both.error("NOGROUP No such key 'nokey' or consumer group 'g'", "XAUTOCLAIM", "nokey", "g", "c", "0", "0")


def test_xinfo(both) -> None:
    both.error("no such key", "XINFO", "STREAM", "s")
    both.eq("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    both.eq("XINFO", "STREAM", "s")
    both.eq("XINFO", "STREAM", "s", "FULL")
    for i in range(1, 251):
        both.eq("XADD", "s", f"{i}-0", "f", str(i))
    both.eq("XINFO", "STREAM", "s")
    both.eq("XREADGROUP", "GROUP", "g", "bob", "COUNT", "20", "STREAMS", "s", ">")
    both.eq("XGROUP", "CREATE", "s", "a", "100-0")
    both.eq("XGROUP", "CREATE", "s", "z", "$")
    both.eq("XDEL", "s", "150-0")
    both.eq("XINFO", "GROUPS", "s")
    for args in ([], ["COUNT", "3"], ["COUNT", "0"], ["COUNT", "-4"]):
        _masked(both, _mask_full, "XINFO", "STREAM", "s", "FULL", *args)
    both.eq("XTRIM", "s", "MAXLEN", "~", "120")
    both.eq("XINFO", "STREAM", "s")
    both.eq("XINFO", "GROUPS", "s")
    both.error("unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.",
               "XINFO", "STREAM", "s", "FOO")
    both.error("unknown subcommand", "XINFO", "STREAM", "s", "FULL", "COUNT")
    both.error("unknown subcommand", "XINFO", "STREAM", "s", "FULL", "FOO", "1")
    both.error("not an integer", "XINFO", "STREAM", "s", "FULL", "COUNT", "x")
    both.eq("SET", "str", "x")
    both.error("WRONGTYPE", "XINFO", "STREAM", "str")
    both.error("WRONGTYPE", "XINFO", "GROUPS", "str")


def test_lag_and_entries_read(both) -> None:
    """entries-read and lag through deletions, trims and SETID, as 7.0 computes them."""
    _fill(both, n=10)
    both.eq("XGROUP", "CREATE", "s", "g", "0")
    both.eq("XGROUP", "CREATE", "s", "h", "$")
    both.eq("XGROUP", "CREATE", "s", "i", "5-0", "ENTRIESREAD", "5")
    both.eq("XINFO", "GROUPS", "s")
    both.eq("XREADGROUP", "GROUP", "g", "c", "COUNT", "3", "STREAMS", "s", ">")
    both.eq("XINFO", "GROUPS", "s")
    both.eq("XDEL", "s", "5-0")
    both.eq("XINFO", "GROUPS", "s")
    both.eq("XREADGROUP", "GROUP", "g", "c", "COUNT", "3", "STREAMS", "s", ">")
    both.eq("XREADGROUP", "GROUP", "i", "c", "COUNT", "3", "STREAMS", "s", ">")
    both.eq("XINFO", "GROUPS", "s")
    both.eq("XTRIM", "s", "MAXLEN", "3")
    both.eq("XINFO", "GROUPS", "s")
    both.eq("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    both.eq("XINFO", "GROUPS", "s")
    both.eq("XSETID", "s", "20-0", "ENTRIESADDED", "30", "MAXDELETEDID", "15-0")
    both.eq("XINFO", "GROUPS", "s")
    both.eq("XINFO", "STREAM", "s")


@pytest.mark.parametrize("seed", range(4))
def test_random_group_programs(both, seed: int) -> None:
    """Producers, readers, acks, claims, deletions and trims; XINFO STREAM FULL after."""
    rnd = random.Random(100 + seed)
    both.eq("XGROUP", "CREATE", "s", "g1", "$", "MKSTREAM")
    both.eq("XGROUP", "CREATE", "s", "g2", "0")
    ms = 1
    for _ in range(300):
        op = rnd.random()
        grp = rnd.choice(["g1", "g2"])
        cons = rnd.choice(["a", "b", "c"])
        if op < 0.4:
            ms += 1
            both.eq("XADD", "s", f"{ms}-*", "f", str(ms))
        elif op < 0.6:
            both.eq("XREADGROUP", "GROUP", grp, cons, "COUNT", str(rnd.randint(1, 4)), "STREAMS", "s",
                    rnd.choice([">", ">", "0"]))
        elif op < 0.7:
            both.eq("XACK", "s", grp, *[f"{rnd.randint(1, ms)}-0" for _ in range(3)])
        elif op < 0.78:
            both.eq("XCLAIM", "s", grp, cons, "0", *[f"{rnd.randint(1, ms)}-0" for _ in range(2)], "JUSTID")
        elif op < 0.85:
            both.eq("XAUTOCLAIM", "s", grp, cons, "0", f"{rnd.randint(0, ms)}", "COUNT", "2", "JUSTID")
        elif op < 0.92:
            both.eq("XDEL", "s", f"{rnd.randint(1, ms)}-0")
        elif op < 0.96:
            both.eq("XTRIM", "s", "MINID", f"{rnd.randint(1, ms)}")
        else:
            both.eq("XGROUP", "SETID", "s", grp, f"{rnd.randint(0, ms)}")
        both.eq("XPENDING", "s", grp)
    both.eq("XINFO", "GROUPS", "s")
    _masked(both, _mask_full, "XINFO", "STREAM", "s", "FULL", "COUNT", "0")


@pytest.mark.parametrize("rewrite", [False, True], ids=["log", "rewritten"])
def test_log_pipes_into_real_redis_with_the_same_streams(tmp_path, real_client, redis_port, rewrite) -> None:
    """The append-only log of a stream workload (auto IDs, ~ trims, groups, claims) loads
    into a real Redis with redis-cli --pipe and gives the same XINFO STREAM FULL; so does
    the log after BGREWRITEAOF (streams rewritten as XADD/XSETID/XGROUP/XCLAIM, as Redis's
    rewriteStreamObject does) loads into both to the same streams, with an empty stream
    that still holds a group beside it."""
    import shutil
    import subprocess

    from kvengine import Engine, ManualClock

    real_client.flushall()
    clock = ManualClock()
    kv = Engine(str(tmp_path), clock=clock, active_expire=False, persistence="aof")
    kv.xgroup_create("s", "g", "$", mkstream=True)
    kv.xgroup_create("s", "h", "0")
    for i in range(450):
        kv.xadd("s", {"i": i, "pad": "x" * (i % 50)}, maxlen=300 if i % 100 == 99 else None)
        if i % 3 == 0:
            clock.advance(ms=1)
    kv.xreadgroup("g", "a", {"s": ">"}, count=40)
    kv.xreadgroup("g", "b", {"s": ">"}, count=5, noack=True)
    kv.xreadgroup("h", "a", {"s": ">"}, count=7)
    clock.advance(ms=100)
    kv.xreadgroup("g", "a", {"s": "0"}, count=3)
    first = kv.xrange("s", count=12)
    kv.xack("s", "g", first[0][0], first[1][0])
    kv.xdel("s", first[5][0], first[6][0])
    kv.xclaim("s", "g", "c", 50, [first[2][0], first[5][0], first[7][0]])
    kv.xautoclaim("s", "g", "d", 0, start_id=first[8][0], count=3)
    kv.xgroup_createconsumer("s", "h", "nobody")
    kv.xtrim("s", minid=first[10][0], approximate=False)
    kv.execute_command("XSETID", "s", "99999999999999-0")
    kv.xgroup_setid("s", "h", first[9][0])
    kv.xgroup_create("empty", "g", "$", mkstream=True)
    kv.execute_command("XSETID", "empty", "5-5")
    if rewrite:
        kv.bgrewriteaof()
        kv.server.persistence.wait()
        assert b"RESTORE" not in (tmp_path / "appendonly.aof").read_bytes()
        # As in Redis, a rewrite cannot carry pending entries whose messages were deleted
        # or trimmed (XCLAIM ... FORCE skips a missing message), so what a real Redis loads
        # is compared with what kvengine loads from the same rewritten log.
        kv.close()
        kv = Engine(str(tmp_path), clock=clock, active_expire=False, persistence="aof")
    mine = kv._call([b"XINFO", b"STREAM", b"s", b"FULL", b"COUNT", b"0"])
    mine_empty = kv._call([b"XINFO", b"STREAM", b"empty", b"FULL"])
    kv.close()
    exe = shutil.which("redis-cli")
    assert exe is not None
    proc = subprocess.run([exe, "-p", str(redis_port), "--pipe"], input=(tmp_path / "appendonly.aof").read_bytes(),
                          capture_output=True, timeout=60)
    assert proc.returncode == 0 and b"errors: 0," in proc.stdout, proc.stdout + proc.stderr
    real_client.response_callbacks.clear()
    theirs = real_client.execute_command("XINFO", "STREAM", "s", "FULL", "COUNT", "0")
    from tests.differential.conftest import normalize

    assert _mask_full(normalize(mine)) == _mask_full(normalize(theirs))
    theirs_empty = real_client.execute_command("XINFO", "STREAM", "empty", "FULL")
    assert _mask_full(normalize(mine_empty)) == _mask_full(normalize(theirs_empty))


@pytest.mark.parametrize("spread", [1, 97, 65536, 1 << 40])
def test_xinfo_radix_tree_figures(both, spread: int) -> None:
    """radix-tree-keys / -nodes over many nodes, IDs spread so their bytes branch differently."""
    rnd = random.Random(spread)
    ms = 1
    for i in range(2500):
        ms += rnd.randint(0, spread)
        both.eq("XADD", "s", f"{ms}-*", "f", str(i))
        if i % 500 == 499:
            both.eq("XINFO", "STREAM", "s")
    both.eq("XTRIM", "s", "MAXLEN", "~", "1200")
    both.eq("XINFO", "STREAM", "s")
    victims = [r[0] for r in both.real.execute_command("XRANGE", "s", "-", "+", "COUNT", "400")][100:300]
    both.eq("XDEL", "s", *victims)
    both.eq("XINFO", "STREAM", "s")


@pytest.mark.parametrize("timeout", ["1e308", "1.5", "inf", "nan", "99999999999999999999", "abc", "",
                                     "-1", "-9223372036854775808"])
@pytest.mark.parametrize("cmd", ["XREAD", "XREADGROUP"])
def test_block_timeouts_are_strict_integers(both, cmd, timeout) -> None:
    """BLOCK is read as a 64-bit integer of milliseconds (getLongLongFromObjectOrReply):
    floats and huge values are refused at once, never waited on."""
    both.eq("XADD", "s", "1-1", "f", "v")
    both.eq("XGROUP", "CREATE", "s", "g", "$")
    head = ["XREADGROUP", "GROUP", "g", "c"] if cmd == "XREADGROUP" else ["XREAD"]
    last = ">" if cmd == "XREADGROUP" else "$"
    both.error("timeout", *head, "BLOCK", timeout, "STREAMS", "s", last)
