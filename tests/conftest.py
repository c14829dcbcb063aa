"""Shared fixtures: a fresh engine on a manual clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kvengine import Engine, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when the test says so."""
    return ManualClock(1_700_000_000_000)


@pytest.fixture
def kv(clock: ManualClock) -> Iterator[Engine]:
    """A fresh in-memory engine on `clock`, without the background expiry thread."""
    engine = Engine(clock=clock, active_expire=False, seed=1)
    yield engine
    engine.close()
