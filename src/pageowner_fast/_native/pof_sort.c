/* Sorting (see pof_sort.h). */
#include <stdlib.h>

#include "pof_sort.h"
#include "pof_defs.h"

#define DIGIT_BITS 11
#define NDIGITS 6                       /* ceil(64 / 11) */
#define RADIX (1u << DIGIT_BITS)
#define SMALL 48                        /* below this, insertion sort */

/* LSD radix argsort, one body for both index widths */
#define ARGSORT_BODY(IDX)                                                                  \
    size_t *hist, i, d;                                                                    \
    IDX *tmp, *src, *dst;                                                                  \
    if (n < SMALL) {                                                                       \
        for (i = 0; i < n; i++) {                                                          \
            size_t j = i;                                                                  \
            while (j > 0 && keys[out[j - 1]] > keys[i]) {                                  \
                out[j] = out[j - 1];                                                       \
                j--;                                                                       \
            }                                                                              \
            out[j] = (IDX)i;                                                               \
        }                                                                                  \
        return 0;                                                                          \
    }                                                                                      \
    hist = (size_t *)calloc((size_t)NDIGITS * RADIX, sizeof(size_t));                     \
    tmp = (IDX *)malloc(n * sizeof(IDX));                                                  \
    if (hist == NULL || tmp == NULL) {                                                     \
        free(hist);                                                                        \
        free(tmp);                                                                         \
        return POF_ENOMEM;                                                                 \
    }                                                                                      \
    for (i = 0; i < n; i++) {           /* every digit's histogram in one pass */          \
        uint64_t k = keys[i];                                                              \
        for (d = 0; d < NDIGITS; d++)                                                      \
            hist[d * RADIX + ((k >> (d * DIGIT_BITS)) & (RADIX - 1))]++;                   \
    }                                                                                      \
    for (i = 0; i < n; i++)                                                                \
        out[i] = (IDX)i;                                                                   \
    src = out;                                                                             \
    dst = tmp;                                                                             \
    for (d = 0; d < NDIGITS; d++) {                                                        \
        size_t *h = hist + d * RADIX, sum = 0, c;                                          \
        unsigned shift = (unsigned)(d * DIGIT_BITS);                                       \
        if (h[(keys[0] >> shift) & (RADIX - 1)] == n)                                      \
            continue;                   /* the same digit everywhere: order unchanged */   \
        for (c = 0; c < RADIX; c++) {                                                      \
            size_t t = h[c];                                                               \
            h[c] = sum;                                                                    \
            sum += t;                                                                      \
        }                                                                                  \
        for (i = 0; i < n; i++) {                                                          \
            IDX j = src[i];                                                                \
            dst[h[(keys[j] >> shift) & (RADIX - 1)]++] = j;                                \
        }                                                                                  \
        {                                                                                  \
            IDX *t = src;                                                                  \
            src = dst;                                                                     \
            dst = t;                                                                       \
        }                                                                                  \
    }                                                                                      \
    if (src != out)                                                                        \
        memcpy(out, src, n * sizeof(IDX));                                                 \
    free(hist);                                                                            \
    free(tmp);                                                                             \
    return 0;

int pof_argsort_u64(const uint64_t *keys, size_t n, int64_t *out)
{
    ARGSORT_BODY(int64_t)
}

int pof_argsort_u64_u32(const uint64_t *keys, size_t n, uint32_t *out)
{
    if ((uint64_t)n >= 0xffffffffULL)
        return POF_EINTERNAL;
    {
        ARGSORT_BODY(uint32_t)
    }
}

