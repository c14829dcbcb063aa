"""Number parsing and formatting exactly as Redis does it.

Redis is strict about integers (``string2ll``: no spaces, no ``+``, no leading
zeros, 64-bit range) and formats floats two ways: ``%.17g`` for doubles (sorted-set
scores in Redis 7.0) and ``%.17Lf`` with trailing zeros trimmed for the x87 long
doubles of INCRBYFLOAT/HINCRBYFLOAT.  Python has no long double, so
:class:`LongDouble` arithmetic is done exactly with fractions and rounded to a
64-bit significand, the precision of the x86-64 ``long double``.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from kvengine import exceptions as e

LLONG_MAX = (1 << 63) - 1
LLONG_MIN = -(1 << 63)

def parse_int(value: bytes) -> int | None:
    """Redis's string2ll: the 64-bit integer `value` spells, or None.

    Digits only, an optional minus, no leading zeros ("0" itself is fine, "-0" is
    not), within the signed 64-bit range.  (bytes.isdigit is ASCII-only.)
    """
    n = len(value)
    if 0 < n <= 20:
        if value.isdigit():
            if value[0] != 48 or n == 1:
                v = int(value)
                if v <= LLONG_MAX:
                    return v
        elif n > 1 and value[0] == 45 and value[1] != 48 and value[1:].isdigit():
            v = int(value)
            if v >= LLONG_MIN:
                return v
    return None


def get_int(value: bytes, message: str = e.NOT_INTEGER) -> int:
    """parse_int or raise ``ERR value is not an integer or out of range``."""
    n = parse_int(value)
    if n is None:
        raise e.err(message)
    return n


def get_positive_int(value: bytes, name: str) -> int:
    """An integer argument that must be > 0 (``ERR <name> should be greater than 0``)."""
    n = get_int(value)
    if n <= 0:
        raise e.err(f"{name} should be greater than 0")
    return n


def get_range_long(value: bytes, low: int, high: int, message: str | None = None) -> int:
    """Redis's getRangeLongFromObjectOrReply: an integer within [low, high].

    Not an integer: `message` or ``value is not an integer or out of range``; out of
    the range: `message` or ``value is out of range, value must between LOW and HIGH``.
    """
    n = parse_int(value)
    if n is None:
        raise e.err(message or e.NOT_INTEGER)
    if not low <= n <= high:
        raise e.err(message or f"value is out of range, value must between {low} and {high}")
    return n


def get_positive_long(value: bytes, message: str | None = None) -> int:
    """Redis's getPositiveLongFromObjectOrReply: an integer >= 0; errors (non-integer
    and negative alike) say `message` or ``value is out of range, must be positive``."""
    return get_range_long(value, 0, LLONG_MAX, message or "value is out of range, must be positive")


MAX_REPLY_ITEMS = 1 << 25
"""The most elements kvengine builds for one reply whose length an argument chooses
(a negative count of SRANDMEMBER/HRANDFIELD/ZRANDMEMBER repeats elements).  Redis
streams such a reply until the client's output buffer limit closes the connection;
an in-process engine would instead hold its lock and memory for the whole list."""


def check_reply_items(n: int) -> None:
    """Refuse a reply of more than MAX_REPLY_ITEMS elements before building it."""
    if n > MAX_REPLY_ITEMS:
        raise e.err(
            f"reply of {n} elements exceeds kvengine's limit of {MAX_REPLY_ITEMS} elements per reply"
        )


# strtod/strtold accept what this matches (decimal, hex, inf/infinity, nan); Redis
# then rejects leading spaces and NaN.  Python's float() is laxer (underscores,
# surrounding spaces), so every input is checked against this first.
_FLOAT_RE = re.compile(
    rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    rb"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    rb"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])"
)


def parse_float(value: bytes) -> float | None:
    """Redis's string2d (strtod, no spaces, no NaN): a double, or None."""
    if not value or not _FLOAT_RE.fullmatch(value):
        return None
    if value[:3].lower() in (b"0x", b"+0x", b"-0x") or b"x" in value[:3].lower():
        try:
            f = float.fromhex(value.decode())
        except (ValueError, OverflowError):
            return None
    else:
        f = float(value)
    if math.isnan(f):
        return None
    return f


def get_float(value: bytes, message: str = e.NOT_FLOAT) -> float:
    """parse_float or raise ``ERR value is not a valid float``."""
    f = parse_float(value)
    if f is None:
        raise e.err(message)
    return f


