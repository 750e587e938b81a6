/* The field matchers on leftmost-match cases (docs/compatibility.md, Field extraction: what page_owner_sort's POSIX
 * regexes match), the FIELD_BUFF rule, the PFN line, and the VMALLOC test split into its
 * header and stack parts against the whole-text version. */
#include "pof_test.h"
#include "pof_match.h"

#define TXT(s) (const unsigned char *)(s), (ptrdiff_t)strlen(s)

typedef struct {
    const char *text;
    int field;
    ptrdiff_t lim;          /* -1: the whole text */
    ptrdiff_t start;        /* -1: no match */
    const char *capture;
} field_case;

static const field_case FIELD_CASES[] = {
    {"order 3,", POF_F_ORDER, -1, 0, "3"},
    {"xorder   7,y", POF_F_ORDER, -1, 1, "7"},
    {"order 3 order 4,", POF_F_ORDER, -1, 8, "4"},
    {"order ,", POF_F_ORDER, -1, 0, ""},
    {"order\n\t 5,", POF_F_ORDER, -1, 0, "5"},          /* \s crosses newlines */
    {"order 5 ,", POF_F_ORDER, -1, -1, NULL},
    {"pid 5, tgid 6 (", POF_F_PID, -1, 0, "5"},
    {"rapid, pid 5,", POF_F_PID, -1, 2, ""},            /* inside a word: empty capture */
    {"tgid 12 (x)", POF_F_TGID, -1, 0, "12"},
    {"tgid  (x)", POF_F_TGID, -1, 0, ""},               /* the space of \s* */
    {"tgid 12x tgid 3 ", POF_F_TGID, -1, 0, ""},        /* " " from the \s* run */
    {"tgid12x tgid 3 ", POF_F_TGID, -1, 8, "3"},
    {"ts 5 ns", POF_F_TS, -1, 0, "5"},
    {"ts\n5\nns", POF_F_TS, -1, 0, "5"},
    {"its 5 ns", POF_F_TS, -1, 1, "5"},
    {"ts 5 n", POF_F_TS, -1, -1, NULL},
    {"ts  ns", POF_F_TS, -1, 0, ""},
    {"free_ts 3 ns, ts 4 ns", POF_F_TS, -1, 5, "3"},    /* the ts inside free_ts is leftmost */
    {"free_ts 3 ns", POF_F_FREE_TS, -1, 0, "3"},
    {"ts 5x, ts 6 ns", POF_F_TS, -1, 7, "6"},
    {"aaa\nts 5 ns", POF_F_TS, 4, -1, NULL},            /* starts after the header line */
    {"ts\n5 ns", POF_F_TS, 3, 0, "5"},                  /* starts in it, runs past it */
    {"x order 1,\norder 2,", POF_F_ORDER, 11, 2, "1"},
};

/* pof_find against a plain search: needles of 1 to 20 bytes in texts of a few letters
 * (many near misses), every start and end, matches at both ends of the range. */
static ptrdiff_t naive_find(const unsigned char *h, ptrdiff_t start, ptrdiff_t n,
                            const char *needle, ptrdiff_t m)
{
    ptrdiff_t i;
    for (i = start; i + m <= n; i++)
        if (memcmp(h + i, needle, (size_t)m) == 0)
            return i;
    return -1;
}

static void test_find(void)
{
    static const char *needles[] = {"ts", "tgid", "order", "free_ts", "a", "ab", "aab",
                                    "abababababababababab", " type "};
    unsigned char text[200];
    unsigned seed = 12345;
    int round, k, bad = 0;
    for (round = 0; round < 3000; round++) {
        int len = (int)(seed % 200) + 1;
        for (k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            text[k] = (unsigned char)"abtsgiordefr_ y"[(seed >> 16) % (round % 3 ? 4 : 15)];
        }
        for (k = 0; k < (int)(sizeof needles / sizeof needles[0]); k++) {
            ptrdiff_t m = (ptrdiff_t)strlen(needles[k]), start, n;
            if (round % 7 == 0 && m <= len)     /* a match at the very end */
                memcpy(text + len - m, needles[k], (size_t)m);
            for (start = 0; start <= len; start += 1 + (round % 5))
                for (n = start; n <= len; n += 1 + (round % 11))
                    if (pof_find(text, start, n, needles[k], m) !=
                            naive_find(text, start, n, needles[k], m) && bad++ < 5)
                        NOTE("needle %s start %d n %d round %d", needles[k], (int)start,
                             (int)n, round);
        }
    }
    CHECK_EQ(bad, 0);
}

