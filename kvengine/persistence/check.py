"""Offline tools: check a log or a snapshot (redis-check-aof / redis-check-rdb), and
export any persisted data set as RESP commands for ``redis-cli --pipe``.

``python -m kvengine check-aof [--fix] PATH`` and ``check-snapshot PATH`` call
:func:`check_aof` and :func:`check_snapshot`; both return a :class:`CheckReport`
and never modify anything unless ``fix`` is given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from kvengine.persistence import snapshot
from kvengine.persistence.base import FILE_MODE, FS, PersistenceError
from kvengine.persistence.hybrid import BASE, HISTORY, parse_manifest
from kvengine.persistence.resp import RespError, parse_commands


@dataclass
class CheckReport:
    """What a check found.  ``ok`` is False when the file would not load as it is."""

    path: str
    ok: bool = True
    kind: str = ""                 # "aof", "snapshot", "manifest"
    size: int = 0
    valid_size: int = 0            # bytes of the valid prefix (a --fix cuts the file here)
    commands: int = 0
    keys: int = 0
    truncated: bool = False        # the only damage is a cut-off tail (loads with aof-load-truncated)
    fixed: bool = False
    error: str = ""
    files: list[CheckReport] = field(default_factory=list)

    def __str__(self) -> str:
        lines = []
        if self.files:
            for sub in self.files:
                lines.append(str(sub))
        else:
            state = "OK" if self.ok else ("TRUNCATED" if self.truncated else "CORRUPT")
            what = f"{self.commands} commands" if self.kind == "aof" else f"{self.keys} keys"
            lines.append(f"{self.path}: {state} ({self.kind}, {self.size} bytes, {what})")
            if self.error:
                lines.append(f"  {self.error}")
            if not self.ok:
                lines.append(f"  valid prefix: {self.valid_size} bytes")
            if self.fixed:
                lines.append(f"  fixed: cut to {self.valid_size} bytes")
        return "\n".join(lines)


def check_snapshot(path: str | os.PathLike[str]) -> CheckReport:
    """Verify every checksum, record and the footer of a snapshot file."""
    path = os.fspath(path)
    report = CheckReport(path, kind="snapshot")
    with open(path, "rb") as f:
        data = f.read()
    report.size = len(data)
    reader = snapshot.SnapshotReader(path, data)
    try:
        for _ in reader.records():
            report.keys += 1
        if reader.end_offset != len(data):
            raise PersistenceError(f"{path}: unexpected data after the footer at offset {reader.end_offset}")
    except PersistenceError as exc:
        report.ok = False
        report.error = str(exc)
        return report
    report.valid_size = report.size
    return report


def check_aof(path: str | os.PathLike[str], fix: bool = False) -> CheckReport:
    """Check a log: a single RESP file (with or without a snapshot preamble), a
    multi-part manifest, or the directory holding one.  With `fix`, a damaged last
    file is cut back to its valid prefix (as ``redis-check-aof --fix``)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        manifests = [n for n in os.listdir(path) if n.endswith(".manifest")]
        if len(manifests) != 1:
            report = CheckReport(path, ok=False, kind="manifest",
                                 error=f"{path}: expected exactly one .manifest file, found {len(manifests)}")
            return report
        path = os.path.join(path, manifests[0])
    if path.endswith(".manifest"):
        return _check_manifest(path, fix)
    return _check_log_file(path, fix, last=True)


def _check_manifest(path: str, fix: bool) -> CheckReport:
    report = CheckReport(path, kind="manifest")
    directory = os.path.dirname(path)
    try:
        with open(path, "rb") as f:
            parts = [p for p in parse_manifest(f.read(), path) if p.type != HISTORY]
    except PersistenceError as exc:
        report.ok = False
        report.error = str(exc)
        return report
    for i, part in enumerate(parts):
        file = os.path.join(directory, part.name)
        if not os.path.exists(file):
            sub = CheckReport(file, ok=False, kind="aof", error=f"{file}: listed in the manifest but missing")
        elif part.size >= 0 and os.path.getsize(file) != part.size:
            sub = CheckReport(file, ok=False, kind="aof", size=os.path.getsize(file),
                              error=f"{file}: {os.path.getsize(file)} bytes, the manifest recorded {part.size} "
                                    f"(truncated or extended; restore it from a backup)")
        elif part.type == BASE and part.name.endswith(".rdb"):
            sub = check_snapshot(file)
        else:
            last = i == len(parts) - 1 and part.type != BASE  # only the last incremental file may be cut
            sub = _check_log_file(file, fix and last, last=last)
        report.files.append(sub)
        report.commands += sub.commands
        report.keys += sub.keys
        if not sub.ok:
            report.ok = False
            report.error = report.error or sub.error
    return report


