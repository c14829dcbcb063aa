"""INFO, CONFIG and MEMORY: what the engine reports about itself, in Redis's shapes.

INFO prints Redis's sections and ``key:value`` lines so redis-py's ``info()`` parses
it into the same dict as for a real server; fields that have no meaning in-process
(sockets, forks, replication links) keep Redis's names with the values an idle
standalone server shows.  CONFIG reads and writes the settings registered in
:mod:`kvengine.config`; this module registers the core ones (memory, eviction,
LFU, hz).  MEMORY USAGE/STATS report the engine's own accounting: the keyspace
table's bytes exactly, containers by their size model (see DESIGN.md).
"""

from __future__ import annotations

import os
import platform
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine.commands import (
    ADMIN,
    LOADING,
    NOSCRIPT,
    READONLY,
    STALE,
    Argv,
    Reply,
    all_commands,
    command,
)
from kvengine.config import PARAMS, Param, attr_param, config_get, config_set, register
from kvengine.evict import POLICIES
from kvengine.reply import OK
from kvengine.util import get_int

if TYPE_CHECKING:
    from kvengine.client import Client
    from kvengine.server import Server

REDIS_VERSION = "7.0.15"  # the Redis whose behaviour kvengine follows

# -- settings -------------------------------------------------------------------------
attr_param("maxmemory", "maxmemory", "memory")
attr_param("maxmemory-policy", "maxmemory_policy", "enum", choices=POLICIES,
           apply=lambda srv: srv.apply_policy())
attr_param("maxmemory-samples", "maxmemory_samples", "int", lo=1)
attr_param("maxmemory-eviction-tenacity", "maxmemory_eviction_tenacity", "int", lo=0, hi=100)
attr_param("lfu-log-factor", "lfu_log_factor", "int", lo=0, apply=lambda srv: srv.apply_policy())
attr_param("lfu-decay-time", "lfu_decay_time", "int", lo=0, apply=lambda srv: srv.apply_policy())
attr_param("hz", "hz", "int", lo=0, apply=lambda srv: setattr(srv, "hz", min(max(srv.hz, 1), 500)))
register(Param("databases", lambda srv: str(len(srv.dbs))))  # immutable: Engine(databases=N)


def _register_thresholds() -> None:
    """The encoding thresholds are module constants the hot paths read; CONFIG SET
    updates them (process-wide, see docs/config.md)."""
    from kvengine import t_hash, t_set, t_zset
    from kvengine.config import module_param

    module_param("hash-max-listpack-entries", t_hash, "HASH_MAX_LISTPACK_ENTRIES")
    module_param("hash-max-listpack-value", t_hash, "HASH_MAX_LISTPACK_VALUE")
    module_param("set-max-intset-entries", t_set, "SET_MAX_INTSET_ENTRIES")
    module_param("zset-max-listpack-entries", t_zset, "ZSET_MAX_LISTPACK_ENTRIES")
    module_param("zset-max-listpack-value", t_zset, "ZSET_MAX_LISTPACK_VALUE")


_register_thresholds()


# -- helpers --------------------------------------------------------------------------
def human_bytes(n: int) -> str:
    """Redis's bytesToHuman: 1.50K, 2.57M, 0B."""
    value = float(n)
    for unit in ("B", "K", "M", "G", "T", "P"):
        if abs(value) < 1024 or unit == "P":
            return f"{int(value)}B" if unit == "B" else f"{value:.2f}{unit}"
        value /= 1024
    return f"{n}B"  # pragma: no cover


def _version() -> str:
    import kvengine

    return kvengine.__version__


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return 0


def _total_system_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (OSError, ValueError, AttributeError):
        return 0


def avg_ttl(srv: Server, db_index: int) -> int:
    """Estimated average TTL in ms of a db's volatile keys, by sampling (as Redis's
    estimate from the expire cycle: approximate, 0 when there are none)."""
    table = srv.dbs[db_index].table
    if not table.volatile_count():
        return 0
    now = srv.now
    ttls = [table.get_expire(k) - now for k in table.sample_volatile(32)]
    ttls = [t for t in ttls if t > 0]
    return sum(ttls) // len(ttls) if ttls else 0


