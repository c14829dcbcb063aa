"""python -m kvengine: argument splitting, reply formatting, the shell, exec, info,
check-aof/check-snapshot, export, bench, usage errors.

Where redis-cli and redis-server are installed, the shell's and exec's output is
compared byte for byte with redis-cli's for the same input (formatted and raw modes),
and once through a pseudo-terminal, as a person would type.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kvengine import Engine
from kvengine.cli import (
    ShellClient,
    format_raw,
    format_reply,
    format_tty,
    line_to_argv,
    main,
    repr_bulk,
    run_shell,
    split_args,
)
from kvengine.reply import Status
from tests.redis_server import redis_server, require

ROOT = Path(__file__).resolve().parents[1]
REDIS_CLI = shutil.which("redis-cli")


@pytest.fixture(scope="module")
def server_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A private redis-server, for comparing with redis-cli talking to it."""
    require("redis-server", "redis-cli")
    with redis_server(tmp_path_factory.mktemp("redis-cli")) as port:
        yield port


def _run(argv: list[str], stdin: str | None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a program; stdout/stderr as str whose undecodable bytes are kept as surrogates
    (both programs may print raw non-UTF-8 bytes)."""
    res = subprocess.run(argv, input=None if stdin is None else stdin.encode(), capture_output=True,
                         timeout=60, env=env)
    return subprocess.CompletedProcess(res.args, res.returncode,
                                       res.stdout.decode("utf-8", "surrogateescape"),
                                       res.stderr.decode("utf-8", "surrogateescape"))


def redis_cli(port: int, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert REDIS_CLI is not None
    return _run([REDIS_CLI, "-p", str(port), *args], stdin)


def kvengine_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return _run([sys.executable, "-m", "kvengine", *args], stdin, env)


def shell_output(script: str, raw: bool, engine: Engine | None = None) -> str:
    """Run the shell in-process on `script` (piped stdin), return what it printed."""
    own = engine is None
    engine = engine or Engine(active_expire=False)
    out = io.StringIO()
    old = sys.stdin
    sys.stdin = io.StringIO(script)
    try:
        assert run_shell(engine, raw, out, interactive=False) == 0
    finally:
        sys.stdin = old
        if own:
            engine.close()
    return out.getvalue()


# -- argument splitting --------------------------------------------------------------------


@pytest.mark.parametrize(("line", "expected"), [
    ("set a b", ["set", "a", "b"]),
    ("  set   a  b  ", ["set", "a", "b"]),
    ('set "a b" c', ["set", "a b", "c"]),
    (r'set k "x\ny\t\"z\\"', ["set", "k", 'x\ny\t"z\\']),
    (r'set k "\x41\x4a"', ["set", "k", "AJ"]),
    (r"set k 'it\'s' 'a\nb'", ["set", "k", "it's", "a\\nb"]),
    ('set k ""', ["set", "k", ""]),
    ("", []),
    ('get "unterminated', None),
    ("get 'unterminated", None),
    ('get "a"b', None),
    ("get 'a'b", None),
])
def test_split_args_follows_redis_cli(line: str, expected: list[str] | None) -> None:
    assert split_args(line) == expected


def test_line_to_argv_bytes() -> None:
    assert line_to_argv(r'set k "\xe2\x82\xac" €') == [b"set", b"k", b"\xe2\x82\xac", "€".encode()]
    assert line_to_argv('get "x') is None


# -- formatting ---------------------------------------------------------------------------


def test_format_tty_scalars() -> None:
    assert format_tty(Status(b"OK")) == "OK\n"
    assert format_tty(b"OK") == '"OK"\n'
    assert format_tty(7) == "(integer) 7\n"
    assert format_tty(None) == "(nil)\n"
    assert format_tty([]) == "(empty array)\n"
    assert repr_bulk(b'a"b\\c\n\r\t\x07\x08\x00\xff ~') == r'"a\"b\\c\n\r\t\a\b\x00\xff ~"'
    from kvengine import exceptions as e
    assert format_tty(e.wrongtype()) == (
        "(error) WRONGTYPE Operation against a key holding the wrong kind of value\n")
    assert format_tty(e.err("syntax error")) == "(error) ERR syntax error\n"


def test_format_tty_nested_and_wide_arrays() -> None:
    assert format_tty([b"a", [b"b", [1, None]], []]) == (
        '1) "a"\n'
        '2) 1) "b"\n'
        '   2) 1) (integer) 1\n'
        '      2) (nil)\n'
        '3) (empty array)\n'
    )
    wide = format_tty([[str(i).encode() for i in range(10)], b"x"])
    assert wide.splitlines()[:3] == ['1)  1) "0"', '    2) "1"', '    3) "2"']
    assert wide.splitlines()[9] == '   10) "9"'


def test_format_raw() -> None:
    assert format_reply(Status(b"OK"), raw=True) == "OK\n"
    assert format_reply(None, raw=True) == "\n"
    assert format_reply([b"a", [b"b", 2]], raw=True) == "a\nb\n2\n"
    from kvengine import exceptions as e
    assert format_raw(e.err("x")) == "ERR x\n"


def test_shell_client_keeps_status_replies() -> None:
    engine = Engine(active_expire=False)
    c = ShellClient(engine.server, 0)
    assert type(c.call([b"SET", b"k", b"OK"])) is Status
    assert type(c.call([b"GET", b"k"])) is bytes  # the bulk "OK" stays a bulk
    assert type(c.call([b"PING"])) is Status
    assert type(c.call([b"TYPE", b"k"])) is Status
    assert type(c.call([b"MULTI"])) is Status
    assert type(c.call([b"GET", b"k"])) is Status  # QUEUED
    assert [type(r) for r in c.call([b"EXEC"])] == [bytes]
    engine.close()


# -- the shell, compared with redis-cli ----------------------------------------------------

SCRIPT = "\n".join([
    "set a 1", "get a", "", "rpush l x \"y z\" 'w\\x41' \"\\x41\\xe2\"", "lrange l 0 -1",
    'get "unbalanced', 'get "a"b', "select 2", "get a", "foo bar", "multi", "set k v", "get k",
    "lrange l 0 -1", "exec", "incr", "hset h f v", "hgetall h", "lpop nol 3", "type h", "ping",
    "ping hi", 'echo "tab\\there"', "smembers nokey", "3 incr ctr", "lrange nol 0 -1",
    "get ünï", "set ünï 日本", "get ünï", "exists a b", "object encoding h",
    "rpush big 1 2 3 4 5 6 7 8 9 10 11 12", "lrange big 0 -1", "multi", "lrange big 0 2",
    "lrange nol 0 -1", "exec", "set s 'quote\"d'", "get s", "sadd st x", "sscan st 0",
    "exec", "discard", "getrange s 0 -1", "set", "select 99", "select 0", "dbsize",
])


@pytest.mark.parametrize("raw", [False, True], ids=["formatted", "raw"])
def test_shell_output_matches_redis_cli(server_port: int, raw: bool) -> None:
    redis_cli(server_port, "flushall")
    expected = redis_cli(server_port, *([] if raw else ["--no-raw"]), stdin=SCRIPT + "\n")
    assert expected.returncode == 0, expected.stderr
    assert shell_output(SCRIPT + "\n", raw) == expected.stdout


@pytest.mark.parametrize("command", [
    "set a b", "get nokey", "ping", "echo hello", "rpush l 1 2 3", "lrange nol 0 -1", "incr n",
    "nosuch x", "get", "mget a b", "hgetall h", "type x", "set k v xx", "echo \x01\xff",
])
def test_exec_matches_redis_cli(server_port: int, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Stateless commands on a fresh data set: the same stdout and exit code as
    `redis-cli CMD...` (raw, as when piped) and `redis-cli --no-raw CMD...`."""
    args = command.split(" ")
    for flags in (["--raw"], ["--no-raw"]):
        redis_cli(server_port, "flushall")
        want = redis_cli(server_port, *flags, *args)
        code = main(["exec", *flags, "-", *args])
        assert (capsys.readouterr().out, code) == (want.stdout, want.returncode), (flags, command)


def test_exec_as_a_program_matches_redis_cli(server_port: int) -> None:
    """The same through `python -m kvengine` with stdout piped (raw by default)."""
    for command in (["rpush", "l", "a", "b"], ["get", "nokey"], ["lpush"]):
        redis_cli(server_port, "flushall")
        want = redis_cli(server_port, *command)
        got = kvengine_cli("exec", "-", *command)
        assert (got.stdout, got.returncode) == (want.stdout, want.returncode), command


def test_shell_in_a_pseudo_terminal_matches_redis_cli(server_port: int) -> None:
    """Typed at a terminal (TERM=dumb, so both read plain lines): the replies printed
    between prompts are the same as redis-cli's."""
    pexpect = pytest.importorskip("pexpect")
    commands = ["set a 1", "get a", "rpush l x y", "lrange l 0 -1", "lpush a 1", "hset h f v",
                "hgetall h", "get nokey", "multi", "incr n", "exec", "select 3", "dbsize", "select 0"]
    env = {**os.environ, "TERM": "dumb", "PYTHONPATH": str(ROOT), "KVENGINE_HISTFILE": "/dev/null"}

    def session(argv: list[str], prompt: str) -> list[str]:
        child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=20, echo=False)
        child.expect(prompt)
        replies = []
        for cmd in commands:
            child.sendline(cmd)
            child.expect(prompt)
            text = child.before.replace("\r\n", "\n")
            text = re.sub(r"^.*?\n", "", text, count=1) if text.startswith(cmd) else text
            replies.append(text.strip("\n"))
        child.sendline("quit")
        child.expect(pexpect.EOF)
        return replies

    redis_cli(server_port, "flushall")
    assert REDIS_CLI is not None
    want = session([REDIS_CLI, "-p", str(server_port)], r"127\.0\.0\.1:\d+(\[\d+\])?(\(TX\))?> ")
    got = session([sys.executable, "-m", "kvengine", "shell"], r"kvengine(\[\d+\])?(\(TX\))?> ")
    assert got == want
    assert got[1] == '"1"' and got[3] == '1) "x"\n2) "y"'


