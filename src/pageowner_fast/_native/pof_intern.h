/* The interner: byte string -> dense id (in order of first appearance), keyed by the
 * 128-bit hash (pof_hash.h) in an open-addressing table; the values are kept back to back
 * in one arena. With the fallback hash every hit is also compared byte by byte.
 *
 * Also: the aggregate scan's shortcut table (128-bit key -> row, nothing stored). */
#ifndef POF_INTERN_H
#define POF_INTERN_H

#include "pof_port.h"
#include "pof_hash.h"

typedef struct {
    uint64_t lo;        /* the value's 128-bit hash */
    uint64_t hi;
    int32_t val;        /* its id, or -1 for an empty slot */
    int32_t len;        /* an interner's: the value's length, so that a hit needs no look at
                           offs (-1: too long to say here) */
} pof_slot;

typedef struct {
    pof_slot *slots;    /* linear probing: one cache line per probe */
    size_t cap;         /* slots (a power of two) */
    size_t n;           /* ids handed out */
    char *arena;        /* the values, back to back */
    size_t arena_len;
    size_t arena_cap;
    int64_t *offs;      /* value i is arena[offs[i]:offs[i+1]] */
    size_t offs_cap;
} pof_interner;

int pof_interner_init(pof_interner *t, size_t cap);    /* 0, or POF_ENOMEM */
void pof_interner_free(pof_interner *t);

/* Id of data[0:n] (a new one if unseen); POF_ENOMEM on allocation failure. */
int32_t pof_intern(pof_interner *t, const void *data, size_t n);
/* The same, with the bytes' pof_hash already known (h: pof_hash(data, n)). */
int32_t pof_intern_h(pof_interner *t, const void *data, size_t n, pof_h128 h);

/* data[0:n] as a new id without a lookup (nor a place in the table: interning the same
 * bytes later makes another id); POF_ENOMEM on allocation failure. */
int32_t pof_interner_push(pof_interner *t, const void *data, size_t n);

/* Room in the table for `more` new values without growing it (a merge's look-ups then
 * need no rehash, and the slot of a key is known ahead); 0, or POF_ENOMEM. */
int pof_interner_reserve(pof_interner *t, size_t more);

/* out[i] = id in dst of src's value i (interning the new ones). */
int pof_interner_remap(const pof_interner *src, pof_interner *dst, int32_t *out);

POF_INLINE const char *pof_interner_value(const pof_interner *t, size_t i, size_t *len)
{
    *len = (size_t)(t->offs[i + 1] - t->offs[i]);
    return t->arena + t->offs[i];
}

/* --- the shortcut table: 128-bit key -> int32 ------------------------------------------------- */

typedef struct {
    pof_slot *slots;
    size_t cap;
    size_t n;
} pof_fast;

int pof_fast_init(pof_fast *t, size_t cap);
void pof_fast_free(pof_fast *t);
int pof_fast_put(pof_fast *t, pof_h128 k, int32_t v);   /* 0, or POF_ENOMEM */

POF_INLINE int32_t pof_fast_get(const pof_fast *t, pof_h128 k)
{
    size_t mask = t->cap - 1, s = (size_t)k.lo & mask;
    while (t->slots[s].val >= 0) {
        if (t->slots[s].lo == k.lo && t->slots[s].hi == k.hi)
            return t->slots[s].val;
        s = (s + 1) & mask;
    }
    return -1;
}

#endif /* POF_INTERN_H */
