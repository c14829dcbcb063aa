"""The packed encodings (kvengine/packed.py, Hash / ZSet / Set) against plain models,
each container run under both of its encodings (the thresholds parametrized)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from kvengine import Engine, packed, t_hash, t_list, t_set, t_zset
from kvengine.t_hash import Hash
from kvengine.t_list import List
from kvengine.t_set import Set
from kvengine.t_zset import ZSet

SPECIAL = b"\x00\x01\x02\x10\x11\x12"


def _random_bytes(rnd: random.Random, limit: int = 8) -> bytes:
    """Short keys made mostly of the bytes the packed layout escapes."""
    return bytes(rnd.choice(SPECIAL + b"ab") for _ in range(rnd.randrange(limit)))


@pytest.fixture(params=["compact", "big"])
def encoding(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with Redis's thresholds ("compact" stays packed while small) or with
    thresholds of 0 ("big": every container converts on its first element)."""
    if request.param == "big":
        monkeypatch.setattr(t_hash, "HASH_MAX_LISTPACK_ENTRIES", 0)
        monkeypatch.setattr(t_zset, "ZSET_MAX_LISTPACK_ENTRIES", 0)
        monkeypatch.setattr(t_set, "SET_MAX_INTSET_ENTRIES", 0)
        monkeypatch.setattr(t_list, "LIST_MAX_PACKED_BYTES", 0)
    yield request.param


def test_escape_round_trips_and_lookup_never_matches_across_entries() -> None:
    rnd = random.Random(3)
    for _ in range(300):
        items = {_random_bytes(rnd): _random_bytes(rnd) for _ in range(rnd.randrange(12))}
        for k, v in items.items():
            assert packed.unescape(packed.escape(k)) == k and packed.unescape(packed.escape(v)) == v
        lp = packed.pack(list(items.items()))
        assert lp.count(packed.SEP) == len(items)
        assert packed.pairs(lp) == list(items.items())
        assert packed.keys(lp) == list(items)
        for _ in range(20):
            probe = _random_bytes(rnd, 12)
            assert packed.lookup(lp, probe) == items.get(probe), (lp, probe)


def test_hash_matches_a_dict_model(encoding: str) -> None:
    rnd = random.Random(5)
    h, model = Hash(), {}
    for step in range(3000):
        field = _random_bytes(rnd, 5) if rnd.random() < 0.5 else b"f%d" % rnd.randrange(40)
        if rnd.random() < 0.7:
            value = _random_bytes(rnd, 6) * rnd.choice([1, 1, 1, 12])
            assert h.set(field, value) == (field not in model)
            model[field] = value
        else:
            assert h.delete(field) == (model.pop(field, None) is not None)
        assert h.get(field) == model.get(field)
        if step % 50 == 0:
            h.check()
            assert list(h.items()) == list(model.items())  # insertion order, as a listpack
            assert len(h) == len(model) and h.keys() == list(model) and h.values() == list(model.values())
    assert h.encoding() == ("hashtable" if encoding == "big" else "listpack")  # values stay <= 60 bytes
    batch, one_by_one = Hash(), Hash()
    flat = [x for pair in model.items() for x in pair] + [b"f1", b"again", b"z" * 65, b"x"]
    assert batch.set_many(flat, 0) == sum(one_by_one.set(flat[i], flat[i + 1]) for i in range(0, len(flat), 2))
    assert list(batch.items()) == list(one_by_one.items()) and batch.mem == one_by_one.mem
    assert batch.encoding() == one_by_one.encoding() == "hashtable"  # the 65-byte field converted both
    small = Hash()
    assert small.set_many([b"a", b"1", b"b", b"2", b"a", b"3"], 0) == 2
    small.check()
    assert list(small.items()) == [(b"a", b"3"), (b"b", b"2")] and small.encoding() == (
        "listpack" if encoding == "compact" else "hashtable")
    again = Hash.load_state(h.dump_state())
    again.check()
    assert dict(again.items()) == model
    copy = h.copy()
    copy.set(b"new", b"x")
    assert h.get(b"new") is None and dict(h.items()) == model


