"""The Lua prelude: builds Redis 7.0's script environment inside a fresh Lua 5.1 state.

It runs once per runtime with the state's own globals, keeps what it needs in local
variables (upvalues no script can reach: there is no ``debug`` library in the
sandbox), and returns the entry points Python calls.  The design mirrors Redis's
``script_lua.c`` / ``eval.c`` / ``function_lua.c``:

* Scripts run with a *proxy* environment: an empty table whose metatable forwards
  reads to the real globals and refuses writes ("Attempt to modify a readonly
  table"), and whose misses raise "Script attempted to access nonexistent global
  variable".  Redis makes tables read-only with a patch to the Lua VM; stock Lua 5.1
  cannot, so every library table (``string``, ``math``, ``redis``, ...) is such a
  proxy too, and the few builtins that bypass metatables (``rawset``, ``rawget``,
  ``next``, ``pairs``, ``setmetatable``, ``getmetatable``, ``table.insert`` /
  ``remove`` / ``sort``) are wrapped to see through proxies or refuse them.
* ``loadstring``/``load`` compile text only (Redis 7.0.15 refuses binary chunks the
  same way: they are parsed as text and fail) and give the chunk the sandbox
  environment instead of the state's real globals.
* A count hook (every 100000 instructions, as Redis) asks Python whether the
  script was killed; after a kill a line hook raises on every line so ``pcall``
  cannot swallow it.  Coroutines get the same hook.
* ``math.random`` is Redis's own PRNG (``redisLrand48``, the 48-bit LCG of
  ``drand48``), one sequence per engine, reseeded only by ``math.randomseed``.
* The error handler mirrors ``__redis__err__handler``: string errors become
  ``{err='ERR ...'}``, and the table gets the source and line of the script frame
  that raised (frames of this prelude stand for Redis's C functions and are
  skipped).
* Results are flattened to (type code, value) pairs so Python converts a reply in one
  crossing (Redis's ``luaReplyToRedisReply``: raw lookups, arrays cut at the first
  nil, ``{err=}``, ``{ok=}``, ``{double=}``, ``{map=}``, ``{set=}``, ...).

Internal functions are compiled under the chunk name ``=kvengine`` so the error
handler can tell them from user code.
"""

