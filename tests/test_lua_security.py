"""A script can never crash, wedge or escape the process (docs/security.md).

Each case is a regression test for one of Redis's Lua security fixes or for a
weakness of Lua 5.1/lupa itself.  Cases that crashed the process once (or could, if
they regressed) run in a subprocess, so a regression shows as a failed test with the
signal, not as a dead test run.  Where Redis 7.0.15 has a defined answer, the same
case is compared live in tests/differential/test_lua_security.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from kvengine import BusyError, Engine, ResponseError, scripting
from tests.threads import start

ROOT = Path(__file__).resolve().parent.parent

_RUNNER = r"""
import sys
from kvengine import Engine
kv = Engine(active_expire=False, lua_memory_limit=sys.argv[2] or None)
exec(sys.argv[3])
try:
    print("REPLY", repr(kv.eval(sys.argv[1], 0))[:300])
except Exception as exc:
    print("ERROR", type(exc).__name__, str(exc)[:300])
print("AFTER", kv.eval("return 'usable'", 0))
"""


def isolated(script: str, limit: str = "", setup: str = "") -> str:
    """Run `script` with EVAL in a fresh process; return what it printed.  Fails the
    test (with the signal) if the process died."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, script, limit, setup],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"process died ({proc.returncode}): {proc.stderr[-1500:]}"
    assert "AFTER b'usable'" in proc.stdout, proc.stdout
    return proc.stdout


# -- crash-prone cases (subprocess) --------------------------------------------------------------
CRASHERS = [
    # CVE-2025-46817: unpack's count overflows a C int.
    ("unpack-int-range", "return unpack({}, -2147483648, 2147483647)", "too many results to unpack"),
    ("unpack-to-int-max", "return unpack({}, 0, 2147483647)", "too many results to unpack"),
    ("unpack-from-int-min", "return unpack({1, 2}, -2147483648)", "too many results to unpack"),
    ("unpack-pcall", "return {pcall(unpack, {}, -2147483648, 2147483647)}", "too many results to unpack"),
    ("unpack-past-stack", "local t = {} for i = 1, 9000 do t[i] = i end return #{unpack(t)}",
     "too many results to unpack"),
    # CVE-2018-11218/11219 shapes: cmsgpack / struct on hostile input.
    ("cmsgpack-deep-unpack", "return cmsgpack.unpack(string.rep('\\145', 100000))", "stack overflow"),
    ("cmsgpack-truncated", "return cmsgpack.unpack('\\220\\255\\255')", "Missing bytes in input."),
    ("cmsgpack-deep-pack", "local t = {} for i = 1, 100000 do t = {t} end return #cmsgpack.pack(t)", "REPLY"),
    ("struct-short-data", "return struct.unpack('i17', 'abc')", "data string too short"),
    ("struct-huge-count", "return struct.pack('i' .. string.rep('9', 30), 1)", "ERROR"),
    ("cjson-deep-decode", "return cjson.decode(string.rep('[', 100000))", "Found too many nested data structures"),
    ("cjson-deep-encode", "local t = {} for i = 1, 100000 do t = {t} end return cjson.encode(t)",
     "Cannot serialise, excessive nesting"),
    ("cjson-bad-unicode", "return cjson.decode('\"\\\\ud800\\\\u\"')", "ERROR"),
    # Deep recursion and C-stack exhaustion.
    ("recursive-pcall", "local function f(n) return select(2, pcall(f, n + 1)) end return f(0)", "C stack overflow"),
    ("recursive-xpcall", "local function f() return xpcall(f, f) end return {f()}", "REPLY"),
    ("coroutine-nesting", "local function f() return coroutine.resume(coroutine.create(f)) end return tostring(f())",
     "REPLY"),
    ("concat-metamethod", "local t = setmetatable({}, {__concat = function(a, b) return a .. b end}) return t .. 'x'",
     "C stack overflow"),
    ("index-metamethod", "local t = setmetatable({}, {}) getmetatable(t).__index = function(s, k) return s[k] end "
     "return t.x", "C stack overflow"),
    ("nested-reply", "local t = {} for i = 1, 200000 do t = {t} end return t", "stack overflow"),
    ("sort-comparator", "local t = {} for i = 1, 100 do t[i] = i end table.sort(t, function() return true end)",
     "invalid order function for sorting"),
    ("pattern-recursion", "return string.find(string.rep('a', 300000), string.rep('a?', 150000))", "REPLY 1"),
    # Memory bombs (string.rep / table.concat / string.format, CVE-2021-32626 shapes).
    ("rep-bomb", "return #string.rep('abc', 1e9)", "not enough memory"),
    ("rep-negative", "return #string.rep('x', 2^31)", "REPLY 0"),
    ("concat-range", "local t = {} for i = 1, 10 do t[i] = 'x' end return table.concat(t, '', -2147483648, 2147483647)",
     "invalid value (nil) at index -2147483648 in table for 'concat'"),
    ("format-width", "return string.format('%099999d', 1)", "invalid format (width or precision too long)"),
]