def _overhead(srv: Server) -> tuple[int, dict[int, tuple[int, int]]]:
    from kvengine._native.pytable import ENTRY_OVERHEAD, VOLATILE_OVERHEAD

    per_db = {}
    total = 0
    for db in srv.dbs:
        n = len(db)
        if n:
            main, expires = n * ENTRY_OVERHEAD, db.volatile_count() * VOLATILE_OVERHEAD
            per_db[db.id] = (main, expires)
            total += main + expires
    return total, per_db


# -- INFO -----------------------------------------------------------------------------
# Every field of Redis 7.0.15's INFO, in its order; those without meaning in-process
# (sockets, forks, replication links, defrag, threads) keep the values an idle
# standalone server shows, so Redis's test suite and tooling find what they read.
def _connections(srv: Server) -> int:
    """Clients created so far (the counter's next id, minus one)."""
    text = repr(srv.client_ids)  # itertools.count(N)
    try:
        return int(text[text.index("(") + 1: text.index(")")].split(",")[0]) - 1
    except ValueError:  # pragma: no cover
        return 0


def _section_server(srv: Server) -> dict[str, Any]:
    now = srv.clock()
    uptime = int(time.time() - srv.start_time)
    return {
        "redis_version": REDIS_VERSION,
        "redis_git_sha1": "00000000",
        "redis_git_dirty": 0,
        "redis_build_id": "kvengine",
        "kvengine_version": _version(),
        "redis_mode": "standalone",
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "arch_bits": 64 if sys.maxsize > 2**32 else 32,
        "monotonic_clock": "POSIX clock_gettime",
        "multiplexing_api": "in-process",
        "atomicvar_api": "python-gil",
        "gcc_version": "0.0.0",
        "process_id": os.getpid(),
        "process_supervised": "no",
        "run_id": srv.run_id,
        "tcp_port": 0,
        "server_time_usec": now * 1000,
        "uptime_in_seconds": uptime,
        "uptime_in_days": uptime // 86400,
        "hz": srv.hz,
        "configured_hz": srv.hz,
        "lru_clock": (now // 1000) & 0xFFFFFF,
        "executable": sys.executable,
        "config_file": "",
        "io_threads_active": 0,
    }


def _section_clients(srv: Server) -> dict[str, Any]:
    blocked = {id(w.client) for waiters in srv.blocked.values() for w in waiters}
    return {
        "connected_clients": threading.active_count(),
        "cluster_connections": 0,
        "maxclients": int(PARAMS["maxclients"].get(srv)),
        "client_recent_max_input_buffer": 0,
        "client_recent_max_output_buffer": 0,
        "blocked_clients": len(blocked),
        "tracking_clients": 0,
        "clients_in_timeout_table": len(blocked),
    }


def _scripting_info(srv: Server) -> dict[str, int]:
    from kvengine import scripting

    fields = {"used_memory_lua": 0, "used_memory_vm_eval": 0, "used_memory_scripts_eval": 0,
              "number_of_cached_scripts": 0}
    try:
        fields.update(scripting.state(srv).info())
    except Exception:  # pragma: no cover - a report must not fail
        pass
    return fields


def _section_memory(srv: Server) -> dict[str, Any]:
    used = srv.used_memory()
    peak = srv.memory_peak()
    overhead, _ = _overhead(srv)
    rss = _rss()
    total = _total_system_memory()
    lua = _scripting_info(srv)
    return {
        "used_memory": used,
        "used_memory_human": human_bytes(used),
        "used_memory_rss": rss,
        "used_memory_rss_human": human_bytes(rss),
        "used_memory_peak": peak,
        "used_memory_peak_human": human_bytes(peak),
        "used_memory_peak_perc": f"{(100.0 * used / peak) if peak else 100.0:.2f}%",
        "used_memory_overhead": overhead,
        "used_memory_startup": 0,
        "used_memory_dataset": used - overhead,
        "used_memory_dataset_perc": f"{(100.0 * (used - overhead) / used) if used else 0.0:.2f}%",
        "allocator_allocated": used,
        "allocator_active": used,
        "allocator_resident": rss,
        "total_system_memory": total,
        "total_system_memory_human": human_bytes(total),
        "used_memory_lua": lua["used_memory_lua"],
        "used_memory_vm_eval": lua["used_memory_vm_eval"],
        "used_memory_lua_human": human_bytes(lua["used_memory_lua"]),
        "used_memory_scripts_eval": lua["used_memory_scripts_eval"],
        "number_of_cached_scripts": lua["number_of_cached_scripts"],
        "number_of_functions": 0,
        "number_of_libraries": 0,
        "used_memory_vm_functions": 0,
        "used_memory_vm_total": lua["used_memory_vm_eval"],
        "used_memory_vm_total_human": human_bytes(lua["used_memory_vm_eval"]),
        "used_memory_functions": 0,
        "used_memory_scripts": lua["used_memory_scripts_eval"],
        "used_memory_scripts_human": human_bytes(lua["used_memory_scripts_eval"]),
        "maxmemory": srv.maxmemory,
        "maxmemory_human": human_bytes(srv.maxmemory),
        "maxmemory_policy": srv.maxmemory_policy,
        "allocator_frag_ratio": "1.00",
        "allocator_frag_bytes": 0,
        "allocator_rss_ratio": f"{(rss / used) if used else 1.0:.2f}",
        "allocator_rss_bytes": rss - used,
        "rss_overhead_ratio": "1.00",
        "rss_overhead_bytes": 0,
        "mem_fragmentation_ratio": f"{(rss / used) if used else 0.0:.2f}",
        "mem_fragmentation_bytes": rss - used,
        "mem_not_counted_for_evict": 0,
        "mem_replication_backlog": 0,
        "mem_total_replication_buffers": 0,
        "mem_clients_slaves": 0,
        "mem_clients_normal": 0,
        "mem_cluster_links": 0,
        "mem_aof_buffer": 0,
        "mem_allocator": "libc",
        "active_defrag_running": 0,
        "lazyfree_pending_objects": 0,
        "lazyfreed_objects": 0,
    }


_PERSISTENCE_FIELDS: dict[str, Any] = {
    "loading": 0, "async_loading": 0, "current_cow_peak": 0, "current_cow_size": 0,
    "current_cow_size_age": 0, "current_fork_perc": "0.00", "current_save_keys_processed": 0,
    "current_save_keys_total": 0, "rdb_changes_since_last_save": 0, "rdb_bgsave_in_progress": 0,
    "rdb_last_save_time": 0, "rdb_last_bgsave_status": "ok", "rdb_last_bgsave_time_sec": -1,
    "rdb_current_bgsave_time_sec": -1, "rdb_saves": 0, "rdb_last_cow_size": 0,
    "rdb_last_load_keys_expired": 0, "rdb_last_load_keys_loaded": 0, "aof_enabled": 0,
    "aof_rewrite_in_progress": 0, "aof_rewrite_scheduled": 0, "aof_last_rewrite_time_sec": -1,
    "aof_current_rewrite_time_sec": -1, "aof_last_bgrewrite_status": "ok", "aof_rewrites": 0,
    "aof_rewrites_consecutive_failures": 0, "aof_last_write_status": "ok", "aof_last_cow_size": 0,
    "module_fork_in_progress": 0, "module_fork_last_cow_size": 0,
}


def _section_persistence(srv: Server) -> dict[str, Any]:
    """Redis's fields in Redis's order; the backend's report fills in what it knows
    (and may add fields of its own, e.g. the AOF details when the log is on)."""
    backend = getattr(srv, "persistence", None)
    reported: dict[str, Any] = {}
    if backend is not None and hasattr(backend, "persistence_info"):
        reported = dict(backend.persistence_info())
        reported.setdefault("rdb_last_load_keys_loaded", getattr(backend, "loaded_keys", 0))
        reported.setdefault("rdb_last_load_keys_expired", getattr(backend, "load_expired", 0))
    else:
        reported = {"rdb_changes_since_last_save": srv.dirty, "rdb_last_save_time": int(srv.start_time)}
    reported["loading"] = int(srv.loading)
    fields = {name: reported.pop(name, default) for name, default in _PERSISTENCE_FIELDS.items()}
    fields.update(reported)
    return fields


def _section_stats(srv: Server) -> dict[str, Any]:
    st = srv.stats
    return {
        "total_connections_received": _connections(srv),
        "total_commands_processed": sum(c.calls for c in all_commands()),
        "instantaneous_ops_per_sec": 0,
        "total_net_input_bytes": 0,
        "total_net_output_bytes": 0,
        "total_net_repl_input_bytes": 0,
        "total_net_repl_output_bytes": 0,
        "instantaneous_input_kbps": "0.00",
        "instantaneous_output_kbps": "0.00",
        "instantaneous_input_repl_kbps": "0.00",
        "instantaneous_output_repl_kbps": "0.00",
        "rejected_connections": 0,
        "sync_full": 0,
        "sync_partial_ok": 0,
        "sync_partial_err": 0,
        "expired_keys": st.expired_keys,
        "expired_stale_perc": f"{st.expired_stale_perc:.2f}",
        "expired_time_cap_reached_count": 0,
        "expire_cycle_cpu_milliseconds": st.expire_cycle_cpu_milliseconds,
        "evicted_keys": st.evicted_keys,
        "evicted_clients": 0,
        "total_eviction_exceeded_time": 0,
        "current_eviction_exceeded_time": 0,
        "keyspace_hits": srv.keyspace_hits,
        "keyspace_misses": srv.keyspace_misses,
        "pubsub_channels": 0,
        "pubsub_patterns": 0,
        "pubsubshard_channels": 0,
        "latest_fork_usec": 0,
        "total_forks": 0,
        "migrate_cached_sockets": 0,
        "slave_expires_tracked_keys": 0,
        "active_defrag_hits": 0,
        "active_defrag_misses": 0,
        "active_defrag_key_hits": 0,
        "active_defrag_key_misses": 0,
        "total_active_defrag_time": 0,
        "current_active_defrag_time": 0,
        "tracking_total_keys": 0,
        "tracking_total_items": 0,
        "tracking_total_prefixes": 0,
        "unexpected_error_replies": 0,
        "total_error_replies": getattr(st, "total_error_replies", 0),
        "dump_payload_sanitizations": 0,
        "total_reads_processed": 0,
        "total_writes_processed": 0,
        "io_threaded_reads_processed": 0,
        "io_threaded_writes_processed": 0,
        "reply_buffer_shrinks": 0,
        "reply_buffer_expands": 0,
    }


def _section_replication(srv: Server) -> dict[str, Any]:
    return {
        "role": "master",
        "connected_slaves": 0,
        "master_failover_state": "no-failover",
        "master_replid": getattr(srv, "master_replid", srv.run_id),  # DEBUG CHANGE-REPL-ID
        "master_replid2": "0" * 40,
        "master_repl_offset": 0,
        "second_repl_offset": -1,
        "repl_backlog_active": 0,
        "repl_backlog_size": int(PARAMS["repl-backlog-size"].get(srv)),
        "repl_backlog_first_byte_offset": 0,
        "repl_backlog_histlen": 0,
    }


def _section_cpu(srv: Server) -> dict[str, Any]:
    t = os.times()
    return {
        "used_cpu_sys": f"{t.system:.6f}",
        "used_cpu_user": f"{t.user:.6f}",
        "used_cpu_sys_children": f"{t.children_system:.6f}",
        "used_cpu_user_children": f"{t.children_user:.6f}",
        "used_cpu_sys_main_thread": f"{t.system:.6f}",
        "used_cpu_user_main_thread": f"{t.user:.6f}",
    }


def _section_commandstats(srv: Server) -> dict[str, Any]:
    return {
        f"cmdstat_{c.name}": f"calls={c.calls},usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0"
        for c in all_commands()
        if c.calls
    }


def _section_keyspace(srv: Server) -> dict[str, Any]:
    return {
        f"db{db.id}": f"keys={len(db)},expires={db.volatile_count()},avg_ttl={avg_ttl(srv, db.id)}"
        for db in srv.dbs
        if len(db)
    }


SECTIONS = {
    "server": _section_server,
    "clients": _section_clients,
    "memory": _section_memory,
    "persistence": _section_persistence,
    "stats": _section_stats,
    "replication": _section_replication,
    "cpu": _section_cpu,
    "modules": lambda srv: {},
    "commandstats": _section_commandstats,
    "errorstats": lambda srv: {},
    "cluster": lambda srv: {"cluster_enabled": 0},
    "keyspace": _section_keyspace,
}
DEFAULT = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
           "errorstats", "cluster", "keyspace")
