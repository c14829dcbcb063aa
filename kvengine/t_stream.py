"""Stream commands (Redis's t_stream.c).

A stream is a sequence of entries (an ID and field/value pairs) in ID order.  As in
Redis, entries live in nodes of at most ``stream-node-max-entries`` entries and
``stream-node-max-bytes`` bytes (Redis's listpacks under a radix tree), so that
``MAXLEN ~`` / ``MINID ~`` trim exactly the whole nodes Redis trims: each node keeps
Redis's count of live and deleted entries and the byte size its listpack would have
(``_lp_size``), which decide when a new node starts.  The nodes sit in a list sorted
by their master ID (bisect), each holding its live IDs and entries in two lists.

An ID is one Python int, ``ms << 64 | seq``, so comparing IDs is comparing ints.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING, Any

import msgpack
from sortedcontainers import SortedDict

from kvengine import exceptions as e
from kvengine.blocking import Block, deadline_from, may_block
from kvengine.commands import (
    BLOCKING,
    DENYOOM,
    FAST,
    LOADING,
    MOVABLEKEYS,
    READONLY,
    STALE,
    WRITE,
    Argv,
    Reply,
    command,
)
from kvengine.reply import OK, Status
from kvengine.serialize import register_type
from kvengine.util import get_int, parse_int

LONG_MAX = (1 << 63) - 1

if TYPE_CHECKING:
    from kvengine.client import Client

# CONFIG SET stream-node-max-entries / stream-node-max-bytes (Redis's defaults).
STREAM_NODE_MAX_ENTRIES = 100
STREAM_NODE_MAX_BYTES = 4096
STREAM_LISTPACK_MAX_SIZE = 1 << 30

U64 = (1 << 64) - 1
MAX_ID = (U64 << 64) | U64
SCG_INVALID_ENTRIES_READ = -1

# Size model (bytes) for used_memory, calibrated against CPython 3.11's RSS growth
# (benchmarks/bench_streams.py): per node, per open entry, per sealed node beyond its
# packed bytes.
STREAM_BASE_BYTES = 300
STREAM_NODE_BYTES = 150
STREAM_ENTRY_BYTES = 175  # an open node's entry: its int ID, a tuple, the values (CPython 3.11 RSS)
SEALED_NODE_BYTES = 60  # a sealed node's bytes object header and the lists it no longer has
SEALED_NODES_CACHED = 2

INVALID_ID = "Invalid stream ID specified as stream command argument"


def fmt_id(i: int) -> bytes:
    """Redis's createStreamIDString: ``ms-seq``."""
    return b"%d-%d" % (i >> 64, i & U64)


def incr_id(i: int) -> int | None:
    """streamIncrID: the next ID, None past the last possible one."""
    return None if i == MAX_ID else i + 1


def decr_id(i: int) -> int | None:
    """streamDecrID: the previous ID, None before 0-0."""
    return None if i == 0 else i - 1


_SPACES = b" \t\n\v\f\r"


def _string2ull(s: bytes) -> int | None:
    """Redis's string2ull: string2ll, else strtoull (leading blanks, a sign)."""
    v = parse_int(s)
    if v is not None:
        return v if v >= 0 else None
    t = s.lstrip(_SPACES)
    neg = False
    if t[:1] in (b"+", b"-"):
        neg = t[:1] == b"-"
        t = t[1:]
    if not t or not t.isdigit():
        return None
    v = int(t)
    if v > U64:
        return None
    return (-v) & U64 if neg else v


def parse_id(arg: bytes, missing_seq: int = 0, strict: bool = False) -> int:
    """streamGenericParseIDOrReply: ``ms-seq``, ``ms`` (seq = missing_seq), ``-``, ``+``."""
    if len(arg) > 127 or (strict and arg in (b"-", b"+")):
        raise e.err(INVALID_ID)
    if arg == b"-":
        return 0
    if arg == b"+":
        return MAX_ID
    ms_part, dash, seq_part = arg.partition(b"-")
    ms = _string2ull(ms_part)
    if ms is None:
        raise e.err(INVALID_ID)
    if dash:
        seq = _string2ull(seq_part)
        if seq is None:
            raise e.err(INVALID_ID)
    else:
        seq = missing_seq
    return ms << 64 | seq


def parse_add_id(arg: bytes) -> tuple[int, bool]:
    """XADD's explicit ID: (id, seq_given); ``ms-*`` leaves the sequence to the stream."""
    if len(arg) <= 127 and arg.endswith(b"-*") and arg.count(b"-") == 1:
        ms = _string2ull(arg[:-2])
        if ms is None:
            raise e.err(INVALID_ID)
        return ms << 64, False
    return parse_id(arg, 0, True), True


def parse_interval(arg: bytes, missing_seq: int) -> tuple[int, bool]:
    """streamParseIntervalIDOrReply: (id, exclusive) for a ``(``-prefixed bound."""
    if len(arg) > 1 and arg[:1] == b"(":
        return parse_id(arg[1:], missing_seq, True), True
    return parse_id(arg, missing_seq), False


# -- listpack size model ------------------------------------------------------------------
def _lp_int_size(v: int) -> int:
    """Bytes of an integer listpack element (encoding + backlen)."""
    if 0 <= v <= 127:
        return 2
    if -4096 <= v <= 4095:
        return 3
    if -32768 <= v <= 32767:
        return 4
    if -8388608 <= v <= 8388607:
        return 5
    if -(1 << 31) <= v < (1 << 31):
        return 6
    return 10


def _lp_size(s: bytes) -> int:
    """Bytes of a listpack element holding `s` (lpAppend stores integer-looking
    strings as integers)."""
    n = len(s)
    if n <= 20:
        v = parse_int(s)
        if v is not None:
            return _lp_int_size(v)
    enc = 1 + n if n < 64 else (2 + n if n < 4096 else 5 + n)
    if enc <= 127:
        back = 1
    elif enc < 16383:
        back = 2
    elif enc < 2097151:
        back = 3
    elif enc < 268435455:
        back = 4
    else:
        back = 5
    return enc + back


def _i64(v: int) -> int:
    """An unsigned 64-bit difference as the int64 lpAppendInteger stores."""
    v &= U64
    return v - (1 << 64) if v >> 63 else v


