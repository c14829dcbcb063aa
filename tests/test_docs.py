"""The docs that are generated must be current."""

from __future__ import annotations

from pathlib import Path

import kvengine  # noqa: F401  (registers every command)
from kvengine.cmddoc import commands_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_commands_reference_is_current() -> None:
    path = ROOT / "docs" / "commands.md"
    assert path.read_text() == commands_markdown() + "\n", (
        "docs/commands.md is stale: run `python -m kvengine.cmddoc > docs/commands.md`"
    )
