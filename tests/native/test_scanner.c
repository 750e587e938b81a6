/* The scanner end to end: a dump fed in chunks of every size (the splitter resuming inside
 * blocks, CRLF pairs cut in two) gives the same rows and tables as one piece; page sums
 * that would wrap are clamped and counted, also across a merge. */
#include "pof_test.h"
#include "pof_scanner.h"

static const char *BLOCKS[] = {
    "Page allocated via order 0, mask 0x112cca(GFP_HIGHUSER_MOVABLE), pid 834, tgid 834 (systemd-journal), ts 7328440281 ns\n"
    "PFN 0x10a3f type Movable Block 133 type Movable Flags 0x17ffffc0020838(uptodate|lru)\n"
    " post_alloc_hook+0xca/0xd0\n get_page_from_freelist+0x5b2/0x1390\n __alloc_pages_noprof+0x1a2/0x350\n\n",
    "Page allocated via order 1, mask 0x152cc0(GFP_USER), pid 1, tgid 1 (swapper/0), ts 254817330 ns, free_ts 0 ns\n"
    "PFN 4610 type Unmovable Block 9 type Unmovable Flags 0x17ffffc0010200(slab|head)\n"
    " post_alloc_hook+0xca/0xd0\n allocate_slab+0x2b6/0x3f0\n ext4_fill_super+0x5f/0x340 [ext4]\n"
    "Charged (via objcg) to memcg system.slice\n\n",
    "Page allocated via order 2, mask 0x0(), pid 5, tgid 5 (a), ts 1 ns\n __alloc_pages_bulk+0x1/0x2\n"
    " x\n alloc_pages_bulk_noprof+0x1/0x2\n __vmalloc_node_range_noprof+0x3/0x4\n"
    "PFN 0x20000 type Movable Block 256 type CMA Flags 0x0()\n\n",
    "\n",
    "PFN 5 type Movable\n\n",
    "Page allocated via order 0, pid 9, tgid 9 (x), ts\n5 ns\n f+0x1/0x2\n\n",
};

typedef struct {
    size_t rows;
    int64_t blocks, lines, nul, cr_removed, checksum;
    size_t nh, ns, nc, nm;
} summary;

static int64_t mixin(int64_t h, int64_t v) { return (int64_t)(((uint64_t)h ^ (uint64_t)v) * 0x100000001B3ULL); }

static summary run(const unsigned char *data, size_t n, size_t chunk, int strip, int aggregate)
{
    pof_scanner s;
    summary r;
    size_t cap = n + 4096, have = 0, off = 0, i;
    unsigned char *buf = (unsigned char *)malloc(cap);
    memset(&r, 0, sizeof r);
    CHECK_EQ(pof_scanner_init(&s, strip, aggregate, 0), 0);
    while (off < n) {
        size_t take = chunk && chunk < n - off ? chunk : n - off;
        ptrdiff_t h;
        memcpy(buf + have, data + off, take);
        h = pof_feed(&s, buf, (ptrdiff_t)have, (ptrdiff_t)take);
        CHECK(h >= 0);
        have = (size_t)h;
        off += take;
    }
    CHECK_EQ(pof_feed_end(&s, buf, (ptrdiff_t)have, (ptrdiff_t)cap), 0);
    pof_fold_flush(&s);
    r.rows = s.cols.n;
    r.blocks = s.nblocks;
    r.lines = s.lineno;
    r.nul = s.nul_bytes;
    r.cr_removed = s.cr_removed;
    r.nh = s.headers.n;
    r.ns = s.stacks.n;
    r.nc = s.comms.n;
    r.nm = s.modules.n;
    for (i = 0; i < s.cols.n; i++) {
        int64_t h = r.checksum;
        h = mixin(h, s.cols.order[i]);
        h = mixin(h, s.cols.count[i]);
        h = mixin(h, s.cols.pages[i]);
        h = mixin(h, s.cols.pid[i]);
        h = mixin(h, s.cols.tgid[i]);
        h = mixin(h, (int64_t)s.cols.ts[i]);
        h = mixin(h, (int64_t)s.cols.free_ts[i]);
        h = mixin(h, s.cols.pfn[i]);
        h = mixin(h, (int64_t)s.cols.gfp[i]);
        h = mixin(h, s.cols.mt[i]);
        h = mixin(h, s.cols.alloc[i]);
        h = mixin(h, s.cols.header_id[i]);
        h = mixin(h, s.cols.stack_id[i]);
        h = mixin(h, s.cols.comm_id[i]);
        h = mixin(h, s.cols.module_id[i]);
        h = mixin(h, s.cols.bad[i]);
        h = mixin(h, s.cols.lineno[i]);
        r.checksum = h;
    }
    pof_scanner_free(&s);
    free(buf);
    return r;
}

