/* kvengine keyspace table.  See table.h for the contract.
 *
 * A chained hash table with a power-of-two bucket array, resized all at once: it
 * grows to twice its size when the key count exceeds the bucket count and shrinks
 * to the smallest power of two >= count when fewer than 1/8 of the buckets would
 * be used.  Redis resizes incrementally to avoid a pause; here a resize of 1M keys
 * costs ~15 ms once per doubling, and in exchange the bucket array's size is a
 * pure function of the operation history, which lets the pure-Python twin account
 * memory identically.  SCAN uses Redis's reverse-binary cursor, which stays correct
 * across such resizes (a key present throughout is returned at least once).
 *
 * Keys with a TTL are also listed in a dense array of (entry, expiry) so that
 * sampling them (active expiry, volatile-* eviction) is O(1) per sample, the way
 * Redis keeps a separate `expires` dict.
 */
#include "table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MASK 0xFFFFFFu
#define FLAG_OBJECT (1u << 24)
#define FLAG_VOLATILE (1u << 25)
#define LRU_CLOCK_MAX 0xFFFFFFu
#define LFU_INIT_VAL 5
#define MIN_BUCKETS 4
#define ENTRY_HEADER 24
#define VOLATILE_BYTES 16
#define MAX_VALUE_LEN ((size_t)512 * 1024 * 1024)

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p) /* a hint: never faults, even on a freed address */
#else
#define PREFETCH(p) ((void)0)
#endif

typedef struct {
    kvt_entry *e;
    int64_t expire;
} vol_slot;

/* One eviction pool slot (Redis's evictionPoolEntry): a copy of the key, since the
 * entry it names may be deleted before the pool gets to it.  As Redis, every slot
 * owns a cached buffer of EVPOOL_CACHED_KEY bytes that short keys are copied into
 * (no malloc per candidate); `key` is that buffer, a malloc'ed copy of a longer
 * key, or NULL for an empty slot.  The buffers travel with the slots as they shift. */
#define EVPOOL_SIZE 16
#define EVPOOL_CACHED_KEY 255
typedef struct {
    uint64_t score;
    size_t klen;
    char *key;
    char *cached; /* NULL until the pool's buffer block is allocated */
    const kvt_entry *hint; /* where the entry was when sampled: only ever prefetched */
} pool_slot;

struct kvt {
    kvt_entry **buckets;
    size_t size;      /* power of two */
    size_t count;
    vol_slot *vol;
    size_t vol_count, vol_cap;
    size_t entry_bytes; /* sum of round8(entry sizes) + VOLATILE_BYTES per volatile key */
    uint64_t seed;
    uint64_t rng;
    int lfu, log_factor, decay_time;
    kvt_entry *detached; /* unlinked by the last lookup/delete, until taken */
    int64_t *shared;     /* optional: a counter shared by tables that sums their usage */
    pool_slot pool[EVPOOL_SIZE]; /* eviction candidates, ascending score; key NULL = empty */
    char *pool_buf;              /* the slots' cached key buffers, allocated on first use */
};

static inline void shared_add(kvt *t, int64_t delta) {
    if (t->shared) *t->shared += delta;
}

/* ---- hashing and randomness ------------------------------------------------------ */

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(const char *p, size_t n, uint64_t seed) {
    const uint64_t m1 = 0x87c37b91114253d5ULL, m2 = 0x4cf5ad432745937fULL;
    uint64_t h = seed ^ (n * m1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t k;
        memcpy(&k, p + i, 8);
        k *= m1;
        k = rotl64(k, 31);
        k *= m2;
        h ^= k;
        h = rotl64(h, 27) * 5 + 0x52dce729;
    }
    uint64_t tail = 0;
    for (size_t j = 0; i + j < n; j++) tail |= (uint64_t)(unsigned char)p[i + j] << (8 * j);
    h ^= mix64(tail ^ m2);
    return mix64(h);
}

static inline uint64_t splitmix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t next_random(kvt *t) { /* splitmix64 */
    return splitmix(t->rng += 0x9e3779b97f4a7c15ULL);
}

/* What next_random will return, without drawing it (for prefetching). */
static inline uint64_t peek_random(const kvt *t) { return splitmix(t->rng + 0x9e3779b97f4a7c15ULL); }