def format_double(value: float) -> bytes:
    """A double as Redis 7.0 replies it (``%.17g``; ``inf``/``-inf``)."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    return b"%.17g" % value


def format_int_or_double(value: float) -> bytes:
    """Redis's humanfriendly double->string for stored values (``%.17g``, integral
    values without a fraction), used where Redis converts a double to a string."""
    if value.is_integer() and abs(value) < 1e17:
        return b"%d" % int(value)
    return format_double(value)


# -- long double (x86-64 80-bit extended, 64-bit significand) ------------------------
_LD_BITS = 64
_LD_MAX_EXP = 16384  # values at or beyond 2**16384 overflow to inf


def ld_round(x: Fraction) -> Fraction | float:
    """Round an exact rational to the nearest 64-bit-significand value (ties to even)."""
    if x == 0:
        return Fraction(0)
    sign = -1 if x < 0 else 1
    x = abs(x)
    exp = x.numerator.bit_length() - x.denominator.bit_length()
    if Fraction(2) ** exp > x:
        exp -= 1
    if exp >= _LD_MAX_EXP:
        return math.inf * sign
    shift = _LD_BITS - 1 - exp  # scale so the significand has 64 bits
    scaled = x * (Fraction(2) ** shift) if shift >= 0 else x / (Fraction(2) ** -shift)
    q, r = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * r
    if twice > scaled.denominator or (twice == scaled.denominator and q & 1):
        q += 1
    result = Fraction(q) / (Fraction(2) ** shift) if shift >= 0 else Fraction(q * 2 ** -shift)
    return result * sign


MAX_LONG_DOUBLE_CHARS = 5 * 1024  # Redis's buffer for string2ld: longer input is refused
_LD_MAX_DIGITS = 4935    # a decimal of more integer digits than this overflows a long double
_LD_MIN_DIGITS = -4955   # one whose first significant digit is further right underflows to 0
_LD_DENORM_MIN = Fraction(1, 2**16445)  # the smallest x87 extended subnormal
_DEC_RE = re.compile(rb"([0-9]*)\.?([0-9]*)(?:[eE]([+-]?)([0-9]+))?")
_HEX_RE = re.compile(rb"0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?)([0-9]+))?")


def _digits_int(digits: bytes, base: int = 10) -> int:
    """int(digits) for any length (Python refuses str->int past 4300 decimal digits)."""
    if len(digits) <= 4000:
        return int(digits or b"0", base)
    half = len(digits) // 2
    return _digits_int(digits[:half], base) * base ** (len(digits) - half) + _digits_int(digits[half:], base)


def _exponent(sign: bytes, digits: bytes | None) -> int | None:
    """An exponent's value, or None when it is too large to mean anything but
    overflow or underflow (more than 7 digits)."""
    if not digits:
        return 0
    digits = digits.lstrip(b"0") or b"0"
    if len(digits) > 7:
        return None
    return -int(digits) if sign == b"-" else int(digits)


def _exact_strtold(body: bytes) -> Fraction | None:
    """The exact value a finite, unsigned strtold input spells, or None when it
    overflows or underflows the long double range (strtold's ERANGE, which
    string2ld refuses).  Work is linear in the text, whatever the exponent says."""
    hexa = _HEX_RE.fullmatch(body)
    if hexa is not None:
        whole, frac, sign, exp_digits = hexa.groups()
        mantissa = (whole + frac).lstrip(b"0")
        if not mantissa:
            return Fraction(0)
        exp = _exponent(sign, exp_digits)
        if exp is None:
            return None
        # value = mantissa * 2**(exp - 4*len(frac)); its binary order of magnitude:
        order = 4 * len(mantissa) + exp - 4 * len(frac)
        if order > 16400 or order < -16500:
            return None
        return Fraction(_digits_int(mantissa, 16)) * Fraction(2) ** (exp - 4 * len(frac))
    dec = _DEC_RE.fullmatch(body)
    if dec is None:
        return None
    whole, frac, sign, exp_digits = dec.groups()
    digits = (whole + frac).lstrip(b"0")
    if not digits:
        return Fraction(0)
    exp = _exponent(sign, exp_digits)
    if exp is None:
        return None
    exp -= len(frac)
    order = len(digits) + exp  # the value is in [10**(order-1), 10**order)
    if order > _LD_MAX_DIGITS or order < _LD_MIN_DIGITS:
        return None
    return Fraction(_digits_int(digits)) * Fraction(10) ** exp


def _int_str(n: int) -> str:
    """str(n) for a non-negative int of any size (Python refuses past 4300 digits)."""
    if n < 10**4000:
        return str(n)
    high, low = divmod(n, 10**4000)
    return _int_str(high) + str(low).rjust(4000, "0")


def parse_long_double(value: bytes) -> Fraction | float | None:
    """Redis's string2ld (strtold, no spaces, no NaN, no ERANGE, under 5 kB): an
    exact long double, or None.

    Finite results are Fractions holding exactly the long double strtold returns;
    infinities (spelled ``inf``) are floats.
    """
    if not value or len(value) >= MAX_LONG_DOUBLE_CHARS or not _FLOAT_RE.fullmatch(value):
        return None
    neg = value[:1] == b"-"
    body = value.lstrip(b"+-").lower()
    if body.startswith(b"nan"):
        return None
    if body.startswith(b"inf"):
        return -math.inf if neg else math.inf
    exact = _exact_strtold(body)
    if exact is None:
        return None
    if exact and exact <= _LD_DENORM_MIN / 2:
        return None  # underflow to zero: ERANGE
    rounded = ld_round(-exact if neg else exact)
    if isinstance(rounded, float):
        return None  # overflow to infinity: ERANGE
    return rounded


def long_double_add(a: Fraction | float, b: Fraction | float) -> Fraction | float:
    """a + b in long double precision (inf/nan propagate as floats)."""
    if isinstance(a, float) or isinstance(b, float):
        return float(a) + float(b)
    return ld_round(a + b)


def format_long_double(value: Fraction | float) -> bytes:
    """Redis's ld2string(LD_STR_HUMAN): ``%.17Lf`` with trailing zeros and dot trimmed."""
    if isinstance(value, float):
        if math.isnan(value):
            return b"nan"
        return b"inf" if value > 0 else b"-inf"
    neg = value < 0
    scaled = abs(value) * 10**17
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r > scaled.denominator or (2 * r == scaled.denominator and q & 1):
        q += 1
    digits = _int_str(q).rjust(18, "0")
    text = digits[:-17] + "." + digits[-17:]
    text = text.rstrip("0").rstrip(".")
    if text in ("", "0"):
        return b"0"  # Redis prints "-0" only for negative zero, which %Lf cannot yield here
    return (("-" if neg else "") + text).encode()