static void test_fields(void)
{
    size_t k;
    for (k = 0; k < sizeof FIELD_CASES / sizeof *FIELD_CASES; k++) {
        const field_case *c = &FIELD_CASES[k];
        ptrdiff_t n = (ptrdiff_t)strlen(c->text), cs = -1, ce = -1;
        unsigned char *t = pt_dup(c->text, (size_t)n);
        ptrdiff_t got = pof_match_field(t, n, c->lim < 0 ? n : c->lim, (pof_field)c->field, &cs, &ce);
        int ok = got == c->start;
        if (ok && got >= 0)
            ok = (size_t)(ce - cs) == strlen(c->capture) && memcmp(t + cs, c->capture, (size_t)(ce - cs)) == 0;
        CHECK(ok);
        if (!ok)
            NOTE("field case %zu \"%s\": start %ld, capture \"%.*s\"", k, c->text, (long)got,
                 (int)(got >= 0 ? ce - cs : 0), got >= 0 ? (const char *)t + cs : "");
        free(t);
    }
}

static void test_values(void)
{
    uint64_t v = 0;
    ptrdiff_t cs, ce;
    /* FIELD_BUFF: a capture of 25 or more characters fails, leading zeros counted */
    CHECK_EQ(pof_field_value(TXT("order 000000000000000000000003,"), 1000, POF_F_ORDER, &v, &cs, &ce), 0);
    CHECK_EQ(v, 3);
    CHECK_EQ(pof_field_value(TXT("order 0000000000000000000000003,"), 1000, POF_F_ORDER, &v, &cs, &ce), 1);
    CHECK_EQ(pof_field_value(TXT("pid 9223372036854775807,"), 1000, POF_F_PID, &v, &cs, &ce), 0);
    CHECK_EQ(pof_field_value(TXT("pid 9223372036854775808,"), 1000, POF_F_PID, &v, &cs, &ce), 1);
    CHECK_EQ(pof_field_value(TXT("ts 18446744073709551615 ns"), 1000, POF_F_TS, &v, &cs, &ce), 0);
    CHECK(v == 18446744073709551615ULL);
    CHECK_EQ(pof_field_value(TXT("ts 18446744073709551616 ns"), 1000, POF_F_TS, &v, &cs, &ce), 1);
    CHECK_EQ(pof_field_value(TXT("ts  ns"), 1000, POF_F_TS, &v, &cs, &ce), 1);
    CHECK_EQ(pof_field_value(TXT("no fields"), 1000, POF_F_TS, &v, &cs, &ce), -1);
    /* the header line's own ts: decided there, or undecided at its end */
    CHECK_EQ(pof_ts_in_header(TXT("a, ts 5 ns\n"), &v, &cs, &ce), 0);
    CHECK_EQ(v, 5);
    CHECK_EQ(pof_ts_in_header(TXT("a, ts 5\n"), &v, &cs, &ce), 2);
    CHECK_EQ(pof_ts_in_header(TXT("a, ts 5 x\n"), &v, &cs, &ce), -1);
    CHECK_EQ(pof_ts_in_header(TXT("ts 0000000000000000000000001 ns\n"), &v, &cs, &ce), 1);
}

typedef struct {
    const char *text;
    ptrdiff_t start;
    const char *capture;
} text_case;

static const text_case COMM_CASES[] = {
    {"tgid 1 (bash), ts 5 ns", 0, "bash"},
    {"tgid 1 (a), ts (b), ts 5", 0, "a), ts (b"},       /* greedy: the line's last `), ts` */
    {"tgid 1 (x), y\n), ts", -1, NULL},                 /* the `)` must be on the `(` line */
    {"tgid 1 (x),\nts", 0, "x"},                        /* \s* after the comma crosses lines */
    {"tgid 1\n(x), ts", 0, "x"},
    {"tgid (tgid (a), ts", 0, "tgid (a"},
    {"tgid (tgid (tgid (", -1, NULL},
    {"tgid 7 (), ts", 0, ""},
    {"tgid 7 (a)\ntgid 8 (b), ts", 11, "b"},
    {"tgid x (a), ts", -1, NULL},
    {"atgid 1 (p)), ts", 1, "p)"},
};

