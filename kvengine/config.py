"""Configuration: every parameter of Redis 7.0, by Redis's name, for CONFIG GET/SET.

The parameters, their types, defaults, ranges and flags come from the data table in
:mod:`kvengine.config_table`.  Every one is known: CONFIG GET reports it and CONFIG SET
validates it with Redis 7's texts.  A module that acts on a setting registers a live
:class:`Param` (``register(Param(...))`` or :func:`attr_param`) with its own getter and
setter; the others are *inert*: stored per server and reported, with no effect
in-process (``port``, ``bind``, ``io-threads`` ...; docs/config.md lists which is which).
CONFIG GET, CONFIG SET and the Engine's keyword arguments all go through here, so a
setting is validated one way only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine.config_table import HIDDEN, IMMUTABLE, PROTECTED, SPECS, Spec

if TYPE_CHECKING:
    from kvengine.server import Server

Getter = Callable[["Server"], str]
Setter = Callable[["Server", str], None]


class ConfigError(ValueError):
    """A value CONFIG SET refuses; the message is Redis's text after the dash."""


@dataclass
class Param:
    """One setting: its Redis name, how to read it, how to set it (None: read-only).

    `spec` is its row of Redis's table (validation); `live` is False for a setting
    kvengine only stores and reports.
    """

    name: str
    get: Getter
    set: Setter | None = None
    aliases: tuple[str, ...] = ()
    spec: Spec | None = None
    live: bool = True


SPEC_BY_NAME: dict[str, Spec] = {s.name: s for s in SPECS}
PARAMS: dict[str, Param] = {}
_CANONICAL: dict[str, str] = {}


def register(param: Param) -> Param:
    """Add (or make live) a setting (module import time); Redis's alias comes along."""
    spec = param.spec or SPEC_BY_NAME.get(param.name)
    aliases = set(param.aliases)
    if spec is not None and spec.alias:
        aliases.add(spec.alias)
    param.spec = spec
    param.aliases = tuple(sorted(aliases))
    for name in (param.name, *param.aliases):
        PARAMS[name] = param
        _CANONICAL[name] = param.name
    return param


# -- value parsers with Redis's texts ---------------------------------------------------
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}
_DIGITS = re.compile(r"[0-9]*")
_LL = re.compile(r"-?[1-9][0-9]*|0")
_STRTOLL = re.compile(r"\s*[+-]?[0-9]*")
ULLONG_MAX = 2**64 - 1


def memtoull(text: str) -> int | None:
    """Redis's memtoull: digits and an optional unit (b, k, kb, m, mb, g, gb, any case);
    None when it is not a memory value."""
    if text.startswith("-"):
        return None
    digits = _DIGITS.match(text).group()  # type: ignore[union-attr]
    unit = text[len(digits):].lower()
    if unit not in _UNITS or len(digits) >= 128:
        return None
    value = min(int(digits or "0"), ULLONG_MAX)  # strtoull saturates
    if value and value * _UNITS[unit] > ULLONG_MAX:
        return None
    return value * _UNITS[unit]


