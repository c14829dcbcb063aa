"""Lua scripting and functions through the redis-py-shaped API, and what a shared
redis-server cannot show: atomicity across threads, BUSY and SCRIPT KILL, effects
replication, the memory limit, the sandbox's walls, persistence state.

Expected texts in the BUSY/KILL tests were taken from redis-server 7.0.15 (see
tests/differential for everything that can be compared live).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from kvengine import BusyError, Engine, NoScriptError, ResponseError, scripting
from kvengine.exceptions import OutOfMemoryError
from kvengine.functions import registry
from tests.threads import start

SPIN = "while true do end"


def capture_log(kv: Engine) -> list[tuple[int, list[bytes]]]:
    """Turn on the persistence feed and collect what it would write."""
    srv = kv.server
    logged: list[tuple[int, list[bytes]]] = []
    srv.feeding = True
    srv.flush_feed = lambda: (logged.extend(srv.pending_ops), srv.pending_ops.clear())  # type: ignore[method-assign]
    return logged




def wait_busy(kv: Engine, command: tuple[Any, ...] = ("PING",)) -> BusyError:
    """Poll (real time, bounded) until another thread's script makes `command` BUSY."""
    for _ in range(1000):
        try:
            kv.execute_command(*command)
        except BusyError as exc:
            return exc
        time.sleep(0.005)
    raise AssertionError("the script never became busy")


# -- the API ---------------------------------------------------------------------------------
def test_eval_api_shapes(kv: Engine) -> None:
    assert kv.eval("return {KEYS[1], ARGV[1], 3}", 1, "k", "a") == [b"k", b"a", 3]
    assert kv.eval("return redis.call('set', KEYS[1], ARGV[1])", 1, "k", 5) == b"OK"
    assert kv.get("k") == b"5"
    sha = kv.script_load("return ARGV[1]")
    assert isinstance(sha, str) and len(sha) == 40
    assert kv.evalsha(sha, 0, "x") == b"x"
    assert kv.evalsha(sha.encode(), 0, b"y") == b"y"
    assert kv.evalsha_ro(sha, 0, "z") == b"z"
    assert kv.eval_ro("return redis.call('get', KEYS[1])", 1, "k") == b"5"
    assert kv.script_exists(sha, "0" * 40) == [True, False]
    assert kv.execute_command("SCRIPT", "EXISTS", sha) == [True]
    assert kv.script_flush() is True
    assert kv.script_flush("ASYNC") is True
    with pytest.raises(Exception, match="SCRIPT FLUSH defaults to SYNC"):
        kv.script_flush("LATER")  # type: ignore[arg-type]
    with pytest.raises(NoScriptError, match="No matching script"):
        kv.evalsha(sha, 0)
    with pytest.raises(ResponseError, match="NOTBUSY"):
        kv.script_kill()
    with pytest.raises(NotImplementedError):
        kv.script_debug()


def test_decoded_replies(kv: Engine) -> None:
    view = kv.client(decode_responses=True)
    assert view.eval("return {'a', {ok='OK'}, 1}", 0) == ["a", "OK", 1]
    assert view.script_load("return 1") == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"


def test_register_script_reloads_after_flush(kv: Engine) -> None:
    incr = kv.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr.sha == "c3b6f3ddb96ef3e06e4b21d4c5d41a8d8b6ac2d2" or len(incr.sha) == 40
    assert incr(keys=["n"], args=[2]) == 2
    kv.script_flush()
    assert incr(keys=["n"], args=[3]) == 5  # NOSCRIPT -> SCRIPT LOAD -> EVALSHA
    other = Engine(active_expire=False)
    assert incr(keys=["n"], args=[1], client=other) == 1  # another engine: loaded there
    other.close()


def test_register_script_in_pipelines(kv: Engine) -> None:
    script = kv.register_script("return redis.call('incr', KEYS[1])")
    with kv.pipeline() as pipe:
        script(keys=["c"], client=pipe)
        script(keys=["c"], client=pipe)
        pipe.get("c")
        assert pipe.execute() == [1, 2, b"2"]
    kv.script_flush()
    with kv.pipeline(transaction=False) as pipe:
        script(keys=["c"], client=pipe)
        assert pipe.execute() == [3]


