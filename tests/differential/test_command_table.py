"""kvengine's command table against a real Redis's COMMAND INFO.

Arity, flags and key positions come from the table, so they must be Redis's: the
table drives arity errors, MULTI queueing, script restrictions and the OOM gate.
"""

from __future__ import annotations

import pytest

from kvengine.commands import Flag, all_commands

# Flags kvengine reports on purpose differently, with the reason.
FLAG_EXCEPTIONS: dict[str, set[str]] = {}


def _info(real_client, name: str):
    parent, _, sub = name.partition("|")
    reply = real_client.execute_command("COMMAND", "INFO", parent)
    entry = reply[0]
    if entry is None:
        return None
    if not sub:
        return entry
    for subentry in entry[9]:
        if subentry[0].decode() == name:
            return subentry
    return None


def _names() -> list[str]:
    return [cmd.name for cmd in all_commands()]


@pytest.mark.parametrize("name", _names())
def test_matches_redis(real_client, name: str) -> None:
    cmd = next(c for c in all_commands() if c.name == name)
    entry = _info(real_client, name)
    assert entry is not None, f"{name} does not exist in Redis"
    real_name, arity, flags, first, last, step = entry[:6]
    assert real_name.decode() == name
    assert cmd.arity == arity, f"{name}: arity {cmd.arity} != {arity}"
    real_flags = {f.decode() for f in flags} - FLAG_EXCEPTIONS.get(name, set())
    mine = set(cmd.flag_names) - FLAG_EXCEPTIONS.get(name, set())
    assert mine == real_flags, f"{name}: flags {sorted(mine)} != {sorted(real_flags)}"
    assert (cmd.first_key, cmd.last_key, cmd.step) == (first, last, step), name


def test_every_flag_has_a_redis_name() -> None:
    assert all(f.name for f in Flag)
