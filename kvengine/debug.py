"""DEBUG: the subcommands Redis's own test suite relies on, working on the engine itself.

Gated as Redis 7 gates it: ``enable-debug-command`` (immutable, default ``no``) refuses
DEBUG with Redis's text; ``yes`` or ``local`` allow it (every in-process caller is
local), set with ``Engine(enable_debug_command="yes")``.

- RELOAD saves and loads through the engine's persistence (its snapshot file), and for
  an in-memory engine takes the same round trip through a snapshot image kept in
  memory; LOADAOF reloads the data set from the append-only log.
- DIGEST is Redis's order-independent SHA-1 digest of the data set (the same
  construction as Redis's ``computeDatasetDigest``, so equal data sets give the same
  40 hex digits as a real Redis); DIGEST-VALUE the digest of single values.
- SLEEP holds the engine lock: with a :class:`~kvengine.clock.ManualClock` it advances
  the clock instead of sleeping (tests never wait on the wall clock).
- SET-ACTIVE-EXPIRE and PAUSE-CRON switch the background cycle; POPULATE adds
  ``key:N`` -> ``value:N`` as Redis does (not propagated, not logged).
- Subcommands that crash or restart a Redis process (SEGFAULT, PANIC, RESTART ...) are
  refused: there is no process to lose in-process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import struct
import tempfile
import time
from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine.commands import ADMIN, LOADING, NOSCRIPT, STALE, Argv, Reply, command
from kvengine.reply import OK, Status

if TYPE_CHECKING:
    from kvengine.client import Client
    from kvengine.server import Server

log = logging.getLogger("kvengine.debug")

NOT_ALLOWED = (
    'DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run '
    "it from a local connection, otherwise you need to set this option in the configuration file, "
    "and then restart the server."
)

# Redis's type codes (OBJ_STRING ...), mixed into a value's digest.
_TYPE_CODES = {"string": 0, "list": 1, "set": 2, "zset": 3, "hash": 4}


# -- digests -----------------------------------------------------------------------------
def _xor(digest: bytearray, data: bytes) -> None:
    """xorDigest: digest ^= SHA1(data), so the order of the parts does not matter."""
    for i, b in enumerate(hashlib.sha1(data).digest()):
        digest[i] ^= b


def _mix(digest: bytearray, data: bytes) -> None:
    """mixDigest: digest = SHA1(digest ^ SHA1(data)), so the order matters."""
    _xor(digest, data)
    digest[:] = hashlib.sha1(bytes(digest)).digest()


def _score_text(score: float) -> bytes:
    """A score as C's "%.17g" prints it."""
    if score != score:
        return b"nan"
    if score in (float("inf"), float("-inf")):
        return b"inf" if score > 0 else b"-inf"
    return b"%.17g" % score


def _members(value: Any, kind: str) -> Any:
    """The elements of a container, through its persistence state (``dump_state``: the
    stable interface every container type keeps for snapshots)."""
    if kind == "list":
        return iter(value)
    flat = value.dump_state()[1]
    if kind == "set":
        return iter(flat)
    return zip(flat[::2], flat[1::2])


def value_digest(digest: bytearray, value: Any, expire: int) -> None:
    """xorObjectDigest: mix one value (and whether it has a TTL) into `digest`."""
    from kvengine.db import type_name

    kind = type_name(value)
    _mix(digest, struct.pack(">I", _TYPE_CODES.get(kind, 5)))
    if kind == "string":
        _mix(digest, value)
    elif kind == "list":
        for item in _members(value, kind):
            _mix(digest, item)
    elif kind == "set":
        for member in _members(value, kind):
            _xor(digest, member)
    elif kind in ("zset", "hash"):
        for member, other in _members(value, kind):
            element = bytearray(20)
            _mix(element, member)
            _mix(element, _score_text(other) if kind == "zset" else other)
            _xor(digest, bytes(element))
    if expire >= 0:
        _xor(digest, b"!!expire!!")


