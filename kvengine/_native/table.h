/* kvengine keyspace table: binary keys -> inline string values or object handles,
 * with per-key expiry and a 24-bit LRU clock / LFU counter.
 *
 * The contract (and the oracle in tests) is kvengine/_native/pytable.py; this header is
 * also what bindings/build_table.py hands to cffi.  Everything a caller can pass as a
 * number is validated: a NULL table or output array, a count or length out of range,
 * a size whose allocation would overflow all give an error code (or an empty result
 * for functions that return a count), never an abort.  What C cannot check is that a
 * buffer really holds `klen` bytes or that a pointer is live: ctable.Table passes
 * len(bytes) and owns every pointer, and is the API to use.
 */
#ifndef KVENGINE_TABLE_H
#define KVENGINE_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* One key.  Layout: 24-byte header, then the key bytes, then the value bytes (a
 * string) or an 8-byte handle (an object owned by the Python side).  The memory
 * model shared with the twin: an entry costs round8(24 + klen + vlen_or_8). */
typedef struct kvt_entry {
    struct kvt_entry *next;  /* bucket chain */
    uint32_t klen;
    uint32_t vlen;           /* value length (8 for an object handle) */
    uint32_t field;          /* bits 0-23: LRU clock / LFU field; bit 24: object; bit 25: volatile */
    uint32_t vidx;           /* index in the volatile array when volatile */
    char data[];
} kvt_entry;

typedef struct kvt kvt;

/* Return codes of kvt_lookup / kvt_delete: >= 0 is a string's length; an object
 * with handle h is returned as KVT_OBJECT_BASE - h (so one return value carries it,
 * sparing the hot path an out-parameter). */
#define KVT_MISS (-1)
#define KVT_EXPIRED (-2)
#define KVT_ENOMEM (-5)
#define KVT_EINVAL (-6)
#define KVT_OBJECT_BASE (-16)

#define KVT_NO_EXPIRE (-1)
#define KVT_KEEP_EXPIRE (-2)

kvt *kvt_new(uint64_t seed);
void kvt_free(kvt *t);
void kvt_seed(kvt *t, uint64_t seed); /* reseeds sampling and LFU; hashing keeps kvt_new's seed */
void kvt_set_lfu(kvt *t, int enabled, int log_factor, int decay_time);

size_t kvt_count(const kvt *t);
size_t kvt_volatile_count(const kvt *t);
size_t kvt_mem_usage(const kvt *t);
size_t kvt_buckets(const kvt *t);
/* Add this table's byte usage, now and on every change, to *cell (NULL: stop). */
void kvt_share_mem(kvt *t, int64_t *cell);

/* Find `key`, expiring it if its time has passed (then it is unlinked and parked:
 * kvt_take_detached hands it to the caller, who reads it and kvt_entry_free's it),
 * touching its LRU/LFU field when `touch`.  Returns the string length (value in
 * *out_val), KVT_MISS, KVT_EXPIRED, or KVT_OBJECT_BASE - handle. */
int64_t kvt_lookup(kvt *t, const char *key, size_t klen, int64_t now_ms, int touch,
                   const char **out_val);
kvt_entry *kvt_take_detached(kvt *t);

/* Insert or overwrite.  A string when is_object == 0 (val/vlen), else an object
 * handle.  expire_ms: absolute ms, KVT_NO_EXPIRE or KVT_KEEP_EXPIRE.  Returns 0 for
 * a new key, 1 for an overwritten string, 2 for an overwritten object (its handle
 * in *old_handle), KVT_ENOMEM or KVT_EINVAL. */
int kvt_set(kvt *t, const char *key, size_t klen, const char *val, size_t vlen, int is_object,
            int64_t handle, int64_t expire_ms, int64_t now_ms, int64_t *old_handle);

/* Unlink `key` (no expiry check).  Returns KVT_MISS, or the code of a lookup hit;
 * the entry is parked for kvt_take_detached (a string value stays readable
 * through *out_val until the entry is freed). */
int64_t kvt_delete(kvt *t, const char *key, size_t klen, const char **out_val);
void kvt_entry_free(kvt_entry *e);
int64_t kvt_entry_handle(const kvt_entry *e);

