"""A RESP3 client on a raw socket that keeps every wire type, for the RESP3 differential
test: redis-py's parser folds some types together (a set is a list since redis-py 5.1, a
simple string and a verbatim string are bytes like a bulk string), so to check that
kvengine gives the RESP3 *type* Redis sends, the real server's reply is read here as a
tree of :class:`T` nodes.  :func:`typed` builds the same tree from what kvengine's
drop-in hands redis-py (with sets kept as Python sets)."""

from __future__ import annotations

import socket
from typing import Any, NamedTuple

from redis._parsers.base import BaseParser


class T(NamedTuple):
    """One RESP3 value: its kind and its value (a list of T for aggregates, a list of
    (key, value) pairs for maps)."""

    kind: str
    value: Any


def _key(node: T) -> str:
    return repr(node)


def _canon(kind: str, value: Any) -> T:
    """Sets and maps are unordered: sort them, so equal replies compare equal."""
    if kind == "set":
        return T(kind, sorted(value, key=_key))
    if kind == "map":
        return T(kind, sorted(value, key=lambda kv: _key(kv[0])))
    return T(kind, value)


class WireClient:
    """A RESP3 connection (HELLO 3) to a redis-server; :meth:`call` returns a T tree."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        hello = self.call("HELLO", "3")
        assert hello.kind == "map", hello

    def close(self) -> None:
        self.sock.close()

    def call(self, *args: Any) -> T:
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        out = [b"*%d\r\n" % len(parts)]
        for p in parts:
            out.append(b"$%d\r\n%s\r\n" % (len(p), p))
        self.sock.sendall(b"".join(out))
        return self.read()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self) -> T:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return T("simple", rest)
        if kind == b"-":
            return error(BaseParser.parse_error(rest.decode("utf-8", "replace")))
        if kind == b":":
            return T("int", int(rest))
        if kind == b"(":
            return T("bignum", int(rest))
        if kind == b",":
            return T("double", float(rest))
        if kind == b"#":
            return T("bool", rest == b"t")
        if kind == b"_":
            return T("null", None)
        if kind == b"$":
            return T("null", None) if rest == b"-1" else T("bulk", self._exact(int(rest)))
        if kind == b"=":
            data = self._exact(int(rest))
            return T("verbatim", (data[:3], data[4:]))
        if kind in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return T("null", None)
            items = [self.read() for _ in range(n)]
            return _canon({b"*": "array", b"~": "set", b">": "push"}[kind], items)
        if kind == b"%":
            n = int(rest)
            return _canon("map", [(self.read(), self.read()) for _ in range(n)])
        raise ValueError(f"unknown RESP3 type in {line!r}")


def error(exc: BaseException) -> T:
    """An error as redis-py raises it: class and text."""
    return T("error", f"{type(exc).__name__}: {exc}")


def typed(x: Any) -> T:
    """The T tree of a reply as redis-py returns it from kvengine's drop-in (response
    callbacks off, sets as Python sets).  What redis-py cannot tell apart is folded:
    simple, bulk and verbatim strings are all bytes there."""
    if isinstance(x, BaseException):
        return error(x)
    if x is None:
        return T("null", None)
    if isinstance(x, bool):
        return T("bool", x)
    if isinstance(x, int):
        return T("int", x)
    if isinstance(x, float):
        return T("double", x)
    if isinstance(x, (bytes, str)):
        return T("bulk", x.encode() if isinstance(x, str) else bytes(x))
    if isinstance(x, (set, frozenset)):
        return _canon("set", [typed(i) for i in x])
    if isinstance(x, dict):
        return _canon("map", [(typed(k), typed(v)) for k, v in x.items()])
    if isinstance(x, (list, tuple)):
        return T("array", [typed(i) for i in x])
    return T(type(x).__name__, x)  # what a response callback built (a datetime...)


def fold(node: T) -> T:
    """A wire tree with the distinctions redis-py drops folded away (see :func:`typed`):
    simple and verbatim strings become bulk, big numbers int."""
    kind, value = node
    if kind in ("simple",):
        return T("bulk", value)
    if kind == "verbatim":
        return T("bulk", value[1])
    if kind == "bignum":
        return T("int", value)
    if kind == "error":
        return node
    if kind == "set" and any(i.kind in ("map", "array", "set") for i in value):
        # a set of maps (COMMAND INFO's key specs): no parser can build a Python set of
        # dicts, so redis-py gives a list whatever its version, and so does kvengine
        return T("array", [fold(i) for i in value])
    if kind in ("array", "set", "push"):
        return _canon(kind, [fold(i) for i in value])
    if kind == "map":
        return _canon(kind, [(fold(k), fold(v)) for k, v in value])
    return node


def shape(node: T) -> Any:
    """The types of a tree without the values of its leaves (map keys kept), for
    replies whose values differ by nature (INFO, MEMORY STATS, TIME...)."""
    kind, value = node
    if kind in ("array", "set", "push"):
        return (kind, [shape(i) for i in value])
    if kind == "map":
        return (kind, sorted(((repr(k), shape(v)) for k, v in value), key=lambda kv: kv[0]))
    return kind