def test_shell_help_and_quit() -> None:
    out = shell_output("help\nhelp get\nhelp nosuch\nhelp @commands\nquit\nget never\n", raw=False)
    assert "HELP <command>" in out
    assert "  GET key\n  arity: 2  flags: readonly, fast  keys: first 1, last 1, step 1" in out
    assert "kvengine has no such command" in out
    assert "\nZADD\n" in out or "\nGET\n" in out
    assert "never" not in out  # nothing after QUIT runs


def test_shell_on_a_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = kvengine_cli("shell", str(data), "--no-raw", stdin="set k v\nrpush l a\n")
    if first.returncode == 1 and "not available" in first.stderr:
        pytest.skip("persistence is not available in this build")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "OK\n(integer) 1\n"
    again = kvengine_cli("exec", "--no-raw", str(data), "get", "k")
    assert (again.returncode, again.stdout) == (0, '"v"\n')
    info = kvengine_cli("info", str(data), "keyspace")
    assert info.returncode == 0
    assert "db0:keys=2" in info.stdout


# -- usage errors, damaged data, offline tools -------------------------------------------


@pytest.mark.parametrize("argv", [
    [], ["nosuch"], ["exec"], ["exec", "-"], ["info"], ["check-aof"], ["bench", "-n", "x"],
    ["shell", "--raw", "--no-raw"],
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: kvengine" in capsys.readouterr().err


def test_bench_unknown_test_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "-t", "SET,NOPE"]) == 2
    assert "unknown test(s) NOPE" in capsys.readouterr().err


