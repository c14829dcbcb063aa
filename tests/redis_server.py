"""A private redis-server on a free loopback port, for the tests that compare with Redis.

Without redis-server the caller's tests are skipped, unless KVENGINE_REQUIRE_REDIS=1 (CI)
makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require(*programs: str) -> dict[str, str]:
    """Paths of the programs, or skip (fail under KVENGINE_REQUIRE_REDIS=1)."""
    found = {p: shutil.which(p) for p in programs}
    missing = [p for p, path in found.items() if path is None]
    if missing:
        if os.environ.get("KVENGINE_REQUIRE_REDIS"):
            pytest.fail(f"{', '.join(missing)} required (KVENGINE_REQUIRE_REDIS=1) but not installed")
        pytest.skip(f"{', '.join(missing)} not installed")
    return found  # type: ignore[return-value]


@contextmanager
def redis_server(workdir: Path, extra_args: tuple[str, ...] = ()) -> Iterator[int]:
    """Start redis-server (no persistence) in `workdir`; yield its port; stop it.
    `extra_args` are more command-line options (``("--enable-debug-command", "yes")``)."""
    exe = require("redis-server")["redis-server"]
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir), "--daemonize", "no", "--protected-mode", "no", *extra_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("redis-server did not start")
        time.sleep(0.05)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
