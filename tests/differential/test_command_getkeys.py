"""COMMAND INFO's ACL categories, tips and key specs, and COMMAND GETKEYS /
GETKEYSANDFLAGS, for every command in kvengine's table, against a real Redis."""

from __future__ import annotations

import pytest

from kvengine.commands import all_commands
from kvengine.keyspecs import COMMAND_DOCS

NAMES = [cmd.name for cmd in all_commands()]


def _argv(name: str) -> list[str]:
    return [part.upper() for part in name.split("|")]


def test_every_command_has_its_redis_docs() -> None:
    missing = [name for name in NAMES if name not in COMMAND_DOCS]
    assert not missing, f"run `python -m tests.gen_command_docs` to add {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_command_info_matches(both, name: str) -> None:
    parent = name.split("|")[0]
    real, mine = both.raw("COMMAND", "INFO", parent)
    (real_entry,), (my_entry,) = real, mine
    if "|" in name:
        real_entry = next(s for s in real_entry[9] if s[0] == name.encode())
        my_entry = next(s for s in my_entry[9] if s[0] == name.encode())
    assert my_entry[:9] == real_entry[:9], name
    # kvengine has a subset of some containers' subcommands (COMMAND DOCS is not built).
    assert {s[0] for s in my_entry[9]} <= {s[0] for s in real_entry[9]}


def _shapes(n: int) -> list[list[str]]:
    keys = [f"k{i}" for i in range(n)]
    out = [keys]
    for pos in range(min(n, 3)):
        for token in ("2", "0", "abc"):
            out.append([*keys[:pos], token, *keys[pos + 1:]])
    return out


@pytest.mark.parametrize("name", NAMES)
def test_getkeys_matches(both, name: str) -> None:
    head = _argv(name)
    for n in range(0, 8):
        for args in _shapes(n):
            both.eq("COMMAND", "GETKEYS", *head, *args)
            both.eq("COMMAND", "GETKEYSANDFLAGS", *head, *args)


GETKEYS_CASES = [
    ("SORT", "k", "BY", "w*", "STORE", "dst"),
    ("SORT", "k", "LIMIT", "0", "1", "STORE", "dst", "STORE", "d2"),
    ("SORT", "k", "STORE"),
    ("SORT", "k", "GET", "STORE", "x"),
    ("SORT_RO", "k", "BY", "x", "STORE", "y"),
    ("SET", "k", "v", "GET"), ("SET", "k", "v", "get"), ("SET", "k", "v", "EX", "10"), ("SET", "k", "v", "GETX"),
    ("ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"), ("ZUNIONSTORE", "dst", "5", "a"),
    ("ZINTERCARD", "2", "a", "b", "LIMIT", "1"), ("ZDIFF", "2", "a", "b", "WITHSCORES"),
    ("EVAL", "return 1", "2", "a", "b", "c"), ("EVAL", "return 1", "-1"), ("EVALSHA_RO", "x", "1", "a"),
    ("FCALL", "f", "1", "a"), ("FCALL_RO", "f", "2", "a"),
    ("LMPOP", "2", "a", "b", "LEFT", "COUNT", "2"), ("BLMPOP", "0", "2", "a", "b", "LEFT"),
    ("ZMPOP", "1", "a", "MIN"), ("BZMPOP", "0", "1", "a", "MAX"), ("SINTERCARD", "3", "a", "b", "c"),
    ("MSET", "a", "1", "b"), ("MSETNX", "a", "1", "b", "2"), ("BLPOP", "a", "b", "0"),
    ("OBJECT", "ENCODING", "k"), ("MEMORY", "USAGE", "k", "SAMPLES", "5"), ("GETEX", "k", "PERSIST"),
    ("PING",), ("NOSUCH", "a"), ("OBJECT", "NOSUCH", "k"), ("GET",),
]


def test_getkeys_cases(both) -> None:
    for call in GETKEYS_CASES:
        both.eq("COMMAND", "GETKEYS", *call)
        both.eq("COMMAND", "GETKEYSANDFLAGS", *call)
    both.eq("COMMAND", "GETKEYS")
    both.eq("COMMAND", "GETKEYS", "GET")
