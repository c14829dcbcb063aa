"""MULTI/EXEC/DISCARD/WATCH/UNWATCH against a real redis-server (one connection each)."""

from __future__ import annotations

import pytest
import redis

from kvengine import Engine

CASES = {
    "exec": [("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("LPUSH", "a", "x"), ("GET", "a"), ("EXEC",),
             ("GET", "a")],
    "empty": [("MULTI",), ("EXEC",)],
    "nested": [("MULTI",), ("MULTI",), ("SET", "a", "1"), ("EXEC",), ("GET", "a")],
    "without": [("EXEC",), ("DISCARD",)],
    "discard": [("MULTI",), ("SET", "a", "1"), ("DISCARD",), ("GET", "a"), ("EXEC",)],
    "queue-error-arity": [("MULTI",), ("SET", "a", "1"), ("SET", "a"), ("EXEC",), ("GET", "a"), ("EXEC",)],
    "queue-error-unknown": [("MULTI",), ("SET", "a", "1"), ("NOSUCH", "x"), ("EXEC",), ("GET", "a")],
    "queue-error-subcommand": [("MULTI",), ("OBJECT", "NOSUCH", "a"), ("EXEC",)],
    "runtime-errors": [("SET", "s", "x"), ("MULTI",), ("INCR", "s"), ("LPUSH", "s", "1"), ("SET", "t", "2"),
                       ("EXEC",), ("GET", "t")],
    "watch-in-multi": [("MULTI",), ("WATCH", "a"), ("SET", "a", "1"), ("EXEC",)],
    "watch-untouched": [("WATCH", "a"), ("MULTI",), ("SET", "a", "1"), ("EXEC",), ("GET", "a")],
    "watch-self-touch": [("WATCH", "a"), ("SET", "a", "0"), ("MULTI",), ("SET", "a", "1"), ("EXEC",),
                         ("GET", "a")],
    "unwatch": [("WATCH", "a"), ("SET", "a", "0"), ("UNWATCH",), ("MULTI",), ("SET", "a", "1"), ("EXEC",),
                ("GET", "a")],
    "unwatch-queued": [("MULTI",), ("UNWATCH",), ("EXEC",)],
    "watch-arity": [("WATCH",), ("UNWATCH", "x"), ("MULTI", "x"), ("EXEC", "x")],
    "select-inside": [("MULTI",), ("SELECT", "1"), ("SET", "a", "db1"), ("SELECT", "0"), ("EXEC",),
                      ("GET", "a"), ("SELECT", "1"), ("GET", "a"), ("SELECT", "0")],
    "blocking-inside": [("MULTI",), ("BLPOP", "nolist", "0"), ("BRPOPLPUSH", "nolist", "b", "0"),
                        ("BLMOVE", "nolist", "b", "LEFT", "LEFT", "0"), ("EXEC",)],
    "flush-inside": [("SET", "a", "1"), ("MULTI",), ("FLUSHALL",), ("DBSIZE",), ("EXEC",)],
    "watch-flush": [("SET", "a", "1"), ("WATCH", "a", "missing"), ("FLUSHDB",), ("MULTI",), ("PING",),
                    ("EXEC",)],
    "watch-flush-missing": [("WATCH", "missing"), ("FLUSHDB",), ("MULTI",), ("PING",), ("EXEC",)],
    "watch-expire": [("SET", "a", "1"), ("WATCH", "a"), ("EXPIRE", "a", "100"), ("MULTI",), ("PING",),
                     ("EXEC",)],
    "watch-persist-noop": [("SET", "a", "1"), ("WATCH", "a"), ("PERSIST", "a"), ("MULTI",), ("PING",),
                           ("EXEC",)],
    "watch-rename": [("SET", "a", "1"), ("WATCH", "b"), ("RENAME", "a", "b"), ("MULTI",), ("PING",),
                     ("EXEC",)],
    "watch-del-missing": [("WATCH", "a"), ("DEL", "a"), ("MULTI",), ("PING",), ("EXEC",)],
    "watch-swapdb": [("SELECT", "1"), ("SET", "a", "1"), ("SELECT", "0"), ("WATCH", "a"),
                     ("SWAPDB", "0", "1"), ("MULTI",), ("PING",), ("EXEC",), ("SWAPDB", "0", "1")],
    "watch-read-only": [("SET", "a", "1"), ("WATCH", "a"), ("GET", "a"), ("MULTI",), ("GET", "a"),
                        ("EXEC",)],
    "watch-multi-keys": [("WATCH", "a", "b", "c"), ("SET", "c", "1"), ("MULTI",), ("PING",), ("EXEC",),
                         ("MULTI",), ("PING",), ("EXEC",)],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_transaction(both, name: str) -> None:
    for call in CASES[name]:
        both.eq(*call)


def test_watch_expired_key_aborts(both) -> None:
    """Redis 7.0: a key alive at WATCH that logically expires before EXEC aborts it."""
    import time

    both.eq("SET", "a", "1", "PX", "30")
    both.eq("WATCH", "a")
    time.sleep(0.08)  # a real server is on the wall clock; no ManualClock there
    both.eq("MULTI")
    both.eq("PING")
    both.eq("EXEC")


def test_watch_already_expired_key_does_not_abort(both) -> None:
    import time

    both.eq("SET", "a", "1", "PX", "10")
    time.sleep(0.05)
    both.eq("WATCH", "a")
    both.eq("MULTI")
    both.eq("PING")
    both.eq("EXEC")


def test_pipeline_errors_in_place_or_raised_like_redis_py(redis_port: int) -> None:
    real_redis = redis.Redis(port=redis_port)
    real_redis.flushall()
    kv = Engine(active_expire=False)
    for client in (real_redis, kv):
        client.set("s", "x")
    outcomes = []
    for client in (real_redis, kv):
        pipe = client.pipeline()
        pipe.set("t", 1).incr("s").get("t")
        results = pipe.execute(raise_on_error=False)
        outcomes.append([type(r).__name__ if isinstance(r, Exception) else r for r in results])
        pipe.set("t", 2).lpush("s", "y").get("t")
        with pytest.raises(redis.ResponseError) as info:
            pipe.execute()
        outcomes.append(str(info.value))
    assert outcomes[:2] == outcomes[2:]