/* ---- entries ----------------------------------------------------------------------- */

static inline size_t round8(size_t n) { return (n + 7) & ~(size_t)7; }

static inline size_t entry_bytes(const kvt_entry *e) {
    return round8(ENTRY_HEADER + e->klen + e->vlen) + ((e->field & FLAG_VOLATILE) ? VOLATILE_BYTES : 0);
}

static inline const char *entry_value(const kvt_entry *e) { return e->data + e->klen; }

int64_t kvt_entry_handle(const kvt_entry *e) {
    int64_t h;
    if (!e || !(e->field & FLAG_OBJECT)) return KVT_EINVAL;
    memcpy(&h, entry_value(e), 8);
    return h;
}

void kvt_entry_free(kvt_entry *e) { free(e); }

/* The return code of a hit on e (string length, or the object's handle encoded). */
static int64_t report(const kvt_entry *e, const char **out_val) {
    if (e->field & FLAG_OBJECT) return KVT_OBJECT_BASE - kvt_entry_handle(e);
    *out_val = entry_value(e);
    return (int64_t)e->vlen;
}

static void park(kvt *t, kvt_entry *e) {
    free(t->detached); /* a caller that never took the previous one leaks nothing */
    t->detached = e;
}

kvt_entry *kvt_take_detached(kvt *t) {
    if (!t) return NULL;
    kvt_entry *e = t->detached;
    t->detached = NULL;
    return e;
}

/* ---- LRU / LFU ----------------------------------------------------------------------- */

static inline uint32_t lru_clock(int64_t now_ms) { return (uint32_t)((now_ms / 1000) & LRU_CLOCK_MAX); }
static inline uint32_t minutes(int64_t now_ms) { return (uint32_t)((now_ms / 60000) & 65535); }

static uint32_t lfu_decr(uint32_t field, int64_t now_ms, int decay_time) {
    uint32_t ldt = field >> 8, counter = field & 255, now = minutes(now_ms);
    uint32_t elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    uint32_t periods = decay_time ? elapsed / (uint32_t)decay_time : 0;
    if (periods) counter = periods > counter ? 0 : counter - periods;
    return counter;
}

static uint32_t new_field(const kvt *t, int64_t now_ms) {
    return t->lfu ? ((minutes(now_ms) << 8) | LFU_INIT_VAL) : lru_clock(now_ms);
}

static void touch(kvt *t, kvt_entry *e, int64_t now_ms) {
    uint32_t flags = e->field & ~FIELD_MASK, value;
    if (!t->lfu) {
        value = lru_clock(now_ms);
    } else {
        uint32_t counter = lfu_decr(e->field & FIELD_MASK, now_ms, t->decay_time);
        if (counter < 255) {
            uint32_t base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
            double r = (double)(next_random(t) >> 11) / 9007199254740992.0; /* [0, 1) */
            if (r < 1.0 / ((double)base * t->log_factor + 1)) counter++;
        }
        value = (minutes(now_ms) << 8) | counter;
    }
    e->field = flags | (value & FIELD_MASK);
}

/* ---- table ---------------------------------------------------------------------------- */

kvt *kvt_new(uint64_t seed) {
    kvt *t = calloc(1, sizeof(*t));
    if (!t) return NULL;
    t->buckets = calloc(MIN_BUCKETS, sizeof(kvt_entry *));
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->size = MIN_BUCKETS;
    t->log_factor = 10;
    t->decay_time = 1;
    t->seed = mix64(seed ^ 0x2545F4914F6CDD1DULL); /* the hash seed: fixed for the table's life */
    kvt_seed(t, seed);
    return t;
}

/* Only the random source: the hash seed cannot change under existing entries
 * (every key would then sit in the wrong bucket). */
void kvt_seed(kvt *t, uint64_t seed) {
    if (!t) return;
    t->rng = seed;
}

void kvt_set_lfu(kvt *t, int enabled, int log_factor, int decay_time) {
    if (!t) return;
    t->lfu = enabled != 0;
    t->log_factor = log_factor < 0 ? 0 : log_factor;
    t->decay_time = decay_time < 0 ? 0 : decay_time;
}

