"""Redis's bundled Lua libraries: ``bit``, ``struct``, ``cjson``, ``cmsgpack``.

Redis links C libraries into its Lua (Lua BitOp 1.0.2, Roberto Ierusalimschy's
struct 0.2, lua-cjson 2.1.0, lua-cmsgpack 0.4.0); lupa's Lua has none of them.
Here they are rewritten from their documented behaviour, in Lua where the work is
walking Lua tables (so iteration order, ``#`` and insertion order match what the C
code does with the same Lua 5.1 tables) and in Python where C's integer and float
casts matter (``bit``'s number conversion, ``struct``, float packing).  The Python
helpers take and return plain values only (bytes, numbers, booleans, None).

Errors are raised as the C libraries raise them (``luaL_error``: the message is
prefixed with the caller's position, "user_script:1: ...").  Each Lua chunk runs
once with ``api`` (the prelude's exports) and ``py`` (:meth:`LibHelpers.bridge`).
"""

from __future__ import annotations

import math
import re
import struct as _struct
from typing import Any

# -- bit (Lua BitOp) ----------------------------------------------------------------------
BIT = r"""
local api, py = ...
local tonumber, type, select, floor, unpack, error = tonumber, type, select, math.floor, unpack, error
local sformat, ssub = string.format, string.sub
local typename_arg = api.typename_arg

local M32 = 4294967296
local MAGIC = 6755399441055744.0  -- 2^52 + 2^51: BitOp's rounding trick

-- barg(): a number (or numeric string) as an unsigned 32-bit value.
local function barg(fname, i, ...)
  local v = select(i, ...)
  local n = tonumber(v)
  local b
  if n == nil or (type(v) ~= "number" and type(v) ~= "string") then
    b = 0
  elseif n > -2251799813685248 and n < 2251799813685248 then
    b = ((n + MAGIC) - MAGIC) % M32
  else
    b = py("barg", n)
  end
  if b == 0 and (n == nil or (type(v) ~= "number" and type(v) ~= "string")) then
    error("bad argument #" .. i .. " to '" .. fname .. "' (number expected, got " .. typename_arg(i, ...) .. ")", 3)
  end
  return b
end

local function sbits(b)
  if b >= 2147483648 then return b - M32 end
  return b
end

local bit = {}

function bit.tobit(...) return sbits(barg("tobit", 1, ...)) end
function bit.bnot(...) return sbits(M32 - 1 - barg("bnot", 1, ...)) end

local function variadic(name)
  return function(...)
    local b = barg(name, 1, ...)
    local n = select('#', ...)
    local args = {}
    for i = n, 2, -1 do args[i - 1] = barg(name, i, ...) end
    return sbits(py(name, b, unpack(args, 1, n - 1)))
  end
end
bit.band, bit.bor, bit.bxor = variadic("band"), variadic("bor"), variadic("bxor")

function bit.lshift(...)
  local b, n = barg("lshift", 1, ...), barg("lshift", 2, ...) % 32
  return sbits((b * 2 ^ n) % M32)
end
function bit.rshift(...)
  local b, n = barg("rshift", 1, ...), barg("rshift", 2, ...) % 32
  return sbits(floor(b / 2 ^ n))
end
function bit.arshift(...)
  local b, n = barg("arshift", 1, ...), barg("arshift", 2, ...) % 32
  return floor(sbits(b) / 2 ^ n)
end
function bit.rol(...)
  local b, n = barg("rol", 1, ...), barg("rol", 2, ...) % 32
  return sbits((b * 2 ^ n) % M32 + floor(b / 2 ^ (32 - n)))
end
function bit.ror(...)
  local b, n = barg("ror", 1, ...), barg("ror", 2, ...) % 32
  return sbits(floor(b / 2 ^ n) + (b * 2 ^ (32 - n)) % M32)
end
function bit.bswap(...)
  local b = barg("bswap", 1, ...)
  local b0, b1, b2, b3 = b % 256, floor(b / 256) % 256, floor(b / 65536) % 256, floor(b / 16777216)
  return sbits(((b0 * 256 + b1) * 256 + b2) * 256 + b3)
end
function bit.tohex(...)
  local b = barg("tohex", 1, ...)
  local n = 8
  if select('#', ...) >= 2 then n = sbits(barg("tohex", 2, ...)) end
  local upper = false
  if n < 0 then n = -n; upper = true end
  if n > 8 then n = 8 end
  local s = sformat(upper and "%08X" or "%08x", b)
  return ssub(s, 9 - n)
end

api.install_lib("bit", bit)
"""


