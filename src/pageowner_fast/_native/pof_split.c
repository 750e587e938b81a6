/* The block splitter: portable, SSE2 and AVX2 variants and the run-time choice among them
 * (see pof_split.h for the contract). */
#include "pof_split.h"
#include "pof_lines.h"

void pof_split_restart(pof_split *sp)
{
    memset(&sp->run, 0, sizeof sp->run);
    sp->run.carry = 1;      /* the first byte of a block starts a line */
}

/* The block is complete: publish its counts, and start afresh for the next one. */
POF_INLINE void split_done(pof_split *sp, size_t npfn, int64_t nlines, int64_t nul, int cr)
{
    sp->npfn = npfn;
    sp->nlines = nlines;
    sp->nul = nul;
    sp->cr = cr;
    pof_split_restart(sp);
}

/* PFN line n of the block (kept while there is room; the caller counts them all) */
#define ADD_PFN(n, off, line)                                                              \
    do {                                                                                   \
        if ((n) < pfn_cap) {                                                               \
            pfn_pos[n] = (off);                                                            \
            pfn_idx[n] = (line);                                                           \
        }                                                                                  \
    } while (0)

/* --- portable: one newline search per line ------------------------------------------------- */

ptrdiff_t pof_block_end_portable(const unsigned char *buf, ptrdiff_t bstart, ptrdiff_t end,
                                 pof_split *sp)
{
    ptrdiff_t line = bstart + sp->run.at;
    int64_t lines = sp->run.lines, *pfn_pos = sp->pfn_pos, *pfn_idx = sp->pfn_idx;
    size_t n = sp->run.npfn, pfn_cap = sp->pfn_cap;
    for (;;) {
        const unsigned char *nl;
        if (line >= end)
            break;
        if (buf[line] == 10) {
            const unsigned char *z = buf + bstart;
            int64_t nul = 0;
            POF_WORK(2 * (line - bstart));
            while ((z = (const unsigned char *)memchr(z, 0, (size_t)(buf + line - z))) != NULL) {
                nul++;
                z++;
            }
            split_done(sp, n, lines, nul,
                       memchr(buf + bstart, 13, (size_t)(line - bstart)) != NULL);
            return line;
        }
        nl = pof_next_nl(buf + line, buf + end);
        if (nl == NULL)
            break;
        POF_WORK(nl - (buf + line) + 1);
        if (buf[line] == 'P' && nl - (buf + line) >= 3 && buf[line + 1] == 'F' &&
                buf[line + 2] == 'N') {
            ADD_PFN(n, line - bstart, lines);
            n++;
        }
        lines++;
        line = nl - buf + 1;
    }
    sp->run.at = line - bstart;
    sp->run.lines = lines;
    sp->run.npfn = n;
    return -1;
}

/* --- SIMD: 64 bytes at a time ---------------------------------------------------------------- */

#if POF_SSE2
POF_INLINE uint64_t eq64_sse2(const unsigned char *w, char ch)
{
    const __m128i c = _mm_set1_epi8(ch);
    uint64_t a = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)w), c));
    uint64_t b = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(w + 16)), c));
    uint64_t d = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(w + 32)), c));
    uint64_t e = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(w + 48)), c));
    return a | (b << 16) | (d << 32) | (e << 48);
}

/* whether any of the 64 bytes at w is a NUL or a CR */
POF_INLINE int any_odd64_sse2(const unsigned char *w)
{
    const __m128i z = _mm_setzero_si128(), cr = _mm_set1_epi8(13);
    __m128i a = _mm_loadu_si128((const __m128i *)w), b = _mm_loadu_si128((const __m128i *)(w + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(w + 32)), d = _mm_loadu_si128((const __m128i *)(w + 48));
    __m128i o = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, z), _mm_cmpeq_epi8(a, cr)),
                             _mm_or_si128(_mm_cmpeq_epi8(b, z), _mm_cmpeq_epi8(b, cr)));
    o = _mm_or_si128(o, _mm_or_si128(_mm_cmpeq_epi8(c, z), _mm_cmpeq_epi8(c, cr)));
    o = _mm_or_si128(o, _mm_or_si128(_mm_cmpeq_epi8(d, z), _mm_cmpeq_epi8(d, cr)));
    return _mm_movemask_epi8(o) != 0;
}

#  if POF_AVX2
POF_TARGET_AVX2 POF_INLINE uint64_t eq64_avx2(const unsigned char *w, char ch)
{
    const __m256i c = _mm256_set1_epi8(ch);
    uint64_t a = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)w), c));
    uint64_t b = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(w + 32)), c));
    return a | (b << 32);
}

