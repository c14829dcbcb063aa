"""Bitmap commands against a real redis-server."""

from __future__ import annotations

import pytest

CASES = {
    "setbit-getbit": [("SETBIT", "b", "7", "1"), ("GETBIT", "b", "7"), ("GETBIT", "b", "6"), ("GET", "b"),
                      ("SETBIT", "b", "100", "1"), ("STRLEN", "b"), ("SETBIT", "b", "7", "0"),
                      ("GETBIT", "b", "100000"), ("GETBIT", "missing", "3")],
    "bitcount": [("SET", "s", "foobar"), ("BITCOUNT", "s"), ("BITCOUNT", "s", "0", "0"),
                 ("BITCOUNT", "s", "1", "1"), ("BITCOUNT", "s", "1", "1", "BYTE"), ("BITCOUNT", "s", "5", "30", "BIT"),
                 ("BITCOUNT", "s", "-2", "-1"), ("BITCOUNT", "s", "-1", "-2"), ("BITCOUNT", "s", "0", "-100"),
                 ("BITCOUNT", "s", "-100", "100"), ("BITCOUNT", "missing"), ("BITCOUNT", "missing", "0", "1"),
                 ("BITCOUNT", "s", "3", "1", "bit")],
    "bitpos": [("SET", "s", "\xff\xf0\x00"), ("BITPOS", "s", "0"), ("BITPOS", "s", "1"), ("BITPOS", "s", "1", "2"),
               ("SET", "z", "\x00\x00\x00"), ("BITPOS", "z", "1"), ("BITPOS", "z", "0"),
               ("SET", "f", "\xff\xff\xff"), ("BITPOS", "f", "0"), ("BITPOS", "f", "0", "0"),
               ("BITPOS", "f", "0", "0", "-1"), ("BITPOS", "s", "1", "7", "15", "BIT"),
               ("BITPOS", "s", "0", "1", "-1", "BYTE"), ("BITPOS", "missing", "0"), ("BITPOS", "missing", "1"),
               ("BITPOS", "s", "1", "5", "2"), ("BITPOS", "s", "0", "-2", "-1", "BIT")],
    "bitop": [("SET", "a", "foobar"), ("SET", "b", "abcdef"), ("BITOP", "AND", "d", "a", "b"), ("GET", "d"),
              ("BITOP", "OR", "d", "a", "b"), ("GET", "d"), ("BITOP", "XOR", "d", "a", "b", "missing"), ("GET", "d"),
              ("BITOP", "NOT", "d", "a"), ("GET", "d"), ("BITOP", "and", "e", "missing", "missing2"),
              ("EXISTS", "e"), ("SET", "short", "ab"), ("BITOP", "AND", "d", "a", "short"), ("GET", "d")],
}

ERRORS = [
    ("bit offset is not an integer", ("SETBIT", "b", "-1", "1")),
    ("bit offset is not an integer", ("SETBIT", "b", "4294967296", "1")),
    ("bit is not an integer", ("SETBIT", "b", "1", "2")),
    ("bit offset is not an integer", ("GETBIT", "b", "x")),
    ("The bit argument must be 1 or 0", ("BITPOS", "b", "2")),
    ("syntax error", ("BITOP", "NAND", "d", "a")),
    ("BITOP NOT must be called with a single source key", ("BITOP", "NOT", "d", "a", "b")),
    ("wrong number of arguments", ("BITOP", "AND", "d")),
]


@pytest.mark.parametrize("name", list(CASES))
def test_sequences(both, name: str) -> None:
    for cmd in CASES[name]:
        both.eq(*[a.encode("latin-1") if isinstance(a, str) else a for a in cmd])


@pytest.mark.parametrize("fragment, cmd", ERRORS, ids=[" ".join(c) for _, c in ERRORS])
def test_errors(both, fragment: str, cmd: tuple[str, ...]) -> None:
    both.error(fragment, *cmd)


def test_range_argument_errors_depend_on_the_key(both) -> None:
    both.eq("SET", "s", "foobar")
    for cmd in [("BITCOUNT", "s", "0"), ("BITCOUNT", "s", "a", "b"), ("BITCOUNT", "s", "0", "1", "FOO"),
                ("BITPOS", "s", "1", "a"), ("BITPOS", "s", "1", "0", "1", "FOO"),
                ("BITCOUNT", "missing", "0"), ("BITCOUNT", "missing", "a", "b")]:
        real, mine = both.raw(*cmd)
        assert mine == real, (cmd, mine, real)
