"""Helpers shared by the persistence tests: a full, comparable dump of an engine."""

from __future__ import annotations

import os
from typing import Any

import pytest

from kvengine import Engine
from kvengine.persistence import FS


def dump(kv: Engine) -> dict[tuple[int, bytes], tuple[str, Any, int]]:
    """(db, key) -> (type, value, absolute expiry ms or -1) for every live key of every
    db (a key past its expiry but not yet deleted counts as gone, as for any reader)."""
    out: dict[tuple[int, bytes], tuple[str, Any, int]] = {}
    srv = kv.server
    with srv.lock:
        now = srv.clock()
        for db in srv.dbs:
            for key, value, expire in list(db.table.items()):
                if 0 <= expire <= now:
                    continue
                if type(value) is bytes:
                    out[(db.id, key)] = ("string", value, expire)
                    continue
                kind = value.redis_type
                state = value.dump_state()
                if kind == "hash":
                    flat = state[1]
                    norm: Any = dict(zip(flat[::2], flat[1::2]))
                elif kind == "set":
                    norm = set(state[1])
                elif kind == "zset":
                    flat = state[1]
                    norm = dict(zip(flat[::2], flat[1::2]))
                else:
                    norm = state
                out[(db.id, key)] = (kind, norm, expire)
    return out


def fill(kv: Engine) -> None:
    """Keys of every type, with and without TTLs, in two databases."""
    kv.set("s", "plain")
    kv.set("s:ttl", "v", px=500_000)
    kv.set("s:bin", b"\x00\r\n*3\r\n$\xff")
    kv.set("n", 41)
    kv.incr("n")
    kv.incrbyfloat("f", 1.5)
    kv.hset("h", mapping={"a": "1", "b": "2", "c": "x" * 100})
    kv.hset("h:big", mapping={f"f{i}": str(i) for i in range(200)})
    kv.rpush("l", *range(10))
    kv.lpush("l", "head")
    kv.rpush("l:big", *[f"item{i}" for i in range(300)])
    kv.sadd("set:int", 1, 2, 3)
    kv.sadd("set", "a", "b", "c")
    kv.spop("set")
    kv.zadd("z", {"a": 1.5, "b": -2, "c": float("inf"), "d": 1e-300, "e": 0.1})
    kv.pexpire("h", 300_000)
    kv.expire("z", 100)
    other = kv.client(db=3)
    other.set("db3", "here")
    other.rpush("db3:list", "x")
    kv.setex("gone", 10, "soon")
    kv.delete("gone")


class Failing:
    """Make FS.<name> raise OSError(`err`) while active (a fork child inherits it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str, err: int) -> None:
        self.mp, self.name, self.err = monkeypatch, name, err
        self.orig = getattr(FS, name)

    def __enter__(self) -> Failing:
        def fail(*args: object) -> None:
            raise OSError(self.err, os.strerror(self.err))

        self.mp.setattr(FS, self.name, fail)
        return self

    def __exit__(self, *exc: object) -> None:
        self.mp.setattr(FS, self.name, self.orig)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def child_env() -> dict[str, str]:
    """Environment for a Python subprocess that must import this tree's kvengine
    (not an installed copy)."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": ROOT + (os.pathsep + path if path else "")}
