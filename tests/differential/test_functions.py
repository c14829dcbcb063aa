"""Redis functions against a real redis-server: FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/
STATS/KILL/HELP, FCALL and FCALL_RO, with every error text.

Function libraries survive FLUSHALL, so each test starts with FUNCTION FLUSH on both
sides.  FUNCTION LIST is compared with libraries sorted (Redis lists them in its
hash table's order).  FUNCTION DUMP payloads are kvengine's own format, like DUMP's,
so DUMP/RESTORE round trips are checked on each side separately.
"""

from __future__ import annotations

import re

import pytest

redis = pytest.importorskip("redis")


@pytest.fixture
def fboth(both):
    both.eq("FUNCTION", "FLUSH")
    return both


def lib(name: str, body: str) -> str:
    return f"#!lua name={name}\n{body}"


def sorted_listing(reply):
    """FUNCTION LIST with functions sorted inside each library (Redis's order is its
    hash table's)."""
    if not isinstance(reply, list):
        return reply
    out = []
    for entry in reply:
        entry = list(entry)
        entry[5] = sorted(entry[5], key=repr)
        out.append(entry)
    return out


ECHO = lib("mylib", "redis.register_function('myfunc', function(keys, args) return {keys[1], args[1]} end)")
READER = lib("lib2", "redis.register_function{function_name='ro', callback=function(keys, args) "
                     "return redis.call('get', keys[1]) end, flags={'no-writes'}, description='desc'}")
ERRORS_LIB = lib("lib7", "redis.register_function('err', function() error('boom') end) "
                         "redis.register_function('err2', function() return redis.call('nosuch') end) "
                         "redis.register_function('err3', function() return y end) "
                         "redis.register_function('w', function(keys) return redis.call('set', keys[1], 'v') end) "
                         "redis.register_function('sha', function() return redis.sha1hex('') end) "
                         "redis.register_function('resp', function() return redis.setresp(3) end) "
                         "redis.register_function('globals', function() local t = {} "
                         "for k in pairs(_G) do t[#t+1] = k end table.sort(t) return t end) "
                         "redis.register_function('nokeys', function() return type(KEYS) end) "
                         "redis.register_function('counts', function(k, a) return {#k, #a, k[1], a[1]} end) "
                         "redis.register_function('pc', function() local ok, e = pcall(redis.call, 'set', 'x', 1) "
                         "return {tostring(ok), e} end) "
                         "redis.register_function('F13', function() return 13 end)")


def test_load_call_list(fboth) -> None:
    fboth.eq("FUNCTION", "LOAD", ECHO)
    fboth.eq("FCALL", "myfunc", 1, "k", "a")
    fboth.eq("FCALL_RO", "myfunc", 1, "k", "a")
    fboth.eq("FUNCTION", "LOAD", ECHO)
    fboth.eq("FUNCTION", "LOAD", "REPLACE", ECHO.replace("{keys[1], args[1]}", "2"))
    fboth.eq("FCALL", "myfunc", 0)
    fboth.eq("SET", "k", "x")
    fboth.eq("FUNCTION", "LOAD", READER)
    fboth.eq("FCALL_RO", "ro", 1, "k")
    fboth.eq("FCALL", "ro", 1, "k")
    fboth.eq("FUNCTION", "LIST", sort=True)
    fboth.eq("FUNCTION", "LIST", "WITHCODE", sort=True)
    fboth.eq("FUNCTION", "LIST", "LIBRARYNAME", "my*")
    fboth.eq("FUNCTION", "LIST", "libraryname", "MY*", "withcode")
    fboth.eq("FUNCTION", "LIST", "LIBRARYNAME", "nomatch*")
    fboth.eq("FUNCTION", "STATS")
    fboth.eq("FUNCTION", "DELETE", "mylib")
    fboth.eq("FUNCTION", "DELETE", "mylib")
    fboth.eq("FCALL", "myfunc", 0)
    fboth.eq("FUNCTION", "STATS")
    fboth.eq("FUNCTION", "FLUSH", "ASYNC")
    fboth.eq("FUNCTION", "LIST")