EVERYTHING = tuple(SECTIONS)


def info_text(srv: Server, names: list[str]) -> str:
    """The INFO reply for the requested section names (Redis 7 accepts several)."""
    wanted: list[str] = []
    for name in names or ["default"]:
        name = name.lower()
        if name == "default":
            wanted += DEFAULT
        elif name in ("all", "everything"):
            wanted += [s for s in EVERYTHING if name == "everything" or s != "modules"]
        elif name in SECTIONS:
            wanted.append(name)
    seen: set[str] = set()
    parts = []
    for name in EVERYTHING:
        if name in wanted and name not in seen:
            seen.add(name)
            lines = [f"# {name.capitalize() if name != 'cpu' else 'CPU'}"]
            lines += [f"{k}:{v}" for k, v in SECTIONS[name](srv).items()]
            parts.append("\r\n".join(lines))
    return "\r\n\r\n".join(parts) + ("\r\n" if parts else "")


@command("INFO", -1, LOADING | STALE)
def info_command(c: Client, argv: Argv) -> Reply:
    """INFO [section ...]"""
    return info_text(c.server, [a.decode("utf-8", "replace") for a in argv[1:]]).encode()


# -- CONFIG ---------------------------------------------------------------------------
@command("CONFIG|GET", -3, ADMIN | NOSCRIPT | LOADING | STALE)
def config_get_command(c: Client, argv: Argv) -> Reply:
    """CONFIG GET parameter [parameter ...]"""
    out: list[bytes] = []
    for name, value in config_get(c.server, [a.decode("utf-8", "replace") for a in argv[2:]]):
        out += [name.encode(), value.encode()]
    return out