POF_TARGET_AVX2 POF_INLINE int any_odd64_avx2(const unsigned char *w)
{
    const __m256i z = _mm256_setzero_si256(), cr = _mm256_set1_epi8(13);
    __m256i a = _mm256_loadu_si256((const __m256i *)w), b = _mm256_loadu_si256((const __m256i *)(w + 32));
    __m256i o = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(a, z), _mm256_cmpeq_epi8(a, cr)),
                                _mm256_or_si256(_mm256_cmpeq_epi8(b, z), _mm256_cmpeq_epi8(b, cr)));
    return _mm256_movemask_epi8(o) != 0;
}
#    define EQ64(w, ch) (avx2 ? eq64_avx2(w, ch) : eq64_sse2(w, ch))
#    define ANY_ODD64(w) (avx2 ? any_odd64_avx2(w) : any_odd64_sse2(w))
#  else
#    define EQ64(w, ch) eq64_sse2(w, ch)
#    define ANY_ODD64(w) any_odd64_sse2(w)
#  endif

/* The running counts of a block being split (kept in registers). */
typedef struct {
    uint64_t carry;     /* bit 0 of the next window starts a line */
    int64_t lines, zeros;
    int crs;
    size_t n;
} split_regs;

#define W_NEXT (-1)         /* go on with the next window */
#define W_INCOMPLETE (-2)   /* the block is not complete: resume at this window */

/* One 64-byte window w (the bytes at p; `lim`: the ones that exist): the block's end
 * (>= 0), W_NEXT, or W_INCOMPLETE -- decided before anything is counted, so that an
 * incomplete window leaves no trace. Only the last windows before `end` (`careful`) can
 * be incomplete: a 'P' in its last two bytes, or no empty line in a short window. */
POF_ALWAYS_INLINE ptrdiff_t split_window(const unsigned char *buf, ptrdiff_t bstart,
                                         ptrdiff_t end, ptrdiff_t p, const unsigned char *w,
                                         uint64_t lim, split_regs *r, int64_t *pfn_pos,
                                         int64_t *pfn_idx, size_t pfn_cap, pof_split *sp,
                                         const int avx2, const int careful)
{
    uint64_t nl = EQ64(w, 10), starts = (nl << 1) | r->carry, empty = nl & starts, cand;
    int short_window = lim != ~0ULL;
    (void)avx2;
    POF_WORK(64);
    if (empty)
        lim = (empty & (0 - empty)) - 1;        /* the bytes before the empty line */
    cand = starts & EQ64(w, 'P') & lim;
    if (careful) {
        if (!empty && short_window)
            return W_INCOMPLETE;
        if (cand && p + pof_msb64(cand) + 2 >= end)
            return W_INCOMPLETE;                /* that line (so the block) is not complete */
    }
    if (POF_UNLIKELY(ANY_ODD64(w))) {           /* NUL or CR bytes: rare */
        r->zeros += pof_popcount64(EQ64(w, 0) & lim);
        r->crs |= (EQ64(w, 13) & lim) != 0;
    }
    while (cand) {
        int i = pof_ctz64(cand);
        ptrdiff_t q = p + i;
        cand &= cand - 1;
        if (buf[q + 1] == 'F' && buf[q + 2] == 'N') {
            ADD_PFN(r->n, q - bstart, r->lines + pof_popcount64(nl & ((1ULL << i) - 1)));
            r->n++;
        }
    }
    if (empty) {
        int e = pof_ctz64(empty);
        split_done(sp, r->n, r->lines + pof_popcount64(nl & ((1ULL << e) - 1)), r->zeros, r->crs);
        return p + e;
    }
    r->lines += pof_popcount64(nl);
    r->carry = nl >> 63;
    return W_NEXT;
}

/* One body for both variants (`avx2` is a constant once inlined into either function). */
POF_ALWAYS_INLINE ptrdiff_t block_end_body(const unsigned char *buf, ptrdiff_t bstart,
                                           ptrdiff_t end, pof_split *sp, const int avx2)
{
    unsigned char tmp[64];
    ptrdiff_t p = bstart + sp->run.at, e;
    int64_t *pfn_pos = sp->pfn_pos, *pfn_idx = sp->pfn_idx;
    size_t pfn_cap = sp->pfn_cap;
    split_regs r;
    r.carry = sp->run.carry;
    r.lines = sp->run.lines;
    r.zeros = sp->run.nul;
    r.crs = sp->run.cr;
    r.n = sp->run.npfn;
    for (;; p += 64) {
        ptrdiff_t avail = end - p;
        if (avail >= 66) {
            e = split_window(buf, bstart, end, p, buf + p, ~0ULL, &r, pfn_pos, pfn_idx, pfn_cap,
                             sp, avx2, 0);
        } else if (avail >= 64) {
            e = split_window(buf, bstart, end, p, buf + p, ~0ULL, &r, pfn_pos, pfn_idx, pfn_cap,
                             sp, avx2, 1);
        } else if (avail > 0) {
            memset(tmp, 0, 64);
            memcpy(tmp, buf + p, (size_t)avail);
            e = split_window(buf, bstart, end, p, tmp, (1ULL << avail) - 1, &r, pfn_pos, pfn_idx,
                             pfn_cap, sp, avx2, 1);
        } else {
            e = W_INCOMPLETE;
        }
        if (e >= 0)
            return e;
        if (e == W_INCOMPLETE)
            break;
    }
    sp->run.at = p - bstart;
    sp->run.carry = r.carry;
    sp->run.lines = r.lines;
    sp->run.nul = r.zeros;
    sp->run.cr = r.crs;
    sp->run.npfn = r.n;
    return -1;
}

