"""Smoke test of the differential harness itself."""


def test_set_get(both):
    both.eq("SET", "k", "v")
    both.eq("GET", "k")
    both.error("wrong number of arguments", "GET")
    both.error("syntax error", "SET", "k", "v", "PX", "6", "EX", "6")