def test_errors_carry_redis_classes(kv: Engine) -> None:
    import redis

    kv.set("s", "v")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
        kv.eval("return redis.call('lpush', KEYS[1], 'x')", 1, "s")
    with pytest.raises(redis.exceptions.NoScriptError):
        kv.evalsha("f" * 40, 0)
    with pytest.raises(ResponseError, match="user_script:1: boom script: "):
        kv.eval("error('boom')", 0)


def test_functions_api_shapes(kv: Engine) -> None:
    code = "#!lua name=lib\nredis.register_function('echo', function(keys, args) return args[1] end)"
    assert kv.function_load(code) == b"lib"
    assert kv.function_load(code, replace=True) == b"lib"
    assert kv.fcall("echo", 0, "hi") == b"hi"
    assert kv.fcall_ro is not None
    listing = kv.function_list()
    assert listing[0][:4] == [b"library_name", b"lib", b"engine", b"LUA"]
    assert kv.function_list(library="l*", withcode=True)[0][-1] == code.encode()
    payload = kv.client(decode_responses=True).function_dump()
    assert isinstance(payload, bytes)
    assert kv.function_flush() is True
    assert kv.function_restore(payload) is True
    assert kv.function_restore(payload, "REPLACE") is True
    assert kv.fcall("echo", 0, "again") == b"again"
    assert kv.function_stats()[3] == [b"LUA", [b"libraries_count", 1, b"functions_count", 1]]
    assert kv.function_delete("lib") is True
    assert kv.execute_command("FUNCTION", "FLUSH") is True
    with pytest.raises(ResponseError, match="NOTBUSY"):
        kv.function_kill()


# -- semantics that need a fresh server ------------------------------------------------------
def test_math_random_is_redis_prng_from_a_fresh_start() -> None:
    """A fresh redis-server 7.0.15 answers 40 then 85 to two math.random(100) calls:
    one PRNG per server, never reseeded between scripts (only by math.randomseed)."""
    kv = Engine(active_expire=False)
    assert kv.eval("return math.random(100)", 0) == 40
    assert kv.eval("return math.random(100)", 0) == 85
    other = Engine(active_expire=False)  # each engine has its own sequence
    assert other.eval("return math.random(100)", 0) == 40
    kv.close()
    other.close()


def test_script_cache_survives_and_flush_empties(kv: Engine) -> None:
    sha = kv.script_load("return 'a'")
    kv.eval("return 'b'", 0)
    st = scripting.state(kv.server)
    assert len(st.scripts) == 2
    kv.script_flush()
    assert st.scripts == {} and kv.script_exists(sha) == [False]


def test_time_inside_a_script_is_frozen(kv: Engine, clock) -> None:
    """Keys cannot expire in the middle of a script: the script sees one 'now'."""
    kv.set("k", "v", px=10)
    clock.advance(0.005)
    assert kv.eval("return {redis.call('pttl', 'k'), redis.call('pttl', 'k')}", 0) == [5, 5]
    clock.advance(0.006)
    assert kv.eval("return redis.call('get', 'k')", 0) is None


# Spins until the engine clock reaches ARGV[1] (absolute ms): an absolute target, so the
# test cannot race the script's first TIME read against the clock's advance.
SPIN_UNTIL = ("local function ms() local t = redis.call('time') "
              "return t[1] * 1000 + math.floor(t[2] / 1000) end "
              "while ms() < tonumber(ARGV[1]) do end ")


def _run_while_clock_moves(kv: Engine, clock: Any, script: str, advance_s: float) -> Any:
    """Run `script` in a thread and move the engine clock while it spins."""
    st = scripting.state(kv.server)
    target = clock() + int(advance_s * 1000)
    t, out = start(lambda: kv.client().eval(script, 0, str(target)))
    event = threading.Event()
    for _ in range(2000):
        if st.run is not None:
            break
        event.wait(0.005)
    clock.advance(advance_s)
    t.join(30)
    assert not t.is_alive()
    return out[0]