@pytest.mark.parametrize("script,expected", [c[1:] for c in CRASHERS], ids=[c[0] for c in CRASHERS])
def test_never_crashes(script: str, expected: str) -> None:
    assert expected in isolated(script)


def test_table_bomb_is_capped_and_the_engine_stays_usable() -> None:
    out = isolated("local t = {} for i = 1, 1e8 do t[i] = {i, i, i} end return 1", limit="32mb",
                   setup="kv.eval('return 1', 0)")
    assert "not enough memory" in out


def test_reply_larger_than_the_cap_fails_the_script_not_the_process() -> None:
    """lupa pushes a redis.call reply outside any protected call: a failed allocation
    there is a Lua panic (abort), so a reply that cannot fit is refused first."""
    setup = ("import os\n"
             "for i in range(40): kv.rpush('big', *[os.urandom(500) for _ in range(1000)])")
    out = isolated("return #redis.call('lrange', 'big', 0, -1)", limit="16mb", setup=setup)
    assert "ERROR ResponseError Error running script" in out and "not enough memory" in out
    pcall = "return {pcall(redis.call, 'lrange', 'big', 0, -1)}"
    assert "not enough memory" in isolated(pcall, limit="16mb", setup=setup)


def test_arguments_larger_than_the_cap_are_refused() -> None:
    setup = "import os\nBIG = [os.urandom(500) for _ in range(40000)]\n" \
            "print('ARGS', type(kv.eval('return #ARGV', 0, *BIG)))"
    # The setup's EVAL fails ("not enough memory") instead of killing the process.
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, "return 1", "16mb",
         "try:\n" + "\n".join("    " + line for line in setup.splitlines()) +
         "\nexcept Exception as exc:\n    print('SETUP', exc)"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert "SETUP Error running script" in proc.stdout and "not enough memory" in proc.stdout
    assert "AFTER b'usable'" in proc.stdout


# -- memory limit (in process) ---------------------------------------------------------------------
def test_lua_memory_limit_setting() -> None:
    """Engine(lua_memory_limit=...): kvengine's own (Redis has no cap on Lua's heap,
    so it is no CONFIG parameter); 256 MiB by default."""
    assert scripting.state(Engine().server).lua_max_memory == 256 * 1024 * 1024
    kv = Engine(active_expire=False, lua_memory_limit="8mb")
    st = scripting.state(kv.server)
    assert st.sandbox.max_memory == 8 * 1024 * 1024
    with pytest.raises(ResponseError, match=r"^Error running script \w+, not enough memory$"):
        kv.eval("local t = {} for i = 1, 1e7 do t[i] = {i} end", 0)
    assert st.sandbox.lua.get_memory_used(total=True) < 8 * 1024 * 1024  # the garbage went
    assert kv.eval("return #string.rep('x', 1000000)", 0) == 1000000
    with pytest.raises(ResponseError, match="not enough memory"):
        kv.eval("return #string.rep('x', 9000000)", 0)
    st.set_max_memory(0)  # no cap
    assert kv.eval("return #string.rep('x', 9000000)", 0) == 9000000
    with pytest.raises(ValueError, match="argument must be a memory value"):
        Engine(lua_memory_limit="lots")
    assert kv.config_get("lua-memory-limit") == {}  # not a Redis parameter


# -- no way out to Python ----------------------------------------------------------------------------
WALK = """
local seen, types, queue = {}, {}, {_G, string, getmetatable(''), redis, cjson, cmsgpack, struct, bit,
                                     math, table, coroutine}
local n = 0
while #queue > 0 do
  local v = table.remove(queue)
  local tv = type(v)
  if v ~= cjson.null then types[tv] = true end  -- cjson.null: Lua's own newproxy()
  if tv == 'table' and not seen[v] then
    seen[v] = true
    n = n + 1
    for k, x in pairs(v) do queue[#queue + 1] = k; queue[#queue + 1] = x end
    local mt = getmetatable(v)
    if mt ~= nil then queue[#queue + 1] = mt end
  elseif tv == 'function' and not seen[v] then
    seen[v] = true
    local ok, r = pcall(v)            -- whatever a function hands out, too
    if ok and r ~= nil then queue[#queue + 1] = r end
  end
end
local out = {}
for k in pairs(types) do out[#out + 1] = k end
table.sort(out)
return out
"""


def test_nothing_reachable_is_a_python_object(kv: Engine) -> None:
    """Every value reachable from a script's globals (tables, metatables, what each
    function returns without arguments) is a plain Lua value: no userdata (a
    lupa-wrapped Python object would be one) but cjson.null, no thread."""
    types = kv.eval(WALK, 0)
    assert b"userdata" not in types and b"thread" not in types
    assert b"table" in types and b"function" in types


