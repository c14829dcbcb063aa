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

from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING, Any

from kvengine import exceptions as e
from kvengine.commands import DENYOOM, FAST, READONLY, WRITE, Argv, Reply, command
from kvengine.reply import OK
from kvengine.serialize import register_type
from kvengine.util import get_int, parse_int

if TYPE_CHECKING:
    from kvengine.client import Client

# CONFIG SET stream-node-max-entries / stream-node-max-bytes (Redis's defaults).
STREAM_NODE_MAX_ENTRIES = 100
STREAM_NODE_MAX_BYTES = 4096
STREAM_LISTPACK_MAX_SIZE = 1 << 30

U64 = (1 << 64) - 1
MAX_ID = (U64 << 64) | U64
SCG_INVALID_ENTRIES_READ = -1

# Size model (bytes) for used_memory: the listpack bytes Redis would use, plus the
# Python objects kvengine keeps per entry and per node.
STREAM_BASE_BYTES = 300
STREAM_NODE_BYTES = 200
STREAM_ENTRY_BYTES = 90

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
    """One radix-tree node: a listpack's worth of entries sharing a master entry."""

    __slots__ = ("master", "mfields", "ids", "vals", "live", "dead", "body", "tail")

    def __init__(self, master: int, fields: tuple[bytes, ...]) -> None:
        self.master = master
        self.mfields = fields
        self.ids: list[int] = []
        self.vals: list[tuple[bytes, ...]] = []
        self.live = 0
        self.dead = 0
        # listpack bytes other than the live/deleted counters: header + end (7),
        # num-fields, the master fields, the master terminator.
        self.body = 7 + _lp_int_size(len(fields)) + sum(_lp_size(f) for f in fields) + 2
        self.tail = master  # the last ID ever appended (deleted ones included)

    def nbytes(self) -> int:
        """lpBytes of the listpack Redis would hold."""
        return self.body + _lp_int_size(self.live) + _lp_int_size(self.dead)

    def append(self, id_: int, flat: tuple[bytes, ...]) -> None:
        n = len(flat) // 2
        same = flat[0::2] == self.mfields
        size = 2 + _lp_int_size(_i64((id_ >> 64) - (self.master >> 64)))
        size += _lp_int_size(_i64((id_ & U64) - (self.master & U64)))
        if same:
            size += sum(_lp_size(v) for v in flat[1::2])
            size += _lp_int_size(n + 3)
        else:
            size += _lp_int_size(n) + sum(_lp_size(x) for x in flat)
            size += _lp_int_size(2 * n + 4)
        self.body += size
        self.ids.append(id_)
        self.vals.append(flat)
        self.live += 1
        self.tail = id_

    def remove_at(self, i: int) -> None:
        """Mark the i-th live entry deleted (its listpack bytes stay, as in Redis)."""
        del self.ids[i]
        del self.vals[i]
        self.live -= 1
        self.dead += 1


@register_type
class Stream:
    """A Redis stream: entries in nodes, plus consumer groups."""

    redis_type = "stream"
    __slots__ = ("nodes", "starts", "length", "last_id", "first_id", "max_deleted",
                 "entries_added", "groups", "mem", "acct")

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
            if node.nbytes() + sum(len(x) for x in flat) >= max_bytes:
                node = None
            elif STREAM_NODE_MAX_ENTRIES and node.live + node.dead >= STREAM_NODE_MAX_ENTRIES:
                node = None
        if node is None:
            node = Node(id_, flat[0::2])
            nodes.append(node)
            self.starts.append(id_)
            self.mem += STREAM_NODE_BYTES + node.body
        before = node.body
        node.append(id_, flat)
        self.mem += STREAM_ENTRY_BYTES + node.body - before
        self.length += 1
        self.entries_added += 1
        self.last_id = id_
        if self.length == 1:
            self.first_id = id_

    def _drop_node(self, i: int) -> None:
        node = self.nodes.pop(i)
        del self.starts[i]
        self.mem -= STREAM_NODE_BYTES + node.body + STREAM_ENTRY_BYTES * node.live

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
            node.remove_at(i)
            self.mem -= STREAM_ENTRY_BYTES
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
                del node.ids[:k]
                del node.vals[:k]
                node.live -= k
                node.dead += k
                self.length -= k
                self.mem -= STREAM_ENTRY_BYTES * k
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
            node = Node(m_ms << 64 | m_seq, tuple(bytes(f) for f in fields))
            node.ids = [flat_ids[j] << 64 | flat_ids[j + 1] for j in range(0, len(flat_ids), 2)]
            node.vals = [tuple(bytes(x) for x in v) for v in vals]
            node.live, node.dead, node.body = len(node.ids), dead, body
            node.tail = t_ms << 64 | t_seq
            if not node.ids:
                continue
            s.nodes.append(node)
            s.starts.append(node.master)
            s.length += node.live
            s.mem += STREAM_NODE_BYTES + body + STREAM_ENTRY_BYTES * node.live
        s.first_id = s.first_live() if s.length else 0
        for g in groups:
            grp = ConsumerGroup.load_state(g)
            s.groups[grp.name] = grp
        return s


class ConsumerGroup:
    """A consumer group (filled in by the group commands)."""

    __slots__ = ("name", "last_id", "entries_read")

    def __init__(self, name: bytes, last_id: int, entries_read: int) -> None:
        self.name = name
        self.last_id = last_id
        self.entries_read = entries_read

    def dump_state(self) -> Any:
        return [self.name, self.last_id >> 64, self.last_id & U64, self.entries_read]

    @classmethod
    def load_state(cls, state: Any) -> ConsumerGroup:
        name, ms, seq, entries_read = state[:4]
        return cls(bytes(name), ms << 64 | seq, entries_read)


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


def next_id(c: Client, last: int) -> int | None:
    """streamNextID: the engine clock's ms, or last + 1 if the clock is not ahead."""
    ms = c.server.now
    if ms > last >> 64:
        return ms << 64
    return incr_id(last)


@command("XADD", -5, WRITE | DENYOOM | FAST, keys=(1, 1, 1))
def xadd_command(c: Client, argv: Argv) -> Reply:
    """Append an entry (ID `*`, `ms-*` or explicit), optionally trimming."""
    a = parse_add_or_trim(c, argv, True)
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
    if sum(len(x) for x in flat) > STREAM_LISTPACK_MAX_SIZE:
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


def _register_settings() -> None:
    """stream-node-max-entries / -bytes are module constants read by XADD; CONFIG SET
    updates them (process-wide, like the other encoding thresholds)."""
    import sys

    from kvengine.config import module_param

    module = sys.modules[__name__]
    module_param("stream-node-max-entries", module, "STREAM_NODE_MAX_ENTRIES")
    module_param("stream-node-max-bytes", module, "STREAM_NODE_MAX_BYTES")


_register_settings()