# -- struct -----------------------------------------------------------------------------------
STRUCT = r"""
local api, py = ...
local type, select, error, tostring, tonumber, unpack = type, select, error, tostring, tonumber, unpack
local typename_arg, pack = api.typename_arg, api.pack

local function argtype(i, nargs, ...)
  -- b_pack pushes a nil mark after its arguments: the first missing one reads as nil
  if i == nargs + 1 then return "nil" end
  return typename_arg(i, ...)
end

local function raise(err)
  error(err, 3)
end

local struct = {}

function struct.pack(...)
  local fmt = ...
  if type(fmt) ~= "string" and type(fmt) ~= "number" then
    error("bad argument #1 to 'pack' (string expected, got " .. typename_arg(1, ...) .. ")", 2)
  end
  local nargs = select('#', ...)
  local args = {}
  for i = 2, nargs do
    local v = select(i, ...)
    local tv = type(v)
    if tv == "string" or tv == "number" then args[i - 1] = v else args[i - 1] = false end
  end
  local r = pack(py("struct_pack", tostring(fmt), nargs, unpack(args, 1, nargs - 1)))
  if r[1] == nil then
    local msg, argn = r[2], r[3]
    if argn then msg = msg .. argtype(argn, nargs, ...) .. ")" end
    raise(msg)
  end
  return r[1]
end

function struct.unpack(...)
  local fmt, data, pos = ...
  if type(fmt) ~= "string" and type(fmt) ~= "number" then
    error("bad argument #1 to 'unpack' (string expected, got " .. typename_arg(1, ...) .. ")", 2)
  end
  if type(data) ~= "string" and type(data) ~= "number" then
    error("bad argument #2 to 'unpack' (string expected, got " .. typename_arg(2, ...) .. ")", 2)
  end
  if pos ~= nil and tonumber(pos) == nil then
    error("bad argument #3 to 'unpack' (number expected, got " .. typename_arg(3, ...) .. ")", 2)
  end
  local r = pack(py("struct_unpack", tostring(fmt), tostring(data), tonumber(pos) or 1))
  if r[1] == nil then raise(r[2]) end
  return unpack(r, 2, r.n)
end

function struct.size(...)
  local fmt = ...
  if type(fmt) ~= "string" and type(fmt) ~= "number" then
    error("bad argument #1 to 'size' (string expected, got " .. typename_arg(1, ...) .. ")", 2)
  end
  local r = pack(py("struct_size", tostring(fmt)))
  if r[1] == nil then raise(r[2]) end
  return r[1]
end

api.install_lib("struct", struct)
"""


