/* The block splitter's variants (portable, SSE2, AVX2) against a plain reference on tricky
 * inputs: empty lines and PFN lines at every offset of a 64-byte window, "P"/"PF" lines that
 * are not PFN lines, NUL and CR bytes, blocks that arrive in pieces (each piece a fresh,
 * exactly sized copy: the resume state is relative and no byte past the end is read), and
 * more PFN lines than the caller has room for. Also the SSE2 line helpers against the
 * portable ones. */
#include "pof_test.h"
#include "pof_split.h"
#include "pof_lines.h"

typedef struct {
    ptrdiff_t bstart, bend;
    size_t npfn;
    int64_t pos[64], idx[64];
    int64_t nlines, nul;
    int cr;
} block_t;

/* the obvious splitter: one line at a time */
static ptrdiff_t reference(const unsigned char *b, ptrdiff_t bstart, ptrdiff_t end, block_t *out)
{
    ptrdiff_t line = bstart, k;
    memset(out, 0, sizeof *out);
    out->bstart = bstart;
    for (;;) {
        const unsigned char *nl;
        if (line >= end)
            return -1;
        if (b[line] == '\n') {
            for (k = bstart; k < line; k++) {
                out->nul += b[k] == 0;
                out->cr |= b[k] == 13;
            }
            out->bend = line;
            return line;
        }
        nl = memchr(b + line, '\n', (size_t)(end - line));
        if (nl == NULL)
            return -1;
        if (nl - (b + line) >= 3 && memcmp(b + line, "PFN", 3) == 0) {
            if (out->npfn < 64) {
                out->pos[out->npfn] = line - bstart;
                out->idx[out->npfn] = out->nlines;
            }
            out->npfn++;
        }
        out->nlines++;
        line = nl - b + 1;
    }
}

static const char *PIECES[] = {
    "PFN 0x1 type CMA\n", "PFN\n", "PF\n", "P\n", "PFNx", "PFX 1\n", "xPFN\n", "\n", "\n\n",
    "\r\n", "\r", "\0", "abc\n", "Page allocated via order 0, mask 0x0()\n", " f+0x1/0x2\n", " ",
    "PFN", "N\n", "FN\n",
};

static size_t make_input(unsigned char *buf, size_t cap)
{
    size_t n = 0, k = 1 + pt_below(40);
    while (k-- && n < cap - 200) {
        if (pt_below(4) == 0) {     /* a run of filler that moves everything in the window */
            size_t m = pt_below(130);
            memset(buf + n, 'x', m);
            n += m;
            buf[n++] = '\n';
        } else {
            const char *p = PIECES[pt_below(sizeof PIECES / sizeof *PIECES)];
            size_t m = (p[0] == 0) ? 1 : strlen(p);
            memcpy(buf + n, p, m);
            n += m;
        }
    }
    return n;
}

/* Split buf[0:n] with fn, the input arriving `chunk` bytes at a time (0: all at once),
 * each call on an exactly sized copy of the pending bytes. */
static size_t split_all(pof_block_end_fn fn, const unsigned char *buf, ptrdiff_t n,
                        ptrdiff_t chunk, block_t *out, size_t max)
{
    int64_t pos[64], idx[64];
    pof_split sp;
    ptrdiff_t bstart = 0, fed = chunk ? chunk : n;
    size_t nb = 0;
    memset(&sp, 0, sizeof sp);
    sp.pfn_pos = pos;
    sp.pfn_idx = idx;
    sp.pfn_cap = 64;
    pof_split_restart(&sp);
    while (bstart < n && nb < max) {
        ptrdiff_t e = fed < n ? fed : n, r;
        unsigned char *copy = pt_dup(buf + bstart, (size_t)(e - bstart));
        r = fn(copy, 0, e - bstart, &sp);
        free(copy);
        if (r < 0) {
            if (e == n)
                break;
            fed += chunk;
            continue;
        }
        out[nb].bstart = bstart;
        out[nb].bend = bstart + r;
        out[nb].npfn = sp.npfn;
        memcpy(out[nb].pos, pos, sizeof pos);
        memcpy(out[nb].idx, idx, sizeof idx);
        out[nb].nlines = sp.nlines;
        out[nb].nul = sp.nul;
        out[nb].cr = sp.cr;
        nb++;
        bstart += r + 1;
    }
    return nb;
}

static int same_block(const block_t *a, const block_t *b)
{
    size_t i;
    if (a->bstart != b->bstart || a->bend != b->bend || a->npfn != b->npfn ||
            a->nlines != b->nlines || a->nul != b->nul || a->cr != b->cr)
        return 0;
    for (i = 0; i < a->npfn && i < 64; i++)
        if (a->pos[i] != b->pos[i] || a->idx[i] != b->idx[i])
            return 0;
    return 1;
}