@command("CONFIG|SET", -4, ADMIN | NOSCRIPT | LOADING | STALE)
def config_set_command(c: Client, argv: Argv) -> Reply:
    """CONFIG SET parameter value [parameter value ...] (all or nothing)"""
    if len(argv) % 2:
        raise e.wrong_args("config|set")
    args = [a.decode("utf-8", "replace") for a in argv[2:]]
    config_set(c.server, list(zip(args[::2], args[1::2])))
    return OK


@command("CONFIG|RESETSTAT", 2, ADMIN | NOSCRIPT | LOADING | STALE)
def config_resetstat_command(c: Client, argv: Argv) -> Reply:
    """CONFIG RESETSTAT"""
    c.server.reset_stats()
    for cmd in all_commands():
        cmd.calls = 0
    return OK


@command("CONFIG|REWRITE", 2, ADMIN | NOSCRIPT | LOADING | STALE)
def config_rewrite_command(c: Client, argv: Argv) -> Reply:
    """CONFIG REWRITE: there is no config file in-process (Redis's answer without one)."""
    raise e.err("The server is running without a config file")


@command("CONFIG|HELP", 2, LOADING | STALE)
def config_help_command(c: Client, argv: Argv) -> Reply:
    """CONFIG HELP"""
    return [
        b"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"GET <pattern>",
        b"    Return parameters matching the glob-like <pattern> and their values.",
        b"SET <directive> <value>",
        b"    Set the configuration <directive> to <value>.",
        b"RESETSTAT",
        b"    Reset statistics reported by the INFO command.",
        b"REWRITE",
        b"    Rewrite the configuration file.",
        b"HELP",
        b"    Print this help.",
    ]


