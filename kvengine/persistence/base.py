"""The persistence backend protocol, the settings it reads, and the backend factory.

An engine talks to exactly one backend through a small, versioned protocol (in the
spirit of SQLite's VFS): the engine never knows whether it talks to a snapshot, a
log, both, or a user's own class.  The calls, all made with the engine lock held:

``load(server)``
    once, before the first command: fill the databases from disk.
``feed(ops)``
    after every command that changed data: ``ops`` is a list of ``(db index, argv)``
    in the log form of what happened (relative TTLs already absolute, SPOP as SREM,
    expiry as DEL, transactions wrapped in MULTI/EXEC).  The list is reused by the
    caller: a backend copies what it keeps.
``after_call(server)``
    right after a batch was fed (one command, one cron tick): where ``appendfsync
    always`` writes and fsyncs before the command returns.  Skipped while the
    backend's ``needs_after_call`` is False (it has nothing to do there).
``cron(server)``
    periodically (the engine's cron thread, and the backend's own timer): save
    points, automatic log rewrite, completion of background children.
``save(server)``
    SAVE: a blocking, durable copy of the whole data set.
``close()``
    flush, fsync, stop background work.

Optional calls (a plain backend inherits harmless defaults): ``bgsave``,
``rewrite`` (BGREWRITEAOF), ``lastsave``, ``persistence_info`` (INFO persistence)
and ``write_error`` (the MISCONF line when writes must be refused).

All disk access of the built-in backends goes through :data:`FS` (open, write,
fsync, rename, ...), a seam where tests inject ENOSPC or EIO.
"""

from __future__ import annotations

import errno
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

from kvengine.commands import Argv

if TYPE_CHECKING:
    from kvengine.server import Server

PROTOCOL_VERSION = 1
"""Version of the backend protocol described above.  A backend declares the version
it implements as ``protocol_version``; the engine refuses a newer one."""

Ops = list[tuple[int, Argv]]
Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: phase is "load" or "save"; total may be 0 (unknown)."""


class PersistenceError(Exception):
    """A persistence file cannot be read or written; the message names file and offset."""


class DataDirLocked(PersistenceError):
    """Another Engine (this process or another) has the data directory open."""


FILE_MODE = 0o664
"""Mode of every file kvengine creates, before the process umask: the umask decides
(0o644 under the usual 022), but a file is never world-writable, even under umask 0."""


def unique_suffix() -> str:
    """``<pid>-<random hex>``: part of every temp file name, so that two processes (or
    a parent and its fork child) never write the same temp file."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


# -- the file-system seam -----------------------------------------------------------------
class FileSystem:
    """Every disk operation the built-in backends perform.  Replace methods on
    :data:`FS` (or the whole object) to inject failures in tests."""

    def open(self, path: str, flags: int, mode: int = FILE_MODE) -> int:
        return os.open(path, flags, mode)

    def write(self, fd: int, data: bytes | bytearray | memoryview) -> int:
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        os.fsync(fd)

    def ftruncate(self, fd: int, size: int) -> None:
        os.ftruncate(fd, size)

    def close(self, fd: int) -> None:
        os.close(fd)

    def replace(self, src: str, dst: str) -> None:
        os.replace(src, dst)

    def unlink(self, path: str) -> None:
        os.unlink(path)

    def fsync_dir(self, path: str) -> None:
        """Make a rename or a new file in `path` durable (a no-op where unsupported)."""
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError as exc:  # pragma: no cover - some file systems refuse
            if exc.errno not in (errno.EINVAL, errno.EBADF):
                raise
        finally:
            os.close(fd)


FS = FileSystem()


def write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    """Write every byte of `data` (os.write may write less)."""
    with memoryview(data) as whole:  # released at once, even on error (the buffer may grow later)
        view = whole
        while view:
            n = FS.write(fd, view)
            view = view[n:]
        view.release()


T = TypeVar("T")