def test_function_runtime(fboth) -> None:
    fboth.eq("FUNCTION", "LOAD", ERRORS_LIB)
    for name, *args in [("err", 0), ("err2", 0), ("err3", 0), ("w", 1, "k1"), ("sha", 0), ("resp", 0),
                        ("globals", 0), ("nokeys", 0), ("counts", 0), ("counts", 2, "a", "b", "c"),
                        ("pc", 0), ("f13", 0), ("F13", 0), ("ERR", 0)]:
        fboth.eq("FCALL", name, *args)
    fboth.eq("FCALL_RO", "w", 1, "k1")
    fboth.eq("GET", "k1")
    fboth.eq("FCALL", "nosuch", 0)
    fboth.eq("FCALL", "err", -1)
    fboth.eq("FCALL", "err", 5)
    fboth.eq("FCALL", "err", "x")
    fboth.eq("FCALL", "nosuch", "x")
    fboth.eq("FCALL_RO", "nosuch", 0)
    fboth.eq("FCALL", "err")


LOAD_ERRORS = [
    ("no-functions", lib("lib3", "")),
    ("return-only", lib("lib4", "return 1")),
    ("no-name", "#!lua\nredis.register_function('x', function() return 1 end)"),
    ("no-shebang", "redis.register_function('x', function() return 1 end)"),
    ("no-newline", "#!lua name=lib18"),
    ("bad-name", lib("bad-name!", "redis.register_function('x', function() return 1 end)")),
    ("empty-name", "#!lua name=\nredis.register_function('f16', function() return 1 end)"),
    ("unknown-metadata", "#!lua name=lib4 foo=bar\nredis.register_function('x', function() return 1 end)"),
    ("name-twice", "#!lua name=lib15 name=lib16\nredis.register_function('f15', function() return 1 end)"),
    ("other-engine", "#!python name=lib4\nredis.register_function('x', function() return 1 end)"),
    ("function-name-space", lib("lib4", "redis.register_function('x y', function() return 1 end)")),
    ("function-name-empty", lib("lib4", "redis.register_function('', function() return 1 end)")),
    ("callback-not-function", lib("lib4", "redis.register_function('x', 5)")),
    ("single-non-table", lib("lib4", "redis.register_function('x')")),
    ("no-args", lib("lib4", "redis.register_function()")),
    ("three-args", lib("lib4", "redis.register_function('f17', function() return 1 end, 'extra')")),
    ("bad-name-type", lib("lib4", "redis.register_function({}, function() return 1 end)")),
    ("unknown-flag", lib("lib4", "redis.register_function{function_name='x', callback=function() end, flags={'bogus'}}")),
    ("flags-not-table", lib("lib4", "redis.register_function{function_name='x', callback=function() end, flags='no-writes'}")),
    ("unknown-named-arg", lib("lib4", "redis.register_function{function_name='x', callback=function() end, bogus=1}")),
    ("named-no-name", lib("lib4", "redis.register_function{callback=function() end}")),
    ("named-no-callback", lib("lib4", "redis.register_function{function_name='x'}")),
    ("named-bad-callback", lib("lib4", "redis.register_function{function_name='x', callback=1}")),
    ("named-bad-description", lib("lib4", "redis.register_function{function_name='x', callback=function() end, description={}}")),
    ("duplicate-in-library", lib("lib4", "redis.register_function('x', function() end) redis.register_function('x', function() end)")),
    ("duplicate-case", lib("lib4", "redis.register_function('x', function() end) redis.register_function('X', function() end)")),
    ("call-at-load", lib("lib4", "redis.call('set', 'a', 'b')")),
    ("error-at-load", lib("lib4", "error('boom')")),
    ("global-write-at-load", lib("lib4", "x = 1")),
    ("pairs-at-load", lib("lib4", "local t = {} for k in pairs(redis) do t[#t+1] = k end")),
    ("string-at-load", lib("p1", "local x = string")),
    ("g-at-load", lib("p1", "local x = _G")),
    ("sha1hex-at-load", lib("p1", "local x = redis.sha1hex")),
    ("setresp-at-load", lib("p1", "local r = redis.setresp")),
    ("keys-at-load", lib("p1", "local x = KEYS")),
    ("replace-register", lib("p1", "redis.register_function('f', function() return 1 end) redis.register_function = nil")),
    ("compile-error", lib("p1", "local x = +")),
    ("compile-error-second-line", lib("p1", "\nlocal x = +")),
]