def test_damaged_data_directory_gives_a_message_not_a_traceback(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    res = kvengine_cli("info", str(a_file))
    assert res.returncode == 1
    assert res.stderr.strip() == f"kvengine: {a_file}: not a directory"
    data = tmp_path / "data"
    data.mkdir()
    for name in ("dump.rdb", "dump.kvs", "snapshot.kvs", "appendonly.aof"):
        (data / name).write_bytes(b"\x00garbage\xff" * 10)
    (data / "appendonlydir").mkdir()
    (data / "appendonlydir" / "appendonly.aof.manifest").write_bytes(b"\x00\x01 not a manifest\n")
    res = kvengine_cli("info", str(data))
    assert "Traceback" not in res.stderr
    assert res.returncode == 1
    assert res.stderr.startswith(f"kvengine: cannot open {data}: ")
    assert len(res.stderr.strip().splitlines()) == 1


def test_check_aof_and_snapshot(tmp_path: Path) -> None:
    try:
        from kvengine.persistence import check  # noqa: F401
    except ImportError:
        res = kvengine_cli("check-aof", str(tmp_path))
        assert res.returncode == 1 and "not available" in res.stderr
        return
    data = tmp_path / "data"
    assert kvengine_cli("exec", str(data), "set", "k", "v").returncode == 0
    logs = sorted(p for p in data.rglob("*") if p.is_file() and ".aof" in p.name and "manifest" not in p.name)
    assert logs, list(data.rglob("*"))
    log = logs[-1]
    ok = kvengine_cli("check-aof", str(log))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    with open(log, "ab") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$1\r\nx")  # a cut-off tail
    bad = kvengine_cli("check-aof", str(log))
    assert bad.returncode == 1 and "TRUNCATED" in bad.stdout
    fixed = kvengine_cli("check-aof", "--fix", str(log))
    assert fixed.returncode == 0 and "fixed" in fixed.stdout
    assert kvengine_cli("check-aof", str(log)).returncode == 0
    missing = kvengine_cli("check-snapshot", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    junk = tmp_path / "junk.kvs"
    junk.write_bytes(b"not a snapshot")
    res = kvengine_cli("check-snapshot", str(junk))
    assert res.returncode == 1 and "Traceback" not in res.stderr


def test_export_for_redis_cli_pipe(tmp_path: Path, server_port: int) -> None:
    try:
        from kvengine.persistence.check import export_resp  # noqa: F401
    except ImportError:
        pytest.skip("export is not available in this build")
    data = tmp_path / "data"
    kvengine_cli("shell", str(data), stdin="set k v\nrpush l a b\nhset h f v\nselect 1\nset one 1\n")
    out = tmp_path / "dump.resp"
    res = kvengine_cli("export", str(data), "-o", str(out))
    assert res.returncode == 0, res.stderr
    redis_cli(server_port, "flushall")
    assert REDIS_CLI is not None
    with open(out, "rb") as f:
        piped = subprocess.run([REDIS_CLI, "-p", str(server_port), "--pipe"], stdin=f, capture_output=True)
    assert b"errors: 0" in piped.stdout, piped.stdout
    assert redis_cli(server_port, "--no-raw", "lrange", "l", "0", "-1").stdout == '1) "a"\n2) "b"\n'
    assert redis_cli(server_port, "-n", "1", "get", "one").stdout == "1\n"


# -- bench ---------------------------------------------------------------------------


def test_bench_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "-n", "300", "-t", "set,get,lpop,zpopmin,lrange_100,mset"]) == 0
    out = capsys.readouterr().out
    assert "requests/s" in out
    for name in ("SET", "GET", "LPOP", "ZPOPMIN", "LRANGE_100", "MSET"):
        assert re.search(rf"^{name}\s+[\d,]+\s+[\d.]+\s+[\d.]+$", out, re.M), out