void kvt_clear(kvt *t) {
    if (!t) return;
    int64_t before = (int64_t)kvt_mem_usage(t);
    for (size_t i = 0; i < t->size; i++) {
        kvt_entry *e = t->buckets[i];
        while (e) {
            kvt_entry *next = e->next;
            free(e);
            e = next;
        }
        t->buckets[i] = NULL;
    }
    kvt_entry **small = calloc(MIN_BUCKETS, sizeof(kvt_entry *));
    if (small) {
        free(t->buckets);
        t->buckets = small;
        t->size = MIN_BUCKETS;
    }
    free(t->vol);
    t->vol = NULL;
    t->vol_count = t->vol_cap = 0;
    t->count = 0;
    t->entry_bytes = 0;
    shared_add(t, (int64_t)kvt_mem_usage(t) - before);
}

void kvt_free(kvt *t) {
    if (!t) return;
    kvt_pool_reset(t);
    free(t->pool_buf);
    t->shared = NULL; /* the counter may already be gone: a dying table reports nothing */
    kvt_clear(t);
    free(t->detached);
    free(t->buckets);
    free(t);
}

size_t kvt_count(const kvt *t) { return t ? t->count : 0; }
size_t kvt_volatile_count(const kvt *t) { return t ? t->vol_count : 0; }
size_t kvt_buckets(const kvt *t) { return t ? t->size : 0; }
size_t kvt_mem_usage(const kvt *t) { return t ? t->entry_bytes + t->size * sizeof(kvt_entry *) : 0; }

void kvt_share_mem(kvt *t, int64_t *cell) {
    if (!t) return;
    shared_add(t, -(int64_t)kvt_mem_usage(t));
    t->shared = cell;
    shared_add(t, (int64_t)kvt_mem_usage(t));
}

static inline size_t bucket_of(const kvt *t, const char *key, size_t klen) {
    return (size_t)(hash_bytes(key, klen, t->seed) & (t->size - 1));
}

