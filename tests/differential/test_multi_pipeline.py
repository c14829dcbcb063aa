"""Pipelines through redis-py against a real redis-server and through kvengine's own
Pipeline: the same calls, the same results, errors (class and redis-py's annotated
text) and resulting data.  kvengine runs GET/SET and execute_command by shortcuts
(see kvengine.pipeline); these hold them to what redis-py + Redis do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from kvengine import Engine


def outcome(pipe: Any, raise_on_error: bool) -> Any:
    try:
        results = pipe.execute(raise_on_error=raise_on_error)
    except redis.RedisError as exc:
        return ("raised", type(exc).__name__, str(exc))
    return [("error", type(r).__name__, str(r)) if isinstance(r, Exception) else r for r in results]


@pytest.fixture
def pair(redis_port: int) -> Any:
    """(redis-py client factory, kvengine client factory), both empty."""
    real = redis.Redis(port=redis_port)
    real.flushall()
    kv = Engine(active_expire=False)

    def make_real(**kw: Any) -> Any:
        return redis.Redis(port=redis_port, **kw)

    def make_kv(**kw: Any) -> Any:
        return kv.client(**kw)

    yield make_real, make_kv
    real.config_set("maxmemory", 0)
    real.flushall()
    kv.close()


SCENARIOS: dict[str, Callable[[Any], None]] = {
    "sets-gets": lambda p: p.set("a", 1).get("a").set("b", b"x" * 40).get("b").get("nope"),
    "wrongtype-get": lambda p: p.rpush("l", "x").get("l").set("a", 2).get("a"),
    "wrongtype-set-over-list": lambda p: p.rpush("l", "x").set("l", "s").get("l").type("l"),
    "runtime-errors": lambda p: p.set("s", "x").incr("s").execute_command("LPUSH", "s", "y").get("s"),
    "execute-command-callbacks": lambda p: p.execute_command("SET", "a", "1")
    .execute_command("GET", "a").execute_command("HSET", "h", "f", "v").execute_command("HGETALL", "h")
    .execute_command("PING").execute_command("EXISTS", "a", "h").execute_command("TTL", "a"),
    "long-argument-annotation": lambda p: p.rpush("l", "x").get("l" * 1).execute_command(
        "INCRBY", "l", "1" * 120),
    # a command that fails to queue (unknown, wrong arity, unknown subcommand): EXEC
    # aborts and redis-py raises the first queueing error, annotated, not EXECABORT
    "queue-error-unknown-command": lambda p: p.set("a", 1).execute_command("NOSUCH", "x", 2).get("a"),
    "queue-error-arity": lambda p: p.set("a", 1).get("a").execute_command("GET").set("b", 2),
    "queue-error-subcommand": lambda p: p.execute_command("OBJECT", "NOSUCH", "a").set("a", 1),
    "queue-errors-first-raised": lambda p: p.set("a", 1).execute_command("SET", "a")
    .execute_command("NOSUCH").execute_command("GET"),
    "queue-error-after-runtime-error": lambda p: p.set("s", "x").incr("s")
    .execute_command("LPUSH", "s").get("s"),
    "annotation-collapses-whitespace": lambda p: p.set("s", "x")
    .execute_command("LPUSH", "s", "a  b\n c"),
    "queue-error-long-argument": lambda p: p.execute_command("NOSUCH", "a  b", "x" * 150).set("a", 1),
}


@pytest.mark.parametrize("transaction", [True, False], ids=["multi", "no-multi"])
@pytest.mark.parametrize("raise_on_error", [True, False], ids=["raise", "in-place"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_pipeline_like_redis_py(pair: Any, name: str, transaction: bool, raise_on_error: bool) -> None:
    got = []
    for make in pair:
        client = make()
        pipe = client.pipeline(transaction=transaction)
        SCENARIOS[name](pipe)
        got.append((outcome(pipe, raise_on_error), client.keys("*").__len__(), client.get("a")))
    assert got[1] == got[0]


@pytest.mark.parametrize("transaction", [True, False], ids=["multi", "no-multi"])
def test_pipeline_on_db_3_with_decode_responses(pair: Any, transaction: bool) -> None:
    got = []
    for make in pair:
        client = make(db=3, decode_responses=True)
        client.set("pre", "é")
        pipe = client.pipeline(transaction=transaction)
        pipe.get("pre").set("a", "ü").get("a").execute_command("GET", "a").hset("h", "f", "v").hgetall("h")
        pipe.execute_command("SELECT", 0).set("a", "zero").get("a")
        got.append((outcome(pipe, True), make(db=3).mget("a", "pre"), make(db=0).get("a")))
    assert got[1] == got[0]


def test_watch_abort_like_redis_py(pair: Any) -> None:
    got = []
    for make in pair:
        client, other = make(), make()
        client.set("k", "1")
        pipe = client.pipeline()
        pipe.watch("k")
        before = pipe.get("k")
        other.set("k", "2")
        pipe.multi()
        pipe.set("k", "3").set("j", "3")
        got.append((before, outcome(pipe, True), client.mget("k", "j")))
        pipe.set("j", "4")  # the failed EXEC unwatched: this one runs
        got.append(outcome(pipe, True))
    assert got[2:] == got[:2]


@pytest.mark.parametrize("transaction", [True, False], ids=["multi", "no-multi"])
def test_oom_in_a_pipeline_like_redis_py(pair: Any, transaction: bool) -> None:
    """Out of memory, Redis rejects every command queued in MULTI (so EXEC aborts and
    redis-py raises the first error) but only denyoom ones outside a transaction."""
    got = []
    for make in pair:
        client = make()
        client.config_set("maxmemory-policy", "noeviction")
        client.set("x", "1")
        client.config_set("maxmemory", 1)
        pipe = client.pipeline(transaction=transaction)
        pipe.get("x").set("a", 1).incr("n").get("x")
        got.append((outcome(pipe, False), client.mget("a", "n")))
        client.config_set("maxmemory", 0)
    assert got[1] == got[0]


def test_raw_multi_rejects_any_queued_command_when_out_of_memory(pair: Any) -> None:
    got = []
    for make in pair:
        client = make()
        client.config_set("maxmemory-policy", "noeviction")
        client.set("x", "1")
        client.config_set("maxmemory", 1)
        seen = []
        for args in (("MULTI",), ("GET", "x"), ("PING",), ("EXEC",), ("GET", "x")):
            try:
                seen.append(client.execute_command(*args))
            except redis.ResponseError as exc:
                seen.append((type(exc).__name__, str(exc)))
        client.config_set("maxmemory", 0)
        got.append(seen)
    assert got[1] == got[0]
