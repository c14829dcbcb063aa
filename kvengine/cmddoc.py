"""The supported-commands reference, generated from the command table.

``python -m kvengine.cmddoc > docs/commands.md`` rewrites it; a test fails when the
file is out of date, so the list in the docs is always the list the engine runs.
"""

from __future__ import annotations

from kvengine.commands import Command, all_commands

# Redis's command groups, by the module that holds the handler (bitmaps by name).
_GROUP_BY_MODULE = {
    "t_string": "string",
    "keys": "generic",
    "expire": "generic",
    "sort": "generic",
    "t_hash": "hash",
    "t_list": "list",
    "t_set": "set",
    "t_zset": "sorted-set",
    "multi": "transactions",
    "scripting": "scripting",
    "functions": "scripting",
    "admin": "server",
    "info": "server",
}
_BITMAP = {"setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"}
_CONNECTION = {"ping", "echo", "select"}
GROUP_ORDER = ["string", "bitmap", "generic", "hash", "list", "set", "sorted-set", "transactions",
               "scripting", "connection", "server", "persistence", "other"]


def group_of(cmd: Command) -> str:
    """Redis's group for a command (its parent's for a subcommand)."""
    name = cmd.name.split("|")[0]
    if name in _BITMAP:
        return "bitmap"
    if name in _CONNECTION:
        return "connection"
    module = (cmd.handler.__module__ if cmd.handler else "").rsplit(".", 1)[-1]
    if "persistence" in (cmd.handler.__module__ if cmd.handler else ""):
        return "persistence"
    return _GROUP_BY_MODULE.get(module, "other")


def commands_markdown() -> str:
    """docs/commands.md: every command by group, with arity, flags and key positions."""
    groups: dict[str, list[Command]] = {}
    for cmd in all_commands():
        if cmd.handler is None:
            continue  # a container of subcommands (OBJECT, CONFIG, ...)
        groups.setdefault(group_of(cmd), []).append(cmd)
    lines = [
        "# Supported commands",
        "",
        "Generated from the command table by `python -m kvengine.cmddoc > docs/commands.md`",
        "(a test keeps this file current). Arity and flags follow Redis's `COMMAND INFO`:",
        "a negative arity is a minimum; keys are (first, last, step).",
        "",
        f"{sum(len(v) for v in groups.values())} commands and subcommands.",
        "",
    ]
    for group in sorted(groups, key=lambda g: GROUP_ORDER.index(g) if g in GROUP_ORDER else 99):
        cmds = groups[group]
        lines += [f"## {group} ({len(cmds)})", "", "| command | arity | flags | keys | what |",
                  "|---|---|---|---|---|"]
        for cmd in cmds:
            keys = f"{cmd.first_key}, {cmd.last_key}, {cmd.step}" if cmd.first_key else "-"
            doc = cmd.doc.replace("|", "\\|")
            lines.append(f"| {cmd.name.upper().replace('|', ' ')} | {cmd.arity} | "
                         f"{' '.join(cmd.flag_names) or '-'} | {keys} | {doc} |")
        lines.append("")
    return "\n".join(lines)


def summary_line(group: str) -> str:
    """The commands of one group as a space-separated list (for the README)."""
    return " ".join(sorted({c.name.split("|")[0].upper() for c in all_commands()
                            if c.handler is not None and group_of(c) == group}))


if __name__ == "__main__":
    import kvengine  # noqa: F401  (registers every command)

    print(commands_markdown())