def dataset_digest(srv: Server) -> str:
    """computeDatasetDigest: 40 hex digits, all zeros for an empty data set."""
    final = bytearray(20)
    for db in srv.dbs:
        if not len(db.table):
            continue
        _mix(final, struct.pack(">I", db.id))
        for key, value, expire in db.table.items():
            digest = bytearray(20)
            _mix(digest, key)
            value_digest(digest, value, expire)
            _xor(final, bytes(digest))
    return final.hex()


# -- reload ------------------------------------------------------------------------------
def _clear_all(srv: Server) -> None:
    for db in srv.dbs:
        db.clear()


def _load_image(srv: Server, path: str, data: bytes | None) -> None:
    from kvengine.persistence import snapshot
    from kvengine.persistence.aof import load_snapshot_records

    reader = snapshot.SnapshotReader(path, data=data, label="DEBUG RELOAD")
    srv.loading = True
    try:
        load_snapshot_records(srv, reader, skip_expired=True)
    finally:
        srv.loading = False


def reload(srv: Server, save: bool = True, flush: bool = True) -> None:
    """DEBUG RELOAD: save the data set, empty the databases, load it back."""
    from kvengine.persistence import snapshot

    backend = srv.persistence
    rdb_path = getattr(backend, "rdb_path", None)
    dirty = srv.dirty
    try:
        if rdb_path is not None:
            if save:
                backend.save(srv)
            if not os.path.exists(rdb_path):
                raise e.err("Error trying to load the RDB dump")
            if flush:
                _clear_all(srv)
            _load_image(srv, rdb_path, None)
            return
        if save:
            with tempfile.TemporaryFile() as f:
                snapshot.write_snapshot_fd(f.fileno(), snapshot.server_source(srv.dbs))
                f.seek(0)
                srv.debug_image = f.read()  # type: ignore[attr-defined]
        image = getattr(srv, "debug_image", None)
        if image is None:
            raise e.err("Error trying to load the RDB dump")
        if flush:
            _clear_all(srv)
        _load_image(srv, "<memory>", image)
    finally:
        srv.dirty = dirty  # the data set is the same one: nothing to propagate
        srv.pending_ops.clear()


def loadaof(srv: Server) -> None:
    """DEBUG LOADAOF: flush the log, empty the databases, replay the log."""
    from kvengine.persistence.aof import Replayer

    backend = srv.persistence
    aof = getattr(backend, "log", None)
    if aof is None:
        raise e.err("DEBUG LOADAOF needs appendonly yes (this engine has no append-only log)")
    backend.flush(True)
    feeding, dirty = srv.feeding, srv.dirty
    srv.feeding = False
    _clear_all(srv)
    srv.loading = True
    try:
        aof.load(srv, Replayer(srv))
    finally:
        srv.loading = False
        srv.feeding = feeding
        srv.dirty = dirty
        srv.pending_ops.clear()
        srv.now = srv.clock()


# -- OBJECT ------------------------------------------------------------------------------
def _lp_entry_size(item: bytes) -> int:
    """Bytes of one listpack entry (encoding, data and back-length), as lpInsert sizes it."""
    from kvengine.util import parse_int

    n = parse_int(item) if len(item) <= 20 else None
    if n is not None and str(n).encode() == item:
        size = (1 if 0 <= n <= 127 else 2 if -4096 <= n <= 4095 else 3 if -(2**15) <= n < 2**15
                else 4 if -(2**23) <= n < 2**23 else 5 if -(2**31) <= n < 2**31 else 9)
    else:
        size = len(item) + (1 if len(item) < 64 else 2 if len(item) < 4096 else 5)
    return size + (1 if size < 128 else 2 if size < 16384 else 3 if size < 2097152 else 4 if size < 268435456 else 5)


def quicklist_nodes(items: Any) -> list[int]:
    """Listpack sizes of the nodes of a quicklist with list-max-listpack-size -2 (8 kB)."""
    nodes: list[int] = []
    size = 0
    for item in items:
        entry = _lp_entry_size(item)
        if nodes and size + entry <= 8192:
            size += entry
            nodes[-1] = size
        else:
            size = 7 + entry  # listpack header and end byte
            nodes.append(size)
    return nodes


def _rdb_length(n: int) -> int:
    return 1 if n < 64 else 2 if n < 16384 else 5 if n < 2**32 else 9


