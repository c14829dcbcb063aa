"""redis-py drop-in: a real ``redis.Redis`` whose connections run in-process.

``Redis(engine=e)`` *is* a ``redis.Redis`` (a subclass), built on a ``redis.ConnectionPool``
whose ``connection_class`` is :class:`Connection` here.  That connection class is the one
seam: redis-py's client, ``Pipeline``, ``transaction()``, ``Lock``, ``Script`` and its
response callbacks all talk to a connection through ``send_command`` /
``send_packed_command`` / ``read_response`` (plus ``pack_command(s)``, ``connect``,
``disconnect``, ``can_read``), and this class answers those calls without a socket and
without RESP: ``pack_command`` keeps the encoded argv (redis-py's own ``Encoder`` encodes
it, so bad arguments raise the same ``DataError``), ``send_command`` runs it at once
through the engine's single execution path (``Client._call``), as a server executes a
command when it arrives, and ``read_response`` hands back the reply in the shape
redis-py's parser would have produced from the wire:

* status and bulk strings as ``bytes``, or ``str`` with ``decode_responses`` (redis-py's
  ``disable_decoding`` is honoured, so ``DUMP`` stays bytes);
* error replies built by redis-py's own ``parse_error`` from Redis's error line, so the
  class (``ResponseError``, ``WatchError`` via EXEC's nil, ``NoScriptError``,
  ``ExecAbortError``, ``BusyLoadingError``, ...) and text are what a real server gives;
* with ``protocol=3`` the RESP3 types of Redis 7.0 (maps as dicts, doubles as floats,
  score pairs as nested lists, sets as redis-py's parser returns them).

Each connection owns a kvengine client view, so MULTI state, WATCHed keys and the selected
db are per connection, exactly as with sockets; closing a connection discards its MULTI
and forgets its WATCHes, as Redis does when a client goes away.

Only public, long-stable seams of redis-py are used (``ConnectionPool(connection_class=...)``
and the connection's method contract), which have the same shape across redis-py 5.x to
8.x; ``tests/compat/run_matrix.sh`` runs the compatibility suite on each major version.

``AsyncRedis`` does the same over ``redis.asyncio.Redis``: fast commands answer inline
(no thread hop), blocking commands (BLPOP, BLMOVE, XREAD BLOCK...) run in a thread while
the event loop goes on, and cancelling one unblocks it in the engine (Redis's
``CLIENT UNBLOCK``) so nothing is popped for a caller that is gone and the client stays
usable.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

try:
    import redis
    import redis.asyncio
    import redis.asyncio.connection as _aconn
    import redis.connection as _conn
except ImportError as _exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "kvengine.redis_compat needs redis-py: pip install 'kvengine[redis]'"
    ) from _exc

from kvengine import blocking
from kvengine import exceptions as e
from kvengine.client import Client
from kvengine.commands import BLOCKING, TABLE
from kvengine.engine import Engine
from kvengine.reply import Resp3Set
from kvengine.resp3 import RESP3 as _RESP3

__all__ = [
    "AsyncConnection",
    "AsyncConnectionPool",
    "AsyncRedis",
    "Connection",
    "ConnectionPool",
    "Redis",
    "StrictRedis",
    "from_url",
    "patch_redis",
]

Argv = list[bytes]

# Keyword arguments a pool keeps for its connections.  Everything else a caller of
# redis.Redis(...) may pass (host, port, socket options, ssl, retry...) is about sockets
# and is accepted and ignored, so code written for a real server runs unchanged.
_POOL_KWARGS = frozenset({
    "db", "decode_responses", "encoding", "encoding_errors", "protocol", "client_name",
    "legacy_responses", "health_check_interval",
})


def _accepted_params(*classes: type) -> frozenset[str]:
    """Keyword names the __init__ of `classes` (and their bases) accept."""
    names: set[str] = set()
    for cls in classes:
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            try:
                params = inspect.signature(init).parameters.values()
            except (TypeError, ValueError):  # pragma: no cover
                continue
            names.update(p.name for p in params
                         if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self")
    return frozenset(names)


_SYNC_PARAMS = _accepted_params(_conn.Connection)
_ASYNC_PARAMS = _accepted_params(_aconn.Connection)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "on")
    return bool(value)


# What redis.Redis(...) keeps in its pool's ``connection_kwargs`` is kept here too, with
# the caller's values or redis-py's defaults: libraries read them to tell servers apart
# (pottery's containers compare host/port/db) or to rebuild a client (rq), and the
# socket ones (host, port, timeouts, retry...) are the server's nominal address,
# unused in-process.  The defaults are read from a default client of the installed
# redis-py (no connection is made); the pool's own runtime entries are left to it.
_RUNTIME_KWARGS = frozenset({
    "maint_notifications_config", "maint_notifications_pool_handler", "himport_registry",
    "event_dispatcher", "orig_host_address", "orig_socket_timeout", "orig_socket_connect_timeout",
    "oss_cluster_maint_notifications_handler", "connection_pool", "engine",
})


def _kept_defaults(cls: type, **kwargs: Any) -> dict[str, Any]:
    try:
        client = cls(**kwargs)
        kept = dict(client.connection_pool.connection_kwargs)
    except Exception:  # pragma: no cover - a redis-py whose constructor changed
        return {"host": "localhost", "port": 6379}
    return {k: v for k, v in kept.items() if k not in _RUNTIME_KWARGS}


_SYNC_DEFAULTS = _kept_defaults(redis.Redis)
_SYNC_UNIX_DEFAULTS = _kept_defaults(redis.Redis, unix_socket_path="/nonexistent")
_ASYNC_DEFAULTS = _kept_defaults(redis.asyncio.Redis)
_ASYNC_UNIX_DEFAULTS = _kept_defaults(redis.asyncio.Redis, unix_socket_path="/nonexistent")
_NOMINAL_KWARGS = frozenset(_SYNC_DEFAULTS) | frozenset(_SYNC_UNIX_DEFAULTS) | {
    "host", "port", "username", "password", "socket_timeout", "socket_connect_timeout",
    "socket_keepalive", "socket_keepalive_options", "retry_on_error", "retry",
    "redis_connect_func", "credential_provider", "lib_name", "lib_version", "driver_info",
}


def _pool_kwargs(kwargs: dict[str, Any], asyncio: bool = False) -> dict[str, Any]:
    """What the pool keeps: redis-py's keywords (the caller's values, else redis-py's
    defaults), the in-process ones normalised."""
    path = kwargs.get("unix_socket_path") or kwargs.get("path")
    if asyncio:
        defaults = _ASYNC_UNIX_DEFAULTS if path else _ASYNC_DEFAULTS
    else:
        defaults = _SYNC_UNIX_DEFAULTS if path else _SYNC_DEFAULTS
    out = dict(defaults)
    for name, value in kwargs.items():
        if name in _POOL_KWARGS or name in defaults:
            if value is None and defaults.get(name) is not None:
                continue  # (redis-py turns these Nones into its defaults too)
            out[name] = value
    if path:
        out["path"] = path
        for name in ("host", "port"):
            out.pop(name, None)
    elif out.get("port") is not None:
        try:
            out["port"] = int(out["port"])
        except (TypeError, ValueError):
            pass
    out["db"] = int(out.get("db", 0) or 0)
    out["decode_responses"] = _truthy(out.get("decode_responses", False))
    proto = out.get("protocol")
    out["protocol"] = 2 if proto in (None, "", "2") else int(proto)
    if out["protocol"] not in (2, 3):
        raise redis.ConnectionError("protocol must be either 2 or 3")
    return out


# -- RESP3 shapes -----------------------------------------------------------------------
#
# kvengine's handlers answer in RESP2 shapes.  With protocol=3 a real Redis 7.0 sends
# some replies as other RESP3 types; kvengine.resp3.RESP3 turns the RESP2 shape into
# what redis-py's RESP3 parser builds from those types (shared with scripts, which see
# RESP3 replies after redis.setresp(3)); tests/differential/test_resp3.py holds every
# command to redis-server 7.0.


def _probe_sets_as_python_sets() -> bool:
    """redis-py 5.0 parses a RESP3 set into a Python ``set``; later versions keep a list.
    Ask the installed parser which (falls back to list if the probe cannot run)."""
    try:
        from redis._parsers import _RESP3Parser

        class _Buffer:
            lines = [b"~1", b":1"]

            def readline(self, *args: Any, **kwargs: Any) -> bytes:
                return self.lines.pop(0)

            def read(self, *args: Any, **kwargs: Any) -> bytes:  # pragma: no cover
                raise EOFError

        parser = _RESP3Parser(socket_read_size=65536)
        parser._buffer = _Buffer()
        return isinstance(parser._read_response(), set)
    except Exception:  # pragma: no cover - a parser whose internals moved
        return False


_SETS_AS_SETS: bool | None = None


# Marks a RESP3 set until decoding, which turns it into what the parser gives (the
# class lives in kvengine.reply: a script's {set=} reply is built as one already).
_Resp3Set = Resp3Set


# -- the per-connection session ----------------------------------------------------------


class _Session:
    """One connection's server side: a kvengine client view, the replies not yet read,
    and the MULTI queue's argvs (RESP3 needs them to shape EXEC's replies)."""

    __slots__ = ("view", "pending", "protocol", "queued", "closed", "was_queued")

    def __init__(self, engine: Client, db: int, protocol: int, client_name: Any) -> None:
        view = engine.client(db=db, decode_responses=False)
        view.resp = protocol  # what a script's reply is built for (luaReplyToRedisReply)
        if client_name:
            view.name = client_name.encode() if isinstance(client_name, str) else bytes(client_name)
        self.view = view
        # (argv, reply, deferred): replies wait here until read_response, in order
        self.pending: deque[tuple[Argv, Any, bool]] = deque()
        self.protocol = protocol
        self.queued: list[Argv] | None = None
        self.closed = False
        # ids of the argvs answered QUEUED (inside MULTI): their reply is not reshaped
        self.was_queued: set[int] = set()

    def run(self, argv: Argv) -> Any:
        """Execute `argv` now; the reply, or the exception as a value."""
        try:
            reply = self.view._call(argv)
        except Exception as exc:  # every error travels to read_response, like a reply
            reply = exc
        if self.protocol == 3:
            self.track_multi(argv, reply)
        return reply

    def track_multi(self, argv: Argv, reply: Any) -> None:
        name = argv[0].lower() if argv else b""
        if name == b"multi":
            if not isinstance(reply, Exception):
                self.queued = []
        elif name in (b"exec", b"discard"):
            pass  # shaped (and reset) when read
        elif self.queued is not None and reply == b"QUEUED" and self.view.multi is not None:
            self.queued.append(argv)
            self.was_queued.add(id(argv))

    def close(self) -> None:
        """Forget MULTI and WATCH state, as Redis does when a client disconnects."""
        if self.closed:
            return
        self.closed = True
        view = self.view
        self.pending.clear()
        for name, needed in ((b"DISCARD", view.multi is not None), (b"UNWATCH", bool(view.watching))):
            if needed:
                try:
                    view._call([name])
                except Exception:
                    pass
        view.multi = None


def _make_error(parser: Any, exc: BaseException) -> BaseException:
    """The exception redis-py's parser would build for the error reply behind `exc`."""
    if isinstance(exc, e.RedisError):
        if isinstance(exc, e.ConnectionError) and not isinstance(exc, e.BusyLoadingError):
            return redis.ConnectionError(str(exc))
        if isinstance(exc, e.DataError):
            return redis.DataError(str(exc))
        line = e.error_line(exc)
        try:
            return parser.parse_error(line)  # type: ignore[no-any-return]
        except Exception:  # pragma: no cover - a parser without parse_error
            return exc
    return exc


