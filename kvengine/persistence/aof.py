"""The append-only log: RESP commands appended as they happen, replayed on load.

What is logged is what happened, not what was asked (dispatch hands us the log
form), so the log is valid input for a real Redis: ``redis-cli --pipe < file``.
A ``SELECT`` is written whenever the database changes, and at the start of every
file, so each file stands alone.

Writes are buffered in memory and leave for the OS according to ``appendfsync``:

* ``always``: write and fsync before the command returns (its reply is an
  acknowledgement that the write is on disk);
* ``everysec``: the backend's background thread writes the buffer every
  ``aof_write_interval`` (0.1 s) and fsyncs once a second, off the command path:
  a killed process loses at most ~0.1 s of writes, a crashed machine ~1 s;
* ``no``: the same writes, and fsync is left to the OS.

A failing write (ENOSPC, EIO) keeps the buffer for a retry, cuts a partial write
back off the file, and sets ``aof_last_write_status:err``: writes are refused with
Redis's ``MISCONF Errors writing to the AOF file: ...`` until a retry succeeds.

This module also holds the pieces both log layouts share: replay through the normal
execution path, and the rewrite of a data set as commands.  :class:`SingleFileLog`
is the one-file layout (Redis 6's ``appendonly.aof``), rewritten in place: a child
writes the new file while the parent keeps appending to the old one and keeps a
copy of what it appends; when the child is done, that copy is appended to the new
file, which then replaces the old one.  No write made during a rewrite is lost.
"""

from __future__ import annotations

import errno
import logging
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, cycle, repeat
from typing import TYPE_CHECKING, Any

import msgpack

from kvengine import exceptions as e
from kvengine.persistence import snapshot
from kvengine.persistence.base import (
    FS,
    Ops,
    PersistenceError,
    Settings,
    _silent_unlink,
    unique_suffix,
    write_all,
)
from kvengine.persistence.resp import RespError, encode_command, encode_select, parse_commands
from kvengine.serialize import DUMP_VERSION

if TYPE_CHECKING:
    from kvengine.server import Server

log = logging.getLogger("kvengine.persistence")

AOF_REWRITE_ITEMS_PER_CMD = 64  # Redis's constant: items per HSET/RPUSH/SADD/ZADD of a rewrite
OVERFLOW = 16 << 20             # bytes buffered before a write to the OS from the command path


_SET_FORMAT = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
_SETS_MAX = 1 << 17  # deferred SET keys and values before they are encoded on the command path
_LENGTHS = [b"%d" % n for n in range(1 << 12)]
_SET_PREFIXES = (b"\r\n*3\r\n$3\r\nSET\r\n$", b"\r\n$")


def format_sets(sets: list[bytes]) -> bytes:
    """``SET k v`` commands in RESP for [k1, v1, k2, v2, ...], encoded in bulk: every
    loop runs in C (map, zip, join), about twice as fast as one ``%`` per command.
    Each bulk string is "<prefix><length>\r\n<bytes>", the prefix closing the
    previous string; the first prefix's CRLF is dropped and the last one added."""
    lengths = _LENGTHS
    try:
        heads = map(lengths.__getitem__, map(len, sets))
        body = b"".join(chain.from_iterable(zip(cycle(_SET_PREFIXES), heads, repeat(b"\r\n"), sets)))
    except IndexError:  # a key or value of 4 KiB or more
        body = b"".join(chain.from_iterable(zip(cycle(_SET_PREFIXES), (b"%d" % len(x) for x in sets),
                                                repeat(b"\r\n"), sets)))
    return body[2:] + b"\r\n"


