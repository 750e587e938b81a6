/* Field matchers (see pof_match.h). Why each is linear:
 * - a keyword's occurrences are found from the previous occurrence on (16 places at a time
 *   by its first and last bytes where SSE2 is; else memchr + memcmp);
 * - what follows a keyword (\s*, [0-9]*, \s*) is made of spaces and digits, which no
 *   keyword contains, so the runs scanned after two occurrences never overlap;
 * - the comm's greedy `(.*)` needs the last `),\s*ts` of a line: found once per line, not
 *   once per `(` on it (the quadratic trap of issue 16);
 * - the module pattern is checked backwards from each `[` over characters that are never
 *   a `[`, so those walks do not overlap either. */
#include "pof_match.h"
#include "pof_lines.h"

#ifdef POF_COUNT_WORK
uint64_t pof_work = 0;
#endif

ptrdiff_t pof_find(const unsigned char *h, ptrdiff_t start, ptrdiff_t n, const char *needle,
                   ptrdiff_t m)
{
    unsigned char c0 = (unsigned char)needle[0];
#if POF_SSE2
    /* 16 places at a time: those where the needle's first and last bytes both are (a
     * keyword's first letter alone is common in a stack: memchr then stops every few
     * bytes), each checked in full. Reads stay below n. */
    if (m >= 2) {
        const __m128i first = _mm_set1_epi8((char)c0), last = _mm_set1_epi8(needle[m - 1]);
        for (; start + m + 15 <= n; start += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(h + start));
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(h + start + m - 1));
            uint64_t hits = (uint64_t)(unsigned)_mm_movemask_epi8(
                _mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
            POF_WORK(16);
            while (hits != 0) {
                ptrdiff_t k = start + pof_ctz64(hits);
                POF_WORK(m);
                if (memcmp(h + k + 1, needle + 1, (size_t)(m - 2)) == 0)
                    return k;
                hits &= hits - 1;
            }
        }
    }
#endif
    while (start + m <= n) {
        const unsigned char *p = (const unsigned char *)memchr(h + start, c0, (size_t)(n - start - m + 1));
        if (p == NULL) {
            POF_WORK(n - start);
            return -1;
        }
        POF_WORK(p - (h + start) + m);
        start = p - h;
        if (memcmp(p, needle, (size_t)m) == 0)
            return start;
        start++;
    }
    return -1;
}

POF_INLINE ptrdiff_t skip_space(const unsigned char *h, ptrdiff_t j, ptrdiff_t n)
{
    ptrdiff_t j0 = j;
    while (j < n && pof_is_space(h[j]))
        j++;
    POF_WORK(j - j0);
    (void)j0;
    return j;
}

POF_INLINE ptrdiff_t skip_digits(const unsigned char *h, ptrdiff_t j, ptrdiff_t n)
{
    ptrdiff_t j0 = j;
    while (j < n && pof_is_digit(h[j]))
        j++;
    POF_WORK(j - j0);
    (void)j0;
    return j;
}

