"""The built-in backend: a snapshot file plus an optional append-only log, as Redis.

One class covers the three modes, because in Redis they are one machine with two
switches: ``save`` points drive snapshots (``dir/dbfilename``; SAVE and BGSAVE
always work), and ``appendonly`` adds a log, either one file
(:class:`~kvengine.persistence.aof.SingleFileLog`, mode "aof") or Redis 7's
multi-part directory (:class:`~kvengine.persistence.hybrid.MultiPartLog`, mode
"hybrid").  On open, the log wins when it is on; otherwise the snapshot is loaded.

Background work runs in a child process made with fork(): the child sees the data
set frozen at the fork, writes its file and exits, while the parent goes on serving
writes (copy-on-write does the rest, as in Redis).  The parent's pause is the fork
itself (``latest_fork_usec``).  Where fork() is unavailable, or with
``bgsave_method="copy"``, the parent encodes a copy of every value under the lock
(a longer pause) and a thread writes it.  One child at a time; BGSAVE and
BGREWRITEAOF queue behind each other as Redis's ``SCHEDULE`` does.

A thread per backend does the periodic work: it hands the log buffer to the OS
every ``aof_write_interval``, fsyncs once a second under ``everysec``, and checks
save points and the automatic rewrite (Redis's serverCron).
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import signal
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine.cron import SCHEDULER, Task
from kvengine.persistence import snapshot
from kvengine.persistence.aof import (
    Replayer,
    SingleFileLog,
    load_snapshot_records,
    misconf_aof,
)
from kvengine.persistence.base import (
    Backend,
    DataDirLocked,
    DirLock,
    Ops,
    PersistenceError,
    Settings,
    _silent_unlink,
    unique_suffix,
)
from kvengine.persistence.hybrid import MultiPartLog

if TYPE_CHECKING:
    from kvengine.server import Server

log = logging.getLogger("kvengine.persistence")

RDB_MISCONF = (
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
    "Commands that may modify the data set are disabled, because this instance is configured to report "
    "errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check "
    "the Redis logs for details about the RDB error."
)
CONFIG_BGSAVE_RETRY_DELAY = 5  # seconds, Redis's constant

_OPEN: weakref.WeakSet[DiskBackend] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    """Hand buffered log writes to the OS when the interpreter exits normally."""
    for backend in list(_OPEN):
        try:
            backend.flush(fsync=True)
        except Exception:  # pragma: no cover - best effort at exit
            pass


def _detach_in_fork_child() -> None:
    """A fork child (multiprocessing, a pre-forking server, rq's work-horse) works on a
    private copy of its parent's engines: it must never write the parent's files. Each
    backend stops feeding and is marked closed, so the child's writes stay in memory, its
    close() writes nothing, and the parent's buffered log bytes are not written a second
    time by the child's exit (a duplicated INCR or LPUSH would corrupt the data set). The
    flock stays the parent's: the child's inherited fd refers to the parent's lock.
    kvengine's own background-save children run their work and leave with os._exit."""
    for backend in list(_OPEN):
        backend.closed = True
        srv = backend.server
        if srv is not None:
            srv.feeding = False
            srv.log_set = None
    _OPEN.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_detach_in_fork_child)


_PRCTL: Any = None


def _load_prctl() -> None:
    """Find libc's prctl once, in the parent (resolving symbols in a fork child of a
    threaded process could block on a lock another thread held)."""
    global _PRCTL
    if _PRCTL is None:
        _PRCTL = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
            except (OSError, AttributeError):  # pragma: no cover - no usable libc
                pass


def _die_with_parent(parent: int) -> None:
    """In a fork child (Linux): be killed when the parent dies (PR_SET_PDEATHSIG), so a
    background save never outlives a killed engine, holding its directory lock."""
    if _PRCTL:
        _PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the call above
        os._exit(1)


@dataclass
class Child:
    """A background save or rewrite in progress."""

    kind: str                      # "rdb" | "aof"
    pid: int | None                # None: a writer thread (copy mode)
    started: float                 # time.time()
    tmp: str = ""
    thread: threading.Thread | None = None
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False