class _Shaper:
    """Turns a raw engine reply into what redis-py's parser returns (shared by the sync
    and asyncio connections)."""

    def __init__(self, parser: Any, encoder: Any, protocol: int) -> None:
        self.parser = parser
        self.encoding = encoder.encoding
        self.errors = encoder.encoding_errors
        self.decode = bool(encoder.decode_responses)
        self.protocol = protocol

    def shape(self, session: _Session, argv: Argv, reply: Any, disable_decoding: bool) -> Any:
        if isinstance(reply, BaseException):
            raise _make_error(self.parser, reply)
        if self.protocol == 3:
            reply = self.resp3(session, argv, reply)
        t = type(reply)
        if t is int or reply is None:
            return reply
        decode = self.decode and not disable_decoding
        if t is bytes:
            return reply.decode(self.encoding, self.errors) if decode else reply
        return self.nested(reply, decode)

    def resp3(self, session: _Session, argv: Argv, reply: Any) -> Any:
        if session.was_queued:
            if id(argv) in session.was_queued:
                session.was_queued.discard(id(argv))
                return reply
        name = argv[0].lower() if argv else b""
        if name == b"exec" or name == b"discard":
            queued, session.queued = session.queued, None
            if name == b"exec" and isinstance(reply, list) and queued is not None:
                return [r if isinstance(r, BaseException) else self.convert(q, r)
                        for q, r in zip(queued, reply)]
            return reply
        return self.convert(argv, reply)

    @staticmethod
    def convert(argv: Argv, reply: Any) -> Any:
        conv = _RESP3.get(argv[0].lower()) if argv else None
        if conv is None or reply is None:
            return reply
        try:
            return conv(argv, reply)
        except (TypeError, ValueError, IndexError):  # an unexpected shape: leave it
            return reply

    def nested(self, reply: Any, decode: bool) -> Any:
        """Decode strings (when asked) and build error objects, recursively."""
        if type(reply) is list and all(type(x) is bytes for x in reply):  # the common flat case
            if decode:
                enc, errors = self.encoding, self.errors
                return [x.decode(enc, errors) for x in reply]
            return reply[:]
        if isinstance(reply, bytes):
            return reply.decode(self.encoding, self.errors) if decode else bytes(reply)
        if isinstance(reply, BaseException):
            return _make_error(self.parser, reply)
        if isinstance(reply, _Resp3Set):
            items = [self.nested(r, decode) for r in reply]
            global _SETS_AS_SETS
            if _SETS_AS_SETS is None:
                _SETS_AS_SETS = _probe_sets_as_python_sets()
            if _SETS_AS_SETS:
                try:
                    return set(items)
                except TypeError:  # pragma: no cover
                    return items
            return items
        if isinstance(reply, list):
            return [self.nested(r, decode) for r in reply]
        if isinstance(reply, dict):
            return {self.nested(k, decode): self.nested(v, decode) for k, v in reply.items()}
        return reply