# -- writing -------------------------------------------------------------------------------------
class LogFile:
    """One log file open for appending, with its buffer, size and error state.

    ``append`` and ``write_out`` run under the engine lock; ``fsync`` may run in a
    background thread.  ``io_lock`` orders the writes and protects the fd (always
    taken after the engine lock, never before it).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd = FS.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self.size = os.fstat(self.fd).st_size   # bytes the OS has
        self.synced_size = self.size            # bytes known to be on disk
        self.buf = bytearray()
        self.selected_db = -1
        self.io_lock = threading.Lock()
        self.write_errno = 0                    # last write error (0: ok)
        self.fsync_errno = 0                    # first fsync error since the last rewrite (0: ok)
        self.fsync_failures = 0                 # failed fsyncs, ever (a rewrite compares it)
        self.copy: bytearray | None = None      # the rewrite buffer (single-file rewrite)
        # SETs of the fast path (append_set), not yet encoded: key, value, key, value,
        # ... all in `fast_db`, all after what `buf` holds.  Encoded in bulk (format_sets)
        # before anything else touches the buffer.
        self.sets: list[bytes] = []
        self.fast_db = -2                       # selected_db while append_set may defer; -2: never

    def append(self, ops: Ops) -> None:
        """Encode `ops` into the buffer (SELECT first when the database changes)."""
        if self.sets:
            self.encode_sets()
        buf = self.buf
        start = len(buf)
        for db, argv in ops:
            if db != self.selected_db:
                buf += encode_select(db)
                self.selected_db = db
            if len(argv) == 3 and argv[0] == b"SET":
                key, value = argv[1], argv[2]
                buf += _SET_FORMAT % (len(key), key, len(value), value)
            else:
                buf += encode_command(argv)
        if self.copy is not None:
            self.copy += buf[start:]
            self.fast_db = -2  # a rewrite copies every write as it is appended
        else:
            self.fast_db = self.selected_db
        if len(buf) > OVERFLOW:  # a burst between background ticks: do not hoard memory
            self.write_out()

    def append_set(self, db: int, key: bytes, value: bytes) -> None:
        """``append([(db, [b"SET", key, value])])`` for the engine's SET fast path
        (``server.log_set``, used when nothing else is queued and no fsync waits for
        the command, see DiskBackend._bind): in the current database it only keeps
        the two references; they are encoded in bulk when the buffer is next used
        (every ``aof_write_interval``), which costs less than encoding one at a time.
        Anything else takes the general path."""
        if db != self.fast_db:
            self.append([(db, [b"SET", key, value])])
            return
        sets = self.sets
        sets.append(key)
        sets.append(value)
        if len(sets) > _SETS_MAX:  # a burst between background ticks: encode and write
            self.encode_sets()
            if len(self.buf) > OVERFLOW:
                self.write_out()

    def encode_sets(self) -> None:
        """Move the deferred SETs into the buffer, encoded (lock held)."""
        sets, self.sets = self.sets, []
        if sets:
            self.buf += format_sets(sets)

    def pending(self) -> int:
        """Bytes buffered but not yet handed to the OS (lock held)."""
        if self.sets:
            self.encode_sets()
        return len(self.buf)

    def discard_buffer(self) -> None:
        """Forget what is buffered (lock held): a rewrite made it redundant."""
        self.sets = []
        self.buf = bytearray()

    def write_out(self) -> bool:
        """Hand the buffer to the OS.  On failure keep it, cut any partial write off
        the file, record the error and return False."""
        if self.sets:
            self.encode_sets()
        if not self.buf:
            return self.write_errno == 0 or self._clear_error()
        with self.io_lock:
            data = self.buf
            try:
                write_all(self.fd, data)
            except OSError as exc:
                self.write_errno = exc.errno or errno.EIO
                try:  # a partial command would poison the log: cut it off
                    FS.ftruncate(self.fd, self.size)
                except OSError:
                    pass
                return False
            self.size += len(data)
            self.buf = bytearray()
            self.write_errno = 0
            return True

    def _clear_error(self) -> bool:
        self.write_errno = 0
        return True

    def fsync(self) -> bool:
        """fsync what the OS has; record the outcome.

        A failure is sticky ("fsyncgate"): after a failed fsync the kernel may have
        dropped the dirty pages and marked them clean, so a retried fsync can
        succeed with the data gone.  What was written since the last good fsync is
        then unknown, and only a rewrite of the log from memory (which clears
        ``fsync_errno``, see DiskBackend) makes the log trustworthy again."""
        with self.io_lock:
            size = self.size
            if self.fd < 0:
                return True
            try:
                FS.fsync(self.fd)
            except OSError as exc:
                self.fsync_errno = self.fsync_errno or exc.errno or errno.EIO
                self.fsync_failures += 1
                return False
            if not self.fsync_errno:
                self.synced_size = max(self.synced_size, size)
            return True

    def error(self) -> int:
        """The errno that makes writes refused, or 0."""
        return self.write_errno or self.fsync_errno

    def reopen(self, path: str) -> None:
        """Append to another (new, empty) file from now on; the buffer must be empty.
        The object stays the same, so whoever holds ``append`` keeps feeding it."""
        fd = FS.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        with self.io_lock:
            if self.fd >= 0:
                FS.close(self.fd)
            self.fd = fd
            self.path = path
            self.size = self.synced_size = os.fstat(fd).st_size
            self.selected_db = self.fast_db = -1

    def close(self) -> None:
        with self.io_lock:
            if self.fd >= 0:
                FS.close(self.fd)
                self.fd = -1


def misconf_aof(errno_value: int) -> str:
    """Redis's MISCONF line for a failing log."""
    return f"MISCONF Errors writing to the AOF file: {os.strerror(errno_value)}"