def test_relative_ttls_in_a_script_count_from_the_live_clock(kv: Engine, clock) -> None:
    """Redis 7.0.15: a 1.5 s script ending with SET k v PX 1000 leaves k alive for 1 s
    (Redis 7.2 counts from the script's start: k would be dead on arrival)."""
    script = SPIN_UNTIL + ("redis.call('set', 'k', 'v', 'PX', 1000) redis.call('set', 'e', '1') "
                           "redis.call('pexpire', 'e', 1000) redis.call('setex', 's', 1, 'v') "
                           "return {redis.call('pttl', 'k'), redis.call('pttl', 'e'), redis.call('pttl', 's')}")
    assert _run_while_clock_moves(kv, clock, script, 1.5) == [1000, 1000, 1000]
    clock.advance(0.999)
    assert kv.pttl("k") == 1 and kv.pttl("e") == 1 and kv.pttl("s") == 1
    clock.advance(0.002)
    assert kv.get("k") is None and kv.get("e") is None and kv.get("s") is None


def test_key_lookups_in_a_script_stay_at_its_start(kv: Engine, clock) -> None:
    """...while a key that expires during the script is still alive for it (both 7.0
    and 7.2), and an EXPIRE on it counts from the live clock (7.0)."""
    kv.set("old", "1", px=300)
    script = SPIN_UNTIL + ("return {redis.call('exists', 'old'), redis.call('pexpire', 'old', 5000), "
                           "redis.call('pttl', 'old')}")
    assert _run_while_clock_moves(kv, clock, script, 0.6) == [1, 1, 5000]
    assert kv.pttl("old") == 5000


def test_blocking_commands_refused_in_scripts(kv: Engine) -> None:
    with pytest.raises(ResponseError, match="This Redis command is not allowed from script"):
        kv.eval("return redis.call('blpop', 'q', 0)", 0)


def test_script_client_is_private(kv: Engine) -> None:
    """SELECT inside a script moves only the script's client (Redis 7)."""
    kv.eval("redis.call('select', 3) redis.call('set', 'k', 'in3')", 0)
    assert kv.get("k") is None
    assert kv.client(db=3).get("k") == b"in3"
    assert kv.eval("return redis.call('get', 'k')", 0) is None


# -- atomicity --------------------------------------------------------------------------------
def test_concurrent_increment_scripts_lose_nothing() -> None:
    kv = Engine(active_expire=False)
    script = kv.register_script(
        "local v = tonumber(redis.call('get', KEYS[1]) or '0') "
        "redis.call('set', KEYS[1], v + 1) return v + 1"
    )

    def worker() -> None:
        view = kv.client()
        for _ in range(300):
            script(keys=["counter"], client=view)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert kv.get("counter") == b"1200"
    kv.close()


def test_a_running_script_is_never_interleaved() -> None:
    kv = Engine(active_expire=False)
    kv.set("x", "0")
    stop = threading.Event()

    def writer() -> None:
        view = kv.client()
        while not stop.is_set():
            view.incr("x")

    t = threading.Thread(target=writer)
    t.start()
    try:
        for _ in range(20):
            # Read, spin, read again: another thread's INCR must never land in between.
            a, b = kv.eval(
                "local a = redis.call('get', 'x') for i = 1, 20000 do end "
                "return {a, redis.call('get', 'x')}", 0)
            assert a == b
    finally:
        stop.set()
        t.join(10)
    kv.close()


# -- BUSY, SCRIPT KILL, FUNCTION KILL ------------------------------------------------------------
@pytest.fixture
def busy_kv():
    kv = Engine(active_expire=False, busy_reply_threshold=20)
    yield kv
    kv.close()


def test_busy_then_script_kill(busy_kv: Engine) -> None:
    kv = busy_kv
    t, out = start(lambda: kv.client().eval(SPIN, 0))
    exc = wait_busy(kv)
    assert str(exc) == "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    with pytest.raises(BusyError):
        kv.execute_command("GET", "x")
    with pytest.raises(BusyError):  # FUNCTION KILL and FUNCTION STATS are for functions
        kv.function_kill()
    with pytest.raises(BusyError):
        kv.function_stats()
    assert kv.script_kill() is True
    t.join(10)
    assert not t.is_alive()
    (result,) = out
    assert isinstance(result, ResponseError)
    sha = scripting.state(kv.server).by_body[SPIN.encode()].name
    assert str(result) == f"Script killed by user with SCRIPT KILL... script: {sha}, on @user_script:1."
    assert kv.ping() is True  # the engine is usable again
    assert kv.eval("return 1", 0) == 1