def write_atomic(path: str, write: Callable[[int], T], fsync: bool = True, tmp: str | None = None) -> T:
    """Write a file atomically: `write(fd)` into a temp file beside `path` (or `tmp`),
    fsync, rename over `path`, fsync the directory.  On any failure the temp file goes
    and `path` is untouched.  Returns what `write` returned."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = tmp or f"{path}.tmp-{unique_suffix()}"
    fd = FS.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        result = write(fd)
        if fsync:
            FS.fsync(fd)
    except BaseException:
        FS.close(fd)
        _silent_unlink(tmp)
        raise
    FS.close(fd)
    try:
        FS.replace(tmp, path)
    except BaseException:
        _silent_unlink(tmp)
        raise
    if fsync:
        FS.fsync_dir(directory)
    return result


def write_file_atomic(path: str, data: bytes, fsync: bool = True) -> None:
    """Write `data` to `path` atomically (see :func:`write_atomic`)."""
    write_atomic(path, lambda fd: write_all(fd, data), fsync)


def _silent_unlink(path: str) -> None:
    try:
        FS.unlink(path)
    except OSError:
        pass


# -- the data directory lock ------------------------------------------------------------------
LOCK_NAME = "kvengine.lock"


class DirLock:
    """An exclusive OS lock (flock) on ``dir/kvengine.lock``, held while an Engine has
    the directory open.  Two engines appending to one log interleave their writes and
    a rewrite in one drops the other's: so a second opener, in this process or
    another, fails at once.  The kernel releases the lock when the holder closes it,
    exits or crashes; the file (holding the holder's pid, for the error message)
    stays.  A fork child (background save) shares the lock and dies with its parent
    (see disk.py), so a directory is free again once its process is gone."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.path = os.path.join(directory, LOCK_NAME)
        self.fd = -1
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not a POSIX system: no locking
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            try:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            except OSError:  # pragma: no cover
                holder = "unknown"
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            raise DataDirLocked(
                f"{directory}: the data directory is in use by another Engine (process {holder}, "
                f"lock file {self.path}); close that Engine first or use another directory"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:  # pragma: no cover - the pid is only informative
            pass
        self.fd = fd

    def release(self) -> None:
        """Give the directory back (closing the fd releases the lock)."""
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)


# -- settings -------------------------------------------------------------------------------
DEFAULT_SAVE = "3600 1 300 100 60 10000"  # Redis 7's default save points


def parse_save(value: str | list[tuple[int, int]] | None) -> list[tuple[int, int]]:
    """Redis's ``save`` string ("900 1 300 10") into [(seconds, changes)]; "" is none."""
    if value is None:
        return []
    if isinstance(value, list):
        return [(int(s), int(c)) for s, c in value]
    parts = value.split()
    if len(parts) % 2:
        raise ValueError("Invalid save parameters")
    out = []
    for i in range(0, len(parts), 2):
        try:
            seconds, changes = int(parts[i]), int(parts[i + 1])
        except ValueError:
            raise ValueError("Invalid save parameters") from None
        if seconds < 1 or changes < 0:
            raise ValueError("Invalid save parameters")
        out.append((seconds, changes))
    return out


def format_save(points: list[tuple[int, int]]) -> str:
    """Inverse of parse_save, as CONFIG GET save prints it."""
    return " ".join(f"{s} {c}" for s, c in points)


@dataclass
class Settings:
    """Persistence settings, by Redis's configuration names (dashes as underscores).

    Defaults are Redis 7's, except where a mode preset says otherwise (see
    :func:`create_backend`).
    """

    dir: str = "."
    appendonly: bool = False
    appendfsync: str = "everysec"  # always | everysec | no
    save: list[tuple[int, int]] = field(default_factory=lambda: parse_save(DEFAULT_SAVE))
    dbfilename: str = "dump.rdb"
    appendfilename: str = "appendonly.aof"
    appenddirname: str = "appendonlydir"
    aof_use_rdb_preamble: bool = True
    auto_aof_rewrite_percentage: int = 100
    auto_aof_rewrite_min_size: int = 64 * 1024 * 1024
    aof_load_truncated: bool = True
    stop_writes_on_bgsave_error: bool = True
    rdbchecksum: bool = True
    rdbcompression: bool = True
    # kvengine's own knobs (no Redis equivalent).
    aof_layout: str = "multipart"  # multipart (Redis 7 appendonlydir) | single (one file)
    bgsave_method: str = "fork"    # fork | copy (a synchronous copy, then a writer thread)
    aof_write_interval: float = 0.1  # s between writes of the log buffer to the OS (everysec/no)
    progress: Progress | None = None

    def set(self, name: str, value: Any) -> None:
        """Set one setting by Redis or Python name, validating and converting the value."""
        attr = name.replace("-", "_").lower()
        if attr not in _FIELDS:
            raise TypeError(f"unknown persistence option {name!r}")
        setattr(self, attr, _convert(attr, value))


_FIELDS = {f.name for f in fields(Settings)}
_BOOLS = {"appendonly", "aof_use_rdb_preamble", "aof_load_truncated", "stop_writes_on_bgsave_error",
          "rdbchecksum", "rdbcompression"}
_INTS = {"auto_aof_rewrite_percentage": (0, 2**31 - 1), "auto_aof_rewrite_min_size": (0, 2**63 - 1)}
_ENUMS = {"appendfsync": ("always", "everysec", "no"), "aof_layout": ("multipart", "single"),
          "bgsave_method": ("fork", "copy")}
_MEMORY_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
                 "g": 1000**3, "gb": 1024**3}