class Node:
    """One radix-tree node: a listpack's worth of entries sharing a master entry.

    The stream's last node is open: its IDs and entries are Python lists.  A full node
    is sealed: packed into one bytes object (IDs as 64-bit pairs, then msgpack of the
    entries, values only where the fields are the master entry's, as Redis's listpack
    compresses them), about a tenth of the memory.  Reading a sealed node unpacks it
    into its lists, kept while it is among the stream's few recently read nodes
    (``cache``); changing it drops the packed form until it is sealed again.
    """

    __slots__ = ("master", "mfields", "_ids", "_vals", "blob", "live", "dead", "body", "tail", "cache")

    def __init__(self, master: int, fields: tuple[bytes, ...], cache: list[Node] | None = None) -> None:
        self.master = master
        self.mfields = fields
        self._ids: list[int] | None = []
        self._vals: list[tuple[bytes, ...]] | None = []
        self.blob: bytes | None = None
        self.cache = cache if cache is not None else []
        self.live = 0
        self.dead = 0
        # listpack bytes other than the live/deleted counters: header + end (7),
        # num-fields, the master fields, the master terminator.
        self.body = 7 + _lp_int_size(len(fields)) + sum(_lp_size(f) for f in fields) + 2
        self.tail = master  # the last ID ever appended (deleted ones included)

    # -- packed form ---------------------------------------------------------------------------
    @property
    def ids(self) -> list[int]:
        if self._ids is None:
            self._unpack()
        return self._ids  # type: ignore[return-value]

    @property
    def vals(self) -> list[tuple[bytes, ...]]:
        if self._vals is None:
            self._unpack()
        return self._vals  # type: ignore[return-value]

    def cost(self) -> int:
        """Bytes the size model counts for this node's entries."""
        if self.blob is not None:
            return len(self.blob) + SEALED_NODE_BYTES
        return STREAM_ENTRY_BYTES * self.live

    def seal(self) -> None:
        """Pack the entries and drop the lists (a full node, or one read a while ago)."""
        if self.blob is None:
            assert self._ids is not None and self._vals is not None
            ids = array("Q")
            for i in self._ids:
                ids.append(i >> 64)
                ids.append(i & U64)
            m = self.mfields
            ents: list[Any] = []
            for flat in self._vals:
                if flat[0::2] == m:
                    ents.append(list(flat[1::2]))
                else:
                    ents.append([list(flat)])  # a list in a list: its own fields
            self.blob = ids.tobytes() + msgpack.packb(ents, use_bin_type=True)
        self._ids = self._vals = None

    def _unpack(self) -> None:
        blob = self.blob
        assert blob is not None
        n = self.live
        ids = array("Q")
        ids.frombytes(blob[:16 * n])
        it = iter(ids)
        self._ids = [ms << 64 | seq for ms, seq in zip(it, it)]
        m = self.mfields
        vals: list[tuple[bytes, ...]] = []
        if len(m) == 1:
            f0 = m[0]
            for e in msgpack.unpackb(blob[16 * n:], use_list=True):
                vals.append((f0, e[0]) if type(e[0]) is bytes else tuple(e[0]))
        else:
            for e in msgpack.unpackb(blob[16 * n:], use_list=True):
                if type(e[0]) is bytes:
                    flat = [None] * (2 * len(e))
                    flat[0::2] = m
                    flat[1::2] = e
                    vals.append(tuple(flat))  # type: ignore[arg-type]
                else:
                    vals.append(tuple(e[0]))
        self._vals = vals
        cache = self.cache
        cache.append(self)
        if len(cache) > SEALED_NODES_CACHED:
            cache.pop(0).seal()

    def open(self) -> None:
        """Make the lists the only form (before a change)."""
        if self._ids is None:
            self._unpack()
        if self.blob is not None:
            self.blob = None
        try:
            self.cache.remove(self)
        except ValueError:
            pass

    def nbytes(self) -> int:
        """lpBytes of the listpack Redis would hold."""
        return self.body + _lp_int_size(self.live) + _lp_int_size(self.dead)

    def append(self, id_: int, flat: tuple[bytes, ...]) -> None:
        if self._ids is None or self.blob is not None:
            self.open()
        n = len(flat) // 2
        same = flat[0::2] == self.mfields
        size = 2 + _lp_int_size(_i64((id_ >> 64) - (self.master >> 64)))
        size += _lp_int_size(_i64((id_ & U64) - (self.master & U64)))
        if same:
            size += sum(map(_lp_size, flat[1::2]))
            size += _lp_int_size(n + 3)
        else:
            size += _lp_int_size(n) + sum(map(_lp_size, flat))
            size += _lp_int_size(2 * n + 4)
        self.body += size
        self._ids.append(id_)  # type: ignore[union-attr]
        self._vals.append(flat)  # type: ignore[union-attr]
        self.live += 1
        self.tail = id_

    def remove_first(self, k: int) -> None:
        """Mark the first k live entries deleted (exact trimming)."""
        self.open()
        del self.ids[:k]
        del self.vals[:k]
        self.live -= k
        self.dead += k

    def remove_at(self, i: int) -> None:
        """Mark the i-th live entry deleted (its listpack bytes stay, as in Redis)."""
        self.open()
        del self.ids[i]
        del self.vals[i]
        self.live -= 1
        self.dead += 1


@register_type
class Stream:
    """A Redis stream: entries in nodes, plus consumer groups."""

    redis_type = "stream"
    __slots__ = ("nodes", "starts", "length", "last_id", "first_id", "max_deleted",
                 "entries_added", "groups", "mem", "acct", "cache")

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.starts: list[int] = []
        self.length = 0
        self.last_id = 0
        self.first_id = 0
        self.max_deleted = 0
        self.entries_added = 0
        self.groups: dict[bytes, Any] = {}
        self.mem = STREAM_BASE_BYTES
        self.cache: list[Node] = []  # sealed nodes read lately, kept unpacked

    def __len__(self) -> int:
        return self.length

    def __bool__(self) -> bool:
        return True  # an empty stream is kept (Redis never deletes it for being empty)

    def encoding(self) -> str:
        """OBJECT ENCODING."""
        return "stream"

    # -- entries ---------------------------------------------------------------------------
    def append(self, id_: int, flat: tuple[bytes, ...]) -> None:
        """streamAppendItem for an ID already checked to be greater than last_id."""
        nodes = self.nodes
        node = nodes[-1] if nodes else None
        if node is not None:
            max_bytes = STREAM_NODE_MAX_BYTES
            if max_bytes == 0 or max_bytes > STREAM_LISTPACK_MAX_SIZE:
                max_bytes = STREAM_LISTPACK_MAX_SIZE
            if node.nbytes() + sum(map(len, flat)) >= max_bytes:
                node = None
            elif STREAM_NODE_MAX_ENTRIES and node.live + node.dead >= STREAM_NODE_MAX_ENTRIES:
                node = None
        if node is None:
            if nodes:
                self._sealed(nodes[-1])
            node = Node(id_, flat[0::2], self.cache)
            nodes.append(node)
            self.starts.append(id_)
            self.mem += STREAM_NODE_BYTES
        before = node.cost()
        node.append(id_, flat)
        self.mem += node.cost() - before
        self.length += 1
        self.entries_added += 1
        self.last_id = id_
        if self.length == 1:
            self.first_id = id_

    def _sealed(self, node: Node) -> None:
        before = node.cost()
        node.seal()
        self.mem += node.cost() - before

    def _drop_node(self, i: int) -> None:
        node = self.nodes.pop(i)
        del self.starts[i]
        try:
            self.cache.remove(node)
        except ValueError:
            pass
        self.mem -= STREAM_NODE_BYTES + node.cost()

    def _locate(self, id_: int) -> tuple[int, int]:
        """(node index, position in node) of the first live entry >= id_."""
        ni = bisect_right(self.starts, id_) - 1
        if ni < 0:
            return 0, 0
        return ni, bisect_left(self.nodes[ni].ids, id_)

    def get(self, id_: int) -> tuple[bytes, ...] | None:
        """The entry with this ID, None if absent or deleted."""
        ni = bisect_right(self.starts, id_) - 1
        if ni < 0:
            return None
        node = self.nodes[ni]
        i = bisect_left(node.ids, id_)
        if i < len(node.ids) and node.ids[i] == id_:
            return node.vals[i]
        return None

    def delete(self, id_: int) -> bool:
        """streamDeleteItem: mark one entry deleted; a node left empty goes."""
        ni = bisect_right(self.starts, id_) - 1
        if ni < 0:
            return False
        node = self.nodes[ni]
        i = bisect_left(node.ids, id_)
        if i >= len(node.ids) or node.ids[i] != id_:
            return False
        if node.live == 1:
            self._drop_node(ni)
        else:
            before = node.cost()
            node.remove_at(i)
            self.mem += node.cost() - before
        self.length -= 1
        return True

    def range(self, start: int, end: int, count: int = 0, rev: bool = False) -> list[tuple[int, tuple[bytes, ...]]]:
        """Live entries with start <= ID <= end, at most `count` (0: all), in order or reversed."""
        out: list[tuple[int, tuple[bytes, ...]]] = []
        if start > end or not self.nodes:
            return out
        nodes = self.nodes
        if not rev:
            ni, i = self._locate(start)
            while ni < len(nodes):
                node = nodes[ni]
                ids, vals = node.ids, node.vals
                while i < len(ids):
                    id_ = ids[i]
                    if id_ > end:
                        return out
                    out.append((id_, vals[i]))
                    if len(out) == count:
                        return out
                    i += 1
                ni += 1
                i = 0
        else:
            ni = bisect_right(self.starts, end) - 1
            if ni < 0:
                return out
            i = bisect_right(nodes[ni].ids, end) - 1
            while ni >= 0:
                node = nodes[ni]
                ids, vals = node.ids, node.vals
                while i >= 0:
                    id_ = ids[i]
                    if id_ < start:
                        return out
                    out.append((id_, vals[i]))
                    if len(out) == count:
                        return out
                    i -= 1
                ni -= 1
                if ni >= 0:
                    i = len(nodes[ni].ids) - 1
        return out

    def first_live(self) -> int:
        """streamGetEdgeID(first, skip tombstones): MAX_ID when empty."""
        return self.nodes[0].ids[0] if self.nodes else MAX_ID

    def last_live(self) -> int:
        """streamLastValidID: 0 when empty."""
        return self.nodes[-1].ids[-1] if self.nodes else 0

    def trim(self, strategy: str, maxlen: int, minid: int, approx: bool, limit: int) -> int:
        """streamTrim: delete from the head, whole nodes only if `approx`."""
        deleted = 0
        nodes = self.nodes
        while nodes:
            if strategy == "maxlen" and self.length <= maxlen:
                break
            node = nodes[0]
            entries = node.live
            if limit and deleted + entries > limit:
                break
            if strategy == "maxlen":
                remove = self.length - entries >= maxlen
            else:
                remove = node.tail < minid
            if remove:
                self._drop_node(0)
                self.length -= entries
                deleted += entries
                continue
            if approx:
                break
            k = 0
            ids = node.ids
            if strategy == "maxlen":
                k = self.length - maxlen
            else:
                k = bisect_left(ids, minid)
            if k:
                before = node.cost()
                node.remove_first(k)
                self.mem += node.cost() - before
                self.length -= k
                deleted += k
            break
        if self.length == 0:
            self.first_id = 0
        elif deleted:
            self.first_id = self.first_live()
        return deleted

    # -- copies and persistence --------------------------------------------------------------
    def copy(self) -> Stream:
        """An independent copy (COPY), same node layout."""
        new = Stream.load_state(self.dump_state())
        return new

    def dump_state(self) -> Any:
        """Nodes (master, fields, live/deleted counts, bytes, entries) and metadata."""
        nodes = []
        for n in self.nodes:
            flat_ids = []
            for i in n.ids:
                flat_ids += (i >> 64, i & U64)
            nodes.append([n.master >> 64, n.master & U64, list(n.mfields), n.dead, n.body,
                          n.tail >> 64, n.tail & U64, flat_ids, [list(v) for v in n.vals]])
        meta = [self.last_id >> 64, self.last_id & U64, self.max_deleted >> 64,
                self.max_deleted & U64, self.entries_added]
        groups = [g.dump_state() for g in self.groups.values()]
        return [meta, nodes, groups]

    @classmethod
    def load_state(cls, state: Any) -> Stream:
        """Inverse of dump_state."""
        meta, nodes, groups = state
        s = cls()
        s.last_id = meta[0] << 64 | meta[1]
        s.max_deleted = meta[2] << 64 | meta[3]
        s.entries_added = meta[4]
        for m_ms, m_seq, fields, dead, body, t_ms, t_seq, flat_ids, vals in nodes:
            node = Node(m_ms << 64 | m_seq, tuple(bytes(f) for f in fields), s.cache)
            node._ids = [flat_ids[j] << 64 | flat_ids[j + 1] for j in range(0, len(flat_ids), 2)]
            node._vals = [tuple(bytes(x) for x in v) for v in vals]
            node.live, node.dead, node.body = len(node._ids), dead, body
            node.tail = t_ms << 64 | t_seq
            if not node.live:
                continue
            if s.nodes:
                s.nodes[-1].seal()
            s.nodes.append(node)
            s.starts.append(node.master)
            s.length += node.live
        s.mem += sum(STREAM_NODE_BYTES + n.cost() for n in s.nodes)
        s.first_id = s.first_live() if s.length else 0
        for g in groups:
            grp = ConsumerGroup.load_state(g)
            s.groups[grp.name] = grp
        return s


