/* The sorts of the collation (pof_sort.c): the radix argsort against a plain stable
 * insertion sort, on keys that differ in low, high and all digits; the record sort (bucketed
 * or not) and the index merge sort: ordered, ties and all, nothing lost. */
#include "pof_test.h"
#include "pof_sort.h"

static void ref_argsort(const uint64_t *k, size_t n, int64_t *out)
{
    size_t i, j;
    for (i = 0; i < n; i++) {
        for (j = i; j > 0 && k[out[j - 1]] > k[i]; j--)
            out[j] = out[j - 1];
        out[j] = (int64_t)i;
    }
}

static void test_argsort(void)
{
    static const size_t SIZES[] = {0, 1, 2, 47, 48, 49, 1000, 5000};
    static const uint64_t MASKS[] = {0, 1, 0xff, 0x7ff800, 0xffffffffffffffffULL,
                                     0xf000000000000000ULL, 0x00000000fffff000ULL};
    size_t si, mi, i;
    for (si = 0; si < sizeof SIZES / sizeof *SIZES; si++) {
        for (mi = 0; mi < sizeof MASKS / sizeof *MASKS; mi++) {
            size_t n = SIZES[si];
            uint64_t *k = (uint64_t *)malloc((n + 1) * sizeof *k);
            int64_t *got = (int64_t *)malloc((n + 1) * sizeof *got);
            int64_t *want = (int64_t *)malloc((n + 1) * sizeof *want);
            for (i = 0; i < n; i++)
                k[i] = (pt_rand() & MASKS[mi]) | (i % 3 == 0 ? 0x100 : 0);
            CHECK_EQ(pof_argsort_u64(k, n, got), 0);
            ref_argsort(k, n, want);
            for (i = 0; i < n; i++)
                CHECK_EQ(got[i], want[i]);
            if (pt_failures) {
                NOTE("n=%zu mask=%llx", n, (unsigned long long)MASKS[mi]);
                si = 99;
                free(k);
                free(got);
                free(want);
                break;
            }
            free(k);
            free(got);
            free(want);
        }
    }
}

static int idx_lt(const void *ctx, uint32_t x, uint32_t y)
{
    const uint64_t *k = (const uint64_t *)ctx;
    return k[x] < k[y];         /* ties: the merge sort keeps them in order */
}

/* a for record i of n: few values, all 64 bits, a narrow band high up (left-aligned
   digits of a long-running system's free_ts), 4097 values (just too many for 4096 buckets
   unshifted), or one value (no spread to bucket by) */
static uint64_t key_a(int mode, size_t i)
{
    switch (mode) {
    case 0: return pt_below(4);
    case 1: return pt_rand();
    case 2: return 1000000000000000000ULL + pt_below(1000000) * 1000000ULL + (i & 1);
    case 3: return i % 4097;
    default: return 42;
    }
}

static void test_sort_keys(void)
{
    /* 8192 and up: bucketed first (pof_sort.c, BUCKET_MIN) */
    static const size_t SIZES[] = {0, 1, 2, 15, 16, 17, 33, 1000, 4099, 8191, 8192, 20000, 100003};
    size_t si, i;
    int mode;
    for (si = 0; si < sizeof SIZES / sizeof *SIZES; si++) {
      for (mode = 0; mode < 5; mode++) {
        size_t n = SIZES[si];
        pof_sortkey *r = (pof_sortkey *)malloc((n + 1) * sizeof *r);
        pof_sortkey *tmp = (pof_sortkey *)malloc((n + 1) * sizeof *r);
        uint32_t *a = (uint32_t *)malloc((n + 1) * sizeof *a), *t2 = (uint32_t *)malloc((n + 1) * sizeof *a);
        uint64_t *k = (uint64_t *)malloc((n + 1) * sizeof *k);
        uint64_t sum_before = 0, sum_after = 0;
        for (i = 0; i < n; i++) {
            r[i].a = key_a(mode, i);
            r[i].b = pt_below(3);
            r[i].idx = (uint32_t)(n - i);       /* distinct */
            r[i].pad = 0;
            sum_before += r[i].a ^ (r[i].b << 40) ^ ((uint64_t)r[i].idx * 0x9e3779b97f4a7c15ULL);
            k[i] = pt_below(5);
            a[i] = (uint32_t)i;
        }
        pof_sort_keys(r, n, tmp);
        for (i = 1; i < n; i++)
            CHECK(pof_sortkey_lt(&r[i - 1], &r[i]));
        for (i = 0; i < n; i++)                 /* the same records, moved */
            sum_after += r[i].a ^ (r[i].b << 40) ^ ((uint64_t)r[i].idx * 0x9e3779b97f4a7c15ULL);
        CHECK_EQ(sum_after, sum_before);
        if (mode == 0) {
            pof_msort_idx(a, n, t2, idx_lt, k);
            for (i = 1; i < n; i++)
                CHECK(k[a[i - 1]] < k[a[i]] || (k[a[i - 1]] == k[a[i]] && a[i - 1] < a[i]));
        }
        free(r);
        free(tmp);
        free(a);
        free(t2);
        free(k);
        if (pt_failures) {
            NOTE("n=%zu mode=%d", n, mode);
            return;
        }
      }
    }
}

/* the bucketed argsort (begin, its parts in any order, free) gives pof_argsort_u64's
   order: below and at its minimum size, for keys of every spread -- including one bucket
   that holds nearly all (an outlier at each end) and keys that all fit one bucket each */
static void test_argsort_buckets(void)
{
    static const size_t SIZES[] = {100, POF_ARGSORT_BUCKETS_MIN - 1, POF_ARGSORT_BUCKETS_MIN,
                                   100003, 300007};
    size_t si, i;
    int mode, parts, k;
    for (si = 0; si < sizeof SIZES / sizeof *SIZES; si++) {
        for (mode = 0; mode < 7; mode++) {
            size_t n = SIZES[si];
            uint64_t *key = (uint64_t *)malloc(n * sizeof *key);
            int64_t *want = (int64_t *)malloc(n * sizeof *want);
            int64_t *got = (int64_t *)malloc(n * sizeof *got);
            for (i = 0; i < n; i++)
                key[i] = mode == 5 ? 5000000000ULL + pt_below(1000) : mode == 6 ? i % 3000 : key_a(mode, i);
            if (mode == 5) {
                key[n / 2] = 0;
                key[n / 3] = UINT64_MAX;
            }
            CHECK_EQ(pof_argsort_u64(key, n, want), 0);
            for (parts = 1; parts <= 3; parts++) {
                pof_argsort a;
                memset(got, 0xff, n * sizeof *got);
                CHECK_EQ(pof_argsort_begin(&a, key, n, got), 0);
                for (k = parts - 1; k >= 0; k--)        /* any order: the parts are disjoint */
                    CHECK_EQ(pof_argsort_part(&a, k, parts), 0);
                pof_argsort_free(&a);
                for (i = 0; i < n && !pt_failures; i++)
                    CHECK_EQ(got[i], want[i]);
                if (pt_failures) {
                    NOTE("n=%zu mode=%d parts=%d", n, mode, parts);
                    break;
                }
            }
            free(key);
            free(want);
            free(got);
            if (pt_failures)
                return;
        }
    }
}

int main(void)
{
    test_argsort();
    test_sort_keys();
    test_argsort_buckets();
    return pt_done("test_sort");
}
