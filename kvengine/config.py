"""Configuration: every setting the engine has, by Redis's name, for CONFIG GET/SET.

A :class:`Param` knows how to read its value off the server and how to parse and
apply a new one, with Redis 7's validation texts.  Modules that own a setting
register it here (``register(Param(...))``); CONFIG GET, CONFIG SET and the Engine's
keyword arguments all go through this table, so a setting cannot be validated two
different ways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e

if TYPE_CHECKING:
    from kvengine.server import Server

Getter = Callable[["Server"], str]
Setter = Callable[["Server", str], None]


class ConfigError(ValueError):
    """A value CONFIG SET refuses; the message is Redis's text after the dash."""


@dataclass
class Param:
    """One setting: its Redis name, how to read it, how to set it (None: read-only)."""

    name: str
    get: Getter
    set: Setter | None = None
    aliases: tuple[str, ...] = ()


PARAMS: dict[str, Param] = {}
_CANONICAL: dict[str, str] = {}


def register(param: Param) -> Param:
    """Add a setting to the table (module import time)."""
    for name in (param.name, *param.aliases):
        PARAMS[name] = param
        _CANONICAL[name] = param.name
    return param


# -- value parsers with Redis's texts ---------------------------------------------------
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}


def parse_memory(value: str | int) -> int:
    """Redis's memtoull: "100mb", "1gb", "5k", plain bytes."""
    if isinstance(value, int):
        if value < 0:
            raise ConfigError("argument must be a memory value")
        return value
    text = value.strip().lower()
    digits = text.rstrip("kmgb")
    unit = text[len(digits):]
    if unit not in _UNITS or not digits.isdigit():
        raise ConfigError("argument must be a memory value")
    return int(digits) * _UNITS[unit]


def parse_bool(value: str) -> bool:
    text = value.lower()
    if text in ("yes", "no"):
        return text == "yes"
    raise ConfigError("argument must be 'yes' or 'no'")


def parse_int(value: str, lo: int, hi: int) -> int:
    text = value.strip()
    try:
        number = int(text, 10)
    except ValueError:
        raise ConfigError("argument couldn't be parsed into an integer") from None
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
    """A setting stored as an attribute (of the server, or of ``owner(server)``).

    `kind` is "bool", "int", "memory", "enum" or "string"; `apply` runs after a change.
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


# -- CONFIG GET / SET ------------------------------------------------------------------
def config_get(srv: Server, patterns: list[str]) -> list[tuple[str, str]]:
    """(name, value) for every setting matching any of `patterns` (Redis glob rules)."""
    from kvengine.keys import glob_match

    out: dict[str, str] = {}
    for pattern in patterns:
        pat = pattern.lower().encode()
        if pattern.lower() in PARAMS and not any(ch in pattern for ch in "*?["):
            param = PARAMS[pattern.lower()]
            out.setdefault(pattern.lower(), param.get(srv))
            continue
        for name, param in PARAMS.items():
            if _CANONICAL[name] == name and glob_match(pat, name.encode()):
                out.setdefault(name, param.get(srv))
    return list(out.items())


def config_set(srv: Server, pairs: list[tuple[str, str]]) -> None:
    """Validate and apply every pair, all or nothing (Redis 7's multi-argument CONFIG SET)."""
    seen: set[str] = set()
    for name, _ in pairs:
        param = PARAMS.get(name.lower())
        if param is None:
            raise e.err(f"Unknown option or number of arguments for CONFIG SET - '{name}'")
        if param.set is None:
            raise e.err(f"CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config")
        canonical = _CANONICAL[name.lower()]
        if canonical in seen:
            raise e.err(f"CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter")
        seen.add(canonical)
    old = [(name, PARAMS[name.lower()].get(srv)) for name, _ in pairs]
    try:
        for name, value in pairs:
            setter = PARAMS[name.lower()].set
            assert setter is not None
            try:
                setter(srv, value)
            except ConfigError as exc:
                raise e.err(
                    f"CONFIG SET failed (possibly related to argument '{name}') - {exc}"
                ) from None
    except e.RedisError:
        for name, value in old:  # restore what was applied before the failure
            setter = PARAMS[name.lower()].set
            assert setter is not None
            try:
                setter(srv, value)
            except ConfigError:  # pragma: no cover - old values were valid
                pass
        raise


def apply_options(srv: Server, options: dict[str, Any]) -> None:
    """Engine keyword arguments (``maxmemory_policy="allkeys-lru"``) through the table.

    Python spellings use underscores; values may be Python values (True, 5, "100mb").
    """
    pairs = []
    for key, value in options.items():
        name = key.replace("_", "-")
        if name not in PARAMS or PARAMS[name].set is None:
            raise TypeError(f"unknown engine option {key!r}")
        if isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = str(value)
        pairs.append((name, text))
    try:
        config_set(srv, pairs)
    except e.RedisError as exc:
        raise ValueError(str(exc)) from None