# -- cjson ---------------------------------------------------------------------------------------
CJSON = r"""
local api, py = ...
local type, select, error, tostring, tonumber, next, rawget, pcall =
      type, select, error, tostring, tonumber, next, rawget, pcall
local floor, huge = math.floor, math.huge
local sbyte, schar, ssub, sfind, sformat, smatch, sgsub =
      string.byte, string.char, string.sub, string.find, string.format, string.match, string.gsub
local tconcat = table.concat
local typename_arg = api.typename_arg

local null = newproxy(true)
getmetatable(null).__tostring = function() return "userdata: (nil)" end
api.real_of[null] = true   -- getmetatable(cjson.null) is nil, as for a light userdata

-- A failure inside the library: rethrown at the caller of encode/decode.
local Fail = {}
local function fail(msg) error({[Fail] = msg}, 0) end

local function run(f, ...)
  local ok, r = pcall(f, ...)
  if ok then return r end
  if type(r) == "table" and r[Fail] then error(r[Fail], 3) end
  error(r, 0)
end

local escapes = {}
for i = 0, 31 do escapes[schar(i)] = sformat("\\u%04x", i) end
escapes["\b"], escapes["\t"], escapes["\n"], escapes["\f"], escapes["\r"] = "\\b", "\\t", "\\n", "\\f", "\\r"
escapes['"'], escapes["\\"], escapes["/"], escapes[schar(127)] = '\\"', "\\\\", "\\/", "\\u007f"

local function new()
  local cfg = {
    sparse_convert = false, sparse_ratio = 2, sparse_safe = 10,
    encode_max_depth = 1000, decode_max_depth = 1000, precision = 14,
    keep_buffer = true, encode_invalid = false, decode_invalid = true,
  }

  -- ---- encode ----
  local function encode_string(s, out)
    out[#out + 1] = '"' .. sgsub(s, '[%c"\\/\127]', escapes) .. '"'
  end

  local function encode_number(n, out)
    if n ~= n or n == huge or n == -huge then
      if cfg.encode_invalid == false then fail("Cannot serialise number: must not be NaN or Inf") end
      if cfg.encode_invalid == "null" then out[#out + 1] = "null"; return end
      if n ~= n then out[#out + 1] = "nan"; return end
    end
    out[#out + 1] = sformat("%." .. cfg.precision .. "g", n)
  end

  local encode_value

  local function array_length(t)
    local max, items = 0, 0
    for k in next, t do
      if type(k) == "number" and k ~= 0 and floor(k) == k and k >= 1 then
        if k > max then max = k end
        items = items + 1
      else
        return -1
      end
    end
    if cfg.sparse_ratio > 0 and max > items * cfg.sparse_ratio and max > cfg.sparse_safe then
      if not cfg.sparse_convert then fail("Cannot serialise table: excessively sparse array") end
      return -1
    end
    return max
  end

  encode_value = function(v, depth, out)
    local tv = type(v)
    if tv == "string" then
      encode_string(v, out)
    elseif tv == "number" then
      encode_number(v, out)
    elseif tv == "boolean" then
      out[#out + 1] = v and "true" or "false"
    elseif tv == "nil" or v == null then
      out[#out + 1] = "null"
    elseif tv == "table" then
      depth = depth + 1
      if depth > cfg.encode_max_depth then
        fail("Cannot serialise, excessive nesting (" .. depth .. ")")
      end
      local len = array_length(v)
      if len > 0 then
        out[#out + 1] = "["
        for i = 1, len do
          if i > 1 then out[#out + 1] = "," end
          encode_value(rawget(v, i), depth, out)
        end
        out[#out + 1] = "]"
      else
        out[#out + 1] = "{"
        local comma = false
        for k, val in next, v do
          if comma then out[#out + 1] = "," else comma = true end
          local tk = type(k)
          if tk == "number" then
            out[#out + 1] = '"'
            encode_number(k, out)
            out[#out + 1] = '":'
          elseif tk == "string" then
            encode_string(k, out)
            out[#out + 1] = ":"
          else
            fail("Cannot serialise " .. tk .. ": table key must be a number or string")
          end
          encode_value(val, depth, out)
        end
        out[#out + 1] = "}"
      end
    else
      fail("Cannot serialise " .. tv .. ": type not supported")
    end
  end

  local function encode_impl(v)
    local out = {}
    encode_value(v, 0, out)
    return tconcat(out)
  end

  -- ---- decode ----
  local unescape = {['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", t = "\t", n = "\n", f = "\f", r = "\r"}
  local singles = {["["] = "T_ARR_BEGIN", ["]"] = "T_ARR_END", ["{"] = "T_OBJ_BEGIN", ["}"] = "T_OBJ_END",
                   [","] = "T_COMMA", [":"] = "T_COLON"}
  local unknown_start = {f = true, i = true, I = true, n = true, N = true, t = true, ['"'] = true,
                         ["+"] = true, ["-"] = true}
  for d = 0, 9 do unknown_start[tostring(d)] = true end

  local s, pos, len, depth

  local function utf8(cp)
    if cp < 0x80 then return schar(cp) end
    if cp < 0x800 then return schar(0xC0 + floor(cp / 64), 0x80 + cp % 64) end
    if cp < 0x10000 then
      return schar(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
    end
    return schar(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64, 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
  end

  local function hex4(at)
    local h = ssub(s, at, at + 3)
    if #h ~= 4 or not smatch(h, "^%x%x%x%x$") then return nil end
    return tonumber(h, 16)
  end

  -- strtod's longest valid prefix at `at` (decimal, hex, inf/infinity, nan)
  local function number_prefix(at)
    local rest = ssub(s, at)
    local m = smatch(rest, "^[+-]?0[xX]%x*%.?%x*[pP][+-]?%d+") or smatch(rest, "^[+-]?0[xX]%x*%.?%x*")
    if m and smatch(m, "%x", 3 + (smatch(m, "^[+-]") and 1 or 0)) then return m end
    m = smatch(rest, "^[+-]?%d*%.?%d*")
    if m and smatch(m, "%d") then
      local e = smatch(ssub(rest, #m + 1), "^[eE][+-]?%d+")
      return m .. (e or "")
    end
    local lower = rest:lower()
    m = smatch(lower, "^[+-]?infinity") or smatch(lower, "^[+-]?inf") or smatch(lower, "^[+-]?nan%([%w_]*%)")
        or smatch(lower, "^[+-]?nan")
    if m then return ssub(rest, 1, #m) end
    return nil
  end

  local function is_invalid_number(at)
    local c = ssub(s, at, at)
    if c == "+" then return true end
    if c == "-" then at = at + 1; c = ssub(s, at, at) end
    if c == "0" then
      local c2 = ssub(s, at + 1, at + 1)
      return c2 == "x" or c2 == "X" or (c2 ~= "" and c2 >= "0" and c2 <= "9")
    elseif c ~= "" and sbyte(c) <= 57 then
      return false
    end
    local three = ssub(s, at, at + 2):lower()
    return three == "inf" or three == "nan"
  end

  -- returns kind, value, index (0-based start of the token)
  local function next_token()
    local c
    while true do
      c = ssub(s, pos, pos)
      if c == " " or c == "\t" or c == "\n" or c == "\r" then pos = pos + 1 else break end
    end
    local index = pos - 1
    if c == "" or c == "\0" then return "T_END", nil, index end
    local single = singles[c]
    if single then pos = pos + 1; return single, nil, index end
    if not unknown_start[c] then return "T_ERROR", "invalid token", index end
    if c == '"' then
      pos = pos + 1
      local parts = {}
      while true do
        local ch = ssub(s, pos, pos)
        if ch == '"' then break end
        if ch == "" or ch == "\0" then return "T_ERROR", "unexpected end of string", pos - 1 end
        if ch == "\\" then
          local e = ssub(s, pos + 1, pos + 1)
          if e == "u" then
            local cp = hex4(pos + 2)
            local step = 6
            if cp and cp >= 0xD800 and cp <= 0xDFFF then
              if cp >= 0xDC00 or ssub(s, pos + 6, pos + 7) ~= "\\u" then
                cp = nil
              else
                local low = hex4(pos + 8)
                if not low or low < 0xDC00 or low > 0xDFFF then
                  cp = nil
                else
                  cp = (cp - 0xD800) * 1024 + (low - 0xDC00) + 0x10000
                  step = 12
                end
              end
            end
            if not cp then return "T_ERROR", "invalid unicode escape code", pos - 1 end
            parts[#parts + 1] = utf8(cp)
            pos = pos + step
          else
            local u = unescape[e]
            if not u then return "T_ERROR", "invalid escape code", pos - 1 end
            parts[#parts + 1] = u
            pos = pos + 2
          end
        else
          local stop = sfind(s, '["\\%z]', pos)
          if not stop then stop = len + 1 end
          parts[#parts + 1] = ssub(s, pos, stop - 1)
          pos = stop
        end
      end
      pos = pos + 1
      return "T_STRING", tconcat(parts), index
    end
    if c == "-" or (c >= "0" and c <= "9") then
      if not cfg.decode_invalid and is_invalid_number(pos) then
        return "T_ERROR", "invalid number", index
      end
      local m = number_prefix(pos)
      if not m then return "T_ERROR", "invalid number", index end
      pos = pos + #m
      return "T_NUMBER", tonumber(m) or py("strtod", m), index
    end
    if ssub(s, pos, pos + 3) == "true" then pos = pos + 4; return "T_BOOLEAN", true, index end
    if ssub(s, pos, pos + 4) == "false" then pos = pos + 5; return "T_BOOLEAN", false, index end
    if ssub(s, pos, pos + 3) == "null" then pos = pos + 4; return "T_NULL", null, index end
    if cfg.decode_invalid and is_invalid_number(pos) then
      local m = number_prefix(pos)
      if not m then return "T_ERROR", "invalid number", index end
      pos = pos + #m
      return "T_NUMBER", tonumber(m) or py("strtod", m), index
    end
    return "T_ERROR", "invalid token", index
  end

  local function parse_error(expected, kind, value, index)
    local found = kind
    if kind == "T_ERROR" then found = value end
    fail("Expected " .. expected .. " but found " .. found .. " at character " .. (index + 1))
  end

  local process_value

  local function descend()
    depth = depth + 1
    if depth > cfg.decode_max_depth then
      fail("Found too many nested data structures (" .. depth .. ") at character " .. (pos - 1))
    end
  end

  local function parse_object()
    descend()
    local t = {}
    local kind, value, index = next_token()
    if kind == "T_OBJ_END" then depth = depth - 1; return t end
    while true do
      if kind ~= "T_STRING" then parse_error("object key string", kind, value, index) end
      local key = value
      kind, value, index = next_token()
      if kind ~= "T_COLON" then parse_error("colon", kind, value, index) end
      kind, value, index = next_token()
      t[key] = process_value(kind, value, index)
      kind, value, index = next_token()
      if kind == "T_OBJ_END" then depth = depth - 1; return t end
      if kind ~= "T_COMMA" then parse_error("comma or object end", kind, value, index) end
      kind, value, index = next_token()
    end
  end

  local function parse_array()
    descend()
    local t = {}
    local kind, value, index = next_token()
    if kind == "T_ARR_END" then depth = depth - 1; return t end
    local i = 1
    while true do
      t[i] = process_value(kind, value, index)
      i = i + 1
      kind, value, index = next_token()
      if kind == "T_ARR_END" then depth = depth - 1; return t end
      if kind ~= "T_COMMA" then parse_error("comma or array end", kind, value, index) end
      kind, value, index = next_token()
    end
  end

  process_value = function(kind, value, index)
    if kind == "T_STRING" or kind == "T_NUMBER" or kind == "T_BOOLEAN" or kind == "T_NULL" then
      return value
    elseif kind == "T_OBJ_BEGIN" then
      return parse_object()
    elseif kind == "T_ARR_BEGIN" then
      return parse_array()
    end
    parse_error("value", kind, value, index)
  end

  local function decode_impl(text)
    s, pos, len, depth = text, 1, #text, 0
    if len >= 2 and (sbyte(s, 1) == 0 or sbyte(s, 2) == 0) then
      fail("JSON parser does not support UTF-16 or UTF-32")
    end
    local kind, value, index = next_token()
    local result = process_value(kind, value, index)
    kind, value, index = next_token()
    if kind ~= "T_END" then parse_error("the end", kind, value, index) end
    s = nil
    return result
  end

  local cjson = {_NAME = "cjson", _VERSION = "2.1.0", null = null}

  function cjson.encode(...)
    if select('#', ...) ~= 1 then error("bad argument #1 to 'encode' (expected 1 argument)", 2) end
    return run(encode_impl, (...))
  end

  function cjson.decode(...)
    if select('#', ...) ~= 1 then error("bad argument #1 to 'decode' (expected 1 argument)", 2) end
    local text = ...
    local tt = type(text)
    if tt == "number" then text = tostring(text)
    elseif tt ~= "string" then
      error("bad argument #1 to 'decode' (string expected, got " .. typename_arg(1, ...) .. ")", 2)
    end
    return run(decode_impl, text)
  end

  local function int_option(name, field, lo, hi)
    return function(...)
      if select('#', ...) > 0 then
        local v = tonumber((...))
        if v == nil or v < lo or v > hi then
          error("bad argument #1 to '" .. name .. "' (expected integer between " .. lo .. " and " .. hi .. ")", 2)
        end
        cfg[field] = floor(v)
      end
      return cfg[field]
    end
  end
  local function bool_option(name, field)
    return function(...)
      if select('#', ...) > 0 then
        local v = ...
        if v == "on" then v = true elseif v == "off" then v = false end
        if type(v) ~= "boolean" then
          error("bad argument #1 to '" .. name .. "' (invalid option '" .. tostring(v) .. "')", 2)
        end
        cfg[field] = v
      end
      return cfg[field]
    end
  end

  cjson.encode_max_depth = int_option("encode_max_depth", "encode_max_depth", 1, 2147483647)
  cjson.decode_max_depth = int_option("decode_max_depth", "decode_max_depth", 1, 2147483647)
  cjson.encode_number_precision = int_option("encode_number_precision", "precision", 1, 14)
  cjson.encode_keep_buffer = bool_option("encode_keep_buffer", "keep_buffer")
  cjson.decode_invalid_numbers = bool_option("decode_invalid_numbers", "decode_invalid")
  function cjson.encode_invalid_numbers(...)
    if select('#', ...) > 0 then
      local v = ...
      if v == "on" or v == true then cfg.encode_invalid = true
      elseif v == "off" or v == false then cfg.encode_invalid = false
      elseif v == "null" then cfg.encode_invalid = "null"
      else error("bad argument #1 to 'encode_invalid_numbers' (invalid option '" .. tostring(v) .. "')", 2) end
    end
    return cfg.encode_invalid
  end
  function cjson.encode_sparse_array(...)
    local n = select('#', ...)
    if n >= 1 then
      local v = ...
      if v == "on" then v = true elseif v == "off" then v = false end
      if v ~= nil then cfg.sparse_convert = v end
    end
    if n >= 2 then cfg.sparse_ratio = floor(tonumber((select(2, ...))) or cfg.sparse_ratio) end
    if n >= 3 then cfg.sparse_safe = floor(tonumber((select(3, ...))) or cfg.sparse_safe) end
    return cfg.sparse_convert, cfg.sparse_ratio, cfg.sparse_safe
  end
  cjson.new = new
  return cjson
end

api.install_lib("cjson", new())
"""