static void test_variants(void)
{
    static unsigned char buf[16384];
    static block_t ref[4096], got[4096];
    const struct { const char *name; pof_block_end_fn fn; } variants[] = {
        {"portable", pof_block_end_portable}, {"sse2", pof_block_end_sse2},
        {"avx2", pof_block_end_avx2},
    };
    const ptrdiff_t chunks[] = {0, 1, 2, 3, 7, 63, 64, 65, 130};
    int round, v, c;
    for (round = 0; round < 1000; round++) {
        size_t n = make_input(buf, sizeof buf), nref = 0, i;
        ptrdiff_t bstart = 0;
        while (bstart < (ptrdiff_t)n && reference(buf, bstart, (ptrdiff_t)n, &ref[nref]) >= 0) {
            bstart = ref[nref].bend + 1;
            nref++;
        }
        for (v = 0; v < 3; v++) {
            if (v == 2 && !pof_cpu_has_avx2())
                continue;
            for (c = 0; c < (int)(sizeof chunks / sizeof *chunks); c++) {
                size_t ngot = split_all(variants[v].fn, buf, (ptrdiff_t)n, chunks[c], got, 4096);
                int ok = ngot == nref;
                for (i = 0; ok && i < nref; i++)
                    ok = same_block(&ref[i], &got[i]);
                CHECK(ok);
                if (!ok) {
                    NOTE("round %d, %s splitter, chunk %ld: %zu blocks, expected %zu", round,
                         variants[v].name, (long)chunks[c], ngot, nref);
                    return;
                }
            }
        }
    }
}

/* more PFN lines than room: all are counted, the first ones kept */
static void test_pfn_overflow(void)
{
    const char *text = "h\nPFN 1\nPFN 2\n s\nPFN 3\nPFN 4\n\n";
    int64_t pos[2], idx[2];
    pof_split sp;
    int v;
    for (v = 0; v < 3; v++) {
        pof_block_end_fn fn = v == 0 ? pof_block_end_portable : v == 1 ? pof_block_end_sse2
                                                                     : pof_block_end_avx2;
        memset(&sp, 0, sizeof sp);
        sp.pfn_pos = pos;
        sp.pfn_idx = idx;
        sp.pfn_cap = 2;
        pof_split_restart(&sp);
        CHECK_EQ(fn((const unsigned char *)text, 0, (ptrdiff_t)strlen(text), &sp),
                 (ptrdiff_t)strlen(text) - 1);
        CHECK_EQ(sp.npfn, 4);
        CHECK_EQ(pos[0], 2);
        CHECK_EQ(idx[0], 1);
        CHECK_EQ(pos[1], 8);
        CHECK_EQ(idx[1], 2);
        CHECK_EQ(sp.nlines, 6);
    }
}

static void test_select(void)
{
    CHECK(strcmp(pof_split_select("portable"), "portable") == 0);
    CHECK(pof_block_end == pof_block_end_portable);
    if (pof_build_has_sse2()) {
        CHECK(strcmp(pof_split_select("sse2"), "sse2") == 0);
        CHECK(strcmp(pof_split_select("best"), pof_cpu_has_avx2() ? "avx2" : "sse2") == 0);
    } else {
        CHECK(strcmp(pof_split_select("best"), "portable") == 0);
    }
    CHECK(strcmp(pof_split_name(), pof_split_select("best")) == 0);
}

/* the line helpers: SSE2 (aligned 16-byte reads around the line) against the portable ones */
static void test_line_helpers(void)
{
    static const char *parts[] = {"t", "s", "ts", "C", "CM", "CMA", "slab", "sla", " ", "xxxxxxxxxxxxx",
                                  "PFN 0x1 "};
    unsigned char text[512];
    int round;
    for (round = 0; round < 20000; round++) {
        size_t n = 0, k = pt_below(30), off = pt_below(16), i;
        unsigned char *mem, *p;
        while (k--) {
            const char *s = parts[pt_below(sizeof parts / sizeof *parts)];
            memcpy(text + n, s, strlen(s));
            n += strlen(s);
        }
        text[n++] = '\n';
        mem = (unsigned char *)malloc(n + off + 32);
        p = mem + off;
        memcpy(p, text, n);
        i = pt_below(n);
        {
            int c1, s1, c2, s2;
            ptrdiff_t a = pof_find_ts(p, (ptrdiff_t)i, (ptrdiff_t)n);
            ptrdiff_t b = pof_find_ts_plain(p, (ptrdiff_t)i, (ptrdiff_t)n);
            ptrdiff_t la = pof_pfn_line(p + i, p + n, &c1, &s1);
            ptrdiff_t lb = pof_pfn_line_plain(p + i, p + n, &c2, &s2);
            CHECK(a == b && la == lb && c1 == c2 && s1 == s2);
            if (!(a == b && la == lb && c1 == c2 && s1 == s2)) {
                NOTE("round %d: %ld/%ld %ld/%ld", round, (long)a, (long)b, (long)la, (long)lb);
                free(mem);
                return;
            }
        }
        free(mem);
    }
}

int main(void)
{
    test_select();
    test_variants();
    test_pfn_overflow();
    test_line_helpers();
    return pt_done("test_split");
}