class NACK:
    """A pending entry: delivered, not yet acknowledged (streamNACK)."""

    __slots__ = ("delivery_time", "delivery_count", "consumer")

    def __init__(self, consumer: Consumer | None, now: int) -> None:
        self.delivery_time = now
        self.delivery_count = 1
        self.consumer = consumer


class Consumer:
    """A consumer of a group: its name, last seen time, and its own pending entries."""

    __slots__ = ("name", "seen_time", "pel")

    def __init__(self, name: bytes, now: int) -> None:
        self.name = name
        self.seen_time = now
        self.pel: SortedDict = SortedDict()


class ConsumerGroup:
    """A consumer group: last delivered ID, entries-read counter, the group's pending
    entries (ID -> NACK, sorted) and its consumers (each with its own sorted PEL)."""

    __slots__ = ("name", "last_id", "entries_read", "pel", "consumers")

    def __init__(self, name: bytes, last_id: int, entries_read: int) -> None:
        self.name = name
        self.last_id = last_id
        self.entries_read = entries_read
        self.pel: SortedDict = SortedDict()
        self.consumers: dict[bytes, Consumer] = {}

    def lookup_consumer(self, name: bytes, now: int, refresh: bool = True) -> Consumer | None:
        """streamLookupConsumer (refreshing its seen time unless told not to)."""
        consumer = self.consumers.get(name)
        if consumer is not None and refresh:
            consumer.seen_time = now
        return consumer

    def create_consumer(self, name: bytes, now: int) -> Consumer | None:
        """streamCreateConsumer: None if it exists."""
        if name in self.consumers:
            return None
        consumer = self.consumers[name] = Consumer(name, now)
        return consumer

    def delete_consumer(self, consumer: Consumer) -> None:
        """streamDelConsumer: its pending entries leave the group's PEL too."""
        for id_ in consumer.pel:
            del self.pel[id_]
        del self.consumers[consumer.name]

    def release(self, id_: int) -> NACK:
        """Remove a pending entry from the group's and its consumer's PEL."""
        nack: NACK = self.pel.pop(id_)
        if nack.consumer is not None:
            nack.consumer.pel.pop(id_, None)
        return nack

    def dump_state(self) -> Any:
        consumers = []
        for c in self.consumers.values():
            consumers.append([c.name, c.seen_time])
        pel = []
        for id_, n in self.pel.items():
            pel += [id_ >> 64, id_ & U64, n.delivery_time, n.delivery_count,
                    n.consumer.name if n.consumer is not None else None]
        return [self.name, self.last_id >> 64, self.last_id & U64, self.entries_read, consumers, pel]

    @classmethod
    def load_state(cls, state: Any) -> ConsumerGroup:
        name, ms, seq, entries_read, consumers, pel = state
        g = cls(bytes(name), ms << 64 | seq, entries_read)
        for cname, seen in consumers:
            g.consumers[bytes(cname)] = Consumer(bytes(cname), seen)
        for j in range(0, len(pel), 5):
            id_ = pel[j] << 64 | pel[j + 1]
            owner = g.consumers.get(bytes(pel[j + 4])) if pel[j + 4] is not None else None
            nack = NACK(owner, pel[j + 2])
            nack.delivery_count = pel[j + 3]
            g.pel[id_] = nack
            if owner is not None:
                owner.pel[id_] = nack
        return g


def _get_stream(c: Client, key: bytes, write: bool = False) -> Stream | None:
    return c.db.get_typed(key, Stream, write)  # type: ignore[no-any-return]


def entry_reply(id_: int, flat: tuple[bytes, ...] | None) -> list[Any]:
    """One entry as Redis replies it: [id, [field, value, ...]] (nil body if deleted)."""
    return [fmt_id(id_), None if flat is None else list(flat)]


# -- XADD / XTRIM -----------------------------------------------------------------------------
class TrimArgs:
    """streamAddTrimArgs."""

    __slots__ = ("strategy", "maxlen", "minid", "approx", "limit", "arg_idx", "id", "id_given",
                 "seq_given", "nomkstream", "idpos")

    def __init__(self) -> None:
        self.strategy = ""
        self.maxlen = 0
        self.minid = 0
        self.approx = False
        self.limit = 0
        self.arg_idx = 0
        self.id = 0
        self.id_given = False
        self.seq_given = True
        self.nomkstream = False
        self.idpos = 0