# -- MEMORY ---------------------------------------------------------------------------
def key_memory(srv: Server, db_index: int, key: bytes) -> int | None:
    """Bytes one key costs: its table entry (exact) plus its value's size model."""
    from kvengine._native.pytable import _entry_bytes

    db = srv.dbs[db_index]
    value = db.peek(key)
    if value is None:
        return None
    volatile = db.table.get_expire(key) >= 0
    size = _entry_bytes(key, value, volatile)
    if type(value) is not bytes:
        size += getattr(value, "mem", 0)
    return size


@command("MEMORY|USAGE", -3, READONLY, keys=(2, 2, 1))
def memory_usage_command(c: Client, argv: Argv) -> Reply:
    """MEMORY USAGE key [SAMPLES count] (the size model is exact: SAMPLES is accepted)"""
    j = 3
    while j < len(argv):
        if argv[j].upper() == b"SAMPLES" and j + 1 < len(argv):
            get_int(argv[j + 1])
            j += 2
        else:
            raise e.syntax()
    return key_memory(c.server, c.db.id, argv[2])


def memory_stats(srv: Server) -> list[Any]:
    used = srv.used_memory()
    peak = srv.memory_peak()
    overhead, per_db = _overhead(srv)
    keys = sum(len(db) for db in srv.dbs)
    rss = _rss()
    out: list[Any] = [
        b"peak.allocated", peak,
        b"total.allocated", used,
        b"startup.allocated", 0,
        b"replication.backlog", 0,
        b"clients.slaves", 0,
        b"clients.normal", 0,
        b"cluster.links", 0,
        b"aof.buffer", 0,
        b"lua.caches", 0,
        b"functions.caches", 0,
    ]
    for db_id, (main, expires) in per_db.items():
        out += [f"db.{db_id}".encode(), [b"overhead.hashtable.main", main,
                                         b"overhead.hashtable.expires", expires,
                                         b"overhead.hashtable.slot-to-keys", 0]]  # no cluster
    dataset = used - overhead
    out += [
        b"overhead.total", overhead,
        b"keys.count", keys,
        b"keys.bytes-per-key", used // keys if keys else 0,
        b"dataset.bytes", dataset,
        b"dataset.percentage", b"%.17g" % ((100.0 * dataset / used) if used else 0.0),
        b"peak.percentage", b"%.17g" % ((100.0 * used / peak) if peak else 0.0),
        b"allocator.allocated", used,
        b"allocator.active", used,
        b"allocator.resident", rss,
        b"fragmentation", b"%.17g" % ((rss / used) if used else 0.0),
        b"fragmentation.bytes", rss - used,
    ]
    return out