# -- cmsgpack (lua-cmsgpack 0.4.0) -------------------------------------------------------------------
CMSGPACK = r"""
local api, py = ...
local type, select, error, tostring, tonumber, next, pcall, unpack =
      type, select, error, tostring, tonumber, next, pcall, unpack
local floor, huge = math.floor, math.huge
local sbyte, schar, ssub = string.byte, string.char, string.sub
local tconcat = table.concat
local typename_arg = api.typename_arg

local MAX_NESTING = 16
local Fail = {}
local function fail(msg) error({[Fail] = msg}, 0) end

-- ---- pack ----
local function be_bytes(n, count)  -- n: a non-negative integral double < 2^64
  local t = {}
  for i = count, 1, -1 do
    t[i] = n % 256
    n = floor(n / 256)
  end
  return schar(unpack(t))
end

local function encode_int(n, out)
  if n >= 0 then
    if n <= 127 then out[#out + 1] = schar(n)
    elseif n <= 0xff then out[#out + 1] = "\204" .. schar(n)
    elseif n <= 0xffff then out[#out + 1] = "\205" .. be_bytes(n, 2)
    elseif n <= 0xffffffff then out[#out + 1] = "\206" .. be_bytes(n, 4)
    else out[#out + 1] = "\207" .. be_bytes(n, 8) end
  else
    local function neg(count)  -- two's complement, in 32-bit halves to stay exact
      if count <= 4 then return be_bytes(n + 2 ^ (8 * count), count) end
      local hi = floor(n / 4294967296)
      local lo = n - hi * 4294967296
      return be_bytes(hi + 4294967296, 4) .. be_bytes(lo, 4)
    end
    if n >= -32 then out[#out + 1] = schar(256 + n)
    elseif n >= -128 then out[#out + 1] = "\208" .. schar(256 + n)
    elseif n >= -32768 then out[#out + 1] = "\209" .. neg(2)
    elseif n >= -2147483648 then out[#out + 1] = "\210" .. neg(4)
    else out[#out + 1] = "\211" .. neg(8) end
  end
end

local function encode_number(n, out)
  if n == n and n ~= huge and n ~= -huge and floor(n) == n
     and n >= -9223372036854775808 and n < 9223372036854775808 then
    encode_int(n, out)
  else
    out[#out + 1] = py("mp_double", n)
  end
end

local function encode_string(s, out)
  local l = #s
  if l < 32 then out[#out + 1] = schar(0xa0 + l)
  elseif l <= 0xff then out[#out + 1] = "\217" .. schar(l)
  elseif l <= 0xffff then out[#out + 1] = "\218" .. be_bytes(l, 2)
  else out[#out + 1] = "\219" .. be_bytes(l, 4) end
  out[#out + 1] = s
end

local encode_value

local function is_array(t)
  local count, max = 0, 0
  for k in next, t do
    if type(k) ~= "number" or k <= 0 or floor(k) ~= k or k >= 2147483648 then return false end
    if k > max then max = k end
    count = count + 1
  end
  return max == count
end

encode_value = function(v, level, out)
  local tv = type(v)
  if tv == "table" and level == MAX_NESTING then tv = "nil" end
  if tv == "string" then
    encode_string(v, out)
  elseif tv == "boolean" then
    out[#out + 1] = v and "\195" or "\194"
  elseif tv == "number" then
    encode_number(v, out)
  elseif tv == "table" then
    if is_array(v) then
      local n = #v
      if n < 16 then out[#out + 1] = schar(0x90 + n)
      elseif n <= 0xffff then out[#out + 1] = "\220" .. be_bytes(n, 2)
      else out[#out + 1] = "\221" .. be_bytes(n, 4) end
      for i = 1, n do encode_value(v[i], level + 1, out) end
    else
      local n = 0
      for _ in next, v do n = n + 1 end
      if n < 16 then out[#out + 1] = schar(0x80 + n)
      elseif n <= 0xffff then out[#out + 1] = "\222" .. be_bytes(n, 2)
      else out[#out + 1] = "\223" .. be_bytes(n, 4) end
      for k, val in next, v do
        encode_value(k, level + 1, out)
        encode_value(val, level + 1, out)
      end
    end
  else
    out[#out + 1] = "\192"
  end
end

local cmsgpack = {
  _NAME = "cmsgpack", _VERSION = "lua-cmsgpack 0.4.0",
  _COPYRIGHT = "Copyright (C) 2012, Salvatore Sanfilippo",
  _DESCRIPTION = "MessagePack C implementation for Lua",
}

function cmsgpack.pack(...)
  local nargs = select('#', ...)
  if nargs == 0 then error("bad argument #0 to 'pack' (MessagePack pack needs input.)", 2) end
  local out = {}
  for i = 1, nargs do encode_value((select(i, ...)), 0, out) end
  return tconcat(out)
end

-- ---- unpack ----
local s, p, left
local EOF, BADFMT = 1, 2

local function need(n)
  if left < n then error(EOF, 0) end
end

local function uint(at, count)
  local v = 0
  for i = at, at + count - 1 do v = v * 256 + sbyte(s, i) end
  return v
end

local function int_signed(at, count)
  local v = uint(at, count)
  local half = 2 ^ (8 * count - 1)
  if v >= half then v = v - 2 * half end
  return v
end

local function int64(at, signed_)
  -- build from two 32-bit halves so the one rounding happens at the end, as C's cast
  local hi, lo = uint(at, 4), uint(at + 4, 4)
  if hi >= 2147483648 then hi = hi - 4294967296 end
  return hi * 4294967296 + lo
end

local decode_value

local function consume(n) p = p + n; left = left - n end

local function decode_array(n)
  local t = {}
  for i = 1, n do
    t[i] = decode_value()
  end
  return t
end

local function decode_map(n)
  local t = {}
  for _ = 1, n do
    local k = decode_value()
    local v = decode_value()
    t[k] = v
  end
  return t
end

decode_value = function()
  need(1)
  local b = sbyte(s, p)
  if b < 0x80 then consume(1); return b end
  if b >= 0xe0 then consume(1); return b - 256 end
  if b >= 0xa0 and b <= 0xbf then
    local l = b - 0xa0
    need(1 + l)
    local v = ssub(s, p + 1, p + l)
    consume(1 + l)
    return v
  end
  if b >= 0x90 and b <= 0x9f then consume(1); return decode_array(b - 0x90) end
  if b >= 0x80 and b <= 0x8f then consume(1); return decode_map(b - 0x80) end
  if b == 0xc0 then consume(1); return nil end
  if b == 0xc2 then consume(1); return false end
  if b == 0xc3 then consume(1); return true end
  if b == 0xcc then need(2); local v = sbyte(s, p + 1); consume(2); return v end
  if b == 0xcd then need(3); local v = uint(p + 1, 2); consume(3); return v end
  if b == 0xce then need(5); local v = uint(p + 1, 4); consume(5); return v end
  if b == 0xcf or b == 0xd3 then need(9); local v = int64(p + 1); consume(9); return v end
  if b == 0xd0 then need(2); local v = int_signed(p + 1, 1); consume(2); return v end
  if b == 0xd1 then need(3); local v = int_signed(p + 1, 2); consume(3); return v end
  if b == 0xd2 then need(5); local v = int_signed(p + 1, 4); consume(5); return v end
  if b == 0xca then need(5); local v = py("mp_float", ssub(s, p + 1, p + 4)); consume(5); return v end
  if b == 0xcb then need(9); local v = py("mp_float", ssub(s, p + 1, p + 8)); consume(9); return v end
  if b == 0xd9 then
    need(2); local l = sbyte(s, p + 1); need(2 + l)
    local v = ssub(s, p + 2, p + 1 + l); consume(2 + l); return v
  end
  if b == 0xda then
    need(3); local l = uint(p + 1, 2); need(3 + l)
    local v = ssub(s, p + 3, p + 2 + l); consume(3 + l); return v
  end
  if b == 0xdb then
    need(5); local l = uint(p + 1, 4); need(5 + l)
    local v = ssub(s, p + 5, p + 4 + l); consume(5 + l); return v
  end
  if b == 0xdc then need(3); local l = uint(p + 1, 2); consume(3); return decode_array(l) end
  if b == 0xdd then need(5); local l = uint(p + 1, 4); consume(5); return decode_array(l) end
  if b == 0xde then need(3); local l = uint(p + 1, 2); consume(3); return decode_map(l) end
  if b == 0xdf then need(5); local l = uint(p + 1, 4); consume(5); return decode_map(l) end
  error(BADFMT, 0)
end

local function unpack_full(fname, limit, offset, ...)
  local data = ...
  local td = type(data)
  if td == "number" then data = tostring(data)
  elseif td ~= "string" then
    error("bad argument #1 to '" .. fname .. "' (string expected, got " .. typename_arg(1, ...) .. ")", 3)
  end
  local len = #data
  local decode_all = limit == 0 and offset == 0
  if offset < 0 or limit < 0 then
    error("Invalid request to unpack with offset of " .. offset .. " and limit of " .. len .. ".", 3)
  elseif offset > len then
    error("Start offset " .. offset .. " greater than input length " .. len .. ".", 3)
  end
  if decode_all then limit = huge end
  s, p, left = data, offset + 1, len - offset
  local results, n = {}, 0
  while left > 0 and n < limit do
    local ok, v = pcall(decode_value)
    if not ok then
      s = nil
      if v == EOF then error("Missing bytes in input.", 3) end
      if v == BADFMT then error("Bad data format in input.", 3) end
      error(v, 0)
    end
    n = n + 1
    results[n] = v
  end
  s = nil
  if decode_all then return unpack(results, 1, n) end
  return (left == 0) and -1 or (len - left), unpack(results, 1, n)
end

function cmsgpack.unpack(...)
  return unpack_full("unpack", 0, 0, ...)
end

function cmsgpack.unpack_one(...)
  local offset = select(2, ...)
  offset = offset == nil and 0 or api.toint(tonumber(offset) or 0)
  return unpack_full("unpack_one", 1, offset, (...))
end

function cmsgpack.unpack_limit(...)
  local limit, offset = select(2, ...)
  if tonumber(limit) == nil then
    error("bad argument #2 to 'unpack_limit' (number expected, got " .. typename_arg(2, ...) .. ")", 2)
  end
  offset = offset == nil and 0 or api.toint(tonumber(offset) or 0)
  return unpack_full("unpack_limit", api.toint(tonumber(limit)), offset, (...))
end

api.install_lib("cmsgpack", cmsgpack)
"""

