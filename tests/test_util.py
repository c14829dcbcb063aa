"""Redis-exact number parsing/formatting and glob matching."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kvengine.keys import glob_match
from kvengine.util import format_long_double, long_double_add, parse_float, parse_int, parse_long_double


@pytest.mark.parametrize("text, value", [
    (b"0", 0), (b"-1", -1), (b"9223372036854775807", 2**63 - 1), (b"-9223372036854775808", -(2**63)),
    (b"01", None), (b"-0", None), (b"+1", None), (b" 1", None), (b"1 ", None), (b"", None), (b"1.0", None),
    (b"9223372036854775808", None), (b"\xd9\xa1", None), (b"1_0", None),
])
def test_parse_int(text: bytes, value: int | None) -> None:
    assert parse_int(text) == value


@pytest.mark.parametrize("text, ok", [
    (b"1.5", True), (b"-inf", True), (b"+Infinity", True), (b".5", True), (b"5.", True), (b"1e5", True),
    (b"0x1p3", True), (b"nan", False), (b" 1", False), (b"1_0", False), (b"", False), (b"1e", False),
])
def test_parse_float(text: bytes, ok: bool) -> None:
    assert (parse_float(text) is not None) is ok


def test_long_double_arithmetic_matches_x87() -> None:
    # With 64-bit significands 10.5 + 0.1 prints as 10.6, where doubles give 10.5999...
    total = long_double_add(parse_long_double(b"10.5"), parse_long_double(b"0.1"))  # type: ignore[arg-type]
    assert format_long_double(total) == b"10.6"
    assert format_long_double(Fraction(3000)) == b"3000"
    assert format_long_double(Fraction(-1, 2)) == b"-0.5"
    assert format_long_double(parse_long_double(b"-0.0")) == b"0"  # type: ignore[arg-type]


@pytest.mark.parametrize("pattern, string, matched", [
    (b"*", b"anything", True), (b"h?llo", b"hello", True), (b"h?llo", b"hllo", False),
    (b"h[ae]llo", b"hallo", True), (b"h[^e]llo", b"hello", False), (b"h[^e]llo", b"hallo", True),
    (b"h[a-b]llo", b"hbllo", True), (b"h[b-a]llo", b"hallo", True), (b"h\\*llo", b"h*llo", True),
    (b"h\\*llo", b"hello", False), (b"a[", b"a[", False), (b"a[b", b"ab", True), (b"*[*", b"x[", False),
    (b"**llo*", b"hello", True), (b"", b"", True), (b"a*", b"", False), (b"*", b"", True),
])
def test_glob_match(pattern: bytes, string: bytes, matched: bool) -> None:
    assert glob_match(pattern, string) is matched