def test_killed_script_cannot_protect_itself_with_pcall(busy_kv: Engine) -> None:
    kv = busy_kv
    script = "while true do pcall(function() while true do end end) end"
    t, out = start(lambda: kv.client().eval(script, 0))
    wait_busy(kv)
    assert kv.script_kill() is True
    t.join(10)
    assert "Script killed by user with SCRIPT KILL..." in str(out[0])


def test_unkillable_after_a_write(busy_kv: Engine) -> None:
    kv = busy_kv
    # Busy for ~300 ms of wall time (TIME follows the system clock), after a write.
    script = ("local t0 = redis.call('time') redis.call('set', 'w', '1') "
              "repeat local t = redis.call('time') until (t[1]-t0[1])*1000000 + (t[2]-t0[2]) > 300000 "
              "return 'done'")
    t, out = start(lambda: kv.client().eval(script, 0))
    wait_busy(kv)
    with pytest.raises(ResponseError, match=r"^UNKILLABLE Sorry the script already executed write commands"):
        kv.script_kill()
    t.join(10)
    assert out == [b"done"]
    assert kv.get("w") == b"1"


def test_function_kill_and_stats(busy_kv: Engine) -> None:
    kv = busy_kv
    kv.function_load("#!lua name=spin\nredis.register_function('spin', function() while true do end end)")
    t, out = start(lambda: kv.client().fcall("spin", 0))
    exc = wait_busy(kv)
    assert str(exc) == "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    stats = kv.function_stats()
    assert stats[0] == b"running_script"
    assert stats[1][:4] == [b"name", b"spin", b"command", [b"FCALL", b"spin", b"0"]]
    assert stats[1][5] >= 0
    with pytest.raises(BusyError, match="You can only call FUNCTION KILL"):
        kv.script_kill()
    assert kv.function_kill() == b"OK"
    t.join(10)
    assert str(out[0]) == "Script killed by user with SCRIPT KILL... script: spin, on @user_function:2."


def test_no_busy_below_the_threshold() -> None:
    """Under busy-reply-threshold other callers just wait for the script."""
    kv = Engine(active_expire=False)  # default 5000 ms
    script = ("local t0 = redis.call('time') "
              "repeat local t = redis.call('time') until (t[1]-t0[1])*1000000 + (t[2]-t0[2]) > 100000 "
              "return 'done'")
    t, out = start(lambda: kv.client().eval(script, 0))
    time.sleep(0.02)
    assert kv.ping() is True  # waited, no BUSY
    t.join(10)
    assert out == [b"done"]
    kv.close()


def test_busy_reply_threshold_config(kv: Engine) -> None:
    assert kv.execute_command("CONFIG", "GET", "busy-reply-threshold") == {b"busy-reply-threshold": b"5000"}
    kv.execute_command("CONFIG", "SET", "lua-time-limit", "100")
    assert scripting.state(kv.server).busy_reply_threshold == 100
    with pytest.raises(ResponseError):
        kv.execute_command("CONFIG", "SET", "busy-reply-threshold", "-1")


def test_function_load_timeout(kv: Engine) -> None:
    with pytest.raises(ResponseError, match="Error registering functions: ERR FUNCTION LOAD timeout"):
        kv.function_load("#!lua name=slow\nlocal i = 0 while true do i = i + 1 end")
    assert kv.function_list() == []


# -- effects replication -----------------------------------------------------------------------
def test_effects_are_replicated_not_scripts(kv: Engine) -> None:
    logged = capture_log(kv)
    kv.eval("redis.call('set', 'a', '1') redis.call('incr', 'a') return redis.call('get', 'a')", 0)
    assert logged == [(0, [b"MULTI"]), (0, [b"set", b"a", b"1"]), (0, [b"incr", b"a"]), (0, [b"EXEC"])]
    logged.clear()
    kv.eval("return redis.call('set', 'b', '2')", 0)
    assert logged == [(0, [b"set", b"b", b"2"])]  # as the script spelled it, like Redis
    logged.clear()
    kv.eval("return redis.call('get', 'b')", 0)
    kv.eval_ro("return redis.call('get', 'b')", 0)
    assert logged == []
    kv.eval("redis.call('select', 2) redis.call('set', 'c', '3') redis.call('select', 0) redis.call('del', 'b')", 0)
    assert logged == [(2, [b"MULTI"]), (2, [b"set", b"c", b"3"]), (0, [b"del", b"b"]), (0, [b"EXEC"])]


