"""redis-py's persistence methods: save, bgsave, lastsave, bgrewriteaof."""

from __future__ import annotations

import datetime
from typing import Any

from kvengine.api.base import ApiBase


class PersistenceCommands(ApiBase):
    """SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF with redis-py's signatures and return shapes."""

    def save(self) -> bool:
        """Write a snapshot now, blocking until it is on disk."""
        self._x(b"SAVE")
        return True

    def bgsave(self, schedule: bool = True) -> bool:
        """Write a snapshot in the background (redis-py sends SCHEDULE by default)."""
        if schedule:
            self._x(b"BGSAVE", b"SCHEDULE")
        else:
            self._x(b"BGSAVE")
        return True

    def lastsave(self) -> datetime.datetime:
        """Time of the last successful save, as redis-py returns it (a naive local datetime)."""
        stamp: Any = self._x(b"LASTSAVE")
        return datetime.datetime.fromtimestamp(int(stamp))

    def bgrewriteaof(self) -> bool:
        """Rewrite the append-only log in the background."""
        self._x(b"BGREWRITEAOF")
        return True