static int same(summary a, summary b)
{
    return a.rows == b.rows && a.blocks == b.blocks && a.lines == b.lines && a.nul == b.nul &&
           a.cr_removed == b.cr_removed && a.checksum == b.checksum && a.nh == b.nh &&
           a.ns == b.ns && a.nc == b.nc && a.nm == b.nm;
}

static void test_chunks(void)
{
    static unsigned char data[1 << 16], crlf[1 << 17];
    size_t n = 0, m = 0, i, chunk;
    int mode;
    while (n < sizeof data - 2048) {
        const char *b = BLOCKS[pt_below(sizeof BLOCKS / sizeof *BLOCKS)];
        memcpy(data + n, b, strlen(b));
        n += strlen(b);
    }
    data[n++] = 'x';            /* the last block lacks its end */
    for (i = 0; i < n; i++) {
        if (data[i] == '\n')
            crlf[m++] = '\r';
        crlf[m++] = data[i];
    }
    for (mode = 0; mode < 3; mode++) {
        int strip = mode != 2, aggregate = mode == 0;
        summary whole = run(data, n, 0, strip, aggregate), w2 = whole;
        w2.cr_removed = (int64_t)(m - n);
        CHECK(same(run(crlf, m, 0, strip, aggregate), w2));
        for (chunk = 1; chunk < 300; chunk += 1 + chunk / 4) {
            CHECK(same(run(data, n, chunk, strip, aggregate), whole));
            summary c = run(crlf, m, chunk, strip, aggregate);
            c.cr_removed = 0;
            CHECK(same(c, whole));
            if (pt_failures) {
                NOTE("mode %d, chunk %zu", mode, chunk);
                return;
            }
        }
    }
}

static void feed_all(pof_scanner *s, const char *text)
{
    size_t n = strlen(text);
    unsigned char *buf = pt_dup(text, n);
    CHECK_EQ(pof_feed(s, buf, 0, (ptrdiff_t)n), 0);
    free(buf);
}

static void test_clamp(void)
{
    const char *block = "Page allocated via order 62, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns\n f+0x1/0x2\n\n";
    const char *block61 = "Page allocated via order 61, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns\n f+0x1/0x2\n\n";
    char four[512];
    pof_scanner a, b;
    snprintf(four, sizeof four, "%s%s%s%s", block, block, block, block);
    CHECK_EQ(pof_scanner_init(&a, 1, 1, 0), 0);
    feed_all(&a, four);
    CHECK_EQ(a.cols.count[0], 1);           /* the other blocks wait in pend ... */
    pof_fold_flush(&a);                     /* ... until a flush (idempotent) */
    pof_fold_flush(&a);
    CHECK_EQ(a.cols.n, 1);
    CHECK_EQ(a.cols.count[0], 4);
    CHECK(a.cols.pages[0] == INT64_MAX);    /* 4 * 2**62 would wrap to 0 */
    CHECK_EQ(pof_pages_overflow(&a), 1);
    pof_scanner_free(&a);
    /* two halves of 2 * 2**61 each (no clamp yet), merged: clamped once, counted once */
    CHECK_EQ(pof_scanner_init(&a, 1, 1, 0), 0);
    CHECK_EQ(pof_scanner_init(&b, 1, 1, 0), 0);
    snprintf(four, sizeof four, "%s%s", block61, block61);
    feed_all(&a, four);
    feed_all(&b, four);                     /* b's pending blocks: flushed by the merge */
    pof_fold_flush(&a);
    CHECK_EQ(pof_pages_overflow(&a), 0);
    CHECK(a.cols.pages[0] == (int64_t)1 << 62);
    CHECK_EQ(pof_scanner_merge(&a, &b), 0);
    CHECK_EQ(a.cols.n, 1);
    CHECK_EQ(a.cols.count[0], 4);
    CHECK(a.cols.pages[0] == INT64_MAX);
    CHECK_EQ(pof_pages_overflow(&a), 1);
    pof_scanner_free(&a);
    pof_scanner_free(&b);
    /* both halves clamped already: still one row, counted once */
    CHECK_EQ(pof_scanner_init(&a, 1, 1, 0), 0);
    CHECK_EQ(pof_scanner_init(&b, 1, 1, 0), 0);
    snprintf(four, sizeof four, "%s%s", block, block);
    feed_all(&a, four);
    feed_all(&b, four);                     /* a's pending blocks: flushed by the merge */
    pof_fold_flush(&b);
    CHECK_EQ(pof_pages_overflow(&b), 1);
    CHECK_EQ(pof_scanner_merge(&a, &b), 0);
    CHECK(a.cols.pages[0] == INT64_MAX);
    CHECK_EQ(pof_pages_overflow(&a), 1);
    pof_scanner_free(&a);
    pof_scanner_free(&b);
}

