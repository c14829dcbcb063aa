"""The snapshot file: every key of every database, checksummed, msgpack inside.

Layout (all integers little-endian)::

    header   "KVENGSNP" u16 version u16 flags u32 meta-length  meta (msgpack map)  u32 crc
    blocks   "B" u8 flags u32 length u32 crc  payload            (repeated)
    footer   "E" u8 0 u64 key-count u32 file-crc "KVENDSNP"

A block's payload is a msgpack stream of whole records (a block never splits one),
zlib-compressed when its flag bit 0 is set.  Records: an int selects a database; a
3-array ``[key, value, expire_ms]`` is a string; a 4-array ``[key, type, state,
expire_ms]`` is any other type (``state`` from the type's ``dump_state``).
``expire_ms`` is absolute, -1 for none.  Each block carries the CRC-32 of its stored
payload (so damage is located), and the footer the CRC-32 of every byte before it
(so nothing escapes); with ``rdbchecksum no`` both are 0 and not verified (the
header's own CRC, which guards the flags, always is).

Writing goes to a temp file that is fsynced and renamed over the old one, then the
directory is fsynced: a crash leaves either the old snapshot or the new one.
Reading verifies as it goes and raises :class:`PersistenceError` naming the file and
the offset of the damage; the caller discards whatever it had loaded.  No pickle:
a hostile file can only be rejected.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import msgpack

from kvengine.persistence.base import PersistenceError, Progress, unique_suffix, write_all, write_atomic
from kvengine.serialize import VALUE_TYPES

MAGIC = b"KVENGSNP"
END_MAGIC = b"KVENDSNP"
FORMAT_VERSION = 1
FLAG_CHECKSUM = 1
FLAG_ZLIB = 1

_HEAD = struct.Struct("<8sHHI")
_CRC = struct.Struct("<I")
_BLOCK = struct.Struct("<cBII")
_FOOT = struct.Struct("<cBQI8s")
BLOCK_SIZE = 256 * 1024
NO_EXPIRE = -1
_INT64_MIN = -(1 << 63)  # a lookup time before every expiry: read without expiring

Record = tuple[bytes, Any, Any, int]
"""(key, type name or None for a string, value state, expire_ms)."""
Source = Iterable[tuple[int, Iterable[Record]]]
"""(db index, records) for each non-empty database."""


def table_records(table: Any) -> Iterator[Record]:
    """The records of a keyspace table, encoded on the fly (fork child, SAVE)."""
    for key, value, expire in table.items():
        if type(value) is bytes:
            yield key, None, value, expire
        else:
            yield key, value.redis_type, value.dump_state(), expire


def records_of(records: Any) -> Iterable[Record]:
    """The records of one database of a Source (a live table or a list of records)."""
    return table_records(records) if hasattr(records, "get_expire") else records


def server_source(dbs: list[Any]) -> Source:
    """(db index, live table) for every non-empty database: the writers read a table
    directly (fewer layers per key than table_records) and encode as they go."""
    return [(db.id, db.table) for db in dbs if len(db.table)]


def copied_source(dbs: list[Any]) -> Source:
    """A point-in-time copy of every database (values' states are fresh objects), for
    background saving where fork() is unavailable."""
    return [(db.id, list(table_records(db.table))) for db in dbs if len(db.table)]


def count_keys(dbs: list[Any]) -> int:
    """Keys in every database (a progress total)."""
    return sum(len(db.table) for db in dbs)


class _Writer:
    """Accumulates the running CRC and the offset while writing to an fd."""

    def __init__(self, fd: int, checksum: bool) -> None:
        self.fd = fd
        self.crc = 0
        self.offset = 0
        self.checksum = checksum

    def write(self, data: bytes) -> None:
        write_all(self.fd, data)
        if self.checksum:
            self.crc = zlib.crc32(data, self.crc)
        self.offset += len(data)


def write_snapshot(
    path: str,
    source: Source,
    *,
    checksum: bool = True,
    compress: bool = True,
    meta: dict[str, Any] | None = None,
    fsync: bool = True,
    progress: Progress | None = None,
    total: int = 0,
    tmp: str | None = None,
) -> int:
    """Write a snapshot of `source` to `path` atomically (through `tmp`, by default a
    per-process unique name beside it); return the number of keys."""
    tmp = tmp or os.path.join(os.path.dirname(os.path.abspath(path)),
                              f"temp-{unique_suffix()}-{os.path.basename(path)}")
    return write_atomic(
        path,
        lambda fd: write_snapshot_fd(fd, source, checksum=checksum, compress=compress, meta=meta,
                                     progress=progress, total=total),
        fsync,
        tmp,
    )


def write_snapshot_fd(
    fd: int,
    source: Source,
    *,
    checksum: bool = True,
    compress: bool = True,
    meta: dict[str, Any] | None = None,
    progress: Progress | None = None,
    total: int = 0,
) -> int:
    """Write a whole snapshot to an open fd (no fsync, no rename); return the key count."""
    out = _Writer(fd, checksum)
    meta_bytes = msgpack.packb(meta or {}, use_bin_type=True)
    head = _HEAD.pack(MAGIC, FORMAT_VERSION, FLAG_CHECKSUM if checksum else 0, len(meta_bytes)) + meta_bytes
    out.write(head + _CRC.pack(zlib.crc32(head)))  # always: it guards the checksum flag itself
    packer = msgpack.Packer(use_bin_type=True, autoreset=False)
    pack = packer.pack
    keys = 0

    def emit() -> None:
        payload = packer.bytes()
        packer.reset()
        flags = 0
        if compress and len(payload) > 64:
            packed = zlib.compress(payload, 1)
            if len(packed) < len(payload):
                payload, flags = packed, FLAG_ZLIB
        crc = zlib.crc32(payload) if checksum else 0
        out.write(_BLOCK.pack(b"B", flags, len(payload), crc) + payload)
        if progress is not None:
            progress("save", keys, total)

    getbuffer = packer.getbuffer
    for db_id, records in source:
        pack(db_id)
        if hasattr(records, "get_expire"):  # a live table: the hot loop, inlined
            lookup, get_expire = records.lookup, records.get_expire
            for key in records.keys():
                value = lookup(key, _INT64_MIN, False)
                if type(value) is bytes:
                    pack((key, value, get_expire(key)))
                else:
                    pack((key, value.redis_type, value.dump_state(), get_expire(key)))
                keys += 1
                if not keys & 255 and len(getbuffer()) >= BLOCK_SIZE:
                    emit()
            continue
        for key, kind, state, expire in records:
            if kind is None:
                pack((key, state, expire))
            else:
                pack((key, kind, state, expire))
            keys += 1
            if not keys & 255 and len(getbuffer()) >= BLOCK_SIZE:
                emit()
    if len(packer.getbuffer()):
        emit()
    foot_head = struct.pack("<cBQ", b"E", 0, keys)
    crc = zlib.crc32(foot_head, out.crc) if checksum else 0
    out.write(foot_head + _CRC.pack(crc) + END_MAGIC)
    return keys


# -- reading -------------------------------------------------------------------------------------
class SnapshotReader:
    """Reads and verifies a snapshot, yielding (db index, key, value, expire_ms).

    Values are decoded into live objects (bytes or registered types).  Any damage
    raises PersistenceError naming the file and offset; nothing is yielded from a
    block before its checksum was verified.
    """

    def __init__(self, path: str, data: bytes | None = None, label: str | None = None) -> None:
        self.path = path
        self.label = label or path
        if data is None:
            with open(path, "rb") as f:
                data = f.read()
        self.data = data
        self.meta: dict[str, Any] = {}
        self.keys = 0
        self.counted = 0
        self.end_offset = 0

    def fail(self, what: str, offset: int) -> PersistenceError:
        return PersistenceError(f"{self.label}: {what} at offset {offset}")

    def records(self, progress: Progress | None = None) -> Iterator[tuple[int, bytes, Any, int]]:
        """Yield (db, key, value, expire_ms) for every key; the footer is checked last."""
        db = 0
        decoders: dict[str, Callable[[Any], Any]] = {}
        for offset, payload in self.payloads(progress):
            try:
                unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=0)
                unpacker.feed(payload)
                for rec in unpacker:
                    if type(rec) is int:
                        db = rec
                        continue
                    key, value, expire = self.decode(rec, decoders)
                    self.counted += 1
                    yield db, key, value, expire
            except PersistenceError:
                raise
            except Exception as exc:
                raise self.fail(f"malformed record in block ({exc})", offset) from None

    @staticmethod
    def decode(rec: Any, decoders: dict[str, Callable[[Any], Any]]) -> tuple[bytes, Any, int]:
        """One key record into (key, live value, expire_ms); ValueError if malformed."""
        if len(rec) == 3:
            key, value, expire = rec
            if type(value) is not bytes:
                raise ValueError("string value is not bytes")
        else:
            key, type_name, state, expire = rec
            dec = decoders.get(type_name)
            if dec is None:
                cls = VALUE_TYPES.get(type_name)
                if cls is None:
                    raise ValueError(f"unknown value type {type_name!r}")
                dec = decoders[type_name] = cls.load_state
            value = dec(state)
        if type(key) is not bytes or type(expire) is not int:
            raise ValueError("malformed key record")
        return key, value, expire

    def payloads(self, progress: Progress | None = None) -> Iterator[tuple[int, bytes]]:
        """Yield (block offset, verified and decompressed payload) for every block,
        then check the footer (key count included: ``self.counted`` must be set by
        the consumer as it goes)."""
        data = self.data
        n = len(data)
        if n < _HEAD.size:
            raise self.fail("truncated header (file too short)", n)
        magic, version, flags, meta_len = _HEAD.unpack_from(data, 0)
        if magic != MAGIC:
            raise self.fail("not a kvengine snapshot (bad magic)", 0)
        if version > FORMAT_VERSION:
            raise self.fail(f"unsupported snapshot format version {version}", 8)
        checksum = bool(flags & FLAG_CHECKSUM)
        pos = _HEAD.size + meta_len
        if pos + 4 > n:
            raise self.fail("truncated header", n)
        (crc,) = _CRC.unpack_from(data, pos)
        if zlib.crc32(data[:pos]) != crc:
            raise self.fail("header checksum mismatch", 0)
        try:
            meta = msgpack.unpackb(data[_HEAD.size:pos], raw=False, strict_map_key=False)
        except Exception:
            raise self.fail("malformed header metadata", _HEAD.size) from None
        if not isinstance(meta, dict):
            raise self.fail("malformed header metadata", _HEAD.size)
        self.meta = meta
        pos += 4
        self.counted = 0
        while True:
            if pos >= n:
                raise self.fail("truncated file: no footer", pos)
            kind = data[pos:pos + 1]
            if kind == b"E":
                break
            if kind != b"B":
                raise self.fail(f"unknown block type {kind!r}", pos)
            if pos + _BLOCK.size > n:
                raise self.fail("truncated block header", pos)
            _, bflags, length, bcrc = _BLOCK.unpack_from(data, pos)
            start = pos + _BLOCK.size
            if start + length > n:
                raise self.fail(f"truncated block (needs {length} bytes, {n - start} left)", pos)
            payload = data[start:start + length]
            if checksum and zlib.crc32(payload) != bcrc:
                raise self.fail("block checksum mismatch", pos)
            if bflags & ~FLAG_ZLIB:
                raise self.fail(f"unknown block flags {bflags}", pos)
            if bflags & FLAG_ZLIB:
                try:
                    payload = zlib.decompress(payload)
                except zlib.error:
                    raise self.fail("block does not decompress", pos) from None
            yield pos, payload
            if progress is not None:
                progress("load", self.counted, 0)
            pos = start + length
        keys = self.counted
        if pos + _FOOT.size > n:
            raise self.fail("truncated footer", pos)
        _, _, count, fcrc, magic_end = _FOOT.unpack_from(data, pos)
        if checksum and zlib.crc32(data[:pos + 10]) != fcrc:
            raise self.fail("file checksum mismatch", pos)
        if magic_end != END_MAGIC:
            raise self.fail("bad footer magic", pos + 14)
        if count != keys:
            raise self.fail(f"key count mismatch (footer says {count}, found {keys})", pos)
        self.end_offset = pos + _FOOT.size
        self.keys = keys


def is_snapshot(data: bytes) -> bool:
    """Does `data` start like a kvengine snapshot?"""
    return data[:8] == MAGIC


def read_meta(path: str) -> dict[str, Any]:
    """Header metadata of a snapshot without reading the keys."""
    with open(path, "rb") as f:
        head = f.read(_HEAD.size)
        if len(head) < _HEAD.size or head[:8] != MAGIC:
            raise PersistenceError(f"{path}: not a kvengine snapshot at offset 0")
        meta_len = _HEAD.unpack(head)[3]
        meta = msgpack.unpackb(f.read(meta_len), raw=False, strict_map_key=False)
    return meta if isinstance(meta, dict) else {}
