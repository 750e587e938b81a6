/* The sorts of the collation (pof_sort.c): the radix argsort against a plain stable
 * insertion sort, on keys that differ in low, high and all digits; the record sort and the
 * index merge sort against the same, ties and all. */
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

static void test_sort_keys(void)
{
    static const size_t SIZES[] = {0, 1, 2, 15, 16, 17, 33, 1000, 4099};
    size_t si, i;
    for (si = 0; si < sizeof SIZES / sizeof *SIZES; si++) {
        size_t n = SIZES[si];
        pof_sortkey *r = (pof_sortkey *)malloc((n + 1) * sizeof *r);
        pof_sortkey *tmp = (pof_sortkey *)malloc((n + 1) * sizeof *r);
        uint32_t *a = (uint32_t *)malloc((n + 1) * sizeof *a), *t2 = (uint32_t *)malloc((n + 1) * sizeof *a);
        uint64_t *k = (uint64_t *)malloc((n + 1) * sizeof *k);
        for (i = 0; i < n; i++) {
            r[i].a = pt_below(4);
            r[i].b = pt_below(3);
            r[i].idx = (uint32_t)(n - i);       /* distinct */
            r[i].pad = 0;
            k[i] = pt_below(5);
            a[i] = (uint32_t)i;
        }
        pof_sort_keys(r, n, tmp);
        for (i = 1; i < n; i++)
            CHECK(pof_sortkey_lt(&r[i - 1], &r[i]));
        pof_msort_idx(a, n, t2, idx_lt, k);
        for (i = 1; i < n; i++)
            CHECK(k[a[i - 1]] < k[a[i]] || (k[a[i - 1]] == k[a[i]] && a[i - 1] < a[i]));
        if (pt_failures)
            NOTE("n=%zu", n);
        free(r);
        free(tmp);
        free(a);
        free(t2);
        free(k);
    }
}

int main(void)
{
    test_argsort();
    test_sort_keys();
    return pt_done("test_sort");
}