# The bridge functions are passed in by kvengine.lua.runtime:
#   py_call(...)       redis.call/pcall: returns value, or value + tag (1 status, 2/3 error)
#   py_hook()          true if the running script must die (SCRIPT KILL / FUNCTION KILL)
#   py_ctl(op, ...)    everything else (log, sha1hex, setresp, set_repl, acl check, ...)
PRELUDE = r"""
local py_call, py_hook, py_ctl, py_call_packed = ...

local type, error, next, pairs, ipairs, rawget, rawset, rawequal =
      type, error, next, pairs, ipairs, rawget, rawset, rawequal
local setmetatable, getmetatable, tostring, tonumber, select, unpack =
      setmetatable, getmetatable, tostring, tonumber, select, unpack
local pcall, xpcall, loadstring, load, setfenv, assert =
      pcall, xpcall, loadstring, load, setfenv, assert
local collectgarbage, gcinfo = collectgarbage, gcinfo
local string, math, table, coroutine = string, math, table, coroutine
local getinfo, sethook, gethook = debug.getinfo, debug.sethook, debug.gethook
local rawgetmetatable = debug.getmetatable
local floor, huge = math.floor, math.huge
local tinsert, tremove, tsort, tconcat = table.insert, table.remove, table.sort, table.concat
local cocreate, coresume, costatus = coroutine.create, coroutine.resume, coroutine.status
local sfind, ssub, sbyte, sformat, sgsub = string.find, string.sub, string.byte, string.format, string.gsub
local sdump, smatch = string.dump, string.match
local INT_MAX = 2147483647

local INTERNAL = "=kvengine"
local READONLY = "Attempt to modify a readonly table"

local function toint(n)  -- C's (int) cast of a lua_Number, as luaL_checkint does
  if n >= 0 then n = floor(n) else n = -floor(-n) end
  return (n + 2147483648) % 4294967296 - 2147483648
end

-- ---------------------------------------------------------------------------------
-- Read-only proxies
-- ---------------------------------------------------------------------------------
local real_of = setmetatable({}, {__mode = "k"})   -- proxy -> the table it stands for
local meta_of = setmetatable({}, {__mode = "k"})   -- proxy -> what getmetatable() shows

local function readonly_newindex()
  error(READONLY, 2)
end

local function protect(real, index)
  local proxy = setmetatable({}, {__index = index or real, __newindex = readonly_newindex})
  real_of[proxy] = real
  return proxy
end

local function pack(...)
  return {n = select('#', ...), ...}
end

local function typename_arg(n, ...)
  if select('#', ...) < n then return "no value" end
  return type((select(n, ...)))
end

-- luaL_argerror: the message carries the position of the caller of the library
-- function (`depth` counts the Lua frames between this helper and that function).
local function argerror(n, fname, msg, depth)
  error("bad argument #" .. n .. " to '" .. fname .. "' (" .. msg .. ")", 3 + (depth or 0))
end

local function checktable(fname, ...)
  if type((...)) ~= "table" then
    argerror(1, fname, "table expected, got " .. typename_arg(1, ...), 1)
  end
end

local function sb_rawget(...)
  checktable("rawget", ...)
  local t, k = ...
  local r = real_of[t]
  if r ~= nil then return rawget(r, k) end
  return rawget(t, k)
end

local function sb_rawset(...)
  checktable("rawset", ...)
  local t, k, v = ...
  if real_of[t] ~= nil then error(READONLY, 0) end
  return rawset(t, k, v)
end

local function sb_next(...)
  checktable("next", ...)
  local t, k = ...
  local r = real_of[t]
  if r ~= nil then return next(r, k) end
  return next(t, k)
end

local function sb_pairs(...)
  checktable("pairs", ...)
  local t = ...
  if real_of[t] ~= nil then return sb_next, t, nil end
  return next, t, nil  -- the native iterator: user tables need no detour
end

local function sb_setmetatable(...)
  checktable("setmetatable", ...)
  local t, mt = ...
  local tm = type(mt)
  if tm ~= "nil" and tm ~= "table" then
    argerror(2, "setmetatable", "nil or table expected")
  end
  local old = rawgetmetatable(t)
  if old ~= nil and rawget(old, "__metatable") ~= nil then
    error("cannot change a protected metatable", 2)
  end
  if real_of[t] ~= nil then error(READONLY, 0) end
  return setmetatable(t, mt)
end

local function sb_getmetatable(...)
  if select('#', ...) == 0 then argerror(1, "getmetatable", "value expected") end
  local v = ...
  if real_of[v] ~= nil then return meta_of[v] end
  return getmetatable(v)
end

-- table.insert/remove/sort: Lua 5.1's argument checks, in its order, then the
-- read-only check (Redis fails on the first write into a read-only table).
local function checkopt_int(n, fname, v)
  if v ~= nil and tonumber(v) == nil then
    argerror(n, fname, "number expected, got " .. type(v), 1)
  end
end

local function sb_insert(...)
  local t = ...
  if type(t) ~= "table" then argerror(1, "insert", "table expected, got " .. typename_arg(1, ...)) end
  local n = select('#', ...)
  if n == 3 then
    checkopt_int(2, "insert", (select(2, ...)))
  elseif n ~= 2 then
    error("wrong number of arguments to 'insert'", 2)
  end
  if real_of[t] ~= nil then error(READONLY, 0) end
  return tinsert(...)
end

local function sb_remove(...)
  local t, pos = ...
  if type(t) ~= "table" then argerror(1, "remove", "table expected, got " .. typename_arg(1, ...)) end
  checkopt_int(2, "remove", pos)
  local r = real_of[t]
  if r ~= nil then
    local e = #r
    pos = pos and toint(tonumber(pos)) or e
    if 1 <= pos and pos <= e then error(READONLY, 0) end
    return  -- nothing to remove: Lua writes nothing
  end
  return tremove(...)
end

local function sb_sort(...)
  local t, comp = ...
  if type(t) ~= "table" then argerror(1, "sort", "table expected, got " .. typename_arg(1, ...)) end
  if comp ~= nil and type(comp) ~= "function" then
    argerror(2, "sort", "function expected, got " .. type(comp))
  end
  local r = real_of[t]
  if r ~= nil then
    if #r <= 1 then return end  -- nothing to sort: Lua writes nothing
    error(READONLY, 0)
  end
  return tsort(...)
end

local function copy(t)
  local c = {}
  for k, v in next, t do c[k] = v end
  return c
end

-- ---------------------------------------------------------------------------------
-- The hook (SCRIPT KILL / FUNCTION KILL) and coroutines that carry it
-- ---------------------------------------------------------------------------------
local HOOK_COUNT = 100000
local kill_message = "ERR Script killed by user with SCRIPT KILL..."
local line_mode = false   -- true after a kill, until the script ends
-- True only while user code runs under xpcall/pcall: a hook must never raise in the
-- runner's own code around it, where no handler would catch the error.  The flag is
-- set and cleared on the same source line as the protected call, so no line event
-- can fire in between.
local running = false

local function kill_hook()
  if running then error({err = kill_message}, 0) end
end

-- py_hook() returns nil to go on, or the error that ends the script (SCRIPT KILL,
-- FUNCTION KILL, FUNCTION LOAD timeout).

local function count_hook()
  if not running then return end
  local message = py_hook()
  if message then
    kill_message = message
    line_mode = true
    -- From now on raise on every line, so a pcall in the script cannot keep it alive.
    sethook(kill_hook, "l")
    error({err = message}, 0)
  end
end

-- The count hook stays installed on the main thread (coroutines inherit it); after
-- a kill, the line hook is swapped back for it when the script is over.
local function restore_hook()
  if line_mode then
    line_mode = false
    sethook(count_hook, "", HOOK_COUNT)
  end
end

local function sb_cocreate(...)
  local f = ...
  if type(f) ~= "function" or getinfo(f, "S").what == "C" then
    argerror(1, "create", "Lua function expected")
  end
  local co = cocreate(f)
  local h, m, c = gethook()
  if h then sethook(co, h, m, c) end
  return co
end

local function sb_cowrap(...)
  local f = ...
  if type(f) ~= "function" or getinfo(f, "S").what == "C" then
    argerror(1, "wrap", "Lua function expected")
  end
  local co = sb_cocreate(f)
  return function(...)
    local r = pack(coresume(co, ...))
    if r[1] then return unpack(r, 2, r.n) end
    local e = r[2]
    local te = type(e)
    if te == "string" or te == "number" then error(e, 2) end
    error(e, 0)
  end
end

-- ---------------------------------------------------------------------------------
-- math.random: Redis's redisLrand48 (48-bit LCG, three 16-bit limbs kept in doubles)
-- ---------------------------------------------------------------------------------
local rx0, rx1, rx2 = 0x330E, 0xABCD, 0x1234
local A0, A1, A2, C = 0xE66D, 0xDEEC, 0x5, 0xB
local LRAND48_MAX = 2147483647

local function lrand48()
  local t0 = A0 * rx0 + C
  local n0 = t0 % 65536
  local t1 = A0 * rx1 + A1 * rx0 + floor(t0 / 65536)
  local n1 = t1 % 65536
  local t2 = A0 * rx2 + A1 * rx1 + A2 * rx0 + floor(t1 / 65536)
  rx0, rx1, rx2 = n0, n1, t2 % 65536
  return rx2 * 32768 + floor(rx1 / 2)
end

local function checkint(i, fname, ...)
  local v = tonumber((select(i, ...)))
  if v == nil then
    argerror(i, fname, "number expected, got " .. typename_arg(i, ...), 1)
  end
  return toint(v)
end

local function redis_random(...)
  local r = (lrand48() % LRAND48_MAX) / LRAND48_MAX
  local argc = select('#', ...)
  if argc == 0 then
    return r
  elseif argc == 1 then
    local u = checkint(1, "random", ...)
    if not (1 <= u) then argerror(1, "random", "interval is empty") end
    return floor(r * u) + 1
  elseif argc == 2 then
    local l = checkint(1, "random", ...)
    local u = checkint(2, "random", ...)
    if not (l <= u) then argerror(2, "random", "interval is empty") end
    return floor(r * (u - l + 1)) + l
  end
  error("wrong number of arguments", 2)
end

local function redis_randomseed(...)
  local s = checkint(1, "randomseed", ...) % 4294967296
  rx0, rx1, rx2 = 0x330E, s % 65536, floor(s / 65536)
end

-- ---------------------------------------------------------------------------------
-- Compiling text only, into the sandbox environment
-- ---------------------------------------------------------------------------------
local G  -- the script environment (a proxy), defined below

local function compile_text(text, chunkname, env)
  if sbyte(text, 1) == 27 then
    -- Lua would undump this as bytecode.  Redis 7.0.15's loader parses it as text
    -- (and fails on the first byte); a leading space gives the same error here
    -- without ever running the undumper.
    text = " " .. text
  end
  local f, err = loadstring(text, chunkname)
  if not f then return nil, err end
  -- Tail calls become plain calls (see kvengine.lua.bytecode): the script's frame
  -- must stay on the stack under redis.call & co., as under Redis's C functions.
  local plain = py_ctl("untail", sdump(f))
  if plain then f = loadstring(plain, chunkname) end
  if env then setfenv(f, env) end
  return f
end

local function sb_loadstring(...)
  local s, chunkname = ...
  if type(s) ~= "string" and type(s) ~= "number" then
    argerror(1, "loadstring", "string expected, got " .. typename_arg(1, ...))
  end
  s = tostring(s)
  if chunkname == nil then chunkname = s end
  return compile_text(s, chunkname, G)
end

local function sb_load(...)
  local reader, chunkname = ...
  if type(reader) ~= "function" then
    argerror(1, "load", "function expected, got " .. typename_arg(1, ...))
  end
  local parts = {}
  while true do
    local piece = reader()
    if piece == nil or piece == "" then break end
    if type(piece) ~= "string" then
      return nil, "reader function must return a string"
    end
    parts[#parts + 1] = piece
  end
  return compile_text(tconcat(parts), chunkname or "=(load)", G)
end

-- ---------------------------------------------------------------------------------
-- Redis's pcall (errors that are {err=...} tables come back as their message)
-- ---------------------------------------------------------------------------------
local function pcall_result(ok, ...)
  if ok then return true, ... end
  local e = ...
  if type(e) == "table" then
    local m = e.err
    local tm = type(m)
    if tm == "string" or tm == "number" then return false, m end
  end
  return false, e
end

local function sb_pcall(...)
  if select('#', ...) == 0 then return end  -- Redis's pcall answers nothing here
  return pcall_result(pcall(...))
end

-- xpcall, with the handler run as a plain protected call after the error.  Lua 5.1
-- runs a handler at the error point, and for an error raised by a hook (SCRIPT KILL)
-- with hooks disabled: a handler that loops there could never be stopped.  Scripts
-- have no debug library, so the only thing a handler sees either way is the error.
-- Lua's rules stay: a handler that is not a function, or that keeps failing (Lua
-- retries it with its own error until the C stack is exhausted), gives "error in
-- error handling"; after a kill the kill error goes through untouched.
local HANDLER_RETRIES = 200  -- LUAI_MAXCCALLS: how deep Lua's retries can go

local function xpcall_result(h, ok, ...)
  if ok then return true, ... end
  local e = ...
  if line_mode then error({err = kill_message}, 0) end
  if type(h) ~= "function" then return false, "error in error handling" end
  for _ = 1, HANDLER_RETRIES do
    local hok, v = pcall(h, e)
    if line_mode then error({err = kill_message}, 0) end
    if hok then return false, v end
    e = v
  end
  return false, "error in error handling"
end

local function sb_xpcall(...)
  if select('#', ...) < 2 then argerror(2, "xpcall", "value expected") end
  local f, h = ...
  return xpcall_result(h, pcall(f))
end

-- unpack with the range check of Redis's fix for CVE-2025-46817: Lua 5.1 computes
-- the count as e - i + 1 in a C int, and a range that overflows it crashed the
-- process.  The arguments are checked here, as luaL_checktype / luaL_optint would,
-- so errors carry the caller's position; LUAI_MAXCSTACK (8000 slots, the call's
-- 3 arguments included) bounds what one call may return, as lua_checkstack does.
local MAXCSTACK = 8000

local function sb_unpack(...)
  local t, i, j = ...
  if type(t) ~= "table" then
    argerror(1, "unpack", "table expected, got " .. typename_arg(1, ...))
  end
  local ni, nj = 1, nil
  if i ~= nil then
    ni = tonumber(i)
    if ni == nil or (type(i) ~= "number" and type(i) ~= "string") then
      argerror(2, "unpack", "number expected, got " .. type(i))
    end
    ni = toint(ni)
  end
  if j ~= nil then
    nj = tonumber(j)
    if nj == nil or (type(j) ~= "number" and type(j) ~= "string") then
      argerror(3, "unpack", "number expected, got " .. type(j))
    end
    nj = toint(nj)
  else
    nj = #t
  end
  if ni > nj then return end
  if nj - ni >= INT_MAX or nj - ni + 1 + 3 > MAXCSTACK then
    error("too many results to unpack", 2)
  end
  return unpack(t, ni, nj)
end

-- string.dump refuses what Redis's C functions would refuse: the sandbox's own
-- functions stand for Redis's C functions, whose bytecode is nobody's business.
local function sb_dump(...)
  local f = ...
  if type(f) ~= "function" then
    argerror(1, "dump", "function expected, got " .. typename_arg(1, ...))
  end
  local src = getinfo(f, "S")
  if src.what == "C" or src.source == INTERNAL then
    error("unable to dump given function", 2)
  end
  return sdump(f)
end

-- ---------------------------------------------------------------------------------
-- The redis table
-- ---------------------------------------------------------------------------------
local function raise_reply_error(line, tag)
  local e = {err = line}
  if tag == 2 then e.ignore_error_stats_update = true end
  error(e, 0)
end

-- Tag 4: the reply does not fit under the memory cap (Engine(lua_memory_limit=)).  The script fails as if
-- Lua's own allocator had refused it ("not enough memory", which the error
-- handler passes through, as Lua raises it without calling the handler).
local NOMEM = "not enough memory"

-- Many arguments cross to Python as two strings (the arguments joined, and their
-- lengths): lupa converts a call's arguments one by one at a cost that grows with
-- their number (a 5000-argument LPUSH spent ~4 us per argument there).  Only when
-- every argument is a string: numbers keep Redis's conversion in Python.
local MANY_ARGS = 16

local function call_many(n, ...)
  local args, lens = {...}, {}
  for i = 1, n do
    local a = args[i]
    if type(a) ~= "string" then return py_call(...) end
    lens[i] = #a
  end
  return py_call_packed(tconcat(args), tconcat(lens, ","))
end

local function redis_call(...)
  local r, tag
  if select('#', ...) <= MANY_ARGS then r, tag = py_call(...) else r, tag = call_many(select('#', ...), ...) end
  if tag == nil then return r end
  if tag == 1 then return {ok = r} end
  if tag == 4 then error(NOMEM, 0) end
  raise_reply_error(r, tag)
end

local function redis_pcall(...)
  local r, tag
  if select('#', ...) <= MANY_ARGS then r, tag = py_call(...) else r, tag = call_many(select('#', ...), ...) end
  if tag == nil then return r end
  if tag == 1 then return {ok = r} end
  if tag == 4 then error(NOMEM, 0) end
  local e = {err = r}
  if tag == 2 then e.ignore_error_stats_update = true end
  return e
end

local function trim_crlf(s)
  return (sgsub(sgsub(s, "^[\r\n]+", ""), "[\r\n]+$", ""))
end

-- luaPushErrorBuff: "-CODE msg" keeps CODE, "-msg" gets ERR; trailing CR/LF trimmed.
local function error_table(buf)
  local code, msg
  local sp = sfind(buf, " ", 1, true)
  if sp == nil then
    code, msg = "ERR", ssub(buf, 2)
  else
    code, msg = ssub(buf, 2, sp - 1), ssub(buf, sp + 1)
  end
  return {err = code .. " " .. trim_crlf(msg)}
end

local function redis_error_reply(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= "string" then
    return {err = "ERR wrong number or type of arguments"}
  end
  if sbyte(e, 1) ~= 45 then e = "-" .. e end
  return error_table(e)
end

local function redis_status_reply(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= "string" then
    return {err = "ERR wrong number or type of arguments"}
  end
  return {ok = s}
end

local function redis_sha1hex(...)
  if select('#', ...) ~= 1 then error({err = "ERR wrong number of arguments"}, 0) end
  local s = ...
  local ts = type(s)
  if ts == "number" then s = tostring(s) elseif ts ~= "string" then s = "" end
  return py_ctl("sha1", s)
end

local function isnumber(v)
  return tonumber(v) ~= nil and (type(v) == "number" or type(v) == "string")
end

local function redis_log(...)
  local argc = select('#', ...)
  if argc < 2 then error({err = "ERR redis.log() requires two arguments or more."}, 0) end
  local level = ...
  if not isnumber(level) then error({err = "ERR First argument must be a number (log level)."}, 0) end
  level = toint(tonumber(level))
  if level < 0 or level > 3 then error({err = "ERR Invalid debug level."}, 0) end
  local parts = {}
  for j = 2, argc do
    local v = select(j, ...)
    local tv = type(v)
    if tv == "string" or tv == "number" then parts[#parts + 1] = tostring(v) end
  end
  py_ctl("log", level, tconcat(parts, " "))
end

local function redis_setresp(...)
  if select('#', ...) ~= 1 then error({err = "ERR redis.setresp() requires one argument."}, 0) end
  local resp = toint(tonumber((...)) or 0)
  if resp ~= 2 and resp ~= 3 then error({err = "ERR RESP version must be 2 or 3."}, 0) end
  py_ctl("setresp", resp)
end

local function redis_set_repl(...)
  if select('#', ...) ~= 1 then error({err = "ERR redis.set_repl() requires two arguments."}, 0) end
  local flags = toint(tonumber((...)) or 0)
  if flags < 0 or flags > 3 then
    error({err = "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."}, 0)
  end
  py_ctl("set_repl", flags)
end

local function redis_acl_check_cmd(...)
  local ok, err = py_ctl("acl", ...)
  if err then error({err = err}, 0) end
  return ok
end

local function redis_replicate_commands() return true end
local function redis_breakpoint() return false end
local function redis_debug() end

local redis_real = {
  call = redis_call, pcall = redis_pcall,
  error_reply = redis_error_reply, status_reply = redis_status_reply,
  sha1hex = redis_sha1hex, log = redis_log, setresp = redis_setresp,
  set_repl = redis_set_repl, replicate_commands = redis_replicate_commands,
  breakpoint = redis_breakpoint, debug = redis_debug, acl_check_cmd = redis_acl_check_cmd,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
  REDIS_VERSION = "7.0.15", REDIS_VERSION_NUM = 458767,  -- the Redis kvengine follows
}

-- ---------------------------------------------------------------------------------
-- The error handler (__redis__err__handler)
-- ---------------------------------------------------------------------------------
local function skip_internal(level)
  local i = getinfo(level, "nSl")
  while i and (i.source == INTERNAL or i.what == "C" or i.what == "tail") do
    level = level + 1
    i = getinfo(level, "nSl")
  end
  return i
end

local function err_handler(err)
  if err == NOMEM then return err end
  local i = getinfo(2, "nSl")
  if i and i.source == INTERNAL then
    i = skip_internal(3)
  elseif i and i.what == "C" then
    i = getinfo(3, "nSl")
    if i and i.source == INTERNAL then i = skip_internal(4) end
  end
  if type(err) ~= "table" then
    err = {err = "ERR " .. tostring(err)}
  end
  if i then
    err["source"] = i.source
    err["line"] = i.currentline
  end
  return err
end

-- ---------------------------------------------------------------------------------
-- The script environment
-- ---------------------------------------------------------------------------------
local function missing_global(t, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end

local G_real = setmetatable({}, {__index = missing_global})
G = setmetatable({}, {__index = G_real, __newindex = readonly_newindex})
real_of[G] = G_real
meta_of[G] = protect({__index = missing_global})

local math_real = copy(math)
math_real.random, math_real.randomseed = redis_random, redis_randomseed
local table_real = copy(table)
table_real.insert, table_real.remove, table_real.sort = sb_insert, sb_remove, sb_sort
local coroutine_real = copy(coroutine)
coroutine_real.create, coroutine_real.wrap = sb_cocreate, sb_cowrap
local string_real = copy(string)
string_real.dump = sb_dump
local string_p = protect(string_real)

-- getmetatable("") shows a read-only view whose __index is the string library.
local string_mt = getmetatable("")
string_mt.__metatable = protect({__index = string_p})

local libs = {}          -- filled by kvengine.lua.libs through install_lib()
local F_real             -- the functions' runtime globals, defined below
local function install_lib(name, t)
  libs[name] = t
  G_real[name] = protect(t)
  F_real[name] = G_real[name]
end

G_real.string = string_p
G_real.math = protect(math_real)
G_real.table = protect(table_real)
G_real.coroutine = protect(coroutine_real)
G_real.redis = protect(redis_real)
G_real._G = G
G_real._VERSION = _VERSION
G_real.__redis__err__handler = err_handler
G_real.xpcall, G_real.tostring, G_real.setmetatable, G_real.next = sb_xpcall, tostring, sb_setmetatable, sb_next
G_real.assert, G_real.tonumber, G_real.rawequal, G_real.collectgarbage = assert, tonumber, rawequal, collectgarbage
G_real.getmetatable, G_real.rawset, G_real.pcall, G_real.type = sb_getmetatable, sb_rawset, sb_pcall, type
G_real.select, G_real.unpack, G_real.gcinfo, G_real.pairs = select, sb_unpack, gcinfo, sb_pairs
G_real.rawget, G_real.loadstring, G_real.ipairs, G_real.load = sb_rawget, sb_loadstring, ipairs, sb_load
G_real.error = error

-- ---------------------------------------------------------------------------------
-- Functions (FUNCTION LOAD / FCALL): one global environment F shared by every
-- library, whose reads go to the load API while a library loads (only
-- redis.register_function, redis.log and constants) and to the runtime API when
-- functions run (the EVAL globals without KEYS, ARGV and the error handler).
-- ---------------------------------------------------------------------------------
F_real = setmetatable({}, {__index = missing_global})
for k, v in next, G_real do
  if k ~= "KEYS" and k ~= "ARGV" and k ~= "__redis__err__handler" then F_real[k] = v end
end
local F_mt = {__index = F_real, __newindex = readonly_newindex}
local F = setmetatable({}, F_mt)
F_real._G = F
real_of[F] = F_real
meta_of[F] = meta_of[G]

local loading = false
local function register_error(message)
  error({err = "ERR " .. message}, 0)
end

local FLAG_NAMES = {["no-writes"] = true, ["allow-oom"] = true, ["allow-stale"] = true,
                    ["no-cluster"] = true, ["allow-cross-slot-keys"] = true}

local function as_name(v)
  local tv = type(v)
  if tv == "string" then return v end
  if tv == "number" then return tostring(v) end
  return nil
end

local function register_function(...)
  if not loading then
    register_error("redis.register_function can only be called on FUNCTION LOAD command")
  end
  local argc = select('#', ...)
  if argc < 1 or argc > 2 then register_error("wrong number of arguments to redis.register_function") end
  local name, callback, description
  local flags = {}
  if argc == 1 then
    local t = ...
    if type(t) ~= "table" then
      register_error("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
    end
    for k, v in next, t do
      local key = as_name(k)
      if key == nil then register_error("named argument key given to redis.register_function is not a string") end
      key = string.lower(key)
      if key == "function_name" then
        name = as_name(v)
        if name == nil then register_error("function_name argument given to redis.register_function must be a string") end
      elseif key == "description" then
        description = as_name(v)
        if description == nil then register_error("description argument given to redis.register_function must be a string") end
      elseif key == "callback" then
        if type(v) ~= "function" then register_error("callback argument given to redis.register_function must be a function") end
        callback = v
      elseif key == "flags" then
        if type(v) ~= "table" then
          register_error("flags argument to redis.register_function must be a table representing function flags")
        end
        local j = 1
        while true do
          local f = rawget(v, j)
          if f == nil then break end
          if type(f) ~= "string" or not FLAG_NAMES[f] then register_error("unknown flag given") end
          flags[#flags + 1] = f
          j = j + 1
        end
      else
        register_error("unknown argument given to redis.register_function")
      end
    end
    if name == nil then register_error("redis.register_function must get a function name argument") end
    if callback == nil then register_error("redis.register_function must get a callback argument") end
  else
    local n, f = ...
    name = as_name(n)
    if name == nil then register_error("first argument to redis.register_function must be a string") end
    if type(f) ~= "function" then register_error("second argument to redis.register_function must be a function") end
    callback = f
  end
  local problem = py_ctl("register", name, callback, description, tconcat(flags, ","))
  if problem then error({err = problem}, 0) end
end

local load_redis = setmetatable({
  register_function = register_function, log = redis_log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = redis_real.REDIS_VERSION, REDIS_VERSION_NUM = redis_real.REDIS_VERSION_NUM,
}, {__index = missing_global})
local LOAD_real = setmetatable({redis = protect(load_redis)}, {__index = missing_global})

-- Compile and run a library's code (from the shebang's line feed on).  Returns nil
-- on success, else 1 and the compile error, or 2 and the registration error.
local function load_library(code)
  local f, err = compile_text(code, "@user_function", F)
  if not f then return 1, err end
  F_mt.__index = LOAD_real
  real_of[F] = LOAD_real
  loading = true
  running = true; local ok, e = pcall(f); running = false
  restore_hook()
  loading = false
  F_mt.__index = F_real
  real_of[F] = F_real
  if ok then return nil end
  if type(e) == "table" then
    local m = e.err
    if type(m) == "string" or type(m) == "number" then return 2, tostring(m) end
    return 2, "ERR unknown error"
  end
  return 2, "ERR " .. tostring(e)
end

-- ---------------------------------------------------------------------------------
-- Lua value -> reply tokens (luaReplyToRedisReply)
-- codes: 0 bulk, 1 integer (a Lua number), 2 nil, 3 status, 4 error, 5 array(n),
--        6 double (a Lua number, bulk "%.17g" in RESP2), 7 boolean (true/false: what it
--        becomes depends on redis.setresp and the caller's protocol), 12 map(n items),
--        13 set(n), 14 big number (a string); Python builds the RESP2 or RESP3 value
-- ---------------------------------------------------------------------------------
local flatten
flatten = function(v, out, n)
  local tv = type(v)
  if tv == "string" then
    out[n + 1] = 0; out[n + 2] = v; return n + 2
  elseif tv == "number" then
    out[n + 1] = 1; out[n + 2] = v; return n + 2
  elseif tv == "boolean" then
    out[n + 1] = 7; out[n + 2] = v
    return n + 2
  elseif tv == "table" then
    local x = rawget(v, "err")
    if type(x) == "string" then out[n + 1] = 4; out[n + 2] = x; return n + 2 end
    x = rawget(v, "ok")
    if type(x) == "string" then out[n + 1] = 3; out[n + 2] = x; return n + 2 end
    x = rawget(v, "double")
    if type(x) == "number" then out[n + 1] = 6; out[n + 2] = x; return n + 2 end
    x = rawget(v, "big_number")
    if type(x) == "string" then out[n + 1] = 14; out[n + 2] = (sgsub(x, "[\r\n]", " ")); return n + 2 end
    x = rawget(v, "verbatim_string")
    if type(x) == "table" then
      local f, s = rawget(x, "format"), rawget(x, "string")
      if type(f) == "string" and type(s) == "string" then
        out[n + 1] = 0; out[n + 2] = s; return n + 2
      end
    end
    x = rawget(v, "map")
    if type(x) == "table" then
      out[n + 1] = 12
      local at = n + 2
      n = at
      local count = 0
      for k, val in next, x do
        n = flatten(k, out, n)
        n = flatten(val, out, n)
        count = count + 2
      end
      out[at] = count
      return n
    end
    x = rawget(v, "set")
    if type(x) == "table" then
      out[n + 1] = 13
      local at = n + 2
      n = at
      local count = 0
      for k in next, x do
        n = flatten(k, out, n)
        count = count + 1
      end
      out[at] = count
      return n
    end
    out[n + 1] = 5
    local at = n + 2
    n = at
    local j = 1
    while true do
      local item = rawget(v, j)
      if item == nil then break end
      n = flatten(item, out, n)
      j = j + 1
    end
    out[at] = j - 1
    return n
  end
  out[n + 1] = 2; out[n + 2] = false; return n + 2
end

local MAX_UNPACK = 7000

local function as_text(v)
  local tv = type(v)
  if tv == "string" then return v end
  if tv == "number" then return tostring(v) end
  return nil
end

-- What Python receives after a run: a code and its values.
--   0 s / 1 n / 2: a bulk, a number, nil;  8 tokens...: a flattened table;
--   11 tokens_table: the same, too long for the stack;
--   9 msg source line: the script raised a Redis-style error table;
--   10 msg: any other failure ("Error running script").
local function finish(ok, res)
  if line_mode then
    restore_hook()
    -- Killed: whatever the error became on its way out ("error in error handling",
    -- "C stack overflow" from a handler retried in the hook), the answer is the kill.
    if not ok and type(res) ~= "table" then res = {err = kill_message} end
  end
  if not ok then
    if type(res) == "table" then
      -- Raw reads: a metamethod of the error table would run user code here, after
      -- the protected call, where no hook may stop it.
      local m = as_text(rawget(res, "err"))
      local src, line = as_text(rawget(res, "source")), as_text(rawget(res, "line"))
      return 9, m, src, line
    end
    return 10, as_text(res)
  end
  local tr = type(res)
  if tr == "string" then return 0, res end
  if tr == "number" then return 1, res end
  if tr == "nil" then return 2 end
  local out = {}
  local n = flatten(res, out, 0)
  if n <= MAX_UNPACK then return 8, unpack(out, 1, n) end
  return 11, out
end

-- ---------------------------------------------------------------------------------
-- Entry points
-- ---------------------------------------------------------------------------------
-- KEYS and ARGV (or a function's keys and args) from the call's arguments.
local function split_args(nkeys, ...)
  local n = select('#', ...)
  if n == 0 then return {}, {} end
  if nkeys == n then return {...}, {} end
  if nkeys == 0 then return {}, {...} end
  local keys, argv = {...}, {}
  for i = nkeys + 1, n do
    argv[i - nkeys] = keys[i]
    keys[i] = nil
  end
  return keys, argv
end

local function run_eval(fn, nkeys, ...)
  G_real.KEYS, G_real.ARGV = split_args(nkeys, ...)
  running = true; local ok, res = xpcall(fn, err_handler); running = false
  return finish(ok, res)
end

local function run_eval_tables(fn, keys, argv)
  G_real.KEYS, G_real.ARGV = keys, argv
  running = true; local ok, res = xpcall(fn, err_handler); running = false
  return finish(ok, res)
end

local cur_fn, cur_keys, cur_args
local function fcall_trampoline()
  return cur_fn(cur_keys, cur_args)
end

local function run_function(fn, nkeys, ...)
  cur_keys, cur_args = split_args(nkeys, ...)
  cur_fn = fn
  running = true; local ok, res = xpcall(fcall_trampoline, err_handler); running = false
  cur_fn, cur_keys, cur_args = nil, nil, nil
  return finish(ok, res)
end

local function run_function_tables(fn, keys, args)
  cur_fn, cur_keys, cur_args = fn, keys, args
  running = true; local ok, res = xpcall(fcall_trampoline, err_handler); running = false
  cur_fn, cur_keys, cur_args = nil, nil, nil
  return finish(ok, res)
end

local function compile_script(body)
  return compile_text(body, "@user_script", G)
end

sethook(count_hook, "", HOOK_COUNT)

return {
  run_eval = run_eval, run_eval_tables = run_eval_tables,
  run_function = run_function, run_function_tables = run_function_tables,
  load_library = load_library, F = F, F_real = F_real,
  compile_script = compile_script, compile_text = compile_text,
  install_lib = install_lib, protect = protect, real_of = real_of, meta_of = meta_of,
  G = G, G_real = G_real, redis_real = redis_real, err_handler = err_handler,
  sb = {
    rawget = sb_rawget, rawset = sb_rawset, next = sb_next, pairs = sb_pairs,
    setmetatable = sb_setmetatable, getmetatable = sb_getmetatable, pcall = sb_pcall,
    loadstring = sb_loadstring, load = sb_load, ipairs = ipairs,
  },
  count_hook = count_hook, HOOK_COUNT = HOOK_COUNT, finish = finish,
  math_real = math_real, table_real = table_real, coroutine_real = coroutine_real,
  string_p = string_p, libs = libs, argerror = argerror, typename_arg = typename_arg,
  toint = toint, pack = pack,
}
"""
