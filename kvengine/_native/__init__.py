"""The keyspace table: the C table through cffi, or its pure-Python twin.

``KVENGINE_PUREPYTHON=1`` selects the twin; ``KVENGINE_REQUIRE_NATIVE=1`` turns a
missing native build into an ImportError instead of a silent fallback (CI and the
benchmarks set it, so a broken build cannot pass unnoticed).
"""

from __future__ import annotations

import os

from kvengine._native.pytable import KEEP_EXPIRE, NO_EXPIRE

NATIVE = False
"""True when the C table is loaded."""

if os.environ.get("KVENGINE_PUREPYTHON", "") not in ("", "0"):
    from kvengine._native.pytable import MemGroup, Table
else:
    try:
        from kvengine._native.ctable import MemGroup, Table  # type: ignore[assignment]

        NATIVE = True
    except ImportError:
        if os.environ.get("KVENGINE_REQUIRE_NATIVE", "") not in ("", "0"):
            raise
        from kvengine._native.pytable import MemGroup, Table

__all__ = ["KEEP_EXPIRE", "NATIVE", "NO_EXPIRE", "MemGroup", "Table"]