def test_bench_csv_and_quiet_through_redis_py(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("redis")
    assert main(["bench", "-n", "200", "-t", "SET,GET", "--csv", "--api", "redis-py"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == '"test","rps","p50_usec","p99_usec"'
    assert [line.split(",")[0] for line in lines[1:]] == ['"SET"', '"GET"']
    assert main(["bench", "-n", "200", "-t", "INCR", "-q", "--api", "execute"]) == 0
    assert re.match(r"INCR: [\d.]+ requests per second", capsys.readouterr().out)


def test_console_script_and_module_entry() -> None:
    res = kvengine_cli("--help")
    assert res.returncode == 0 and "shell" in res.stdout and "bench" in res.stdout


def test_ctrl_c_interrupts_a_blocking_command() -> None:
    """Ctrl-C during BLPOP returns to the prompt, and the abandoned call takes nothing."""
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "TERM": "dumb", "PYTHONPATH": str(ROOT), "KVENGINE_HISTFILE": "/dev/null"}
    child = pexpect.spawn(sys.executable, ["-m", "kvengine", "shell"], env=env, encoding="utf-8",
                          timeout=20, echo=False)
    child.expect("kvengine> ")
    child.sendline("blpop q 0")
    time.sleep(0.3)  # let it block (no assertion on time: only on what happens next)
    child.sendintr()
    child.expect("kvengine> ")
    child.sendline("rpush q job")
    child.expect("kvengine> ")
    child.sendline("lrange q 0 -1")
    child.expect("kvengine> ")
    assert '1) "job"' in child.before
    child.sendline("quit")
    child.expect(pexpect.EOF)


def test_prompt_toolkit_history_and_completion(tmp_path: Path) -> None:
    """On a real terminal with prompt_toolkit: Tab completes command names and the
    history file records what was typed."""
    pexpect = pytest.importorskip("pexpect")
    pytest.importorskip("prompt_toolkit")
    history = tmp_path / "history"
    env = {**os.environ, "TERM": "xterm", "PYTHONPATH": str(ROOT), "KVENGINE_HISTFILE": str(history),
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "kvengine", "shell"], env=env, encoding="utf-8",
                          timeout=20, dimensions=(24, 120))
    child.expect("kvengine")
    child.sendline("set a 1")
    child.expect("OK")
    child.send("dbsi\t")  # unique prefix: completed to DBSIZE
    child.expect("DBSIZE")
    child.send("\r")
    child.expect(r"\(integer\) 1")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    text = history.read_text()
    assert "+set a 1" in text and "+DBSIZE" in text


def test_non_ascii_text_is_one_argument() -> None:
    """UTF-8 characters whose bytes include 0xA0 are not blanks (sdssplitargs is byte-level)."""
    assert line_to_argv("set k à") == [b"set", b"k", "à".encode()]
    assert split_args("set k à") == ["set", "k", "à"]