/* Rehash into `size` buckets; on allocation failure keep the old array (still valid). */
static void resize(kvt *t, size_t size) {
    if (size < MIN_BUCKETS) size = MIN_BUCKETS;
    if (size == t->size || size > SIZE_MAX / sizeof(kvt_entry *)) return;
    kvt_entry **nb = calloc(size, sizeof(kvt_entry *));
    if (!nb) return;
    for (size_t i = 0; i < t->size; i++) {
        kvt_entry *e = t->buckets[i];
        while (e) {
            kvt_entry *next = e->next;
            size_t b = (size_t)(hash_bytes(e->data, e->klen, t->seed) & (size - 1));
            e->next = nb[b];
            nb[b] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = nb;
    shared_add(t, ((int64_t)size - (int64_t)t->size) * (int64_t)sizeof(kvt_entry *));
    t->size = size;
}

static size_t next_pow2(size_t n) {
    size_t s = MIN_BUCKETS;
    while (s < n && s <= SIZE_MAX / 2) s <<= 1;
    return s;
}

static void maybe_shrink(kvt *t) {
    if (t->size > MIN_BUCKETS && t->count * 8 < t->size) resize(t, next_pow2(t->count));
}

/* Find `key`; *prev_link is the pointer that points at it (for unlinking). */
static kvt_entry *find(kvt *t, const char *key, size_t klen, kvt_entry ***prev_link) {
    kvt_entry **link = &t->buckets[bucket_of(t, key, klen)];
    for (kvt_entry *e = *link; e; link = &e->next, e = e->next) {
        if (e->klen == klen && memcmp(e->data, key, klen) == 0) {
            if (prev_link) *prev_link = link;
            return e;
        }
    }
    return NULL;
}

/* ---- the volatile array ----------------------------------------------------------------- */

static int vol_add(kvt *t, kvt_entry *e, int64_t expire) {
    if (t->vol_count == t->vol_cap) {
        size_t cap = t->vol_cap ? t->vol_cap * 2 : 16;
        if (cap > UINT32_MAX || cap > SIZE_MAX / sizeof(vol_slot)) return -1; /* vidx is 32 bits */
        vol_slot *nv = realloc(t->vol, cap * sizeof(vol_slot));
        if (!nv) return -1;
        t->vol = nv;
        t->vol_cap = cap;
    }
    e->vidx = (uint32_t)t->vol_count;
    t->vol[t->vol_count].e = e;
    t->vol[t->vol_count].expire = expire;
    t->vol_count++;
    e->field |= FLAG_VOLATILE;
    return 0;
}

static void vol_remove(kvt *t, kvt_entry *e) {
    size_t i = e->vidx, last = t->vol_count - 1;
    if (i != last) {
        t->vol[i] = t->vol[last];
        t->vol[i].e->vidx = (uint32_t)i;
    }
    t->vol_count--;
    e->field &= ~FLAG_VOLATILE;
    if (t->vol_cap > 64 && t->vol_count * 4 < t->vol_cap) {
        vol_slot *nv = realloc(t->vol, (t->vol_cap / 2) * sizeof(vol_slot));
        if (nv) {
            t->vol = nv;
            t->vol_cap /= 2;
        }
    }
}

static inline int64_t entry_expire(const kvt *t, const kvt_entry *e) {
    return (e->field & FLAG_VOLATILE) ? t->vol[e->vidx].expire : KVT_NO_EXPIRE;
}

/* Unlink e (found through *link) from the table and the volatile array. */
static void unlink_entry(kvt *t, kvt_entry **link, kvt_entry *e) {
    *link = e->next;
    t->entry_bytes -= entry_bytes(e);
    shared_add(t, -(int64_t)(entry_bytes(e)));
    if (e->field & FLAG_VOLATILE) vol_remove(t, e);
    t->count--;
    e->next = NULL;
}

/* ---- operations ----------------------------------------------------------------------------- */

int64_t kvt_lookup(kvt *t, const char *key, size_t klen, int64_t now_ms, int touch_it,
                   const char **out_val) {
    if (!t || !out_val || (!key && klen)) return KVT_EINVAL;
    kvt_entry **link;
    kvt_entry *e = find(t, key, klen, &link);
    if (!e) return KVT_MISS;
    if ((e->field & FLAG_VOLATILE) && t->vol[e->vidx].expire <= now_ms) {
        unlink_entry(t, link, e);
        maybe_shrink(t);
        park(t, e);
        return KVT_EXPIRED;
    }
    if (touch_it) touch(t, e, now_ms);
    return report(e, out_val);
}

int kvt_set(kvt *t, const char *key, size_t klen, const char *val, size_t vlen, int is_object,
            int64_t handle, int64_t expire_ms, int64_t now_ms, int64_t *old_handle) {
    if (!t || !old_handle || (!key && klen)) return KVT_EINVAL;
    if (klen > MAX_VALUE_LEN || (!is_object && (vlen > MAX_VALUE_LEN || (!val && vlen))))
        return KVT_EINVAL;
    if (expire_ms < KVT_KEEP_EXPIRE) return KVT_EINVAL;
    if (is_object) vlen = 8;
    kvt_entry **link = NULL;
    kvt_entry *old = find(t, key, klen, &link);
    kvt_entry *e = malloc(ENTRY_HEADER + klen + vlen);
    if (!e) return KVT_ENOMEM;
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)vlen;
    memcpy(e->data, key, klen);
    if (is_object) memcpy(e->data + klen, &handle, 8);
    else if (vlen) memcpy(e->data + klen, val, vlen);
    int result = 0;
    int64_t keep = KVT_NO_EXPIRE;
    if (old) {
        /* Replace in place in the chain.  An LFU counter survives an overwrite (as
         * Redis's dbSetValue); an LRU clock is refreshed. */
        uint32_t field = t->lfu ? (old->field & FIELD_MASK) : lru_clock(now_ms);
        e->field = field | (is_object ? FLAG_OBJECT : 0);
        keep = entry_expire(t, old);
        if (old->field & FLAG_OBJECT) {
            *old_handle = kvt_entry_handle(old);
            result = 2;
        } else {
            result = 1;
        }
        t->entry_bytes -= entry_bytes(old);
        shared_add(t, -(int64_t)(entry_bytes(old)));
        if (old->field & FLAG_VOLATILE) {
            /* Take over the volatile slot. */
            e->vidx = old->vidx;
            e->field |= FLAG_VOLATILE;
            t->vol[e->vidx].e = e;
        }
        e->next = old->next;
        *link = e;
        free(old);
    } else {
        e->field = new_field(t, now_ms) | (is_object ? FLAG_OBJECT : 0);
        size_t b = bucket_of(t, key, klen);
        e->next = t->buckets[b];
        t->buckets[b] = e;
        t->count++;
    }
    int64_t want = expire_ms == KVT_KEEP_EXPIRE ? keep : expire_ms;
    if (want >= 0) {
        if (e->field & FLAG_VOLATILE) t->vol[e->vidx].expire = want;
        else if (vol_add(t, e, want) != 0) want = KVT_NO_EXPIRE; /* out of memory: keep no TTL */
    } else if (e->field & FLAG_VOLATILE) {
        vol_remove(t, e);
    }
    t->entry_bytes += entry_bytes(e);
    shared_add(t, (int64_t)(entry_bytes(e)));
    if (!old && t->count > t->size) resize(t, t->size * 2);
    if (want >= 0 && !(e->field & FLAG_VOLATILE)) return KVT_ENOMEM;
    return result;
}

int64_t kvt_delete(kvt *t, const char *key, size_t klen, const char **out_val) {
    if (!t || !out_val || (!key && klen)) return KVT_EINVAL;
    kvt_entry **link;
    kvt_entry *e = find(t, key, klen, &link);
    if (!e) return KVT_MISS;
    unlink_entry(t, link, e);
    maybe_shrink(t);
    park(t, e);
    return report(e, out_val);
}

int64_t kvt_get_expire(kvt *t, const char *key, size_t klen) {
    if (!t || (!key && klen)) return KVT_EINVAL;
    kvt_entry *e = find(t, key, klen, NULL);
    return e ? entry_expire(t, e) : -2;
}

int kvt_set_expire(kvt *t, const char *key, size_t klen, int64_t expire_ms) {
    if (!t || (!key && klen)) return KVT_EINVAL;
    kvt_entry *e = find(t, key, klen, NULL);
    if (!e) return 0;
    if (expire_ms < 0) {
        if (e->field & FLAG_VOLATILE) {
            vol_remove(t, e);
            t->entry_bytes -= VOLATILE_BYTES;
            shared_add(t, -(int64_t)(VOLATILE_BYTES));
        }
        return 1;
    }
    if (e->field & FLAG_VOLATILE) {
        t->vol[e->vidx].expire = expire_ms;
        return 1;
    }
    if (vol_add(t, e, expire_ms) != 0) return KVT_ENOMEM;
    t->entry_bytes += VOLATILE_BYTES;
    shared_add(t, (int64_t)(VOLATILE_BYTES));
    return 1;
}

int64_t kvt_get_field(kvt *t, const char *key, size_t klen) {
    if (!t || (!key && klen)) return KVT_EINVAL;
    kvt_entry *e = find(t, key, klen, NULL);
    return e ? (int64_t)(e->field & FIELD_MASK) : -1;
}

int kvt_set_field(kvt *t, const char *key, size_t klen, uint32_t field) {
    if (!t || (!key && klen)) return KVT_EINVAL;
    kvt_entry *e = find(t, key, klen, NULL);
    if (!e) return 0;
    e->field = (e->field & ~FIELD_MASK) | (field & FIELD_MASK);
    return 1;
}

/* Redis's dictGetSomeKeys idea: start at a random bucket and walk forward, taking
 * whole chains, so n samples cost O(n) on a table at load factor ~1. */
size_t kvt_sample(kvt *t, size_t n, int volatile_only, kvt_entry **out) {
    size_t got = 0;
    if (!t || !out) return 0;
    if (volatile_only) {
        if (!t->vol_count) return 0;
        if (n > t->vol_count) n = t->vol_count;
        for (; got < n; got++) {
            out[got] = t->vol[next_random(t) % t->vol_count].e;
            PREFETCH(out[got]);
        }
        return got;
    }
    if (!t->count) return 0;
    if (n > t->count) n = t->count;
    size_t mask = t->size - 1, i = (size_t)next_random(t) & mask;
    size_t steps = 0, max_steps = n * 10 + t->size / 4; /* bounded even on a sparse table */
    /* The entries are scattered in memory.  First the heads of the next non-empty
     * buckets are gathered (the bucket array is contiguous) and prefetched, so that
     * their cache misses overlap instead of following each other; then the chains
     * are walked in bucket order, which gives the same entries as one walk would. */
    kvt_entry *heads[64];
    while (got < n && steps < max_steps) {
        size_t nh = 0;
        while (nh < 64 && nh < n - got && steps < max_steps) {
            kvt_entry *h = t->buckets[i];
            i = (i + 1) & mask;
            steps++;
            if (h) {
                PREFETCH(h);
                heads[nh++] = h;
            }
        }
        for (size_t k = 0; k < nh && got < n; k++)
            for (kvt_entry *e = heads[k]; e && got < n; e = e->next) out[got++] = e;
    }
    return got;
}

size_t kvt_evict_sample(kvt *t, size_t n, int volatile_only, int mode, int64_t now_ms,
                        kvt_entry **out, uint64_t *scores) {
    if (!t || !out || !scores || mode < KVT_EVICT_LRU || mode > KVT_EVICT_TTL) return 0;
    size_t got = kvt_sample(t, n, volatile_only, out);
    uint32_t clock = lru_clock(now_ms);
    for (size_t i = 0; i < got; i++) {
        const kvt_entry *e = out[i];
        uint32_t field = e->field & FIELD_MASK;
        if (mode == KVT_EVICT_LRU) {
            /* Redis's estimateObjectIdleTime, wrapping at 24 bits. */
            uint64_t ticks = clock >= field ? clock - field : clock + (LRU_CLOCK_MAX - field);
            scores[i] = ticks * 1000;
        } else if (mode == KVT_EVICT_LFU) {
            scores[i] = 255 - lfu_decr(field, now_ms, t->decay_time);
        } else {
            int64_t when = entry_expire(t, e);
            scores[i] = UINT64_MAX - (uint64_t)(when < 0 ? 0 : when);
        }
    }
    return got;
}

/* Empty slot k, freeing its key unless that is the slot's cached buffer. */
static inline void pool_release(pool_slot *s) {
    if (s->key != s->cached) free(s->key);
    s->key = NULL;
}

void kvt_pool_reset(kvt *t) {
    if (!t) return;
    for (int k = 0; k < EVPOOL_SIZE; k++) pool_release(&t->pool[k]);
}

/* Give every slot its cached buffer (once per table); 0 on success. */
static int pool_init(kvt *t) {
    if (t->pool_buf) return 0;
    t->pool_buf = malloc((size_t)EVPOOL_SIZE * (EVPOOL_CACHED_KEY + 1));
    if (!t->pool_buf) return -1;
    for (int k = 0; k < EVPOOL_SIZE; k++)
        t->pool[k].cached = t->pool_buf + (size_t)k * (EVPOOL_CACHED_KEY + 1);
    return 0;
}

/* Redis's evictionPoolPopulate insertion rule, slot for slot (with its cached
 * buffers: the slot that falls off, or the empty last one, lends its buffer to
 * the slot being filled). */
static void pool_insert(kvt *t, uint64_t score, const kvt_entry *e) {
    const char *key = e->data;
    size_t klen = e->klen;
    pool_slot *pool = t->pool;
    int k = 0, last = EVPOOL_SIZE - 1;
    while (k < EVPOOL_SIZE && pool[k].key && pool[k].score < score) k++;
    if (k == 0 && pool[last].key) return; /* full, and worse than everything pooled */
    char *copy = NULL;
    if (klen > EVPOOL_CACHED_KEY) {
        copy = malloc(klen);
        if (!copy) return;
        memcpy(copy, key, klen);
    }
    if (k < EVPOOL_SIZE && !pool[k].key) {
        /* an empty slot: take it */
    } else if (!pool[last].key) {
        char *cached = pool[last].cached;
        memmove(pool + k + 1, pool + k, sizeof(pool[0]) * (size_t)(last - k));
        pool[k].cached = cached;
    } else {
        k--;
        char *cached = pool[0].cached;
        pool_release(&pool[0]);
        memmove(pool, pool + 1, sizeof(pool[0]) * (size_t)k);
        pool[k].cached = cached;
    }
    if (!copy) {
        copy = pool[k].cached;
        memcpy(copy, key, klen);
    }
    pool[k].score = score;
    pool[k].klen = klen;
    pool[k].key = copy;
    pool[k].hint = e;
}

int64_t kvt_evict(kvt *t, size_t n, int volatile_only, int mode, int64_t now_ms, const char **out_val) {
    kvt_entry *cand[64];
    uint64_t scores[64];
    if (!t || !out_val || mode < KVT_EVICT_LRU || mode > KVT_EVICT_TTL || !n) return KVT_EINVAL;
    if (pool_init(t) != 0) return KVT_ENOMEM;
    if (n > 64) n = 64;
    for (int round = 0; round < 64; round++) {
        if (!(volatile_only ? t->vol_count : t->count)) return KVT_MISS;
        /* At a million keys an eviction is a few cache misses in a row: the sampled
         * buckets and entries, then the bucket and entry of the pooled key that goes
         * (often sampled many evictions ago).  Ask for both at once, so they overlap:
         * the first sampled bucket (the random draw the sampler is about to make) and
         * the best pooled key's bucket and entry.  Prefetches only: the hint may be a
         * freed entry, which find() below never trusts. */
        if (volatile_only) PREFETCH(&t->vol[peek_random(t) % t->vol_count]);
        else PREFETCH(&t->buckets[peek_random(t) & (t->size - 1)]);
        for (int k = EVPOOL_SIZE - 1; k >= 0; k--) {
            if (!t->pool[k].key) continue;
            PREFETCH(t->pool[k].hint);
            PREFETCH(&t->buckets[bucket_of(t, t->pool[k].key, t->pool[k].klen)]);
            break;
        }
        size_t got = kvt_evict_sample(t, n, volatile_only, mode, now_ms, cand, scores);
        for (size_t i = 0; i < got; i++) pool_insert(t, scores[i], cand[i]);
        for (int k = EVPOOL_SIZE - 1; k >= 0; k--) {
            char *key = t->pool[k].key;
            if (!key) continue;
            size_t klen = t->pool[k].klen;
            kvt_entry **link;
            kvt_entry *e = find(t, key, klen, &link);
            pool_release(&t->pool[k]);
            if (!e || (volatile_only && !(e->field & FLAG_VOLATILE))) continue; /* a ghost */
            unlink_entry(t, link, e);
            maybe_shrink(t);
            park(t, e);
            return report(e, out_val);
        }
    }
    return KVT_MISS;
}

int64_t kvt_evict_drop(kvt *t, size_t n, int volatile_only, int mode, int64_t now_ms) {
    const char *val;
    int64_t r = kvt_evict(t, n, volatile_only, mode, now_ms, &val);
    if (r == KVT_MISS || r == KVT_EINVAL || r == KVT_ENOMEM) return r;
    kvt_entry_free(kvt_take_detached(t));
    return r;
}

size_t kvt_evict_until(kvt *t, int64_t limit, size_t max_keys, size_t n, int volatile_only,
                       int mode, int64_t now_ms, int64_t *handle, int *status) {
    size_t evicted = 0;
    if (!status) return 0;
    if (!t || !handle || !n || mode < KVT_EVICT_LRU || mode > KVT_EVICT_TTL) {
        *status = KVT_EINVAL;
        return 0;
    }
    for (;;) {
        int64_t used = t->shared ? *t->shared : (int64_t)kvt_mem_usage(t);
        if (used <= limit) {
            *status = KVT_EVICT_UNDER;
            return evicted;
        }
        if (evicted >= max_keys) {
            *status = KVT_EVICT_MAX;
            return evicted;
        }
        int64_t r = kvt_evict_drop(t, n, volatile_only, mode, now_ms);
        if (r == KVT_MISS) {
            *status = KVT_EVICT_NONE;
            return evicted;
        }
        if (r == KVT_ENOMEM || r == KVT_EINVAL) {
            *status = (int)r;
            return evicted;
        }
        evicted++;
        if (r <= KVT_OBJECT_BASE) {
            *handle = KVT_OBJECT_BASE - r;
            *status = KVT_EVICT_OBJECT;
            return evicted;
        }
    }
}

kvt_entry *kvt_random(kvt *t) {
    if (!t || !t->count) return NULL;
    /* Random bucket until a non-empty one, then a random position in its chain. */
    size_t mask = t->size - 1;
    kvt_entry *e;
    do {
        e = t->buckets[next_random(t) & mask];
    } while (!e);
    size_t len = 0;
    for (kvt_entry *x = e; x; x = x->next) len++;
    size_t k = (size_t)(next_random(t) % len);
    while (k--) e = e->next;
    return e;
}

size_t kvt_expire_step(kvt *t, int64_t now_ms, size_t n, size_t *sampled, kvt_entry **out) {
    size_t removed = 0;
    if (!sampled) return 0;
    *sampled = 0;
    if (!t || !out) return 0;
    for (size_t j = 0; j < n && t->vol_count; j++) {
        vol_slot *s = &t->vol[next_random(t) % t->vol_count];
        (*sampled)++;
        if (s->expire > now_ms) continue;
        kvt_entry *e = s->e, **link;
        if (find(t, e->data, e->klen, &link) != e) continue; /* cannot happen; be safe */
        unlink_entry(t, link, e);
        maybe_shrink(t); /* after each removal, exactly as the twin does */
        out[removed++] = e;
    }
    return removed;
}

static inline uint64_t rev64(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8);
    v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16);
    return (v >> 32) | (v << 32);
}

