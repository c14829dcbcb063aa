"""The sandbox's hardening against a real redis-server 7.0.15 (tests/test_lua_security.py
has the cases that need a subprocess, threads or a memory cap).

Where Redis 7.0.15 itself is vulnerable, kvengine follows the fixed Redis and the
case is only in tests/test_lua_security.py: the metatables of basic types
(CVE-2025-46818, read-only in kvengine).
"""

from __future__ import annotations

import pytest

redis = pytest.importorskip("redis")

SAME = [
    # string.dump (Redis's C functions cannot be dumped; Lua functions can)
    ("dump-user-function", "return #string.dump(function() return 1 end)"),
    ("dump-then-load", "local f, err = loadstring(string.dump(function() return 1 end)) return {tostring(f), type(err)}"),
    # xpcall
    ("xpcall-handler", "return {xpcall(function() error('x') end, function(e) return 'h:' .. e end)}"),
    ("xpcall-handler-fails", "return {xpcall(function() error('x') end, function(e) error('y') end)}"),
    ("xpcall-handler-not-function", "return {xpcall(function() error('x') end, 5)}"),
    ("xpcall-success", "return {xpcall(function() return 1, 2 end, 5)}"),
    ("xpcall-table-error", "return {xpcall(function() error({err='boom'}) end, function(e) return type(e) end)}"),
    ("xpcall-handler-result-count", "return {xpcall(function() error('x') end, function(e) return 1, 2, 3 end)}"),
    ("xpcall-handler-gets-table", "return {xpcall(function() error({1, 2}) end, function(e) return e[2] end)}"),
    ("xpcall-nested", "return {xpcall(function() return xpcall(function() error('in') end, "
     "function(e) error('again') end) end, function(e) return 'outer' end)}"),
    ("xpcall-redis-call-error", "return {xpcall(function() return redis.call('nosuch') end, "
     "function(e) return type(e) == 'table' and e.err or e end)}"),
    # unpack (CVE-2025-46817)
    ("unpack-pcall-huge", "return {pcall(unpack, {}, 0, 2147483647)}"),
    ("unpack-pcall-int-range", "return {pcall(unpack, {}, -2147483648, 2147483647)}"),
    ("unpack-empty-range", "return {unpack({1, 2, 3}, 3, 2)}"),
    ("unpack-string-index", "return {unpack({1, 2, 3}, '2')}"),
    ("unpack-float-index", "return {unpack({1, 2, 3}, 2.7)}"),
    ("unpack-nil-start", "return {unpack({1, 2, 3}, nil, 2)}"),
    ("unpack-negative", "return {unpack({1, 2, 3}, -1, 1)}"),
    ("unpack-7997", "local t = {} for i = 1, 8000 do t[i] = i end return #{unpack(t, 1, 7997)}"),
    ("unpack-7998", "local t = {} for i = 1, 8000 do t[i] = i end return {pcall(unpack, t, 1, 7998)}"),
    # recursion
    ("recursive-pcall", "local function f(n) return select(2, pcall(f, n + 1)) end return f(0)"),
    ("concat-metamethod", "local t = setmetatable({}, {__concat = function(a, b) return a .. b end}) "
     "return {pcall(function() return t .. 'x' end)}"),
    ("tostring-metamethod-table", "return tostring(setmetatable({}, {__tostring = function() return {} end}))"),
    ("rep-int-overflow", "return #string.rep('x', 2^31)"),
    ("format-width", "return {pcall(string.format, '%099999d', 1)}"),
    ("concat-range", "local t = {'x'} return {pcall(table.concat, t, '', -2147483648, 2147483647)}"),
    ("coroutine-in-coroutine", "local function f(n) if n == 0 then return 'deep' end "
     "local co = coroutine.create(f) local ok, v = coroutine.resume(co, n - 1) return v end return f(150)"),
]

MANY = ("local t = {} for i = 1, 100 do t[i] = string.char(i % 256) .. '\\0' .. i end t[50] = '' "
        "redis.call('del', 'ml') ")
SAME += [
    # redis.call with many arguments (they cross to Python joined, see call_many)
    ("many-string-args", MANY + "redis.call('rpush', 'ml', unpack(t)) return redis.call('lrange', 'ml', 0, -1)"),
    ("many-mixed-args", MANY + "t[60] = 1.5 t[61] = 7 t[62] = -0.25 redis.call('rpush', 'ml', unpack(t)) "
     "return redis.call('lrange', 'ml', 55, 65)"),
    ("many-args-pcall-error", MANY + "return redis.pcall('set', unpack(t))"),
    ("many-args-bad-type", MANY + "t[70] = {} return redis.pcall('rpush', 'ml', unpack(t))"),
    ("many-args-wrongtype", MANY + "redis.call('set', 'ml', 'x') return redis.pcall('rpush', 'ml', unpack(t))"),
]

ERRORS = [
    ("dump-redis-call", "return string.dump(redis.call)", "unable to dump given function"),
    ("dump-string-rep", "return string.dump(string.rep)", "unable to dump given function"),
    ("dump-pcall", "return string.dump(pcall)", "unable to dump given function"),
    ("dump-cjson", "return string.dump(cjson.encode)", "unable to dump given function"),
    ("dump-nothing", "return string.dump()", "bad argument #1 to 'dump'"),
    ("dump-number", "return string.dump(1)", "bad argument #1 to 'dump'"),
    ("xpcall-one-argument", "return xpcall(function() return 1 end)", "bad argument #2 to 'xpcall'"),
    ("unpack-int-range", "return unpack({}, -2147483648, 2147483647)", "too many results to unpack"),
    ("unpack-from-int-min", "return unpack({1, 2}, -2147483648)", "too many results to unpack"),
    ("unpack-past-stack", "local t = {} for i = 1, 9000 do t[i] = i end return #{unpack(t)}",
     "too many results to unpack"),
    ("unpack-not-table", "return unpack(5)", "bad argument #1 to 'unpack' (table expected, got number)"),
    ("unpack-no-value", "return unpack()", "bad argument #1 to 'unpack' (table expected, got no value)"),
    ("unpack-bad-start", "return unpack({1}, 'x')", "bad argument #2 to 'unpack' (number expected, got string)"),
    ("unpack-bad-end", "return unpack({1}, 1, {})", "bad argument #3 to 'unpack' (number expected, got table)"),
    ("binary-chunk", "\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00", "Error compiling script"),
]


@pytest.mark.parametrize("script", [c[1] for c in SAME], ids=[c[0] for c in SAME])
def test_same_reply(both, script: str) -> None:
    both.eq("EVAL", script, 0)


@pytest.mark.parametrize("script,fragment", [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_same_error(both, script: str, fragment: str) -> None:
    both.error(fragment, "EVAL", script, 0)


def test_functions_cannot_dump_builtins(both) -> None:
    both.raw("FUNCTION", "FLUSH")
    both.eq("FUNCTION", "LOAD", "#!lua name=dumper\nredis.register_function('dumper', "
            "function() return string.dump(redis.call) end)")
    both.error("unable to dump given function", "FCALL", "dumper", 0)
    both.eq("FUNCTION", "FLUSH")
