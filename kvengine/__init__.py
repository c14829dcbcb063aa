"""kvengine: an embeddable, in-process, Redis-compatible key-value engine."""

from __future__ import annotations

from kvengine._native import NATIVE
from kvengine.client import Client
from kvengine.clock import ManualClock
from kvengine.engine import Engine
from kvengine.exceptions import (
    BusyError,
    ConnectionError,
    DataError,
    ExecAbortError,
    NoScriptError,
    OutOfMemoryError,
    RedisError,
    ResponseError,
    WatchError,
)

__version__ = "0.1.0"

__all__ = [
    "NATIVE",
    "BusyError",
    "Client",
    "ConnectionError",
    "DataError",
    "Engine",
    "ExecAbortError",
    "ManualClock",
    "NoScriptError",
    "OutOfMemoryError",
    "RedisError",
    "ResponseError",
    "WatchError",
    "__version__",
]
