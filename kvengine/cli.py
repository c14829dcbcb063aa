"""``python -m kvengine`` (also the ``kvengine`` console script).

Subcommands::

    shell [DIR]                 a REPL that looks and feels like redis-cli
    exec DIR CMD [ARG...]       run one command, print it as redis-cli does (DIR may be -)
    info DIR [SECTION]          INFO of the data set in DIR
    check-aof PATH [--fix]      verify (and optionally truncate) an append-only file
    check-snapshot PATH         verify a snapshot file
    export PATH [-o FILE]       the data set as RESP commands, for ``redis-cli --pipe``
    bench                       a redis-benchmark-style table for the engine in-process

Replies are printed with redis-cli's rules: on a terminal ``(integer) 1``, ``"bar"``
(C-style escapes, ``\\xNN`` for bytes outside printable ASCII), ``1) "a"`` with nested
indentation, ``(nil)``, ``(error) ERR ...``, ``(empty array)``; when stdout is not a
terminal, the raw form (one value per line), as ``redis-cli ... | cat`` prints.
``--raw`` / ``--no-raw`` force one or the other.  Arguments typed in the shell are split
as redis-cli splits them (``"double quotes"`` with escapes, ``'single quotes'``).

Errors in usage exit with code 2; a data directory that cannot be opened (damaged files,
a version from the future...) gives a one-line message and exit code 1, not a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any

from kvengine import blocking, util
from kvengine import exceptions as e
from kvengine.client import Client
from kvengine.commands import TABLE, Command, all_commands
from kvengine.reply import Status

PROG = "kvengine"


class CliError(Exception):
    """A failure to report in one line (exit code in ``code``)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# -- argument splitting (redis-cli's sdssplitargs) ---------------------------------------------

def split_args(line: str) -> list[str] | None:
    """Split a command line as redis-cli does (Redis's sdssplitargs over the line's UTF-8
    bytes, :func:`kvengine.util.split_args`); None if the quoting is invalid (unbalanced
    quotes, or a closing quote not followed by a space)."""
    args = util.split_args(line.encode("utf-8", "surrogateescape"))
    if args is None:
        return None
    return [a.decode("utf-8", "surrogateescape") for a in args]


def line_to_argv(line: str) -> list[bytes] | None:
    """Split one typed line into a command's argv (None: invalid quoting).

    redis-cli splits bytes: typed UTF-8 text passes through unchanged and a quoted
    ``"\\xNN"`` is the single byte NN.
    """
    return util.split_args(line.encode("utf-8", "surrogateescape"))


# -- reply formatting (redis-cli's cliFormatReplyTTY / cliFormatReplyRaw) ---------------------


def repr_bulk(value: bytes) -> str:
    """redis-cli's sdscatrepr: a double-quoted C-style string."""
    out = ['"']
    for b in value:
        if b == 0x5C:
            out.append("\\\\")
        elif b == 0x22:
            out.append('\\"')
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x09:
            out.append("\\t")
        elif b == 0x07:
            out.append("\\a")
        elif b == 0x08:
            out.append("\\b")
        elif 0x20 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    out.append('"')
    return "".join(out)


def _text(value: bytes) -> str:
    # surrogateescape: bytes that are not UTF-8 reach stdout unchanged (raw mode prints
    # values byte for byte, as redis-cli does); see _binary_safe_stdout.
    return value.decode("utf-8", "surrogateescape")


