/* Work counts of the matchers and the splitter (a build with -DPOF_COUNT_WORK) on one
 * adversarial line, for tests/test_native.py to check that they grow linearly with it
 * (issue 16: a line of `tgid (` repeated took quadratic time).
 *
 *   test_work SHAPE N    prints "matchers W1" and "scanner W2": the bytes looked at by
 *                        every matcher run over an N-byte line of SHAPE (as a header line,
 *                        and as a stack), and by a whole scan of a dump holding it, fed in
 *                        64 KiB chunks (so a block spans many chunks), in each mode. */
#include "pof_test.h"
#include "pof_scanner.h"

static const struct { const char *name, *prefix, *unit; } SHAPES[] = {
    {"tgid-paren", "", "tgid ("},
    {"tgid-parens", "", "tgid ()"},
    {"open", "tgid 1 ", "("},
    {"close", "tgid 1 (", ")"},
    {"close-comma", "tgid 1 (", "),"},
    {"ts", "", "ts "},
    {"ts-spaces", "ts", " "},
    {"tgid-spaces", "tgid", " "},
    {"comma-spaces", "tgid 1 (x),", " "},
    {"plus0x", "", "+0x"},
    {"plus0x-hex", "", "+0x1/0x"},
    {"bracket", "", "["},
    {"hex-bracket", "+0x1/0x2", " ["},
    {"pfn", "", "PFN"},
    {"digits", "order ", "0123456789"},
    {"mask", "", "mask 0x"},
    {"vmalloc", "", "__vmalloc_node_range"},
    {"alloc-pages", "", "alloc_pages"},
    {"free-ts", "", "free_ts "},
};

static unsigned char *make_line(const char *shape, size_t n, size_t *len)
{
    size_t k, p, u;
    unsigned char *line = NULL;
    for (k = 0; k < sizeof SHAPES / sizeof *SHAPES; k++) {
        if (strcmp(SHAPES[k].name, shape) != 0)
            continue;
        line = (unsigned char *)malloc(n + 1);
        p = strlen(SHAPES[k].prefix);
        u = strlen(SHAPES[k].unit);
        memcpy(line, SHAPES[k].prefix, p);
        for (; p < n; p += u)
            memcpy(line + p, SHAPES[k].unit, u < n - p ? u : n - p);
        line[n] = '\n';
        *len = n + 1;
    }
    return line;
}

static void matchers(const unsigned char *t, ptrdiff_t n, ptrdiff_t lim)
{
    ptrdiff_t cs, ce;
    uint64_t v;
    int f, hit;
    for (f = POF_F_ORDER; f <= POF_F_FREE_TS; f++)
        pof_field_value(t, n, lim, (pof_field)f, &v, &cs, &ce);
    pof_ts_in_header(t, lim, &v, &cs, &ce);
    pof_match_comm(t, n, lim, &cs, &ce);
    pof_match_module(t, n, &cs, &ce);
    pof_match_mask(t, n, lim, &v);
    pof_find_vm(t, n);
    pof_vmalloc_in_stack(t, n, &hit);
    pof_is_vmalloc(t, n);
    pof_digits_sensitive(t, n, lim, 0, lim);
}

static uint64_t scan(const unsigned char *data, size_t n, int strip, int aggregate)
{
    pof_scanner s;
    size_t cap = n + 4096, have = 0, off = 0, chunk = 65536;
    unsigned char *buf = (unsigned char *)malloc(cap);
    uint64_t w0 = pof_work;
    if (pof_scanner_init(&s, strip, aggregate, 0) != 0)
        exit(2);
    while (off < n) {
        size_t take = chunk < n - off ? chunk : n - off;
        ptrdiff_t h;
        memcpy(buf + have, data + off, take);
        h = pof_feed(&s, buf, (ptrdiff_t)have, (ptrdiff_t)take);
        if (h < 0)
            exit(3);
        have = (size_t)h;
        off += take;
    }
    if (pof_feed_end(&s, buf, (ptrdiff_t)have, (ptrdiff_t)cap) != 0 || s.nblocks != 2)
        exit(4);
    pof_scanner_free(&s);
    free(buf);
    return pof_work - w0;
}

int main(int argc, char **argv)
{
    size_t n, len;
    unsigned char *line, *dump;
    uint64_t w;
    int mode;
    if (argc != 3 || (n = (size_t)strtoull(argv[2], NULL, 10)) < 16) {
        fprintf(stderr, "usage: test_work SHAPE N\n");
        return 2;
    }
    pof_split_select("best");
    line = make_line(argv[1], n, &len);
    if (line == NULL) {
        fprintf(stderr, "unknown shape %s\n", argv[1]);
        return 2;
    }
    /* the line as a header (lim: its length) and in a stack (lim: the whole text) */
    pof_work = 0;
    matchers(line, (ptrdiff_t)len, (ptrdiff_t)len);
    dump = (unsigned char *)malloc(2 * len + 8);
    memcpy(dump, "h\n", 2);
    memcpy(dump + 2, line, len);
    matchers(dump, (ptrdiff_t)len + 2, 2);
    printf("matchers %llu\n", (unsigned long long)pof_work);
    /* a dump: a block whose header line is the line, then one whose stack is */
    memcpy(dump, line, len);
    dump[len] = '\n';
    memcpy(dump + len + 1, "h\n", 2);
    memcpy(dump + len + 3, line, len);
    dump[2 * len + 3] = '\n';
    w = 0;
    for (mode = 0; mode < 3; mode++)
        w += scan(dump, 2 * len + 4, mode != 2, mode == 0);
    printf("scanner %llu\n", (unsigned long long)w);
    free(dump);
    free(line);
    return 0;
}
