/* Sorting for the collation of texts and for the pipeline's stable orders.
 *
 * - pof_argsort_u64: the stable order of n 64-bit keys (LSD radix, 11-bit digits; a digit
 *   that is the same in every key costs one histogram check, not a pass);
 * - pof_rank_texts: the bytewise order of n texts (a merge sort comparing them);
 * - pof_sort_keys: n records of two 64-bit keys and a 32-bit payload, sorted by
 *   (a, b, payload) -- with distinct payloads a total order, so the result does not
 *   depend on the algorithm (large inputs are bucketed by a's top bits first, then a merge
 *   sort, insertion sort for short runs). */
#ifndef POF_SORT_H
#define POF_SORT_H

#include "pof_port.h"

/* out[0:n] = the indices of keys[0:n] in ascending key order, equal keys in index order.
 * 0, or POF_ENOMEM. */
int pof_argsort_u64(const uint64_t *keys, size_t n, int64_t *out);

/* The same with 32-bit indices (n < 2^32): half the memory. */
int pof_argsort_u64_u32(const uint64_t *keys, size_t n, uint32_t *out);

/* Many keys (from POF_ARGSORT_BUCKETS_MIN), on several threads: pof_argsort_begin puts
 * (key - min, index) pairs into 2^12 buckets by the key's top bits (one stable scatter);
 * then pof_argsort_part(a, k, parts), for k = 0..parts-1 at once on `parts` threads, sorts
 * the buckets that start in the k-th of `parts` equal slices of the n places (each bucket
 * stays in cache: LSD radix of 8-bit digits) and writes their indices to out; then
 * pof_argsort_free. The same result as pof_argsort_u64. begin and part return 0 or
 * POF_ENOMEM; below the minimum, or with one key value, begin does it all. */
#define POF_ARGSORT_BUCKETS_MIN 65536

typedef struct {
    uint64_t k;
    uint64_t i;
} pof_kv;

typedef struct {
    size_t n;
    int64_t *out;
    pof_kv *kv;
    size_t *ends;       /* bucket b is kv[ends[b-1]:ends[b]] */
    unsigned shift;     /* bucket of key = (key - min) >> shift */
    int done;
} pof_argsort;

int pof_argsort_begin(pof_argsort *a, const uint64_t *keys, size_t n, int64_t *out);
int pof_argsort_part(pof_argsort *a, int k, int parts);
void pof_argsort_free(pof_argsort *a);

typedef struct {
    uint64_t a;
    uint64_t b;
    uint32_t idx;
    uint32_t pad;
} pof_sortkey;

/* Sort r[0:n] by (a, b, idx); tmp has room for n records. */
void pof_sort_keys(pof_sortkey *r, size_t n, pof_sortkey *tmp);

/* Stable sort of the indices a[0:n] by lt(ctx, x, y) ("x before y"); tmp has room for n. */
typedef int (*pof_lt_fn)(const void *ctx, uint32_t x, uint32_t y);
void pof_msort_idx(uint32_t *a, size_t n, uint32_t *tmp, pof_lt_fn lt, const void *ctx);

/* rank[i] = the place of text i (arena[offs[i]:offs[i+1]]) among the n texts in bytewise
 * order (equal texts in index order). 0, or POF_ENOMEM. */
int pof_rank_texts(const unsigned char *arena, const int64_t *offs, size_t n, int64_t *rank);

POF_INLINE int pof_sortkey_lt(const pof_sortkey *x, const pof_sortkey *y)
{
    if (x->a != y->a)
        return x->a < y->a;
    if (x->b != y->b)
        return x->b < y->b;
    return x->idx < y->idx;
}

#endif /* POF_SORT_H */