def parse_add_or_trim(c: Client, argv: Argv, xadd: bool) -> TrimArgs:
    """streamParseAddOrTrimArgsOrReply."""
    a = TrimArgs()
    i = 2
    argc = len(argv)
    limit_given = False
    while i < argc:
        more = argc - 1 - i
        opt = argv[i]
        low = opt.lower()
        if xadd and opt == b"*":
            break
        if low in (b"maxlen", b"minid") and more:
            if a.strategy:
                raise e.err("syntax error, MAXLEN and MINID options at the same time are not compatible")
            a.approx = False
            nxt = argv[i + 1]
            if more >= 2 and nxt == b"~":
                a.approx = True
                i += 1
            elif more >= 2 and nxt == b"=":
                i += 1
            if low == b"maxlen":
                a.maxlen = get_int(argv[i + 1])
                if a.maxlen < 0:
                    raise e.err("The MAXLEN argument must be >= 0.")
                a.strategy = "maxlen"
            else:
                a.minid = parse_id(argv[i + 1], 0, True)
                a.strategy = "minid"
            i += 1
            a.arg_idx = i
        elif low == b"limit" and more:
            a.limit = get_int(argv[i + 1])
            if a.limit < 0:
                raise e.err("The LIMIT argument must be >= 0.")
            limit_given = True
            i += 1
        elif xadd and low == b"nomkstream":
            a.nomkstream = True
        elif xadd:
            a.id, a.seq_given = parse_add_id(opt)
            a.id_given = True
            break
        else:
            raise e.syntax()
        i += 1
    a.idpos = i
    if a.limit and not a.strategy:
        raise e.err("syntax error, LIMIT cannot be used without specifying a trimming strategy")
    if not xadd and not a.strategy:
        raise e.err("syntax error, XTRIM must be called with a trimming strategy")
    if c.server.loading:
        a.limit = 0  # mustObeyClient: the log holds the result, replay it exactly
    elif limit_given:
        if not a.approx:
            raise e.err("syntax error, LIMIT cannot be used without the special ~ option")
    elif a.approx:
        a.limit = 100 * STREAM_NODE_MAX_ENTRIES
        if a.limit <= 0:
            a.limit = 10000
        if a.limit > 1000000:
            a.limit = 1000000
    else:
        a.limit = 0
    return a


def _rewrite_trim(argv: Argv, s: Stream, a: TrimArgs) -> list[bytes]:
    """streamRewriteApproxSpecifier + streamRewriteTrimArgument: `~ n` logged as `= result`."""
    out = list(argv)
    out[a.arg_idx - 1] = b"="
    if a.strategy == "maxlen":
        out[a.arg_idx] = b"%d" % s.length
    else:
        out[a.arg_idx] = fmt_id(s.nodes[0].ids[0] if s.nodes else 0)
    return out


def now_ms(c: Client) -> int:
    """Redis's mstime() for stream times: the command's clock reading, or the clock
    itself while a log replays (the replay pins ``server.now`` for expiry)."""
    srv = c.server
    return srv.clock() if srv.loading else srv.now


_AUTO_ID = TrimArgs()  # XADD key * ...: no options (never changed once made)
_AUTO_ID.idpos = 2


def next_id(c: Client, last: int) -> int | None:
    """streamNextID: the engine clock's ms, or last + 1 if the clock is not ahead."""
    ms = now_ms(c)
    if ms > last >> 64:
        return ms << 64
    return incr_id(last)


