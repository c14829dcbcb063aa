"""Value serialization shared by DUMP/RESTORE and the persistence backends.

Strings are bytes.  Every other value type is a class with a ``redis_type`` name,
registered here, that turns itself into msgpack-friendly state and back::

    @register_type
    class Hash:
        redis_type = "hash"
        def dump_state(self) -> object: ...
        @classmethod
        def load_state(cls, state: object) -> "Hash": ...

msgpack only, never pickle: a payload from an untrusted source can at worst be
rejected, never run code.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any, TypeVar

import msgpack

VALUE_TYPES: dict[str, Any] = {}
"""redis_type name -> value class (every type but string)."""

T = TypeVar("T")

DUMP_VERSION = 1
_DUMP_TRAILER = struct.Struct("<HI")  # format version, CRC-32 of everything before


def register_type(cls: T) -> T:
    """Class decorator: make a value type known to DUMP/RESTORE and persistence."""
    VALUE_TYPES[cls.redis_type] = cls  # type: ignore[attr-defined]
    return cls


def encode_value(value: object) -> list[Any]:
    """[type name, state] for msgpack."""
    if type(value) is bytes:
        return ["string", value]
    return [value.redis_type, value.dump_state()]  # type: ignore[attr-defined]


def decode_value(item: Any) -> object:
    """Inverse of encode_value; ValueError for anything malformed."""
    if not isinstance(item, (list, tuple)) or len(item) != 2:
        raise ValueError("malformed value")
    kind, state = item
    if kind == "string":
        if not isinstance(state, bytes):
            raise ValueError("malformed string")
        return state
    cls = VALUE_TYPES.get(kind)
    if cls is None:
        raise ValueError(f"unknown value type {kind!r}")
    return cls.load_state(state)


def dump_payload(value: object) -> bytes:
    """DUMP's serialized form: msgpack, then a version and a CRC-32 (like Redis's
    layout of payload + RDB version + CRC64, in kvengine's own format)."""
    body = msgpack.packb(encode_value(value), use_bin_type=True)
    head = body + struct.pack("<H", DUMP_VERSION)
    return head + struct.pack("<I", zlib.crc32(head))


def load_payload(payload: bytes) -> object:
    """Inverse of dump_payload; ValueError if the version or checksum is wrong."""
    if len(payload) < _DUMP_TRAILER.size:
        raise ValueError("payload too short")
    version, crc = _DUMP_TRAILER.unpack(payload[-_DUMP_TRAILER.size:])
    if version != DUMP_VERSION or zlib.crc32(payload[:-4]) != crc:
        raise ValueError("bad version or checksum")
    try:
        item = msgpack.unpackb(payload[:-_DUMP_TRAILER.size], raw=False, strict_map_key=False)
    except Exception as exc:  # msgpack raises several unrelated classes
        raise ValueError("malformed payload") from exc
    return decode_value(item)
