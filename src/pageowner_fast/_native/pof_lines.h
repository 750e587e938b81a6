/* Small line helpers of the scanner's hot path, inline: the next newline, the first "ts"
 * of a header line, and one pass over a PFN line for its end and its CMA/slab verdict.
 *
 * The SSE2 versions read whole aligned 16-byte chunks around the line: such a chunk never
 * crosses a page, so reading the bytes next to a line that is in the buffer cannot fault
 * (the reasoning of a C library's strlen); AddressSanitizer is told not to look. The
 * portable versions (`_plain`) are the code path without SSE2 and the tests' reference. */
#ifndef POF_LINES_H
#define POF_LINES_H

#include "pof_port.h"

/* First '\n' in [p, end), or NULL. Lines are short (~40 bytes): a word-at-a-time scan
 * inline beats a memchr call per line. */
POF_INLINE const unsigned char *pof_next_nl(const unsigned char *p, const unsigned char *end)
{
    while (end - p >= 8) {
        uint64_t w, x, t;
        memcpy(&w, p, 8);
        x = w ^ 0x0a0a0a0a0a0a0a0aULL;
        t = (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
        if (t) {
#if (defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) || \
    defined(_M_X64) || defined(_M_IX86) || defined(_M_ARM64)
            return p + (pof_ctz64(t) >> 3);
#else
            break;      /* big-endian: the bytewise loop finds it */
#endif
        }
        p += 8;
    }
    while (p < end) {
        if (*p == 10)
            return p;
        p++;
    }
    return NULL;
}

/* The first k in [i, n) with h[k] = 't' and h[k + 1] = 's' (k + 1 < n), or -1. */
POF_INLINE ptrdiff_t pof_find_ts_plain(const unsigned char *h, ptrdiff_t i, ptrdiff_t n)
{
    for (; i + 1 < n; i++) {
        const unsigned char *q = (const unsigned char *)memchr(h + i, 't', (size_t)(n - 1 - i));
        if (q == NULL)
            return -1;
        i = q - h;
        if (h[i + 1] == 's')
            return i;
    }
    return -1;
}

/* The line at p (it holds a newline before lim): the offset of its newline from p, or -1;
 * *cma / *slab: whether "CMA" / "slab" occur in the line. */
POF_INLINE ptrdiff_t pof_pfn_line_plain(const unsigned char *p, const unsigned char *lim,
                                        int *cma, int *slab)
{
    const unsigned char *e = pof_next_nl(p, lim);
    ptrdiff_t n, k;
    if (e == NULL)
        return -1;
    n = e - p;
    *cma = 0;
    *slab = 0;
    for (k = 0; k + 3 <= n && !*cma; k++)
        *cma = p[k] == 'C' && p[k + 1] == 'M' && p[k + 2] == 'A';
    for (k = 0; k + 4 <= n && !*slab; k++)
        *slab = p[k] == 's' && p[k + 1] == 'l' && p[k + 2] == 'a' && p[k + 3] == 'b';
    return n;
}

#if POF_SSE2
POF_INLINE POF_NO_ASAN uint32_t pof_eq16a(const unsigned char *a, __m128i c)
{
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_load_si128((const __m128i *)a), c));
}

/* The candidates of one window of a PFN line that starts at p: bit k of `as` / `bs` is an
 * 'A' / 'b' at a + k, the last letters of "CMA" and "slab" -- the rarest in PFN lines ('s'
 * and 'C' come in "type", "Flags", "Movable"...), so fewer are checked. */
POF_INLINE void pof_pfn_candidates(const unsigned char *p, const unsigned char *a, uint32_t as,
                                   uint32_t bs, int *cma, int *slab)
{
    while (as && !*cma) {
        const unsigned char *q = a + pof_ctz64(as);
        as &= as - 1;
        *cma = q - p >= 2 && q[-2] == 'C' && q[-1] == 'M';
    }
    while (bs && !*slab) {
        const unsigned char *q = a + pof_ctz64(bs);
        bs &= bs - 1;
        *slab = q - p >= 3 && q[-3] == 's' && q[-2] == 'l' && q[-1] == 'a';
    }
}

POF_INLINE POF_NO_ASAN ptrdiff_t pof_pfn_line_sse2(const unsigned char *p, const unsigned char *lim,
                                                   int *cma, int *slab)
{
    const __m128i cnl = _mm_set1_epi8(10), ca = _mm_set1_epi8('A'), cb = _mm_set1_epi8('b');
    const unsigned char *a = (const unsigned char *)((uintptr_t)p & ~(uintptr_t)15);
    uint32_t skip = (uint32_t)(p - a);
    *cma = 0;
    *slab = 0;
    for (;; a += 16, skip = 0) {
        uint32_t nl = (pof_eq16a(a, cnl) >> skip) << skip;
        uint32_t lim_bits = nl ? (nl & (0u - nl)) - 1 : 0xffffu;
        uint32_t as = ((pof_eq16a(a, ca) >> skip) << skip) & lim_bits;
        uint32_t bs = ((pof_eq16a(a, cb) >> skip) << skip) & lim_bits;
        pof_pfn_candidates(p, a, as, bs, cma, slab);
        if (nl)
            return a + pof_ctz64(nl) - p;
        if (a + 16 >= lim)
            return -1;      /* not reached for a line that holds its newline */
    }
}

POF_INLINE POF_NO_ASAN ptrdiff_t pof_find_ts_sse2(const unsigned char *h, ptrdiff_t i, ptrdiff_t n)
{
    const __m128i ct = _mm_set1_epi8('t');
    const unsigned char *end = h + n, *a;
    uint32_t skip;
    if (i + 1 >= n)
        return -1;
    a = (const unsigned char *)((uintptr_t)(h + i) & ~(uintptr_t)15);
    skip = (uint32_t)((h + i) - a);
    for (; a < end; a += 16, skip = 0) {
        uint32_t t = (pof_eq16a(a, ct) >> skip) << skip;
        while (t) {
            const unsigned char *q = a + pof_ctz64(t);
            t &= t - 1;
            if (q + 1 >= end)
                return -1;
            if (q[1] == 's')
                return q - h;
        }
    }
    return -1;
}
#  define pof_pfn_line pof_pfn_line_sse2
#  define pof_find_ts pof_find_ts_sse2
#else
#  define pof_pfn_line pof_pfn_line_plain
#  define pof_find_ts pof_find_ts_plain
#endif

#endif /* POF_LINES_H */