static void insertion(pof_sortkey *r, size_t n)
{
    size_t i, j;
    for (i = 1; i < n; i++) {
        pof_sortkey x = r[i];
        for (j = i; j > 0 && pof_sortkey_lt(&x, &r[j - 1]); j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

/* x before y, without a branch (the keys are random: a mispredicted branch per compare
   would cost more than the compare) */
POF_INLINE int key_lt(const pof_sortkey *x, const pof_sortkey *y)
{
    return (x->a < y->a) | ((x->a == y->a) & ((x->b < y->b) | ((x->b == y->b) & (x->idx < y->idx))));
}

static void msort_keys(pof_sortkey *r, size_t n, pof_sortkey *tmp)
{
    size_t w, lo, i;
    pof_sortkey *src = r, *dst = tmp;
    if (n < 2)
        return;
    for (lo = 0; lo < n; lo += 16)
        insertion(r + lo, n - lo < 16 ? n - lo : 16);
    for (w = 16; w < n; w *= 2) {       /* bottom-up merges of runs of w */
        for (lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            const pof_sortkey *a = src + lo, *ae = src + mid, *b = src + mid, *be = src + hi;
            pof_sortkey *d = dst + lo;
            if (mid == hi || !key_lt(b, ae - 1)) {
                memcpy(d, a, (hi - lo) * sizeof *src);
                continue;
            }
            while (a < ae && b < be) {
                int t = key_lt(b, a);
                *d++ = t ? *b : *a;
                b += t;
                a += !t;
            }
            while (a < ae)
                *d++ = *a++;
            while (b < be)
                *d++ = *b++;
        }
        {
            pof_sortkey *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != r)
        for (i = 0; i < n; i++)
            r[i] = src[i];
}

#define BUCKET_BITS 12
#define BUCKET_MIN 8192                 /* below this, the merge sort alone */

/* Large inputs: first into 2^12 buckets by a's top bits within [min a, max a] (one
   counting pass, one scatter), then each bucket, small enough to stay in cache, by the
   merge sort -- a bucket holds a range of a, so the buckets' order is the keys' order */
void pof_sort_keys(pof_sortkey *r, size_t n, pof_sortkey *tmp)
{
    size_t *cnt, i, b;
    uint64_t lo, hi, range;
    unsigned shift = 0;
    if (n < BUCKET_MIN) {
        msort_keys(r, n, tmp);
        return;
    }
    lo = hi = r[0].a;
    for (i = 1; i < n; i++) {
        lo = r[i].a < lo ? r[i].a : lo;
        hi = r[i].a > hi ? r[i].a : hi;
    }
    cnt = (size_t *)calloc(((size_t)1 << BUCKET_BITS) + 1, sizeof(size_t));
    if (hi == lo || cnt == NULL) {      /* no spread in a (or no memory): as it comes */
        free(cnt);
        msort_keys(r, n, tmp);
        return;
    }
    range = hi - lo;
    if (range >> BUCKET_BITS)
        shift = (unsigned)(pof_msb64(range) - (BUCKET_BITS - 1));
    for (i = 0; i < n; i++)
        cnt[((r[i].a - lo) >> shift) + 1]++;
    for (b = 0; b < ((size_t)1 << BUCKET_BITS); b++)
        cnt[b + 1] += cnt[b];
    for (i = 0; i < n; i++)             /* cnt[b]: where bucket b's next record goes */
        tmp[cnt[(r[i].a - lo) >> shift]++] = r[i];
    /* cnt[b] is now bucket b's end */
    for (b = 0, i = 0; b < ((size_t)1 << BUCKET_BITS); i = cnt[b++]) {
        size_t m = cnt[b] - i;
        if (m == 0)
            continue;
        memcpy(r + i, tmp + i, m * sizeof *r);
        msort_keys(r + i, m, tmp + i);
    }
    free(cnt);
}

void pof_msort_idx(uint32_t *a, size_t n, uint32_t *tmp, pof_lt_fn lt, const void *ctx)
{
    size_t w, lo, i, j;
    uint32_t *src = a, *dst = tmp;
    for (lo = 0; lo < n; lo += 8) {     /* insertion sort of runs of 8 */
        size_t hi = lo + 8 < n ? lo + 8 : n;
        for (i = lo + 1; i < hi; i++) {
            uint32_t x = a[i];
            for (j = i; j > lo && lt(ctx, x, a[j - 1]); j--)
                a[j] = a[j - 1];
            a[j] = x;
        }
    }
    for (w = 8; w < n; w *= 2) {
        for (lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t x = lo, y = mid, k = lo;
            while (x < mid && y < hi)
                dst[k++] = lt(ctx, src[y], src[x]) ? src[y++] : src[x++];
            while (x < mid)
                dst[k++] = src[x++];
            while (y < hi)
                dst[k++] = src[y++];
        }
        {
            uint32_t *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

/* --- ranks of distinct texts ------------------------------------------------------------------ */

typedef struct {
    const unsigned char *arena;
    const int64_t *offs;
} text_ctx;

/* Text x before text y, bytewise (memcmp, then the shorter first: strcmp's order for texts
 * without NUL bytes, and Python's for bytes). */
static int text_lt(const void *ctx, uint32_t x, uint32_t y)
{
    const text_ctx *c = (const text_ctx *)ctx;
    int64_t lx = c->offs[x + 1] - c->offs[x], ly = c->offs[y + 1] - c->offs[y];
    int r = memcmp(c->arena + c->offs[x], c->arena + c->offs[y], (size_t)(lx < ly ? lx : ly));
    return r != 0 ? r < 0 : lx < ly;
}

int pof_rank_texts(const unsigned char *arena, const int64_t *offs, size_t n, int64_t *rank)
{
    uint32_t *a, *tmp;
    size_t i;
    text_ctx c;
    if (n >= 0xffffffffu)
        return POF_ENOMEM;
    a = (uint32_t *)malloc((n + 1) * sizeof *a);
    tmp = (uint32_t *)malloc((n + 1) * sizeof *tmp);
    if (a == NULL || tmp == NULL) {
        free(a);
        free(tmp);
        return POF_ENOMEM;
    }
    for (i = 0; i < n; i++)
        a[i] = (uint32_t)i;
    c.arena = arena;
    c.offs = offs;
    pof_msort_idx(a, n, tmp, text_lt, &c);
    for (i = 0; i < n; i++)
        rank[a[i]] = (int64_t)i;
    free(a);
    free(tmp);
    return 0;
}

/* --- the argsort of many keys, in buckets --------------------------------------------------- */

#define AS_BUCKET_BITS 12
#define AS_NB ((size_t)1 << AS_BUCKET_BITS)

int pof_argsort_begin(pof_argsort *a, const uint64_t *keys, size_t n, int64_t *out)
{
    size_t i, *cnt;
    uint64_t lo, hi, range;
    memset(a, 0, sizeof *a);
    a->n = n;
    a->out = out;
    if (n < POF_ARGSORT_BUCKETS_MIN) {
        a->done = 1;
        return n ? pof_argsort_u64(keys, n, out) : 0;
    }
    lo = hi = keys[0];
    for (i = 1; i < n; i++) {
        lo = keys[i] < lo ? keys[i] : lo;
        hi = keys[i] > hi ? keys[i] : hi;
    }
    if (lo == hi) {                     /* one key: the order as it comes */
        for (i = 0; i < n; i++)
            out[i] = (int64_t)i;
        a->done = 1;
        return 0;
    }
    range = hi - lo;
    a->shift = range >> AS_BUCKET_BITS ? (unsigned)(pof_msb64(range) - (AS_BUCKET_BITS - 1)) : 0;
    cnt = a->ends = (size_t *)calloc(AS_NB + 1, sizeof(size_t));
    a->kv = (pof_kv *)malloc(n * sizeof(pof_kv));
    if (cnt == NULL || a->kv == NULL) {
        pof_argsort_free(a);
        return POF_ENOMEM;
    }
    for (i = 0; i < n; i++)
        cnt[((keys[i] - lo) >> a->shift) + 1]++;
    for (i = 0; i < AS_NB; i++)
        cnt[i + 1] += cnt[i];
    for (i = 0; i < n; i++) {           /* stable: a bucket keeps its keys in index order */
        pof_kv *d = &a->kv[cnt[(keys[i] - lo) >> a->shift]++];
        d->k = keys[i] - lo;
        d->i = (uint64_t)i;
    }
    return 0;                           /* cnt[b] is now bucket b's end */
}

/* bucket r[0:m] by k (its bits below `bits`), stable: LSD radix of 8-bit digits (a digit
   the same in every key skipped), insertion sort when short */
static void sort_bucket(pof_kv *r, size_t m, unsigned bits, pof_kv *tmp)
{
    size_t i, j, h[256];
    unsigned d;
    pof_kv *src = r, *dst = tmp;
    if (m < 32) {
        for (i = 1; i < m; i++) {
            pof_kv x = r[i];
            for (j = i; j > 0 && r[j - 1].k > x.k; j--)
                r[j] = r[j - 1];
            r[j] = x;
        }
        return;
    }
    for (d = 0; d < bits; d += 8) {
        size_t sum = 0;
        memset(h, 0, sizeof h);
        for (i = 0; i < m; i++)
            h[(src[i].k >> d) & 255]++;
        if (h[(src[0].k >> d) & 255] == m)
            continue;
        for (i = 0; i < 256; i++) {
            size_t t = h[i];
            h[i] = sum;
            sum += t;
        }
        for (i = 0; i < m; i++)
            dst[h[(src[i].k >> d) & 255]++] = src[i];
        {
            pof_kv *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != r)
        memcpy(r, src, m * sizeof *r);
}

int pof_argsort_part(pof_argsort *a, int k, int parts)
{
    size_t b, start, lo, hi, cap = 0;
    pof_kv *tmp = NULL;
    if (a->done || a->ends == NULL || parts < 1 || k < 0 || k >= parts)
        return 0;
    lo = a->n / (size_t)parts * (size_t)k + a->n % (size_t)parts * (size_t)k / (size_t)parts;
    hi = k + 1 == parts ? a->n
                        : a->n / (size_t)parts * (size_t)(k + 1) +
                              a->n % (size_t)parts * (size_t)(k + 1) / (size_t)parts;
    for (b = 0, start = 0; b < AS_NB; start = a->ends[b++]) {
        size_t m = a->ends[b] - start, i;
        if (m == 0 || start < lo || start >= hi)
            continue;                   /* a bucket is another part's if it starts there */
        if (m > cap) {
            pof_kv *t = (pof_kv *)realloc(tmp, m * sizeof *t);
            if (t == NULL) {
                free(tmp);
                return POF_ENOMEM;
            }
            tmp = t;
            cap = m;
        }
        sort_bucket(a->kv + start, m, a->shift, tmp);
        for (i = 0; i < m; i++)
            a->out[start + i] = (int64_t)a->kv[start + i].i;
    }
    free(tmp);
    return 0;
}

void pof_argsort_free(pof_argsort *a)
{
    free(a->kv);
    free(a->ends);
    a->kv = NULL;
    a->ends = NULL;
}
