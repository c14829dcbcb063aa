"""String commands: kvengine and a real redis-server give the same replies and errors."""

from __future__ import annotations

import pytest

# Each case is a sequence of commands run on a fresh database; every reply is compared.
CASES = {
    "set-get": [("SET", "k", "v"), ("GET", "k"), ("GET", "missing"), ("SET", "k", "w"), ("GET", "k")],
    "set-nx-xx": [("SET", "k", "1", "NX"), ("SET", "k", "2", "NX"), ("SET", "k", "3", "XX"),
                  ("SET", "x", "1", "XX"), ("GET", "k"), ("EXISTS", "x")],
    "set-get-option": [("SET", "k", "1", "GET"), ("SET", "k", "2", "GET"), ("SET", "k", "3", "NX", "GET"),
                       ("SET", "n", "3", "XX", "GET"), ("GET", "k")],
    "set-get-wrongtype": [("SETBIT", "s", "1", "1"), ("SET", "s", "x", "GET")],
    "set-options-case": [("set", "k", "v", "nx"), ("SET", "k", "v", "xX", "gEt"), ("SET", "k", "v", "KeepTTL")],
    "set-repeated-options": [("SET", "k", "v", "EX", "100", "EX", "200"), ("TTL", "k"),
                             ("SET", "k", "v", "NX", "NX"), ("SET", "k", "v", "GET", "GET")],
    "set-keepttl": [("SET", "k", "v", "EX", "100"), ("SET", "k", "w", "KEEPTTL"), ("TTL", "k"),
                    ("SET", "k", "x"), ("TTL", "k")],
    "set-pxat-exat": [("SET", "k", "v", "PXAT", "99999999999999"), ("PEXPIRETIME", "k"),
                      ("SET", "k", "v", "EXAT", "99999999999"), ("EXPIRETIME", "k"),
                      ("SET", "p", "v", "PXAT", "1"), ("GET", "p"), ("EXISTS", "p")],
    "setnx-setex-psetex": [("SETNX", "k", "1"), ("SETNX", "k", "2"), ("GET", "k"),
                           ("SETEX", "e", "100", "v"), ("TTL", "e"), ("PSETEX", "p", "100000", "v"),
                           ("GET", "p")],
    "getset-getdel": [("GETSET", "k", "1"), ("GETSET", "k", "2"), ("GETDEL", "k"), ("GETDEL", "k"),
                      ("EXISTS", "k")],
    "getex": [("SET", "k", "v"), ("GETEX", "k"), ("GETEX", "k", "EX", "100"), ("TTL", "k"),
              ("GETEX", "k", "PERSIST"), ("TTL", "k"), ("GETEX", "k", "PXAT", "1"), ("EXISTS", "k"),
              ("GETEX", "missing", "EX", "10")],
    "mget-mset": [("MSET", "a", "1", "b", "2"), ("MGET", "a", "b", "c"), ("LPUSH_SKIP",),
                  ("MSETNX", "c", "3", "a", "9"), ("MSETNX", "c", "3", "d", "4"), ("MGET", "a", "c", "d")],
    "append-strlen": [("APPEND", "k", "ab"), ("APPEND", "k", "cd"), ("STRLEN", "k"), ("STRLEN", "no"),
                      ("GET", "k")],
    "getrange": [("SET", "k", "Hello World"), ("GETRANGE", "k", "0", "4"), ("GETRANGE", "k", "-5", "-1"),
                 ("GETRANGE", "k", "-1", "-5"), ("GETRANGE", "k", "5", "3"), ("GETRANGE", "k", "0", "100"),
                 ("GETRANGE", "k", "-100", "2"), ("GETRANGE", "no", "0", "1"), ("SUBSTR", "k", "1", "2"),
                 ("SET", "e", ""), ("GETRANGE", "e", "0", "-1")],
    "setrange": [("SETRANGE", "k", "5", "abc"), ("GET", "k"), ("SETRANGE", "k", "0", "XY"), ("GET", "k"),
                 ("SETRANGE", "k", "1", ""), ("SETRANGE", "new", "3", ""), ("EXISTS", "new"),
                 ("SETRANGE", "k", "20", "z"), ("STRLEN", "k")],
    "incr-decr": [("INCR", "n"), ("INCRBY", "n", "10"), ("DECR", "n"), ("DECRBY", "n", "-5"), ("GET", "n"),
                  ("SET", "big", "9223372036854775806"), ("INCR", "big"), ("GET", "big"),
                  ("SET", "neg", "-9223372036854775808"), ("DECRBY", "neg", "0"), ("GET", "neg")],
    "incr-keeps-ttl": [("SET", "n", "1", "EX", "100"), ("INCR", "n"), ("TTL", "n")],
    "incrbyfloat": [("INCRBYFLOAT", "f", "10.5"), ("INCRBYFLOAT", "f", "0.1"), ("INCRBYFLOAT", "f", "-5"),
                    ("INCRBYFLOAT", "f", "3.0e3"), ("INCRBYFLOAT", "f", "5.0e-3"), ("GET", "f"),
                    ("SET", "i", "17"), ("INCRBYFLOAT", "i", "1.5"), ("INCRBYFLOAT", "x", "0.1"),
                    ("INCRBYFLOAT", "x", "0.2"), ("INCRBYFLOAT", "z", "1e10"), ("INCRBYFLOAT", "z", "-1e10"),
                    ("INCRBYFLOAT", "h", "0x10"), ("INCRBYFLOAT", "t", "1.23456789012345678901")],
    "lcs": [("MSET", "a", "ohmytext", "b", "mynewtext"), ("LCS", "a", "b"), ("LCS", "a", "b", "LEN"),
            ("LCS", "a", "b", "IDX"), ("LCS", "a", "b", "IDX", "MINMATCHLEN", "4"),
            ("LCS", "a", "b", "IDX", "WITHMATCHLEN"), ("LCS", "a", "b", "IDX", "MINMATCHLEN", "-3", "WITHMATCHLEN"),
            ("LCS", "a", "missing"), ("LCS", "x", "y", "LEN")],
}

