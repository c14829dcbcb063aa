"""TTL commands against a real redis-server (which runs on the wall clock)."""

from __future__ import annotations

import pytest

FAR = "99999999999"       # seconds, far in the future
FAR_MS = "99999999999000"


def test_expire_family(both) -> None:
    both.eq("SET", "k", "v")
    both.eq("EXPIRE", "k", "100")
    both.approx("TTL", "k")
    both.approx("PTTL", "k", tolerance=100)
    both.eq("PEXPIRE", "k", "100000")
    both.approx("TTL", "k")
    both.eq("EXPIREAT", "k", FAR)
    both.eq("EXPIRETIME", "k")
    both.eq("PEXPIRETIME", "k")
    both.eq("PEXPIREAT", "k", FAR_MS)
    both.eq("PEXPIRETIME", "k")
    both.eq("PERSIST", "k")
    both.eq("PERSIST", "k")
    both.eq("TTL", "k")
    both.eq("TTL", "missing")
    both.eq("PTTL", "missing")
    both.eq("EXPIRETIME", "k")
    both.eq("EXPIRETIME", "missing")
    both.eq("EXPIRE", "missing", "10")
    both.eq("PERSIST", "missing")


def test_expire_options(both) -> None:
    both.eq("SET", "k", "v")
    both.eq("EXPIRE", "k", "100", "XX")
    both.eq("EXPIRE", "k", "100", "GT")
    both.eq("EXPIRE", "k", "100", "LT")
    both.eq("EXPIRE", "k", "100", "NX")
    both.eq("EXPIRE", "k", "200", "NX")
    both.eq("EXPIRE", "k", "50", "GT")
    both.eq("EXPIRE", "k", "500", "GT")
    both.eq("EXPIRE", "k", "1000", "LT")
    both.eq("EXPIRE", "k", "10", "lt", "xx")
    both.approx("TTL", "k")


def test_past_times_delete(both) -> None:
    for cmd in [("EXPIRE", "k", "-1"), ("PEXPIRE", "k", "0"), ("EXPIREAT", "k", "1"), ("PEXPIREAT", "k", "1")]:
        both.eq("SET", "k", "v")
        both.eq(*cmd)
        both.eq("EXISTS", "k")


ERRORS = [
    ("Unsupported option", ("EXPIRE", "k", "10", "FOO")),
    ("NX and XX, GT or LT options at the same time are not compatible", ("EXPIRE", "k", "10", "NX", "XX")),
    ("NX and XX, GT or LT options at the same time are not compatible", ("EXPIRE", "k", "10", "NX", "GT")),
    ("GT and LT options at the same time are not compatible", ("EXPIRE", "k", "10", "GT", "LT")),
    ("not an integer", ("EXPIRE", "k", "1.5")),
    ("not an integer", ("PEXPIREAT", "k", "x")),
    ("invalid expire time", ("EXPIRE", "k", "9223372036854775807")),
    ("invalid expire time", ("PEXPIRE", "k", "9223372036854775807")),
    ("invalid expire time", ("EXPIREAT", "k", "-9223372036854775808")),
    ("wrong number of arguments", ("EXPIRE", "k")),
    ("wrong number of arguments", ("TTL",)),
    ("wrong number of arguments", ("PERSIST", "a", "b")),
]


@pytest.mark.parametrize("fragment, cmd", ERRORS, ids=[" ".join(c) for _, c in ERRORS])
def test_errors(both, fragment: str, cmd: tuple[str, ...]) -> None:
    both.eq("SET", "k", "v")
    both.error(fragment, *cmd)


def test_overwrite_clears_ttl_but_not_for_modifiers(both) -> None:
    both.eq("SET", "k", "1", "EX", "100")
    both.eq("INCR", "k")
    both.approx("TTL", "k")
    both.eq("APPEND", "k", "0")
    both.approx("TTL", "k")
    both.eq("SETRANGE", "k", "0", "9")
    both.approx("TTL", "k")
    both.eq("SETBIT", "k", "0", "1")
    both.approx("TTL", "k")
    both.eq("RENAME", "k", "j")
    both.approx("TTL", "j")
    both.eq("SET", "j", "x")
    both.eq("TTL", "j")