ptrdiff_t pof_block_end_sse2(const unsigned char *buf, ptrdiff_t bstart, ptrdiff_t end,
                             pof_split *sp)
{
    return block_end_body(buf, bstart, end, sp, 0);
}
#else
ptrdiff_t pof_block_end_sse2(const unsigned char *buf, ptrdiff_t bstart, ptrdiff_t end,
                             pof_split *sp)
{
    return pof_block_end_portable(buf, bstart, end, sp);
}
#endif

#if POF_AVX2
POF_TARGET_AVX2 ptrdiff_t pof_block_end_avx2(const unsigned char *buf, ptrdiff_t bstart,
                                             ptrdiff_t end, pof_split *sp)
{
    return block_end_body(buf, bstart, end, sp, 1);
}

/* pof_pfn_line_sse2 32 bytes at a time: aligned loads, which stay within the page of the
 * line's newline (so they may read past the line, hence no ASan) */
POF_TARGET_AVX2 POF_NO_ASAN static ptrdiff_t pfn_verdict_avx2(const unsigned char *p,
                                                               const unsigned char *lim,
                                                               int *cma, int *slab)
{
    const __m256i cnl = _mm256_set1_epi8(10), ca = _mm256_set1_epi8('A'),
                  cb = _mm256_set1_epi8('b');
    const unsigned char *a = (const unsigned char *)((uintptr_t)p & ~(uintptr_t)31);
    uint32_t from = 0xffffffffu << (uint32_t)(p - a);
    *cma = 0;
    *slab = 0;
    for (;; a += 32, from = 0xffffffffu) {
        __m256i x = _mm256_load_si256((const __m256i *)a);
        uint32_t nl = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, cnl)) & from;
        uint32_t in = from & (nl ? (nl & (0u - nl)) - 1 : 0xffffffffu);
        uint32_t as = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, ca)) & in;
        uint32_t bs = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, cb)) & in;
        pof_pfn_candidates(p, a, as, bs, cma, slab);
        if (nl)
            return a + pof_ctz64(nl) - p;
        if (a + 32 >= lim)
            return -1;      /* not reached for a line that holds its newline */
    }
}
#else
ptrdiff_t pof_block_end_avx2(const unsigned char *buf, ptrdiff_t bstart, ptrdiff_t end,
                             pof_split *sp)
{
    return pof_block_end_sse2(buf, bstart, end, sp);
}
#endif

/* --- the choice ------------------------------------------------------------------------------ */

int pof_build_has_sse2(void) { return POF_SSE2; }
int pof_build_has_avx2(void) { return POF_AVX2; }

int pof_cpu_has_avx2(void)
{
#if !POF_AVX2
    return 0;
#elif POF_MSVC
    int r[4];
    __cpuid(r, 0);
    if (r[0] < 7)
        return 0;
    __cpuid(r, 1);
    if (!(r[2] & (1 << 27)) || (_xgetbv(0) & 6) != 6)   /* OSXSAVE, and the OS saves YMM */
        return 0;
    __cpuidex(r, 7, 0);
    return (r[1] & (1 << 5)) != 0;
#elif defined(_WIN32)
    return 0;           /* clang-cl: no __builtin_cpu_supports runtime; SSE2 it is */
#else
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;   /* checks the OS's YMM support too */
#endif
}

static ptrdiff_t pfn_verdict_default(const unsigned char *p, const unsigned char *lim,
                                     int *cma, int *slab)
{
    return pof_pfn_line(p, lim, cma, slab);
}

static ptrdiff_t pfn_verdict_plain(const unsigned char *p, const unsigned char *lim,
                                   int *cma, int *slab)
{
    return pof_pfn_line_plain(p, lim, cma, slab);
}

pof_block_end_fn pof_block_end = pof_block_end_portable;
pof_pfn_verdict_fn pof_pfn_verdict = pfn_verdict_plain;
static const char *split_name = "portable";

const char *pof_split_select(const char *name)
{
    int best = strcmp(name, "best") == 0;
    if (strcmp(name, "portable") == 0 || !POF_SSE2) {
        pof_block_end = pof_block_end_portable;
        pof_pfn_verdict = pfn_verdict_plain;
        split_name = "portable";
    } else if ((best || strcmp(name, "avx2") == 0) && pof_cpu_has_avx2()) {
        pof_block_end = pof_block_end_avx2;
#if POF_AVX2
        pof_pfn_verdict = pfn_verdict_avx2;
#endif
        split_name = "avx2";
    } else {
        pof_block_end = pof_block_end_sse2;
        pof_pfn_verdict = pfn_verdict_default;
        split_name = "sse2";
    }
    return split_name;
}

const char *pof_split_name(void) { return split_name; }