static const text_case MODULE_CASES[] = {
    {" f+0x1/0x2 [ext4]", 2, "ext4"},
    {" f+0x1/0x2\t[nvme-core]", 2, "nvme-core"},
    {"+0x1/0x2 [bad mod]", -1, NULL},
    {"+0xg/0x2 [m]", -1, NULL},
    {"x+0x1/0x2 [a] y+0x1/0x2 [b]", 1, "a"},
    {"[m] +0x1/0x2 [n]", 4, "n"},
    {"+0x1/0x2\n[m]", 0, "m"},
    {"+0x0a/0x0b [m]", 0, "m"},
    {"+0X1/0x2 [m]", -1, NULL},
    {"+0x1/0xA [m]", -1, NULL},
    {"+0x1/0x2 []", -1, NULL},
    {"+0x1+0x1/0x2 [m]", 4, "m"},
};

static void test_text_cases(const text_case *cases, size_t ncases, int comm)
{
    size_t k;
    for (k = 0; k < ncases; k++) {
        const text_case *c = &cases[k];
        ptrdiff_t n = (ptrdiff_t)strlen(c->text), cs = -1, ce = -1, got;
        unsigned char *t = pt_dup(c->text, (size_t)n);
        got = comm ? pof_match_comm(t, n, n, &cs, &ce) : pof_match_module(t, n, &cs, &ce);
        int ok = got == c->start;
        if (ok && got >= 0)
            ok = (size_t)(ce - cs) == strlen(c->capture) && memcmp(t + cs, c->capture, (size_t)(ce - cs)) == 0;
        CHECK(ok);
        if (!ok)
            NOTE("%s case \"%s\": start %ld", comm ? "comm" : "module", c->text, (long)got);
        free(t);
    }
}

static void test_mask(void)
{
    uint64_t v = 0;
    CHECK_EQ(pof_match_mask(TXT("mask 0x12cc0(GFP_KERNEL)"), 100, &v), 0);
    CHECK_EQ(v, 0x12cc0);
    CHECK_EQ(pof_match_mask(TXT("mask0xAbC"), 100, &v), 0);
    CHECK_EQ(v, 0xabc);
    /* by value: leading zeros do not count */
    CHECK_EQ(pof_match_mask(TXT("mask 0x0000000000000000000000000001"), 100, &v), 0);
    CHECK_EQ(v, 1);
    CHECK_EQ(pof_match_mask(TXT("mask 0xffffffffffffffff"), 100, &v), 0);
    CHECK(v == 0xffffffffffffffffULL);
    CHECK_EQ(pof_match_mask(TXT("mask 0x10000000000000000"), 100, &v), 1);
    CHECK_EQ(pof_match_mask(TXT("mask 0x"), 100, &v), -1);
    CHECK_EQ(pof_match_mask(TXT("mask 0xz mask 0x5"), 100, &v), 0);
    CHECK_EQ(v, 5);
}