def _pack(encode: Callable[[Any], Any], args: tuple[Any, ...]) -> Argv:
    """Encode one command as redis-py's packer does (a first argument holding spaces,
    such as "SCRIPT LOAD", is split), but keep it as an argv instead of RESP bytes."""
    first = args[0]
    if isinstance(first, str) and " " in first:
        args = (*first.split(), *args[1:])
    elif isinstance(first, bytes) and b" " in first:
        args = (*first.split(), *args[1:])
    out = []
    for a in args:
        a = encode(a)
        out.append(a if type(a) is bytes else bytes(a))
    return out


def _pack_fast(encoder: Any, args: tuple[Any, ...]) -> Argv:
    """_pack for the common argument types, inline (bytes, str, int, float: what
    redis-py's Encoder.encode does with them); anything else goes through the Encoder."""
    first = args[0]
    if (type(first) is str and " " in first) or (type(first) is bytes and b" " in first):
        return _pack(encoder.encode, args)
    enc = encoder.encoding
    errors = encoder.encoding_errors
    out = []
    for a in args:
        t = type(a)
        if t is bytes:
            out.append(a)
        elif t is str:
            out.append(a.encode(enc, errors))
        elif t is int or t is float:
            out.append(repr(a).encode())
        else:
            a = encoder.encode(a)
            out.append(a if type(a) is bytes else bytes(a))
    return out


def _packed_list(command: Any) -> list[Argv]:
    """send_packed_command's argument: our packed form is a list of argvs."""
    if isinstance(command, (bytes, str, memoryview)):
        raise redis.DataError(
            "kvengine connections take commands packed by their own pack_command(s), not RESP bytes"
        )
    return list(command)


def _handshake(view: Client, protocol: int, decode: bool) -> dict[Any, Any]:
    """What HELLO answers, as redis-py stores it in ``handshake_metadata``."""
    meta: dict[Any, Any] = {
        b"server": b"redis", b"version": b"7.0.15", b"proto": protocol, b"id": view.id,
        b"mode": b"standalone", b"role": b"master", b"modules": [],
    }
    if decode:
        return {k.decode(): v.decode() if isinstance(v, bytes) else v for k, v in meta.items()}
    return meta


# -- synchronous connection and pool -------------------------------------------------


def _engine_label(engine: Any) -> str:
    """How an engine shows in reprs and errors: its id, and its data directory if any."""
    srv = getattr(engine, "server", None)
    backend = getattr(srv, "persistence", None)
    directory = getattr(getattr(backend, "settings", None), "dir", None)
    label = f"0x{id(srv if srv is not None else engine):x}"
    return f"{label} dir={directory}" if directory else label