LIBS: list[tuple[str, str]] = [("bit", BIT), ("struct", STRUCT), ("cjson", CJSON), ("cmsgpack", CMSGPACK)]


# -- Python helpers -------------------------------------------------------------------------------------
def _barg(n: float) -> int:
    """BitOp's conversion of any double to 32 bits: add 2^52+2^51, keep the low word."""
    (bits,) = _struct.unpack("<Q", _struct.pack("<d", float(n) + 6755399441055744.0))
    return int(bits & 0xFFFFFFFF)


_HEX_FLOAT = re.compile(r"^[+-]?0[xX]")


def _strtod(text: bytes) -> float:
    s = text.decode("latin-1")
    if _HEX_FLOAT.match(s):
        return float.fromhex(s)
    try:
        return float(s)
    except ValueError:
        return 0.0


_MAXINTSIZE = 32
_MAXALIGN = 8


class _StructError(Exception):
    def __init__(self, message: str, argn: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.argn = argn


def _getnum(fmt: bytes, i: int, default: int) -> tuple[int, int]:
    if i >= len(fmt) or not 48 <= fmt[i] <= 57:
        return default, i
    a = 0
    while i < len(fmt) and 48 <= fmt[i] <= 57:
        if a > (2**31 - 1) // 10 or a * 10 > (2**31 - 1) - (fmt[i] - 48):
            raise _StructError("integral size overflow")
        a = a * 10 + fmt[i] - 48
        i += 1
    return a, i


def _optsize(opt: int, fmt: bytes, i: int) -> tuple[int, int]:
    c = chr(opt)
    if c in "Bb":
        return 1, i
    if c in "Hh":
        return 2, i
    if c in "LlT":
        return 8, i
    if c == "f":
        return 4, i
    if c == "d":
        return 8, i
    if c == "x":
        return 1, i
    if c == "c":
        return _getnum(fmt, i, 1)
    if c in "iI":
        size, i = _getnum(fmt, i, 4)
        if size > _MAXINTSIZE:
            raise _StructError(f"integral size {size} is larger than limit of {_MAXINTSIZE}")
        return size, i
    return 0, i


def _toalign(length: int, align_opt: int, opt: int, size: int) -> int:
    align = 1 if opt == ord("c") else size
    if align <= 1 or align_opt == 1:
        return 0
    if align > align_opt:
        align = align_opt
    if align & (align - 1):
        raise _StructError("alignment must be power of 2")
    return (align - (length & (align - 1))) & (align - 1)


def _control(opt: int, fmt: bytes, i: int, fname: str, state: list[int]) -> int:
    """Endianness and alignment options; state = [little_endian, align]."""
    c = chr(opt)
    if c == " ":
        return i
    if c == ">":
        state[0] = 0
        return i
    if c == "<":
        state[0] = 1
        return i
    if c == "!":
        a, i = _getnum(fmt, i, _MAXALIGN)
        if a <= 0 or a & (a - 1):
            raise _StructError(f"alignment {a} is not a power of 2")
        state[1] = a
        return i
    raise _StructError(f"bad argument #1 to '{fname}' (invalid format option '{c}')")


def _lua_tonumber(v: Any) -> float | None:
    if type(v) in (int, float):
        return float(v)
    if type(v) is bytes:
        try:
            text = v.decode("latin-1").strip()
            if _HEX_FLOAT.match(text):
                return float(int(text, 16))
            if "_" in text:
                return None
            return float(text)
        except ValueError:
            return None
    return None


def _c_int_cast(n: float) -> int:
    """(Uinttype)n for n >= 0, (Uinttype)(Inttype)n otherwise, as x86-64 does it."""
    if n != n or n in (math.inf, -math.inf):
        return 1 << 63
    if n >= 0:
        v = int(n)
        return v if v < 1 << 64 else 0
    v = int(n)
    if v < -(1 << 63):
        return 1 << 63
    return v & 0xFFFFFFFFFFFFFFFF


def struct_pack(fmt: bytes, nargs: int, *args: Any) -> tuple[Any, ...]:
    """struct.pack; returns (bytes,) or (None, message, argument number or None)."""
    out = bytearray()
    state = [1, 1]  # little endian (x86-64 native), align 1
    i = 0
    arg = 2
    total = 0
    try:
        while i < len(fmt):
            opt = fmt[i]
            i += 1
            size, i = _optsize(opt, fmt, i)
            pad = _toalign(total, state[1], opt, size)
            total += pad
            out += b"\0" * pad
            c = chr(opt)
            if c in "bBhHlLTiI":
                n = _lua_tonumber(args[arg - 2] if arg - 2 < len(args) else None)
                if n is None:
                    raise _StructError(f"bad argument #{arg} to 'pack' (number expected, got ", arg)
                value = _c_int_cast(n)
                raw = bytearray()
                for _ in range(size):
                    raw.append(value & 0xFF)
                    value >>= 8
                out += raw if state[0] else raw[::-1]
                arg += 1
            elif c == "x":
                out += b"\0"
            elif c in "fd":
                n = _lua_tonumber(args[arg - 2] if arg - 2 < len(args) else None)
                if n is None:
                    raise _StructError(f"bad argument #{arg} to 'pack' (number expected, got ", arg)
                code = "f" if c == "f" else "d"
                try:
                    out += _struct.pack(("<" if state[0] else ">") + code, n)
                except OverflowError:
                    out += _struct.pack(("<" if state[0] else ">") + code, math.copysign(math.inf, n))
                arg += 1
            elif c in "cs":
                value = args[arg - 2] if arg - 2 < len(args) else None
                if type(value) in (int, float):
                    value = _lua_number_text(value)
                if type(value) is not bytes:
                    raise _StructError(f"bad argument #{arg} to 'pack' (string expected, got ", arg)
                if size == 0:
                    size = len(value)
                if len(value) < size:
                    # C reports the argument after it (luaL_checklstring(L, arg++) came first)
                    raise _StructError(f"bad argument #{arg + 1} to 'pack' (string too short)")
                out += value[:size]
                if c == "s":
                    out += b"\0"
                    size += 1
                arg += 1
            else:
                i = _control(opt, fmt, i, "pack", state)
            total += size
    except _StructError as exc:
        return (None, exc.message, exc.argn)
    return (bytes(out),)


def _lua_number_text(n: float) -> bytes:
    """Lua 5.1's tostring of a number ("%.14g")."""
    return (b"%.14g" % n) if n == n else b"nan"


def struct_unpack(fmt: bytes, data: bytes, pos: Any) -> tuple[Any, ...]:
    """struct.unpack; returns (True, values..., next position) or (None, message)."""
    state = [1, 1]
    ld = len(data)
    p = int(pos) if type(pos) is int else int(float(pos))
    if p <= 0:
        return (None, "bad argument #3 to 'unpack' (offset must be 1 or greater)")
    p -= 1
    results: list[Any] = []
    i = 0
    try:
        while i < len(fmt):
            opt = fmt[i]
            i += 1
            size, i = _optsize(opt, fmt, i)
            p += _toalign(p, state[1], opt, size)
            if not (size <= ld and p <= ld - size):
                raise _StructError("bad argument #2 to 'unpack' (data string too short)")
            c = chr(opt)
            if c in "bBhHlLTiI":
                raw = data[p:p + size]
                if state[0]:
                    raw = raw[::-1]
                value = 0
                for byte in raw:
                    value = ((value << 8) | byte) & 0xFFFFFFFFFFFFFFFF
                if c.islower():
                    bits = min(size * 8, 64)
                    if size * 8 <= 64 and value & (1 << (bits - 1)):
                        value -= 1 << bits
                    elif size * 8 > 64 and value & (1 << 63):
                        value -= 1 << 64
                results.append(float(value))
            elif c == "x":
                pass
            elif c in "fd":
                code = ("<" if state[0] else ">") + c
                (value_f,) = _struct.unpack(code, data[p:p + size])
                results.append(value_f)
            elif c == "c":
                if size == 0:
                    if not results or type(results[-1]) is not float:
                        raise _StructError("format 'c0' needs a previous size")
                    size = int(results.pop())
                    if not (size <= ld and p <= ld - size):
                        raise _StructError("bad argument #2 to 'unpack' (data string too short)")
                results.append(data[p:p + size])
            elif c == "s":
                end = data.find(b"\0", p)
                if end < 0:
                    raise _StructError("unfinished string in data")
                size = end - p + 1
                results.append(data[p:end])
            else:
                i = _control(opt, fmt, i, "unpack", state)
            p += size
    except _StructError as exc:
        return (None, exc.message)
    return (True, *results, p + 1)


def struct_size(fmt: bytes) -> tuple[Any, ...]:
    """struct.size; returns (size,) or (None, message)."""
    state = [1, 1]
    pos = 0
    i = 0
    try:
        while i < len(fmt):
            opt = fmt[i]
            i += 1
            size, i = _optsize(opt, fmt, i)
            pos += _toalign(pos, state[1], opt, size)
            if opt == ord("s"):
                raise _StructError("bad argument #1 to 'size' (option 's' has no fixed size)")
            if opt == ord("c") and size == 0:
                raise _StructError("bad argument #1 to 'size' (option 'c0' has no fixed size)")
            if not chr(opt).isalnum():
                i = _control(opt, fmt, i, "size", state)
            pos += size
    except _StructError as exc:
        return (None, exc.message)
    return (pos,)


def _mp_double(n: float) -> bytes:
    """cmsgpack's mp_encode_double: float32 when it loses nothing, else float64."""
    n = float(n)
    try:
        single = _struct.pack(">f", n)
        if _struct.unpack(">f", single)[0] == n:
            return b"\xca" + single
    except OverflowError:
        pass
    return b"\xcb" + _struct.pack(">d", n)


def _mp_float(raw: bytes) -> float:
    return float(_struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0])


