"""Regenerate kvengine/keyspecs.py from a real redis-server's COMMAND INFO.

    python -m tests.gen_command_docs

For every command and subcommand in kvengine's table, fields 7 to 9 of Redis 7's
COMMAND INFO (ACL categories, tips, key specs) are written as a data table.  Run it
after adding a command; tests/differential/test_command_table.py fails until then.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import redis

import kvengine.engine  # noqa: F401  (registers every command)
from kvengine.commands import all_commands
from tests.redis_server import redis_server

TARGET = Path(__file__).parent.parent / "kvengine" / "keyspecs.py"


def _text(x: Any) -> Any:
    if isinstance(x, bytes):
        return x.decode()
    if isinstance(x, list):
        return [_text(i) for i in x]
    return x


def _pairs(flat: list[Any]) -> dict[str, Any]:
    return {_text(k): v for k, v in zip(flat[::2], flat[1::2])}


def keyspec(flat: list[Any]) -> tuple[Any, ...]:
    """One COMMAND INFO key spec as (flags, begin_search, find_keys, extra)."""
    d = _pairs(flat)
    bs, fk = _pairs(d["begin_search"]), _pairs(d["find_keys"])
    bss, fks = _pairs(bs["spec"] or []), _pairs(fk["spec"] or [])
    btype, ftype = _text(bs["type"]), _text(fk["type"])
    if btype == "index":
        begin: tuple[Any, ...] = ("index", bss["index"])
    elif btype == "keyword":
        begin = ("keyword", _text(bss["keyword"]), bss["startfrom"])
    else:
        begin = (btype,)
    if ftype == "range":
        find: tuple[Any, ...] = ("range", fks["lastkey"], fks["keystep"], fks["limit"])
    elif ftype == "keynum":
        find = ("keynum", fks["keynumidx"], fks["firstkey"], fks["keystep"])
    else:
        find = (ftype,)
    extra = {k: _text(v) for k, v in d.items() if k not in ("flags", "begin_search", "find_keys")}
    return (tuple(_text(d["flags"])), begin, find, extra)


def rows(client: Any) -> dict[str, tuple[Any, ...]]:
    out = {}
    for cmd in all_commands():
        parent, _, sub = cmd.name.partition("|")
        entry = client.execute_command("COMMAND", "INFO", parent)[0]
        if entry is not None and sub:
            entry = next((s for s in entry[9] if _text(s[0]) == cmd.name), None)
        if entry is None:
            continue
        out[cmd.name] = (tuple(_text(entry[6])), tuple(_text(entry[7])), tuple(keyspec(k) for k in entry[8]))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as port:
        client = redis.Redis(port=port, protocol=2)
        client.response_callbacks.clear()
        table = rows(client)
    text = TARGET.read_text()
    head = text[: text.index("\n", text.index("COMMAND_DOCS: dict")) + 1]
    body = "".join(f"    {name!r}: {table[name]!r},\n" for name in sorted(table))
    TARGET.write_text(head + body + "}\n")
    print(f"{TARGET}: {len(table)} commands")


if __name__ == "__main__":
    main()