POF_INLINE int conv_u64(const unsigned char *h, ptrdiff_t s, ptrdiff_t e, uint64_t limit,
                        uint64_t *out)
{
    uint64_t v = 0, d;
    if (e <= s || e - s >= POF_FIELD_BUFF)
        return -1;
    for (; s < e; s++) {
        d = (uint64_t)(h[s] - '0');
        if (v > (POF_U64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v > limit)
        return -1;
    *out = v;
    return 0;
}

int pof_conv_u64(const unsigned char *h, ptrdiff_t s, ptrdiff_t e, uint64_t limit, uint64_t *out)
{
    return conv_u64(h, s, e, limit, out);
}

static const struct {
    const char *kw;
    ptrdiff_t len;
    int term;           /* ',' (order, pid), ' ' (tgid), 'n' for `\s*ns` (ts, free_ts) */
    uint64_t limit;
} FIELDS[] = {
    {"order", 5, ',', POF_LONG_MAX},
    {"pid", 3, ',', POF_LONG_MAX},
    {"tgid", 4, ' ', POF_LONG_MAX},
    {"ts", 2, 'n', POF_U64_MAX},
    {"free_ts", 7, 'n', POF_U64_MAX},
};

ptrdiff_t pof_match_field(const unsigned char *h, ptrdiff_t n, ptrdiff_t lim, pof_field field,
                          ptrdiff_t *cs, ptrdiff_t *ce)
{
    const char *kw = FIELDS[field].kw;
    ptrdiff_t kwl = FIELDS[field].len, i = 0, k, j, ws, wse;
    ptrdiff_t klim = lim + kwl - 1 < n ? lim + kwl - 1 : n;
    int term = FIELDS[field].term;
    for (;;) {
        k = pof_find(h, i, klim, kw, kwl);
        if (k < 0)
            return -1;
        ws = k + kwl;
        wse = skip_space(h, ws, n);
        *cs = wse;
        *ce = j = skip_digits(h, wse, n);
        if (term == 'n') {
            j = skip_space(h, j, n);
            if (j + 1 < n && h[j] == 'n' && h[j + 1] == 's')
                return k;
        } else if (term == ' ') {
            /* the space may also come out of the \s* run (the capture is then empty) */
            if (*ce > *cs && j < n && h[j] == ' ')
                return k;
            if (memchr(h + ws, ' ', (size_t)(wse - ws)) != NULL) {
                *cs = *ce = ws;
                return k;
            }
        } else if (j < n && h[j] == term) {
            return k;
        }
        i = k + 1;
    }
}

int pof_field_value(const unsigned char *h, ptrdiff_t n, ptrdiff_t lim, pof_field field,
                    uint64_t *v, ptrdiff_t *cs, ptrdiff_t *ce)
{
    if (pof_match_field(h, n, lim, field, cs, ce) < 0)
        return -1;
    return conv_u64(h, *cs, *ce, FIELDS[field].limit, v) == 0 ? 0 : 1;
}

int pof_ts_in_header(const unsigned char *h, ptrdiff_t hl, uint64_t *v, ptrdiff_t *cs,
                     ptrdiff_t *ce)
{
    ptrdiff_t i = 0, k, j;
    for (;;) {
        k = pof_find_ts(h, i, hl);
        POF_WORK((k < 0 ? hl : k + 2) - i);
        if (k < 0)
            return -1;
        j = skip_space(h, k + 2, hl);
        *cs = j;
        *ce = j = skip_digits(h, j, hl);
        j = skip_space(h, j, hl);
        if (j + 1 >= hl)
            return 2;
        if (h[j] == 'n' && h[j + 1] == 's')
            return conv_u64(h, *cs, *ce, POF_U64_MAX, v) == 0 ? 0 : 1;
        i = k + 1;
    }
}

/* From h[k] (after a "ts"): \s*([0-9]*)\s*ns within h[0:hl]? 0 yes (capture h[*a:*b]),
 * -1 no, 2 it ran into the line end. */
POF_INLINE int ts_tail(const unsigned char *h, ptrdiff_t k, ptrdiff_t hl, ptrdiff_t *a,
                       ptrdiff_t *b)
{
    ptrdiff_t j = skip_space(h, k, hl);
    *a = j;
    *b = j = skip_digits(h, j, hl);
    j = skip_space(h, j, hl);
    if (j + 1 >= hl)
        return 2;
    return h[j] == 'n' && h[j + 1] == 's' ? 0 : -1;
}

int pof_ts_slot_in_header(const unsigned char *h, ptrdiff_t hl, uint64_t *v, ptrdiff_t *cs,
                          ptrdiff_t *ce, int *fr, ptrdiff_t *fs, ptrdiff_t *fe)
{
    ptrdiff_t i = 0, k, a, b;
    int tr = -1, r;
    *fr = -1;
    for (;;) {
        k = pof_find_ts(h, i, hl);
        POF_WORK((k < 0 ? hl : k + 2) - i);
        if (k < 0)
            break;
        if (*fr == -1 && k >= 5 && memcmp(h + k - 5, "free_", 5) == 0) {
            r = ts_tail(h, k + 2, hl, &a, &b);
            if (r >= 0) {
                *fr = r;
                *fs = a;
                *fe = b;
            }
        }
        if (tr == -1) {
            r = ts_tail(h, k + 2, hl, &a, &b);
            if (r == 2) {
                *fr = 2;
                return 2;
            }
            if (r == 0) {
                *cs = a;
                *ce = b;
                tr = conv_u64(h, a, b, POF_U64_MAX, v) == 0 ? 0 : 1;
                /* a later "free_ts" starts after this match's "ns": 7 bytes at least */
                if (*fr == -1 && hl - b < 9)
                    break;
            }
        }
        if (tr != -1 && *fr != -1)
            break;
        i = k + 1;
    }
    return tr;
}

int pof_free_ts_in_header(const unsigned char *h, ptrdiff_t hl, ptrdiff_t *cs, ptrdiff_t *ce)
{
    ptrdiff_t i = 0, k;
    int r;
    for (;;) {
        k = pof_find(h, i, hl, "free_ts", 7);
        if (k < 0)
            return -1;
        r = ts_tail(h, k + 7, hl, cs, ce);
        if (r >= 0)
            return r;
        i = k + 1;
    }
}

/* The last `)` in h[from:eol) followed by `,\s*ts` (the \s* may cross newlines), or -1. */
static ptrdiff_t last_comm_close(const unsigned char *h, ptrdiff_t from, ptrdiff_t eol, ptrdiff_t n)
{
    ptrdiff_t best = -1, q = from, t;
    while (q < eol) {
        const unsigned char *p = (const unsigned char *)memchr(h + q, ')', (size_t)(eol - q));
        POF_WORK((p ? p - (h + q) : eol - q) + 1);
        if (p == NULL)
            break;
        q = p - h;
        if (q + 1 < n && h[q + 1] == ',') {
            t = skip_space(h, q + 2, n);
            if (t + 1 < n && h[t] == 't' && h[t + 1] == 's')
                best = q;
        }
        q++;
    }
    return best;
}

ptrdiff_t pof_match_comm(const unsigned char *h, ptrdiff_t n, ptrdiff_t lim, ptrdiff_t *cs,
                         ptrdiff_t *ce)
{
    ptrdiff_t i = 0, k, j, klim = lim + 3 < n ? lim + 3 : n;
    ptrdiff_t eol = -1;     /* end of the line whose last `),\s*ts` is known ... */
    ptrdiff_t close = -1;   /* ... and that `)` (-1: none) */
    for (;;) {
        k = pof_find(h, i, klim, "tgid", 4);
        if (k < 0)
            return -1;
        j = skip_space(h, skip_digits(h, skip_space(h, k + 4, n), n), n);
        if (j < n && h[j] == '(') {
            /* the `(` of later matches lies further right: a line is looked at once */
            if (j > eol) {
                const unsigned char *p = pof_next_nl(h + j + 1, h + n);
                eol = p ? p - h : n;
                POF_WORK(eol - j);
                close = last_comm_close(h, j + 1, eol, n);
            }
            if (close > j) {
                *cs = j + 1;
                *ce = close;
                return k;
            }
        }
        i = k + 1;
    }
}

ptrdiff_t pof_match_module(const unsigned char *h, ptrdiff_t n, ptrdiff_t *cs, ptrdiff_t *ce)
{
    ptrdiff_t q = 0, j, r;
    while (q < n) {
        const unsigned char *p = (const unsigned char *)memchr(h + q, '[', (size_t)(n - q));
        POF_WORK((p ? p - (h + q) : n - q) + 1);
        if (p == NULL)
            return -1;
        q = p - h;
        /* backwards: \s*, then [0-9a-f]+ after "/0x", then [0-9a-f]+ after "+0x" (each run
           is forced to be maximal, which is the only way the pattern can match) */
        j = q - 1;
        while (j >= 0 && pof_is_space(h[j]))
            j--;
        r = j;
        while (j >= 0 && pof_is_lhex(h[j]))
            j--;
        POF_WORK(q - j);
        if (r > j && j >= 2 && h[j] == 'x' && h[j - 1] == '0' && h[j - 2] == '/') {
            j -= 3;
            r = j;
            while (j >= 0 && pof_is_lhex(h[j]))
                j--;
            POF_WORK(r - j);
            if (r > j && j >= 2 && h[j] == 'x' && h[j - 1] == '0' && h[j - 2] == '+') {
                r = q + 1;
                while (r < n && (pof_is_digit(h[r]) || (h[r] >= 'A' && h[r] <= 'Z') ||
                                 (h[r] >= 'a' && h[r] <= 'z') || h[r] == '_' || h[r] == '-'))
                    r++;
                POF_WORK(r - q);
                if (r > q + 1 && r < n && h[r] == ']') {
                    *cs = q + 1;
                    *ce = r;
                    return j - 2;
                }
            }
        }
        q++;
    }
    return -1;
}

POF_INLINE int hexval(unsigned char c)
{
    return c <= '9' ? c - '0' : (c >= 'a' ? c - 'a' + 10 : c - 'A' + 10);
}

int pof_match_mask(const unsigned char *h, ptrdiff_t n, ptrdiff_t lim, uint64_t *out)
{
    ptrdiff_t i = 0, k, j, klim = lim + 3 < n ? lim + 3 : n;
    uint64_t v;
    for (;;) {
        k = pof_find(h, i, klim, "mask", 4);
        if (k < 0)
            return -1;
        j = skip_space(h, k + 4, n);
        if (j + 2 < n && h[j] == '0' && h[j + 1] == 'x' && pof_is_hex(h[j + 2])) {
            ptrdiff_t d;
            j += 2;
            while (j < n && h[j] == '0')
                j++;
            for (d = j, v = 0; j < n && pof_is_hex(h[j]); j++)
                v = (v << 4) | (uint64_t)hexval(h[j]);
            POF_WORK(j - k);
            if (j - d > 16)
                return 1;
            *out = v;
            return 0;
        }
        i = k + 1;
    }
}

ptrdiff_t pof_find_vm(const unsigned char *h, ptrdiff_t n)
{
    ptrdiff_t i = 0, k;
    for (;;) {
        k = pof_find(h, i, n, "vmalloc_node_range", 18);
        if (k < 0)
            return -1;
        if (k >= 2 && h[k - 1] == '_' && h[k - 2] == '_')
            return k - 2;
        i = k + 1;
    }
}

/* Start of the line holding h[i]. */
POF_INLINE ptrdiff_t line_start(const unsigned char *h, ptrdiff_t i)
{
    ptrdiff_t i0 = i;
    while (i > 0 && h[i - 1] != '\n')
        i--;
    POF_WORK(i0 - i);
    (void)i0;
    return i;
}

int pof_vmalloc_in_stack(const unsigned char *s, ptrdiff_t n, int *hit)
{
    ptrdiff_t occ = pof_find_vm(s, n), ls, k;
    *hit = 0;
    if (occ < 0)
        return -1;
    ls = line_start(s, occ);
    if (ls == 0)
        return 0;
    k = pof_find(s, line_start(s, ls - 1), occ + 10 < n ? occ + 10 : n, "alloc_pages", 11);
    *hit = k >= 0 && k < occ;
    return 1;
}

int pof_is_vmalloc(const unsigned char *t, ptrdiff_t n)
{
    ptrdiff_t occ = pof_find_vm(t, n), ls, prev, k;
    if (occ < 0)
        return 0;
    ls = line_start(t, occ);
    if (ls == 0)
        return 0;                       /* on the first line */
    prev = line_start(t, ls - 1);
    if (prev == 0)
        return 0;                       /* on the second line */
    k = pof_find(t, prev, occ + 10 < n ? occ + 10 : n, "alloc_pages", 11);
    return k >= 0 && k < occ;
}

int pof_mt_index(const unsigned char *h, ptrdiff_t n)
{
    switch (n) {    /* _fields.MIGRATETYPES, told apart by length first */
    case 9:
        return memcmp(h, "Unmovable", 9) == 0 ? 0 : -1;
    case 7:
        return memcmp(h, "Movable", 7) == 0 ? 1 : memcmp(h, "Isolate", 7) == 0 ? 5 : -1;
    case 11:
        return memcmp(h, "Reclaimable", 11) == 0 ? 2 : -1;
    case 10:
        return memcmp(h, "HighAtomic", 10) == 0 ? 3 : -1;
    case 3:
        return memcmp(h, "CMA", 3) == 0 ? 4 : -1;
    default:
        return -1;
    }
}

/* The decimal number at buf[*j] by value (leading zeros ignored; 0 when it exceeds
 * 2^63-1 or there is no digit), *j moved past its digits. */
static int dec_by_value(const unsigned char *buf, ptrdiff_t pe, ptrdiff_t *j, uint64_t *v)
{
    int ok = *j < pe && pof_is_digit(buf[*j]);
    uint64_t x = 0;
    for (; *j < pe && pof_is_digit(buf[*j]); (*j)++) {
        if (x > (POF_LONG_MAX - (uint64_t)(buf[*j] - '0')) / 10)
            ok = 0;
        else if (ok)
            x = x * 10 + (uint64_t)(buf[*j] - '0');
    }
    *v = x;
    return ok;
}

/* The word at buf[k] (up to a blank or the line's end, *end) as a migratetype index, or -1. */
static int mt_word(const unsigned char *buf, ptrdiff_t pe, ptrdiff_t k, ptrdiff_t *end)
{
    ptrdiff_t j;
    for (j = k; j < pe && buf[j] != ' ' && buf[j] != '\n'; j++)
        ;
    *end = j;
    return pof_mt_index(buf + k, j - k);
}

ptrdiff_t pof_pfn_number(const unsigned char *buf, ptrdiff_t pe, int64_t *pfn_out)
{
    ptrdiff_t j = 3;
    uint64_t pfn = 0;
    int ok = 0;
    while (j < pe && buf[j] == ' ')
        j++;
    if (j + 2 < pe && buf[j] == '0' && buf[j + 1] == 'x' && pof_is_hex(buf[j + 2])) {
        for (j += 2, ok = 1; j < pe && pof_is_hex(buf[j]); j++) {
            if (pfn > (POF_LONG_MAX - (uint64_t)hexval(buf[j])) >> 4)
                ok = 0;
            else if (ok)
                pfn = (pfn << 4) | (uint64_t)hexval(buf[j]);
        }
    } else {
        ok = dec_by_value(buf, pe, &j, &pfn);
    }
    *pfn_out = ok ? (int64_t)pfn : -1;
    return j;
}

ptrdiff_t pof_pfn_rest(const unsigned char *buf, ptrdiff_t pe, ptrdiff_t j, int *mt_out,
                       int64_t *block_out, int *bmt_out)
{
    ptrdiff_t k;
    uint64_t blk = 0;
    /* the kernel's layout, "PFN n type T Block b type T ...", in one pass: then the first
       " type " is right after the number, and the first " Block " right after a known T */
    if (j + 6 <= pe && memcmp(buf + j, " type ", 6) == 0) {
        ptrdiff_t w;
        int mt = mt_word(buf, pe, j + 6, &w);
        if (mt >= 0 && w + 7 <= pe && memcmp(buf + w, " Block ", 7) == 0) {
            *mt_out = mt;
            *block_out = -1;
            *bmt_out = -1;
            j = w + 7;
            if (dec_by_value(buf, pe, &j, &blk)) {
                *block_out = (int64_t)blk;
                if (j + 6 <= pe && memcmp(buf + j, " type ", 6) == 0) {
                    /* every byte read so far and the one that ends this word are in
                       buf[..k]; every bound checked was below k + 1 */
                    *bmt_out = mt_word(buf, pe, j + 6, &k);
                    return k < pe ? k + 1 : -1;
                }
            }
            return -1;
        }
    }
    k = pof_find(buf, 0, pe, " type ", 6);
    *mt_out = k >= 0 ? mt_word(buf, pe, k + 6, &k) : -1;
    *block_out = -1;
    *bmt_out = -1;
    k = pof_find(buf, 0, pe, " Block ", 7);
    if (k >= 0) {
        j = k + 7;
        if (dec_by_value(buf, pe, &j, &blk)) {
            *block_out = (int64_t)blk;
            if (j + 6 <= pe && memcmp(buf + j, " type ", 6) == 0)
                *bmt_out = mt_word(buf, pe, j + 6, &k);
        }
    }
    return -1;
}

void pof_parse_pfn_line(const unsigned char *buf, ptrdiff_t pe, int64_t *pfn_out, int *mt_out,
                        int64_t *block_out, int *bmt_out)
{
    pof_pfn_rest(buf, pe, pof_pfn_number(buf, pe, pfn_out), mt_out, block_out, bmt_out);
}

void pof_parse_pfn_cached(pof_lastpfn *P, const unsigned char *line, ptrdiff_t len,
                          int64_t *pfn, int *mt, int64_t *block, int *bmt)
{
    ptrdiff_t j = pof_pfn_number(line, len, pfn), stop;
    if (P->len > 0 && len - j >= P->len && memcmp(line + j, P->tail, (size_t)P->len) == 0) {
        *mt = P->mt;
        *block = P->block;
        *bmt = P->bmt;
        return;
    }
    stop = pof_pfn_rest(line, len, j, mt, block, bmt);
    P->len = 0;
    if (stop > j && stop - j <= (ptrdiff_t)sizeof P->tail) {
        memcpy(P->tail, line + j, (size_t)(stop - j));
        P->len = (int)(stop - j);
        P->mt = *mt;
        P->block = *block;
        P->bmt = *bmt;
    }
}

int pof_digits_sensitive(const unsigned char *t, ptrdiff_t n, ptrdiff_t hl, ptrdiff_t tcs,
                         ptrdiff_t tce)
{
    ptrdiff_t cs = 0, ce = 0;
    if (tce <= tcs || tce > hl)
        return 0;
    if (pof_match_comm(t, n, hl, &cs, &ce) >= 0 && cs < tce && tcs < ce)
        return 1;
    return pof_match_field(t, n, hl, POF_F_FREE_TS, &cs, &ce) >= 0 && cs < tce && tcs < ce;
}