# -- rewriting a data set as commands ------------------------------------------------------------
def _chunks(items: list[Any], step: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), step):
        yield items[i:i + step]


def record_commands(key: bytes, kind: str | None, state: Any, expire: int) -> Iterator[list[bytes]]:
    """Commands that recreate one key (Redis's rewriteAppendOnlyFileRio)."""
    n = AOF_REWRITE_ITEMS_PER_CMD
    if kind is None:
        yield [b"SET", key, state]
    elif kind == "hash":
        for chunk in _chunks(state[1], 2 * n):
            yield [b"HSET", key, *chunk]
    elif kind == "list":
        for chunk in _chunks(state, n):
            yield [b"RPUSH", key, *chunk]
    elif kind == "set":
        for chunk in _chunks(state[1], n):
            yield [b"SADD", key, *chunk]
    elif kind == "zset":
        flat = state[1]
        pairs = [repr(float(flat[i + 1])).encode() if i % 2 == 0 else None for i in range(0, len(flat), 2)]
        args: list[bytes] = []
        for j, i in enumerate(range(0, len(flat), 2)):
            args += [pairs[j], flat[i]]  # type: ignore[list-item]
        for chunk in _chunks(args, 2 * n):
            yield [b"ZADD", key, *chunk]
    elif kind == "stream":
        yield from stream_commands(key, state)
    else:
        # A type without a command form: kvengine's own RESTORE payload (kvengine
        # loads it; a real Redis would refuse it).
        yield [b"RESTORE", key, b"0", dump_payload_state(kind, state), b"REPLACE"]
    if expire >= 0:
        yield [b"PEXPIREAT", key, b"%d" % expire]


def stream_commands(key: bytes, state: Any) -> Iterator[list[bytes]]:
    """Commands that recreate a stream with its groups (Redis's rewriteStreamObject):
    an XADD per entry (or the `XADD MAXLEN 0` trick for an empty stream), XSETID with the
    last ID, entries-added and max-deleted ID, then per group XGROUP CREATE ... ENTRIESREAD,
    XGROUP CREATECONSUMER for each consumer and an XCLAIM ... JUSTID FORCE per pending
    entry with its delivery time and count. The log stays valid input for a real Redis."""
    from kvengine.t_stream import MAX_ID, Stream, fmt_id

    s = Stream.load_state(state)
    if s.length:
        for id_, flat in s.range(0, MAX_ID):
            yield [b"XADD", key, fmt_id(id_), *flat]
    else:
        yield [b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]
    yield [b"XSETID", key, fmt_id(s.last_id), b"ENTRIESADDED", b"%d" % s.entries_added,
           b"MAXDELETEDID", fmt_id(s.max_deleted)]
    for g in s.groups.values():
        yield [b"XGROUP", b"CREATE", key, g.name, fmt_id(g.last_id), b"ENTRIESREAD", b"%d" % g.entries_read]
        for consumer in g.consumers.values():
            yield [b"XGROUP", b"CREATECONSUMER", key, g.name, consumer.name]
            for id_, nack in consumer.pel.items():
                yield [b"XCLAIM", key, g.name, consumer.name, b"0", fmt_id(id_), b"TIME",
                       b"%d" % nack.delivery_time, b"RETRYCOUNT", b"%d" % nack.delivery_count,
                       b"JUSTID", b"FORCE"]


def dump_payload_state(kind: str, state: Any) -> bytes:
    """DUMP's payload for an already encoded value (see kvengine.serialize.dump_payload)."""
    body = msgpack.packb([kind, state], use_bin_type=True) + struct.pack("<H", DUMP_VERSION)
    return body + struct.pack("<I", zlib.crc32(body))