def test_zset_matches_a_dict_model(encoding: str) -> None:
    rnd = random.Random(9)
    zs, model = ZSet(), {}
    for step in range(2000):
        member = _random_bytes(rnd, 6) if rnd.random() < 0.5 else b"m%d" % rnd.randrange(40)
        op = rnd.random()
        if op < 0.6:
            score = float(rnd.choice([rnd.randrange(-3, 3), rnd.random(), float("inf"), -0.0]))
            zs.add(member, score)
            if model.get(member) != score:
                model[member] = score
        elif op < 0.85:
            assert zs.remove(member) == (model.pop(member, None) is not None)
        else:
            i = rnd.randrange(len(zs) + 1)
            for _, m in zs.delete_positions(i, i + rnd.randrange(4)):
                del model[m]
        assert zs.score(member) == model.get(member)
        if step % 50 == 0:
            zs.check()
            assert [m for _, m in zs.sl] == sorted(model, key=lambda m: (model[m], m))
            assert dict(zs.d) == model
    assert zs.encoding() == ("skiplist" if encoding == "big" else "listpack")
    again = ZSet.load_state(zs.dump_state())
    again.check()
    assert dict(again.d) == model and again.encoding() == zs.encoding()


def test_set_matches_a_set_model(encoding: str) -> None:
    rnd = random.Random(13)
    s, model = Set(), set()
    for step in range(2000):
        member = b"%d" % rnd.randrange(-50, 50)
        if rnd.random() < 0.65:
            assert s.add(member) == (member not in model)
            model.add(member)
        else:
            assert s.remove(member) == (member in model)
            model.discard(member)
        assert (member in s) == (member in model) and len(s) == len(model)
        if step % 50 == 0:
            s.check()
    if encoding == "compact":
        assert s.encoding() == "intset"
        assert s.members() == sorted(model, key=int)  # ascending, as Redis's intset
    assert b"007" not in s and b"\x00" not in s and not s.remove(b"-0")
    s.add(b"x")
    assert s.encoding() == "hashtable" and set(s.members()) == model | {b"x"}
    s.check()


def test_list_matches_a_list_model(encoding: str) -> None:
    rnd = random.Random(17)
    lst, model = List(), []
    for step in range(3000):
        op = rnd.random()
        item = _random_bytes(rnd, 6) * rnd.choice([1, 1, 1, 40])
        if op < 0.45:
            left = rnd.random() < 0.5
            lst.push(item, left)
            model.insert(0, item) if left else model.append(item)
        elif op < 0.8:
            left = rnd.random() < 0.5
            if model:
                assert lst.pop(left) == model.pop(0 if left else -1)
            else:
                with pytest.raises(IndexError):
                    lst.pop(left)
        elif op < 0.9 and model:
            i = rnd.randrange(len(model))
            lst.set_item(i, item)
            model[i] = item
        else:
            i = rnd.randrange(len(model) + 1)
            lst.insert(i, item)
            model.insert(i, item)
        assert len(lst) == len(model)
        if step % 50 == 0:
            lst.check()
            assert list(lst) == model == list(lst.q)
    if encoding == "big":
        assert not lst.packed
    again = List.load_state(lst.dump_state())
    again.check()
    assert list(again) == model
    copy = lst.copy()
    copy.push(b"x", False)
    assert list(lst) == model
    small = List([b"a", b"\x00"])
    assert small.packed == (encoding == "compact")
    small.q = small.q  # LREM / LTRIM assign q: the list stays packed if it fits
    assert small.packed == (encoding == "compact") and list(small) == [b"a", b"\x00"]
    small.push(b"y" * t_list.LIST_MAX_PACKED_BYTES, True)
    assert not small.packed and list(small) == [b"y" * t_list.LIST_MAX_PACKED_BYTES, b"a", b"\x00"]
    small.check()


def test_packed_memory_is_accounted_and_released(encoding: str) -> None:
    kv = Engine(active_expire=False)
    base = kv.server.used_memory()
    kv.hset("h", mapping={f"f{i}": f"v{i}" for i in range(10)})
    kv.zadd("z", {f"m{i}": i for i in range(10)})
    kv.sadd("s", *range(10))
    kv.rpush("l", *range(10))
    for key in ("h", "z", "s", "l"):
        assert kv.memory_usage(key) > 0
    kv.hdel("h", "f0")
    kv.zrem("z", "m0")
    kv.srem("s", 0)
    kv.lpop("l")
    assert kv.copy("h", "h2") and kv.copy("z", "z2") and kv.copy("s", "s2") and kv.copy("l", "l2")
    kv.hset("h2", "extra", "x")
    assert kv.hget("h", "extra") is None
    kv.rpush("l2", "more")
    assert kv.lrange("l", 0, -1) == [b"%d" % i for i in range(1, 10)]
    kv.delete("h", "z", "s", "l", "h2", "z2", "s2", "l2")
    assert kv.server.used_memory() == base
    kv.close()


