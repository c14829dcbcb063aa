"""Error classes with redis-py's names, and Redis's exact error texts, written once.

When redis-py is importable our classes subclass its classes, so user code written
against a real server (``except redis.exceptions.ResponseError``) keeps working.
An error reply is built from Redis's full error line (``"ERR syntax error"``) by
:func:`error_from_line`, which mirrors redis-py's parser: a known prefix selects the
class and is stripped, any other line becomes a ResponseError with the line intact.
Every instance keeps the full line in ``.line`` for the RESP writer, the shell and Lua.
"""

from __future__ import annotations

try:  # pragma: no cover - depends on the environment
    from redis import exceptions as _rx
except ImportError:  # pragma: no cover
    _rx = None


def _base(name: str) -> tuple[type, ...]:
    """redis-py's class of that name as an extra base, or nothing without redis-py."""
    cls = getattr(_rx, name, None) if _rx is not None else None
    return (cls,) if cls is not None else ()


class RedisError(*(_base("RedisError") or (Exception,))):  # type: ignore[misc]
    """Base of every kvengine error (redis.exceptions.RedisError when available)."""

    line: str = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ConnectionError(RedisError, *_base("ConnectionError")):  # type: ignore[misc]  # noqa: A001
    """The engine is closed (there is no connection to lose)."""


class TimeoutError(RedisError, *_base("TimeoutError")):  # type: ignore[misc]  # noqa: A001
    """A client-side timeout."""


class ResponseError(RedisError, *_base("ResponseError")):  # type: ignore[misc]
    """An error reply from a command."""


class DataError(RedisError, *_base("DataError")):  # type: ignore[misc]
    """An argument that redis-py would refuse to encode (bool, None, ...)."""


class WatchError(RedisError, *_base("WatchError")):  # type: ignore[misc]
    """A watched key changed: the transaction did not run."""


class PubSubError(RedisError, *_base("PubSubError")):  # type: ignore[misc]
    """Misuse of a pub/sub object."""


class NoScriptError(ResponseError, *_base("NoScriptError")):  # type: ignore[misc]
    """NOSCRIPT: EVALSHA of an unknown script."""


class OutOfMemoryError(ResponseError, *_base("OutOfMemoryError")):  # type: ignore[misc]
    """OOM: used memory is over maxmemory and nothing can be evicted."""


class ExecAbortError(ResponseError, *_base("ExecAbortError")):  # type: ignore[misc]
    """EXECABORT: the transaction was discarded because of earlier errors."""


class ReadOnlyError(ResponseError, *_base("ReadOnlyError")):  # type: ignore[misc]
    """READONLY."""


class NoPermissionError(ResponseError, *_base("NoPermissionError")):  # type: ignore[misc]
    """NOPERM."""


class BusyLoadingError(ConnectionError, *_base("BusyLoadingError")):  # type: ignore[misc]
    """LOADING: the data set is being loaded."""


class AuthenticationError(ConnectionError, *_base("AuthenticationError")):  # type: ignore[misc]
    """Authentication refused."""


class BusyError(ResponseError):
    """BUSY: a script is running past busy-reply-threshold."""


class MisconfError(ResponseError):
    """MISCONF: persistence failed and writes are refused."""


# Prefix -> class, as redis-py's parser maps them (the prefix is stripped).
_PREFIX_CLASSES: dict[str, type[ResponseError] | type[ConnectionError]] = {
    "OOM": OutOfMemoryError,
    "WRONGPASS": AuthenticationError,
    "EXECABORT": ExecAbortError,
    "LOADING": BusyLoadingError,
    "NOSCRIPT": NoScriptError,
    "READONLY": ReadOnlyError,
    "NOAUTH": AuthenticationError,
    "NOPERM": NoPermissionError,
}
# Lines that stay whole (no prefix stripping) but get a more precise class.
_KEEP_CLASSES: dict[str, type[ResponseError]] = {"BUSY": BusyError, "MISCONF": MisconfError}


def error_from_line(line: str) -> RedisError:
    """Build the exception redis-py would raise for the error reply `line`."""
    code = line.split(" ", 1)[0]
    if code == "ERR":
        exc: RedisError = ResponseError(line[4:])
    elif code in _PREFIX_CLASSES:
        exc = _PREFIX_CLASSES[code](line[len(code) + 1:])
    else:
        exc = _KEEP_CLASSES.get(code, ResponseError)(line)
    exc.line = line
    return exc


def err(message: str) -> RedisError:
    """An ``ERR ...`` reply: ``raise err("syntax error")``."""
    return error_from_line("ERR " + message)


def error_line(exc: BaseException) -> str:
    """The Redis error line for an exception (``ERR ...`` for foreign ones)."""
    line = getattr(exc, "line", "")
    return line or "ERR " + str(exc)


# Redis's texts, written once.  Names follow Redis's shared.* objects where they exist.
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "syntax error"
NOT_INTEGER = "value is not an integer or out of range"
NOT_FLOAT = "value is not a valid float"
OUT_OF_RANGE = "index out of range"
NO_SUCH_KEY = "no such key"
OVERFLOW = "increment or decrement would overflow"
INVALID_EXPIRE = "invalid expire time in '{}' command"
DB_INDEX = "DB index is out of range"
SAME_OBJECT = "source and destination objects are the same"
BIT_OFFSET = "bit offset is not an integer or out of range"
BIT_VALUE = "bit is not an integer or out of range"
STRING_TOO_LONG = "string exceeds maximum allowed size (proto-max-bulk-len)"
NAN_OR_INF = "increment would produce NaN or Infinity"


def wrongtype() -> RedisError:
    """The WRONGTYPE reply."""
    return error_from_line(WRONGTYPE)


def syntax() -> RedisError:
    """``ERR syntax error``."""
    return err(SYNTAX)


def not_integer() -> RedisError:
    """``ERR value is not an integer or out of range``."""
    return err(NOT_INTEGER)


def wrong_args(name: str) -> RedisError:
    """``ERR wrong number of arguments for 'name' command`` (name as Redis prints it)."""
    return err(f"wrong number of arguments for '{name}' command")


def data_error(value: object) -> DataError:
    """The DataError redis-py's encoder raises for an unencodable argument."""
    return DataError(
        f"Invalid input of type: '{type(value).__name__}'. "
        "Convert to a bytes, string, int or float first."
    )