uint64_t kvt_scan(kvt *t, uint64_t cursor, size_t count, kvt_entry **out, size_t cap,
                  size_t *n_out) {
    if (!n_out) return 0;
    if (!t || (!out && cap)) {
        *n_out = 0;
        return 0;
    }
    uint64_t mask = t->size - 1;
    size_t got = 0;
    if (count == 0) count = 1;
    do {
        kvt_entry *head = t->buckets[cursor & mask];
        size_t len = 0;
        for (kvt_entry *e = head; e; e = e->next) len++;
        if (got + len > cap) {
            *n_out = got ? got : (size_t)-1;
            return cursor;
        }
        for (kvt_entry *e = head; e; e = e->next) out[got++] = e;
        /* Increment the reversed cursor: set the bits above the mask, reverse,
         * add one, reverse back (Redis's dictScan). */
        cursor |= ~mask;
        cursor = rev64(cursor);
        cursor++;
        cursor = rev64(cursor);
    } while (cursor && got < count);
    *n_out = got;
    return cursor;
}

size_t kvt_collect(kvt *t, kvt_entry **out, size_t cap) {
    size_t got = 0;
    if (!t || !out) return 0;
    for (size_t i = 0; i < t->size; i++)
        for (kvt_entry *e = t->buckets[i]; e && got < cap; e = e->next) out[got++] = e;
    return got;
}