def test_packed_containers_cost_less_than_converted_ones() -> None:
    """The size model says what the benchmark measures: packed is several times smaller."""
    h, z, s, lst = Hash(), ZSet(), Set(), List()
    for i in range(10):
        h.set(b"field%d" % i, b"value-%d" % i)
        z.add(b"member:%d" % i, i * 1.5)
        s.add(b"%d" % (1000 + i))
        lst.push(b"item-%d" % i, False)
    packed_sizes = (h.mem, z.mem, s.mem, lst.mem)
    for c in (h, z, s, lst):
        c.convert()
    assert all(p * 3 < c.mem for p, c in zip(packed_sizes, (h, z, s, lst)))


def test_batch_writes_match_one_at_a_time(encoding: str) -> None:
    """HSET / ZADD / SADD / LPUSH / RPUSH of many elements (packed in one go: set_many,
    ZSet.fill, add_many, push_many) end as one-element calls would: same contents,
    replies, encodings and accounted memory; with escaped bytes, repeats and -0."""
    rnd = random.Random(11)
    for _ in range(150):
        batch, single = Engine(active_expire=False), Engine(active_expire=False)
        n = rnd.randrange(1, 12)
        fields = [_random_bytes(rnd, 4) for _ in range(n)]
        values = [_random_bytes(rnd) for _ in range(n)]
        scores = [rnd.choice([0.0, -0.0, 1.5, -2.0, float("inf")]) for _ in range(n)]
        ints = [str(rnd.randrange(-50, 50)).encode() for _ in range(n)]
        for kv in (batch, single):
            kv.hset("pre", "a", "1")
            kv.sadd("spre", 7)
            kv.rpush("lpre", b"\x00x")
        flat = [x for pair in zip(fields, values) for x in pair]
        assert batch.execute_command("HSET", "h", *flat) == sum(single.hset("h", f, v) for f, v in zip(fields, values))
        assert batch.execute_command("HSET", "pre", *flat) == sum(single.hset("pre", f, v) for f, v in zip(fields, values))
        zflat = [x for pair in zip(scores, fields) for x in pair]
        assert batch.execute_command("ZADD", "z", *zflat) == sum(single.zadd("z", {f: s}) for s, f in zip(scores, fields))
        for key in ("s", "spre"):
            assert batch.sadd(key, *ints) == sum(single.sadd(key, m) for m in ints)
        for key in ("l", "lpre"):
            assert batch.lpush(key, *values) == [single.lpush(key, v) for v in values][-1]
            assert batch.rpush(key, *fields) == [single.rpush(key, f) for f in fields][-1]
        for key in ("h", "pre"):
            assert batch.hgetall(key) == single.hgetall(key)
            assert batch.hkeys(key) == single.hkeys(key)
            assert batch.hvals(key) == single.hvals(key)
        assert batch.zrange("z", 0, -1, withscores=True) == single.zrange("z", 0, -1, withscores=True)
        for key in ("s", "spre"):
            assert batch.smembers(key) == single.smembers(key)
        for key in ("l", "lpre"):
            assert batch.lrange(key, 0, -1) == single.lrange(key, 0, -1)
            assert [batch.lindex(key, i) for i in range(-n - 3, n + 3)] == [single.lindex(key, i) for i in range(-n - 3, n + 3)]
        for key in ("h", "pre", "z", "s", "spre", "l", "lpre"):
            assert batch.object("encoding", key) == single.object("encoding", key), key
        assert batch.server.used_memory() == single.server.used_memory()


@pytest.mark.parametrize("left", [True, False])
def test_a_batch_push_past_the_packed_limit_matches_one_at_a_time(left: bool) -> None:
    """LPUSH/RPUSH of thousands of items (a 5,000-argument push from Lua) converts once
    and extends, ending exactly as pushes one by one: contents, order and memory."""
    from kvengine.t_list import List

    items = [b"item:%d" % i + (b"\x01" if i % 97 == 0 else b"") for i in range(5000)]
    for start in ([], [b"a", b"b"], [b"x" * 40] * 300):  # empty, packed, already converted
        bulk, single = List(), List()
        for lst in (bulk, single):
            for x in start:
                lst.push(x, False)
        bulk.push_many(items, left)
        for x in items:
            single.push(x, left)
        assert list(bulk) == list(single) and bulk.mem == single.mem
        assert bulk.packed == single.packed
        bulk.push_many([b"one"], left)
        single.push(b"one", left)
        assert list(bulk) == list(single) and bulk.mem == single.mem