@pytest.mark.parametrize("case", LOAD_ERRORS, ids=[c[0] for c in LOAD_ERRORS])
def test_load_errors(fboth, case) -> None:
    fboth.eq("FUNCTION", "LOAD", case[1])
    real, mine = fboth.raw("FUNCTION", "LIST")
    assert sorted_listing(mine) == sorted_listing(real)


LOAD_OK = [
    ("log-and-constants", lib("lib10", "redis.log(redis.LOG_DEBUG, 'loading', redis.REDIS_VERSION, redis.LOG_WARNING) "
                                      "redis.register_function('f11', function() return 1 end)")),
    ("upper-engine", "#!LUA name=p8\nredis.register_function('f8', function() return 1 end)"),
    ("trailing-space", "#!lua name=p9 \nredis.register_function('f9', function() return 1 end)"),
    ("crlf-shebang", "#!lua  name=p10\r\nredis.register_function('f10', function() return 1 end)"),
    ("quoted-name", "#!lua name=\"p11\"\nredis.register_function('f11', function() return 1 end)"),
    ("upper-name-key", "#!lua NAME=p12\nredis.register_function('f12', function() return 1 end)"),
    ("all-flags", lib("p3", "redis.register_function{function_name='f3', callback=function() return 1 end, "
                            "flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}")),
    ("flags-order", lib("p3", "redis.register_function{function_name='f3', callback=function() return 1 end, "
                              "flags={'allow-oom', 'no-writes'}}")),
    ("number-description", lib("p4", "redis.register_function{function_name='f4', callback=function() return 1 end, description=5}")),
    ("number-name", lib("p5", "redis.register_function{function_name=5, callback=function() return 1 end}")),
    ("upper-named-keys", lib("p5", "redis.register_function{FUNCTION_NAME='f', CALLBACK=function() return 1 end}")),
    ("captured-load-redis", lib("p1", "local r = redis redis.register_function('fr', function() return r.call('ping') end)")),
    ("register-at-runtime", lib("p2", "redis.register_function('fx', function() return redis.register_function('y', function() end) end)")),
    ("several", lib("many", "for i = 1, 3 do redis.register_function('f' .. i, function() return i end) end")),
]


@pytest.mark.parametrize("case", LOAD_OK, ids=[c[0] for c in LOAD_OK])
def test_load_ok(fboth, case) -> None:
    fboth.eq("FUNCTION", "LOAD", case[1])
    real, mine = fboth.raw("FUNCTION", "LIST", "WITHCODE")
    assert sorted_listing(mine) == sorted_listing(real)
    for name in (b"fr", b"fx", b"f1", b"f2", b"f3"):
        fboth.eq("FCALL", name, 0)


def test_collisions(fboth) -> None:
    fboth.eq("FUNCTION", "LOAD", lib("a", "redis.register_function('shared', function() return 'a' end)"))
    fboth.eq("FUNCTION", "LOAD", lib("b", "redis.register_function('shared', function() return 'b' end)"))
    fboth.eq("FUNCTION", "LOAD", lib("b", "redis.register_function('SHARED', function() return 'b' end)"))
    fboth.eq("FUNCTION", "LOAD", "REPLACE", lib("b", "redis.register_function('shared', function() return 'b' end)"))
    fboth.eq("FUNCTION", "LOAD", "REPLACE", lib("a", "redis.register_function('shared', function() return 'a2' end)"))
    fboth.eq("FCALL", "shared", 0)
    fboth.eq("FUNCTION", "LOAD", "REPLACE", lib("a", "redis.register_function('other', function() return 'o' end)"))
    fboth.eq("FCALL", "shared", 0)
    fboth.eq("FCALL", "other", 0)
    fboth.eq("FUNCTION", "DELETE", "A")
    fboth.eq("FUNCTION", "LIST", sort=True)