def write_commands_fd(fd: int, source: snapshot.Source) -> int:
    """Write `source` as RESP commands to an fd; return the number of keys."""
    keys = 0
    buf = bytearray()
    for db_id, records in source:
        buf += encode_select(db_id)
        for key, kind, state, expire in snapshot.records_of(records):
            for argv in record_commands(key, kind, state, expire):
                buf += encode_command(argv)
            keys += 1
            if len(buf) >= 1 << 18:
                write_all(fd, buf)
                buf = bytearray()
    if not keys and not buf:
        buf += encode_select(0)  # never an empty file: an empty log can only be damage
    if buf:
        write_all(fd, buf)
    return keys


def write_base_fd(fd: int, source: snapshot.Source, settings: Settings, meta: dict[str, Any]) -> int:
    """A log base: a snapshot (aof-use-rdb-preamble yes) or commands."""
    if settings.aof_use_rdb_preamble:
        return snapshot.write_snapshot_fd(fd, source, checksum=settings.rdbchecksum,
                                          compress=settings.rdbcompression, meta=meta)
    return write_commands_fd(fd, source)


# -- replay -------------------------------------------------------------------------------------------
@dataclass
class ReplayResult:
    """What loading one RESP log (or its RESP part) did."""

    commands: int = 0
    errors: int = 0           # commands that answered an error (ignored, as Redis does)
    valid_end: int = 0        # file offset after the last complete command or EXEC
    truncated: bool = False   # the file ends inside a command or a transaction
    warnings: list[str] = field(default_factory=list)


_ALWAYS_RELATIVE = {b"expire", b"pexpire", b"setex", b"psetex"}
_RELATIVE = _ALWAYS_RELATIVE | {b"set", b"getex"}


class Replayer:
    """Runs logged commands through the normal execution path (``dispatch.execute``)
    with a client of its own, feeding off, ``server.loading`` on and the command
    time pinned before every expiry, so that no key expires while the log replays
    (as Redis: a key that outlived its TTL is deleted once loading is over)."""

    def __init__(self, server: Server) -> None:
        from kvengine.client import Client

        self.server = server
        self.client = Client(server, 0)
        self.real_now = server.clock()
        # Keys the replay wrote (per db), whose access time must be set once it is
        # over; `everything` when a command moved keys between databases.
        self.touched: dict[int, set[bytes]] = {}
        self.everything = False

    def run(self, argv: list[bytes], cmd: Any = None) -> bool:
        """Execute one command (`cmd`: its resolved table row); False if it answered
        an error."""
        from kvengine.dispatch import execute, resolve

        if cmd is None:
            cmd = resolve(argv)
        srv = self.server
        # kvengine logs absolute times only; a relative TTL in a hand-written log
        # counts from now, as when Redis loads it.
        name = argv[0].lower()
        srv.now = self.real_now if name in _RELATIVE and (
            name in _ALWAYS_RELATIVE or any(a.lower() in (b"ex", b"px") for a in argv[3 if name == b"set" else 2:])
        ) else 0
        if cmd.first_key:
            keys = cmd.keys(argv)
            if keys:
                db_id = self.client.db.id
                touched = self.touched.get(db_id)
                if touched is None:
                    touched = self.touched[db_id] = set()
                touched.update(keys)
        elif name == b"swapdb":
            self.everything = True
        if name in (b"move", b"copy"):
            self.everything = True
        try:
            execute(self.client, cmd, argv)
        except e.ResponseError:
            return False
        finally:
            srv.ready_keys.clear()
            srv.pending_ops.clear()
        return True

    def replay(self, data: bytes, label: str, *, base: int = 0, allow_truncated: bool = True) -> ReplayResult:
        """Replay every command of `data` (a file's bytes from offset `base`).

        A file that ends inside a command or inside MULTI ... EXEC is cut back to
        the last complete command when `allow_truncated` (``aof-load-truncated``),
        and refused otherwise; anything else malformed is refused with the offset.
        """
        from kvengine.dispatch import resolve

        result = ReplayResult(valid_end=base)
        multi: list[tuple[list[bytes], Any]] | None = None
        multi_start = base
        try:
            for start, end, argv in parse_commands(data, base):
                name = argv[0].lower()
                if name == b"multi":
                    if multi is not None:
                        raise PersistenceError(f"{label}: nested MULTI at offset {start}")
                    multi, multi_start = [], start
                    continue
                if name == b"exec":
                    if multi is None:
                        raise PersistenceError(f"{label}: EXEC without MULTI at offset {start}")
                    for queued, queued_cmd in multi:
                        result.errors += not self.run(queued, queued_cmd)
                        result.commands += 1
                    multi = None
                    result.valid_end = end
                    continue
                try:
                    cmd = resolve(argv)
                except e.ResponseError as exc:
                    raise PersistenceError(
                        f"{label}: unknown command or wrong arity "
                        f"'{argv[0][:64].decode('utf-8', 'replace')}' ({exc}) at offset {start}"
                    ) from None
                if multi is not None:
                    multi.append((argv, cmd))
                    continue
                result.errors += not self.run(argv, cmd)
                result.commands += 1
                result.valid_end = end
        except RespError as exc:
            if not exc.truncated:
                raise PersistenceError(f"{label}: {exc} at offset {exc.offset}") from None
            if not allow_truncated:
                raise PersistenceError(
                    f"{label}: unexpected end of file at offset {exc.offset} (the last command is "
                    "truncated; set aof-load-truncated yes or run check-aof --fix)"
                ) from None
            result.truncated = True
            result.warnings.append(f"{label}: the last command is truncated at offset {exc.offset}")
        if multi is not None:
            if not allow_truncated:
                raise PersistenceError(
                    f"{label}: unexpected end of file inside MULTI at offset {multi_start} "
                    "(set aof-load-truncated yes or run check-aof --fix)"
                )
            result.truncated = True
            result.valid_end = multi_start
            result.warnings.append(f"{label}: incomplete MULTI/EXEC transaction reverted at offset {multi_start}")
        if result.errors:
            result.warnings.append(f"{label}: {result.errors} logged commands answered an error (ignored)")
        return result


