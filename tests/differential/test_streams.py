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