def string2ll(text: str) -> int | None:
    """Redis's string2ll: a plain decimal, no sign '+', no spaces or leading zeros."""
    if not _LL.fullmatch(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def parse_memory(value: str | int) -> int:
    """A memory value ("100mb", "1gb", "5k", plain bytes) or ConfigError."""
    if isinstance(value, int):
        if value < 0:
            raise ConfigError("argument must be a memory value")
        return value
    number = memtoull(value)
    if number is None:
        raise ConfigError("argument must be a memory value")
    return number


def parse_bool(value: str) -> bool:
    text = value.lower()
    if text in ("yes", "no"):
        return text == "yes"
    raise ConfigError("argument must be 'yes' or 'no'")


def parse_int(value: str, lo: int, hi: int) -> int:
    number = string2ll(value)
    if number is None:
        raise ConfigError("argument couldn't be parsed into an integer")
    if not lo <= number <= hi:
        raise ConfigError(f"argument must be between {lo} and {hi} inclusive")
    return number


def parse_enum(value: str, choices: Iterable[str]) -> str:
    options = list(choices)
    text = value.lower()
    if text not in options:
        raise ConfigError("argument(s) must be one of the following: " + ", ".join(options))
    return text


INT_MAX = 2**31 - 1


def _strtoll(text: str) -> int | None:
    """C strtoll(text, &end, 10) with *end == '\\0' required (save, oom-score-adj-values)."""
    if not _STRTOLL.fullmatch(text):
        return None
    digits = text.strip()
    return int(digits) if digits.lstrip("+-") else 0


def _split(text: str) -> list[str]:
    """sdssplitlen(value, " "): MULTI_ARG values, empty pieces kept."""
    return text.split(" ") if text else []


# -- special parameters (their own parsers in Redis) ------------------------------------
def _norm_save(text: str) -> str:
    args = _split(text)
    if len(args) == 1 and args[0] == "":
        args = []
    if len(args) % 2:
        raise ConfigError("Invalid save parameters")
    numbers = []
    for j, arg in enumerate(args):
        value = _strtoll(arg)
        if value is None or (j % 2 == 0 and value < 1) or (j % 2 == 1 and value < 0):
            raise ConfigError("Invalid save parameters")
        numbers.append(value)
    return " ".join(str(n) for n in numbers)


_CLIENT_CLASSES = {"normal": 0, "slave": 1, "replica": 1, "pubsub": 2}


def _norm_obuf(text: str, current: str) -> str:
    args = _split(text)
    if len(args) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    limits = current.split(" ")
    rows = [limits[i:i + 4] for i in range(0, 12, 4)]
    for j in range(0, len(args), 4):
        cls = _CLIENT_CLASSES.get(args[j].lower())
        if cls is None:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        hard, soft = memtoull(args[j + 1]), memtoull(args[j + 2])
        seconds = _strtoll(args[j + 3])
        if hard is None or soft is None or seconds is None or seconds < 0:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        rows[cls] = [rows[cls][0], str(hard), str(soft), str(seconds)]
    return " ".join(" ".join(r) for r in rows)


def _norm_oom_values(text: str) -> str:
    args = _split(text)
    if len(args) != 3:
        raise ConfigError("wrong number of arguments")
    out = []
    for arg in args:
        value = _strtoll(arg)
        if value is None or not -2000 <= value <= 2000:
            raise ConfigError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
        out.append(str(value))
    return " ".join(out)


_EVENT_FLAGS = {"K": 1, "E": 2, "g": 4, "$": 8, "l": 16, "s": 32, "h": 64, "z": 128, "x": 256,
                "e": 512, "t": 1024, "m": 2048, "d": 8192, "n": 16384}
_NOTIFY_ALL = 4 | 8 | 16 | 32 | 64 | 128 | 256 | 512 | 1024 | 8192


def _norm_events(text: str) -> str:
    """keyspaceEventsStringToFlags then keyspaceEventsFlagsToString."""
    flags = 0
    for ch in text:
        if ch == "A":
            flags |= _NOTIFY_ALL
        elif ch in _EVENT_FLAGS:
            flags |= _EVENT_FLAGS[ch]
        else:
            raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    if flags & _NOTIFY_ALL == _NOTIFY_ALL:
        out = "A"
    else:
        out = "".join(ch for ch in "g$lshzxetdn" if flags & _EVENT_FLAGS[ch])
    return out + "".join(ch for ch in "KEm" if flags & _EVENT_FLAGS[ch])


def _norm_bind(text: str) -> str:
    args = _split(text)
    if len(args) > 16:
        raise ConfigError("Too many bind addresses specified.")
    return " ".join(args)


def _norm_percentiles(text: str) -> str:
    args = _split(text)
    if len(args) == 1 and args[0] == "":
        return ""
    out = []
    for arg in args:
        try:
            if arg != arg.strip() or not arg or arg.lower() in ("nan", "inf", "-inf", "+inf"):
                raise ValueError
            value = float(arg)
        except ValueError:
            raise ConfigError("Invalid latency-tracking-info-percentiles parameters") from None
        if not 0.0 <= value <= 100.0:
            raise ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
        text = f"{value:f}"  # "%f" with trailing zeros trimmed (trimDoubleString)
        out.append(text.rstrip("0").rstrip(".") if "." in text else text)
    return " ".join(out)


def _norm_dir(text: str) -> str:
    if not os.path.isdir(text):
        raise ConfigError(os.strerror(2 if not os.path.exists(text) else 20))
    return os.path.abspath(text)


_PROC_TITLE_VARS = ("title", "listen-addr", "server-mode", "port", "tls-port", "unixsocket", "config-file")


def _valid_proc_title(text: str) -> bool:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "{":
            if text.startswith("{{", i):
                out.append("{")
                i += 2
                continue
            end = text.find("}", i)
            if end < 0 or text[i + 1:end] not in _PROC_TITLE_VARS:
                return False
            out.append("" if text[i + 1:end] in ("title", "server-mode", "unixsocket", "config-file") else "x")
            i = end + 1
        elif ch == "}":
            if not text.startswith("}}", i):
                return False
            out.append("}")
            i += 2
        else:
            out.append(ch)
            i += 1
    return bool("".join(out).strip(" "))


def _check_string(name: str, text: str) -> None:
    """The string parameters' is_valid functions."""
    if name == "dbfilename" and os.path.basename(text) != text:
        raise ConfigError("dbfilename can't be a path, just a filename")
    if name in ("appendfilename", "appenddirname"):
        what = "filename" if name == "appendfilename" else "dirname"
        if not text:
            raise ConfigError(f"{name} can't be empty")
        if os.path.basename(text) != text:
            raise ConfigError(f"{name} can't be a path, just a {what}")
    if name == "cluster-announce-hostname" and text:
        if len(text) >= 256:
            raise ConfigError("Hostnames must be less than 256 characters")
        if not re.fullmatch(r"[A-Za-z0-9.-]*", text):
            raise ConfigError("Hostnames may only contain alphanumeric characters, hyphens or dots")
    if name == "proc-title-template" and not _valid_proc_title(text):
        raise ConfigError("template format is invalid or contains unknown variables")


_ENUM_CANONICAL = {"oom-score-adj": {"relative": "yes"}}  # two names, one value: GET prints the first
_TLS_SWITCHES = {"tls-port": "0", "tls-cluster": "no", "tls-replication": "no"}
_MULTI_BITS = {"default": 0, "save": 1, "nosave": 2, "now": 4, "force": 8}  # shutdown-on-sig*


def normalize(spec: Spec, text: str, current: str) -> str:
    """Validate `text` for `spec` as Redis's CONFIG SET does; the value as CONFIG GET prints it."""
    kind = spec.type
    if kind == "bool":
        value = "yes" if parse_bool(text) else "no"
        if spec.name == "activedefrag" and value == "yes":
            raise ConfigError(
                "Active defragmentation cannot be enabled: it requires a Redis server compiled "
                "with a modified Jemalloc like the one shipped by default with the Redis source distribution"
            )
    elif kind in ("int", "memory", "mempercent", "octal"):
        number: int | None = None
        if kind in ("memory", "mempercent"):
            number = memtoull(text)
            if number is not None and number > 2**63 - 1 and spec.hi < ULLONG_MAX:
                number -= 2**64  # the C cast of an unsigned value to a signed type
        if number is None and kind == "mempercent" and len(text) > 1 and text.endswith("%"):
            pct = string2ll(text[:-1])
            if pct is not None and pct >= 0:
                number = -pct
        if number is None and kind == "octal":
            if re.fullmatch(r"\s*[+-]?[0-7]+", text):
                number = int(text.strip(), 8)
        if number is None and kind == "int":
            number = string2ll(text)
        if number is None:
            raise ConfigError({
                "mempercent": "argument must be a memory or percent value",
                "memory": "argument must be a memory value",
                "octal": "argument couldn't be parsed as an octal number",
            }.get(kind, "argument couldn't be parsed into an integer"))
        if kind == "mempercent" and number < 0:
            if number < spec.lo:
                raise ConfigError(f"percentage argument must be less or equal to {-spec.lo}")
            return f"{-number}%"
        if not spec.lo <= number <= spec.hi:
            fmt = "o" if kind == "octal" else "d"
            raise ConfigError(f"argument must be between {spec.lo:{fmt}} and {spec.hi:{fmt}} inclusive")
        value = f"{number:o}" if kind == "octal" else str(number)
    elif kind == "enum":
        value = parse_enum(text, spec.choices)
        value = _ENUM_CANONICAL.get(spec.name, {}).get(value, value)
    elif kind == "multienum":
        words = _split(text)
        if not words or any(w.lower() not in spec.choices for w in words):
            raise ConfigError("argument(s) must be one of the following: " + ", ".join(spec.choices))
        bits = 0
        for w in words:
            bits |= _MULTI_BITS[w.lower()]
        if bits & 1 and bits & 2:
            raise ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously")
        value = " ".join(w for w, b in _MULTI_BITS.items() if b and bits & b) or "default"
    elif kind == "string":
        _check_string(spec.name, text)
        value = text
    else:
        value = {
            "save": _norm_save,
            "oom-score-adj-values": _norm_oom_values,
            "notify-keyspace-events": _norm_events,
            "bind": _norm_bind,
            "latency-tracking-info-percentiles": _norm_percentiles,
            "dir": _norm_dir,
        }[spec.name](text) if spec.name != "client-output-buffer-limit" else _norm_obuf(text, current)
    if spec.name in _TLS_SWITCHES and value != _TLS_SWITCHES[spec.name]:
        # Redis tries to configure OpenSSL here and fails without certificates; in-process
        # there is no TLS to configure, so the same refusal.
        raise ConfigError("Unable to update TLS configuration. Check server logs.")
    return value


# -- inert parameters: stored per server -----------------------------------------------
def _store(srv: Server) -> dict[str, str]:
    store: dict[str, str] | None = getattr(srv, "config_values", None)
    if store is None:
        store = {s.name: s.default for s in SPECS}
        srv.config_values = store  # type: ignore[attr-defined]
    return store


def value_of(srv: Server, name: str) -> str:
    """The current text of a parameter (live or inert), as CONFIG GET prints it."""
    return PARAMS[name].get(srv)


def _inert(spec: Spec) -> Param:
    name = spec.name

    def get(srv: Server) -> str:
        if name == "dir":
            return os.getcwd()
        return _store(srv)[name]

    def set_(srv: Server, text: str) -> None:
        _store(srv)[name] = text

    return Param(name, get, set_, spec=spec, live=False)


for _spec in SPECS:
    register(_inert(_spec))


def attr_param(
    name: str,
    attr: str,
    kind: str,
    *,
    lo: int = 0,
    hi: int = INT_MAX,
    choices: Iterable[str] = (),
    apply: Callable[[Server], None] | None = None,
    owner: Callable[[Server], Any] | None = None,
) -> Param:
    """A live setting stored as an attribute (of the server, or of ``owner(server)``).

    `kind` is "bool", "int", "memory", "enum" or "string"; `apply` runs after a change.
    Redis's table validates the text first; `lo`/`hi`/`choices` matter for a setting
    Redis does not have.
    """
    target = owner or (lambda srv: srv)
    options = tuple(choices)

    def get(srv: Server) -> str:
        value = getattr(target(srv), attr)
        if kind == "bool":
            return "yes" if value else "no"
        return str(value)

    def set_(srv: Server, text: str) -> None:
        value: Any
        if kind == "bool":
            value = parse_bool(text)
        elif kind == "int":
            value = parse_int(text, lo, hi)
        elif kind == "memory":
            value = parse_memory(text)
        elif kind == "enum":
            value = parse_enum(text, options)
        else:
            value = text
        setattr(target(srv), attr, value)
        if apply is not None:
            apply(srv)

    return register(Param(name, get, set_))


def module_param(name: str, module: Any, attr: str) -> Param:
    """A live integer setting kept as a module constant (the encoding thresholds of
    t_hash, t_set, t_zset), so the hot path reads a global.  Process-wide: every
    engine in the process shares it (a documented difference from Redis)."""

    def get(srv: Server) -> str:
        return str(getattr(module, attr))

    def set_(srv: Server, text: str) -> None:
        setattr(module, attr, int(text))

    return register(Param(name, get, set_))


# -- CONFIG GET / SET ------------------------------------------------------------------
def config_get(srv: Server, patterns: list[str]) -> list[tuple[str, str]]:
    """(name, value) for every setting matching any of `patterns`, as Redis 7 answers:
    an exact name (any case) is echoed as given, hidden ones need an exact name, a
    pattern matches names and aliases case-insensitively."""
    from kvengine.keys import glob_match

    out: dict[str, str] = {}
    for pattern in patterns:
        if not any(ch in pattern for ch in "*?["):
            param = PARAMS.get(pattern.lower())
            if param is not None and pattern not in out:
                out[pattern] = param.get(srv)
            continue
        pat = pattern.lower().encode()
        for name, param in PARAMS.items():
            if name in out or (param.spec is not None and param.spec.flags & HIDDEN):
                continue
            if glob_match(pat, name.encode()):
                out[name] = param.get(srv)
    return list(out.items())


def _protected_allowed(srv: Server) -> bool:
    # "local" allows local clients; every in-process caller is local.
    return _store(srv)["enable-protected-configs"] in ("yes", "local")


def config_set(srv: Server, pairs: list[tuple[str, str]], *, startup: bool = False) -> None:
    """Validate and apply every pair, all or nothing (Redis 7's multi-argument CONFIG SET).

    `startup` (the Engine's keyword arguments, Redis's config file) may set immutable
    and protected parameters.
    """
    seen: set[str] = set()
    for name, _ in pairs:
        param = PARAMS.get(name.lower())
        if param is None:
            raise e.err(f"Unknown option or number of arguments for CONFIG SET - '{name}'")
        flags = param.spec.flags if param.spec is not None else 0
        if not startup and (param.set is None or flags & IMMUTABLE):
            raise e.err(f"CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config")
        if not startup and flags & PROTECTED and not _protected_allowed(srv):
            raise e.err(f"CONFIG SET failed (possibly related to argument '{name}') - can't set protected config")
        # An alias is its own entry in Redis's table: "hash-max-ziplist-entries 1
        # hash-max-listpack-entries 2" is no duplicate (the last one wins).
        if name.lower() in seen:
            raise e.err(f"CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter")
        seen.add(name.lower())
    applied: list[tuple[Param, str]] = []
    try:
        for name, value in pairs:
            param = PARAMS[name.lower()]
            setter = param.set
            if setter is None:
                raise TypeError(f"{param.name} cannot be set")
            old = param.get(srv)
            try:
                text = value if param.spec is None else normalize(param.spec, value, old)
                setter(srv, text)
            except ConfigError as exc:
                raise e.err(
                    f"CONFIG SET failed (possibly related to argument '{name.lower()}') - {exc}"
                ) from None
            applied.append((param, old))
    except (e.RedisError, TypeError):
        for param, old in reversed(applied):  # restore what was applied before the failure
            assert param.set is not None
            try:
                param.set(srv, old)
            except ConfigError:  # pragma: no cover - old values were valid
                pass
        raise


def apply_options(srv: Server, options: dict[str, Any]) -> None:
    """Engine keyword arguments (``maxmemory_policy="allkeys-lru"``) through the table.

    Python spellings use underscores; values may be Python values (True, 5, "100mb").
    Immutable and protected parameters can be set here, as in Redis's config file.
    """
    pairs = []
    for key, value in options.items():
        name = key.replace("_", "-").lower()
        if name not in PARAMS:
            name = key.lower()  # server_cpulist and friends keep Redis's underscores
        if name not in PARAMS or PARAMS[name].set is None:
            raise TypeError(f"unknown engine option {key!r}")
        if isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = str(value)
        pairs.append((name, text))
    try:
        config_set(srv, pairs, startup=True)
    except e.RedisError as exc:
        raise ValueError(str(exc)) from None


# Stored like inert parameters but read by kvengine (the DEBUG and protected-config gates).
LIVE_STORED = ("enable-debug-command", "enable-protected-configs")


def is_live(name: str) -> bool:
    """Whether kvengine acts on the parameter (False: stored and reported only)."""
    param = PARAMS[name]
    return param.live or param.name in LIVE_STORED


def docs_table() -> str:
    """The parameter list of docs/config.md (a test keeps the page in step)."""
    rows = ["| parameter | alias | type | default | kvengine |", "| --- | --- | --- | --- | --- |"]
    for spec in SPECS:
        flags = [f for f, bit in (("immutable", IMMUTABLE), ("protected", PROTECTED), ("hidden", HIDDEN))
                 if spec.flags & bit]
        kind = spec.type + (f" {spec.lo}..{spec.hi}" if spec.type in ("int", "memory") else "")
        if spec.choices:
            kind += ": " + ", ".join(spec.choices)
        default = spec.default.replace("|", "\\|") if spec.name != "dir" else "(the working directory)"
        state = "live" if is_live(spec.name) else "inert"
        rows.append(f"| `{spec.name}` | {spec.alias or ''} | {kind}{' (' + ', '.join(flags) + ')' if flags else ''}"
                    f" | `{default}` | {state} |")
    return "\n".join(rows) + "\n"