int64_t kvt_get_expire(kvt *t, const char *key, size_t klen);       /* -2 absent, -1 none */
int kvt_set_expire(kvt *t, const char *key, size_t klen, int64_t expire_ms); /* 0 absent, 1 ok */
int64_t kvt_get_field(kvt *t, const char *key, size_t klen);        /* -1 absent */
int kvt_set_field(kvt *t, const char *key, size_t klen, uint32_t field);

/* Up to n random entries (may repeat): all keys, or only keys with a TTL. */
size_t kvt_sample(kvt *t, size_t n, int volatile_only, kvt_entry **out);

/* Eviction candidates: up to n sampled entries with Redis's pool score in scores[]
 * (higher = better to evict): mode KVT_EVICT_LRU idle ms, KVT_EVICT_LFU 255 - decayed
 * counter, KVT_EVICT_TTL UINT64_MAX - expire (sooner expiry scores higher). */
#define KVT_EVICT_LRU 0
#define KVT_EVICT_LFU 1
#define KVT_EVICT_TTL 2
size_t kvt_evict_sample(kvt *t, size_t n, int volatile_only, int mode, int64_t now_ms,
                        kvt_entry **out, uint64_t *scores);
/* Evict one key: sample n (<= 64) candidates into the table's 16-slot pool (Redis's
 * insertion rule), remove the best one that still exists (and still has a TTL when
 * volatile_only), and park it like kvt_delete: the return value is kvt_delete's (value
 * length, or KVT_OBJECT_BASE - handle) and the key is in the detached entry; KVT_MISS
 * when nothing can be evicted. */
int64_t kvt_evict(kvt *t, size_t n, int volatile_only, int mode, int64_t now_ms, const char **out_val);
/* kvt_evict without handing the entry back: it is freed here (the caller only learns
 * an object handle to release: the return value is kvt_evict's). */
int64_t kvt_evict_drop(kvt *t, size_t n, int volatile_only, int mode, int64_t now_ms);
/* Evict through the pool (as kvt_evict) while the shared counter (kvt_share_mem) is
 * above `limit`, at most max_keys keys, freeing each evicted entry.  Returns how
 * many keys went; *status says why it stopped: KVT_EVICT_UNDER (at or under the
 * limit), KVT_EVICT_OBJECT (the last key evicted held an object: its handle is in
 * *handle, for the caller to release and account before calling again),
 * KVT_EVICT_NONE (nothing can be evicted), KVT_EVICT_MAX (max_keys reached), or
 * KVT_EINVAL (bad arguments, nothing done).  With no shared counter the table's own
 * kvt_mem_usage is compared.  One call instead of one per key: the loop that the
 * caller would run around kvt_evict_drop, with the same keys evicted in the same
 * order. */
#define KVT_EVICT_UNDER 0
#define KVT_EVICT_OBJECT 1
#define KVT_EVICT_NONE 2
#define KVT_EVICT_MAX 3
size_t kvt_evict_until(kvt *t, int64_t limit, size_t max_keys, size_t n, int volatile_only,
                       int mode, int64_t now_ms, int64_t *handle, int *status);
/* Forget the pool (when the policy's scores change meaning). */
void kvt_pool_reset(kvt *t);
kvt_entry *kvt_random(kvt *t);

/* Active expiry step: sample up to n volatile keys, unlink the expired ones into
 * out (capacity n; the caller frees them).  Returns how many were unlinked. */
size_t kvt_expire_step(kvt *t, int64_t now_ms, size_t n, size_t *sampled, kvt_entry **out);

/* Reverse-binary cursor scan: visits buckets from `cursor` until at least `count`
 * entries were collected (whole buckets only) into out (capacity cap).  Returns the
 * next cursor (0 = done); *n_out = entries written; *n_out == (size_t)-1 means the
 * next bucket alone needs more than cap entries: call again with a larger cap. */
uint64_t kvt_scan(kvt *t, uint64_t cursor, size_t count, kvt_entry **out, size_t cap,
                  size_t *n_out);

/* Every entry into out (capacity >= kvt_count); returns how many. */
size_t kvt_collect(kvt *t, kvt_entry **out, size_t cap);

/* Remove everything; object handles are the caller's to drop. */
void kvt_clear(kvt *t);

/* 0 if every invariant holds, else a code and a message in msg. */
int kvt_check(kvt *t, char *msg, size_t msglen);

#endif