def serialized_length(value: Any) -> int:
    """Redis's rdbSavedObjectLen: exact for strings and lists while LZF compression
    does not apply (values up to 20 bytes); an estimate (the DUMP payload's size) for
    other types."""
    from kvengine.keys import encoding_of, string_encoding
    from kvengine.serialize import dump_payload

    if type(value) is bytes:
        if string_encoding(value) == "int":
            n = int(value)
            return 2 if -128 <= n <= 127 else 3 if -32768 <= n <= 32767 else 5 if -(2**31) <= n < 2**31 \
                else _rdb_length(len(value)) + len(value)
        return _rdb_length(len(value)) + len(value)
    if encoding_of(value) == "quicklist":  # RDB_TYPE_LIST_QUICKLIST_2 without LZF compression
        nodes = quicklist_nodes(value)
        return _rdb_length(len(nodes)) + sum(1 + _rdb_length(n) + n for n in nodes)
    return len(dump_payload(value)) - 10


def object_line(c: Client, key: bytes) -> str:
    """DEBUG OBJECT's status line, in Redis's format."""
    from kvengine._native.pytable import estimate_idle_ms
    from kvengine.keys import encoding_of

    db = c.db
    value = db.table.lookup(key, c.server.now, False)
    if value is None:
        raise e.err("no such key")
    field = db.table.get_field(key) or 0
    lru = field & 0xFFFFFF
    idle = 0 if c.server.lfu else estimate_idle_ms(field, c.server.now) // 1000
    refcount = 1
    if type(value) is bytes and not c.server.maxmemory and encoding_of(value) == "int" and 0 <= int(value) < 10000:
        refcount = 2147483647  # a shared integer
    extra = ""
    if encoding_of(value) == "quicklist":
        sizes = quicklist_nodes(value)
        nodes = len(sizes)
        extra = (f" ql_nodes:{nodes} ql_avg_node:{(len(value) / nodes) if nodes else 0:.2f} ql_listpack_max:-2"
                 f" ql_compressed:0 ql_uncompressed_size:{sum(sizes)}")
    return (f"Value at:{id(value):#x} refcount:{refcount} encoding:{encoding_of(value)} "
            f"serializedlength:{serialized_length(value)} lru:{lru} lru_seconds_idle:{idle}{extra}")


# -- the command -------------------------------------------------------------------------
HELP = (
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
)

_CRASHERS = {b"segfault", b"panic", b"restart", b"crash-and-recover", b"oom", b"assert"}


def _atoi(arg: bytes) -> int:
    """C's atoi: leading digits (and sign) after spaces, 0 when there are none."""
    text = arg.decode("latin-1").lstrip()
    sign, digits = 1, ""
    if text[:1] in ("-", "+"):
        sign, text = (-1 if text[0] == "-" else 1), text[1:]
    for ch in text:
        if not ch.isdigit():
            break
        digits += ch
    return sign * int(digits) if digits else 0


def _strtod(arg: bytes) -> float:
    """C's strtod(arg, NULL): the longest leading number, 0 when there is none."""
    import re

    m = re.match(rb"\s*[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)", arg, re.I)
    return float(m.group()) if m else 0.0


def _positive_long(arg: bytes) -> int:
    from kvengine.util import get_int

    try:
        n = get_int(arg)
    except e.RedisError:
        n = -1
    if n < 0:
        raise e.err("value is out of range, must be positive")
    return n


def populate(c: Client, count: int, prefix: bytes, size: int) -> None:
    """DEBUG POPULATE: key:N -> value:N (zero-padded or cut to `size`), existing keys kept."""
    db = c.db
    now = c.server.now
    for j in range(count):
        key = b"%s:%d" % (prefix, j)
        if db.table.lookup(key, now, False) is not None:
            continue
        value = b"value:%d" % j
        if size:
            value = value[:size].ljust(size, b"\0")
        db.table.set(key, value, -1, now)
        srv = c.server
        if srv.watched:
            srv.touch_watched(db.id, key)


