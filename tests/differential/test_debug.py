"""DEBUG against a real redis-server started with --enable-debug-command yes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from kvengine import Engine
from tests.differential.conftest import Both
from tests.redis_server import redis_server


@pytest.fixture(scope="module")
def debug_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with redis_server(tmp_path_factory.mktemp("redis-debug"), ("--enable-debug-command", "yes")) as port:
        yield port


@pytest.fixture
def dboth(debug_port: int) -> Iterator[Both]:
    real = redis.Redis(port=debug_port, protocol=2)
    real.response_callbacks.clear()
    real.flushall()
    engine = Engine(active_expire=False, enable_debug_command="yes")
    yield Both(real, engine)
    engine.close()
    real.close()


def _fill(both: Both) -> None:
    both.eq("SET", "k", "v")
    both.eq("SET", "n", "123")
    both.eq("EXPIRE", "n", "1000")
    both.eq("RPUSH", "l", "a", "b", "c", "1", "-700")
    both.eq("SADD", "s", "x", "y")
    both.eq("SADD", "si", "1", "2", "3")
    both.eq("ZADD", "z", "1", "a", "2.5", "b", "-3", "c", "inf", "d")
    both.eq("HSET", "h", "f", "v", "g", "w")
    both.eq("HSET", "hbig", *[x for i in range(600) for x in (f"f{i}", f"v{i}")])
    both.eq("ZADD", "zbig", *[x for i in range(200) for x in (str(i / 3), f"m{i}")])
    both.eq("SADD", "sbig", *[f"m{i}" for i in range(600)])
    both.eq("SELECT", "3")
    both.eq("SET", "k", "in db 3")
    both.eq("SELECT", "0")


def test_debug_refused_unless_enabled(both: Both) -> None:
    both.error("enable-debug-command", "DEBUG", "DIGEST")
    both.error("enable-debug-command", "DEBUG", "HELP")
    both.eq("DEBUG")  # the arity check comes first
    both.eq("MULTI")
    both.error("enable-debug-command", "DEBUG", "DIGEST")  # refused when queued
    both.eq("SET", "k", "v")
    both.error("Transaction discarded", "EXEC")
    both.eq("GET", "k")


def test_digest_matches_redis_and_survives_reload(dboth: Both) -> None:
    empty = dboth.eq("DEBUG", "DIGEST")
    assert empty == b"0" * 40
    _fill(dboth)
    digest = dboth.eq("DEBUG", "DIGEST")
    assert re.fullmatch(rb"[0-9a-f]{40}", digest) and digest != empty
    dboth.eq("DEBUG", "DIGEST-VALUE", "k", "l", "s", "si", "z", "h", "n", "hbig", "zbig", "sbig", "missing")
    dboth.eq("DEBUG", "RELOAD")
    assert dboth.eq("DEBUG", "DIGEST") == digest
    dboth.eq("DEBUG", "RELOAD", "NOSAVE")
    dboth.eq("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE")
    assert dboth.eq("DEBUG", "DIGEST") == digest
    dboth.eq("DEBUG", "RELOAD", "FOO")
    # The order of a list matters; that of a set does not.
    dboth.eq("RPUSH", "l", "x")
    dboth.eq("RPOP", "l")
    assert dboth.eq("DEBUG", "DIGEST") == digest
    dboth.eq("LPUSH", "l", "first")
    assert dboth.eq("DEBUG", "DIGEST") != digest


def test_digest_unchanged_by_dump_restore(dboth: Both) -> None:
    _fill(dboth)
    digest = dboth.kv.execute_command("DEBUG", "DIGEST")
    for key in dboth.kv.keys():
        ttl = dboth.kv.pttl(key)
        payload = dboth.kv.dump(key)
        dboth.kv.delete(key)
        dboth.kv.restore(key, max(ttl, 0), payload)
    assert dboth.kv.execute_command("DEBUG", "DIGEST") == digest


def test_populate(dboth: Both) -> None:
    dboth.eq("SET", "key:2", "mine")
    for call in [("DEBUG", "POPULATE", "5"), ("DEBUG", "POPULATE", "3", "pre", "2"),
                 ("DEBUG", "POPULATE", "3", "big", "12"), ("DEBUG", "POPULATE", "-1"),
                 ("DEBUG", "POPULATE", "x"), ("DEBUG", "POPULATE", "1", "p", "-1"),
                 ("DEBUG", "POPULATE", "1", "p", "1", "extra"), ("DEBUG", "POPULATE", "0")]:
        dboth.eq(*call)
    for key in ("key:0", "key:2", "key:4", "pre:1", "big:2", "key:5"):
        dboth.eq("GET", key)
    dboth.eq("DBSIZE")
    dboth.eq("DEBUG", "DIGEST")


CASES = [
    ("DEBUG", "HELP"), ("DEBUG", "NOSUCH"), ("DEBUG", "JMAP"), ("DEBUG", "STRINGMATCH-LEN"),
    ("DEBUG", "OBJECT"), ("DEBUG", "OBJECT", "missing"), ("DEBUG", "SLEEP", "0"),
    ("DEBUG", "SET-ACTIVE-EXPIRE", "1"), ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1k"),
    ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5gb"), ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "x"),
    ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"),
    ("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0"), ("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"),
    ("DEBUG", "PAUSE-CRON", "0"), ("DEBUG", "REPLYBUFFER", "RESIZING", "1"),
    ("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never"), ("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "x"),
    ("DEBUG", "REPLYBUFFER", "FOO", "1"), ("DEBUG", "CHANGE-REPL-ID"), ("DEBUG", "LOG", "hello"),
    ("DEBUG", "ERROR", "foo bar"), ("DEBUG", "ERROR", "WRONGTYPE x"),
    ("DEBUG", "CLIENT-EVICTION"), ("DEBUG", "HTSTATS", "99"), ("DEBUG", "HTSTATS", "x"),
    ("SET", "k", "v"), ("HSET", "h", "f", "v"), ("RPUSH", "l", "a"),
    ("DEBUG", "LISTPACK", "k"), ("DEBUG", "LISTPACK", "h"), ("DEBUG", "LISTPACK", "missing"),
    ("DEBUG", "QUICKLIST", "l"), ("DEBUG", "QUICKLIST", "h"), ("DEBUG", "HTSTATS-KEY", "h"),
    ("DEBUG", "HTSTATS-KEY", "missing"), ("DEBUG", "LEAK", "x"),
] + [("DEBUG", "PROTOCOL", t) for t in ("string", "integer", "double", "bignum", "null", "array", "set",
                                         "map", "attrib", "push", "verbatim", "true", "false", "foo")]


def test_replies_match(dboth: Both) -> None:
    # Not sent to Redis: LOADAOF without an AOF exits the server, STRINGMATCH-TEST's fuzzer
    # runs for a minute (see tests/test_debug.py).
    for call in CASES:
        dboth.eq(*call)


def _object_fields(line: Any) -> dict[str, str]:
    text = line.decode() if isinstance(line, bytes) else line
    assert re.fullmatch(r"Value at:0x[0-9a-f]+ refcount:\d+ encoding:\w+ serializedlength:\d+ lru:\d+ "
                        r"lru_seconds_idle:\d+( ql_nodes:\d+ ql_avg_node:[\d.]+ ql_listpack_max:-?\d+ "
                        r"ql_compressed:\d ql_uncompressed_size:\d+)?", text), text
    return dict(part.split(":", 1) for part in text.split(" ")[1:] if ":" in part)


def test_object_format(dboth: Both) -> None:
    """Redis's fields; encoding, refcount and the quicklist fields agree, as does
    serializedlength where RDB's LZF compression does not apply (up to 20 bytes)."""
    calls = [("SET", "k", "v"), ("SET", "i", "12345"), ("SET", "big", "x" * 100), ("RPUSH", "l", "a", "b", "c"),
             ("RPUSH", "l2", *[f"element-{i}" for i in range(2000)]), ("HSET", "h", "f", "v"),
             ("SADD", "s", "1", "2"), ("ZADD", "z", "1", "m")]
    for call in calls:
        dboth.eq(*call)
    for key, exact in (("k", True), ("i", True), ("big", False), ("l", True), ("l2", False), ("h", False),
                       ("s", False), ("z", False)):
        real, mine = (_object_fields(r) for r in dboth.raw("DEBUG", "OBJECT", key))
        compared = ["refcount", "encoding"] + [f for f in real if f.startswith("ql_")]
        if exact:
            compared.append("serializedlength")
        assert {f: mine[f] for f in compared} == {f: real[f] for f in compared}, key
