"""Hypothesis-generated MULTI blocks against a real Redis: queueing errors, runtime
errors, WATCH by the same connection, DISCARD, nested MULTI, EXEC without MULTI."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.differential.test_random_sequences import COMMANDS, KEYS

TX_COMMANDS = st.one_of(
    COMMANDS,
    st.just(("MULTI",)),
    st.just(("EXEC",)),
    st.just(("DISCARD",)),
    st.just(("UNWATCH",)),
    st.tuples(st.just("WATCH"), KEYS),
    st.tuples(st.sampled_from(["LPUSH", "RPUSH", "SADD"]), KEYS, st.sampled_from(["x", "1"])),
    st.just(("SET",)),  # wrong arity: flags an open transaction
    st.just(("NOSUCHCOMMAND", "a")),  # unknown: flags an open transaction
    st.just(("BLPOP", "a", "0")),  # never blocks inside MULTI; here only run when a is a list
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=st.lists(TX_COMMANDS, min_size=1, max_size=30))
def test_random_transactions(both, program: list[tuple[str, ...]]) -> None:
    _leave_multi(both)  # a failed example may have left the connection in MULTI
    both.real.flushall()
    both.kv.flushall()
    in_multi = False
    for cmd in program:
        if cmd[0] == "BLPOP" and not in_multi:
            continue  # outside MULTI it could block the real server's connection
        reply = both.eq(*[a.encode("latin-1") for a in cmd])
        if cmd[0] == "MULTI" and reply == b"OK":
            in_multi = True
        elif cmd[0] in ("EXEC", "DISCARD") and in_multi:
            in_multi = False
    if in_multi:
        both.eq("DISCARD")
    both.eq("KEYS", "*", sort=True)


def _leave_multi(both) -> None:
    try:
        both.real.execute_command("DISCARD")
    except Exception:  # "DISCARD without MULTI": nothing to leave
        pass
