"""redis-py-shaped command methods, one mixin per command family.

Each data-type module adds its mixin to ``ALL_MIXINS``; :class:`kvengine.client.Client`
inherits them all.
"""

from __future__ import annotations

from kvengine.api.hashes import HashCommands
from kvengine.api.keys import KeyCommands, ServerCommands
from kvengine.api.lists import ListCommands
from kvengine.api.sets import SetCommands
from kvengine.api.strings import StringCommands
from kvengine.api.transactions import TransactionCommands

ALL_MIXINS: list[type] = [
    StringCommands, KeyCommands, ServerCommands, HashCommands, SetCommands, ListCommands,
    TransactionCommands,
]