def load_log_file(
    server: Server,
    replayer: Replayer,
    path: str,
    *,
    allow_truncated: bool,
    cut: bool,
    label: str | None = None,
) -> tuple[int, ReplayResult]:
    """Load one log file (a snapshot preamble, then RESP): (keys from the preamble,
    replay result).  With `cut`, a truncated tail is removed from the file, as
    Redis does under aof-load-truncated."""
    label = label or path
    with open(path, "rb") as f:
        data = f.read()
    keys = 0
    offset = 0
    if snapshot.is_snapshot(data):
        reader = snapshot.SnapshotReader(path, data, label)
        keys = load_snapshot_records(server, reader, skip_expired=False)
        offset = reader.end_offset
    view = data[offset:] if offset else data
    result = replayer.replay(view, label, base=offset, allow_truncated=allow_truncated)
    if result.truncated:
        for warning in result.warnings:
            log.warning(warning)
        if cut:
            fd = FS.open(path, os.O_WRONLY)
            try:
                FS.ftruncate(fd, result.valid_end)
                if not result.valid_end:  # never leave an empty log (it reads as lost content)
                    write_all(fd, encode_select(0))
                FS.fsync(fd)
            finally:
                FS.close(fd)
            log.warning("%s: cut back to %d bytes (aof-load-truncated yes)", label, result.valid_end)
    return keys, result


def load_snapshot_records(server: Server, reader: snapshot.SnapshotReader, *, skip_expired: bool,
                          progress: Any = None) -> int:
    """Put every record of `reader` into the server's databases; return the count.

    The hot loop of loading, written out: one msgpack stream per verified block,
    strings straight into the table, other types through their ``load_state``."""
    now = server.clock()
    tables = [db.table for db in server.dbs]
    ntables = len(tables)
    loaded = expired = 0
    db = 0
    table = tables[0]
    decoders: dict[str, Any] = {}
    decode = reader.decode
    for offset, payload in reader.payloads(progress):
        unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=0)
        unpacker.feed(payload)
        try:
            for rec in unpacker:
                if type(rec) is int:
                    if not 0 <= rec < ntables:
                        raise PersistenceError(f"{reader.label}: database {rec} out of range "
                                               f"(the engine has {ntables}) at offset {offset}")
                    db = rec
                    table = tables[db]
                    continue
                if len(rec) == 3 and type(rec[1]) is bytes:
                    key, value, expire = rec
                    if type(key) is not bytes or type(expire) is not int:
                        raise ValueError("malformed key record")
                else:
                    key, value, expire = decode(rec, decoders)
                reader.counted += 1
                if skip_expired and 0 <= expire < now:
                    expired += 1
                    continue
                table.set(key, value, expire, now)
                loaded += 1
        except PersistenceError:
            raise
        except Exception as exc:
            raise reader.fail(f"malformed record in block ({exc})", offset) from None
    reader.expired_skipped = expired  # type: ignore[attr-defined]
    return loaded