def _convert(attr: str, value: Any) -> Any:
    if attr in _BOOLS:
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text not in ("yes", "no"):
            raise ValueError("argument must be 'yes' or 'no'")
        return text == "yes"
    if attr in _INTS:
        lo, hi = _INTS[attr]
        if isinstance(value, str):
            text = value.strip().lower()
            digits = text.rstrip("kmgb")
            unit = text[len(digits):]
            if unit not in _MEMORY_UNITS or not digits.isdigit():
                raise ValueError("argument couldn't be parsed into an integer")
            value = int(digits) * _MEMORY_UNITS[unit]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"argument must be between {lo} and {hi} inclusive")
        return value
    if attr in _ENUMS:
        text = str(value).lower()
        if text not in _ENUMS[attr]:
            raise ValueError("argument(s) must be one of the following: " + ", ".join(_ENUMS[attr]))
        return text
    if attr == "save":
        return parse_save(value)
    if attr == "aof_write_interval":
        return float(value)
    if attr == "progress":
        return value
    if attr in ("dbfilename", "appendfilename", "appenddirname"):
        text = os.fspath(value)
        if not text or os.path.basename(text) != text:
            raise ValueError(f"{attr} can't be a path, just a filename")
        return text
    return os.fspath(value)


# -- the protocol -----------------------------------------------------------------------------
class Backend:
    """Base class and protocol of a persistence backend.  Subclasses override what
    they need; every default is a harmless no-op, so a minimal custom backend only
    implements ``load``, ``feed`` and ``save``."""

    protocol_version: int = PROTOCOL_VERSION
    name: str = "custom"
    settings: Settings
    needs_after_call: bool = True

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings if settings is not None else Settings(save=[])
        self.server: Server | None = None
        self.last_save = int(time.time())

    @property
    def wants_feed(self) -> bool:
        """Should the engine call ``feed``?  True when a subclass implements it."""
        return type(self).feed is not Backend.feed

    def load(self, server: Server) -> None:
        """Fill `server`'s databases from disk (``server.loading`` is set meanwhile)."""
        self.server = server

    def feed(self, ops: Ops) -> None:
        """Take the operations of the last command(s); copy what you keep."""

    def after_call(self, server: Server) -> None:
        """After a batch was fed: the place for ``appendfsync always``."""

    def cron(self, server: Server) -> None:
        """Periodic work (save points, automatic rewrite, background children)."""

    def save(self, server: Server) -> None:
        """SAVE: write the whole data set durably, blocking."""
        self.last_save = server.clock() // 1000

    def bgsave(self, server: Server, schedule: bool = False, in_exec: bool = False) -> str:
        """BGSAVE [SCHEDULE]: the status text to answer (`in_exec`: inside MULTI or a
        script).  The default saves synchronously."""
        self.save(server)
        return "Background saving started"

    def rewrite(self, server: Server, in_exec: bool = False) -> str:
        """BGREWRITEAOF: the status text to answer."""
        return "Background append only file rewriting started"

    def lastsave(self) -> int:
        """LASTSAVE: unix time of the last successful save."""
        return self.last_save

    def write_error(self) -> str | None:
        """The MISCONF error line while writes must be refused, else None."""
        return None

    def persistence_info(self) -> dict[str, Any]:
        """INFO persistence fields (Redis's names)."""
        return {
            "loading": 0,
            "rdb_changes_since_last_save": 0,
            "rdb_bgsave_in_progress": 0,
            "rdb_last_save_time": self.last_save,
            "rdb_last_bgsave_status": "ok",
            "aof_enabled": 0,
            "aof_rewrite_in_progress": 0,
            "aof_rewrite_scheduled": 0,
            "aof_last_bgrewrite_status": "ok",
            "aof_last_write_status": "ok",
        }

    def close(self) -> None:
        """Flush, fsync and stop background work."""


