/* The interner: ids in order of first appearance, values kept; with a hash that collides
 * on everything (bound through the same function pointer as XXH3) and verification on, as
 * with the fallback hash, no two values ever share an id. The fallback hash itself, the
 * shortcut table and the remap. */
#include <stdio.h>

#include "pof_test.h"
#include "pof_intern.h"
#include "pof_defs.h"

static pof_h128 collide_all(const void *data, size_t n)
{
    pof_h128 h;
    (void)data;
    h.lo = 7;
    h.hi = 9 + (n & 1);     /* only the length's parity tells values apart */
    return h;
}

static void value_is(const pof_interner *t, int32_t id, const char *want, size_t len)
{
    size_t got_len;
    const char *got = pof_interner_value(t, (size_t)id, &got_len);
    CHECK(got_len == len && memcmp(got, want, len) == 0);
}

static void run_interner(const char *what)
{
    pof_interner t;
    char buf[32];
    int32_t ids[2000];
    int i;
    CHECK_EQ(pof_interner_init(&t, 16), 0);
    CHECK_EQ(pof_intern(&t, "a", 1), 0);
    CHECK_EQ(pof_intern(&t, "", 0), 1);
    CHECK_EQ(pof_intern(&t, "a\0", 2), 2);
    CHECK_EQ(pof_intern(&t, "a", 1), 0);
    CHECK_EQ(pof_intern(&t, "", 0), 1);
    for (i = 0; i < 2000; i++) {
        int n = snprintf(buf, sizeof buf, "value %d", i % 1000);
        ids[i] = pof_intern(&t, buf, (size_t)n);
        if (i >= 1000)
            CHECK_EQ(ids[i], ids[i - 1000]);
        else
            CHECK_EQ(ids[i], 3 + i);
    }
    for (i = 0; i < 1000; i++) {
        int n = snprintf(buf, sizeof buf, "value %d", i);
        value_is(&t, ids[i], buf, (size_t)n);
    }
    CHECK_EQ(t.n, 1003);
    value_is(&t, 2, "a\0", 2);
    if (pt_failures)
        NOTE("interner with %s", what);
    pof_interner_free(&t);
}

static void test_interner(void)
{
    pof_hash_use(NULL);             /* the fallback hash, verifying */
    CHECK_EQ(pof_hash_verify, 1);
    run_interner("the fallback hash");
    pof_hash_use(collide_all);      /* every value collides ... */
    CHECK_EQ(pof_hash_verify, 0);
    pof_hash_verify = 1;            /* ... and the bytes decide, as with the fallback */
    run_interner("a hash that collides on everything");
    pof_hash_use(NULL);
}

static void test_fallback_hash(void)
{
    static const struct { const char *s; size_t n; } vals[] = {
        {"", 0}, {"a", 1}, {"b", 1}, {"ab", 2}, {"ba", 2}, {"a\0", 2}, {"abcdefgh", 8},
        {"abcdefgi", 8}, {"abcdefghX", 9}, {"abcdefgh\0", 9}, {"Page allocated via order 0", 26}};
    const size_t nv = sizeof vals / sizeof *vals;
    pof_h128 h[sizeof vals / sizeof *vals];
    size_t i, j;
    for (i = 0; i < nv; i++)
        h[i] = pof_fallback_hash(vals[i].s, vals[i].n);
    for (i = 0; i < nv; i++)
        for (j = i + 1; j < nv; j++)
            CHECK(h[i].lo != h[j].lo || h[i].hi != h[j].hi);
    CHECK(pof_fallback_hash("abc", 3).lo == pof_fallback_hash("abc", 3).lo);   /* no seed */
}

static void test_fast(void)
{
    pof_fast f;
    pof_h128 k;
    int i;
    CHECK_EQ(pof_fast_init(&f, 4), 0);
    for (i = 0; i < 5000; i++) {
        k.lo = 42;              /* the same slot for every key: probing */
        k.hi = (uint64_t)i;
        CHECK_EQ(pof_fast_put(&f, k, i), 0);
    }
    for (i = 0; i < 5000; i++) {
        k.lo = 42;
        k.hi = (uint64_t)i;
        CHECK_EQ(pof_fast_get(&f, k), i);
    }
    k.hi = 99999;
    CHECK_EQ(pof_fast_get(&f, k), -1);
    k.hi = 3;
    CHECK_EQ(pof_fast_put(&f, k, 77), 0);
    CHECK_EQ(pof_fast_get(&f, k), 77);
    pof_fast_free(&f);
}

static void test_remap(void)
{
    pof_interner a, b;
    int32_t map[3];
    CHECK_EQ(pof_interner_init(&a, 16), 0);
    CHECK_EQ(pof_interner_init(&b, 16), 0);
    pof_intern(&a, "x", 1);
    pof_intern(&a, "y", 1);
    pof_intern(&b, "y", 1);
    pof_intern(&b, "z", 1);
    pof_intern(&b, "x", 1);
    CHECK_EQ(pof_interner_remap(&b, &a, map), 0);
    CHECK(map[0] == 1 && map[1] == 2 && map[2] == 0);
    value_is(&a, 2, "z", 1);
    CHECK_EQ(a.n, 3);
    pof_interner_free(&a);
    pof_interner_free(&b);
}

static void test_reserve(void)
{
    pof_interner t;
    char v[16];
    size_t cap;
    int i;
    CHECK_EQ(pof_interner_init(&t, 16), 0);
    pof_intern(&t, "a", 1);
    CHECK_EQ(pof_interner_reserve(&t, 1000), 0);
    cap = t.cap;
    CHECK(cap >= 2 * 1001);
    for (i = 0; i < 1000; i++) {            /* room made: no growth, ids as ever */
        int n = snprintf(v, sizeof v, "v%d", i);
        CHECK_EQ(pof_intern(&t, v, (size_t)n), i + 1);
    }
    CHECK_EQ(t.cap, cap);
    CHECK_EQ(pof_intern(&t, "a", 1), 0);
    CHECK_EQ(pof_intern(&t, "v999", 4), 1000);
    CHECK_EQ(pof_interner_reserve(&t, 0), 0);
    CHECK_EQ(t.cap, cap);
    pof_interner_free(&t);
}

int main(void)
{
    test_interner();
    test_fallback_hash();
    test_fast();
    test_remap();
    test_reserve();
    return pt_done("test_intern");
}
