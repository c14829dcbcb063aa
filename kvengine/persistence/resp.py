"""RESP encoding of commands and a strict parser for append-only logs.

The log is what a client would send a Redis server: arrays of bulk strings
(``*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$1\\r\\nv\\r\\n``), so ``redis-cli --pipe`` loads it.
The parser reports exactly where a log stops making sense, and tells a command cut
short by the end of the file (a crash mid-write) from any other damage.
"""

from __future__ import annotations

from collections.abc import Iterator

from kvengine.commands import Argv


def encode_command(argv: Argv) -> bytes:
    """One command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(argv)]
    for arg in argv:
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


def encode_set(key: bytes, value: bytes) -> bytes:
    """``SET key value``, the hot case, in one formatting step."""
    return b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value)


def encode_select(db: int) -> bytes:
    """``SELECT db``."""
    text = b"%d" % db
    return b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n" % (len(text), text)


class RespError(Exception):
    """A log that is not valid RESP.  ``offset`` is where the bad command starts;
    ``truncated`` is True when the file simply ends inside the command."""

    def __init__(self, message: str, offset: int, truncated: bool) -> None:
        super().__init__(message)
        self.offset = offset
        self.truncated = truncated


MAX_ARGS = 1 << 20
MAX_BULK = 512 * 1024 * 1024


def parse_commands(data: bytes, base: int = 0) -> Iterator[tuple[int, int, Argv]]:
    """Yield (start offset, end offset, argv) for each command in `data`.

    Offsets are relative to the file (`base` is the offset of ``data[0]``).  Raises
    :class:`RespError` at the first command that is cut short or malformed.
    """
    pos, end = 0, len(data)
    find = data.find
    while pos < end:
        start = pos
        if data[pos] != 0x2A:  # '*'
            raise RespError(f"expected '*', got {bytes(data[pos:pos + 1])!r}", base + start, False)
        nl = find(b"\r\n", pos + 1, min(end, pos + 24))
        if nl < 0:
            _cut_or_bad(data, pos + 1, end, base + start)
        text = data[pos + 1: nl]
        if not text.isdigit() or len(text) > 18:
            raise RespError(f"invalid array length {text[:20]!r}", base + start, False)
        n = int(text)
        if n < 1 or n > MAX_ARGS:
            raise RespError(f"invalid array length {n}", base + start, False)
        pos = nl + 2
        argv: Argv = []
        for _ in range(n):
            if pos >= end:
                raise RespError("unexpected end of file", base + start, True)
            if data[pos] != 0x24:  # '$'
                raise RespError(f"expected '$', got {bytes(data[pos:pos + 1])!r}", base + start, False)
            nl = find(b"\r\n", pos + 1, min(end, pos + 24))
            if nl < 0:
                _cut_or_bad(data, pos + 1, end, base + start)
            text = data[pos + 1: nl]
            if not text.isdigit() or len(text) > 18:
                raise RespError(f"invalid bulk length {text[:20]!r}", base + start, False)
            size = int(text)
            if size > MAX_BULK:
                raise RespError(f"invalid bulk length {size}", base + start, False)
            pos = nl + 2
            stop = pos + size
            if stop + 2 > end:
                # The tail must be a prefix of what a complete write would have left.
                if stop >= end or data[stop:end] == b"\r":
                    raise RespError("unexpected end of file", base + start, True)
                raise RespError("bulk string not followed by CRLF", base + start, False)
            if data[stop: stop + 2] != b"\r\n":
                raise RespError("bulk string not followed by CRLF", base + start, False)
            argv.append(data[pos:stop])
            pos = stop + 2
        yield base + start, base + pos, argv


def _cut_or_bad(data: bytes, pos: int, end: int, start: int) -> None:
    """A length line without CRLF: the file ends inside it, or it is garbage."""
    tail = data[pos:end]
    if len(tail) < 24 and (tail.isdigit() or tail == b"" or (tail[:-1].isdigit() and tail[-1:] == b"\r")):
        raise RespError("unexpected end of file", start, True)
    raise RespError("length line too long or missing CRLF", start, False)