class DiskBackend(Backend):
    """Snapshot + optional log in ``settings.dir`` (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.log: SingleFileLog | MultiPartLog | None = None
        self.dirty_at_save = 0
        self.dirty_before_bgsave = 0
        self.last_bgsave_ok = True
        self.last_bgsave_try = 0
        self.last_bgsave_time_sec = -1
        self.rdb_saves = 0
        self.child: Child | None = None
        self.bgsave_scheduled = False
        self.rewrite_scheduled = False
        self.last_rewrite_ok = True
        self.last_rewrite_time_sec = -1
        self.aof_rewrites = 0
        self.rewrite_failures = 0
        self.last_fork_usec = 0
        self.loaded_keys = 0
        self.load_expired = 0
        self.load_warnings: list[str] = []
        self.closed = False
        self._task: Task | None = None
        self._lock: DirLock | None = None
        self._rewrite_fsync_mark = -1   # fsync failures counted when the running rewrite began
        self._fsync_rewrite_try = -1    # when a rewrite was last started to recover from one (s)

    @property
    def name(self) -> str:  # type: ignore[override]
        if not self.settings.appendonly:
            return "snapshot"
        return "aof" if self.settings.aof_layout == "single" else "hybrid"

    @property
    def wants_feed(self) -> bool:
        return self.log is not None

    @property
    def rdb_path(self) -> str:
        return os.path.join(self.settings.dir, self.settings.dbfilename)

    def _make_log(self) -> SingleFileLog | MultiPartLog:
        if self.settings.aof_layout == "single":
            return SingleFileLog(self.settings)
        return MultiPartLog(self.settings)

    def _now_s(self) -> int:
        srv = self.server
        return (srv.clock() if srv is not None else int(time.time() * 1000)) // 1000

    # -- load ------------------------------------------------------------------------------------
    def load(self, server: Server) -> None:
        """Fill the databases: from the log when ``appendonly``, else from the snapshot.
        A log that does not exist yet is created from whatever was loaded (a
        snapshot left by the "snapshot" mode, or nothing)."""
        self.server = server
        settings = self.settings
        os.makedirs(settings.dir, exist_ok=True)
        # Before anything in the directory is read or touched: one Engine per directory.
        self._lock = DirLock(settings.dir)
        replayed = 0
        replayer: Replayer | None = None
        server.loading = True
        try:
            self._remove_leftovers()
            if settings.appendonly:
                aof = self._make_log()
                if isinstance(aof, MultiPartLog) and not aof.exists():
                    aof.refuse_orphans()
                if aof.exists():
                    replayer = Replayer(server)
                    keys, result = aof.load(server, replayer)
                    self.loaded_keys = keys
                    replayed = result.commands
                    self.load_warnings = result.warnings
                    for warning in result.warnings:
                        log.warning(warning)
                    aof.open()
                else:
                    self._load_snapshot(server)
                    aof.create(server)
                self.log = aof
            else:
                self._load_snapshot(server)
        except BaseException as exc:
            for db in server.dbs:
                db.table.clear()
            self.log = None
            self._lock.release()
            if isinstance(exc, PersistenceError) and not isinstance(exc, DataDirLocked):
                raise PersistenceError(f"{exc}. Nothing was loaded. {self._repair_hint()}") from None
            raise
        finally:
            server.loading = False
            server.now = server.clock()
        self.dirty_at_save = server.dirty
        self.last_save = self._now_s()
        server.feeding = self.log is not None
        self._bind()
        if replayed and replayer is not None:
            self._after_replay(server, None if replayer.everything else replayer.touched)
        self._update_gate()
        _OPEN.add(self)
        self._start_thread()

    def _repair_hint(self) -> str:
        """What to do about a file that does not load, for the error message."""
        s = self.settings
        if not s.appendonly:
            return f"Check it with: python -m kvengine check-snapshot {self.rdb_path}"
        target = (os.path.join(s.dir, s.appendfilename) if s.aof_layout == "single"
                  else os.path.join(s.dir, s.appenddirname))
        return (f"Check it with: python -m kvengine check-aof {target} (--fix cuts a damaged last "
                "file back to its valid prefix, losing what follows the damage)")

    def _remove_leftovers(self) -> None:
        """Temp files of a save or rewrite that a crash interrupted (never loaded).
        Safe because the directory lock is held: no other process is writing them."""
        s = self.settings
        tmp = r"(\d+|\d+-[0-9a-f]+)"
        patterns = [
            re.compile(r"temp-" + tmp + "-" + re.escape(s.dbfilename)),
            re.compile(r"temp-rewriteaof-bg-" + tmp + r"\.aof"),
            re.compile(re.escape(s.appendfilename) + r"(\.manifest)?\.tmp-" + tmp),
            re.compile(re.escape(s.appendfilename) + r"\.\d+\.base\.(rdb|aof)\.tmp(-" + tmp + ")?"),
        ]
        for directory in (s.dir, os.path.join(s.dir, s.appenddirname)):
            try:
                names = os.listdir(directory)
            except OSError:
                continue
            for name in names:
                if any(p.fullmatch(name) for p in patterns):
                    _silent_unlink(os.path.join(directory, name))

    def _load_snapshot(self, server: Server) -> None:
        if not os.path.exists(self.rdb_path):
            return
        reader = snapshot.SnapshotReader(self.rdb_path)
        self.loaded_keys = load_snapshot_records(server, reader, skip_expired=True,
                                                 progress=self.settings.progress)
        self.load_expired = getattr(reader, "expired_skipped", 0)
        if reader.end_offset != len(reader.data):
            raise PersistenceError(f"{self.rdb_path}: unexpected data after the footer at offset "
                                   f"{reader.end_offset}")

    def _after_replay(self, server: Server, touched: dict[int, set[bytes]] | None) -> None:
        """The replay ran with the command time pinned (no expiry while loading):
        give the keys it wrote (`touched`, None: every key) their access time now,
        and expire those whose time has passed (logged as DEL, as Redis does once
        loading is over)."""
        now = server.now
        for db in server.dbs:
            table = db.table
            if not len(table):
                continue
            keys = table.keys() if touched is None else touched.get(db.id, ())
            lookup = table.lookup
            for key in keys:
                lookup(key, now, True)
            if table.expired:
                db.drain_expired()
        server.flush_feed()

    # -- the feed --------------------------------------------------------------------------------
    def feed(self, ops: Ops) -> None:
        aof = self.log
        if aof is not None and aof.file is not None:
            aof.file.append(ops)

    def _bind(self) -> None:
        """Shortcuts for the hot path, redone whenever the log or the policy changes:
        ``feed`` becomes the log file's own ``append`` (the file object lives as long
        as the log), and ``after_call`` is only called under ``always``."""
        aof = self.log
        f = aof.file if aof is not None else None
        if f is not None:
            self.feed = f.append  # type: ignore[method-assign]
        else:
            self.__dict__.pop("feed", None)
        self.needs_after_call = f is not None and self.settings.appendfsync == "always"
        if self.server is not None:
            # The SET fast path's shortcut into the log buffer: not under always (its
            # fsync comes from after_call, which the shortcut skips).
            self.server.log_set = f.append_set if f is not None and not self.needs_after_call else None

    def settings_changed(self) -> None:
        """A setting changed at run time (CONFIG SET)."""
        self._bind()
        self._update_gate()

    def after_call(self, server: Server) -> None:
        aof = self.log
        if aof is None:
            return
        f = aof.file
        if f is None:
            return
        if self.settings.appendfsync == "always":
            # The reply is the acknowledgement: the write is on disk before it leaves.
            if not f.pending():
                return
            ok = f.write_out() and f.fsync()
            if not ok:
                self._update_gate()
                raise e.error_from_line(misconf_aof(f.error()))
            if server.write_denied is not None:
                self._update_gate()

    def flush(self, fsync: bool = True) -> None:
        """Hand the log buffer to the OS (and fsync it); callable from any thread."""
        srv = self.server
        if srv is None or self.log is None:
            return
        with srv.lock:
            f = self.log.file
            if f is None:
                return
            f.write_out()
        if fsync:
            f.fsync()
        self._update_gate()

    def set_appendonly(self, on: bool) -> None:
        """CONFIG SET appendonly: start a log holding the current data set, or stop
        logging (after flushing what is buffered)."""
        srv = self.server
        assert srv is not None
        with srv.lock:
            if on and self.log is None:
                self.settings.appendonly = True
                aof = self._make_log()
                try:
                    if isinstance(aof, MultiPartLog) and aof.exists():
                        aof.replace_all(srv)
                        aof.parts = aof.read_manifest()
                        aof.open()
                    else:
                        aof.create(srv)
                except OSError:
                    self.settings.appendonly = False
                    raise
                self.log = aof
                srv.feeding = True
            elif not on and self.log is not None:
                if self.child is not None and self.child.kind == "aof":
                    raise OSError("an AOF rewrite is in progress")
                aof, self.log = self.log, None
                srv.feeding = False
                self.settings.appendonly = False
                if aof.file is not None:
                    aof.file.write_out()
                    aof.file.fsync()
                aof.close()
            self._bind()
            self._update_gate()

    # -- MISCONF ----------------------------------------------------------------------------------
    def write_error(self) -> str | None:
        """Redis's writeCommandsDeniedByDiskError, as the error line to answer."""
        s = self.settings
        if s.stop_writes_on_bgsave_error and s.save and not self.last_bgsave_ok:
            return RDB_MISCONF
        aof = self.log
        if aof is not None and aof.file is not None:
            err = aof.file.error()
            if err:
                return misconf_aof(err)
        return None

    def _update_gate(self) -> None:
        if self.server is not None:
            self.server.write_denied = self.write_error()

    # -- periodic work ----------------------------------------------------------------------------
    def _start_thread(self) -> None:
        """Put the periodic work (cron every ``aof_write_interval``, the everysec fsync
        once a second) on the process's shared scheduler (kvengine.cron): no thread of
        its own, held by weak reference, dropped in a forked child."""
        interval = max(0.01, float(self.settings.aof_write_interval))
        last_fsync = [time.monotonic()]

        def tick(backend: DiskBackend) -> float | None:
            if backend.closed:
                return None
            try:
                srv = backend.server
                if srv is not None:
                    backend.cron(srv)
                    now = time.monotonic()
                    if now - last_fsync[0] >= 1.0:
                        last_fsync[0] = now
                        backend._background_fsync()
            except Exception:  # pragma: no cover - never let the work stop silently
                log.exception("persistence background work failed")
            return interval

        self._task = Task(self, tick, "kvengine-persistence", on_fork="drop")
        SCHEDULER.schedule(self._task, interval)

    def _background_fsync(self) -> None:
        aof = self.log
        if aof is None or self.settings.appendfsync != "everysec":
            return
        f = aof.file
        if f is not None and (f.size > f.synced_size or f.fsync_errno):
            f.fsync()
            self._update_gate()

    def cron(self, server: Server) -> None:
        """Redis's serverCron share: write the log buffer out, start scheduled or due
        background work (save points, automatic rewrite)."""
        with server.lock:
            if self.closed or server.closed:
                return
            aof = self.log
            if aof is not None and aof.file is not None:
                f = aof.file
                if f.pending() or f.write_errno:  # (under always: a retry after a failure)
                    if f.write_out() and self.settings.appendfsync == "always":
                        f.fsync()
                    self._update_gate()
            if self.child is not None:
                return
            if aof is not None and aof.file is not None and aof.file.fsync_errno and not aof.file.write_errno:
                now = self._now_s()
                if self._fsync_rewrite_try < 0 or now - self._fsync_rewrite_try > CONFIG_BGSAVE_RETRY_DELAY:
                    # After a failed fsync only a rewrite from memory makes the log
                    # trustworthy again (see LogFile.fsync); writes wait for it.
                    self._fsync_rewrite_try = now
                    self.rewrite_scheduled = False
                    self._start_rewrite(server)
                    return
            if self.bgsave_scheduled:
                self.bgsave_scheduled = False
                self._start_bgsave(server)
                return
            if self.rewrite_scheduled:
                self.rewrite_scheduled = False
                self._start_rewrite(server)
                return
            if self._save_point_due(server):
                self._start_bgsave(server)
                return
            if self._rewrite_due():
                self._start_rewrite(server)

    def _save_point_due(self, server: Server) -> bool:
        points = self.settings.save
        if not points:
            return False
        changes = server.dirty - self.dirty_at_save
        now = self._now_s()
        for seconds, needed in points:
            if (changes >= needed and now - self.last_save > seconds
                    and (now - self.last_bgsave_try > CONFIG_BGSAVE_RETRY_DELAY or self.last_bgsave_ok)):
                return True
        return False

    def _rewrite_due(self) -> bool:
        aof = self.log
        s = self.settings
        if aof is None or not s.auto_aof_rewrite_percentage:
            return False
        size = aof.current_size
        if size <= s.auto_aof_rewrite_min_size:
            return False
        base = aof.base_size or 1
        growth = size * 100 // base - 100
        return growth >= s.auto_aof_rewrite_percentage

    # -- SAVE / BGSAVE -----------------------------------------------------------------------------
    def _meta(self, server: Server) -> dict[str, Any]:
        from kvengine import __version__

        return {"kvengine": __version__, "created_ms": server.clock(), "databases": len(server.dbs)}

    def save(self, server: Server) -> None:
        """SAVE (and the save on close): blocking, atomic, durable."""
        if self.child is not None and self.child.kind == "rdb":
            raise e.err("Background save already in progress")
        s = self.settings
        try:
            snapshot.write_snapshot(
                self.rdb_path, snapshot.server_source(server.dbs), checksum=s.rdbchecksum,
                compress=s.rdbcompression, meta=self._meta(server), progress=s.progress,
                total=snapshot.count_keys(server.dbs),
            )
        except OSError as exc:
            log.warning("SAVE failed: %s", exc)
            raise e.error_from_line("ERR") from None
        self.last_save = self._now_s()
        self.dirty_at_save = server.dirty
        self.last_bgsave_ok = True
        self.rdb_saves += 1
        self._update_gate()

    def bgsave(self, server: Server, schedule: bool = False, in_exec: bool = False) -> str:
        """BGSAVE [SCHEDULE] (Redis's bgsaveCommand texts)."""
        if self.child is not None and self.child.kind == "rdb":
            raise e.err("Background save already in progress")
        if self.child is not None or in_exec:
            if schedule or in_exec:
                self.bgsave_scheduled = True
                return "Background saving scheduled"
            raise e.err("Another child process is active (AOF?): can't BGSAVE right now. "
                        "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
        if not self._start_bgsave(server):
            raise e.error_from_line("ERR")
        return "Background saving started"

    def _start_bgsave(self, server: Server) -> bool:
        s = self.settings
        path = self.rdb_path
        meta = self._meta(server)
        self.last_bgsave_try = self._now_s()
        self.dirty_before_bgsave = server.dirty
        tmp = os.path.join(s.dir, f"temp-{unique_suffix()}-{s.dbfilename}")

        def work(source: snapshot.Source) -> None:
            snapshot.write_snapshot(path, source, checksum=s.rdbchecksum, compress=s.rdbcompression,
                                    meta=meta, tmp=tmp)

        return self._spawn(server, "rdb", work, tmp)

    # -- BGREWRITEAOF ------------------------------------------------------------------------------
    def rewrite(self, server: Server, in_exec: bool = False) -> str:
        """BGREWRITEAOF (Redis's bgrewriteaofCommand texts)."""
        if self.child is not None and self.child.kind == "aof":
            raise e.err("Background append only file rewriting already in progress")
        if self.child is not None or in_exec:
            self.rewrite_scheduled = True
            return "Background append only file rewriting scheduled"
        if not self._start_rewrite(server):
            raise e.err("Can't execute an AOF background rewriting. "
                        "Please check the server logs for more information.")
        return "Background append only file rewriting started"

    def _start_rewrite(self, server: Server) -> bool:
        aof = self.log
        if aof is None:
            # Redis 7 writes a fresh multi-part base even with appendonly off (the
            # log is appended to only once appendonly is on); done synchronously.
            try:
                MultiPartLog(self.settings).replace_all(server)
            except OSError as exc:
                log.warning("BGREWRITEAOF failed: %s", exc)
                self.last_rewrite_ok = False
                return False
            self.last_rewrite_ok = True
            self.aof_rewrites += 1
            return True
        tmp = aof.rewrite_target()
        f = aof.file
        self._rewrite_fsync_mark = f.fsync_failures if f is not None else -1
        try:
            aof.begin_rewrite()
        except OSError as exc:
            log.warning("BGREWRITEAOF cannot start: %s", exc)
            self._update_gate()
            return False

        def work(source: snapshot.Source) -> None:
            aof.child_write(tmp, source)

        if not self._spawn(server, "aof", work, tmp):
            aof.finish_rewrite(tmp, False)
            return False
        return True

    # -- children ------------------------------------------------------------------------------------
    def _spawn(self, server: Server, kind: str, work: Callable[[snapshot.Source], None], tmp: str) -> bool:
        """Run `work` on a point-in-time view of the data in a child (fork) or, in
        copy mode, on a copy made now in a thread.  The engine lock is held."""
        use_fork = self.settings.bgsave_method == "fork" and hasattr(os, "fork")
        t0 = time.perf_counter()
        parent = os.getpid()
        if use_fork:
            _load_prctl()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    pid = os.fork()
            except OSError as exc:
                log.warning("fork failed: %s", exc)
                self._child_failed(kind)
                return False
            if pid == 0:  # the child: write, then leave without running any cleanup
                code = 1
                try:
                    _die_with_parent(parent)
                    work(snapshot.server_source(server.dbs))
                    code = 0
                except BaseException as exc:  # no logging here: its locks may be held by a dead thread
                    try:
                        os.write(2, f"kvengine: background {kind} failed: {exc!r}\n".encode())
                    except BaseException:
                        pass
                finally:
                    os._exit(code)
            self.last_fork_usec = int((time.perf_counter() - t0) * 1e6)
            child = Child(kind, pid, time.time(), tmp)
            child.thread = threading.Thread(target=self._reap, args=(child,), name="kvengine-reaper",
                                            daemon=True)
        else:
            source = snapshot.copied_source(server.dbs)
            self.last_fork_usec = int((time.perf_counter() - t0) * 1e6)
            child = Child(kind, None, time.time(), tmp)
            child.thread = threading.Thread(target=self._run_copy, args=(child, work, source),
                                            name="kvengine-writer", daemon=True)
        self.child = child
        child.thread.start()
        return True

    def _reap(self, child: Child) -> None:
        assert child.pid is not None
        try:
            _, status = os.waitpid(child.pid, 0)
            ok = os.waitstatus_to_exitcode(status) == 0
        except ChildProcessError:  # pragma: no cover - reaped elsewhere
            ok = False
        self._finish(child, ok)

    def _run_copy(self, child: Child, work: Callable[[snapshot.Source], None], source: snapshot.Source) -> None:
        ok = False
        try:
            work(source)
            ok = True
        except Exception as exc:
            log.warning("background %s failed: %s", child.kind, exc)
        self._finish(child, ok)

    def _finish(self, child: Child, ok: bool) -> None:
        srv = self.server
        assert srv is not None
        with srv.lock:
            try:
                self._child_done(srv, child, ok)
            finally:
                child.ok = ok
                self.child = None
                child.done.set()
                self._update_gate()
            if not self.closed and not srv.closed and (self.bgsave_scheduled or self.rewrite_scheduled):
                self.cron(srv)

    def _child_done(self, server: Server, child: Child, ok: bool) -> None:
        elapsed = int(time.time() - child.started)
        if child.kind == "rdb":
            self.last_bgsave_time_sec = elapsed
            if ok:
                self.last_save = self._now_s()
                self.dirty_at_save = self.dirty_before_bgsave
                self.last_bgsave_ok = True
                self.rdb_saves += 1
            else:
                self.last_bgsave_ok = False
                if child.tmp:
                    _silent_unlink(child.tmp)
            return
        self.last_rewrite_time_sec = elapsed
        aof = self.log
        if aof is None:
            return
        try:
            aof.finish_rewrite(child.tmp, ok)
        except OSError as exc:
            log.warning("BGREWRITEAOF could not install the new log: %s", exc)
            ok = False
        self.last_rewrite_ok = ok
        if ok:
            self.aof_rewrites += 1
            self.rewrite_failures = 0
            f = aof.file
            if f is not None and f.fsync_errno and f.fsync_failures == self._rewrite_fsync_mark:
                # The log now holds the whole data set, written and fsynced after
                # the failure: what the failed fsync may have dropped is back on disk.
                log.warning("the AOF was rewritten from memory after a failed fsync: writes are accepted again")
                f.fsync_errno = 0
                f.synced_size = f.size
        else:
            self.rewrite_failures += 1

    def _child_failed(self, kind: str) -> None:
        if kind == "rdb":
            self.last_bgsave_ok = False
        else:
            self.last_rewrite_ok = False
            self.rewrite_failures += 1
        self._update_gate()

    def wait(self, timeout: float | None = 60) -> bool:
        """Wait until no background save or rewrite runs (and none is scheduled);
        False on timeout.  Must not be called with the engine lock held."""
        deadline = None if timeout is None else time.monotonic() + timeout
        srv = self.server
        if srv is None:
            return True
        while True:
            with srv.lock:  # a finishing child starts the scheduled one under the lock
                child = self.child
                if child is None:
                    if self.bgsave_scheduled or self.rewrite_scheduled:
                        self.cron(srv)
                    child = self.child
                    if child is None:
                        return True
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not child.done.wait(left):
                return False

    def lastsave(self) -> int:
        return self.last_save

    # -- INFO -------------------------------------------------------------------------------------------
    def persistence_info(self) -> dict[str, Any]:
        """INFO persistence, with Redis 7's field names."""
        srv = self.server
        child = self.child
        now = time.time()
        aof = self.log
        f = aof.file if aof is not None else None
        rdb_child = child is not None and child.kind == "rdb"
        aof_child = child is not None and child.kind == "aof"
        info: dict[str, Any] = {
            "loading": int(bool(srv and srv.loading)),
            "async_loading": 0,
            "rdb_changes_since_last_save": (srv.dirty - self.dirty_at_save) if srv else 0,
            "rdb_bgsave_in_progress": int(rdb_child),
            "rdb_last_save_time": self.last_save,
            "rdb_last_bgsave_status": "ok" if self.last_bgsave_ok else "err",
            "rdb_last_bgsave_time_sec": self.last_bgsave_time_sec,
            "rdb_current_bgsave_time_sec": int(now - child.started) if rdb_child and child else -1,
            "rdb_saves": self.rdb_saves,
            "rdb_last_load_keys_expired": self.load_expired,
            "rdb_last_load_keys_loaded": self.loaded_keys,
            "aof_enabled": int(aof is not None),
            "aof_rewrite_in_progress": int(aof_child),
            "aof_rewrite_scheduled": int(self.rewrite_scheduled),
            "aof_last_rewrite_time_sec": self.last_rewrite_time_sec,
            "aof_current_rewrite_time_sec": int(now - child.started) if aof_child and child else -1,
            "aof_last_bgrewrite_status": "ok" if self.last_rewrite_ok else "err",
            "aof_rewrites": self.aof_rewrites,
            "aof_rewrites_consecutive_failures": self.rewrite_failures,
            "aof_last_write_status": "err" if f is not None and f.error() else "ok",
            "latest_fork_usec": self.last_fork_usec,
        }
        if aof is not None:
            info.update({
                "aof_current_size": aof.current_size,
                "aof_base_size": aof.base_size,
                "aof_pending_rewrite": int(self.rewrite_scheduled),
                "aof_buffer_length": f.pending() if f is not None else 0,
                "aof_pending_bio_fsync": 0,
                "aof_delayed_fsync": 0,
            })
        return info

    # -- close ------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop background work, flush and fsync the log; in snapshot mode with save
        points, save a last snapshot if anything changed (Redis's SHUTDOWN)."""
        if self.closed:
            return
        self.closed = True
        task = self._task
        if task is not None:
            task.cancel(wait=True, timeout=5)  # after a tick in progress, if any
        child = self.child
        if child is not None:
            if child.pid is not None:
                try:
                    os.kill(child.pid, signal.SIGKILL)
                except ProcessLookupError:  # pragma: no cover - already gone
                    pass
            if child.thread is not None and child.thread is not threading.current_thread():
                child.thread.join(timeout=30)
        srv = self.server
        _OPEN.discard(self)
        if srv is None:
            self._release_lock()
            return
        with srv.lock:
            aof = self.log
            if aof is not None:
                f = aof.file
                try:
                    if f is not None:
                        f.write_out()
                        f.fsync()
                finally:
                    aof.close()
            elif self.settings.save and srv.dirty != self.dirty_at_save:
                try:
                    self.save(srv)
                except e.RedisError:
                    log.warning("the snapshot on close failed")
            srv.feeding = False
            srv.log_set = None
        self._release_lock()

    def _release_lock(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()