def long_double_to_fraction(value: bytes) -> Fraction | float:
    """The stored string `value` as a long double, or ``ERR value is not a valid float``."""
    ld = parse_long_double(value)
    if ld is None:
        raise e.err(e.NOT_FLOAT)
    return ld


def split_args(line: bytes) -> list[bytes] | None:
    """Redis's sdssplitargs: split on blanks, honouring "double" (with escapes) and
    'single' quotes.  None for unbalanced quotes."""
    out: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i:i + 1].isspace():
            i += 1
        if i >= n:
            return out
        cur = bytearray()
        inq = insq = False
        while True:
            ch = line[i:i + 1]
            if inq:
                if ch == b"\\" and line[i + 1:i + 2] == b"x" and _is_hex(line[i + 2:i + 4]):
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif ch == b"\\" and i + 1 < n:
                    i += 1
                    esc = line[i:i + 1]
                    cur += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"a": b"\a"}.get(esc, esc)
                elif ch == b'"':
                    if i + 1 < n and not line[i + 1:i + 2].isspace():
                        return None
                    i += 1
                    break
                elif not ch:
                    return None
                else:
                    cur += ch
            elif insq:
                if ch == b"\\" and line[i + 1:i + 2] == b"'":
                    i += 1
                    cur += b"'"
                elif ch == b"'":
                    if i + 1 < n and not line[i + 1:i + 2].isspace():
                        return None
                    i += 1
                    break
                elif not ch:
                    return None
                else:
                    cur += ch
            elif ch in (b" ", b"\n", b"\r", b"\t", b"\0", b""):
                break
            elif ch == b'"':
                inq = True
            elif ch == b"'":
                insq = True
            else:
                cur += ch
            i += 1
        out.append(bytes(cur))


def _is_hex(two: bytes) -> bool:
    return len(two) == 2 and all(c in b"0123456789abcdefABCDEF" for c in two)