def test_writes_before_an_error_are_replicated(kv: Engine) -> None:
    logged = capture_log(kv)
    with pytest.raises(ResponseError):
        kv.eval("redis.call('set', 'a', 'x') redis.call('rpush', 'l', 'v') redis.call('incr', 'a')", 0)
    assert logged == [(0, [b"MULTI"]), (0, [b"set", b"a", b"x"]), (0, [b"rpush", b"l", b"v"]), (0, [b"EXEC"])]


def test_set_repl_none_keeps_writes_out_of_the_log(kv: Engine) -> None:
    logged = capture_log(kv)
    kv.eval("redis.set_repl(redis.REPL_NONE) redis.call('set', 'quiet', '1') "
            "redis.set_repl(redis.REPL_ALL) redis.call('set', 'loud', '1')", 0)
    assert logged == [(0, [b"set", b"loud", b"1"])]
    assert kv.get("quiet") == b"1"


def test_script_inside_exec_is_wrapped_once(kv: Engine) -> None:
    logged = capture_log(kv)
    with kv.pipeline() as pipe:
        pipe.eval("redis.call('set', 'a', '1') redis.call('set', 'b', '2')", 0)
        pipe.set("c", "3")
        pipe.execute()
    assert [op for _, op in logged] == [[b"MULTI"], [b"set", b"a", b"1"], [b"set", b"b", b"2"],
                                        [b"SET", b"c", b"3"], [b"EXEC"]]


def test_function_commands_are_logged_as_themselves(kv: Engine) -> None:
    logged = capture_log(kv)
    code = "#!lua name=lib\nredis.register_function('f', function() return redis.call('set', 'k', 'v') end)"
    kv.function_load(code)
    kv.fcall("f", 0)
    kv.function_delete("lib")
    assert [op for _, op in logged] == [[b"FUNCTION", b"LOAD", code.encode()], [b"set", b"k", b"v"],
                                        [b"FUNCTION", b"DELETE", b"lib"]]


# -- limits and the sandbox ----------------------------------------------------------------------
def test_memory_limit_stops_a_runaway_table(kv: Engine) -> None:
    st = scripting.state(kv.server)
    st.set_max_memory(32 * 1024 * 1024)
    with pytest.raises(ResponseError, match="not enough memory"):
        kv.eval("local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 100) .. i end", 0)
    # the runtime recovers: garbage collected, next scripts run
    assert kv.eval("local t = {} for i = 1, 1000 do t[i] = i end return #t", 0) == 1000
    assert st.used_memory() < 32 * 1024 * 1024


def test_no_python_object_is_reachable(kv: Engine) -> None:
    """Walk everything reachable from the script's globals (tables and metatables):
    the only userdata is cjson.null."""
    walker = """
    local seen, kinds = {}, {}
    local function walk(v)
      if seen[v] then return end
      local tv = type(v)
      if tv == 'table' then
        seen[v] = true
        for k, x in pairs(v) do walk(k); walk(x) end
        walk(getmetatable(v))
      elseif tv == 'userdata' then
        seen[v] = true
        kinds[#kinds + 1] = tostring(v)
      end
    end
    walk(_G)
    walk(getmetatable(''))
    return kinds
    """
    assert kv.eval(walker, 0) == [b"userdata: (nil)"]


ESCAPES = [
    "return python",
    "return python.builtins",
    "return rawget(_G, 'python')",
    "return getfenv",
    "return debug",
    "return io.open('/etc/passwd')",
    "return os.getenv('HOME')",
    "return package.loaded",
    "return require",
    "return load(function() return nil end)().x",
    "return loadstring(string.dump(function() return 1 end))()",
    "getmetatable('').__index = {}",
    "setmetatable(_G, {})",
    "rawset(string, 'x', 1)",
]