int kvt_check(kvt *t, char *msg, size_t msglen) {
    size_t n = 0, bytes = 0, vol = 0;
    if (!t || (!msg && msglen)) return -1;
    if (!msg) msglen = 0; /* snprintf(NULL, 0, ...) only measures */
    if (t->size < MIN_BUCKETS || (t->size & (t->size - 1))) {
        snprintf(msg, msglen, "bucket count %zu is not a power of two >= %d", t->size, MIN_BUCKETS);
        return 1;
    }
    for (size_t i = 0; i < t->size; i++) {
        for (kvt_entry *e = t->buckets[i]; e; e = e->next) {
            n++;
            bytes += entry_bytes(e);
            if (bucket_of(t, e->data, e->klen) != i) {
                snprintf(msg, msglen, "entry in bucket %zu hashes elsewhere", i);
                return 2;
            }
            if (e->field & FLAG_VOLATILE) {
                vol++;
                if (e->vidx >= t->vol_count || t->vol[e->vidx].e != e) {
                    snprintf(msg, msglen, "volatile back-pointer broken at index %u", e->vidx);
                    return 3;
                }
            }
            if ((e->field & FLAG_OBJECT) && e->vlen != 8) {
                snprintf(msg, msglen, "object entry with value length %u", e->vlen);
                return 4;
            }
        }
    }
    if (n != t->count) {
        snprintf(msg, msglen, "count %zu but %zu entries", t->count, n);
        return 5;
    }
    if (vol != t->vol_count) {
        snprintf(msg, msglen, "volatile count %zu but %zu flagged", t->vol_count, vol);
        return 6;
    }
    if (bytes != t->entry_bytes) {
        snprintf(msg, msglen, "accounted %zu bytes, recomputed %zu", t->entry_bytes, bytes);
        return 7;
    }
    if (t->count > t->size) {
        snprintf(msg, msglen, "load factor above 1: %zu keys in %zu buckets", t->count, t->size);
        return 8;
    }
    return 0;
}