static void test_pfn(void)
{
    static const struct { const char *line; int64_t pfn; int mt; int64_t block; int bmt; } cases[] = {
        {"PFN 42 type Movable Block 0 type Movable Flags 0x0()\n", 42, 1, 0, 1},
        {"PFN 0x1f type CMA Block 0 type CMA\n", 31, 4, 0, 4},
        {"PFN 000000000000000000000000000000000000000007 type Isolate\n", 7, 5, -1, -1},
        {"PFN 9223372036854775807 type HighAtomic\n", INT64_MAX, 3, -1, -1},
        {"PFN 9223372036854775808 type Reclaimable\n", -1, 2, -1, -1},
        {"PFN 99999999999999999999999 type x\n", -1, -1, -1, -1},
        {"PFN 0x7fffffffffffffff type Unmovable\n", INT64_MAX, 0, -1, -1},
        {"PFN 0x8000000000000000\n", -1, -1, -1, -1},
        {"PFN 0x00000000000000000000000000000000001\n", 1, -1, -1, -1},
        {"PFN x type Movable\n", -1, 1, -1, -1},
        {"PFN 0xg\n", 0, -1, -1, -1},
        {"PFN\n", -1, -1, -1, -1},
        {"PFN    12 type Bogus\n", 12, -1, -1, -1},
        {"PFN 0x20000 type Movable Block 256 type CMA Flags 0x0()\n", 131072, 1, 256, 4},
        {"PFN 5 type Movable Block 0000000000000000000000000000009 type Reclaimable\n", 5, 1, 9, 2},
        {"PFN 5 type Movable Block 9223372036854775808 type Movable\n", 5, 1, -1, -1},
        {"PFN 5 type Movable Block 7  type Movable\n", 5, 1, 7, -1},
        {"PFN 5 type Movable Block x type Movable\n", 5, 1, -1, -1},
        {"PFN 5 type Movable Block 7 type Nope\n", 5, 1, 7, -1},
        {"PFN 5 Block 3 type HighAtomic Block 4 type CMA\n", 5, 3, 3, 3},
        /* the one-pass reading of the kernel's layout, and lines that only look like it */
        {"PFN 1 type Block Block 3 type Movable\n", 1, -1, -1, -1},
        {"PFN 1 type Movable  Block 3 type Movable\n", 1, 1, 3, 1},
        {"PFN 1 type Movable Block  3 type Movable\n", 1, 1, -1, -1},
        {"PFN type Movable Block 3 type CMA\n", -1, 1, 3, 4},
        {"PFN 0x1 type Movable Block 3 type CMA", 1, 1, 3, 4},
        {"PFN 0x1 type Movable Block 3", 1, 1, 3, -1},
        {"PFN 2 type Movable Block ", 2, 1, -1, -1},
        {"PFN 2 type Movable", 2, 1, -1, -1},
        {"PFN 2 type MovableX Block 3 type CMA\n", 2, -1, 3, 4},
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof *cases; k++) {
        int64_t pfn = 123;
        int mt = 123, bmt = 123;
        int64_t block = 123;
        pof_parse_pfn_line(TXT(cases[k].line), &pfn, &mt, &block, &bmt);
        CHECK(pfn == cases[k].pfn && mt == cases[k].mt && block == cases[k].block &&
              bmt == cases[k].bmt);
        if (pfn != cases[k].pfn || mt != cases[k].mt || block != cases[k].block || bmt != cases[k].bmt)
            NOTE("PFN line \"%s\": %lld %d %lld %d", cases[k].line, (long long)pfn, mt,
                 (long long)block, bmt);
    }
}

/* The PFN line parse with a memory of the last line (pof_parse_pfn_cached) gives every
 * line what the plain parse gives, whatever line came before it: every pair of lines from
 * the cases above and from runs that differ in one place (the PFN, its base, the pageblock's
 * digits or type, a truncated or unterminated type word). */
static void test_pfn_cached(void)
{
    static const char *lines[] = {
        "PFN 0x1 type Movable Block 3 type CMA Flags 0x0()\n",
        "PFN 0x2 type Movable Block 3 type CMA Flags 0x4(slab)\n",
        "PFN 0x10 type Movable Block 3 type CMA\n",
        "PFN 16 type Movable Block 3 type CMA\n",
        "PFN 0x3 type Movable Block 31 type CMA\n",
        "PFN 0x3 type Movable Block 3 type CMAX\n",
        "PFN 0x3 type Movable Block 3 type CM",
        "PFN 0x3 type Movable Block 3 type CMA",
        "PFN 0x3 type Movable Block 3 type ",
        "PFN 0x3 type Movable Block 3 type CMA Flags\n",
        "PFN 0x3 type Movable Block 3 type Isolate\n",
        "PFN 0x3 type Movable Block 4 type CMA\n",
        "PFN 0x3 type Isolate Block 3 type CMA\n",
        "PFN 0x3  type Movable Block 3 type CMA\n",
        "PFN 0x3 type Movable Block 3 type CMA\tFlags\n",
        "PFN 0x3 type Movable Block 99999999999999999999 type CMA\n",
        "PFN 0x3 type Movable Block 3\n",
        "PFNx type Movable Block 3 type CMA\n",
        "PFN type Movable Block 3 type CMA\n",
        "PFN 5 type Movable Block 7 type Movable\n",
        "PFN 5 type Movable Block 7 type Nope\n",
        "PFN 5 Block 3 type HighAtomic Block 4 type CMA\n",
    };
    size_t n = sizeof lines / sizeof *lines, a, b;
    {
        /* a type word that runs to the line's end decides nothing about the next byte: a
           line cut right after "CMA" must not teach the cache about "CMAX" */
        static const char full[] = "PFN 0x3 type Movable Block 3 type CMAX\n";
        pof_lastpfn P;
        int64_t pfn, block;
        int mt, bmt;
        memset(&P, 0, sizeof P);
        pof_parse_pfn_cached(&P, (const unsigned char *)full, (ptrdiff_t)(strchr(full, 'X') - full),
                             &pfn, &mt, &block, &bmt);
        CHECK(bmt == 4);
        pof_parse_pfn_cached(&P, TXT(full), &pfn, &mt, &block, &bmt);
        CHECK(bmt == -1);
    }
    for (a = 0; a < n; a++) {
        for (b = 0; b < n; b++) {
            pof_lastpfn P;
            int64_t pfn = 7, block = 7, wp, wb;
            int mt = 7, bmt = 7, wm, wbm;
            memset(&P, 0, sizeof P);
            pof_parse_pfn_cached(&P, TXT(lines[a]), &pfn, &mt, &block, &bmt);
            pof_parse_pfn_line(TXT(lines[a]), &wp, &wm, &wb, &wbm);
            CHECK(pfn == wp && mt == wm && block == wb && bmt == wbm);
            pof_parse_pfn_cached(&P, TXT(lines[b]), &pfn, &mt, &block, &bmt);
            pof_parse_pfn_line(TXT(lines[b]), &wp, &wm, &wb, &wbm);
            CHECK(pfn == wp && mt == wm && block == wb && bmt == wbm);
            if (pfn != wp || mt != wm || block != wb || bmt != wbm) {
                NOTE("after \"%s\", \"%s\": %lld %d %lld %d", lines[a], lines[b],
                     (long long)pfn, mt, (long long)block, bmt);
                return;
            }
        }
    }
}

