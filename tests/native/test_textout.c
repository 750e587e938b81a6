/* The default-layout text writer: exact records, every allocator combination, numbers at
 * their limits, records larger than the buffer, the chunk target, and ids or offsets out
 * of range (an error, never a read outside the tables). */
#include "pof_test.h"
#include "pof_textout.h"
#include "pof_defs.h"

static const char HARENA[] = "H0 ts  ns\nH1\n";
static const int64_t HOFFS[] = {0, 10, 13};
static const char SARENA[] = " a+0x1/0x2\n b\n";
static const int64_t SOFFS[] = {0, 11, 11, 14};

static void setup(pof_records *r, const int64_t *count, const int64_t *pages, const uint8_t *alloc,
                  const int32_t *hid, const int32_t *sid, size_t n)
{
    memset(r, 0, sizeof *r);
    r->harena = (const unsigned char *)HARENA;
    r->hoffs = HOFFS;
    r->nh = 2;
    r->harena_len = sizeof HARENA - 1;
    r->sarena = (const unsigned char *)SARENA;
    r->soffs = SOFFS;
    r->ns = 3;
    r->sarena_len = sizeof SARENA - 1;
    r->count = count;
    r->pages = pages;
    r->alloc = alloc;
    r->hid = hid;
    r->sid = sid;
    r->n = n;
}

static void test_records(void)
{
    const int64_t count[] = {3, 1, INT64_MAX}, pages[] = {12, 0, INT64_MIN};
    const uint8_t alloc[] = {16, 2 | 4 | 8 | 16, 0};
    const int32_t hid[] = {0, 1, 1}, sid[] = {0, 1, 2};
    const char *want =
        "3 times, 12 pages, allocated by OTHERS :\nH0 ts  ns\n a+0x1/0x2\n\n"
        "1 times, 0 pages, allocated by CMA SLAB VMALLOC OTHERS :\nH1\n\n"
        "9223372036854775807 times, -9223372036854775808 pages, allocated by :\nH1\n b\n\n";
    char out[1024];
    size_t need = 1;
    pof_records r;
    setup(&r, count, pages, alloc, hid, sid, 3);
    CHECK_EQ(pof_records_write(&r, out, sizeof out, sizeof out, &need), (ptrdiff_t)strlen(want));
    CHECK(memcmp(out, want, strlen(want)) == 0);
    CHECK_EQ(r.next, 3);
    CHECK_EQ(need, 0);
    CHECK_EQ(pof_records_write(&r, out, sizeof out, sizeof out, &need), 0);     /* done */
    {   /* the sizes of every run of records are what the writer writes for them */
        size_t lo, hi, at = 99;
        uint64_t bytes;
        for (lo = 0; lo <= 3; lo++) {
            for (hi = lo; hi <= 3; hi++) {
                setup(&r, count, pages, alloc, hid, sid, hi);
                r.next = lo;
                CHECK_EQ(pof_records_size(&r, lo, hi, &bytes, &at), 0);
                CHECK_EQ((ptrdiff_t)bytes, pof_records_write(&r, out, sizeof out, sizeof out, &need));
            }
        }
        setup(&r, count, pages, alloc, hid, sid, 3);
        CHECK_EQ(pof_records_size(&r, 0, 99, &bytes, &at), 0);      /* clipped at n */
        CHECK_EQ(bytes, strlen(want));
    }
    /* a target of one byte: one record per call */
    setup(&r, count, pages, alloc, hid, sid, 3);
    CHECK(pof_records_write(&r, out, sizeof out, 1, &need) > 0);
    CHECK_EQ(r.next, 1);
    /* a buffer too small for the next record: nothing written, the size needed said */
    CHECK_EQ(pof_records_write(&r, out, 16, 16, &need), 0);
    CHECK(need >= 16);
    CHECK_EQ(r.next, 1);
}

static void test_bad_ids(void)
{
    const int64_t count[] = {1}, pages[] = {1};
    const uint8_t alloc[] = {16};
    const int32_t bad_h[] = {2}, neg_h[] = {-1}, ok_h[] = {0}, ok_s[] = {0}, bad_s[] = {3};
    const int64_t broken_offs[] = {0, 10, 99};
    char out[256];
    size_t need;
    pof_records r;
    setup(&r, count, pages, alloc, bad_h, ok_s, 1);
    CHECK_EQ(pof_records_write(&r, out, sizeof out, sizeof out, &need), POF_EBADID);
    setup(&r, count, pages, alloc, neg_h, ok_s, 1);
    CHECK_EQ(pof_records_write(&r, out, sizeof out, sizeof out, &need), POF_EBADID);
    setup(&r, count, pages, alloc, ok_h, bad_s, 1);
    CHECK_EQ(pof_records_write(&r, out, sizeof out, sizeof out, &need), POF_EBADID);
    setup(&r, count, pages, alloc, (const int32_t[]){1}, ok_s, 1);
    r.hoffs = broken_offs;          /* value 1 would end past the arena */
    CHECK_EQ(pof_records_write(&r, out, sizeof out, sizeof out, &need), POF_EBADID);
    {   /* the size of records with a bad one among them: an error naming it */
        const int64_t c2[] = {1, 1}, p2[] = {1, 1};
        const uint8_t a2[] = {16, 16};
        const int32_t h2[] = {0, 2}, s2[] = {0, 0};
        uint64_t bytes = 1;
        size_t at = 0;
        setup(&r, c2, p2, a2, h2, s2, 2);
        CHECK_EQ(pof_records_size(&r, 0, 2, &bytes, &at), POF_EBADID);
        CHECK_EQ(at, 1);
        CHECK_EQ(pof_records_size(&r, 0, 1, &bytes, &at), 0);
        CHECK(bytes > 0);
    }
}

static void test_put_int(void)
{
    char out[32];
    CHECK_EQ(pof_put_int(out, 0), 1);
    CHECK(out[0] == '0');
    CHECK_EQ(pof_put_int(out, -1), 2);
    CHECK(memcmp(out, "-1", 2) == 0);
    CHECK_EQ(pof_put_int(out, INT64_MIN), 20);
    CHECK(memcmp(out, "-9223372036854775808", 20) == 0);
    CHECK_EQ(pof_put_int(out, INT64_MAX), 19);
    CHECK(memcmp(out, "9223372036854775807", 19) == 0);
}

int main(void)
{
    test_records();
    test_bad_ids();
    test_put_int();
    return pt_done("test_textout");
}