def _check_log_file(path: str, fix: bool, last: bool) -> CheckReport:
    import kvengine.engine  # noqa: F401  (registers every command, for the names check)
    from kvengine.dispatch import resolve
    from kvengine.exceptions import ResponseError

    report = CheckReport(path, kind="aof")
    with open(path, "rb") as f:
        data = f.read()
    report.size = len(data)
    offset = 0
    if snapshot.is_snapshot(data):
        reader = snapshot.SnapshotReader(path, data)
        try:
            for _ in reader.records():
                report.keys += 1
        except PersistenceError as exc:
            report.ok = False
            report.error = str(exc)
            report.valid_size = 0
            return report
        offset = reader.end_offset
    valid = offset
    multi_start = -1
    try:
        for start, end, argv in parse_commands(data[offset:], offset):
            name = argv[0].lower()
            if name == b"multi":
                if multi_start >= 0:
                    raise RespError("nested MULTI", start, False)
                multi_start = start
            elif name == b"exec":
                if multi_start < 0:
                    raise RespError("EXEC without MULTI", start, False)
                multi_start = -1
            elif name != b"multi":
                try:
                    resolve(argv)
                except ResponseError as exc:
                    raise RespError(f"unknown command or wrong arity ({exc})", start, False) from None
            report.commands += 1
            if multi_start < 0:
                valid = end
    except RespError as exc:
        report.ok = False
        report.truncated = exc.truncated and last
        report.error = f"{path}: {exc} at offset {exc.offset}"
    if report.ok and multi_start >= 0:
        report.ok = False
        report.truncated = last
        report.error = f"{path}: MULTI without EXEC at offset {multi_start}"
    report.valid_size = valid if not report.ok else report.size
    if fix and not report.ok:
        fd = FS.open(path, os.O_WRONLY)
        try:
            FS.ftruncate(fd, report.valid_size)
            FS.fsync(fd)
        finally:
            FS.close(fd)
        report.fixed = True
    return report


def export_resp(path: str | os.PathLike[str], out: str | os.PathLike[str], databases: int = 16) -> int:
    """Write the data set persisted at `path` (a data directory, a snapshot, a log
    file or a manifest) as RESP commands to `out`, ready for ``redis-cli --pipe``.
    Returns the number of keys.  Nothing at `path` is modified."""
    from kvengine.persistence.aof import Replayer, load_snapshot_records, write_commands_fd
    from kvengine.server import Server

    path = os.fspath(path)
    server = Server(databases=databases, active_expire=False)
    try:
        with server.lock:
            server.loading = True
            _load_any(server, path, Replayer(server), load_snapshot_records)
            server.loading = False
            server.now = server.clock()
            fd = os.open(os.fspath(out), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            try:
                return write_commands_fd(fd, snapshot.server_source(server.dbs))
            finally:
                os.close(fd)
    finally:
        server.close()


def _load_any(server, path, replayer, load_records) -> None:  # type: ignore[no-untyped-def]
    from kvengine.persistence.aof import load_log_file

    if os.path.isdir(path):
        for candidate in ("appendonlydir",):
            sub = os.path.join(path, candidate)
            if os.path.isdir(sub):
                path = sub
                break
        manifests = [n for n in os.listdir(path) if n.endswith(".manifest")]
        if manifests:
            path = os.path.join(path, manifests[0])
        elif os.path.exists(os.path.join(path, "appendonly.aof")):
            path = os.path.join(path, "appendonly.aof")
        elif os.path.exists(os.path.join(path, "dump.rdb")):
            path = os.path.join(path, "dump.rdb")
        else:
            raise PersistenceError(f"{path}: no snapshot, log or manifest found")
    if path.endswith(".manifest"):
        directory = os.path.dirname(path)
        with open(path, "rb") as f:
            parts = [p for p in parse_manifest(f.read(), path) if p.type != HISTORY]
        for part in parts:
            _load_any(server, os.path.join(directory, part.name), replayer, load_records)
        return
    with open(path, "rb") as f:
        head = f.read(8)
    if head == snapshot.MAGIC and not path.endswith(".aof"):
        load_records(server, snapshot.SnapshotReader(path), skip_expired=False)
    else:
        load_log_file(server, replayer, path, allow_truncated=True, cut=False)
