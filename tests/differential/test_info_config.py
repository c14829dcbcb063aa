"""INFO, CONFIG and MEMORY against a real redis-server: replies, errors and shapes."""

from __future__ import annotations

import pytest
import redis

from kvengine import Engine

CONFIG_CASES = {
    "get-one": [("CONFIG", "GET", "maxmemory-policy"), ("CONFIG", "GET", "maxmemory-samples"),
                ("CONFIG", "GET", "lfu-log-factor"), ("CONFIG", "GET", "lfu-decay-time"),
                ("CONFIG", "GET", "nosuch"), ("CONFIG", "GET", "maxmemory-eviction-tenacity")],
    "set-valid": [("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), ("CONFIG", "GET", "maxmemory-policy"),
                  ("CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LFU"), ("CONFIG", "GET", "maxmemory-policy"),
                  ("CONFIG", "SET", "maxmemory", "1gb"), ("CONFIG", "GET", "maxmemory"),
                  ("CONFIG", "SET", "maxmemory", "100mb"), ("CONFIG", "GET", "maxmemory"),
                  ("CONFIG", "SET", "maxmemory", "5k"), ("CONFIG", "GET", "maxmemory"),
                  ("CONFIG", "SET", "maxmemory", "0"),
                  ("CONFIG", "SET", "maxmemory-samples", "10", "lfu-log-factor", "20"),
                  ("CONFIG", "GET", "maxmemory-samples"), ("CONFIG", "GET", "lfu-log-factor"),
                  ("CONFIG", "SET", "maxmemory-policy", "noeviction", "maxmemory-samples", "5",
                   "lfu-log-factor", "10")],
    "set-errors": [("CONFIG", "SET", "maxmemory", "abc"), ("CONFIG", "SET", "maxmemory-policy", "foo"),
                   ("CONFIG", "SET", "nosuch", "1"), ("CONFIG", "SET", "hz", "abc"),
                   ("CONFIG", "SET", "maxmemory-samples", "0"), ("CONFIG", "SET", "lfu-log-factor", "-1"),
                   ("CONFIG", "SET", "maxmemory-eviction-tenacity", "101"),
                   ("CONFIG", "SET", "hz", "10", "hz", "11"), ("CONFIG", "SET", "hz"),
                   ("CONFIG", "SET", "databases", "3"), ("CONFIG", "GET"),
                   ("CONFIG", "SET", "maxmemory-samples", "7", "maxmemory-policy", "bad"),
                   ("CONFIG", "GET", "maxmemory-samples"), ("CONFIG", "REWRITE"), ("CONFIG", "NOSUCH"),
                   ("CONFIG", "RESETSTAT")],
    "memory-errors": [("SET", "k", "v"), ("MEMORY", "USAGE", "k", "SAMPLES"), ("MEMORY", "USAGE", "k", "SAMPLES", "x"),
                      ("MEMORY", "USAGE", "k", "bar", "1"), ("MEMORY", "USAGE", "missing"),
                      ("MEMORY", "USAGE"), ("MEMORY", "NOSUCH"), ("MEMORY", "PURGE")],
    "object-lru-lfu": [("SET", "k", "v"), ("OBJECT", "IDLETIME", "k"), ("OBJECT", "FREQ", "k"),
                       ("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), ("OBJECT", "IDLETIME", "k"),
                       ("OBJECT", "FREQ", "missing"), ("CONFIG", "SET", "maxmemory-policy", "noeviction")],
}


@pytest.mark.parametrize("name", sorted(CONFIG_CASES))
def test_config_and_memory(both, name: str) -> None:
    try:
        for call in CONFIG_CASES[name]:
            both.eq(*call)
    finally:
        both.real.execute_command("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction")


def test_lfu_freq_of_a_new_key_matches(both) -> None:
    try:
        both.eq("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        both.eq("SET", "k", "v")
        both.eq("OBJECT", "FREQ", "k")
    finally:
        both.real.execute_command("CONFIG", "SET", "maxmemory-policy", "noeviction")


def test_oom_reply_matches(both) -> None:
    try:
        both.eq("SET", "k", "v" * 100)
        # 1 byte of maxmemory is always exceeded on both sides.
        both.eq("CONFIG", "SET", "maxmemory", "1")
        both.eq("SET", "other", "v")
        both.eq("GET", "k")
        both.eq("MULTI")
        both.eq("SET", "other", "v")
        both.eq("EXEC")
        both.eq("DEL", "k")
    finally:
        both.real.execute_command("CONFIG", "SET", "maxmemory", "0")


def test_info_sections_have_redis_shape(redis_port: int) -> None:
    """Every field kvengine prints exists in a real Redis 7's INFO with the same parsed
    type, and the sections the tooling reads are all there."""
    real = redis.Redis(port=redis_port)
    real.flushall()
    real.set("a", "1", ex=100)
    real.set("b", "2")
    kv = Engine(active_expire=False)
    kv.set("a", "1", ex=100)
    kv.set("b", "2")
    for section in ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace"):
        mine, theirs = kv.info(section), real.info(section)
        missing = [k for k in mine if k not in theirs and k != "kvengine_version"]
        assert not missing, (section, missing)
        for key, value in mine.items():
            if key in theirs and key not in ("os", "executable", "run_id", "master_replid"):
                assert type(value) is type(theirs[key]) or {type(value), type(theirs[key])} <= {int, float}, (
                    section, key, value, theirs[key])
    assert kv.info("keyspace")["db0"]["keys"] == real.info("keyspace")["db0"]["keys"] == 2
    assert kv.info("keyspace")["db0"]["expires"] == 1
    for key in ("used_memory", "used_memory_peak", "maxmemory_policy", "evicted_keys", "expired_keys",
                "keyspace_hits", "keyspace_misses", "redis_version", "uptime_in_seconds", "role"):
        assert key in kv.info("everything")
    assert set(kv.info()) >= {"redis_version", "used_memory", "db0"}


def test_memory_stats_and_config_get_shapes(redis_port: int) -> None:
    real = redis.Redis(port=redis_port)
    real.flushall()
    real.set("a", "1")
    kv = Engine(active_expire=False)
    kv.set("a", "1")
    mine, theirs = kv.memory_stats(), real.memory_stats()
    assert [k for k in mine if k not in theirs] == []
    assert mine["keys.count"] == theirs["keys.count"] == 1
    assert isinstance(mine["db.0"], dict) and set(mine["db.0"]) <= set(theirs["db.0"])
    assert set(kv.config_get("maxmemory*")) <= set(real.config_get("maxmemory*"))
    assert kv.config_get("maxmemory-policy") == real.config_get("maxmemory-policy")
    assert isinstance(kv.memory_usage("a"), int) and kv.memory_usage("missing") is None
    assert isinstance(kv.memory_doctor(), str)