/* A count kept pending (pend[], a shape's key cache entry) flushes itself before its 32 bits
 * would wrap: set one just below, feed one more block, and the row has every block. */
static void test_pending_wrap(void)
{
    const char *block = "Page allocated via order 1, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns\n f+0x1/0x2\n\n";
    char two[256];
    pof_scanner a;
    int key;
    snprintf(two, sizeof two, "%s%s", block, block);
    for (key = 0; key < 2; key++) {
        CHECK_EQ(pof_scanner_init(&a, 1, 1, 0), 0);
        if (key)
            CHECK_EQ(pof_scanner_set_key(&a, POF_K_STACK), 0);
        feed_all(&a, two);              /* the row, and one block counted */
        if (key) {
            CHECK(a.kcache_cap > 0 && a.khot[0].n == 1);
            a.khot[0].n = UINT32_MAX - 1;
        } else {
            CHECK(a.pend_cap > 0 && a.pend[0] == 1);
            a.pend[0] = UINT32_MAX - 1;
        }
        feed_all(&a, block);            /* reaches UINT32_MAX: folded at once */
        if (key)
            CHECK_EQ(a.khot[0].n, 0);
        else
            CHECK_EQ(a.pend[0], 0);
        CHECK_EQ(pof_key_finish(&a), 0);
        CHECK_EQ(a.cols.n, 1);
        CHECK(a.cols.count[0] == (int64_t)UINT32_MAX + 1);
        CHECK(a.cols.pages[0] == 2 * ((int64_t)UINT32_MAX + 1));
        pof_scanner_free(&a);
    }
}

/* A late split (split_proposed): a proposed end at a block start is taken at the next
 * slice, the region ends there and is no longer the last; one past the region is refused
 * and the whole region scanned; POF_SPLIT_STOP ends it where it is. */
static void test_late_split(void)
{
    const char *one = BLOCKS[0];
    size_t n1 = strlen(one), k, n = 6 * n1;
    unsigned char *buf = (unsigned char *)malloc(n);
    pof_scanner s;
    for (k = 0; k < 6; k++)
        memcpy(buf + k * n1, one, n1);
    CHECK_EQ(pof_scanner_init(&s, 1, 1, 0), 0);
    s.split_proposed = (ptrdiff_t)(2 * n1);
    CHECK_EQ(pof_scan_region(&s, buf, (ptrdiff_t)n, 1, 0), 0);
    CHECK_EQ(s.split_answer, (ptrdiff_t)(2 * n1));
    CHECK_EQ(s.nblocks, 2);
    pof_scanner_free(&s);

    CHECK_EQ(pof_scanner_init(&s, 1, 1, 0), 0);
    s.split_proposed = (ptrdiff_t)n;            /* not inside the region: refused */
    CHECK_EQ(pof_scan_region(&s, buf, (ptrdiff_t)n, 1, 0), 0);
    CHECK_EQ(s.split_answer, -1);
    CHECK_EQ(s.nblocks, 6);
    pof_scanner_free(&s);

    CHECK_EQ(pof_scanner_init(&s, 1, 1, 0), 0);
    CHECK_EQ(pof_scan_region(&s, buf, (ptrdiff_t)n, 1, 0), 0);
    CHECK_EQ(s.split_answer, -1);               /* none asked: marked too late at the end */
    s.split_answer = 0;
    s.split_proposed = POF_SPLIT_STOP;          /* a second region, stopped at once */
    CHECK_EQ(pof_scan_region(&s, buf, (ptrdiff_t)n, 1, 0), 0);
    CHECK_EQ(s.nblocks, 6);
    pof_scanner_free(&s);
    free(buf);
}

int main(void)
{
    test_chunks();
    test_clamp();
    test_pending_wrap();
    test_late_split();
    return pt_done("test_scanner");
}