# -- the single-file layout -------------------------------------------------------------------------
class SingleFileLog:
    """``dir/appendfilename``: one RESP file (with a snapshot preamble when
    ``aof-use-rdb-preamble yes`` at the last rewrite), rewritten in place."""

    layout = "single"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = os.path.join(settings.dir, settings.appendfilename)
        self.file: LogFile | None = None
        self.base_size = 0

    # -- files ---------------------------------------------------------------------------
    def exists(self) -> bool:
        return os.path.exists(self.path)

    def files(self) -> list[str]:
        return [self.path]

    @property
    def current_size(self) -> int:
        f = self.file
        return 0 if f is None else f.size + f.pending()

    def load(self, server: Server, replayer: Replayer) -> tuple[int, ReplayResult]:
        if os.path.getsize(self.path) == 0:
            # kvengine never writes an empty log (an empty data set is a SELECT or an
            # empty snapshot preamble): this one lost its content.
            raise PersistenceError(f"{self.path}: empty log (0 bytes) at offset 0: its content is lost; "
                                   "restore it from a backup, or delete it if the data set really was empty")
        keys, result = load_log_file(server, replayer, self.path,
                                     allow_truncated=self.settings.aof_load_truncated, cut=True)
        return keys, result

    def open(self) -> None:
        self.file = LogFile(self.path)
        self.base_size = self.file.size

    def create(self, server: Server) -> None:
        """Start a log holding the current data set (written synchronously)."""
        tmp = f"{self.path}.tmp-{unique_suffix()}"
        fd = FS.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            write_base_fd(fd, snapshot.server_source(server.dbs), self.settings, {"aof-base": True})
            FS.fsync(fd)
        finally:
            FS.close(fd)
        FS.replace(tmp, self.path)
        FS.fsync_dir(self.settings.dir)
        self.open()

    # -- rewrite ---------------------------------------------------------------------------
    def rewrite_target(self) -> str:
        return os.path.join(self.settings.dir, f"temp-rewriteaof-bg-{unique_suffix()}.aof")

    def begin_rewrite(self) -> None:
        """Parent side, lock held: keep a copy of everything appended from now on."""
        assert self.file is not None
        # What is buffered now is already in the data set the child writes; what is
        # appended from now on goes to both files.  The copy starts with a SELECT.
        self.file.encode_sets()
        self.file.copy = bytearray()
        self.file.selected_db = self.file.fast_db = -1

    def child_write(self, tmp: str, source: snapshot.Source) -> None:
        """Child side: the rewritten log into `tmp`, fsynced."""
        fd = FS.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            write_base_fd(fd, source, self.settings, {"aof-base": True})
            FS.fsync(fd)
        finally:
            FS.close(fd)

    def finish_rewrite(self, tmp: str, ok: bool) -> None:
        """Parent side, lock held: append the writes made meanwhile, swap the files."""
        f = self.file
        assert f is not None
        copy, f.copy = f.copy, None
        if not ok:
            _silent_unlink(tmp)
            return
        written = copy if copy is not None else bytearray()
        try:
            fd = FS.open(tmp, os.O_WRONLY | os.O_APPEND)
            try:
                base = os.fstat(fd).st_size
                write_all(fd, written)
                FS.fsync(fd)
            finally:
                FS.close(fd)
            FS.replace(tmp, self.path)
            FS.fsync_dir(self.settings.dir)
        except OSError:
            _silent_unlink(tmp)
            raise
        # Everything still buffered is either older than the fork (in the child's
        # data set) or in the copy just written: the new file needs none of it.
        f.discard_buffer()
        with f.io_lock:
            FS.close(f.fd)
            f.fd = FS.open(self.path, os.O_WRONLY | os.O_APPEND)
            f.size = f.synced_size = os.fstat(f.fd).st_size
            f.path = self.path
        self.base_size = base

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
