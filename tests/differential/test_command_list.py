"""COMMAND LIST and its FILTERBY forms against a real Redis 7.0.

kvengine implements a subset of Redis's commands, so an unfiltered list is a subset of
Redis's; a filter over a family kvengine implements whole gives the same names.
"""

from __future__ import annotations

import pytest

from kvengine.commands import all_commands


def _names(reply: object) -> set[bytes]:
    assert isinstance(reply, list)
    return set(reply)


def test_command_list_holds_subcommands_and_only_redis_names(both) -> None:
    real, mine = both.raw("COMMAND", "LIST")
    assert _names(mine) <= _names(real)
    assert b"config|get" in _names(mine) and b"get" in _names(mine)
    assert len(mine) == len(all_commands())


@pytest.mark.parametrize("args", [
    ("PATTERN", "config*"),
    ("PATTERN", "CONFIG|G?T"),
    ("PATTERN", "[hz]rand*"),
    ("PATTERN", "nosuch*"),
    ("ACLCAT", "nosuchcategory"),
    ("MODULE", "anything"),
])
def test_filters_match_redis(both, args) -> None:
    both.eq("COMMAND", "LIST", "FILTERBY", *args, sort=True)


@pytest.mark.parametrize("cat", ["hash", "SortedSet", "scripting", "transaction", "string"])
def test_aclcat_filter_is_redis_subset_and_exact_on_what_kvengine_has(both, cat) -> None:
    real, mine = both.raw("COMMAND", "LIST", "FILTERBY", "ACLCAT", cat)
    have = {c.name.encode() for c in all_commands()}
    assert _names(mine) == _names(real) & have


@pytest.mark.parametrize("args", [
    ("FOO",),
    ("FILTERBY",),
    ("FILTERBY", "PATTERN"),
    ("FILTERBY", "BAD", "x"),
    ("FILTERBY", "PATTERN", "a", "extra"),
])
def test_syntax_errors_match_redis(both, args) -> None:
    both.error("syntax error", "COMMAND", "LIST", *args)