@pytest.mark.parametrize("name", ["python", "debug", "io", "os", "package", "require", "dofile",
                                  "loadfile", "getfenv", "setfenv", "newproxy", "module", "print",
                                  "lupa", "jit", "ffi"])
def test_unsafe_globals_are_absent(kv: Engine, name: str) -> None:
    with pytest.raises(ResponseError, match=f"nonexistent global variable '{name}'"):
        kv.eval(f"return {name}", 0)
    assert kv.eval(f"return rawget(_G, '{name}') == nil", 0) == 1


@pytest.mark.parametrize("script", [
    "return python.eval('1')",
    "return _G['python']",
    "return redis.call.__index",
    "return getmetatable(redis).__index.python",
])
def test_python_is_not_reachable(kv: Engine, script: str) -> None:
    with pytest.raises(ResponseError):
        kv.eval(script, 0)


def test_library_tables_hold_no_python(kv: Engine) -> None:
    assert kv.eval("return {string.python == nil, redis.python == nil, redis.eval == nil, "
                   "rawget(getmetatable(''), 'python') == nil}", 0) == [1, 1, 1, 1]


def test_bytecode_never_loads(kv: Engine) -> None:
    """Binary chunks are parsed as text (Redis 7.0.15 and CVE-2015-4335's fix): a
    crafted chunk can never reach Lua's undumper."""
    assert kv.eval("local f, err = loadstring(string.dump(function() return 1 end)) "
                   "return {tostring(f), err ~= nil}", 0) == [b"nil", 1]
    assert kv.eval("local s = string.dump(function() return 1 end) "
                   "local f = load(function() local r = s; s = nil; return r end) return tostring(f)", 0) == b"nil"
    with pytest.raises(ResponseError, match="Error compiling script"):
        kv.eval("\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00", 0)


def test_string_dump_refuses_builtins(kv: Engine) -> None:
    for fn in ("redis.call", "string.rep", "pcall", "unpack", "cjson.encode", "loadstring", "math.random"):
        with pytest.raises(ResponseError, match="unable to dump given function"):
            kv.eval(f"return string.dump({fn})", 0)
    assert kv.eval("return string.dump(function() return 1 end):sub(1, 4)", 0) == b"\x1bLua"


@pytest.mark.parametrize("script", [
    "getmetatable('').__index = {upper = function() return 'pwned' end}",
    "getmetatable('').__index.upper = function() return 'pwned' end",
    "rawset(getmetatable(''), '__index', {})",
    "rawset(getmetatable('').__index, 'upper', nil)",
    "string.upper = function() return 'pwned' end",
    "setmetatable(getmetatable(''), {})",
    "redis.call = function() return 'pwned' end",
    "table.insert(getmetatable('').__index, 1)",
])
def test_basic_type_metatables_are_read_only(kv: Engine, script: str) -> None:
    """CVE-2025-46818: a script must not change what another script's strings do."""
    with pytest.raises(ResponseError, match=r"readonly table|protected metatable"):
        kv.eval(script, 0)
    assert kv.eval("return ('x'):upper()", 0) == b"X"
    assert kv.eval("return redis.call('ping')", 0) == b"PONG"


# -- always stoppable ------------------------------------------------------------------------------
SPIN = "while true do end"


@pytest.fixture
def busy_kv():
    kv = Engine(active_expire=False, busy_reply_threshold=20)
    yield kv
    kv.close()


def wait_busy(kv: Engine) -> BusyError:
    """Poll (real time, bounded) until another thread's script makes PING BUSY."""
    event = threading.Event()
    for _ in range(2000):
        try:
            kv.execute_command("PING")
        except BusyError as exc:
            return exc
        event.wait(0.005)
    raise AssertionError("the script never became busy")


def kill_and_join(kv: Engine, t: threading.Thread, out: list[Any], kill: str = "SCRIPT") -> Any:
    assert kv.execute_command(kill, "KILL") in (True, b"OK")
    t.join(30)
    assert not t.is_alive(), "the script survived the kill"
    assert kv.eval("return 'usable'", 0) == b"usable"
    return out[0]