class MemoryBackend(Backend):
    """No persistence: SAVE and BGSAVE succeed without writing anything (there is no
    directory).  The default of ``Engine()``; the engine does not feed it."""

    name = "memory"

    @property
    def wants_feed(self) -> bool:
        return False

    def persistence_info(self) -> dict[str, Any]:
        info = super().persistence_info()
        if self.server is not None:
            info["rdb_changes_since_last_save"] = self.server.dirty
        return info


def split_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(persistence settings, everything else) from Engine keyword arguments."""
    mine: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in options.items():
        (mine if key.replace("-", "_").lower() in _FIELDS else rest)[key] = value
    return mine, rest


# -- the factory --------------------------------------------------------------------------------
MODES = ("snapshot", "aof", "hybrid")


def create_backend(
    path: str | os.PathLike[str] | None,
    persistence: str | Backend | None = "hybrid",
    **options: Any,
) -> Backend | None:
    """The backend for ``Engine(path, persistence=..., **options)``.

    `persistence` is "snapshot" (dump.rdb with save points), "aof" (one append-only
    file in RESP, rewritten in place), "hybrid" (Redis 7's appendonlydir: a snapshot
    base, incremental RESP logs and a manifest), None (no persistence) or a Backend
    instance.  `options` are Redis's configuration names with underscores
    (``appendfsync="always"``, ``save="900 1"``, ``aof_use_rdb_preamble=False``, ...).
    Without a path there is nothing to persist to and None is returned (unless a
    Backend instance is given).
    """
    if isinstance(persistence, Backend):
        if options:
            raise TypeError(f"unexpected options with a backend instance: {sorted(options)}")
        return persistence
    if persistence is not None and persistence not in MODES:
        raise ValueError(f"persistence must be one of {MODES}, None or a Backend, not {persistence!r}")
    if path is None:
        if options:
            raise TypeError(f"persistence options need a path (Engine(path, ...)): {sorted(options)}")
        return None
    if persistence is None:
        return None
    settings = preset(persistence)
    settings.dir = os.fspath(path)
    for name, value in options.items():
        settings.set(name, value)
    return open_settings(settings)


def preset(mode: str) -> Settings:
    """Settings of a mode before the user's options: "snapshot" keeps Redis's default
    save points; "aof" and "hybrid" turn the log on and save points off (the log is
    the durable copy; BGSAVE and SAVE still work)."""
    if mode == "snapshot":
        return Settings(appendonly=False)
    if mode == "aof":
        return Settings(appendonly=True, save=[], aof_layout="single", aof_use_rdb_preamble=False)
    return Settings(appendonly=True, save=[], aof_layout="multipart", aof_use_rdb_preamble=True)


def open_settings(settings: Settings) -> Backend:
    """The built-in backend for `settings` (one class: snapshot plus an optional log)."""
    from kvengine.persistence.disk import DiskBackend

    os.makedirs(settings.dir, exist_ok=True)
    return DiskBackend(settings)