/* The VMALLOC test as the row builder runs it (the header line's has-vm, cached per
 * header, and the stack's part, cached per stack) equals the whole-text version. */
static int split_vmalloc(const unsigned char *t, ptrdiff_t n)
{
    const unsigned char *nl = memchr(t, '\n', (size_t)n);
    ptrdiff_t hl = nl ? nl - t + 1 : n;
    int hit, line;
    if (pof_find_vm(t, hl) >= 0)
        return 0;
    line = pof_vmalloc_in_stack(t + hl, n - hl, &hit);
    return line == 1 && hit;
}

static void test_vmalloc(void)
{
    static const struct { const char *text; int vm; } cases[] = {
        /* the edge case of issue 11: the first occurrence on the first stack line */
        {"Page allocated via order 0 (alloc_pages)\n __vmalloc_node_range+0x1/0x2\n", 0},
        {"h\n alloc_pages_bulk __vmalloc_node_range+0x1/0x2\n", 0},
        {"h __vmalloc_node_range alloc_pages\n a\n", 0},                        /* header line */
        {"h\n x\n __alloc_pages_bulk+0x1/0x2\n __vmalloc_node_range_noprof+0x3/0x4\n", 1},
        {"h\n alloc_pages\n __vmalloc_area_node\n __vmalloc_node_range\n", 0},
        {"h\n a\n b alloc_pages __vmalloc_node_range\n", 1},                    /* same line */
        {"h\n alloc_pages\n x\n __vmalloc_node_range\n", 0},                    /* two lines up */
        {"h\n x\n vmalloc_node_range\n", 0},                                    /* no __ */
        {"h\n x\n y __vmalloc_node_range alloc_pages\n", 0},                    /* after it */
    };
    static const char *lines[] = {"h alloc_pages", "h __vmalloc_node_range", " alloc_pages_bulk",
                                  " __vmalloc_node_range", " x", " alloc_pages __vmalloc_node_range",
                                  " __vmalloc_node_range alloc_pages", "alloc_pa", "ges"};
    unsigned char buf[512];
    size_t k;
    int round;
    for (k = 0; k < sizeof cases / sizeof *cases; k++) {
        CHECK_EQ(pof_is_vmalloc(TXT(cases[k].text)), cases[k].vm);
        CHECK_EQ(split_vmalloc(TXT(cases[k].text)), cases[k].vm);
    }
    for (round = 0; round < 20000; round++) {
        size_t n = 0, m = 1 + pt_below(6);
        unsigned char *t;
        while (m--) {
            const char *l = lines[pt_below(sizeof lines / sizeof *lines)];
            memcpy(buf + n, l, strlen(l));
            n += strlen(l);
            buf[n++] = '\n';
        }
        t = pt_dup(buf, n);
        CHECK_EQ(split_vmalloc(t, (ptrdiff_t)n), pof_is_vmalloc(t, (ptrdiff_t)n));
        free(t);
        if (pt_failures)
            return;
    }
}