def _binary_safe_stdout() -> None:
    """Let stdout write back the bytes _text() decoded with surrogateescape."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="surrogateescape")
        except (ValueError, OSError):  # pragma: no cover
            pass


def format_tty(reply: Any, prefix: str = "") -> str:
    """A reply as redis-cli prints it on a terminal (with the final newline)."""
    if isinstance(reply, BaseException):
        return f"(error) {e.error_line(reply)}\n"
    if reply is None:
        return "(nil)\n"
    if isinstance(reply, bool):
        return "(true)\n" if reply else "(false)\n"
    if isinstance(reply, int):
        return f"(integer) {reply}\n"
    if isinstance(reply, float):
        return f"(double) {reply!r}\n"
    if isinstance(reply, Status):
        return _text(bytes(reply)) + "\n"
    if isinstance(reply, (bytes, bytearray)):
        return repr_bulk(bytes(reply)) + "\n"
    if isinstance(reply, str):
        return repr_bulk(reply.encode()) + "\n"
    if isinstance(reply, dict):
        reply = [x for kv in reply.items() for x in kv]
    if isinstance(reply, (list, tuple, set)):
        items = list(reply)
        if not items:
            return "(empty array)\n"
        width = len(str(len(items)))
        child_prefix = prefix + " " * (width + 2)
        out = []
        for i, item in enumerate(items):
            out.append(f"{'' if i == 0 else prefix}{i + 1:>{width}}) ")
            out.append(format_tty(item, child_prefix))
        return "".join(out)
    return f"{reply}\n"


def format_raw(reply: Any) -> str:
    """A reply as redis-cli prints it when stdout is not a terminal (no final newline:
    the caller adds redis-cli's command delimiter)."""
    if isinstance(reply, BaseException):
        return e.error_line(reply) + "\n"
    if reply is None:
        return ""
    if isinstance(reply, bool):
        return "(true)" if reply else "(false)"
    if isinstance(reply, (int, float)):
        return str(reply)
    if isinstance(reply, (bytes, bytearray)):
        return _text(bytes(reply))
    if isinstance(reply, str):
        return reply
    if isinstance(reply, dict):
        reply = [x for kv in reply.items() for x in kv]
    if isinstance(reply, (list, tuple, set)):
        return "\n".join(format_raw(item) for item in reply)
    return str(reply)


def format_reply(reply: Any, raw: bool) -> str:
    """The text redis-cli prints for one reply, final newline included."""
    return format_raw(reply) + "\n" if raw else format_tty(reply)


# -- a client view that keeps status replies -------------------------------------------------


class ShellClient(Client):
    """A client view whose top-level replies keep their RESP type.

    ``Client._call`` hands back status replies as plain bytes (redis-py's shape), but a
    shell must print ``OK`` for a status and ``"OK"`` for a bulk string.  This view
    runs each command through the same ``_run`` path with a handler wrapper that only
    notes whether the handler answered a status, and restores that type afterwards.
    """

    _status = False
    _queued = False

    def _run(self, cmd: Command, argv: list[bytes]) -> Any:
        if cmd.handler is None:
            return super()._run(cmd, argv)
        self._status = self._queued = False
        handler = cmd.handler
        view = self

        def noting(c: Client, a: list[bytes]) -> Any:
            reply = handler(c, a)
            if c is view:
                view._status = type(reply) is Status
            return reply

        proxy = dataclasses.replace(cmd, handler=noting)
        calls = proxy.calls
        try:
            reply = super()._run(proxy, argv)
        finally:
            cmd.calls += proxy.calls - calls  # INFO commandstats counts on the real row
        if type(reply) is bytes and (self._status or self._queued):
            return Status(reply)
        return reply

    def queue(self, cmd: Command, argv: list[bytes]) -> Any:
        reply = super().queue(cmd, argv)
        self._queued = True
        return reply

    def call(self, argv: list[bytes]) -> Any:
        """Run `argv`; the reply, or the error as a value.  Ctrl-C during a blocking
        command takes this client out of the wait lines (so a later push is not handed
        to a call nobody waits for) and re-raises."""
        try:
            return self._call(argv)
        except e.RedisError as exc:
            return exc
        except KeyboardInterrupt:
            blocking.unblock(self)
            raise


# -- opening a data directory -------------------------------------------------------------


def open_engine(path: str | None, **kwargs: Any) -> Any:
    """An Engine for DIR (``-`` or None: in memory); CliError with a clear message if the
    directory cannot be opened."""
    from kvengine import Engine

    if path in (None, "-"):
        return Engine(**kwargs)
    if os.path.exists(path) and not os.path.isdir(path):
        raise CliError(f"{path}: not a directory")
    try:
        return Engine(path, **kwargs)
    except NotImplementedError as exc:
        raise CliError(f"cannot open {path}: {exc}") from None
    except Exception as exc:  # damaged or foreign files: one line, no traceback
        raise CliError(f"cannot open {path}: {exc} (try: {PROG} check-aof / check-snapshot)") from None


# -- shell -------------------------------------------------------------------------------


def command_help(name: str) -> str:
    """HELP <command>, from the command table."""
    cmd = TABLE.get(name.lower().encode())
    if cmd is None:
        return f"No help for {name!r}: kvengine has no such command. Try HELP with no argument.\n"
    lines = []
    for c in [cmd, *sorted(cmd.subcommands.values(), key=lambda s: s.name)]:
        usage = c.doc or c.name.upper().replace("|", " ")
        lines.append(f"\n  {usage}")
        details = [f"arity: {c.arity}"]
        if c.flag_names:
            details.append("flags: " + ", ".join(c.flag_names))
        if c.first_key:
            details.append(f"keys: first {c.first_key}, last {c.last_key}, step {c.step}")
        lines.append("  " + "  ".join(details))
    return "\n".join(lines) + "\n\n"


GENERAL_HELP = """\
kvengine shell: type commands as in redis-cli.
  HELP <command>      the command's usage, arity, flags and key positions
  HELP @commands      every command kvengine knows
  QUIT | EXIT         leave (Ctrl-D too)
  CLEAR               clear the screen
  N <command>         run <command> N times
"""


def _prompt(client: ShellClient, label: str) -> str:
    db = client.db.id
    if client.multi is not None:
        return f"{label}{'' if db == 0 else f'[{db}]'}(TX)> "
    return f"{label}{'' if db == 0 else f'[{db}]'}> "


def _line_reader(interactive: bool, history: str | None) -> Callable[[str], str]:
    """prompt_toolkit (history, completion of command names) when installed and on a
    real terminal; plain input() otherwise."""
    if interactive and os.environ.get("TERM", "") not in ("dumb", ""):
        try:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.completion import WordCompleter
            from prompt_toolkit.history import FileHistory, InMemoryHistory

            names = sorted({c.name.split("|")[0].upper() for c in all_commands()})
            session: Any = PromptSession(
                history=FileHistory(history) if history else InMemoryHistory(),
                completer=WordCompleter([*names, "HELP", "QUIT", "EXIT", "CLEAR"], ignore_case=True,
                                        sentence=True),
                complete_while_typing=False,
            )
            return lambda prompt: str(session.prompt(prompt))
        except Exception:  # pragma: no cover - no prompt_toolkit, or no usable terminal
            pass
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:  # pragma: no cover
            pass
        return input
    return lambda prompt: _read_stdin_line()


def _read_stdin_line() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


def run_shell(engine: Any, raw: bool, out: IO[str], interactive: bool, label: str = "kvengine",
              history: str | None = None) -> int:
    """The REPL.  Returns the exit code."""
    client = ShellClient(engine.server, 0)
    read = _line_reader(interactive, history)
    while True:
        try:
            line = read(_prompt(client, label) if interactive else "")
        except EOFError:
            if interactive:
                out.write("\n")
            return 0
        except KeyboardInterrupt:
            if interactive:
                out.write("\n")
                continue
            return 130
        argv_text = split_args(line)
        if argv_text is None:
            out.write("Invalid argument(s)\n")
            out.flush()
            continue
        if not argv_text:
            continue
        word = argv_text[0].lower()
        if word in ("quit", "exit"):
            return 0
        if word == "clear":
            out.write("\x1b[H\x1b[2J")
            continue
        if word == "help":
            if len(argv_text) == 1:
                out.write(GENERAL_HELP)
            elif argv_text[1].lower() == "@commands":
                out.write("\n".join(sorted(c.name.upper().replace("|", " ") for c in all_commands())) + "\n")
            else:
                out.write(command_help(argv_text[1]))
            out.flush()
            continue
        repeat = 1
        if len(argv_text) > 1 and argv_text[0].isdigit():
            repeat = int(argv_text[0])
            line = line.lstrip()[len(argv_text[0]):]
        argv = line_to_argv(line)
        assert argv is not None
        for _ in range(repeat):
            try:
                reply = client.call(argv)
            except KeyboardInterrupt:  # pragma: no cover - a blocking command interrupted
                out.write("\n")
                break
            out.write(format_reply(reply, raw))
        out.flush()


def _output_raw(args: argparse.Namespace, stream: IO[str]) -> bool:
    if args.raw:
        return True
    if args.no_raw:
        return False
    return not stream.isatty()


def cmd_shell(args: argparse.Namespace) -> int:
    engine = open_engine(args.dir)
    _binary_safe_stdout()
    try:
        interactive = sys.stdin.isatty()
        label = "kvengine" if args.dir in (None, "-") else f"kvengine:{args.dir.rstrip('/')}"
        history = None
        if interactive:
            history = os.environ.get("KVENGINE_HISTFILE", os.path.expanduser("~/.kvengine_history"))
            if history in ("", "/dev/null"):
                history = None
        return run_shell(engine, _output_raw(args, sys.stdout), sys.stdout, interactive, label, history)
    finally:
        engine.close()


def cmd_exec(args: argparse.Namespace) -> int:
    engine = open_engine(args.dir)
    _binary_safe_stdout()
    try:
        client = ShellClient(engine.server, args.db)
        argv = [a.encode("utf-8", "surrogateescape") for a in [args.command, *args.args]]
        reply = client.call(argv)
        sys.stdout.write(format_reply(reply, _output_raw(args, sys.stdout)))
        return 0  # redis-cli 7.0 exits 0 after an error reply too
    finally:
        engine.close()


def cmd_info(args: argparse.Namespace) -> int:
    engine = open_engine(args.dir)
    try:
        client = ShellClient(engine.server, 0)
        reply = client.call([b"INFO", *[s.encode() for s in args.section]])
        if isinstance(reply, BaseException):
            raise CliError(e.error_line(reply))
        sys.stdout.write(_text(bytes(reply)).replace("\r\n", "\n").rstrip("\n") + "\n")
        return 0
    finally:
        engine.close()


def _checker(name: str) -> Callable[..., Any]:
    try:
        from kvengine.persistence import check
    except ImportError:
        raise CliError(f"{name}: not available in this build (kvengine.persistence.check is missing)") from None
    fn = getattr(check, name.replace("-", "_"), None)
    if fn is None:
        raise CliError(f"{name}: not available in this build") from None
    return fn  # type: ignore[no-any-return]


def _sound(report: Any) -> bool:
    """True if a check report says the file loads (or was fixed so that it does)."""
    if getattr(report, "ok", True) or getattr(report, "fixed", False):
        return True
    files = getattr(report, "files", None)
    return bool(files) and all(_sound(f) for f in files) and not getattr(report, "error", "")


def _report_check(result: Any) -> int:
    """Print a checker's report; exit code 0 if the file is sound (or was fixed), as
    redis-check-aof does."""
    if isinstance(result, bool):
        print("OK" if result else "the file is damaged")
        return 0 if result else 1
    print(str(result) if result is not None else "OK")
    return 0 if _sound(result) else 1


def cmd_check_aof(args: argparse.Namespace) -> int:
    check_aof = _checker("check-aof")
    if not os.path.exists(args.path):
        raise CliError(f"{args.path}: no such file or directory")
    try:
        return _report_check(check_aof(args.path, fix=args.fix))
    except (OSError, ValueError) as exc:
        raise CliError(f"{args.path}: {exc}") from None


def cmd_check_snapshot(args: argparse.Namespace) -> int:
    check_snapshot = _checker("check-snapshot")
    if not os.path.exists(args.path):
        raise CliError(f"{args.path}: no such file or directory")
    try:
        return _report_check(check_snapshot(args.path))
    except (OSError, ValueError) as exc:
        raise CliError(f"{args.path}: {exc}") from None


def cmd_export(args: argparse.Namespace) -> int:
    try:
        from kvengine.persistence.check import export_resp
    except ImportError:
        raise CliError("export: not available in this build (kvengine.persistence.check is missing)") from None
    if not os.path.exists(args.path):
        raise CliError(f"{args.path}: no such file or directory")
    out = args.output or "/dev/stdout"
    try:
        keys = export_resp(args.path, out)
    except Exception as exc:  # damaged input: one line, no traceback
        raise CliError(f"cannot export {args.path}: {exc}") from None
    if args.output:
        print(f"{keys} keys written to {args.output} (load with: redis-cli --pipe < {args.output})",
              file=sys.stderr)
    return 0


# -- bench -------------------------------------------------------------------------------

# name -> (setup commands, command to repeat); "__rand__" is replaced by a key counter.
BENCH_TESTS: dict[str, tuple[list[list[str]], list[str]]] = {
    "PING": ([], ["PING"]),
    "SET": ([], ["SET", "key:__rand__", "xxx"]),
    "GET": ([["SET", "key:__rand__", "xxx"]], ["GET", "key:__rand__"]),
    "INCR": ([], ["INCR", "counter:__rand__"]),
    "LPUSH": ([], ["LPUSH", "mylist", "xxx"]),
    "RPUSH": ([], ["RPUSH", "mylist", "xxx"]),
    "LPOP": ([["RPUSH", "mylist", *["xxx"] * 100]], ["LPOP", "mylist"]),
    "RPOP": ([["RPUSH", "mylist", *["xxx"] * 100]], ["RPOP", "mylist"]),
    "SADD": ([], ["SADD", "myset", "element:__rand__"]),
    "HSET": ([], ["HSET", "myhash", "element:__rand__", "xxx"]),
    "SPOP": ([["SADD", "myset", *[f"e{i}" for i in range(100)]]], ["SPOP", "myset"]),
    "ZADD": ([], ["ZADD", "myzset", "0", "element:__rand__"]),
    "ZPOPMIN": ([["ZADD", "myzset", *[x for i in range(100) for x in (str(i), f"e{i}")]]], ["ZPOPMIN", "myzset"]),
    "LRANGE_100": ([["RPUSH", "biglist", *["xxx"] * 100]], ["LRANGE", "biglist", "0", "99"]),
    "MSET": ([], ["MSET", *[x for i in range(10) for x in (f"key:{i}", "xxx")]]),
}
BENCH_DEFAULT = "PING,SET,GET,INCR,LPUSH,RPUSH,LPOP,RPOP,SADD,HSET,SPOP,ZADD,ZPOPMIN,LRANGE_100,MSET"


@dataclasses.dataclass
class BenchResult:
    name: str
    requests: int
    seconds: float
    p50_us: float
    p99_us: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else float("inf")


def _bench_caller(engine: Any, api: str) -> tuple[Callable[[list[bytes]], Any], Callable[[], None]]:
    """(call(argv), close) for one way into the engine."""
    if api == "engine":
        view = engine
        return view._call, lambda: None
    if api == "execute":
        return (lambda argv: engine.execute_command(*argv)), lambda: None
    if api == "redis-py":
        try:
            from kvengine.redis_compat import Redis
        except ImportError:
            raise CliError("bench --api redis-py needs redis-py (pip install 'kvengine[redis]')") from None
        r = Redis(engine=engine)
        return (lambda argv: r.execute_command(*argv)), r.close
    if api == "fakeredis":  # the peer, through the same redis-py API, for comparison
        try:
            import fakeredis
        except ImportError:
            raise CliError("bench --api fakeredis needs fakeredis installed") from None
        fake = fakeredis.FakeRedis()
        return (lambda argv: fake.execute_command(*argv)), fake.close
    raise CliError(f"unknown --api {api!r}", 2)


def _bench_argv(parts: list[str], key: int) -> list[bytes]:
    return [p.replace("__rand__", str(key)).encode() for p in parts]


def run_bench(tests: Iterable[str], requests: int, keyspace: int, api: str) -> list[BenchResult]:
    """Run each test on a fresh in-memory engine; requests/s and latency percentiles."""
    from kvengine import Engine

    results = []
    for name in tests:
        setup, template = BENCH_TESTS[name]
        engine = Engine(active_expire=False)
        call, close = _bench_caller(engine, api)
        try:
            n_keys = min(requests, keyspace)
            for cmd in setup:
                for i in range(n_keys if "__rand__" in " ".join(cmd) else 1):
                    call(_bench_argv(cmd, i % n_keys))
            argvs = [_bench_argv(template, i % n_keys) for i in range(min(requests, 10_000))]
            m = len(argvs)
            refill = setup if name in ("LPOP", "RPOP", "SPOP", "ZPOPMIN") else []
            # Throughput: a tight loop (pops refill their key every 100 calls, as
            # redis-benchmark's pops run on a list its pushes keep filling).
            perf = time.perf_counter
            start = perf()
            for i in range(requests):
                if refill and i % 100 == 0:
                    for cmd in refill:
                        call(_bench_argv(cmd, 0))
                call(argvs[i % m])
            seconds = perf() - start
            # Latency: each call timed on its own (a separate, shorter run).
            samples = []
            clock = time.perf_counter_ns
            for i in range(min(requests, 5000)):
                if refill and i % 100 == 0:
                    for cmd in refill:
                        call(_bench_argv(cmd, 0))
                t0 = clock()
                call(argvs[i % m])
                samples.append(clock() - t0)
            samples.sort()
            results.append(BenchResult(name, requests, seconds, samples[len(samples) // 2] / 1000,
                                       samples[min(len(samples) - 1, len(samples) * 99 // 100)] / 1000))
        finally:
            close()
            engine.close()
    return results


def cmd_bench(args: argparse.Namespace) -> int:
    import kvengine

    tests = [t.strip().upper() for t in args.tests.split(",") if t.strip()]
    unknown = [t for t in tests if t not in BENCH_TESTS]
    if unknown:
        raise CliError(f"unknown test(s) {', '.join(unknown)}; known: {', '.join(BENCH_TESTS)}", 2)
    if args.requests < 1:
        raise CliError("-n must be at least 1", 2)
    results = run_bench(tests, args.requests, max(1, args.keyspace), args.api)
    if args.csv:
        print('"test","rps","p50_usec","p99_usec"')
        for res in results:
            print(f'"{res.name}","{res.rps:.2f}","{res.p50_us:.3f}","{res.p99_us:.3f}"')
        return 0
    if args.quiet:
        for res in results:
            print(f"{res.name}: {res.rps:.2f} requests per second, p50={res.p50_us:.3f} usec")
        return 0
    table = "C" if kvengine.NATIVE else "pure-Python"
    who = "fakeredis (not kvengine)" if args.api == "fakeredis" else f"kvengine {kvengine.__version__}"
    print(f"{who} in-process ({table} keyspace table), API: {args.api}, "
          f"{args.requests} requests per test, keyspace {args.keyspace}, Python {sys.version.split()[0]}")
    print()
    print(f"{'test':<12} {'requests/s':>14} {'p50 usec':>10} {'p99 usec':>10}")
    print(f"{'-' * 12} {'-' * 14} {'-' * 10} {'-' * 10}")
    for res in results:
        print(f"{res.name:<12} {res.rps:>14,.0f} {res.p50_us:>10.3f} {res.p99_us:>10.3f}")
    return 0


# -- argument parsing ---------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="kvengine: an embeddable Redis-compatible key-value engine.")
    sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
    sub.required = True

    def output_flags(p: argparse.ArgumentParser) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument("--raw", action="store_true", help="raw replies even on a terminal")
        group.add_argument("--no-raw", action="store_true", help="formatted replies even when piped")

    p = sub.add_parser("shell", help="an interactive shell, like redis-cli")
    p.add_argument("dir", nargs="?", default=None, help="data directory (default: in memory)")
    output_flags(p)
    p.set_defaults(func=cmd_shell)

    p = sub.add_parser("exec", help="run one command and print its reply as redis-cli does")
    p.add_argument("dir", help="data directory, or - for a fresh in-memory engine")
    p.add_argument("command", help="command name")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    p.add_argument("-n", "--db", type=int, default=0, help="database number (default 0)")
    output_flags(p)
    p.set_defaults(func=cmd_exec)

    p = sub.add_parser("info", help="INFO for the data set in DIR")
    p.add_argument("dir", help="data directory")
    p.add_argument("section", nargs="*", help="INFO sections")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("check-aof", help="verify an append-only file")
    p.add_argument("path")
    p.add_argument("--fix", action="store_true", help="truncate a damaged tail")
    p.set_defaults(func=cmd_check_aof)

    p = sub.add_parser("check-snapshot", help="verify a snapshot file")
    p.add_argument("path")
    p.set_defaults(func=cmd_check_snapshot)

    p = sub.add_parser("export", help="write a persisted data set as RESP commands for redis-cli --pipe")
    p.add_argument("path", help="data directory, snapshot, log file or manifest")
    p.add_argument("-o", "--output", help="output file (default: standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("bench", help="a redis-benchmark-style table for the engine in-process")
    p.add_argument("-n", "--requests", type=int, default=100_000, help="requests per test (default 100000)")
    p.add_argument("-r", "--keyspace", type=int, default=10_000, help="random keys (default 10000)")
    p.add_argument("-t", "--tests", default=BENCH_DEFAULT, help=f"comma-separated tests (default {BENCH_DEFAULT})")
    p.add_argument("--api", choices=("engine", "execute", "redis-py", "fakeredis"), default="engine",
                   help="engine: Engine._call; execute: Engine.execute_command; redis-py: "
                        "kvengine.redis_compat.Redis; fakeredis: fakeredis.FakeRedis, for comparison")
    p.add_argument("-q", "--quiet", action="store_true", help="one line per test, as redis-benchmark -q")
    p.add_argument("--csv", action="store_true", help="CSV output")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m kvengine`` and the ``kvengine`` script."""
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors: exit 2 with a message (argparse)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:  # pragma: no cover - `kvengine ... | head`
        return 0
    except KeyboardInterrupt:  # pragma: no cover
        return 130


__all__ = [
    "BENCH_TESTS", "CliError", "ShellClient", "build_parser", "command_help", "format_raw",
    "format_reply", "format_tty", "line_to_argv", "main", "open_engine", "repr_bulk", "run_bench",
    "run_shell", "split_args",
]
