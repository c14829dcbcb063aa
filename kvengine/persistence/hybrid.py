"""Redis 7's multi-part log: a base, incremental logs, and a manifest naming them.

Layout, in ``dir/appenddirname`` (``appendonlydir``)::

    appendonly.aof.manifest           which files make the data set, in order
    appendonly.aof.1.base.rdb         the base: a snapshot (aof-use-rdb-preamble yes)
    appendonly.aof.1.base.aof           ... or RESP commands (aof-use-rdb-preamble no)
    appendonly.aof.1.incr.aof         RESP commands appended since the base
    appendonly.aof.2.incr.aof         (more than one while a rewrite runs or after one failed)

The manifest is Redis's format (``file <name> seq <n> type b|i``), always written to
a temp file, fsynced and renamed.  The ``.base.rdb`` base holds kvengine's snapshot
format, not Redis's RDB (the name keeps Redis's layout; a real Redis refuses the
file with a clear error); the ``.incr.aof`` files are plain RESP that
``redis-cli --pipe`` loads, and so is a ``.base.aof`` base.

A rewrite never blocks writers for long and never loses a write: when it starts, the
parent closes the current incremental file and opens a new one, and records both in
the manifest (so a crash mid-rewrite still loads everything); a child writes the new
base from a point-in-time view; when it succeeds the new base replaces the old base
and every older incremental file in one manifest rename, and the old files are
deleted.  If it fails, nothing changed but an extra incremental file.
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kvengine.persistence import snapshot
from kvengine.persistence.aof import LogFile, Replayer, ReplayResult, load_log_file, write_base_fd
from kvengine.persistence.base import (
    FS,
    PersistenceError,
    Settings,
    _silent_unlink,
    unique_suffix,
    write_file_atomic,
)

if TYPE_CHECKING:
    from kvengine.server import Server

BASE, INCR, HISTORY = "b", "i", "h"


@dataclass
class Part:
    """One manifest line."""

    name: str
    seq: int
    type: str
    offset: int = field(default=0, compare=False)  # of its line in the manifest read
    size: int = field(default=-1, compare=False)   # its complete size; -1: growing or unknown


_HEADER = re.compile(rb"# kvengine manifest crc32 ([0-9a-f]{8})((?: sizes(?: (?:\d+|-))+)?)")
_KV_NAME = re.compile(r".*\.(\d+)\.(base|incr)\.(rdb|aof)")
FIX_HINT = "run python -m kvengine check-aof on the directory to see what is damaged"


def parse_manifest(data: bytes | str, label: str) -> list[Part]:
    """Redis 7's manifest lines into parts (order kept); PersistenceError, naming the
    offset, for anything that is not a whole, consistent manifest.

    Refused, never read as an empty data set: an empty file, a last line without its
    newline (a torn write), no base or incremental file (a manifest of comments), a
    checksum that does not match (kvengine's first line, a comment to Redis),
    malformed lines, a name or type listed twice, a base after an incremental
    file, incremental sequence numbers out of order, and a kvengine-style name
    (``<name>.<seq>.<base|incr>.<ext>``) that disagrees with its seq or type."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    sizes: list[int] | None = None
    if not raw:
        raise PersistenceError(f"{label}: empty manifest (0 bytes) at offset 0: the data set it "
                               f"named is unknown; restore the file or {FIX_HINT}")
    if not raw.endswith(b"\n"):
        cut = raw.rfind(b"\n") + 1
        raise PersistenceError(f"{label}: truncated manifest (the last line has no newline) at offset "
                               f"{cut}; restore the file or {FIX_HINT}")
    parts: list[Part] = []
    offset = 0
    names: set[str] = set()
    lines = raw[:-1].split(b"\n")
    for lineno, bline in enumerate(lines, 1):
        start, offset = offset, offset + len(bline) + 1
        where = f"line {lineno} at offset {start}"
        if lineno == 1 and bline.startswith(b"# kvengine"):
            m = _HEADER.fullmatch(bline)
            if m is None:
                raise PersistenceError(f"{label}: malformed checksum line, {where}; {FIX_HINT}")
            if f"{zlib.crc32(raw[offset:], zlib.crc32(m.group(2))):08x}" != m.group(1).decode():
                raise PersistenceError(f"{label}: manifest checksum mismatch (damaged or edited), {where}; "
                                       f"restore the file or {FIX_HINT}")
            if m.group(2):
                sizes = [-1 if w == b"-" else int(w) for w in m.group(2).split()[1:]]
            continue
        line = bline.decode("utf-8", "replace").strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        bad = PersistenceError(f"{label}: malformed manifest {where}: {line!r}; {FIX_HINT}")
        if len(words) % 2:
            raise bad
        fields = dict(zip(words[::2], words[1::2]))
        try:
            part = Part(fields["file"], int(fields["seq"]), fields["type"], start)
        except (KeyError, ValueError):
            raise bad from None
        if part.type not in (BASE, INCR, HISTORY) or os.path.basename(part.name) != part.name or part.seq < 0:
            raise bad
        m2 = _KV_NAME.fullmatch(part.name)
        if m2 is not None and (int(m2.group(1)) != part.seq
                               or (part.type != HISTORY and m2.group(2)[0] != part.type)):
            raise PersistenceError(f"{label}: inconsistent manifest {where}: the name {part.name} does not "
                                   f"match seq {part.seq} type {part.type}; {FIX_HINT}")
        if part.name in names:
            raise PersistenceError(f"{label}: inconsistent manifest {where}: {part.name} listed twice; {FIX_HINT}")
        names.add(part.name)
        live = [p for p in parts if p.type != HISTORY]
        if part.type == BASE and live:
            raise PersistenceError(f"{label}: inconsistent manifest {where}: a base file after "
                                   f"{'another base' if live[0].type == BASE else 'an incremental file'}; {FIX_HINT}")
        if part.type == HISTORY and any(p.type == INCR for p in live):
            raise PersistenceError(f"{label}: inconsistent manifest {where}: a history file after an "
                                   f"incremental file; {FIX_HINT}")
        if part.type == INCR and live and live[-1].type == INCR and part.seq <= live[-1].seq:
            raise PersistenceError(f"{label}: inconsistent manifest {where}: incremental seq {part.seq} after "
                                   f"seq {live[-1].seq}; {FIX_HINT}")
        parts.append(part)
    if sizes is not None:
        if len(sizes) != len(parts):
            raise PersistenceError(f"{label}: inconsistent manifest: {len(sizes)} sizes for {len(parts)} files "
                                   f"at offset 0; {FIX_HINT}")
        for part, size in zip(parts, sizes):
            part.size = size
    if not any(p.type != HISTORY for p in parts):
        raise PersistenceError(f"{label}: the manifest lists no base or incremental file at offset 0 "
                               f"(comments only); restore the file or {FIX_HINT}")
    return parts


def format_manifest(parts: list[Part]) -> str:
    """The manifest text: kvengine's line (a comment to Redis) with a checksum of what
    follows it and the size of every complete file ("-": the one still appended
    to), so that a file cut at a command boundary is detected too; then one Redis
    line per part."""
    body = "".join(f"file {p.name} seq {p.seq} type {p.type}\n" for p in parts).encode()
    sizes = b" sizes " + b" ".join(b"-" if p.size < 0 else b"%d" % p.size for p in parts) if parts else b""
    return f"# kvengine manifest crc32 {zlib.crc32(body, zlib.crc32(sizes)):08x}{sizes.decode()}\n" + body.decode()


def check_size(part: Part, path: str) -> None:
    """PersistenceError if a complete file (its size recorded) is not that size."""
    if part.size < 0:
        return
    actual = os.path.getsize(path)
    if actual != part.size:
        what = "truncated" if actual < part.size else "longer than written"
        raise PersistenceError(f"{path}: {what}: {actual} bytes, the manifest recorded {part.size}, at offset "
                               f"{min(actual, part.size)}; restore the file or {FIX_HINT}")


def manifest_entries(text: str) -> list[str]:
    """The file names a manifest lists, in order (comments skipped)."""
    return [line.split()[1] for line in text.splitlines() if line.strip() and not line.startswith("#")]


class MultiPartLog:
    """The ``appendonlydir`` layout (the hybrid backend's log)."""

    layout = "multipart"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dir = os.path.join(settings.dir, settings.appenddirname)
        self.name = settings.appendfilename
        self.manifest_path = os.path.join(self.dir, f"{self.name}.manifest")
        self.parts: list[Part] = []
        self.file: LogFile | None = None
        self.base_size = 0
        self._closed_incr_size = 0   # sizes of incremental files no longer appended to
        self._rewrite_parts: list[Part] | None = None

    # -- files ------------------------------------------------------------------------------
    def exists(self) -> bool:
        return os.path.exists(self.manifest_path)

    def files(self) -> list[str]:
        return [os.path.join(self.dir, p.name) for p in self.parts]

    @property
    def base(self) -> Part | None:
        return next((p for p in self.parts if p.type == BASE), None)

    @property
    def incrs(self) -> list[Part]:
        return [p for p in self.parts if p.type == INCR]

    @property
    def current_size(self) -> int:
        f = self.file
        live = 0 if f is None else f.size + f.pending()
        return self.base_size + self._closed_incr_size + live

    def _path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def read_manifest(self) -> list[Part]:
        with open(self.manifest_path, "rb") as f:
            return parse_manifest(f.read(), self.manifest_path)

    def orphans(self) -> list[str]:
        """Base or incremental files of this log in a directory without a manifest."""
        pattern = re.compile(re.escape(self.name) + r"\.\d+\.(base|incr)\.(rdb|aof)")
        try:
            names = os.listdir(self.dir)
        except OSError:
            return []
        return sorted(n for n in names if pattern.fullmatch(n))

    def refuse_orphans(self) -> None:
        """No manifest but log files: the manifest was lost.  Creating a fresh log
        here would start from an empty data set and, at the next rewrite, delete
        the files that hold the data: refuse instead."""
        found = self.orphans()
        if found:
            raise PersistenceError(
                f"{self.manifest_path}: the manifest is missing but {self.dir} holds {', '.join(found)} "
                "(at offset 0); restore the manifest (its format: one 'file <name> seq <n> type b|i' line "
                "per file, base first) or move the files away to start empty"
            )

    def _free_seq(self, seq: int, *kinds: str) -> int:
        """`seq`, or the next one for which no file of `kinds` exists yet: a new
        file never takes the name of one left on disk (by a crash, or by hand)."""
        while any(os.path.lexists(self._path(f"{self.name}.{seq}.{kind}.{ext}"))
                  for kind in kinds for ext in ("rdb", "aof")):
            seq += 1
        return seq

    def write_manifest(self, parts: list[Part]) -> None:
        """Replace the manifest (atomically).  Every file but the last incremental one
        is complete: its size is recorded."""
        last_incr = next((p for p in reversed(parts) if p.type == INCR), None)
        for part in parts:
            path = self._path(part.name)
            part.size = -1 if part is last_incr or not os.path.exists(path) else os.path.getsize(path)
        write_file_atomic(self.manifest_path, format_manifest(parts).encode())
        self.parts = parts

    # -- load ----------------------------------------------------------------------------------
    def load(self, server: Server, replayer: Replayer) -> tuple[int, ReplayResult]:
        """Base, then every incremental file in order; only the last may be cut short."""
        parts = self.read_manifest()
        self.parts = [p for p in parts if p.type != HISTORY]
        keys = 0
        total = ReplayResult()
        live = [p for p in self.parts]
        for i, part in enumerate(live):
            path = self._path(part.name)
            if not os.path.exists(path):
                raise PersistenceError(f"{self.manifest_path}: listed file {part.name} does not exist "
                                       f"(manifest line at offset {part.offset}); restore it or {FIX_HINT}")
            last = i == len(live) - 1
            check_size(part, path)
            if part.type == BASE and part.name.endswith(".rdb"):
                reader = snapshot.SnapshotReader(path)
                from kvengine.persistence.aof import load_snapshot_records

                keys += load_snapshot_records(server, reader, skip_expired=False,
                                              progress=self.settings.progress)
                if reader.end_offset != len(reader.data):
                    raise PersistenceError(f"{path}: unexpected data after the snapshot at offset "
                                           f"{reader.end_offset}")
                continue
            # aof-load-truncated: only the tail of the last incremental file may be
            # torn (a crash mid-append); any other file was complete when the
            # manifest named it, so a short one is damage.
            allow = self.settings.aof_load_truncated and last and part.type == INCR
            n, result = load_log_file(server, replayer, path, allow_truncated=allow, cut=allow)
            keys += n
            total.commands += result.commands
            total.errors += result.errors
            total.truncated = total.truncated or result.truncated
            total.warnings += result.warnings
        return keys, total

    def open(self) -> None:
        """Append to the last incremental file (a new one if there is none)."""
        incrs = self.incrs
        if not incrs:
            seq = self._free_seq(max((p.seq for p in self.parts if p.type == INCR), default=0) + 1, "incr")
            part = Part(f"{self.name}.{seq}.incr.aof", seq, INCR)
            self._touch(part.name)
            self.write_manifest([*self.parts, part])
            incrs = [part]
        base = self.base
        self.base_size = os.path.getsize(self._path(base.name)) if base else 0
        self._closed_incr_size = sum(os.path.getsize(self._path(p.name)) for p in incrs[:-1])
        self.file = LogFile(self._path(incrs[-1].name))

    def _touch(self, name: str) -> None:
        """Create a new, empty incremental file (never an existing one: see _free_seq)."""
        fd = FS.open(self._path(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            FS.fsync(fd)
        finally:
            FS.close(fd)

    def _base_name(self, seq: int) -> str:
        return f"{self.name}.{seq}.base.{'rdb' if self.settings.aof_use_rdb_preamble else 'aof'}"

    def create(self, server: Server) -> None:
        """A fresh directory: a base holding the current data set, an empty
        incremental file, and the manifest (written last: it makes them real)."""
        os.makedirs(self.dir, exist_ok=True)
        FS.fsync_dir(self.settings.dir)
        seq = self._free_seq(1, "base", "incr")
        base = Part(self._base_name(seq), seq, BASE)
        path = self._path(base.name)
        tmp = f"{path}.tmp-{unique_suffix()}"
        fd = FS.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            write_base_fd(fd, snapshot.server_source(server.dbs), self.settings, {"aof-base": True})
            FS.fsync(fd)
        finally:
            FS.close(fd)
        FS.replace(tmp, path)
        incr = Part(f"{self.name}.{seq}.incr.aof", seq, INCR)
        self._touch(incr.name)
        FS.fsync_dir(self.dir)
        self.write_manifest([base, incr])
        self.open()

    def replace_all(self, server: Server) -> None:
        """A new base of the current data set and an empty incremental file replace
        whatever the directory held (BGREWRITEAOF with appendonly off)."""
        if not self.exists():
            self.create(server)
            self.close()
            return
        old = self.read_manifest()
        seq = max((p.seq for p in old), default=0) + 1
        seq = self._free_seq(seq, "base", "incr")
        base = Part(self._base_name(seq), seq, BASE)
        path = self._path(base.name)
        tmp = f"{path}.tmp-{unique_suffix()}"
        fd = FS.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            write_base_fd(fd, snapshot.server_source(server.dbs), self.settings, {"aof-base": True})
            FS.fsync(fd)
        finally:
            FS.close(fd)
        FS.replace(tmp, path)
        incr = Part(f"{self.name}.{seq}.incr.aof", seq, INCR)
        self._touch(incr.name)
        FS.fsync_dir(self.dir)
        self.write_manifest([base, incr])
        for part in old:
            if part.name not in (base.name, incr.name):
                _silent_unlink(self._path(part.name))

    # -- rewrite -----------------------------------------------------------------------------------
    def rewrite_target(self) -> str:
        return self._path(f"temp-rewriteaof-bg-{unique_suffix()}.aof")

    def begin_rewrite(self) -> None:
        """Parent side, lock held: close the current incremental file, open the next
        one, and name both in the manifest before the child starts."""
        f = self.file
        assert f is not None
        if not f.write_out():
            raise OSError(f.write_errno, os.strerror(f.write_errno))
        f.fsync()
        seq = self._free_seq(max((p.seq for p in self.parts if p.type == INCR), default=0) + 1, "incr")
        part = Part(f"{self.name}.{seq}.incr.aof", seq, INCR)
        self._touch(part.name)
        self.write_manifest([*self.parts, part])
        self._closed_incr_size += f.size
        f.reopen(self._path(part.name))
        self._rewrite_parts = [part]

    def child_write(self, tmp: str, source: snapshot.Source) -> None:
        fd = FS.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            write_base_fd(fd, source, self.settings, {"aof-base": True})
            FS.fsync(fd)
        finally:
            FS.close(fd)

    def finish_rewrite(self, tmp: str, ok: bool) -> None:
        """Parent side, lock held: adopt the new base and drop what it replaces."""
        kept, self._rewrite_parts = self._rewrite_parts or [], None
        if not ok:
            _silent_unlink(tmp)
            return
        old = self.parts
        seq = self._free_seq((self.base.seq if self.base else 0) + 1, "base")
        base = Part(self._base_name(seq), seq, BASE)
        try:
            FS.replace(tmp, self._path(base.name))
            FS.fsync_dir(self.dir)
            self.write_manifest([base, *kept])
        except OSError:
            _silent_unlink(tmp)
            raise
        for part in old:
            if part not in kept and part.name != base.name:
                _silent_unlink(self._path(part.name))
        self.base_size = os.path.getsize(self._path(base.name))
        self._closed_incr_size = 0

    def close(self) -> None:
        if self.file is not None:
            self.file.close()

