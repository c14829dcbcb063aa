"""TTL commands and the active expiry cycle (Redis's expire.c).

Keys expire two ways, as in Redis: lazily, when a lookup finds them dead
(``Database.lookup_*``), and actively, by a background cycle that samples keys
with a TTL and deletes the expired ones, repeating while the sample shows that
more than ``ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE`` percent were stale, within a
time budget.  Both delete through the same path and are logged as DEL.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from kvengine import exceptions as e
from kvengine._native import NO_EXPIRE
from kvengine.commands import FAST, READONLY, WRITE, Argv, Reply, command
from kvengine.util import LLONG_MAX, LLONG_MIN, get_int

if TYPE_CHECKING:
    from kvengine.client import Client
    from kvengine.server import Server

# Redis's constants (expire.c), so a reader can find the original.
ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP = 20
ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE = 10  # percent
ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC = 25    # percent of CPU time per second


def active_expire_cycle(srv: Server, time_limit_us: int | None = None) -> int:
    """Delete expired keys by sampling, in every database; return how many went.

    The budget defaults to Redis's slow cycle: 25% of one cron period.
    """
    if time_limit_us is None:
        time_limit_us = 1_000_000 * ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC // max(srv.hz, 1) // 100
    start = time.perf_counter()
    deadline = start + time_limit_us / 1e6
    total_sampled = total_expired = 0
    now = srv.now
    for db in srv.dbs:
        if not db.volatile_count():  # (also: a database never used has no table yet)
            continue
        table = db.table
        while table.volatile_count():
            sampled, deleted = table.expire_step(now, ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP)
            if deleted:
                table.expired.extend(deleted)
                db.drain_expired()
            total_sampled += sampled
            total_expired += len(deleted)
            if sampled == 0 or len(deleted) * 100 <= sampled * ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE:
                break
            if time.perf_counter() > deadline:
                break
    if total_sampled:
        srv.stats.expired_stale_perc = (
            total_expired / total_sampled * 0.05 + srv.stats.expired_stale_perc * 0.95
        )
    srv.stats.expire_cycle_cpu_milliseconds += int((time.perf_counter() - start) * 1000)
    return total_expired


# -- EXPIRE family ------------------------------------------------------------------------
EXPIRE_NX, EXPIRE_XX, EXPIRE_GT, EXPIRE_LT = 1, 2, 4, 8


def _parse_expire_flags(argv: Argv) -> int:
    flags = 0
    names = {b"NX": EXPIRE_NX, b"XX": EXPIRE_XX, b"GT": EXPIRE_GT, b"LT": EXPIRE_LT}
    for arg in argv[3:]:
        flag = names.get(arg.upper())
        if flag is None:
            raise e.err(f"Unsupported option {arg.decode('utf-8', 'replace')}")
        flags |= flag
    if flags & EXPIRE_NX and flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT):
        raise e.err("NX and XX, GT or LT options at the same time are not compatible")
    if flags & EXPIRE_GT and flags & EXPIRE_LT:
        raise e.err("GT and LT options at the same time are not compatible")
    return flags


def expire_generic(c: Client, argv: Argv, basetime: int, seconds: bool) -> Reply:
    """Implements EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT (Redis's expireGenericCommand)."""
    key = argv[1]
    flags = _parse_expire_flags(argv)
    when = get_int(argv[2])
    name = argv[0].decode("utf-8", "replace").lower()
    if seconds:
        if when > LLONG_MAX // 1000 or when < -(-LLONG_MIN // 1000):
            raise e.err(e.INVALID_EXPIRE.format(name))
        when *= 1000
    if when > LLONG_MAX - basetime:
        raise e.err(e.INVALID_EXPIRE.format(name))
    when += basetime
    db = c.db
    if db.lookup_write(key) is None:
        return 0
    if flags:
        current = db.table.get_expire(key)
        if flags & EXPIRE_NX and current != NO_EXPIRE:
            return 0
        if flags & EXPIRE_XX and current == NO_EXPIRE:
            return 0
        if flags & EXPIRE_GT and (when <= current or current == NO_EXPIRE):
            return 0
        if flags & EXPIRE_LT and current != NO_EXPIRE and when >= current:
            return 0
    if when <= mstime(c) and not c.server.loading:  # checkAlreadyExpired
        db.table.delete(key)
        db.modified(key)
        c.prop = [[b"DEL", key]]
        return 1
    db.table.set_expire(key, when)
    db.modified(key)
    # Logged as PEXPIREAT with the absolute time (options kept), whatever was asked.
    c.prop = [[b"PEXPIREAT", key, b"%d" % when, *argv[3:]]]
    return 1


def mstime(c: Client) -> int:
    """The time relative TTLs count from (Redis's mstime()): the command's time, but
    the live clock inside a script.  Redis 7.0 keeps key lookups at the script's
    start time while TTL arithmetic reads the clock (a script that runs 1.5 s and
    ends with SET k v PX 1000 leaves k alive for 1 s); 7.2 froze both."""
    return c.server.clock() if c.in_script else c.server.now  # type: ignore[no-any-return]


@command("EXPIRE", -3, WRITE | FAST, keys=(1, 1, 1))
def expire_command(c: Client, argv: Argv) -> Reply:
    """EXPIRE key seconds [NX|XX|GT|LT]"""
    return expire_generic(c, argv, mstime(c), True)


@command("PEXPIRE", -3, WRITE | FAST, keys=(1, 1, 1))
def pexpire_command(c: Client, argv: Argv) -> Reply:
    """PEXPIRE key milliseconds [NX|XX|GT|LT]"""
    return expire_generic(c, argv, mstime(c), False)


@command("EXPIREAT", -3, WRITE | FAST, keys=(1, 1, 1))
def expireat_command(c: Client, argv: Argv) -> Reply:
    """EXPIREAT key unix-time-seconds [NX|XX|GT|LT]"""
    return expire_generic(c, argv, 0, True)


@command("PEXPIREAT", -3, WRITE | FAST, keys=(1, 1, 1))
def pexpireat_command(c: Client, argv: Argv) -> Reply:
    """PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]"""
    return expire_generic(c, argv, 0, False)


def ttl_generic(c: Client, key: bytes, in_ms: bool, absolute: bool) -> int:
    """Implements TTL, PTTL, EXPIRETIME and PEXPIRETIME."""
    if c.db.peek(key) is None:
        return -2
    when = c.db.table.get_expire(key)
    if when == NO_EXPIRE:
        return -1
    ttl = when if absolute else when - mstime(c)
    ttl = max(ttl, 0)
    return ttl if in_ms else (ttl + 500) // 1000


@command("TTL", 2, READONLY | FAST, keys=(1, 1, 1))
def ttl_command(c: Client, argv: Argv) -> Reply:
    """TTL key"""
    return ttl_generic(c, argv[1], False, False)


@command("PTTL", 2, READONLY | FAST, keys=(1, 1, 1))
def pttl_command(c: Client, argv: Argv) -> Reply:
    """PTTL key"""
    return ttl_generic(c, argv[1], True, False)


@command("EXPIRETIME", 2, READONLY | FAST, keys=(1, 1, 1))
def expiretime_command(c: Client, argv: Argv) -> Reply:
    """EXPIRETIME key"""
    return ttl_generic(c, argv[1], False, True)


@command("PEXPIRETIME", 2, READONLY | FAST, keys=(1, 1, 1))
def pexpiretime_command(c: Client, argv: Argv) -> Reply:
    """PEXPIRETIME key"""
    return ttl_generic(c, argv[1], True, True)


@command("PERSIST", 2, WRITE | FAST, keys=(1, 1, 1))
def persist_command(c: Client, argv: Argv) -> Reply:
    """PERSIST key"""
    key = argv[1]
    if c.db.lookup_write(key) is None or c.db.table.get_expire(key) == NO_EXPIRE:
        return 0
    c.db.table.set_expire(key, NO_EXPIRE)
    c.db.modified(key)
    return 1
