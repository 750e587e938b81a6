/* The interner and the shortcut table (see pof_intern.h). */
#include <stdlib.h>

#include "pof_intern.h"
#include "pof_defs.h"

static pof_slot *new_slots(size_t cap)
{
    pof_slot *s = (pof_slot *)malloc(cap * sizeof(pof_slot));
    if (s != NULL)
        memset(s, 0xff, cap * sizeof(pof_slot));     /* val = -1: empty */
    return s;
}

/* Double the slot array (keys rehashed by their low word). */
static int grow_slots(pof_slot **slots, size_t *cap)
{
    size_t newcap = *cap * 2, mask = newcap - 1, i, j;
    pof_slot *ns = new_slots(newcap);
    if (ns == NULL)
        return POF_ENOMEM;
    for (i = 0; i < *cap; i++) {
        if ((*slots)[i].val >= 0) {
            for (j = (size_t)(*slots)[i].lo & mask; ns[j].val >= 0; j = (j + 1) & mask)
                ;
            ns[j] = (*slots)[i];
        }
    }
    free(*slots);
    *slots = ns;
    *cap = newcap;
    return 0;
}

int pof_interner_init(pof_interner *t, size_t cap)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
    t->slots = new_slots(cap);
    t->arena_cap = 1 << 16;
    t->arena = (char *)malloc(t->arena_cap);
    t->offs_cap = 1024;
    t->offs = (int64_t *)malloc(t->offs_cap * sizeof(int64_t));
    if (t->slots == NULL || t->arena == NULL || t->offs == NULL)
        return POF_ENOMEM;
    t->offs[0] = 0;
    return 0;
}

void pof_interner_free(pof_interner *t)
{
    free(t->slots);
    free(t->arena);
    free(t->offs);
    t->slots = NULL;
    t->arena = NULL;
    t->offs = NULL;
}

/* Room for `more_values` new values of `more_bytes` in all. */
static int reserve(pof_interner *t, size_t more_bytes, size_t more_values)
{
    size_t need;
    if (t->arena_len + more_bytes > t->arena_cap) {
        char *na;
        for (need = t->arena_cap * 2; need < t->arena_len + more_bytes; need *= 2)
            ;
        na = (char *)realloc(t->arena, need);
        if (na == NULL)
            return POF_ENOMEM;
        t->arena = na;
        t->arena_cap = need;
    }
    if (t->n + more_values + 1 > t->offs_cap) {
        int64_t *no;
        for (need = t->offs_cap * 2; need < t->n + more_values + 1; need *= 2)
            ;
        no = (int64_t *)realloc(t->offs, need * sizeof(int64_t));
        if (no == NULL)
            return POF_ENOMEM;
        t->offs = no;
        t->offs_cap = need;
    }
    return 0;
}

int32_t pof_interner_push(pof_interner *t, const void *data, size_t n)
{
    if (reserve(t, n, 1) != 0)
        return POF_ENOMEM;
    if (n)
        memcpy(t->arena + t->arena_len, data, n);
    t->arena_len += n;
    t->n++;
    t->offs[t->n] = (int64_t)t->arena_len;
    return (int32_t)(t->n - 1);
}

int32_t pof_intern(pof_interner *t, const void *data, size_t n)
{
    return pof_intern_h(t, data, n, pof_hash(data, n));
}

int32_t pof_intern_h(pof_interner *t, const void *data, size_t n, pof_h128 h)
{
    size_t mask = t->cap - 1, s = (size_t)h.lo & mask;
    int32_t v;
    for (;; s = (s + 1) & mask) {
        v = t->slots[s].val;
        if (v < 0)
            break;
        if (t->slots[s].lo == h.lo && t->slots[s].hi == h.hi) {
            int32_t len = t->slots[s].len;
            if ((len >= 0 ? (size_t)len : (size_t)(t->offs[v + 1] - t->offs[v])) == n &&
                    (!pof_hash_verify || n == 0 || memcmp(t->arena + t->offs[v], data, n) == 0))
                return v;
        }
    }
    v = pof_interner_push(t, data, n);
    if (v < 0)
        return v;
    t->slots[s].lo = h.lo;
    t->slots[s].hi = h.hi;
    t->slots[s].val = v;
    t->slots[s].len = n <= (size_t)INT32_MAX ? (int32_t)n : -1;
    if (2 * t->n > t->cap && grow_slots(&t->slots, &t->cap) != 0)
        return POF_ENOMEM;
    return v;
}

int pof_interner_reserve(pof_interner *t, size_t more)
{
    while (2 * (t->n + more) > t->cap)
        if (grow_slots(&t->slots, &t->cap) != 0)
            return POF_ENOMEM;
    return 0;
}

int pof_interner_remap(const pof_interner *src, pof_interner *dst, int32_t *out)
{
    size_t i;
    for (i = 0; i < src->n; i++) {
        int32_t v = pof_intern(dst, src->arena + src->offs[i],
                               (size_t)(src->offs[i + 1] - src->offs[i]));
        if (v < 0)
            return v;
        out[i] = v;
    }
    return 0;
}

int pof_fast_init(pof_fast *t, size_t cap)
{
    t->cap = cap;
    t->n = 0;
    t->slots = new_slots(cap);
    return t->slots == NULL ? POF_ENOMEM : 0;
}

void pof_fast_free(pof_fast *t)
{
    free(t->slots);
    t->slots = NULL;
}

int pof_fast_put(pof_fast *t, pof_h128 k, int32_t v)
{
    size_t mask, s;
    if (2 * (t->n + 1) > t->cap && grow_slots(&t->slots, &t->cap) != 0)
        return POF_ENOMEM;
    mask = t->cap - 1;
    for (s = (size_t)k.lo & mask; t->slots[s].val >= 0; s = (s + 1) & mask) {
        if (t->slots[s].lo == k.lo && t->slots[s].hi == k.hi) {
            t->slots[s].val = v;
            return 0;
        }
    }
    t->slots[s].lo = k.lo;
    t->slots[s].hi = k.hi;
    t->slots[s].val = v;
    t->n++;
    return 0;
}