@pytest.mark.parametrize("script", ESCAPES)
def test_escape_attempts_fail(kv: Engine, script: str) -> None:
    try:
        result = kv.eval(script, 0)
    except ResponseError:
        return
    assert result is None  # a nil: nothing was reached


def test_real_state_globals_are_stripped(kv: Engine) -> None:
    kv.eval("return 1", 0)
    raw = scripting.state(kv.server).sandbox.lua.eval("function(k) return rawget(_G, k) end")
    for name in ("python", "debug", "io", "os", "package", "require", "loadfile", "dofile", "load", "loadstring"):
        assert raw(name) is None, name


def test_lupa_flavour_is_lua51() -> None:
    from kvengine.lua import runtime

    Engine(active_expire=False).eval("return 1", 0)
    assert runtime.LUA_FLAVOUR == "lua51"


# -- persistence of functions --------------------------------------------------------------------
def test_functions_state_round_trip(kv: Engine) -> None:
    import msgpack

    kv.function_load("#!lua name=a\nredis.register_function('fa', function() return 'a' end)")
    kv.function_load("#!lua name=b\nredis.register_function{function_name='fb', callback=function() return 'b' end, "
                     "flags={'no-writes'}}")
    state = kv.server.functions.dump_state()  # type: ignore[attr-defined]
    packed = msgpack.packb(state)
    other = Engine(active_expire=False)
    registry(other.server).load_state(msgpack.unpackb(packed))
    assert other.fcall("fa", 0) == b"a"
    assert other.fcall_ro("fb", 0) == b"b"
    assert [lib[1] for lib in other.function_list()] == [b"a", b"b"]
    with pytest.raises(ResponseError, match="Library a already exists"):
        registry(other.server).load_state(state, "APPEND")
    other.close()


def test_oom_error_class(kv: Engine) -> None:
    kv.set("filler", "x" * 100)
    kv.execute_command("CONFIG", "SET", "maxmemory", "1")
    try:
        with pytest.raises(OutOfMemoryError, match="command not allowed when used memory"):
            kv.eval("return redis.call('set', 'a', 'b')", 0)
    finally:
        kv.execute_command("CONFIG", "SET", "maxmemory", "0")


def test_many_arguments_travel_as_tables(kv: Engine) -> None:
    keys = [f"k{i}" for i in range(3000)]
    assert kv.eval("return {#KEYS, #ARGV, KEYS[3000], ARGV[1]}", 3000, *keys, "a", "b") == [3000, 2, b"k2999", b"a"]
    big = kv.eval("local t = {} for i = 1, 20000 do t[i] = i end return t", 0)
    assert big == list(range(1, 20001))


def test_script_push_serves_a_blocked_client_after_the_script() -> None:
    kv = Engine(active_expire=False)
    t, out = start(lambda: kv.client().blpop("q", 5))
    for _ in range(400):  # wait (real time, bounded) until the client is blocked
        with kv.server.lock:
            if kv.server.blocked:
                break
        time.sleep(0.005)
    # Inside the script the element is still there: the waiter is served afterwards.
    assert kv.eval("redis.call('rpush', 'q', 'a', 'b') return redis.call('llen', 'q')", 0) == 2
    t.join(5)
    assert out == [(b"q", b"a")]
    assert kv.lrange("q", 0, -1) == [b"b"]
    kv.close()


def test_setresp3_results_reach_resp3_callers_with_resp3_types() -> None:
    """After redis.setresp(3) a script's map and boolean reach a RESP3 caller as RESP3
    types (redis-py: a dict and False), as from a real Redis 7.0; Lua sees {map=}."""
    redis_compat = pytest.importorskip("kvengine.redis_compat")
    r = redis_compat.Redis(engine=Engine(), protocol=3)
    r.hset("h", "f", "v")
    assert r.eval("redis.setresp(3); return redis.call('HGETALL', 'h')", 0) == {b"f": b"v"}
    assert r.eval("redis.setresp(3); return false", 0) is False
    assert r.eval("redis.setresp(3); return redis.call('HGETALL', 'h').map.f", 0) == b"v"