def _protocol(c: Client, name: bytes) -> Reply:
    kind = name.lower()
    replies: dict[bytes, Any] = {
        b"string": b"Hello World", b"integer": 12345, b"double": b"3.141",
        b"bignum": b"1234567999999999999999999999999999999", b"null": None,
        b"array": [0, 1, 2], b"set": [0, 1, 2], b"map": [0, 0, 1, 1, 2, 0],
        b"attrib": b"Some real reply following the attribute", b"true": 1, b"false": 0,
        b"verbatim": b"This is a verbatim\nstring",
    }
    if kind == b"push":
        if c.resp == 3:  # the push message has no place in-process; the reply that follows it
            return b"Some real reply following the push reply"
        raise e.err("RESP2 is not supported by this command")
    if kind not in replies:
        raise e.err("Wrong protocol type name. Please use one of the following: "
                    "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
    return replies[kind]


def _htstats_text(n: int, size: int, label: str) -> str:
    if not n:
        return "No stats available for empty dictionaries\n"
    return (f"Hash table 0 stats ({label}):\n table size: {size}\n number of elements: {n}\n")


def _table_size(n: int) -> int:
    size = 4
    while size < n:
        size *= 2
    return size


def _sub_error(argv: Argv) -> e.RedisError:
    return e.err(f"unknown subcommand or wrong number of arguments for '{argv[1].decode('utf-8', 'replace')}'. "
                 "Try DEBUG HELP.")


def check_allowed(srv: Server) -> None:
    """The enable-debug-command gate (Redis's allowProtectedAction)."""
    from kvengine.config import value_of

    if value_of(srv, "enable-debug-command") not in ("yes", "local"):
        raise e.err(NOT_ALLOWED)


@command("DEBUG", -2, ADMIN | NOSCRIPT | LOADING | STALE)
def debug_command(c: Client, argv: Argv) -> Reply:
    """DEBUG subcommand [arg ...] (gated by enable-debug-command)"""
    srv = c.server
    check_allowed(srv)
    sub = argv[1].lower()
    n = len(argv)
    if sub == b"help" and n == 2:
        return [Status(b"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")] + [
            Status(line.encode()) for line in (*HELP, "HELP", "    Prints this help.")
        ]
    if sub in _CRASHERS:
        raise e.err(f"DEBUG {sub.decode().upper()} is not supported by an in-process engine")
    if sub == b"log" and n == 3:
        log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
        return OK
    if sub == b"leak" and n == 3:
        return OK
    if sub == b"reload":
        save = flush = True
        for opt in argv[2:]:
            word = opt.lower()
            if word == b"merge":
                pass
            elif word == b"noflush":
                flush = False
            elif word == b"nosave":
                save = False
            else:
                raise e.err("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
        reload(srv, save=save, flush=flush)
        return OK
    if sub == b"loadaof":
        loadaof(srv)
        return OK
    if sub == b"drop-cluster-packet-filter" and n == 3:
        from kvengine.util import get_int

        get_int(argv[2])
        return OK
    if sub == b"object" and n == 3:
        return Status(object_line(c, argv[2]).encode())
    if sub in (b"listpack", b"quicklist") and (n == 3 or (sub == b"quicklist" and n == 4)):
        from kvengine.keys import encoding_of

        value = c.db.peek(argv[2])
        if value is None:
            raise e.err("no such key")
        if encoding_of(value) != sub.decode():
            raise e.err(f"Not a {sub.decode()} encoded object.")
        log.info("DEBUG %s %r: %r", sub.decode().upper(), argv[2], value)
        return Status(f"{sub.decode().capitalize()} structure printed on stdout".encode())
    if sub == b"populate" and 3 <= n <= 5:
        count = _positive_long(argv[2])
        size = _positive_long(argv[4]) if n == 5 else 0
        populate(c, count, argv[3] if n >= 4 else b"key", size)
        return OK
    if sub == b"digest" and n == 2:
        return Status(dataset_digest(srv).encode())
    if sub == b"digest-value":
        out = []
        for key in argv[2:]:
            digest = bytearray(20)
            value = c.db.table.lookup(key, srv.now, False)
            if value is not None:
                value_digest(digest, value, c.db.table.get_expire(key))
            out.append(Status(digest.hex().encode()))
        return out
    if sub == b"protocol" and n == 3:
        return _protocol(c, argv[2])
    if sub == b"sleep" and n == 3:
        seconds = _strtod(argv[2])
        if seconds > 0:
            from kvengine.clock import ManualClock

            if isinstance(srv.clock, ManualClock):
                srv.clock.advance(seconds)
            else:
                time.sleep(seconds)  # the engine lock is held: every other caller waits
        return OK
    if sub == b"set-active-expire" and n == 3:
        srv.active_expire_enabled = bool(_atoi(argv[2]))
        return OK
    if sub == b"quicklist-packed-threshold" and n == 3:
        from kvengine.config import memtoull

        size = memtoull(argv[2].decode("latin-1"))
        if size is None or size > (1 << 32) - (1 << 20):
            raise e.err("argument must be a memory value bigger than 1 and smaller than 4gb")
        srv.quicklist_packed_threshold = size or (1 << 30)  # type: ignore[attr-defined]
        return OK
    if sub in (b"set-skip-checksum-validation", b"aof-flush-sleep", b"set-disable-deny-scripts",
               b"pause-cron") and n == 3:
        setattr(srv, "debug_" + sub.decode().replace("-", "_"), _atoi(argv[2]))
        if sub == b"pause-cron":
            srv.pause_cron = bool(_atoi(argv[2]))
        return OK
    if sub == b"replicate" and n >= 3:
        return OK  # there are no replicas
    if sub == b"error" and n == 3:
        text = argv[2].decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")
        raise e.error_from_line(text)
    if sub == b"structsize" and n == 2:
        return (b"bits:64 robj:16 dictentry:24 sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 ")
    if sub == b"htstats" and n == 3:
        from kvengine.util import get_int

        dbid = get_int(argv[2])
        if not 0 <= dbid < len(srv.dbs):
            raise e.err("Out of range database")
        table = srv.dbs[dbid].table
        keys, volatile = len(table), table.volatile_count()
        return ("[Dictionary HT]\n" + _htstats_text(keys, _table_size(keys), "main hash table")
                + "[Expires HT]\n" + _htstats_text(volatile, _table_size(volatile), "main hash table")).encode()
    if sub == b"htstats-key" and n == 3:
        from kvengine.keys import encoding_of

        value = c.db.peek(argv[2])
        if value is None:
            raise e.err("no such key")
        if encoding_of(value) not in ("hashtable", "skiplist"):
            raise e.err("The value stored at the specified key is not represented using an hash table")
        return _htstats_text(len(value), _table_size(len(value)), "main hash table").encode()
    if sub == b"change-repl-id" and n == 2:
        srv.master_replid = os.urandom(20).hex()  # type: ignore[attr-defined]
        return OK
    if sub == b"stringmatch-test" and n == 2:
        _stringmatch_fuzz()
        return Status(b"Apparently Redis did not crash: test passed")
    if sub == b"config-rewrite-force-all" and n == 2:
        raise e.err("CONFIG-REWRITE-FORCE-ALL failed: there is no configuration file in-process")
    if sub == b"client-eviction" and n == 2:
        from kvengine.config import value_of as config_value

        if config_value(srv, "maxmemory-clients") == "0":
            raise e.err("maxmemory-clients is disabled.")
        return b"bucket          0 - 0: tot-mem: 0, clients: 0\n"
    if sub == b"replybuffer" and n == 4:
        what = argv[2].lower()
        if what == b"peak-reset-time":
            if argv[3].lower() not in (b"never", b"reset"):
                from kvengine.util import get_int

                get_int(argv[3])
        elif what != b"resizing":
            raise _sub_error(argv)
        return OK
    raise _sub_error(argv)


def _stringmatch_fuzz(rounds: int = 1000) -> None:
    """stringmatchlen_fuzz_test: random patterns and strings through the glob matcher."""
    from kvengine.keys import glob_match

    rng = random.Random(0)
    for _ in range(rounds):
        pattern = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 32)))
        text = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 32)))
        glob_match(pattern, text)