KILLABLE = [
    ("xpcall-handler-loop", "xpcall(function() error('x') end, function() " + SPIN + " end) return 1"),
    ("xpcall-handler-loop-in-coroutine",
     "local co = coroutine.wrap(function() xpcall(function() error('x') end, function() " + SPIN + " end) end) "
     "co() return 1"),
    ("xpcall-handler-catches-the-kill",
     "while true do xpcall(function() " + SPIN + " end, function(e) return e end) end"),
    ("pcall-in-loop", "while true do pcall(function() " + SPIN + " end) end"),
    ("coroutine", "local co = coroutine.create(function() " + SPIN + " end) coroutine.resume(co) " + SPIN),
    ("coroutine-yield-loop", "local co = coroutine.wrap(function() while true do coroutine.yield() end end) "
     "while true do co() end"),
    ("error-object-newindex-loop", "error(setmetatable({}, {__newindex = function() " + SPIN + " end}))"),
    ("tostring-metamethod", "return tostring(setmetatable({}, {__tostring = function() " + SPIN + " end}))"),
    ("sort-comparator", "local t = {3, 2, 1} table.sort(t, function() " + SPIN + " end)"),
    ("gsub-callback", "return string.gsub('abc', '.', function() " + SPIN + " end)"),
    ("pcall-error-handler-in-pcall", "pcall(xpcall, function() error('x') end, function() " + SPIN + " end) "
     + SPIN),
]


@pytest.mark.parametrize("script", [c[1] for c in KILLABLE], ids=[c[0] for c in KILLABLE])
def test_script_kill_always_stops_the_script(busy_kv: Engine, script: str) -> None:
    kv = busy_kv
    t, out = start(lambda: kv.client().eval(script, 0))
    wait_busy(kv)
    result = kill_and_join(kv, t, out)
    assert isinstance(result, ResponseError)
    assert str(result).startswith("Script killed by user with SCRIPT KILL...")


def test_error_object_metamethods_do_not_run_after_the_script(kv: Engine) -> None:
    """The error table a script raises is read raw once the protected call is over:
    an __index there would run user code where no hook may stop it."""
    t, out = start(lambda: kv.client().eval(
        "error(setmetatable({}, {__index = function() while true do end end}))", 0))
    t.join(30)
    assert not t.is_alive()
    assert isinstance(out[0], ResponseError)
    assert kv.eval("return 1", 0) == 1


def test_function_kill_stops_an_xpcall_handler(busy_kv: Engine) -> None:
    kv = busy_kv
    kv.function_load("#!lua name=trap\nredis.register_function('trap', function() "
                     "xpcall(function() error('x') end, function() while true do end end) end)")
    t, out = start(lambda: kv.client().fcall("trap", 0))
    wait_busy(kv)
    result = kill_and_join(kv, t, out, kill="FUNCTION")
    assert str(result).startswith("Script killed by user with SCRIPT KILL...")


def test_busy_during_one_long_library_call(busy_kv: Engine) -> None:
    """The count hook cannot run inside a C function (a backtracking pattern match):
    BUSY is read from the clock, so other clients still get their answer."""
    kv = busy_kv
    t, out = start(lambda: kv.client().eval("return string.find(string.rep('a', 700), '.-.-b')", 0))
    exc = wait_busy(kv)
    assert str(exc).startswith("BUSY Redis is busy running a script.")
    t.join(120)
    assert not t.is_alive() and out == [None]


def test_kill_does_not_leak_into_the_next_script(busy_kv: Engine) -> None:
    kv = busy_kv
    t, out = start(lambda: kv.client().eval(
        "xpcall(function() error('x') end, function() while true do end end)", 0))
    wait_busy(kv)
    kill_and_join(kv, t, out)
    assert kv.eval("return {xpcall(function() error('x') end, function(e) return 'h:' .. e end)}", 0) == \
        [None, b"h:user_script:1: x"]
    assert kv.eval("local n = 0 for i = 1, 300000 do n = n + 1 end return n", 0) == 300000


def test_gc_metamethods_cannot_be_created(kv: Engine) -> None:
    """__gc would run outside the script (at any later collection): Lua 5.1 honours
    it only on userdata, and no script can make one (newproxy is gone)."""
    assert kv.eval("local t = setmetatable({}, {__gc = function() redis.call('set', 'gc', '1') end}) "
                   "t = nil collectgarbage('collect') return 1", 0) == 1
    scripting.state(kv.server).sandbox.gc()
    assert kv.get("gc") is None


def test_huge_redis_call_reply_within_the_stack(kv: Engine) -> None:
    """redis.call returning a huge array: Lua gets a table (no per-item stack
    slots, so lua_checkstack cannot overflow); unpacking it fails cleanly."""
    for i in range(0, 100000, 10000):
        kv.rpush("big", *range(i, i + 10000))
    assert kv.eval("return #redis.call('lrange', KEYS[1], 0, -1)", 1, "big") == 100000
    with pytest.raises(ResponseError, match="too many results to unpack"):
        kv.eval("return {unpack(redis.call('lrange', KEYS[1], 0, -1))}", 1, "big")
    args = [str(i) for i in range(50000)]
    assert kv.eval("return redis.call('rpush', KEYS[1], unpack(ARGV, 1, 7000))", 1, "l2", *args) == 7000