class LibHelpers:
    """The Python half of the libraries, reached through one bridge function."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    def bridge(self, op: bytes, *args: Any) -> Any:
        """Dispatch one helper call from Lua (plain values in and out, never raises)."""
        try:
            if op == b"barg":
                return _barg(args[0])
            if op == b"band":
                v = 0xFFFFFFFF
                for a in args:
                    v &= int(a)
                return v
            if op == b"bor":
                v = 0
                for a in args:
                    v |= int(a)
                return v
            if op == b"bxor":
                v = 0
                for a in args:
                    v ^= int(a)
                return v
            if op == b"struct_pack":
                return self.struct_bridge(
                    struct_pack(args[0], int(args[1]), *[None if a is False else a for a in args[2:]])
                )
            if op == b"struct_unpack":
                return self.struct_bridge(struct_unpack(args[0], args[1], args[2]))
            if op == b"struct_size":
                return self.struct_bridge(struct_size(args[0]))
            if op == b"mp_double":
                return _mp_double(args[0])
            if op == b"mp_float":
                return _mp_float(args[0])
            if op == b"strtod":
                return _strtod(args[0])
        except Exception as exc:  # never hand Lua a Python exception
            return None, f"internal error in {op.decode()}: {exc}".encode()
        return None

    def struct_bridge(self, result: tuple[Any, ...]) -> tuple[Any, ...]:
        """Error messages as bytes (the runtime hands Lua bytes, never str)."""
        return tuple(x.encode() if type(x) is str else x for x in result)
