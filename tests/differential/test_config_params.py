"""Every parameter of Redis 7.0.15 against a real server: CONFIG GET, CONFIG SET of a
valid and of an invalid value, aliases, patterns, immutable and protected parameters."""

from __future__ import annotations

import pytest

from kvengine.config import PARAMS
from kvengine.config_table import IMMUTABLE, PROTECTED, SPECS, Spec

# Parameters whose value differs on purpose: the test server was started with
# --port/--bind/--save/--dir/--protected-mode, and `dir` is the process's cwd here.
DIFFERENT_BY_DESIGN = {"port", "bind", "save", "dir", "protected-mode"}
# CONFIG SET of these would break the shared test server (listen socket, AUTH, AOF
# rewrite in its directory): their validation is compared with invalid values only.
NO_VALID_SET = {"port", "bind", "requirepass", "appendonly", "watchdog-period", "maxclients"}

NAMES = sorted(n for n in PARAMS if PARAMS[n].spec is not None)


def _as_dict(reply: object) -> object:
    if isinstance(reply, list):
        return dict(zip(reply[::2], reply[1::2]))
    return reply


def _valid(spec: Spec, current: str) -> str:
    """A value Redis should accept that differs from the current one."""
    kind = spec.type
    if kind == "bool":
        return "no" if current == "yes" else "yes"
    if kind in ("int", "octal"):
        value = int(current, 8 if kind == "octal" else 10) + 1
        value = value if spec.lo <= value <= spec.hi else spec.lo
        return f"{value:o}" if kind == "octal" else str(value)
    if kind in ("memory", "mempercent"):
        return "1gb" if spec.lo <= 2**30 <= spec.hi else str(spec.lo)
    if kind in ("enum", "multienum"):
        return next(c for c in spec.choices if c != current)
    special = {"save": "100 1 200 2", "client-output-buffer-limit": "normal 1mb 2kb 3",
               "oom-score-adj-values": "1 2 3", "notify-keyspace-events": "KEA",
               "latency-tracking-info-percentiles": "50 99.99", "dir": "/tmp",
               "replicaof": "no one", "proc-title-template": "{title} {port}",
               "cluster-announce-hostname": "host-1.example"}
    return special.get(spec.name, "some-value")


def _invalid(spec: Spec) -> list[str]:
    kind = spec.type
    if kind == "bool":
        return ["maybe", ""]
    if kind == "int":
        out = ["abc", "+5", " 5", "05", "1k"]
        if spec.hi < 2**63 - 1:
            out.append(str(spec.hi + 1))
        if spec.lo > -(2**63):
            out.append(str(spec.lo - 1))
        return out
    if kind == "memory":
        out = ["1x", "-1", "1.5gb", " 10", "0x10"]
        if spec.lo > 0:
            out.append(str(spec.lo - 1))
        return out
    if kind == "mempercent":
        return ["-1", "101%", "abc", "%"]
    if kind in ("enum", "multienum"):
        return ["nosuch", ""] + (["save nosave", "now nosuch"] if kind == "multienum" else [])
    special = {"save": ["abc", "100 1 200", "0 1", "100 -1"],
               "client-output-buffer-limit": ["normal 1 2", "foo 1 2 3", "normal x 1 1", "normal 1 1 -1"],
               "oom-score-adj-values": ["0 200", "0 200 3000", "a b c"],
               "notify-keyspace-events": ["Z", "KEA!"],
               "latency-tracking-info-percentiles": ["200", "abc", "50 -1"],
               "dir": ["/nonexistent/dir"],
               "proc-title-template": ["{foo}", "{title", ""],
               "cluster-announce-hostname": ["a_b"],
               "dbfilename": ["a/b"]}
    return special.get(spec.name, [])


@pytest.mark.parametrize("name", NAMES)
def test_config_get_each_parameter(both, name: str) -> None:
    real, mine = both.raw("CONFIG", "GET", name)
    if name in DIFFERENT_BY_DESIGN:
        assert list(_as_dict(mine)) == list(_as_dict(real)) == [name.encode()]
    else:
        assert _as_dict(mine) == _as_dict(real), name


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_config_set_each_parameter(both, spec: Spec) -> None:
    names = [spec.name] + ([spec.alias] if spec.alias else [])
    original = both.real.execute_command("CONFIG", "GET", spec.name)[1].decode()
    mine_original = both.kv._call([b"CONFIG", b"GET", spec.name.encode()])[1].decode()
    try:
        for value in _invalid(spec):
            for name in names:
                both.eq("CONFIG", "SET", name, value)
        if spec.flags & (IMMUTABLE | PROTECTED):
            both.eq("CONFIG", "SET", spec.name, original)
        elif spec.name not in NO_VALID_SET:
            value = _valid(spec, original)
            both.eq("CONFIG", "SET", names[-1], value)
            for name in names:
                if spec.name not in DIFFERENT_BY_DESIGN:
                    both.eq("CONFIG", "GET", name)
    finally:
        if not spec.flags & (IMMUTABLE | PROTECTED) and spec.name not in NO_VALID_SET:
            both.real.execute_command("CONFIG", "SET", spec.name, original)
            both.kv._call([b"CONFIG", b"SET", spec.name.encode(), mine_original.encode()])