@command("MEMORY|STATS", 2, 0)
def memory_stats_command(c: Client, argv: Argv) -> Reply:
    """MEMORY STATS (Redis's field names; allocator fields from the process RSS)"""
    return memory_stats(c.server)


@command("MEMORY|DOCTOR", 2, 0)
def memory_doctor_command(c: Client, argv: Argv) -> Reply:
    """MEMORY DOCTOR: a short, honest report."""
    srv = c.server
    used = srv.used_memory()
    keys = sum(len(db) for db in srv.dbs)
    if used < 5 * 1024 * 1024:
        return (
            b"Hi Sam, this instance is empty or is using very little memory, my issues detector "
            b"can't be used in these conditions. Please, leave for your mission on Earth and fill it "
            b"with some data. The new Sam and I will be back to our programming as soon as I "
            b"finished rebooting."
        )
    lines = [f"{keys} keys use {human_bytes(used)} ({used // max(keys, 1)} bytes per key)."]
    if srv.maxmemory and used > srv.maxmemory * 0.9:
        lines.append(f"Used memory is over 90% of maxmemory ({human_bytes(srv.maxmemory)}), "
                     f"policy {srv.maxmemory_policy}.")
    peak = srv.memory_peak()
    if peak > used * 1.5:
        lines.append(f"Peak memory ({human_bytes(peak)}) is well above current use.")
    if len(lines) == 1:
        lines.append("I have no memory problems to report.")
    return " ".join(lines).encode()


@command("MEMORY|MALLOC-STATS", 2, 0)
def memory_malloc_stats_command(c: Client, argv: Argv) -> Reply:
    """MEMORY MALLOC-STATS"""
    return b"Stats not supported for the current allocator"


@command("MEMORY|PURGE", 2, 0)
def memory_purge_command(c: Client, argv: Argv) -> Reply:
    """MEMORY PURGE"""
    return OK


@command("MEMORY|HELP", 2, LOADING | STALE)
def memory_help_command(c: Client, argv: Argv) -> Reply:
    """MEMORY HELP"""
    return [
        b"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"DOCTOR",
        b"    Return memory problems reports.",
        b"MALLOC-STATS",
        b"    Return internal statistics report from the memory allocator.",
        b"PURGE",
        b"    Attempt to purge dirty pages for reclamation by the allocator.",
        b"STATS",
        b"    Return information about the memory usage of the server.",
        b"USAGE <key> [SAMPLES <count>]",
        b"    Return memory in bytes used by <key> and its value. Nested values are",
        b"    sampled up to <count> times (default: 5, 0 means sample all).",
        b"HELP",
        b"    Print this help.",
    ]