SUBCOMMAND_ERRORS = [
    ("list-no-name", ("FUNCTION", "LIST", "LIBRARYNAME")),
    ("list-bogus", ("FUNCTION", "LIST", "BOGUS")),
    ("list-withcode-twice", ("FUNCTION", "LIST", "WITHCODE", "WITHCODE")),
    ("list-name-twice", ("FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b")),
    ("stats-arity", ("FUNCTION", "STATS", "x")),
    ("dump-arity", ("FUNCTION", "DUMP", "x")),
    ("load-arity", ("FUNCTION", "LOAD")),
    ("load-replace-only", ("FUNCTION", "LOAD", "REPLACE")),
    ("load-bogus-option", ("FUNCTION", "LOAD", "BOGUS", lib("p12", "redis.register_function('f12', function() return 1 end)"))),
    ("load-replace-twice", ("FUNCTION", "LOAD", "REPLACE", "replace", lib("p12", "redis.register_function('f12', function() return 1 end)"))),
    ("delete-arity", ("FUNCTION", "DELETE")),
    ("delete-missing", ("FUNCTION", "DELETE", "nope")),
    ("flush-bogus", ("FUNCTION", "FLUSH", "bogus")),
    ("flush-two", ("FUNCTION", "FLUSH", "ASYNC", "x")),
    ("flush-sync", ("FUNCTION", "FLUSH", "sync")),
    ("kill-notbusy", ("FUNCTION", "KILL")),
    ("kill-arity", ("FUNCTION", "KILL", "x")),
    ("restore-garbage", ("FUNCTION", "RESTORE", "garbage")),
    ("restore-bad-policy", ("FUNCTION", "RESTORE", "garbage", "BOGUS")),
    ("restore-arity", ("FUNCTION", "RESTORE")),
    ("bogus", ("FUNCTION", "BOGUS")),
    ("no-subcommand", ("FUNCTION",)),
    ("help", ("FUNCTION", "HELP")),
    ("help-arity", ("FUNCTION", "HELP", "x")),
    ("fcall-arity", ("FCALL", "f")),
    ("fcall-ro-arity", ("FCALL_RO",)),
]


@pytest.mark.parametrize("case", SUBCOMMAND_ERRORS, ids=[c[0] for c in SUBCOMMAND_ERRORS])
def test_subcommand_errors(fboth, case) -> None:
    fboth.eq(*case[1])


def test_dump_restore_round_trip_each_side(fboth) -> None:
    """Payload formats differ (kvengine's is not RDB), so each side restores its own."""
    fboth.eq("FUNCTION", "LOAD", ECHO)
    fboth.eq("FUNCTION", "LOAD", READER)
    kv = fboth.kv
    sides = {"real": fboth.real.execute_command, "kv": lambda *args: kv._call([kv._enc(a) for a in args])}
    results = {}
    for side, run in sides.items():
        payload = run("FUNCTION", "DUMP")
        out = [run("FUNCTION", "FLUSH"), run("FUNCTION", "RESTORE", payload)]
        for policy in ("APPEND", "REPLACE", "FLUSH"):
            try:
                out.append(run("FUNCTION", "RESTORE", payload, policy))
            except redis.ResponseError as exc:
                # which colliding library is named first follows each side's hash order
                out.append(("error", re.sub(r"Library \w+ already", "Library <lib> already", str(exc))))
        run("FUNCTION", "DELETE", "lib2")
        run("FUNCTION", "LOAD", lib("other", "redis.register_function('ro', function() return 0 end)"))
        try:
            out.append(run("FUNCTION", "RESTORE", payload, "REPLACE"))
        except redis.ResponseError as exc:
            out.append(("error", str(exc)))
        out.append(run("FCALL", "myfunc", 1, "k", "a"))
        out.append(sorted(lib_[1] for lib_ in run("FUNCTION", "LIST")))
        results[side] = out
    assert results["kv"] == results["real"]