@command("XADD", -5, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def xadd_command(c: Client, argv: Argv) -> Reply:
    """Append an entry (ID `*`, `ms-*` or explicit), optionally trimming."""
    a = _AUTO_ID if argv[2] == b"*" else parse_add_or_trim(c, argv, True)  # the common case first
    field_pos = a.idpos + 1
    nfields = len(argv) - field_pos
    if nfields < 2 or nfields % 2:
        raise e.wrong_args("xadd")
    if a.id_given and a.seq_given and a.id == 0:
        raise e.err("The ID specified in XADD must be greater than 0-0")
    key = argv[1]
    s = _get_stream(c, key, True)
    if s is None:
        if a.nomkstream:
            return None
        s = Stream()
        c.db.table.set(key, s, -1, c.server.now)
    if s.last_id == MAX_ID:
        raise e.err("The stream has exhausted the last possible ID, unable to add more items")
    if a.id_given:
        if a.seq_given:
            new: int | None = a.id
        elif s.last_id >> 64 == a.id >> 64:
            if s.last_id & U64 == U64:
                # streamAppendItem fails without setting errno: Redis replies this
                raise e.err("Elements are too large to be stored")
            new = s.last_id + 1
        else:
            new = a.id
    else:
        new = next_id(c, s.last_id)
    if new is None or new <= s.last_id:
        raise e.err("The ID specified in XADD is equal or smaller than the target stream top item")
    flat = tuple(argv[field_pos:])
    if sum(map(len, flat)) > STREAM_LISTPACK_MAX_SIZE:
        raise e.err("Elements are too large to be stored")
    s.append(new, flat)
    reply = fmt_id(new)
    prop: list[bytes] | None = None
    if a.strategy:
        s.trim(a.strategy, a.maxlen, a.minid, a.approx, a.limit)
        if a.approx:
            prop = _rewrite_trim(argv, s, a)
    if not a.id_given or not a.seq_given:
        prop = list(argv) if prop is None else prop
        prop[a.idpos] = reply
    if prop is not None:
        c.prop = [prop]
    c.db.modified(key, s)
    return reply


@command("XTRIM", -4, WRITE, keys=(1, 1, 1))
def xtrim_command(c: Client, argv: Argv) -> Reply:
    """Trim by MAXLEN or MINID (exactly, or by whole nodes with `~`)."""
    a = parse_add_or_trim(c, argv, False)
    key = argv[1]
    s = _get_stream(c, key, True)
    if s is None:
        return 0
    deleted = s.trim(a.strategy, a.maxlen, a.minid, a.approx, a.limit)
    if deleted:
        if a.approx:
            c.prop = [_rewrite_trim(argv, s, a)]
        c.db.modified(key, s)
        c.server.dirty += deleted - 1
    return deleted


@command("XDEL", -3, WRITE | FAST, keys=(1, 1, 1))
def xdel_command(c: Client, argv: Argv) -> Reply:
    """Delete entries by ID; how many existed."""
    key = argv[1]
    s = _get_stream(c, key, True)
    if s is None:
        return 0
    ids = [parse_id(a, 0, True) for a in argv[2:]]
    deleted = 0
    first_entry = False
    for id_ in ids:
        if s.delete(id_):
            if id_ == s.first_id:
                first_entry = True
            if id_ > s.max_deleted:
                s.max_deleted = id_
            deleted += 1
    if deleted:
        if s.length == 0:
            s.first_id = 0
        elif first_entry:
            s.first_id = s.first_live()
        c.db.modified(key, s)
        c.server.dirty += deleted - 1
    return deleted


@command("XLEN", 2, READONLY | FAST, keys=(1, 1, 1))
def xlen_command(c: Client, argv: Argv) -> Reply:
    """The number of entries."""
    s = _get_stream(c, argv[1])
    return 0 if s is None else s.length


def _xrange(c: Client, argv: Argv, rev: bool) -> Reply:
    start_arg, end_arg = (argv[3], argv[2]) if rev else (argv[2], argv[3])
    start, ex = parse_interval(start_arg, 0)
    if ex:
        nxt = incr_id(start)
        if nxt is None:
            raise e.err("invalid start ID for the interval")
        start = nxt
    end, ex = parse_interval(end_arg, U64)
    if ex:
        prv = decr_id(end)
        if prv is None:
            raise e.err("invalid end ID for the interval")
        end = prv
    count = -1
    j = 4
    while j < len(argv):
        if argv[j].lower() == b"count" and j + 1 < len(argv):
            count = max(get_int(argv[j + 1]), 0)
            j += 2
        else:
            raise e.syntax()
    s = _get_stream(c, argv[1])
    if s is None:
        return []
    if count == 0:
        return None
    return [entry_reply(i, f) for i, f in s.range(start, end, max(count, 0), rev)]


@command("XRANGE", -4, READONLY, keys=(1, 1, 1))
def xrange_command(c: Client, argv: Argv) -> Reply:
    """Entries between two IDs, oldest first."""
    return _xrange(c, argv, False)


@command("XREVRANGE", -4, READONLY, keys=(1, 1, 1))
def xrevrange_command(c: Client, argv: Argv) -> Reply:
    """Entries between two IDs, newest first."""
    return _xrange(c, argv, True)


@command("XSETID", -3, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def xsetid_command(c: Client, argv: Argv) -> Reply:
    """Set the stream's last ID (and entries-added / max-deleted-entry-id)."""
    id_ = parse_id(argv[2], 0, True)
    entries_added = -1
    max_xdel = 0
    i = 3
    while i < len(argv):
        more = len(argv) - 1 - i
        opt = argv[i].lower()
        if opt == b"entriesadded" and more:
            entries_added = get_int(argv[i + 1])
            if entries_added < 0:
                raise e.err("entries_added must be positive")
            i += 2
        elif opt == b"maxdeletedid" and more:
            max_xdel = parse_id(argv[i + 1], 0, True)
            if id_ < max_xdel:
                raise e.err("The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
            i += 2
        else:
            raise e.syntax()
    s = _get_stream(c, argv[1], True)
    if s is None:
        raise e.err("no such key")
    if s.length:
        if id_ < s.last_live():
            raise e.err("The ID specified in XSETID is smaller than the target stream top item")
        if entries_added != -1 and s.length > entries_added:
            raise e.err("The entries_added specified in XSETID is smaller than the target stream length")
    s.last_id = id_
    if entries_added != -1:
        s.entries_added = entries_added
    if max_xdel:
        s.max_deleted = max_xdel
    c.db.modified(argv[1], s)
    return OK


# -- consumer groups ---------------------------------------------------------------------------
def _sub_error(argv: Argv) -> e.RedisError:
    """addReplySubcommandSyntaxError."""
    return e.err(f"unknown subcommand or wrong number of arguments for '{_text(argv[1])}'. "
                 f"Try {_text(argv[0]).upper()} HELP.")


def _text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def range_has_tombstones(s: Stream, start: int, end: int = MAX_ID) -> bool:
    """streamRangeHasTombstones."""
    if not s.length or not s.max_deleted:
        return False
    if s.first_id > s.max_deleted:
        return False
    return start <= s.max_deleted <= end


def estimate_distance(s: Stream, id_: int) -> int:
    """streamEstimateDistanceFromFirstEverEntry (SCG_INVALID_ENTRIES_READ when unknown)."""
    if not s.entries_added:
        return 0
    if not s.length and id_ <= s.last_id:
        return s.entries_added
    if id_ == s.last_id:
        return s.entries_added
    if id_ > s.last_id:
        return SCG_INVALID_ENTRIES_READ
    if not s.max_deleted or s.max_deleted < s.first_id:
        if id_ < s.first_id:
            return s.entries_added - s.length
        if id_ == s.first_id:
            return s.entries_added - s.length + 1
    return SCG_INVALID_ENTRIES_READ


def group_lag(s: Stream, g: ConsumerGroup) -> int | None:
    """streamReplyWithCGLag: None when it cannot be known."""
    if not s.entries_added:
        return 0
    if g.entries_read != SCG_INVALID_ENTRIES_READ and not range_has_tombstones(s, g.last_id):
        return s.entries_added - g.entries_read
    read = estimate_distance(s, g.last_id)
    if read != SCG_INVALID_ENTRIES_READ:
        return s.entries_added - read
    return None


def _group_key_stream(c: Client, argv: Argv, mkstream: bool) -> tuple[Stream | None, ConsumerGroup | None]:
    """XGROUP's shared lookup of key and group, with Redis's errors."""
    s = _get_stream(c, argv[2], True)
    g = None
    if not mkstream:
        if s is None:
            raise e.err("The XGROUP subcommand requires the key to exist. Note that for CREATE you "
                        "may want to use the MKSTREAM option to create an empty stream automatically.")
        g = s.groups.get(argv[3])
        if g is None and argv[1].lower() != b"create" and argv[1].lower() != b"destroy":
            raise e.error_from_line(f"NOGROUP No such consumer group '{_text(argv[3])}' "
                                    f"for key name '{_text(argv[2])}'")
    return s, g


def _group_options(argv: Argv, create: bool, setid: bool) -> tuple[bool, int]:
    mkstream = False
    entries_read = SCG_INVALID_ENTRIES_READ
    i = 5
    while i < len(argv):
        opt = argv[i].lower()
        if create and opt == b"mkstream":
            mkstream = True
            i += 1
        elif (create or setid) and opt == b"entriesread" and i + 1 < len(argv):
            entries_read = get_int(argv[i + 1])
            if entries_read < 0 and entries_read != SCG_INVALID_ENTRIES_READ:
                raise e.err("value for ENTRIESREAD must be positive or -1")
            i += 2
        else:
            raise _sub_error(argv)
    return mkstream, entries_read


@command("XGROUP|CREATE", -5, WRITE | DENYOOM, keys=(2, 2, 1))
def xgroup_create_command(c: Client, argv: Argv) -> Reply:
    """Create a consumer group at an ID (or `$`), MKSTREAM creating the stream."""
    mkstream, entries_read = _group_options(argv, True, False)
    s, _ = _group_key_stream(c, argv, mkstream)
    if len(argv) > 8:
        raise _sub_error(argv)
    if argv[4] == b"$":
        id_ = s.last_id if s is not None else 0
    else:
        id_ = parse_id(argv[4], 0, True)
    key = argv[2]
    if s is None:
        s = Stream()
        c.db.table.set(key, s, -1, c.server.now)
    if argv[3] in s.groups:
        raise e.error_from_line("BUSYGROUP Consumer Group name already exists")
    s.groups[argv[3]] = ConsumerGroup(argv[3], id_, entries_read)
    c.db.modified(key, s)
    return OK


@command("XGROUP|SETID", -5, WRITE, keys=(2, 2, 1))
def xgroup_setid_command(c: Client, argv: Argv) -> Reply:
    """Set a group's last delivered ID (and entries-read)."""
    _, entries_read = _group_options(argv, False, True)
    s, g = _group_key_stream(c, argv, False)
    assert s is not None and g is not None
    if len(argv) not in (5, 7):
        raise _sub_error(argv)
    id_ = s.last_id if argv[4] == b"$" else parse_id(argv[4], 0)
    g.last_id = id_
    g.entries_read = entries_read
    c.db.modified(argv[2], s)
    return OK


@command("XGROUP|DESTROY", 4, WRITE, keys=(2, 2, 1))
def xgroup_destroy_command(c: Client, argv: Argv) -> Reply:
    """Remove a group; 1 if it existed."""
    s, g = _group_key_stream(c, argv, False)
    assert s is not None
    if g is None:
        return 0
    del s.groups[argv[3]]
    c.db.modified(argv[2], s)
    return 1


@command("XGROUP|CREATECONSUMER", 5, WRITE | DENYOOM, keys=(2, 2, 1))
def xgroup_createconsumer_command(c: Client, argv: Argv) -> Reply:
    """Create a consumer; 1 if it is new."""
    s, g = _group_key_stream(c, argv, False)
    assert s is not None and g is not None
    if g.create_consumer(argv[4], now_ms(c)) is None:
        return 0
    c.db.modified(argv[2], s)
    return 1


@command("XGROUP|DELCONSUMER", 5, WRITE, keys=(2, 2, 1))
def xgroup_delconsumer_command(c: Client, argv: Argv) -> Reply:
    """Delete a consumer; the number of pending entries it had."""
    s, g = _group_key_stream(c, argv, False)
    assert s is not None and g is not None
    consumer = g.lookup_consumer(argv[4], now_ms(c), refresh=False)
    if consumer is None:
        return 0
    pending = len(consumer.pel)
    g.delete_consumer(consumer)
    c.db.modified(argv[2], s)
    return pending


_XGROUP_HELP = [
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
]


@command("XGROUP|HELP", 2, LOADING | STALE)
def xgroup_help_command(c: Client, argv: Argv) -> Reply:
    """XGROUP HELP"""
    return [Status(line.encode()) for line in _XGROUP_HELP]


# -- XREAD / XREADGROUP ---------------------------------------------------------------------------
XREAD_BLOCKED_DEFAULT_COUNT = 1000
GT_GROUP = MAX_ID  # the ">" ID


def _propagate_xclaim(c: Client, key: bytes, g: ConsumerGroup, id_arg: bytes, nack: NACK) -> None:
    """streamPropagateXCLAIM: the idempotent XCLAIM that recreates one pending entry."""
    assert nack.consumer is not None
    op = [b"XCLAIM", key, g.name, nack.consumer.name, b"0", id_arg, b"TIME", b"%d" % nack.delivery_time,
          b"RETRYCOUNT", b"%d" % nack.delivery_count, b"FORCE", b"JUSTID", b"LASTID", fmt_id(g.last_id)]
    _also_propagate(c, op)


def _propagate_group_id(c: Client, key: bytes, g: ConsumerGroup) -> None:
    """streamPropagateGroupID: XGROUP SETID ... ENTRIESREAD n."""
    _also_propagate(c, [b"XGROUP", b"SETID", key, g.name, fmt_id(g.last_id), b"ENTRIESREAD",
                        b"%d" % g.entries_read])


def _also_propagate(c: Client, op: list[bytes]) -> None:
    if c.prop is None:
        c.prop = []
    c.prop.append(op)


def read_range(c: Client, key: bytes, s: Stream, start: int, count: int, g: ConsumerGroup | None,
               consumer: Consumer | None, noack: bool) -> list[Any]:
    """streamReplyWithRange for XREAD / XREADGROUP `>`: entries after start, delivering
    them to the group (last ID, entries-read, PEL) and logging them as XCLAIMs."""
    out = []
    now = now_ms(c)
    propagate_last_id = False
    for id_, flat in s.range(start, MAX_ID, count):
        if g is not None and id_ > g.last_id:
            if g.entries_read != SCG_INVALID_ENTRIES_READ and not range_has_tombstones(s, id_):
                g.entries_read += 1
            elif s.entries_added:
                g.entries_read = estimate_distance(s, id_)
            g.last_id = id_
            # Redis 7.0 logs the new last ID only with NOACK (the XCLAIMs' LASTID carry it
            # otherwise), so a replayed log loses entries-read; kvengine logs the SETID
            # always, so the log restores entries-read and lag too.
            propagate_last_id = True
        out.append([fmt_id(id_), list(flat)])
        if g is not None and not noack:
            assert consumer is not None
            nack = g.pel.get(id_)
            if nack is None:
                nack = NACK(consumer, now)
                g.pel[id_] = nack
                consumer.pel[id_] = nack
            else:
                if nack.consumer is not None:
                    nack.consumer.pel.pop(id_, None)
                nack.consumer = consumer
                nack.delivery_time = now
                nack.delivery_count = 1
                consumer.pel[id_] = nack
            _propagate_xclaim(c, key, g, fmt_id(id_), nack)
    if g is not None and propagate_last_id:
        _propagate_group_id(c, key, g)
    return out


def read_history(c: Client, key: bytes, s: Stream, g: ConsumerGroup | None, start: int, count: int,
                 consumer: Consumer) -> list[Any]:
    """streamReplyWithRangeFromConsumerPEL: the consumer's own pending entries from start;
    a deleted entry comes back with a nil body."""
    out: list[Any] = []
    now = now_ms(c)
    pel = consumer.pel
    for id_ in pel.irange(start):
        if count and len(out) >= count:
            break
        flat = s.get(id_)
        if flat is None:
            out.append([fmt_id(id_), None])
        else:
            nack = pel[id_]
            nack.delivery_time = now
            nack.delivery_count += 1
            out.append([fmt_id(id_), list(flat)])
            if g is not None:
                # Redis 7.0 does not log a history read; kvengine logs the new delivery
                # time and count as the XCLAIM that restores them.
                _propagate_xclaim(c, key, g, fmt_id(id_), nack)
    return out


def _xread(c: Client, argv: Argv, group_cmd: bool) -> Reply:
    """xreadCommand: XREAD and XREADGROUP."""
    timeout = -1
    count = 0
    streams_arg = 0
    noack = False
    groupname = consumername = None
    i = 1
    argc = len(argv)
    while i < argc:
        more = argc - i - 1
        o = argv[i].lower()
        if o == b"block" and more:
            if c.in_script:
                raise e.err(f"{_text(argv[0])} command is not allowed with BLOCK option from scripts")
            i += 1
            timeout = parse_timeout_ms(argv[i])
        elif o == b"count" and more:
            i += 1
            count = max(get_int(argv[i]), 0)
        elif o == b"streams" and more:
            streams_arg = i + 1
            n = argc - streams_arg
            if n % 2:
                raise e.err("Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
            break
        elif o == b"group" and more >= 2:
            if not group_cmd:
                raise e.err("The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
            groupname, consumername = argv[i + 1], argv[i + 2]
            i += 2
        elif o == b"noack":
            if not group_cmd:
                raise e.err("The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
            noack = True
        else:
            raise e.syntax()
        i += 1
    if not streams_arg:
        raise e.syntax()
    if group_cmd and groupname is None:
        raise e.err("Missing GROUP option for XREADGROUP")
    nstreams = (argc - streams_arg) // 2
    keys = argv[streams_arg:streams_arg + nstreams]
    ids: list[int] = []
    groups: list[ConsumerGroup | None] = []
    for j, key in enumerate(keys):
        arg = argv[streams_arg + nstreams + j]
        s = c.db.lookup_read(key)
        if s is not None and type(s) is not Stream:
            raise e.wrongtype()
        g = None
        if groupname is not None:
            g = s.groups.get(groupname) if s is not None else None
            if g is None:
                raise e.error_from_line(f"NOGROUP No such key '{_text(key)}' or consumer group "
                                        f"'{_text(groupname)}' in XREADGROUP with GROUP option")
        groups.append(g)
        if arg == b"$":
            if group_cmd:
                raise e.err("The $ ID is meaningless in the context of XREADGROUP: you want to read the "
                            "history of this consumer by specifying a proper ID, or use the > ID to get "
                            "new messages. The $ ID would just return an empty result set.")
            ids.append(s.last_id if s is not None else 0)
        elif arg == b">":
            if not group_cmd:
                raise e.err("The > ID can be specified only when calling XREADGROUP using the GROUP "
                            "<group> <consumer> option.")
            ids.append(GT_GROUP)
        else:
            ids.append(parse_id(arg, 0, True))
    out = []
    now = now_ms(c)
    for j, key in enumerate(keys):
        s = c.db.lookup_read(key)
        if s is None:
            continue
        gt = ids[j]
        g = groups[j]
        serve = history = False
        if g is not None:
            if gt != GT_GROUP:
                serve = history = True
            elif s.length and s.last_live() > g.last_id:
                serve = True
                gt = g.last_id
        elif s.length and s.last_live() > gt:
            serve = True
        if not serve:
            continue
        consumer = None
        if g is not None:
            assert consumername is not None
            consumer = g.lookup_consumer(consumername, now)
            if consumer is None:
                consumer = g.create_consumer(consumername, now)
                if noack:
                    _also_propagate(c, [b"XGROUP", b"CREATECONSUMER", key, g.name, consumername])
        start = gt + 1 if gt < MAX_ID else 0
        if history:
            assert consumer is not None
            entries = read_history(c, key, s, g, start, count, consumer)
        else:
            entries = read_range(c, key, s, start, count, g, consumer, noack)
        out.append([key, entries])
        if g is not None:
            c.server.dirty += 1
    if group_cmd and c.prop is None:
        c.prop = []  # propagated as XCLAIM / XGROUP SETID only
    if out:
        return out
    if timeout != -1 and may_block(c):
        # Re-run when a key is ready with concrete IDs and without BLOCK (blocking.serve_ready).
        rerun = [argv[0]]
        if groupname is not None:
            assert consumername is not None
            rerun += [b"GROUP", groupname, consumername]
        if noack:
            rerun.append(b"NOACK")
        rerun += [b"COUNT", b"%d" % (count or XREAD_BLOCKED_DEFAULT_COUNT), b"STREAMS", *keys]
        rerun += [b">" if x == GT_GROUP and group_cmd else fmt_id(x) for x in ids]
        raise Block(list(keys), deadline_from(c, timeout), None, rerun)
    return None


def parse_timeout_ms(arg: bytes) -> int:
    """getTimeoutFromObjectOrReply in milliseconds (XREAD's BLOCK): a strict 64-bit
    integer, as Redis's getLongLongFromObjectOrReply reads it (no floats, no 1e308)."""
    ms = parse_int(arg)
    if ms is None:
        raise e.err("timeout is not an integer or out of range")
    if ms < 0:
        raise e.err("timeout is negative")
    return ms


@command("XREAD", -4, READONLY | BLOCKING | MOVABLEKEYS, keys=(0, 0, 0))
def xread_command(c: Client, argv: Argv) -> Reply:
    """Entries after the given IDs of one or more streams, optionally blocking."""
    return _xread(c, argv, False)


@command("XREADGROUP", -7, WRITE | BLOCKING | MOVABLEKEYS, keys=(0, 0, 0))
def xreadgroup_command(c: Client, argv: Argv) -> Reply:
    """Deliver entries to a consumer of a group (`>`: new ones; an ID: its history)."""
    return _xread(c, argv, True)


def serve_blocked_stream(srv: Any, dk: tuple[int, bytes]) -> None:
    """serveClientsBlockedOnStreamKey / unblockDeletedStreamReadgroupClients: every
    XREAD / XREADGROUP waiting on a ready key that now has something for it is served,
    in arrival order, with that key's entries alone; XREADGROUP waiters fail when the
    key is gone or the group destroyed.  (Engine lock held.)"""
    from kvengine import blocking
    from kvengine.dispatch import execute

    db = srv.dbs[dk[0]]
    key = dk[1]
    for waiter in list(srv.blocked.get(dk, ())):
        if waiter.done or waiter.cmd.name not in ("xread", "xreadgroup"):
            continue
        value = db.peek(key)
        grouped = waiter.cmd.name == "xreadgroup"
        error: e.RedisError | None = None
        reply: Any = None
        if type(value) is not Stream:
            if not grouped:
                continue
            error = e.error_from_line("UNBLOCKED the stream key no longer exists")
        else:
            argv = waiter.argv
            si = next(i for i, a in enumerate(argv) if a.lower() == b"streams") + 1
            n = (len(argv) - si) // 2
            j = argv[si:si + n].index(key)
            single = [*argv[:si], key, argv[si + n + j]]
            if grouped and argv[2] not in value.groups:
                error = e.error_from_line("NOGROUP the consumer group this client was blocked on no longer exists")
            else:
                client = waiter.client
                saved = client.db
                client.db = db
                try:
                    reply = execute(client, waiter.cmd, single)
                except e.RedisError as exc:
                    error = exc
                finally:
                    client.db = saved
                if error is None and reply is None:
                    continue  # nothing new for this one: it keeps waiting
        waiter.reply = reply
        waiter.error = error
        waiter.done = True
        blocking.unregister(srv, waiter)
        waiter.event.set()


# -- XACK / XPENDING / XCLAIM / XAUTOCLAIM -------------------------------------------------------------
@command("XACK", -4, WRITE | FAST, keys=(1, 1, 1))
def xack_command(c: Client, argv: Argv) -> Reply:
    """Acknowledge pending entries; how many were pending."""
    s = _get_stream(c, argv[1])
    g = s.groups.get(argv[2]) if s is not None else None
    if g is None:
        return 0
    ids = [parse_id(a, 0, True) for a in argv[3:]]
    acked = 0
    for id_ in ids:
        if id_ in g.pel:
            g.release(id_)
            acked += 1
    if acked:
        assert s is not None
        c.db.modified(argv[1], s)
        c.server.dirty += acked - 1
    return acked


def _nogroup(argv: Argv) -> e.RedisError:
    return e.error_from_line(f"NOGROUP No such key '{_text(argv[1])}' or consumer group '{_text(argv[2])}'")


@command("XPENDING", -3, READONLY, keys=(1, 1, 1))
def xpending_command(c: Client, argv: Argv) -> Reply:
    """The group's pending entries: a summary, or a range with IDLE / consumer filters."""
    argc = len(argv)
    justinfo = argc == 3
    if argc != 3 and (argc < 6 or argc > 9):
        raise e.syntax()
    minidle = 0
    count = 0
    start = end = 0
    consumername = None
    if argc >= 6:
        si = 3
        if argv[3].lower() == b"idle":
            minidle = get_int(argv[4])
            if argc < 8:
                raise e.syntax()
            si += 2
        count = max(get_int(argv[si + 2]), 0)
        start, ex = parse_interval(argv[si], 0)
        if ex:
            nxt = incr_id(start)
            if nxt is None:
                raise e.err("invalid start ID for the interval")
            start = nxt
        end, ex = parse_interval(argv[si + 1], U64)
        if ex:
            prv = decr_id(end)
            if prv is None:
                raise e.err("invalid end ID for the interval")
            end = prv
        if si + 3 < argc:
            consumername = argv[si + 3]
    s = _get_stream(c, argv[1])
    g = s.groups.get(argv[2]) if s is not None else None
    if g is None:
        raise _nogroup(argv)
    if justinfo:
        if not g.pel:
            return [0, None, None, None]
        owners = [[name, b"%d" % len(g.consumers[name].pel)] for name in sorted(g.consumers)
                  if g.consumers[name].pel]
        return [len(g.pel), fmt_id(g.pel.keys()[0]), fmt_id(g.pel.keys()[-1]), owners]
    pel = g.pel
    if consumername is not None:
        consumer = g.lookup_consumer(consumername, 0, refresh=False)
        if consumer is None:
            return []
        pel = consumer.pel
    now = now_ms(c)
    out = []
    if count:
        for id_ in pel.irange(start, end):
            nack = pel[id_]
            if minidle and now - nack.delivery_time < minidle:
                continue
            out.append([fmt_id(id_), nack.consumer.name, max(now - nack.delivery_time, 0),
                        nack.delivery_count])
            if len(out) == count:
                break
    return out


def _claim_to(c: Client, g: ConsumerGroup, consumer: Consumer | None, name: bytes) -> Consumer:
    if consumer is None:
        consumer = g.lookup_consumer(name, now_ms(c))
        if consumer is None:
            consumer = g.create_consumer(name, now_ms(c))
            c.server.dirty += 1
    assert consumer is not None
    return consumer


def _reassign(g: ConsumerGroup, id_: int, nack: NACK, consumer: Consumer) -> None:
    if nack.consumer is not consumer:
        if nack.consumer is not None:
            nack.consumer.pel.pop(id_, None)
        consumer.pel[id_] = nack
        nack.consumer = consumer


@command("XCLAIM", -6, WRITE | FAST, keys=(1, 1, 1))
def xclaim_command(c: Client, argv: Argv) -> Reply:
    """Take pending entries idle long enough over to a consumer."""
    s = _get_stream(c, argv[1])
    g = s.groups.get(argv[2]) if s is not None else None
    if s is None or g is None:
        raise _nogroup(argv)
    minidle = max(get_int(argv[4], "Invalid min-idle-time argument for XCLAIM"), 0)
    ids: list[int] = []
    j = 5
    while j < len(argv):
        try:
            ids.append(parse_id(argv[j], 0, True))
        except e.RedisError:
            break
        j += 1
    now = now_ms(c)
    last_id = 0
    retrycount = -1
    deliverytime = -1
    force = justid = False
    while j < len(argv):
        more = len(argv) - 1 - j
        opt = argv[j].lower()
        if opt == b"force":
            force = True
        elif opt == b"justid":
            justid = True
        elif opt == b"idle" and more:
            j += 1
            deliverytime = now - get_int(argv[j], "Invalid IDLE option argument for XCLAIM")
        elif opt == b"time" and more:
            j += 1
            deliverytime = get_int(argv[j], "Invalid TIME option argument for XCLAIM")
        elif opt == b"retrycount" and more:
            j += 1
            retrycount = get_int(argv[j], "Invalid RETRYCOUNT option argument for XCLAIM")
        elif opt == b"lastid" and more:
            j += 1
            last_id = parse_id(argv[j], 0, True)
        else:
            raise e.err(f"Unrecognized XCLAIM option '{_text(argv[j])}'")
        j += 1
    propagate_last_id = False
    c.prop = []
    dirty = c.server.dirty
    if last_id > g.last_id:
        g.last_id = last_id
        propagate_last_id = True
    if deliverytime == -1 or deliverytime < 0 or deliverytime > now:
        deliverytime = now
    consumer = None
    out: list[Any] = []
    name = argv[3]
    for k, id_ in enumerate(ids):
        id_arg = argv[5 + k]
        nack = g.pel.get(id_)
        flat = s.get(id_)
        if flat is None:
            if nack is not None:
                _propagate_xclaim(c, argv[1], g, id_arg, nack)
                propagate_last_id = False
                c.server.dirty += 1
                g.release(id_)
            continue
        if force and nack is None:
            nack = NACK(None, now)
            g.pel[id_] = nack
        if nack is None:
            continue
        if nack.consumer is not None and minidle and now - nack.delivery_time < minidle:
            continue
        consumer = _claim_to(c, g, consumer, name)
        nack.delivery_time = deliverytime
        if retrycount >= 0:
            nack.delivery_count = retrycount
        elif not justid:
            nack.delivery_count += 1
        _reassign(g, id_, nack, consumer)
        out.append(fmt_id(id_) if justid else [fmt_id(id_), list(flat)])
        _propagate_xclaim(c, argv[1], g, id_arg, nack)
        propagate_last_id = False
        c.server.dirty += 1
    if propagate_last_id:
        _propagate_group_id(c, argv[1], g)
        c.server.dirty += 1
    if c.server.dirty != dirty:
        c.db.modified(argv[1], s)
        c.server.dirty -= 1
    return out


@command("XAUTOCLAIM", -6, WRITE | FAST, keys=(1, 1, 1))
def xautoclaim_command(c: Client, argv: Argv) -> Reply:
    """XCLAIM by scanning the PEL from a cursor: [next cursor, claimed, deleted IDs]."""
    minidle = max(get_int(argv[4], "Invalid min-idle-time argument for XAUTOCLAIM"), 0)
    start, ex = parse_interval(argv[5], 0)
    if ex:
        nxt = incr_id(start)
        if nxt is None:
            raise e.err("invalid start ID for the interval")
        start = nxt
    count = 100
    justid = False
    j = 6
    while j < len(argv):
        more = len(argv) - 1 - j
        opt = argv[j].lower()
        if opt == b"count" and more:
            v = parse_int(argv[j + 1])
            if v is None or v < 1 or v > LONG_MAX // 16:
                raise e.err("COUNT must be > 0")
            count = v
            j += 1
        elif opt == b"justid":
            justid = True
        else:
            raise e.syntax()
        j += 1
    s = _get_stream(c, argv[1])
    g = s.groups.get(argv[2]) if s is not None else None
    if s is None or g is None:
        raise _nogroup(argv)
    c.prop = []
    dirty = c.server.dirty
    attempts = count * 10
    now = now_ms(c)
    name = argv[3]
    consumer = None
    claimed: list[Any] = []
    deleted: list[bytes] = []
    cursor = 0
    for id_ in list(g.pel.irange(start)):
        if not attempts or not count:
            cursor = id_
            break
        attempts -= 1
        nack = g.pel[id_]
        flat = s.get(id_)
        if flat is None:
            _propagate_xclaim(c, argv[1], g, fmt_id(id_), nack)
            c.server.dirty += 1
            g.release(id_)
            deleted.append(fmt_id(id_))
            count -= 1
            continue
        if minidle and now - nack.delivery_time < minidle:
            continue
        consumer = _claim_to(c, g, consumer, name)
        nack.delivery_time = now
        if not justid:
            nack.delivery_count += 1
        _reassign(g, id_, nack, consumer)
        claimed.append(fmt_id(id_) if justid else [fmt_id(id_), list(flat)])
        count -= 1
        _propagate_xclaim(c, argv[1], g, fmt_id(id_), nack)
        c.server.dirty += 1
    if c.server.dirty != dirty:
        c.db.modified(argv[1], s)
        c.server.dirty -= 1
    return [fmt_id(cursor), claimed, deleted]


# -- XINFO ---------------------------------------------------------------------------------------------
def _xinfo_stream(c: Client, argv: Argv) -> Reply:
    s = _get_stream(c, argv[2])
    if s is None:
        raise e.err("no such key")
    opts = argv[3:]
    full = bool(opts)
    count = 10
    if opts:
        if len(opts) not in (1, 3) or opts[0].lower() != b"full":
            raise _sub_error(argv)
        if len(opts) == 3:
            if opts[1].lower() != b"count":
                raise _sub_error(argv)
            count = get_int(opts[2])
            if count < 0:
                count = 10
    out: list[Any] = [
        b"length", s.length,
        b"radix-tree-keys", len(s.nodes),
        b"radix-tree-nodes", rax_nodes(s),
        b"last-generated-id", fmt_id(s.last_id),
        b"max-deleted-entry-id", fmt_id(s.max_deleted),
        b"entries-added", s.entries_added,
        b"recorded-first-entry-id", fmt_id(s.first_id),
    ]
    if not full:
        first = s.range(0, MAX_ID, 1)
        last = s.range(0, MAX_ID, 1, True)
        out += [b"groups", len(s.groups),
                b"first-entry", entry_reply(*first[0]) if first else None,
                b"last-entry", entry_reply(*last[0]) if last else None]
        return out
    out += [b"entries", [entry_reply(i, f) for i, f in s.range(0, MAX_ID, count)]]
    groups = []
    for name in sorted(s.groups):
        g = s.groups[name]
        pending = []
        for id_, nack in g.pel.items():
            if count and len(pending) >= count:
                break
            pending.append([fmt_id(id_), nack.consumer.name, nack.delivery_time, nack.delivery_count])
        consumers = []
        for cname in sorted(g.consumers):
            cons = g.consumers[cname]
            cpel = []
            for id_, nack in cons.pel.items():
                if count and len(cpel) >= count:
                    break
                cpel.append([fmt_id(id_), nack.delivery_time, nack.delivery_count])
            consumers.append([b"name", cname, b"seen-time", cons.seen_time, b"pel-count", len(cons.pel),
                              b"pending", cpel])
        groups.append([
            b"name", name,
            b"last-delivered-id", fmt_id(g.last_id),
            b"entries-read", None if g.entries_read == SCG_INVALID_ENTRIES_READ else g.entries_read,
            b"lag", group_lag(s, g),
            b"pel-count", len(g.pel),
            b"pending", pending,
            b"consumers", consumers,
        ])
    out += [b"groups", groups]
    return out


@command("XINFO|STREAM", -3, READONLY, keys=(2, 2, 1))
def xinfo_stream_command(c: Client, argv: Argv) -> Reply:
    """The stream's length, IDs, counters, first/last entry (FULL: entries and groups)."""
    return _xinfo_stream(c, argv)


@command("XINFO|GROUPS", 3, READONLY, keys=(2, 2, 1))
def xinfo_groups_command(c: Client, argv: Argv) -> Reply:
    """Each group's consumers, pending count, last delivered ID, entries-read and lag."""
    s = _get_stream(c, argv[2])
    if s is None:
        raise e.err("no such key")
    out = []
    for name in sorted(s.groups):
        g = s.groups[name]
        out.append([b"name", name, b"consumers", len(g.consumers), b"pending", len(g.pel),
                    b"last-delivered-id", fmt_id(g.last_id),
                    b"entries-read", None if g.entries_read == SCG_INVALID_ENTRIES_READ else g.entries_read,
                    b"lag", group_lag(s, g)])
    return out


@command("XINFO|CONSUMERS", 4, READONLY, keys=(2, 2, 1))
def xinfo_consumers_command(c: Client, argv: Argv) -> Reply:
    """Each consumer's pending count and idle time."""
    s = _get_stream(c, argv[2])
    if s is None:
        raise e.err("no such key")
    g = s.groups.get(argv[3])
    if g is None:
        raise e.error_from_line(f"NOGROUP No such consumer group '{_text(argv[3])}' "
                                f"for key name '{_text(argv[2])}'")
    now = now_ms(c)
    return [[b"name", name, b"pending", len(g.consumers[name].pel),
             b"idle", max(now - g.consumers[name].seen_time, 0)] for name in sorted(g.consumers)]


_XINFO_HELP = [
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
]


@command("XINFO|HELP", 2, LOADING | STALE)
def xinfo_help_command(c: Client, argv: Argv) -> Reply:
    """XINFO HELP"""
    return [Status(line.encode()) for line in _XINFO_HELP]


def rax_nodes(s: Stream) -> int:
    """rax->numnodes of Redis's radix tree over the nodes' 16-byte big-endian master IDs:
    one node per compressed chain and per branching point, plus the key leaves."""
    if not s.starts:
        return 1
    return _rax_count([m.to_bytes(16, "big") for m in s.starts], 0)


def _rax_count(keys: list[bytes], depth: int) -> int:
    """Nodes of the subtree at `depth` over sorted, distinct, 16-byte `keys`."""
    if depth == 16:
        return 1  # the key's (empty) leaf
    first, last = keys[0], keys[-1]
    if first[depth] == last[depth]:
        lcp = depth
        while lcp < 16 and first[lcp] == last[lcp]:
            lcp += 1
        return 1 + _rax_count(keys, lcp)  # a compressed chain, then a branch or the leaf
    total = 1
    i = 0
    while i < len(keys):
        ch = keys[i][depth]
        j = i
        while j < len(keys) and keys[j][depth] == ch:
            j += 1
        total += _rax_count(keys[i:j], depth + 1)
        i = j
    return total


def _register_settings() -> None:
    """stream-node-max-entries / -bytes are module constants read by XADD; CONFIG SET
    updates them (process-wide, like the other encoding thresholds)."""
    import sys

    from kvengine.config import module_param

    module = sys.modules[__name__]
    module_param("stream-node-max-entries", module, "STREAM_NODE_MAX_ENTRIES")
    module_param("stream-node-max-bytes", module, "STREAM_NODE_MAX_BYTES")


_register_settings()
