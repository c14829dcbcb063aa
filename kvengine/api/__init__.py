"""redis-py-shaped command methods, one mixin per command family.

Each data-type module adds its mixin to ``ALL_MIXINS``; :class:`kvengine.client.Client`
inherits them all.
"""

from __future__ import annotations

from kvengine.api.hashes import HashCommands
from kvengine.api.info import InfoCommands
from kvengine.api.keys import KeyCommands, ServerCommands
from kvengine.api.lists import ListCommands
from kvengine.api.persistence import PersistenceCommands
from kvengine.api.scripting import ScriptingCommands
from kvengine.api.sets import SetCommands
from kvengine.api.sort import SortCommands
from kvengine.api.streams import StreamCommands
from kvengine.api.strings import StringCommands
from kvengine.api.transactions import TransactionCommands
from kvengine.api.zsets import SortedSetCommands

ALL_MIXINS: list[type] = [
    StringCommands, KeyCommands, ServerCommands, HashCommands, SetCommands, ListCommands,
    TransactionCommands, SortedSetCommands, SortCommands, InfoCommands, PersistenceCommands,
    ScriptingCommands, StreamCommands,
]