def _repr_pieces(conn: Any) -> list[tuple[str, Any]]:
    """A connection's repr: in-process kvengine first, then the nominal address."""
    pieces: list[tuple[str, Any]] = [
        ("kvengine", "in-process"), ("engine", _engine_label(conn.engine)),
        ("nominal_host", conn.host), ("nominal_port", conn.port), ("db", conn.db),
    ]
    if conn.client_name:
        pieces.append(("client_name", conn.client_name))
    return pieces


def _pool_repr(pool: Any) -> str:
    kw = pool.connection_kwargs
    where = f"unix_socket_path={kw['path']}" if kw.get("path") else \
        f"nominal host={kw.get('host')},port={kw.get('port')}"
    return (f"<{type(pool).__module__}.{type(pool).__name__}(kvengine in-process "
            f"engine={_engine_label(pool.engine)},{where},db={kw.get('db', 0)})>")


class _NoSocket:
    """Stands where redis-py keeps its socket, so code that checks ``_sock`` sees a
    connected connection; closing it does nothing."""

    def shutdown(self, *args: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def settimeout(self, *args: Any) -> None:
        pass


class Connection(_conn.Connection):
    """A redis-py connection to an in-process kvengine engine (no socket, no RESP)."""

    def __init__(self, engine: Client | None = None, **kwargs: Any) -> None:
        if engine is None:
            raise ValueError("a kvengine Connection needs engine=")
        host = kwargs.pop("host", None) or "localhost"
        port = kwargs.pop("port", None) or 6379
        kwargs.pop("path", None)
        # Nothing to retry in-process: redis-py then makes a no-retry policy instead of
        # deep-copying the pool's (the nominal one stays in the pool's connection_kwargs).
        for name in ("retry", "retry_on_error", "retry_on_timeout"):
            kwargs.pop(name, None)
        super().__init__(host=host, port=port, **{k: v for k, v in kwargs.items() if k in _SYNC_PARAMS})
        self.engine = engine
        self._session: _Session | None = None
        self._shaper = _Shaper(self._parser, self.encoder, int(self.protocol or 2))

    def repr_pieces(self) -> list[tuple[str, Any]]:
        return _repr_pieces(self)

    # -- lifecycle ------------------------------------------------------------------
    def _connect(self) -> Any:
        return _NoSocket()

    def connect(self, *args: Any, **kwargs: Any) -> None:
        """Open the session: a fresh client view on the configured db."""
        if self._session is not None and not self._session.closed:
            return
        self._session = _Session(self.engine, int(self.db or 0), self._shaper.protocol, self.client_name)
        self._sock = _NoSocket()
        if self._shaper.protocol == 3:
            self.handshake_metadata = _handshake(self._session.view, 3, self._shaper.decode)
        for ref in list(getattr(self, "_connect_callbacks", [])):
            callback = ref()
            if callback is not None:
                callback(self)

    connect_check_health = connect

    def on_connect(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to negotiate: db, protocol and name are set when the session opens."""

    on_connect_check_health = on_connect

    def disconnect(self, *args: Any, **kwargs: Any) -> None:
        """Close the session (its MULTI is discarded and its WATCHes forgotten)."""
        session, self._session = self._session, None
        self._sock = None
        if session is not None:
            session.close()

    def check_health(self) -> None:
        """Always healthy: there is no socket to lose."""

    def can_read(self, timeout: float = 0) -> bool:
        """True when replies are waiting to be read."""
        return bool(self._session is not None and self._session.pending)

    # -- commands -------------------------------------------------------------------
    def pack_command(self, *args: Any) -> list[Argv]:
        return [_pack(self.encoder.encode, args)]

    def pack_commands(self, commands: Iterable[Iterable[Any]]) -> list[Argv]:
        encode = self.encoder.encode
        return [_pack(encode, tuple(cmd)) for cmd in commands]

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        session = self._session
        if session is None or session.closed:
            self.connect()
            session = self._session
        assert session is not None
        for argv in _packed_list(command):
            session.pending.append((argv, session.run(argv), False))

    def send_command(self, *args: Any, **kwargs: Any) -> None:
        session = self._session
        if session is None or session.closed:
            self.connect()
            session = self._session
        assert session is not None
        argv = _pack(self.encoder.encode, args)
        session.pending.append((argv, session.run(argv), False))

    def read_response(self, disable_decoding: bool = False, *args: Any, **kwargs: Any) -> Any:
        session = self._session
        if session is None or not session.pending:
            raise redis.ConnectionError("kvengine: no reply to read (no command was sent)")
        argv, reply, _ = session.pending.popleft()
        return self._shaper.shape(session, argv, reply, disable_decoding)


def _new_engine() -> Engine:
    return Engine()


def _parse_url(url: str) -> dict[str, Any]:
    """Options from a ``kvengine://`` (or ``redis://``/``rediss://``/``unix://``) URL:
    the db from the path or ``?db=``, and query options such as ``decode_responses``."""
    parsed = urlparse(url)
    if parsed.scheme not in ("kvengine", "redis", "rediss", "unix", ""):
        raise ValueError(f"unsupported URL scheme {parsed.scheme!r} (use kvengine://)")
    out: dict[str, Any] = {}
    for name, values in parse_qs(parsed.query).items():
        if values:
            out[name] = unquote(values[0])
    path = parsed.path.strip("/")
    if parsed.scheme in ("redis", "rediss"):
        # the nominal address, kept in the pool's connection_kwargs as redis-py keeps it
        if parsed.hostname:
            out.setdefault("host", unquote(parsed.hostname))
        try:
            port = parsed.port
        except ValueError as exc:
            raise ValueError(f"invalid port in URL: {url!r}") from exc
        if port is not None:
            out.setdefault("port", port)
        if parsed.username:
            out.setdefault("username", unquote(parsed.username))
        if parsed.password:
            out.setdefault("password", unquote(parsed.password))
    elif parsed.scheme == "unix" and parsed.path:
        out.setdefault("unix_socket_path", unquote(parsed.path))
    if parsed.scheme in ("redis", "rediss") and path and "db" not in out:
        try:
            out["db"] = int(path)
        except ValueError as exc:
            raise ValueError(f"invalid database in URL: {path!r}") from exc
    if "db" in out:
        out["db"] = int(out["db"])
    return out


class ConnectionPool(redis.ConnectionPool):
    """A ``redis.ConnectionPool`` handing out in-process :class:`Connection` objects.

    ``engine`` is shared by every connection of the pool (a fresh ``Engine()`` if None).
    """

    def __init__(
        self,
        engine: Client | None = None,
        *,
        connection_class: type = Connection,
        max_connections: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.engine = engine if engine is not None else _new_engine()
        super().__init__(
            connection_class=connection_class,
            max_connections=max_connections,
            engine=self.engine,
            **_pool_kwargs(kwargs),
        )

    def __repr__(self) -> str:
        return _pool_repr(self)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> ConnectionPool:  # type: ignore[override]
        """``kvengine://?db=1&decode_responses=true`` (redis:// URLs are accepted too)."""
        options = _parse_url(url)
        options.update(kwargs)
        return cls(**options)


_DIRECT_LOCK = threading.Lock()


class _DirectConnection:
    """The private per-thread connection of ``Redis.execute_command``'s direct path: the
    part of a :class:`Connection` that path uses (its encoder, session and reply shaper),
    without redis-py's connection machinery (socket settings, retry policy, event
    dispatcher, parser buffers), which that path never touches.  Made per client and
    thread, so a suite that makes a client per test does not pay for a full one."""

    __slots__ = ("engine", "db", "client_name", "encoder", "_session", "_shaper")

    # (connection class, protocol, encoding, errors, decode) -> (encoder, parser) of a
    # real Connection made once: the encoder is copied per connection, the parser is
    # only asked to build error objects (parse_error), which keeps no state.
    _PROTOTYPES: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def __init__(self, engine: Client, db: int, client_name: Any, encoder: Any, parser: Any,
                 protocol: int) -> None:
        self.engine = engine
        self.db = db
        self.client_name = client_name
        self.encoder = encoder
        self._session: _Session | None = None
        self._shaper = _Shaper(parser, encoder, protocol)

    @classmethod
    def for_pool(cls, pool: redis.ConnectionPool) -> _DirectConnection:
        kw = pool.connection_kwargs
        protocol = int(kw.get("protocol") or 2)
        key = (pool.connection_class, protocol, kw.get("encoding", "utf-8"),
               kw.get("encoding_errors", "strict"), bool(kw.get("decode_responses")))
        proto = cls._PROTOTYPES.get(key)
        if proto is None:
            real = pool.connection_class(**kw)
            proto = cls._PROTOTYPES[key] = (real.encoder, real._parser)
        encoder, parser = proto
        encoder = type(encoder)(encoder.encoding, encoder.encoding_errors, encoder.decode_responses)
        return cls(kw["engine"], int(kw.get("db") or 0), kw.get("client_name"), encoder, parser,
                   protocol)

    def connect(self) -> None:
        if self._session is None or self._session.closed:
            self._session = _Session(self.engine, self.db, self._shaper.protocol, self.client_name)

    def disconnect(self, *args: Any, **kwargs: Any) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()

    def send_command(self, *args: Any) -> None:  # pragma: no cover - never reached
        raise AssertionError("the direct connection answers in execute_command")

_REDIS_PARSE_RESPONSE = redis.Redis.parse_response
try:
    from redis.client import EMPTY_RESPONSE, NEVER_DECODE
except ImportError:  # pragma: no cover - where redis-py keeps them moved
    EMPTY_RESPONSE, NEVER_DECODE = "EMPTY_RESPONSE", "NEVER_DECODE"


# redis.Redis.__init__ on a given pool sets these attributes, and most of its cost is
# rebuilding the response-callback table (169 names upper-cased one by one).  A suite
# that makes a client per test pays that thousands of times, so after one real
# __init__ per protocol has shown exactly these attributes, later clients get the same
# state directly with a copy of that table (a C-level dict copy).  Any other redis-py
# (another attribute set) keeps the real __init__.
_INIT_ATTRS = frozenset({"_event_dispatcher", "auto_close_connection_pool", "connection_pool",
                         "single_connection_lock", "connection", "_single_connection_client",
                         "response_callbacks"})
_CALLBACK_TABLES: dict[tuple[Any, Any], dict[Any, Any] | None] = {}


def _init_from_prototype(client: redis.Redis, pool: redis.ConnectionPool) -> bool:
    """Set up `client` on `pool` as redis.Redis.__init__ would; False if it must run."""
    kw = pool.connection_kwargs
    key = (kw.get("protocol"), kw.get("legacy_responses", True))
    table = _CALLBACK_TABLES.get(key, _MISSING)
    if table is _MISSING:
        probe = redis.Redis.__new__(redis.Redis)
        redis.Redis.__init__(probe, connection_pool=pool)
        ok = set(probe.__dict__) == _INIT_ATTRS and type(probe.response_callbacks) is _CID
        _CALLBACK_TABLES[key] = dict(probe.response_callbacks) if ok else None
        return False
    if table is None or _EventDispatcher is None:
        return False
    callbacks = _CID.__new__(_CID)
    dict.update(callbacks, table)
    d = client.__dict__
    d["_event_dispatcher"] = _EventDispatcher()
    d["auto_close_connection_pool"] = False
    d["connection_pool"] = pool
    d["single_connection_lock"] = threading.RLock()
    d["connection"] = None
    d["_single_connection_client"] = False
    d["response_callbacks"] = callbacks
    return True


try:
    from redis.client import CaseInsensitiveDict as _CID
except ImportError:  # pragma: no cover
    _CID = dict
try:
    from redis.event import EventDispatcher as _EventDispatcher
except ImportError:  # pragma: no cover - redis-py before 5.1 has no event dispatcher
    _EventDispatcher = None


class Redis(redis.Redis):
    """A real ``redis.Redis`` running on an in-process kvengine engine.

    >>> r = Redis()                     # its own fresh engine
    >>> r.set("k", "v"); r.get("k")
    True
    b'v'
    >>> r2 = Redis(engine=r.engine, db=1, decode_responses=True)   # same data, db 1

    Socket-related keywords of ``redis.Redis`` (host, port, timeouts, ssl...) are accepted
    and ignored, so code written for a server runs as is.
    """

    def __init__(
        self,
        engine: Client | None = None,
        db: int = 0,
        decode_responses: bool = False,
        protocol: int | None = 2,
        *,
        connection_pool: redis.ConnectionPool | None = None,
        single_connection_client: bool = False,
        **kwargs: Any,
    ) -> None:
        own_pool = connection_pool is None
        if connection_pool is None:
            connection_pool = ConnectionPool(
                engine, db=db, decode_responses=decode_responses, protocol=protocol,
                max_connections=kwargs.pop("max_connections", None), **kwargs,
            )
        if single_connection_client or not _init_from_prototype(self, connection_pool):
            super().__init__(connection_pool=connection_pool, single_connection_client=single_connection_client)
        if own_pool:
            self.auto_close_connection_pool = True

    @property
    def engine(self) -> Client:
        """The kvengine engine this client talks to."""
        return self.connection_pool.engine  # type: ignore[no-any-return,attr-defined]

    # Fast path.  redis-py's pooled execute_command spends most of a call checking a
    # connection out of the pool and back in (locks, fork checks, retries, and in
    # redis-py 8 metrics), then goes through send_command / read_response /
    # parse_response.  In-process, a connection is just a client view, so each thread
    # keeps one private connection for plain commands, packs the arguments with the
    # common types inline (redis-py's Encoder for anything else, so errors are its own),
    # runs the command, and finishes as redis-py's parse_response does (NEVER_DECODE,
    # EMPTY_RESPONSE, response callbacks).  Pipelines, transactions, pub/sub,
    # single-connection clients and subclasses that override parse_response take
    # redis-py's path.
    _kv_local: threading.local | None = None

    def _kv_conn(self) -> Any:
        """This thread's private connection (made on first use)."""
        local = self._kv_local
        if local is None:
            with _DIRECT_LOCK:
                local = self._kv_local
                if local is None:
                    local = self._kv_local = threading.local()
        conn = getattr(local, "conn", None)
        if conn is None:
            pool = self.connection_pool
            if pool.connection_class is Connection:
                conn = local.conn = _DirectConnection.for_pool(pool)
            else:  # a custom connection class: a real one, used through redis-py's calls
                conn = local.conn = pool.connection_class(**pool.connection_kwargs)
            with _DIRECT_LOCK:
                self._kv_direct = [*getattr(self, "_kv_direct", []), conn]
        return conn  # type: ignore[no-any-return]

    def execute_command(self, *args: Any, **options: Any) -> Any:
        local = self._kv_local
        conn = getattr(local, "conn", None) if local is not None else None
        if conn is None:
            if (self.connection is not None or type(self.connection_pool) is not ConnectionPool
                    or type(self).parse_response is not _REDIS_PARSE_RESPONSE):
                return super().execute_command(*args, **options)
            conn = self._kv_conn()
        session = conn._session
        if session is None or session.closed:
            conn.connect()
            session = conn._session
        if type(conn) is not _DirectConnection or session is None or session.pending:
            conn.send_command(*args)  # a custom connection class
            return self.parse_response(conn, args[0], **options)
        argv = _pack_fast(conn.encoder, args)
        view = session.view
        n = len(argv)
        try:
            # GET and plain SET take the engine's own typed fast paths (the same
            # semantics as the general path, held to it by tests/test_fastpath.py)
            if n == 2 and argv[0] == b"GET" and view.multi is None:
                reply = view.get(argv[1])
            elif n == 3 and argv[0] == b"SET" and view.multi is None:
                view.set(argv[1], argv[2])
                reply = b"OK"
            elif session.protocol == 2:
                reply = view._call(argv)
            else:
                reply = session.run(argv)
        except Exception as exc:  # errors travel as values, like a reply
            reply = exc
        never_decode = NEVER_DECODE in options
        if never_decode:
            options.pop(NEVER_DECODE)
        shaper = conn._shaper
        if shaper.protocol == 2 and ((type(reply) is bytes and not shaper.decode)
                                     or reply is None or type(reply) is int):
            response = reply  # (what shape() returns for these under RESP2)
        else:
            try:
                response = shaper.shape(session, argv, reply, never_decode)
            except redis.ResponseError:
                if EMPTY_RESPONSE in options:
                    return options[EMPTY_RESPONSE]
                raise
        if options:
            options.pop(EMPTY_RESPONSE, None)
            options.pop("keys", None)
        command_name = args[0]
        callbacks = self.response_callbacks
        # (redis-py's CaseInsensitiveDict stores names upper-cased: an upper-case name
        # is looked up as a plain dict; anything else the case-insensitive way)
        if type(command_name) is str and command_name.isupper():
            callback = dict.get(callbacks, command_name)
        else:
            callback = callbacks[command_name] if command_name in callbacks else None
        if callback is not None:
            return callback(response, **options)
        return response

    def close(self) -> None:
        for conn in getattr(self, "_kv_direct", []):
            conn.disconnect()
        self._kv_direct = []
        self._kv_local = None
        super().close()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Redis:  # type: ignore[override]
        """A client from a ``kvengine://`` URL: ``Redis.from_url("kvengine://?db=2", engine=e)``."""
        options = _parse_url(url)
        options.update(kwargs)
        single = _truthy(options.pop("single_connection_client", False))
        return cls(single_connection_client=single, **options)


StrictRedis = Redis


def from_url(url: str = "kvengine://", **kwargs: Any) -> Redis:
    """``kvengine.redis_compat.from_url("kvengine://?decode_responses=true", engine=e)``."""
    return Redis.from_url(url, **kwargs)


# -- asyncio -------------------------------------------------------------------------------


def _may_block(view: Client, argv: Argv) -> bool:
    """True if `argv` is a command that can wait (it must not run on the event loop)."""
    if not argv or view.multi is not None:
        return False
    cmd = TABLE.get(argv[0].lower())
    return cmd is not None and bool(cmd.flags & BLOCKING)


def _unblock_when_blocked(view: Client, thread: threading.Thread) -> None:
    """After a cancel: the worker may not have registered its wait yet; keep trying
    until it has (then unblock it) or has finished."""
    while thread.is_alive():
        if blocking.unblock(view):
            return
        time.sleep(0.001)


class AsyncConnection(_aconn.Connection):
    """A ``redis.asyncio`` connection to an in-process kvengine engine."""

    def __init__(self, engine: Client | None = None, **kwargs: Any) -> None:
        if engine is None:
            raise ValueError("a kvengine AsyncConnection needs engine=")
        host = kwargs.pop("host", None) or "localhost"
        port = kwargs.pop("port", None) or 6379
        kwargs.pop("path", None)
        for name in ("retry", "retry_on_error", "retry_on_timeout"):  # (see Connection)
            kwargs.pop(name, None)
        super().__init__(host=host, port=port, **{k: v for k, v in kwargs.items() if k in _ASYNC_PARAMS})
        self.engine = engine
        self._session: _Session | None = None
        self._shaper = _Shaper(self._parser, self.encoder, int(self.protocol or 2))

    def repr_pieces(self) -> list[tuple[str, Any]]:
        return _repr_pieces(self)

    def __del__(self, *args: Any) -> None:
        session = getattr(self, "_session", None)
        if session is not None:
            session.close()

    @property
    def is_connected(self) -> bool:
        return self._session is not None and not self._session.closed

    async def _connect(self) -> None:
        return None

    async def connect(self, *args: Any, **kwargs: Any) -> None:
        if self.is_connected:
            return
        self._session = _Session(self.engine, int(self.db or 0), self._shaper.protocol, self.client_name)
        if self._shaper.protocol == 3:
            self.handshake_metadata = _handshake(self._session.view, 3, self._shaper.decode)
        for ref in list(getattr(self, "_connect_callbacks", [])):
            callback = ref()
            if callback is not None:
                task = callback(self)
                if inspect.isawaitable(task):
                    await task

    connect_check_health = connect

    async def on_connect(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to negotiate."""

    on_connect_check_health = on_connect

    def _close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()

    async def disconnect(self, *args: Any, **kwargs: Any) -> None:
        self._close()

    async def check_health(self) -> None:
        """Always healthy."""

    async def can_read_destructive(self) -> bool:
        return bool(self._session is not None and self._session.pending)

    async def can_read(self) -> bool:  # type: ignore[override]
        return bool(self._session is not None and self._session.pending)

    def pack_command(self, *args: Any) -> list[Argv]:
        return [_pack(self.encoder.encode, args)]

    def pack_commands(self, commands: Iterable[Iterable[Any]]) -> list[Argv]:
        encode = self.encoder.encode
        return [_pack(encode, tuple(cmd)) for cmd in commands]

    def _send(self, argv: Argv) -> None:
        session = self._session
        assert session is not None
        pending = session.pending
        # Once something waits for a thread, later commands queue behind it, in order.
        if (pending and pending[-1][2]) or _may_block(session.view, argv):
            pending.append((argv, None, True))
        else:
            pending.append((argv, session.run(argv), False))

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        if not self.is_connected:
            await self.connect()
        for argv in _packed_list(command):
            self._send(argv)

    async def send_command(self, *args: Any, **kwargs: Any) -> None:
        if not self.is_connected:
            await self.connect()
        self._send(_pack(self.encoder.encode, args))

    async def read_response(self, disable_decoding: bool = False, *args: Any, **kwargs: Any) -> Any:
        session = self._session
        if session is None or not session.pending:
            raise redis.ConnectionError("kvengine: no reply to read (no command was sent)")
        argv, reply, deferred = session.pending.popleft()
        if deferred:
            if _may_block(session.view, argv):
                reply = await self._run_in_thread(session, argv)
            else:
                reply = session.run(argv)
        return self._shaper.shape(session, argv, reply, disable_decoding)

    async def _run_in_thread(self, session: _Session, argv: Argv) -> Any:
        """Run a blocking command in its own thread; the event loop goes on meanwhile.

        A dedicated thread rather than the default executor: a few blocked calls must not
        starve the executor other code relies on.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def deliver(reply: Any) -> None:
            if not future.done():
                future.set_result(reply)

        def work() -> None:
            reply = session.run(argv)
            try:
                loop.call_soon_threadsafe(deliver, reply)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

        thread = threading.Thread(target=work, name="kvengine-blocking", daemon=True)
        thread.start()
        try:
            return await future
        except BaseException:
            # Cancelled (or the task is torn down): unblock the call in the engine so it
            # pops nothing for a caller that is gone, and drop this session; the next
            # command opens a fresh one, as redis-py reconnects after a cancelled read.
            if not blocking.unblock(session.view):
                threading.Thread(target=_unblock_when_blocked, args=(session.view, thread),
                                 daemon=True).start()
            session.pending.clear()
            if self._session is session:
                self._session = None
                session.close()
            raise


class AsyncConnectionPool(redis.asyncio.ConnectionPool):
    """A ``redis.asyncio.ConnectionPool`` handing out :class:`AsyncConnection` objects."""

    def __init__(
        self,
        engine: Client | None = None,
        *,
        connection_class: type = AsyncConnection,
        max_connections: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.engine = engine if engine is not None else _new_engine()
        super().__init__(
            connection_class=connection_class,
            max_connections=max_connections,
            engine=self.engine,
            **_pool_kwargs(kwargs, asyncio=True),
        )

    def __repr__(self) -> str:
        return _pool_repr(self)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> AsyncConnectionPool:  # type: ignore[override]
        options = _parse_url(url)
        options.update(kwargs)
        return cls(**options)


class AsyncRedis(redis.asyncio.Redis):
    """A real ``redis.asyncio.Redis`` running on an in-process kvengine engine."""

    def __init__(
        self,
        engine: Client | None = None,
        db: int = 0,
        decode_responses: bool = False,
        protocol: int | None = 2,
        *,
        connection_pool: redis.asyncio.ConnectionPool | None = None,
        single_connection_client: bool = False,
        **kwargs: Any,
    ) -> None:
        own_pool = connection_pool is None
        if connection_pool is None:
            connection_pool = AsyncConnectionPool(
                engine, db=db, decode_responses=decode_responses, protocol=protocol,
                max_connections=kwargs.pop("max_connections", None), **kwargs,
            )
        super().__init__(connection_pool=connection_pool, single_connection_client=single_connection_client)
        if own_pool:
            self.auto_close_connection_pool = True

    @property
    def engine(self) -> Client:
        """The kvengine engine this client talks to."""
        return self.connection_pool.engine  # type: ignore[no-any-return,attr-defined]

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> AsyncRedis:  # type: ignore[override]
        options = _parse_url(url)
        options.update(kwargs)
        single = _truthy(options.pop("single_connection_client", False))
        return cls(single_connection_client=single, **options)


# -- patching redis-py for code under test -------------------------------------------------


def _client_options(init: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The in-process options of a ``redis.Redis(...)`` call (db, decode_responses,
    protocol, ...), taken from its arguments or from the pool it was given."""
    try:
        bound = inspect.signature(init).bind_partial(None, *args, **kwargs).arguments
    except TypeError:
        bound = dict(kwargs)
    extra = bound.pop("kwargs", None)
    if isinstance(extra, dict):
        bound.update(extra)
    pool = bound.get("connection_pool")
    options: dict[str, Any] = {}
    if pool is not None:
        options.update(getattr(pool, "connection_kwargs", {}) or {})
    for name in (*_POOL_KWARGS, *_NOMINAL_KWARGS, "unix_socket_path"):
        if name in bound and bound[name] is not None and (pool is None or name not in options):
            options[name] = bound[name]
    options["single_connection_client"] = bool(bound.get("single_connection_client", False))
    return options


_MISSING = object()


class patch_redis:
    """Make ``redis.Redis(...)``, ``redis.StrictRedis(...)``, ``redis.from_url(...)``,
    ``redis.asyncio.Redis(...)`` and ``redis.asyncio.from_url(...)`` connect to `engine`
    while active (a context manager; ``start()``/``stop()`` also work).

    The classes themselves are patched, not the names, so modules that did
    ``from redis import Redis`` before are covered too, and ``isinstance(c, redis.Redis)``
    holds.  A client built on an explicit ``connection_pool`` gets an in-process pool
    with that pool's db / decoding / protocol.  Clients created before the patch keep
    their sockets.
    """

    def __init__(self, engine: Client) -> None:
        self.engine = engine
        self._saved: list[tuple[type, str, Any]] = []

    def start(self) -> patch_redis:
        if self._saved:
            return self
        engine = self.engine
        for cls, pool_cls in ((redis.Redis, ConnectionPool), (redis.asyncio.Redis, AsyncConnectionPool)):
            original = cls.__dict__.get("__init__", cls.__init__)
            self._saved.append((cls, "__init__", cls.__dict__.get("__init__", _MISSING)))
            self._saved.append((cls, "from_url", cls.__dict__.get("from_url", _MISSING)))
            cls.__init__ = self._make_init(original, pool_cls, engine)  # type: ignore[method-assign]
            cls.from_url = classmethod(_patched_from_url)  # type: ignore[method-assign,assignment]
        return self

    @staticmethod
    def _make_init(original: Callable[..., Any], pool_cls: type, engine: Client) -> Callable[..., Any]:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            pool = kwargs.get("connection_pool")
            if isinstance(pool, (ConnectionPool, AsyncConnectionPool)):
                original(self, *args, **kwargs)
                return
            options = _client_options(original, args, kwargs)
            single = options.pop("single_connection_client")
            original(self, connection_pool=pool_cls(engine, **options), single_connection_client=single)
            self.auto_close_connection_pool = True

        __init__.__wrapped__ = original  # type: ignore[attr-defined]
        return __init__

    def stop(self) -> None:
        while self._saved:
            cls, name, value = self._saved.pop()
            if value is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value)

    def __enter__(self) -> Client:
        self.start()
        return self.engine

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _patched_from_url(cls: type, url: str, **kwargs: Any) -> Any:
    """``Redis.from_url`` while patched: any URL, options from its path and query."""
    options = _parse_url(url)
    options.update(kwargs)
    return cls(**options)