static void test_digits_sensitive(void)
{
    /* the ts digits inside the comm: texts alike but for them differ in the comm too */
    const char *t = "x, tgid 1 (a), ts 7 ns, b), ts 9 ns\n";
    ptrdiff_t n = (ptrdiff_t)strlen(t), cs, ce;
    CHECK(pof_match_field(TXT(t), n, POF_F_TS, &cs, &ce) >= 0);
    CHECK_EQ(pof_digits_sensitive(TXT(t), n, cs, ce), 1);
    t = "x, tgid 1 (a), ts 7 ns\n";
    n = (ptrdiff_t)strlen(t);
    CHECK(pof_match_field(TXT(t), n, POF_F_TS, &cs, &ce) >= 0);
    CHECK_EQ(pof_digits_sensitive(TXT(t), n, cs, ce), 0);
}

/* pof_ts_slot_in_header: one pass gives what pof_ts_in_header and pof_free_ts_in_header
 * give separately (the ts match first: when it is undecided the slot is not looked for). */
static void check_slot_line(const char *line)
{
    ptrdiff_t n = (ptrdiff_t)strlen(line), cs = -7, ce = -7, cs2 = -7, ce2 = -7, fs = -7,
              fe = -7, fs2 = -7, fe2 = -7;
    uint64_t v = 0, v2 = 0;
    int fr = -9, r = pof_ts_in_header((const unsigned char *)line, n, &v, &cs, &ce);
    int r2 = pof_ts_slot_in_header((const unsigned char *)line, n, &v2, &cs2, &ce2, &fr, &fs2, &fe2);
    int fr_want = pof_free_ts_in_header((const unsigned char *)line, n, &fs, &fe);
    CHECK_EQ(r2, r);
    if (r >= 0 && r != 2) {
        CHECK_EQ(cs2, cs);
        CHECK_EQ(ce2, ce);
        if (r == 0)
            CHECK(v2 == v);
    }
    if (r == 2) {
        CHECK_EQ(fr, 2);
    } else {
        CHECK_EQ(fr, fr_want);
        if (fr == 0) {
            CHECK_EQ(fs2, fs);
            CHECK_EQ(fe2, fe);
        }
    }
    if (pt_failures)
        NOTE("%s", line);
}

static void test_ts_slot(void)
{
    static const char *const LINES[] = {
        "Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (x), ts 12 ns, free_ts 345 ns\n",
        "Page allocated via order 0, mask 0x1(X), pid 1, tgid 1 (x), ts 12 ns\n",
        "free_ts 3 ns, ts 4 ns\n", "x free_ts 3\n", "ts 5 ns free_ts 6\n", "ts 5\n",
        "free_ts 12 ns ts 3 ns\n", "free_ts ns, ts 1 ns, free_ts 4 ns\n", "ts 1 ns, free_ts\n",
        "(x free_ts 9 ns), ts 1 ns, free_ts 22 ns\n", "ts 1 ns,free_ts 22ns\n",
        "ts 1 ns, xfree_ts 1 ns\n", "tsfree_ts 5 ns\n", "free_tsfree_ts 5 ns\n", "\n", "",
        "ts 99999999999999999999 ns, free_ts 1 ns\n", "ts 1 ns, fre_ts 2 ns, free_ts 3 ns\n"};
    size_t i, k;
    char buf[128];
    for (i = 0; i < sizeof LINES / sizeof *LINES; i++)
        check_slot_line(LINES[i]);
    for (k = 0; k < 20000; k++) {    /* random lines over a small alphabet */
        static const char *const BITS[] = {"ts", " ", "1", "23", "ns", "free_", "free_ts", ",",
                                           "x", "\n", "n", "s"};
        size_t len = 0, parts = pt_below(12);
        for (i = 0; i < parts && len < 100; i++) {
            const char *b = BITS[pt_below(12)];
            memcpy(buf + len, b, strlen(b));
            len += strlen(b);
        }
        buf[len++] = '\n';
        buf[len] = 0;
        check_slot_line(buf);
    }
}

int main(void)
{
    test_pfn_cached();
    test_find();
    test_fields();
    test_values();
    test_text_cases(COMM_CASES, sizeof COMM_CASES / sizeof *COMM_CASES, 1);
    test_text_cases(MODULE_CASES, sizeof MODULE_CASES / sizeof *MODULE_CASES, 0);
    test_mask();
    test_pfn();
    test_vmalloc();
    test_digits_sensitive();
    test_ts_slot();
    return pt_done("test_match");
}