def test_config_get_star_lists_every_name_and_alias(both) -> None:
    real, mine = (_as_dict(r) for r in both.raw("CONFIG", "GET", "*"))
    assert sorted(mine) == sorted(real)
    assert len(real) == 192
    for name in real:
        if name.decode() not in DIFFERENT_BY_DESIGN:
            assert mine[name] == real[name], name


CASES = [
    ("CONFIG", "GET", "MAXMEMORY"),
    ("CONFIG", "GET", "Hash-Max-Ziplist-Entries"),
    ("CONFIG", "GET", "hash-max-ziplist-*"),
    ("CONFIG", "GET", "HASH-*"),
    ("CONFIG", "GET", "maxmemory", "maxmemory", "maxmem*"),
    ("CONFIG", "GET", "maxmemory-policy", "hz", "nosuch", "zset-*"),
    ("CONFIG", "GET", "rdb-key-save-delay"),
    ("CONFIG", "GET", "rdb-key-save*"),
    ("CONFIG", "GET", "slave-*"),
    ("CONFIG", "GET", "*max*entries*"),
    ("CONFIG", "SET", "HZ", "abc"),
    ("CONFIG", "SET", "hz", "11", "nosuch", "1"),
    ("CONFIG", "SET", "daemonize", "yes", "nosuch", "1"),
    ("CONFIG", "SET", "nosuch", "1", "daemonize", "yes"),
    ("CONFIG", "SET", "hz", "12", "maxmemory-policy", "bad"),
    ("CONFIG", "GET", "hz"),
    ("CONFIG", "SET", "hash-max-ziplist-entries", "100", "hash-max-listpack-entries", "200"),
    ("CONFIG", "SET", "oom-score-adj", "relative"),
    ("CONFIG", "GET", "oom-score-adj"),
    ("CONFIG", "SET", "oom-score-adj", "no"),
    ("CONFIG", "SET", "shutdown-on-sigint", "force now"),
    ("CONFIG", "GET", "shutdown-on-sigint"),
    ("CONFIG", "SET", "shutdown-on-sigint", "default"),
    ("CONFIG", "SET", "hz", "1000"),
    ("CONFIG", "GET", "hz"),
    ("CONFIG", "SET", "hz", "10"),
]


def test_config_patterns_aliases_and_errors(both) -> None:
    for call in CASES:
        real, mine = both.raw(*call)
        assert _as_dict(mine) == _as_dict(real), call


def test_encoding_thresholds_follow_config(both) -> None:
    """hash-max-listpack-entries is 512 in Redis 7.0 (a 130-field hash is a listpack),
    and the thresholds follow CONFIG SET."""
    try:
        both.eq("HSET", "h", *[x for i in range(130) for x in (f"f{i}", "v")])
        both.eq("OBJECT", "ENCODING", "h")
        both.eq("CONFIG", "SET", "hash-max-listpack-entries", "10", "zset-max-listpack-entries", "3",
                "set-max-intset-entries", "2")
        both.eq("HSET", "h2", *[x for i in range(11) for x in (f"f{i}", "v")])
        both.eq("OBJECT", "ENCODING", "h2")
        both.eq("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d")
        both.eq("OBJECT", "ENCODING", "z")
        both.eq("SADD", "s", 1, 2, 3)
        both.eq("OBJECT", "ENCODING", "s")
        both.eq("CONFIG", "SET", "hash-max-listpack-value", "4")
        both.eq("HSET", "h3", "f", "long-value")
        both.eq("OBJECT", "ENCODING", "h3")
    finally:
        reset = ["CONFIG", "SET", "hash-max-listpack-entries", "512", "zset-max-listpack-entries", "128",
                 "set-max-intset-entries", "512", "hash-max-listpack-value", "64"]
        both.real.execute_command(*reset)
        both.kv._call([a.encode() for a in reset])


def test_appendonly_yes_on_an_engine_without_a_path(both, tmp_path, monkeypatch) -> None:
    """Redis starts an AOF in `dir`; so does an in-memory engine (dir: the working directory)."""
    monkeypatch.chdir(tmp_path)
    try:
        both.eq("SET", "k", "v")
        both.eq("CONFIG", "SET", "appendonly", "yes")
        both.eq("CONFIG", "GET", "appendonly")
        both.eq("SET", "k2", "v2")
        assert (tmp_path / "appendonlydir").is_dir()
    finally:
        both.real.execute_command("CONFIG", "SET", "appendonly", "no")
        both.kv.execute_command("CONFIG", "SET", "appendonly", "no")