ERRORS = [
    ("syntax error", ("SET", "k", "v", "PX", "6", "EX", "6")),
    ("syntax error", ("SET", "k", "v", "NX", "XX")),
    ("syntax error", ("SET", "k", "v", "EX")),
    ("syntax error", ("SET", "k", "v", "KEEPTTL", "EX", "5")),
    ("syntax error", ("SET", "k", "v", "FOO")),
    ("not an integer", ("SET", "k", "v", "EX", "abc")),
    ("invalid expire time", ("SET", "k", "v", "EX", "0")),
    ("invalid expire time", ("SET", "k", "v", "PX", "-1")),
    ("invalid expire time", ("SET", "k", "v", "EX", "9223372036854775807")),
    ("invalid expire time", ("SETEX", "k", "0", "v")),
    ("invalid expire time", ("PSETEX", "k", "-5", "v")),
    ("not an integer", ("SETEX", "k", "1.5", "v")),
    ("syntax error", ("GETEX", "k", "EX", "10", "PERSIST")),
    ("syntax error", ("GETEX", "k", "NX")),
    ("wrong number of arguments", ("GET",)),
    ("wrong number of arguments", ("SET", "k")),
    ("wrong number of arguments", ("MSET", "a")),
    ("wrong number of arguments", ("MSET", "a", "1", "b")),
    ("wrong number of arguments", ("MSETNX", "a", "1", "b")),
    ("wrong number of arguments", ("GETRANGE", "k", "0")),
    ("not an integer", ("GETRANGE", "k", "a", "1")),
    ("not an integer", ("INCRBY", "k", "1.5")),
    ("not an integer", ("INCRBY", "k", " 1")),
    ("not an integer", ("INCRBY", "k", "+1")),
    ("not an integer", ("INCRBY", "k", "01")),
    ("not an integer", ("INCRBY", "k", "-0")),
    ("not an integer", ("INCRBY", "k", "9223372036854775808")),
    ("decrement would overflow", ("DECRBY", "k", "-9223372036854775808")),
    ("not a valid float", ("INCRBYFLOAT", "k", "abc")),
    ("not a valid float", ("INCRBYFLOAT", "k", " 1")),
    ("not a valid float", ("INCRBYFLOAT", "k", "nan")),
    ("NaN or Infinity", ("INCRBYFLOAT", "k", "inf")),
    ("offset is out of range", ("SETRANGE", "k", "-1", "x")),
    ("maximum allowed size", ("SETRANGE", "k", "536870912", "x")),
    ("not an integer", ("SETRANGE", "k", "x", "x")),
    ("syntax error", ("LCS", "a", "b", "FOO")),
    ("both the length and indexes", ("LCS", "a", "b", "LEN", "IDX")),
    ("not an integer", ("LCS", "a", "b", "MINMATCHLEN", "x")),
    ("unknown command", ("NOSUCHCMD", "a", "b")),
]


@pytest.mark.parametrize("name", list(CASES))
def test_sequences(both, name: str) -> None:
    for cmd in CASES[name]:
        if cmd == ("LPUSH_SKIP",):
            continue
        both.eq(*cmd)


@pytest.mark.parametrize("fragment, cmd", ERRORS, ids=[" ".join(c) for _, c in ERRORS])
def test_errors(both, fragment: str, cmd: tuple[str, ...]) -> None:
    both.error(fragment, *cmd)


def test_errors_on_non_integer_values(both) -> None:
    both.eq("SET", "s", "abc")
    both.error("not an integer", "INCR", "s")
    both.error("not an integer", "DECRBY", "s", "2")
    both.error("not a valid float", "INCRBYFLOAT", "s", "1")
    both.eq("SET", "big", "9223372036854775807")
    both.error("would overflow", "INCR", "big")
    both.eq("SET", "f", "1.5")
    both.error("not an integer", "INCR", "f")
    both.eq("SET", "huge", "1e308")
    both.eq("INCRBYFLOAT", "huge", "1e308")  # long double: no overflow at 2e308
    both.eq("GET", "huge")
    both.eq("SET", "k", "v")
    both.error("invalid expire time", "GETEX", "k", "EX", "0")
    both.eq("GETEX", "missing", "EX", "0")


def test_wrongtype_on_strings_commands(both) -> None:
    # A hash or list may not exist yet in kvengine: use a type every build has via
    # the generic path, and skip if the container command is unknown to kvengine.
    _real, mine = both.raw("RPUSH", "l", "a")
    if isinstance(mine, tuple):
        pytest.skip("lists are not implemented")
    for cmd in [("GET", "l"), ("APPEND", "l", "x"), ("INCR", "l"), ("STRLEN", "l"), ("GETRANGE", "l", "0", "1"),
                ("SETRANGE", "l", "0", "x"), ("GETDEL", "l"), ("GETEX", "l"), ("INCRBYFLOAT", "l", "1")]:
        both.error("WRONGTYPE", *cmd)
    both.eq("MGET", "l")
    both.eq("SET", "l", "now a string")
    both.eq("GET", "l")
