# The hot path: stream a page_owner dump in chunks, split it into blocks (spec §3.1), pull out
# the fields with page_owner_sort's leftmost-match rules (spec §3.2) without a regex engine,
# classify the allocator (§3.5), cut the ts digits (§3.6) and intern headers, stacks, comms and
# modules into integer ids. No Python object is made per block.
#
# Semantics are pinned by the pure-Python engine (_pyscan.py); tests compare the two.

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.pycapsule cimport PyCapsule_New, PyCapsule_GetPointer, PyCapsule_Destructor
from libc.string cimport memchr, memmove
from libc.stdint cimport uint16_t, int16_t, int8_t

import numpy as np
cimport numpy as cnp

cnp.import_array()

include "_intern.pxi"
include "_textout.pxi"

# --- constants shared with _fields.py -------------------------------------------------------
DEF ALLOC_CMA = 2
DEF ALLOC_SLAB = 4
DEF ALLOC_VMALLOC = 8
DEF ALLOC_OTHERS = 16
DEF BAD_ORDER = 1
DEF BAD_ORDER_RANGE = 2
DEF BAD_PID = 4
DEF BAD_TGID = 8
DEF BAD_COMM = 16
DEF BAD_TS = 32
DEF BAD_FREE_TS = 64
DEF BAD_PFN = 128
DEF BAD_MASK = 256
DEF FIELD_BUFF = 25
DEF MODULE_NAME_LEN = 64
DEF READ_CHUNK = 1048576
cdef uint64_t U64_MAX = 0xFFFFFFFFFFFFFFFFULL
cdef uint64_t LONG_MAX = 0x7FFFFFFFFFFFFFFFULL


def _bind_hash():
    """Bind XXH3_128bits from the xxhash wheel's extension module (no source copied)."""
    global g_hash, g_verify
    try:
        import ctypes
        import xxhash._xxhash as _x
        lib = ctypes.CDLL(_x.__file__)
        addr = ctypes.cast(lib.XXH3_128bits, ctypes.c_void_p).value
        if not addr:
            raise OSError("XXH3_128bits not found")
        g_hash = <hash128_fn><size_t>addr
        g_verify = False
        return "xxh3-128"
    except Exception:
        g_hash = NULL
        g_verify = True
        return "fallback+verify"


HASH = _bind_hash()


def _use_hash(name):
    """Testing hook: 'xxh3' or 'fallback' (the fallback always verifies bytes)."""
    global g_hash, g_verify
    if name == "fallback":
        g_hash = NULL
        g_verify = True
        return "fallback+verify"
    return _bind_hash()


# --- small matchers ---------------------------------------------------------------------------

cdef inline h128 _hash(const char* p, size_t n) noexcept nogil:
    return g_hash(p, n) if g_hash != NULL else fallback_hash(p, n)


cdef extern from *:
    """
    #include <string.h>
    #include <stdint.h>
    /* First '\n' in [p, end), or NULL. Lines are short (~40 bytes), so an inline word-at-a-
       time scan beats a memchr call per line. */
    static inline const unsigned char* pof_next_nl(const unsigned char* p, const unsigned char* end) {
    #if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        while (end - p >= 8) {
            uint64_t w, x, t;
            memcpy(&w, p, 8);
            x = w ^ 0x0a0a0a0a0a0a0a0aULL;
            t = (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
            if (t)
                return p + (__builtin_ctzll(t) >> 3);
            p += 8;
        }
        while (p < end) {
            if (*p == 10)
                return p;
            p++;
        }
        return NULL;
    #else
        return (const unsigned char*)memchr(p, 10, (size_t)(end - p));
    #endif
    }
    """
    const unsigned char* next_nl "pof_next_nl"(const unsigned char* p, const unsigned char* end) noexcept nogil


cdef extern from *:
    """
    #include <string.h>
    #include <stdint.h>
    #if defined(__SSE2__)
    #include <emmintrin.h>
    #endif
    /* The end of the block that starts at buf[bstart] (a line start): the offset of its
       terminating empty line, or -1 when buf[bstart:end] holds no complete block. The lines
       starting with "PFN" before it go to pos[] (offset) and idx[] (line index in the block,
       0 = first line), at most cap of them; *npfn says how many there are (it may exceed
       cap: then the caller grows the arrays and asks again). *nlines: the block's lines
       before the empty line. *nul: the NUL bytes in the block; *cr: whether it holds a CR.

       Per-line version: one newline search per line. */
    static Py_ssize_t pof_block_end_lines(const unsigned char* buf, Py_ssize_t bstart,
            Py_ssize_t end, int64_t* pos, int64_t* idx, size_t cap, size_t* npfn,
            int64_t* nlines, int64_t* nul, int* cr) {
        Py_ssize_t line = bstart;
        int64_t lines = 0;
        size_t n = 0;
        for (;;) {
            const unsigned char* nl;
            if (line >= end)
                return -1;
            if (buf[line] == 10) {
                const unsigned char* z = buf + bstart;
                *nlines = lines;
                *npfn = n;
                *nul = 0;
                while ((z = (const unsigned char*)memchr(z, 0, (size_t)(buf + line - z))) != NULL) {
                    ++*nul;
                    z++;
                }
                *cr = memchr(buf + bstart, 13, (size_t)(line - bstart)) != NULL;
                return line;
            }
            nl = pof_next_nl(buf + line, buf + end);
            if (nl == NULL)
                return -1;
            if (buf[line] == 'P' && nl - (buf + line) >= 3 && buf[line + 1] == 'F' &&
                    buf[line + 2] == 'N') {
                if (n < cap) {
                    pos[n] = line;
                    idx[n] = lines;
                }
                n++;
            }
            lines++;
            line = nl - buf + 1;
        }
    }

    #if defined(__SSE2__)
    /* Set bits of x (a handful of operations, no library call without -mpopcnt). */
    static inline int pof_popcount64(uint64_t x) {
        x = x - ((x >> 1) & 0x5555555555555555ULL);
        x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
        x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
        return (int)((x * 0x0101010101010101ULL) >> 56);
    }
    static inline uint64_t pof_eq64_sse2(const unsigned char* w, char ch) {
        const __m128i c = _mm_set1_epi8(ch);
        uint64_t a = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)w), c));
        uint64_t b = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)(w + 16)), c));
        uint64_t d = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)(w + 32)), c));
        uint64_t e = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)(w + 48)), c));
        return a | (b << 16) | (d << 32) | (e << 48);
    }
    /* Whether any of the 64 bytes at w is a NUL or a CR. */
    static inline int pof_any_odd64_sse2(const unsigned char* w) {
        const __m128i z = _mm_setzero_si128(), cr = _mm_set1_epi8(13);
        __m128i a = _mm_loadu_si128((const __m128i*)w), b = _mm_loadu_si128((const __m128i*)(w + 16));
        __m128i c = _mm_loadu_si128((const __m128i*)(w + 32)), d = _mm_loadu_si128((const __m128i*)(w + 48));
        __m128i o = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, z), _mm_cmpeq_epi8(a, cr)),
                                 _mm_or_si128(_mm_cmpeq_epi8(b, z), _mm_cmpeq_epi8(b, cr)));
        o = _mm_or_si128(o, _mm_or_si128(_mm_cmpeq_epi8(c, z), _mm_cmpeq_epi8(c, cr)));
        o = _mm_or_si128(o, _mm_or_si128(_mm_cmpeq_epi8(d, z), _mm_cmpeq_epi8(d, cr)));
        return _mm_movemask_epi8(o) != 0;
    }
    /* The same with 32-byte compares, for CPUs that have AVX2 (picked at run time). */
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    #include <immintrin.h>
    #define POF_HAVE_AVX2 1
    __attribute__((target("avx2")))
    static inline uint64_t pof_eq64_avx2(const unsigned char* w, char ch) {
        const __m256i c = _mm256_set1_epi8(ch);
        uint64_t a = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i*)w), c));
        uint64_t b = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i*)(w + 32)), c));
        return a | (b << 32);
    }
    __attribute__((target("avx2")))
    static inline int pof_any_odd64_avx2(const unsigned char* w) {
        const __m256i z = _mm256_setzero_si256(), cr = _mm256_set1_epi8(13);
        __m256i a = _mm256_loadu_si256((const __m256i*)w), b = _mm256_loadu_si256((const __m256i*)(w + 32));
        __m256i o = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(a, z), _mm256_cmpeq_epi8(a, cr)),
                                    _mm256_or_si256(_mm256_cmpeq_epi8(b, z), _mm256_cmpeq_epi8(b, cr)));
        return _mm256_movemask_epi8(o) != 0;
    }
    #define POF_EQ64(w, ch) (avx2 ? pof_eq64_avx2(w, ch) : pof_eq64_sse2(w, ch))
    #define POF_ANY_ODD64(w) (avx2 ? pof_any_odd64_avx2(w) : pof_any_odd64_sse2(w))
    #else
    #define POF_HAVE_AVX2 0
    #define POF_EQ64(w, ch) pof_eq64_sse2(w, ch)
    #define POF_ANY_ODD64(w) pof_any_odd64_sse2(w)
    #endif
    /* Same contract, 64 bytes at a time: bit masks of the newlines and of the 'P' bytes give
       the empty line (a newline at a line start) and the candidate PFN lines (a 'P' at a
       line start) with no branch per line; NUL and CR bytes are looked for in the same
       pass (a mapped input is read once). One body for SSE2 and AVX2 (avx2: a constant
       once inlined into either of the two functions below). */
    static inline __attribute__((always_inline)) Py_ssize_t pof_block_end_body(
            const unsigned char* buf, Py_ssize_t bstart, Py_ssize_t end, int64_t* pos,
            int64_t* idx, size_t cap, size_t* npfn, int64_t* nlines, int64_t* nul, int* cr,
            const int avx2) {
        unsigned char tmp[64];
        Py_ssize_t p = bstart;
        uint64_t carry = 1;             /* bit 0 of the window is a line start */
        int64_t lines = 0, zeros = 0;
        int crs = 0;
        size_t n = 0;
        (void)avx2;
        for (;;) {
            const unsigned char* w;
            Py_ssize_t avail = end - p;
            uint64_t nl, starts, empty, cand, lim;
            if (avail <= 0)
                return -1;
            if (avail >= 64) {
                w = buf + p;
                lim = ~0ULL;
            } else {
                memset(tmp, 0, 64);
                memcpy(tmp, buf + p, (size_t)avail);
                w = tmp;
                lim = (1ULL << avail) - 1;
            }
            nl = POF_EQ64(w, 10);
            starts = (nl << 1) | carry;
            empty = nl & starts;
            if (empty)
                lim = (empty & (0 - empty)) - 1;    /* the bytes before the empty line */
            cand = starts & POF_EQ64(w, 'P') & lim;
            if (POF_ANY_ODD64(w)) {
                zeros += pof_popcount64(POF_EQ64(w, 0) & lim);
                crs |= (POF_EQ64(w, 13) & lim) != 0;
            }
            while (cand) {
                int i = __builtin_ctzll(cand);
                Py_ssize_t q = p + i;
                cand &= cand - 1;
                if (q + 2 >= end)
                    return -1;          /* the line (so the block) is not complete */
                if (buf[q + 1] == 'F' && buf[q + 2] == 'N') {
                    if (n < cap) {
                        pos[n] = q;
                        idx[n] = lines + pof_popcount64(nl & ((1ULL << i) - 1));
                    }
                    n++;
                }
            }
            if (empty) {
                int e = __builtin_ctzll(empty);
                *nlines = lines + pof_popcount64(nl & ((1ULL << e) - 1));
                *npfn = n;
                *nul = zeros;
                *cr = crs;
                return p + e;
            }
            if (avail < 64)
                return -1;
            lines += pof_popcount64(nl);
            carry = nl >> 63;
            p += 64;
        }
    }
    static Py_ssize_t pof_block_end_simd(const unsigned char* buf, Py_ssize_t bstart,
            Py_ssize_t end, int64_t* pos, int64_t* idx, size_t cap, size_t* npfn,
            int64_t* nlines, int64_t* nul, int* cr) {
        return pof_block_end_body(buf, bstart, end, pos, idx, cap, npfn, nlines, nul, cr, 0);
    }
    #if POF_HAVE_AVX2
    __attribute__((target("avx2")))
    static Py_ssize_t pof_block_end_avx2(const unsigned char* buf, Py_ssize_t bstart,
            Py_ssize_t end, int64_t* pos, int64_t* idx, size_t cap, size_t* npfn,
            int64_t* nlines, int64_t* nul, int* cr) {
        return pof_block_end_body(buf, bstart, end, pos, idx, cap, npfn, nlines, nul, cr, 1);
    }
    static int pof_cpu_has_avx2(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    }
    #endif
    #define POF_HAVE_SIMD 1

    /* Reads of whole aligned 16-byte chunks: such a chunk never crosses a page, so reading
       the bytes around a line that is in the buffer cannot fault (the same reasoning as a
       C library's strlen); AddressSanitizer is told not to look. */
    #if defined(__clang__) || defined(__GNUC__)
    #define POF_NO_ASAN __attribute__((no_sanitize_address))
    #else
    #define POF_NO_ASAN
    #endif
    static inline POF_NO_ASAN uint32_t pof_eq16a(const unsigned char* a, __m128i c) {
        return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_load_si128((const __m128i*)a), c));
    }
    /* The line at p (which holds a newline before `lim`): returns the offset of its newline
       from p; *cma / *slab: whether "CMA" / "slab" occur in the line. One pass. */
    static POF_NO_ASAN Py_ssize_t pof_pfn_line_simd(const unsigned char* p, const unsigned char* lim,
                                                  int* cma, int* slab) {
        const __m128i cnl = _mm_set1_epi8(10), cc = _mm_set1_epi8('C'), cs = _mm_set1_epi8('s');
        const unsigned char* a = (const unsigned char*)((uintptr_t)p & ~(uintptr_t)15);
        uint32_t skip = (uint32_t)(p - a);
        *cma = 0;
        *slab = 0;
        for (;; a += 16, skip = 0) {
            uint32_t nl = (pof_eq16a(a, cnl) >> skip) << skip;
            uint32_t lim_bits = nl ? (nl & (0u - nl)) - 1 : 0xffffu;
            uint32_t c = ((pof_eq16a(a, cc) >> skip) << skip) & lim_bits;
            uint32_t s = ((pof_eq16a(a, cs) >> skip) << skip) & lim_bits;
            const unsigned char* e = nl ? a + __builtin_ctz(nl) : lim;
            while (c && !*cma) {
                const unsigned char* q = a + __builtin_ctz(c);
                c &= c - 1;
                *cma = q + 3 <= e && q[1] == 'M' && q[2] == 'A';
            }
            while (s && !*slab) {
                const unsigned char* q = a + __builtin_ctz(s);
                s &= s - 1;
                *slab = q + 4 <= e && q[1] == 'l' && q[2] == 'a' && q[3] == 'b';
            }
            if (nl)
                return e - p;
            if (a + 16 >= lim)
                return -1;      /* not reached for a line that holds its newline */
        }
    }
    /* The first k in [i, n) with h[k] = 't' and h[k + 1] = 's' (k + 1 < n), or -1. */
    static POF_NO_ASAN Py_ssize_t pof_find_ts_simd(const unsigned char* h, Py_ssize_t i, Py_ssize_t n) {
        const __m128i ct = _mm_set1_epi8('t');
        const unsigned char* end = h + n;
        const unsigned char* a;
        uint32_t skip;
        if (i + 1 >= n)
            return -1;
        a = (const unsigned char*)((uintptr_t)(h + i) & ~(uintptr_t)15);
        skip = (uint32_t)((h + i) - a);
        for (; a < end; a += 16, skip = 0) {
            uint32_t t = (pof_eq16a(a, ct) >> skip) << skip;
            while (t) {
                const unsigned char* q = a + __builtin_ctz(t);
                t &= t - 1;
                if (q + 1 >= end)
                    return -1;
                if (q[1] == 's')
                    return q - h;
            }
        }
        return -1;
    }
    #else
    #define pof_block_end_simd pof_block_end_lines
    #define POF_HAVE_SIMD 0
    #endif
    #if !defined(POF_HAVE_AVX2) || !POF_HAVE_AVX2
    #define pof_block_end_avx2 pof_block_end_simd
    static int pof_cpu_has_avx2(void) { return 0; }
    #endif

    /* Portable versions of the two helpers above (and the code path without SSE2). */
    static Py_ssize_t pof_pfn_line_plain(const unsigned char* p, const unsigned char* lim,
                                         int* cma, int* slab) {
        const unsigned char* e = pof_next_nl(p, lim);
        Py_ssize_t n;
        if (e == NULL)
            return -1;
        n = e - p;
        *cma = 0;
        *slab = 0;
        for (Py_ssize_t k = 0; k + 3 <= n && !*cma; k++)
            *cma = p[k] == 'C' && p[k + 1] == 'M' && p[k + 2] == 'A';
        for (Py_ssize_t k = 0; k + 4 <= n && !*slab; k++)
            *slab = p[k] == 's' && p[k + 1] == 'l' && p[k + 2] == 'a' && p[k + 3] == 'b';
        return n;
    }
    static Py_ssize_t pof_find_ts_plain(const unsigned char* h, Py_ssize_t i, Py_ssize_t n) {
        for (; i + 1 < n; i++) {
            const unsigned char* q = (const unsigned char*)memchr(h + i, 't', (size_t)(n - 1 - i));
            if (q == NULL)
                return -1;
            i = q - h;
            if (h[i + 1] == 's')
                return i;
        }
        return -1;
    }
    #if POF_HAVE_SIMD
    #define pof_pfn_line pof_pfn_line_simd
    #define pof_find_ts pof_find_ts_simd
    #else
    #define pof_pfn_line pof_pfn_line_plain
    #define pof_find_ts pof_find_ts_plain
    #endif
    typedef Py_ssize_t (*pof_block_end_fn)(const unsigned char*, Py_ssize_t, Py_ssize_t,
            int64_t*, int64_t*, size_t, size_t*, int64_t*, int64_t*, int*);
    """
    ctypedef Py_ssize_t (*block_end_fn "pof_block_end_fn")(const unsigned char* buf, Py_ssize_t bstart,
            Py_ssize_t end, int64_t* pos, int64_t* idx, size_t cap, size_t* npfn,
            int64_t* nlines, int64_t* nul, int* cr) noexcept nogil
    Py_ssize_t block_end_lines "pof_block_end_lines"(const unsigned char* buf, Py_ssize_t bstart,
            Py_ssize_t end, int64_t* pos, int64_t* idx, size_t cap, size_t* npfn,
            int64_t* nlines, int64_t* nul, int* cr) noexcept nogil
    Py_ssize_t block_end_simd "pof_block_end_simd"(const unsigned char* buf, Py_ssize_t bstart,
            Py_ssize_t end, int64_t* pos, int64_t* idx, size_t cap, size_t* npfn,
            int64_t* nlines, int64_t* nul, int* cr) noexcept nogil
    Py_ssize_t block_end_avx2 "pof_block_end_avx2"(const unsigned char* buf, Py_ssize_t bstart,
            Py_ssize_t end, int64_t* pos, int64_t* idx, size_t cap, size_t* npfn,
            int64_t* nlines, int64_t* nul, int* cr) noexcept nogil
    int cpu_has_avx2 "pof_cpu_has_avx2"() noexcept nogil
    int HAVE_SIMD "POF_HAVE_SIMD"
    Py_ssize_t pfn_line_scan "pof_pfn_line"(const unsigned char* p, const unsigned char* lim,
                                            int* cma, int* slab) noexcept nogil
    Py_ssize_t find_ts "pof_find_ts"(const unsigned char* h, Py_ssize_t i, Py_ssize_t n) noexcept nogil
    Py_ssize_t pfn_line_plain "pof_pfn_line_plain"(const unsigned char* p, const unsigned char* lim,
                                                   int* cma, int* slab) noexcept nogil
    Py_ssize_t find_ts_plain "pof_find_ts_plain"(const unsigned char* h, Py_ssize_t i, Py_ssize_t n) noexcept nogil


cdef bint g_avx2 = cpu_has_avx2()
cdef block_end_fn g_block_end = block_end_avx2 if g_avx2 else block_end_simd


def _line_helpers(const unsigned char[::1] data, Py_ssize_t i, bint plain):
    """Testing hook: (find_ts(data, i, len), pfn_line(data[i:]) as (length, cma, slab)) from
    the SIMD helpers, or from the portable ones (plain=True). data must hold a newline at or
    after i for the second."""
    cdef Py_ssize_t n = data.shape[0], k, ln
    cdef int cma = 0, slab = 0
    cdef const unsigned char* p = &data[0]
    if plain:
        k = find_ts_plain(p, i, n)
        ln = pfn_line_plain(p + i, p + n, &cma, &slab)
    else:
        k = find_ts(p, i, n)
        ln = pfn_line_scan(p + i, p + n, &cma, &slab)
    return k, (ln, bool(cma), bool(slab))


def _use_block_end(name):
    """Testing hook: the block splitter 'avx2' or 'sse2' (64 bytes at a time; each where the
    build and the CPU have it), 'lines' (a newline search per line) or 'best' (what an
    import picks); returns the name of the one now in use."""
    global g_block_end
    if name == "lines" or not HAVE_SIMD:
        g_block_end = block_end_lines
        return "lines"
    if name in ("avx2", "best") and g_avx2:
        g_block_end = block_end_avx2
        return "avx2"
    g_block_end = block_end_simd
    return "sse2"


cdef extern from *:
    """
    #if defined(__unix__) || defined(__APPLE__)
    #include <sys/mman.h>
    #include <unistd.h>
    #include <stdint.h>
    /* Drop our mapping of the whole pages in [start, start+len) that we are done with: the
       page cache keeps them, but they stop counting in this process's resident set. */
    static void pof_release(const void* start, size_t len) {
        uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t a = ((uintptr_t)start + ps - 1) & ~(ps - 1);
        uintptr_t b = ((uintptr_t)start + len) & ~(ps - 1);
        if (b > a)
            madvise((void*)a, b - a, MADV_DONTNEED);
    }
    #else
    static void pof_release(const void* start, size_t len) { (void)start; (void)len; }
    #endif
    """
    void release_pages "pof_release"(const void* start, size_t length) noexcept nogil


cdef int parse_pfn_line(const unsigned char* buf, Py_ssize_t ls, Py_ssize_t pe, int64_t* pfn_out,
                        int* mt_out) noexcept nogil:
    """PFN (decimal or 0x-hex, -1 if unparsable) and migratetype of the line buf[ls:pe]."""
    cdef Py_ssize_t j = ls + 3, k
    cdef int64_t pfn = -1
    while j < pe and buf[j] == 32:
        j += 1
    if j + 2 < pe and buf[j] == 48 and buf[j + 1] == 120 and (
            is_lhex(buf[j + 2]) or (65 <= buf[j + 2] <= 70)):
        j += 2
        pfn = 0
        while j < pe and (is_lhex(buf[j]) or (65 <= buf[j] <= 70)):
            k = (buf[j] - 48 if buf[j] <= 57 else (buf[j] - 87 if buf[j] >= 97 else buf[j] - 55))
            if pfn > (<int64_t>LONG_MAX - k) >> 4:
                pfn = -1
                break
            pfn = pfn * 16 + k
            j += 1
    elif j < pe and is_digit(buf[j]):
        pfn = 0
        while j < pe and is_digit(buf[j]):
            k = buf[j] - 48
            if pfn > (<int64_t>LONG_MAX - k) // 10:
                pfn = -1
                break
            pfn = pfn * 10 + k
            j += 1
    pfn_out[0] = pfn
    mt_out[0] = -1
    k = find(buf, ls, pe, b" type ", 6)
    if k >= 0:
        k += 6
        j = k
        while j < pe and buf[j] != 32 and buf[j] != 10:
            j += 1
        mt_out[0] = mt_index(buf + k, j - k)
    return 0


cdef inline void pfn_fields(const unsigned char* pl, Py_ssize_t pll, int64_t* pfn,
                           int8_t* mt) noexcept nogil:
    """PFN and migratetype of the PFN line pl[0:pll] (NULL: a block without one)."""
    cdef int m = -1
    pfn[0] = -1
    if pl != NULL:
        parse_pfn_line(pl, 0, pll, pfn, &m)
    mt[0] = <int8_t>m


cdef int ts_in_header(const unsigned char* h, Py_ssize_t hl, uint64_t* v, Py_ssize_t* cs,
                      Py_ssize_t* ce) noexcept nogil:
    """The ts match of page_owner_sort among matches starting in the header line h[0:hl],
    reading nothing past the line: -1 none, 0 found (value in v), 1 found (unconvertible),
    2 undecided (an attempt ran into the line end, where the next line could complete it)."""
    cdef Py_ssize_t i = 0, k, j
    while True:
        k = find_ts(h, i, hl)
        if k < 0:
            return -1
        j = k + 2
        while j < hl and is_space(h[j]):
            j += 1
        cs[0] = j
        while j < hl and is_digit(h[j]):
            j += 1
        ce[0] = j
        while j < hl and is_space(h[j]):
            j += 1
        if j + 1 >= hl:
            return 2
        if h[j] == 110 and h[j + 1] == 115:
            return 0 if conv_u64(h, cs[0], ce[0], U64_MAX, v) == 0 else 1
        i = k + 1



cdef inline bint is_space(unsigned char c) noexcept nogil:
    return c == 32 or (9 <= c <= 13)


cdef inline bint is_digit(unsigned char c) noexcept nogil:
    return 48 <= c <= 57


cdef inline bint is_lhex(unsigned char c) noexcept nogil:
    return (48 <= c <= 57) or (97 <= c <= 102)


cdef inline bint is_modch(unsigned char c) noexcept nogil:
    return (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122) or c == 95 or c == 45


cdef inline Py_ssize_t find(const unsigned char* h, Py_ssize_t start, Py_ssize_t n,
                            const char* needle, Py_ssize_t m) noexcept nogil:
    """First index >= start of needle in h[0:n], or -1."""
    cdef const unsigned char* p
    cdef unsigned char c0 = <unsigned char>needle[0]
    while start + m <= n:
        p = <const unsigned char*>memchr(h + start, c0, n - start - m + 1)
        if p == NULL:
            return -1
        start = p - h
        if memcmp(p, needle, m) == 0:
            return start
        start += 1
    return -1


cdef inline int conv_u64(const unsigned char* h, Py_ssize_t s, Py_ssize_t e, uint64_t limit,
                         uint64_t* out) noexcept nogil:
    """strtol/strtoull of a digit capture, page_owner_sort style: 0 ok, -1 failure."""
    cdef uint64_t v = 0
    cdef uint64_t d
    if e <= s or e - s >= FIELD_BUFF:
        return -1
    while s < e:
        d = h[s] - 48
        if v > (U64_MAX - d) // 10:
            return -1
        v = v * 10 + d
        s += 1
    if v > limit:
        return -1
    out[0] = v
    return 0


cdef Py_ssize_t match_num(const unsigned char* h, Py_ssize_t n, Py_ssize_t lim, const char* kw,
                          Py_ssize_t kwl, int term, Py_ssize_t* cs, Py_ssize_t* ce) noexcept nogil:
    """Leftmost `kw\\s*([0-9]*)T` starting before `lim` (it may run on past it); T is ','
    (order, pid), ' ' (tgid) or 'n' for `\\s*ns` (ts, free_ts). Sets the capture span;
    returns the match start or -1."""
    cdef Py_ssize_t i = 0, k, j, ws, wse
    cdef Py_ssize_t klim = lim + kwl - 1 if lim + kwl - 1 < n else n
    while True:
        k = find(h, i, klim, kw, kwl)
        if k < 0:
            return -1
        j = k + kwl
        ws = j
        while j < n and is_space(h[j]):
            j += 1
        wse = j
        cs[0] = j
        while j < n and is_digit(h[j]):
            j += 1
        ce[0] = j
        if term == 110:  # 'n': \s*ns
            while j < n and is_space(h[j]):
                j += 1
            if j + 1 < n and h[j] == 110 and h[j + 1] == 115:
                return k
        elif term == 32:  # ' ': the space may also come out of the \s* run (capture empty)
            if ce[0] > cs[0] and j < n and h[j] == 32:
                return k
            if memchr(h + ws, 32, wse - ws) != NULL:
                cs[0] = ws
                ce[0] = ws
                return k
        else:
            if j < n and h[j] == term:
                return k
        i = k + 1


cdef Py_ssize_t match_comm(const unsigned char* h, Py_ssize_t n, Py_ssize_t lim, Py_ssize_t* cs,
                           Py_ssize_t* ce) noexcept nogil:
    """Leftmost `tgid\\s*[0-9]*\\s*\\((.*)\\),\\s*ts`; the greedy capture ends at the last
    `),<ws>ts` on the line of the `(`."""
    cdef Py_ssize_t i = 0, k, j, q, eol, best, t
    cdef const unsigned char* p
    cdef Py_ssize_t klim = lim + 3 if lim + 3 < n else n
    while True:
        k = find(h, i, klim, b"tgid", 4)
        if k < 0:
            return -1
        j = k + 4
        while j < n and is_space(h[j]):
            j += 1
        while j < n and is_digit(h[j]):
            j += 1
        while j < n and is_space(h[j]):
            j += 1
        if j < n and h[j] == 40:  # '('
            p = <const unsigned char*>memchr(h + j + 1, 10, n - j - 1)
            eol = (p - h) if p != NULL else n
            best = -1
            q = j + 1
            while q < eol:
                p = <const unsigned char*>memchr(h + q, 41, eol - q)  # ')'
                if p == NULL:
                    break
                q = p - h
                if q + 1 < n and h[q + 1] == 44:  # ','
                    t = q + 2
                    while t < n and is_space(h[t]):
                        t += 1
                    if t + 1 < n and h[t] == 116 and h[t + 1] == 115:
                        best = q
                q += 1
            if best >= 0:
                cs[0] = j + 1
                ce[0] = best
                return k
        i = k + 1


cdef Py_ssize_t match_module(const unsigned char* h, Py_ssize_t n, Py_ssize_t* cs,
                             Py_ssize_t* ce) noexcept nogil:
    """Leftmost `\\+0x[0-9a-f]+/0x[0-9a-f]+\\s*\\[([a-zA-Z0-9_-]+)\\]`, found from its `[`:
    the part before a `[` is checked backwards (each run there is forced to be maximal)."""
    cdef Py_ssize_t q = 0, j, r
    cdef const unsigned char* p
    while q < n:
        p = <const unsigned char*>memchr(h + q, 91, n - q)  # '['
        if p == NULL:
            return -1
        q = p - h
        j = q - 1
        while j >= 0 and is_space(h[j]):
            j -= 1
        r = j
        while j >= 0 and is_lhex(h[j]):
            j -= 1
        if r > j and j >= 2 and h[j] == 120 and h[j - 1] == 48 and h[j - 2] == 47:  # "/0x"
            j -= 3
            r = j
            while j >= 0 and is_lhex(h[j]):
                j -= 1
            if r > j and j >= 2 and h[j] == 120 and h[j - 1] == 48 and h[j - 2] == 43:  # "+0x"
                r = q + 1
                while r < n and is_modch(h[r]):
                    r += 1
                if r > q + 1 and r < n and h[r] == 93:  # ']'
                    cs[0] = q + 1
                    ce[0] = r
                    return j - 2
        q += 1
    return -1


cdef inline Py_ssize_t find_vm(const unsigned char* h, Py_ssize_t n) noexcept nogil:
    """Index of the first `__vmalloc_node_range` in h[0:n], or -1."""
    cdef Py_ssize_t i = 0, k
    while True:
        k = find(h, i, n, b"vmalloc_node_range", 18)
        if k < 0:
            return -1
        if k >= 2 and h[k - 1] == 95 and h[k - 2] == 95:
            return k - 2
        i = k + 1


cdef int vmalloc_in_stack(const unsigned char* h, Py_ssize_t n, uint8_t* hit) noexcept nogil:
    """The VMALLOC test of _pyscan.is_vmalloc, for the stack part of a text: -1 if the stack
    has no `__vmalloc_node_range`; 0 if its first one is on the stack's first line (the line
    before it is then the header, which the caller checks); 1 otherwise. `hit`: an
    `alloc_pages` starts in [start of the previous line (or of the stack), occurrence)."""
    cdef Py_ssize_t occ = find_vm(h, n), ls, fl, k
    hit[0] = 0
    if occ < 0:
        return -1
    ls = occ
    while ls > 0 and h[ls - 1] != 10:
        ls -= 1
    if ls == 0:
        fl = 0
    else:
        fl = ls - 1
        while fl > 0 and h[fl - 1] != 10:
            fl -= 1
    k = find(h, fl, occ + 10 if occ + 10 < n else n, b"alloc_pages", 11)
    hit[0] = 0 <= k < occ
    return 0 if ls == 0 else 1


cdef int field_num(const unsigned char* h, Py_ssize_t n, Py_ssize_t lim, const char* kw,
                   Py_ssize_t kwl, int term, uint64_t limit, uint64_t* v, Py_ssize_t* cs,
                   Py_ssize_t* ce) noexcept nogil:
    """-1: no match starting before lim; 0: match, value in v; 1: match, unconvertible."""
    if match_num(h, n, lim, kw, kwl, term, cs, ce) < 0:
        return -1
    return 0 if conv_u64(h, cs[0], ce[0], limit, v) == 0 else 1


cdef int match_mask(const unsigned char* h, Py_ssize_t n, Py_ssize_t lim, uint64_t* out) noexcept nogil:
    """Leftmost `mask\\s*0x([0-9a-fA-F]+)` starting before lim: -1 none, 0 ok, 1 too long."""
    cdef Py_ssize_t i = 0, k, j
    cdef Py_ssize_t klim = lim + 3 if lim + 3 < n else n
    cdef uint64_t v
    while True:
        k = find(h, i, klim, b"mask", 4)
        if k < 0:
            return -1
        j = k + 4
        while j < n and is_space(h[j]):
            j += 1
        if j + 2 < n and h[j] == 48 and h[j + 1] == 120 and (is_lhex(h[j + 2]) or 65 <= h[j + 2] <= 70):
            j += 2
            k = j
            v = 0
            while j < n and (is_lhex(h[j]) or 65 <= h[j] <= 70):
                v = v * 16 + (h[j] - 48 if h[j] <= 57 else (h[j] - 87 if h[j] >= 97 else h[j] - 55))
                j += 1
            if j - k > 16:
                return 1
            out[0] = v
            return 0
        i = k + 1


ctypedef struct HeaderInfo:
    uint8_t has_vm              # holds `__vmalloc_node_range`
    uint8_t has_ap              # holds `alloc_pages`


cdef bint _digits_sensitive(const unsigned char* t, Py_ssize_t n, Py_ssize_t hl,
                            Py_ssize_t tcs, Py_ssize_t tce) noexcept nogil:
    """Whether the ts digits t[tcs:tce] of a header line t[0:hl] overlap its comm or free_ts
    match (then blocks whose lines are alike but for these digits may differ there too).
    `t`: the block's whole text (may be NULL when the digits are not in the header line)."""
    cdef Py_ssize_t cs = 0, ce = 0
    if tce <= tcs or tce > hl:
        return False
    if match_comm(t, n, hl, &cs, &ce) >= 0 and cs < tce and tcs < ce:
        return True
    return match_num(t, n, hl, b"free_ts", 7, 110, &cs, &ce) >= 0 and cs < tce and tcs < ce


ctypedef struct GroupKey:
    # one row of an aggregated scan (padding zeroed: the key is hashed as bytes)
    int32_t hid
    int32_t sid
    uint64_t digits
    uint8_t alloc
    uint8_t has_digits


cdef inline int or_stack(int r, uint64_t* v, int8_t r_stack, uint64_t v_stack) noexcept nogil:
    """A match that starts in the header line (r >= 0) is leftmost; otherwise the one that
    starts in the stack (cached per stack) is the match."""
    if r >= 0:
        return r
    v[0] = v_stack
    return r_stack


ctypedef struct StackInfo:
    # what the matchers find when started inside one distinct raw stack (cached per stack)
    int32_t out_id              # id in the output stack table (-1: not yet interned)
    int32_t out_stripped_id     # the same with the stack's own ts digits cut (-1: not yet)
    int8_t r_order, r_pid, r_tgid, r_ts, r_free_ts, r_gfp   # field_num results
    uint64_t v_order, v_pid, v_tgid, v_ts, v_free_ts, v_gfp
    Py_ssize_t ts_cs, ts_ce     # ts capture span, relative to the stack
    Py_ssize_t comm_cs, comm_ce  # comm capture span (-1: none)
    Py_ssize_t mod_cs, mod_ce   # module capture span (-1: none)
    int8_t vm_line
    uint8_t vm_hit
    uint8_t lead_bracket


cdef int mt_index(const unsigned char* h, Py_ssize_t n) noexcept nogil:
    """Migratetype index of the word at h[0:n] (see _fields.MIGRATETYPES)."""
    if n == 9 and memcmp(h, b"Unmovable", 9) == 0:
        return 0
    if n == 7 and memcmp(h, b"Movable", 7) == 0:
        return 1
    if n == 11 and memcmp(h, b"Reclaimable", 11) == 0:
        return 2
    if n == 10 and memcmp(h, b"HighAtomic", 10) == 0:
        return 3
    if n == 3 and memcmp(h, b"CMA", 3) == 0:
        return 4
    if n == 7 and memcmp(h, b"Isolate", 7) == 0:
        return 5
    return -1


# --- the scanner ------------------------------------------------------------------------------

cdef int grow(void** p, size_t* cap, size_t want, size_t itemsize, size_t first) noexcept nogil:
    """Make the array *p (capacity *cap items) hold at least `want` items, doubling from
    `first`; 0, or -1 when out of memory (*p is then unchanged)."""
    cdef size_t c = cap[0] * 2 if cap[0] else first
    cdef void* q
    if want <= cap[0]:
        return 0
    while c < want:
        c *= 2
    q = realloc(p[0], c * itemsize)
    if q == NULL:
        return -1
    p[0] = q
    cap[0] = c
    return 0


ctypedef struct Cols:
    size_t n
    size_t cap
    int16_t* order
    int64_t* count          # blocks in the row (1 unless aggregated)
    int64_t* pages          # pages of the row (count * block_pages)
    int64_t* block_pages    # 2**order of one block
    int32_t* pid
    int32_t* tgid
    uint64_t* ts
    uint64_t* free_ts
    int64_t* pfn
    uint64_t* gfp
    int8_t* mt
    uint8_t* alloc
    int32_t* header_id
    int32_t* stack_id
    int32_t* comm_id
    int32_t* module_id
    uint16_t* bad
    int64_t* lineno


cdef int cols_reserve(Cols* c, size_t want) noexcept nogil:
    if want <= c.cap:
        return 0
    cdef size_t cap = c.cap * 2 if c.cap else 65536
    while cap < want:
        cap *= 2
    cdef void* p
    p = realloc(c.order, cap * sizeof(int16_t))
    if p == NULL: return -1
    c.order = <int16_t*>p
    p = realloc(c.pages, cap * sizeof(int64_t))
    if p == NULL: return -1
    c.pages = <int64_t*>p
    p = realloc(c.count, cap * sizeof(int64_t))
    if p == NULL: return -1
    c.count = <int64_t*>p
    p = realloc(c.block_pages, cap * sizeof(int64_t))
    if p == NULL: return -1
    c.block_pages = <int64_t*>p
    p = realloc(c.pid, cap * sizeof(int32_t))
    if p == NULL: return -1
    c.pid = <int32_t*>p
    p = realloc(c.tgid, cap * sizeof(int32_t))
    if p == NULL: return -1
    c.tgid = <int32_t*>p
    p = realloc(c.ts, cap * sizeof(uint64_t))
    if p == NULL: return -1
    c.ts = <uint64_t*>p
    p = realloc(c.free_ts, cap * sizeof(uint64_t))
    if p == NULL: return -1
    c.free_ts = <uint64_t*>p
    p = realloc(c.pfn, cap * sizeof(int64_t))
    if p == NULL: return -1
    c.pfn = <int64_t*>p
    p = realloc(c.gfp, cap * sizeof(uint64_t))
    if p == NULL: return -1
    c.gfp = <uint64_t*>p
    p = realloc(c.mt, cap * sizeof(int8_t))
    if p == NULL: return -1
    c.mt = <int8_t*>p
    p = realloc(c.alloc, cap * sizeof(uint8_t))
    if p == NULL: return -1
    c.alloc = <uint8_t*>p
    p = realloc(c.header_id, cap * sizeof(int32_t))
    if p == NULL: return -1
    c.header_id = <int32_t*>p
    p = realloc(c.stack_id, cap * sizeof(int32_t))
    if p == NULL: return -1
    c.stack_id = <int32_t*>p
    p = realloc(c.comm_id, cap * sizeof(int32_t))
    if p == NULL: return -1
    c.comm_id = <int32_t*>p
    p = realloc(c.module_id, cap * sizeof(int32_t))
    if p == NULL: return -1
    c.module_id = <int32_t*>p
    p = realloc(c.bad, cap * sizeof(uint16_t))
    if p == NULL: return -1
    c.bad = <uint16_t*>p
    p = realloc(c.lineno, cap * sizeof(int64_t))
    if p == NULL: return -1
    c.lineno = <int64_t*>p
    c.cap = cap
    return 0


cdef inline void cols_copy_row(Cols* d, size_t r, Cols* s, size_t i) noexcept nogil:
    """Row i of s into row r of d (room reserved), every column as it is; the callers then
    change what differs."""
    d.order[r] = s.order[i]
    d.count[r] = s.count[i]
    d.pages[r] = s.pages[i]
    d.block_pages[r] = s.block_pages[i]
    d.pid[r] = s.pid[i]
    d.tgid[r] = s.tgid[i]
    d.ts[r] = s.ts[i]
    d.free_ts[r] = s.free_ts[i]
    d.pfn[r] = s.pfn[i]
    d.gfp[r] = s.gfp[i]
    d.mt[r] = s.mt[i]
    d.alloc[r] = s.alloc[i]
    d.header_id[r] = s.header_id[i]
    d.stack_id[r] = s.stack_id[i]
    d.comm_id[r] = s.comm_id[i]
    d.module_id[r] = s.module_id[i]
    d.bad[r] = s.bad[i]
    d.lineno[r] = s.lineno[i]


cdef void cols_free(Cols* c) noexcept nogil:
    free(c.order); free(c.pages); free(c.count); free(c.block_pages); free(c.pid); free(c.tgid); free(c.ts); free(c.free_ts)
    free(c.pfn); free(c.gfp); free(c.mt); free(c.alloc); free(c.header_id); free(c.stack_id)
    free(c.comm_id); free(c.module_id); free(c.bad); free(c.lineno)
    memset(c, 0, sizeof(Cols))


cdef void _capsule_free(object cap) noexcept:
    free(PyCapsule_GetPointer(cap, NULL))


cdef object _adopt(void** pp, size_t n, object dtype):
    """A NumPy array that takes over the malloc'd buffer *pp (n items; *pp is set to NULL):
    the array owns its memory through a capsule that frees it; nothing is copied."""
    cdef cnp.dtype dt = np.dtype(dtype)
    cdef void* p = pp[0]
    cdef void* q
    cdef cnp.npy_intp dims = <cnp.npy_intp>n
    cdef cnp.ndarray arr
    if p == NULL or n == 0:
        return np.empty(n, dtype=dt)
    q = realloc(p, n * dt.itemsize)   # give back the unused capacity
    if q != NULL:
        p = q
    pp[0] = NULL
    arr = cnp.PyArray_SimpleNewFromData(1, &dims, dt.type_num, p)
    cnp.set_array_base(arr, PyCapsule_New(p, NULL, <PyCapsule_Destructor>_capsule_free))
    return arr


cdef class Scanner:
    """Feed it a stream; it keeps the parser state across chunks."""

    cdef Cols cols
    cdef Interner headers, stacks, comms, modules, raw_stacks
    cdef StackInfo* info                # per raw stack id
    cdef size_t ninfo, info_cap
    cdef HeaderInfo* hinfo              # per header id
    cdef HeaderInfo hinfo_tmp           # the one in use (unique_headers)
    cdef size_t nhinfo, hinfo_cap
    cdef Interner groups                # aggregate mode: GroupKey -> row
    cdef FastTable fast                 # aggregate mode: (header, raw stack, PFN verdict) -> row
    cdef bint aggregate
    cdef bint unique_headers            # -a: every header line (ts kept) stored once per row,
    cdef uint64_t* hkeys                # ... with its hash here; made unique by dedup_packed
    cdef size_t hkeys_cap
    cdef char* scratch
    cdef size_t scratch_cap
    cdef bint strip_ts
    cdef bint stale_cma, stale_slab     # from the last PFN line seen (never reset: Q18)
    cdef int64_t lineno                 # number of lines consumed so far
    cdef int64_t* lines                 # per PFN line of the current block: start offset
    cdef int64_t* line_idx              # ... and its line index within the block
    cdef char* textbuf                  # a block's text put together, when it must be
    cdef size_t text_cap
    cdef size_t lines_cap
    cdef public int64_t nul_bytes, cr_removed, nbytes, nblocks
    cdef public int64_t done_bytes      # progress of a mapped region
    cdef public bint saw_cr             # a mapped region holds CR bytes (stream it instead)
    cdef bint mapped                    # scanning a mapped region (not a cleaned stream)
    cdef Py_ssize_t last_pfn_len        # the last PFN line's length (newline not counted)
    cdef public object error            # an exception raised on a worker thread
    cdef public bint truncated

    def __cinit__(self, bint strip_ts=True, bint aggregate=False, Py_ssize_t size_hint=0):
        """size_hint: bytes this scanner will read, if known. A scan that keeps a row per
        block and the ts in the headers (-a) then sizes its tables once instead of growing
        them through a dozen rehashes."""
        cdef size_t hcap = 1 << 12, want
        self.strip_ts = strip_ts
        self.aggregate = aggregate
        # a row per block and the ts left in the header lines: (nearly) every header line is
        # new, so a lookup table would be one cache miss per block for nothing
        self.unique_headers = not strip_ts and not aggregate
        memset(&self.cols, 0, sizeof(Cols))
        if size_hint > 0 and not strip_ts and not self.unique_headers:
            want = <size_t>(size_hint // 256)      # at most ~1 block per 400 bytes, x1.6
            while hcap < want:
                hcap *= 2
        if size_hint > 0 and not aggregate and cols_reserve(&self.cols, <size_t>(size_hint // 500) + 1) != 0:
            raise MemoryError()
        if (interner_init(&self.headers, hcap) or interner_init(&self.stacks, 1 << 12) or
                interner_init(&self.comms, 1 << 10) or interner_init(&self.modules, 1 << 6) or
                interner_init(&self.raw_stacks, 1 << 12) or interner_init(&self.groups, 1 << 12) or
                fast_init(&self.fast, 1 << 12)):
            raise MemoryError()
        self.lines_cap = 256
        self.lines = <int64_t*>malloc(self.lines_cap * sizeof(int64_t))
        self.line_idx = <int64_t*>malloc(self.lines_cap * sizeof(int64_t))
        if self.lines == NULL or self.line_idx == NULL:
            raise MemoryError()

    def __dealloc__(self):
        cols_free(&self.cols)
        interner_free(&self.headers)
        interner_free(&self.stacks)
        interner_free(&self.comms)
        interner_free(&self.modules)
        interner_free(&self.raw_stacks)
        interner_free(&self.groups)
        free(self.fast.slots)
        free(self.hkeys)
        free(self.info)
        free(self.hinfo)
        free(self.scratch)
        free(self.lines)
        free(self.line_idx)
        free(self.textbuf)

    cdef int _reserve_lines(self, size_t want) noexcept nogil:
        """Room for `want` PFN lines in self.lines / self.line_idx."""
        cdef size_t cap = self.lines_cap
        cdef void* p
        while cap < want:
            cap *= 2
        if cap == self.lines_cap:
            return 0
        p = realloc(self.lines, cap * sizeof(int64_t))
        if p == NULL:
            return -1
        self.lines = <int64_t*>p
        p = realloc(self.line_idx, cap * sizeof(int64_t))
        if p == NULL:
            return -1
        self.line_idx = <int64_t*>p
        self.lines_cap = cap
        return 0

    cdef int _block(self, const unsigned char* buf, Py_ssize_t bstart, Py_ssize_t bend,
                    size_t npfn) noexcept nogil:
        """One block: lines buf[bstart:bend] (bend = its terminating empty line); the PFN lines
        among them are at self.lines[0:npfn] (line index in self.line_idx). The text is the
        other lines: usually the header line, then the PFN line, then a contiguous stack, so
        nothing is copied; any other layout is put together in a scratch buffer."""
        cdef const unsigned char* pl = NULL     # the (first) PFN line, parsed only if needed
        cdef Py_ssize_t pll = 0
        cdef uint16_t bad = 0
        cdef Py_ssize_t ls, le, hl, sstart, w
        cdef const unsigned char* nl
        cdef size_t i
        if npfn == 0:
            bad |= BAD_PFN
            nl = next_nl(buf + bstart, buf + bend)
            hl = (nl - buf + 1 - bstart) if nl != NULL else 0
            return self._fields(buf + bstart, hl, buf + bstart + hl, bend - bstart - hl,
                                buf + bstart, bad, pl, pll)
        ls = self.lines[0]
        if npfn == 1:       # its end is known already
            le = ls + self.last_pfn_len + 1
        else:
            le = <Py_ssize_t>(next_nl(buf + ls, buf + bend) - buf) + 1
        pl = buf + ls
        pll = le - ls
        if npfn == 1 and self.line_idx[0] == 1:
            # header line, PFN line, stack
            return self._fields(buf + bstart, ls - bstart, buf + le, bend - le, NULL,
                                bad, pl, pll)
        # any other layout: copy the non-PFN lines together
        if self._reserve_text(bend - bstart) != 0:
            return -1
        w = 0
        sstart = bstart
        for i in range(npfn):
            ls = self.lines[i]
            le = <Py_ssize_t>(next_nl(buf + ls, buf + bend) - buf) + 1
            memcpy(self.textbuf + w, buf + sstart, ls - sstart)
            w += ls - sstart
            sstart = le
        memcpy(self.textbuf + w, buf + sstart, bend - sstart)
        w += bend - sstart
        nl = next_nl(<const unsigned char*>self.textbuf, <const unsigned char*>self.textbuf + w)
        hl = (<const unsigned char*>nl - <const unsigned char*>self.textbuf + 1) if nl != NULL else 0
        return self._fields(<const unsigned char*>self.textbuf, hl,
                            <const unsigned char*>self.textbuf + hl, w - hl,
                            <const unsigned char*>self.textbuf, bad, pl, pll)

    cdef int32_t _add_header(self, const unsigned char* h, Py_ssize_t hl, uint64_t key) noexcept nogil:
        """unique_headers: the header line as a new id, with its key kept for dedup_packed
        (any function of the line's bytes: equal lines must get equal keys)."""
        cdef int32_t hid = interner_append(&self.headers, <const char*>h, hl)
        if hid < 0:
            return hid
        if grow(<void**>&self.hkeys, &self.hkeys_cap, hid + 1, sizeof(uint64_t), 65536) != 0:
            return -2
        self.hkeys[hid] = key
        return hid

    cdef int _reserve_text(self, size_t want) noexcept nogil:
        return grow(<void**>&self.textbuf, &self.text_cap, want, 1, 65536)

    cdef const unsigned char* _contiguous(self, const unsigned char* h, Py_ssize_t hl,
                                          const unsigned char* s, Py_ssize_t sn) noexcept nogil:
        """The text h[0:hl] + s[0:sn] in one piece (a copy unless it already is)."""
        if h + hl == s:
            return h
        if self._reserve_text(hl + sn) != 0:
            return NULL
        memcpy(self.textbuf, h, hl)
        memcpy(self.textbuf + hl, s, sn)
        return <const unsigned char*>self.textbuf

    cdef StackInfo* _stack_info(self, const unsigned char* s, Py_ssize_t sn) noexcept nogil:
        """Per distinct raw stack: every match that starts inside it, computed once."""
        cdef int32_t rid = intern(&self.raw_stacks, <const char*>s, sn)
        cdef StackInfo* si
        cdef Py_ssize_t k, cs, ce
        if rid < 0:
            return NULL
        if <size_t>rid < self.ninfo:
            return &self.info[rid]
        if grow(<void**>&self.info, &self.info_cap, rid + 1, sizeof(StackInfo), 1024) != 0:
            return NULL
        si = &self.info[rid]
        self.ninfo = rid + 1
        si.out_id = -1
        si.out_stripped_id = -1
        si.r_order = field_num(s, sn, sn, b"order", 5, 44, LONG_MAX, &si.v_order, &cs, &ce)
        si.r_pid = field_num(s, sn, sn, b"pid", 3, 44, LONG_MAX, &si.v_pid, &cs, &ce)
        si.r_tgid = field_num(s, sn, sn, b"tgid", 4, 32, LONG_MAX, &si.v_tgid, &cs, &ce)
        si.r_ts = field_num(s, sn, sn, b"ts", 2, 110, U64_MAX, &si.v_ts, &si.ts_cs, &si.ts_ce)
        si.r_free_ts = field_num(s, sn, sn, b"free_ts", 7, 110, U64_MAX, &si.v_free_ts, &cs, &ce)
        si.r_gfp = match_mask(s, sn, sn, &si.v_gfp)
        if match_comm(s, sn, sn, &si.comm_cs, &si.comm_ce) < 0:
            si.comm_cs = -1
        if match_module(s, sn, &si.mod_cs, &si.mod_ce) < 0:
            si.mod_cs = -1
        k = 0
        while k < sn and is_space(s[k]):
            k += 1
        si.lead_bracket = k < sn and s[k] == 91
        si.vm_line = vmalloc_in_stack(s, sn, &si.vm_hit)
        return si

    cdef int32_t _out_stack(self, StackInfo* si, const unsigned char* s, Py_ssize_t sn,
                            bint stripped) noexcept nogil:
        """Id in the output stack table of the raw stack, or of it with its ts digits cut."""
        cdef char* tmp
        if not stripped:
            if si.out_id < 0:
                si.out_id = intern(&self.stacks, <const char*>s, sn)
            return si.out_id
        if si.out_stripped_id < 0:
            tmp = <char*>malloc(sn + 1)
            if tmp == NULL:
                return -2
            memcpy(tmp, s, si.ts_cs)
            memcpy(tmp + si.ts_cs, s + si.ts_ce, sn - si.ts_ce)
            si.out_stripped_id = intern(&self.stacks, tmp, sn - (si.ts_ce - si.ts_cs))
            free(tmp)
        return si.out_stripped_id

    cdef HeaderInfo* _header_info(self, int32_t hid, const unsigned char* h, Py_ssize_t hl) noexcept nogil:
        """Per distinct (ts-stripped) header line: the allocator hints it holds."""
        cdef HeaderInfo* hi
        if self.unique_headers:    # every id is new: nothing to keep
            hi = &self.hinfo_tmp
        elif <size_t>hid < self.nhinfo:
            return &self.hinfo[hid]
        elif grow(<void**>&self.hinfo, &self.hinfo_cap, hid + 1, sizeof(HeaderInfo), 1024) != 0:
            return NULL
        else:
            hi = &self.hinfo[hid]
            self.nhinfo = hid + 1
        # cutting ts digits can neither make nor break these (digits sit between `ts` and `ns`)
        hi.has_vm = find_vm(h, hl) >= 0
        hi.has_ap = find(h, 0, hl, b"alloc_pages", 11) >= 0
        return hi

    cdef int _fields(self, const unsigned char* h, Py_ssize_t hl, const unsigned char* s,
                     Py_ssize_t sn, const unsigned char* t, uint16_t bad,
                     const unsigned char* pl, Py_ssize_t pll) noexcept nogil:
        """One block's text = header line h[0:hl] + stack s[0:sn]; `t` is the text in one
        piece, or NULL when the two parts are apart (then it is put together only if a match
        may cross from one into the other, or when a new row is parsed). Cut the ts digits,
        intern the header line and the stack, classify the allocator; then either parse every
        field into a new row, or (aggregate mode) add the block to the row of its twins.

        A match that starts in the header line is searched here; one that starts in the stack
        comes from the stack's cached StackInfo (the same stack repeats thousands of times)."""
        cdef Py_ssize_t n = hl + sn
        cdef int64_t lineno = self.lineno + 1
        cdef h128 fk, h1, h2
        cdef bint fast_ok = False
        cdef Py_ssize_t fcs = -1, fce = -1
        cdef uint64_t fv = 0
        cdef int fr
        cdef int32_t fg
        cdef uint64_t hkey = 0          # unique_headers: the header line's key ...
        cdef bint have_hkey = False     # ... when it comes from hashes computed anyway
        if self.aggregate or self.strip_ts or self.unique_headers:
            # shortcut: a block whose header line (ts digits cut), raw stack and PFN verdict
            # were all seen together before belongs to the same row (aggregate), or has the
            # same fields as that row but for ts, the PFN line, the line number and (-a) the
            # header line
            fr = ts_in_header(h, hl, &fv, &fcs, &fce)
            if fr != 2:
                fast_ok = True
                if (self.strip_ts or self.unique_headers) and fr >= 0 and fce > fcs:
                    if <size_t>hl > self.scratch_cap and self._grow_scratch(hl) != 0:
                        return -1
                    memcpy(self.scratch, h, fcs)
                    memcpy(self.scratch + fcs, h + fce, hl - fce)
                    h1 = _hash(self.scratch, hl - (fce - fcs))
                else:
                    h1 = _hash(<const char*>h, hl)
                h2 = _hash(<const char*>s, sn)
                if self.unique_headers and fr <= 0:
                    # the header line = its cut version (h1) + digits at fcs that spell fv
                    # (decimal digits of a given length and value are those digits)
                    have_hkey = True
                    hkey = h1.lo
                    if fr == 0:
                        hkey ^= _mix(fv ^ 0x9E3779B97F4A7C15ULL,
                                     ((<uint64_t>fcs << 32) | <uint64_t>(fce - fcs)) ^ 0xC2B2AE3D27D4EB4FULL)
                fk.lo = h1.lo ^ _mix(h2.lo ^ 0x9E3779B97F4A7C15ULL, 0xA0761D6478BD642FULL) ^ (
                    <uint64_t>self.stale_cma | (<uint64_t>self.stale_slab << 1))
                fk.hi = h1.hi ^ _mix(h2.hi ^ 0xC2B2AE3D27D4EB4FULL, 0xE7037ED1A0B428DBULL)
                if fr >= 0:
                    # only header lines of the same shape share a key: the same cut text with
                    # as many digits at the same place (cutting "0" from "free_ts 0 ns" leaves
                    # the text of "free_ts  ns", whose fields differ)
                    fk.hi ^= _mix(((<uint64_t>fcs << 32) | <uint64_t>(fce - fcs)) ^ 0x8EBC6AF09C88C6E3ULL,
                                  0x589965CC75374CC3ULL)
                fg = fast_get(&self.fast, fk)
                if fg >= 0:
                    if self.aggregate:
                        self.cols.count[fg] += 1
                        self.cols.pages[fg] += self.cols.block_pages[fg]
                        return 0
                    if self._copy_row(fg, fr, fv, bad, pl, pll, lineno) != 0:
                        return -1
                    if self.unique_headers:
                        fg = self._add_header(h, hl, hkey if have_hkey else
                                              _hash(<const char*>h, hl).lo)
                        if fg < 0:
                            return -1
                        self.cols.header_id[self.cols.n - 1] = fg
                    return 0
        cdef StackInfo* si = self._stack_info(s, sn)
        cdef HeaderInfo* hi
        cdef Py_ssize_t cs = 0, ce = 0, tcs = -1, tce = -1
        cdef uint64_t tsv = 0
        cdef int rts
        cdef int ts_where = 0      # 0: none, 1: match starts in the header line, 2: in the stack
        cdef int32_t sid, hid, g
        cdef uint8_t alloc = 0
        cdef char* tmp
        cdef GroupKey key
        cdef bint stripped_stack = False
        if si == NULL:
            return -1
        # ts: its capture is cut from the collation text
        if t == NULL:
            rts = ts_in_header(h, hl, &tsv, &tcs, &tce)
            if rts == 2:
                t = self._contiguous(h, hl, s, sn)
                if t == NULL:
                    return -1
        if t != NULL:
            rts = field_num(t, n, hl, b"ts", 2, 110, U64_MAX, &tsv, &tcs, &tce)
        if rts >= 0:
            ts_where = 1
        else:
            rts = si.r_ts
            tsv = si.v_ts
            tcs = tce = -1
            if rts >= 0:
                ts_where = 2
                tcs = hl + si.ts_cs
                tce = hl + si.ts_ce
        if self.strip_ts and tce > tcs:
            if tce <= hl:            # the usual case: in the header line
                if <size_t>hl > self.scratch_cap and self._grow_scratch(hl) != 0:
                    return -1
                memcpy(self.scratch, h, tcs)
                memcpy(self.scratch + tcs, h + tce, hl - tce)
                hid = intern(&self.headers, self.scratch, hl - (tce - tcs))
                sid = self._out_stack(si, s, sn, False)
            elif ts_where == 2:
                hid = intern(&self.headers, <const char*>h, hl)
                sid = self._out_stack(si, s, sn, True)
                stripped_stack = True
            else:                    # a header match whose digits sit on the next line
                t = self._contiguous(h, hl, s, sn)
                tmp = <char*>malloc(n) if t != NULL else NULL
                if tmp == NULL:
                    return -1
                memcpy(tmp, t, tcs)
                memcpy(tmp + tcs, t + tce, n - tce)
                hid = intern(&self.headers, tmp, hl)
                sid = intern(&self.stacks, tmp + hl, sn - (tce - tcs))
                free(tmp)
                stripped_stack = True
        else:
            if self.unique_headers:
                hid = self._add_header(h, hl, hkey if have_hkey else _hash(<const char*>h, hl).lo)
            else:
                hid = intern(&self.headers, <const char*>h, hl)
            sid = self._out_stack(si, s, sn, False)
        if hid < 0 or sid < 0:
            return -1
        hi = self._header_info(hid, h, hl)
        if hi == NULL:
            return -1
        # allocator (spec §3.5): stale PFN line + the VMALLOC heuristic
        if self.stale_cma:
            alloc |= ALLOC_CMA
        if self.stale_slab:
            alloc |= ALLOC_SLAB
        if si.vm_line >= 0 and not hi.has_vm:
            if si.vm_line == 0:
                if si.vm_hit or hi.has_ap:
                    alloc |= ALLOC_VMALLOC
            elif si.vm_hit:
                alloc |= ALLOC_VMALLOC
        if alloc == 0:
            alloc = ALLOC_OTHERS
        if not self.aggregate:
            if t == NULL:
                t = self._contiguous(h, hl, s, sn)
                if t == NULL:
                    return -1
            if self._row(t, n, hl, t + hl, sn, si, hi, bad, pl, pll, lineno, hid, sid,
                         alloc, rts, tsv, tcs, tce) != 0:
                return -1
            if (fast_ok and not stripped_stack and not _digits_sensitive(t, n, hl, tcs, tce) and
                    fast_put(&self.fast, fk, <int32_t>(self.cols.n - 1)) != 0):
                return -1
            return 0
        # aggregate mode: blocks with the same collation text and allocator are one row, and
        # so are their fields -- unless cutting the ts digits hid a difference in another
        # field (a comm or free_ts overlapping them): then the digits, and where they were,
        # are part of the key (this block's own digits decide: blocks with the same cut text
        # may have had their digits elsewhere)
        if t == NULL and tce > tcs and tce <= hl:
            t = self._contiguous(h, hl, s, sn)
            if t == NULL:
                return -1
        memset(&key, 0, sizeof(GroupKey))
        key.hid = hid
        key.sid = sid
        key.alloc = alloc
        if self.strip_ts and tce > tcs and (stripped_stack or _digits_sensitive(t, n, hl, tcs, tce)):
            if t == NULL:
                t = self._contiguous(h, hl, s, sn)
                if t == NULL:
                    return -1
            key.digits = _hash(<const char*>t + tcs, tce - tcs).lo ^ _mix(
                ((<uint64_t>tcs << 32) | <uint64_t>(tce - tcs)) ^ 0x8EBC6AF09C88C6E3ULL,
                0x589965CC75374CC3ULL)
            key.has_digits = 1
        g = intern(&self.groups, <const char*>&key, sizeof(GroupKey))
        if g < 0:
            return -1
        if fast_ok and not key.has_digits and not stripped_stack:
            if fast_put(&self.fast, fk, g) != 0:
                return -1
        if <size_t>g < self.cols.n:
            self.cols.count[g] += 1
            self.cols.pages[g] += self.cols.block_pages[g]
            return 0
        if t == NULL:
            t = self._contiguous(h, hl, s, sn)
            if t == NULL:
                return -1
        return self._row(t, n, hl, t + hl, sn, si, hi, bad, pl, pll, lineno, hid, sid, alloc,
                         rts, tsv, tcs, tce)

    cdef int _copy_row(self, int32_t src, int fr, uint64_t ts, uint16_t bad,
                       const unsigned char* pl, Py_ssize_t pll,
                       int64_t lineno) noexcept nogil:
        """A new row with the fields of row `src` (same header, stack and PFN verdict) but
        this block's own ts (fr: ts_in_header's result), PFN line and line number."""
        cdef Cols* c = &self.cols
        cdef size_t r = c.n
        cdef uint16_t b = c.bad[src] & ~(BAD_PFN | BAD_TS)
        if cols_reserve(c, r + 1) != 0:
            return -1
        cols_copy_row(c, r, c, src)
        c.count[r] = 1
        c.pages[r] = c.block_pages[src]
        if fr == 0:
            c.ts[r] = ts
        elif fr == 1:
            c.ts[r] = U64_MAX
            b |= BAD_TS
        else:                   # no ts in the header line: the stack's, as in row src
            b |= c.bad[src] & BAD_TS
        pfn_fields(pl, pll, &c.pfn[r], &c.mt[r])
        c.bad[r] = b | (bad & BAD_PFN)
        c.lineno[r] = lineno
        c.n = r + 1
        return 0

    cdef int _grow_scratch(self, size_t want) noexcept nogil:
        return grow(<void**>&self.scratch, &self.scratch_cap, want, 1, 4096)

    cdef int _row(self, const unsigned char* t, Py_ssize_t n, Py_ssize_t hl,
                  const unsigned char* s, Py_ssize_t sn, StackInfo* si, HeaderInfo* hi,
                  uint16_t bad, const unsigned char* pl, Py_ssize_t pll, int64_t lineno,
                  int32_t hid, int32_t sid,
                  uint8_t alloc, int rts, uint64_t tsv, Py_ssize_t tcs, Py_ssize_t tce) noexcept nogil:
        """Parse every field of the (unstripped) text into a new row."""
        cdef Py_ssize_t cs = 0, ce = 0, ccs = -1, cce = -1
        cdef uint64_t v = 0
        cdef int r
        cdef size_t row = self.cols.n
        cdef Cols* c = &self.cols
        cdef int32_t cid, mid
        if cols_reserve(c, row + 1) != 0:
            return -1
        # order
        r = or_stack(field_num(t, n, hl, b"order", 5, 44, LONG_MAX, &v, &cs, &ce), &v,
                     si.r_order, si.v_order)
        if r == 0 and v <= 64:
            c.order[row] = <int16_t>v
            if v <= 62:
                c.block_pages[row] = (<int64_t>1) << v
            else:
                c.block_pages[row] = 0
                bad |= BAD_ORDER_RANGE
        else:
            c.order[row] = -1
            c.block_pages[row] = 0
            bad |= BAD_ORDER
        c.pages[row] = c.block_pages[row]
        c.count[row] = 1
        # pid, tgid
        r = or_stack(field_num(t, n, hl, b"pid", 3, 44, LONG_MAX, &v, &cs, &ce), &v,
                     si.r_pid, si.v_pid)
        if r == 0:
            c.pid[row] = <int32_t>v
        else:
            c.pid[row] = -1
            bad |= BAD_PID
        r = or_stack(field_num(t, n, hl, b"tgid", 4, 32, LONG_MAX, &v, &cs, &ce), &v,
                     si.r_tgid, si.v_tgid)
        if r == 0:
            c.tgid[row] = <int32_t>v
        else:
            c.tgid[row] = -1
            bad |= BAD_TGID
        if rts == 0:
            c.ts[row] = tsv
        else:
            c.ts[row] = U64_MAX
            bad |= BAD_TS
        r = or_stack(field_num(t, n, hl, b"free_ts", 7, 110, U64_MAX, &v, &cs, &ce), &v,
                     si.r_free_ts, si.v_free_ts)
        if r == 0:
            c.free_ts[row] = v
        else:
            c.free_ts[row] = U64_MAX
            bad |= BAD_FREE_TS
        r = or_stack(match_mask(t, n, hl, &v), &v, si.r_gfp, si.v_gfp)
        if r == 0:
            c.gfp[row] = v
        else:
            c.gfp[row] = 0
            bad |= BAD_MASK
        # comm
        if match_comm(t, n, hl, &ccs, &cce) >= 0:
            cid = intern(&self.comms, <const char*>t + ccs, cce - ccs)
        elif si.comm_cs >= 0:
            cid = intern(&self.comms, <const char*>s + si.comm_cs, si.comm_ce - si.comm_cs)
            ccs = cce = -1
        else:
            ccs = cce = -1
            bad |= BAD_COMM
            cid = intern(&self.comms, b"", 0)
        # module: a `[` in line 0, else the stack's; a stack that starts with `[` could
        # complete a match begun in line 0, so that rare case is searched whole
        if si.lead_bracket:
            r = match_module(t, n, &cs, &ce) >= 0
        else:
            r = match_module(t, hl, &cs, &ce) >= 0
            if not r and si.mod_cs >= 0:
                cs = hl + si.mod_cs
                ce = hl + si.mod_ce
                r = 1
        if r:
            if ce - cs > MODULE_NAME_LEN - 1:
                ce = cs + MODULE_NAME_LEN - 1
            mid = intern(&self.modules, <const char*>t + cs, ce - cs)
        else:
            mid = intern(&self.modules, b"vmlinux", 7)
        if cid < 0 or mid < 0:
            return -1
        pfn_fields(pl, pll, &c.pfn[row], &c.mt[row])
        c.alloc[row] = alloc
        c.header_id[row] = hid
        c.stack_id[row] = sid
        c.comm_id[row] = cid
        c.module_id[row] = mid
        c.bad[row] = bad
        c.lineno[row] = lineno
        c.n = row + 1
        return 0

    cdef Py_ssize_t _scan(self, const unsigned char* buf, Py_ssize_t end, bint eof) except -2 nogil:
        """Process every complete block in buf[0:end] (never written to); return where the
        unprocessed tail starts. At eof the tail (if any) has been completed by the caller."""
        cdef Py_ssize_t pos = 0, bstart, bend, ls
        cdef const unsigned char* nl
        cdef size_t npfn
        cdef int64_t nlines, nul
        cdef int cr, cma, slab
        while pos < end:
            bstart = pos
            bend = g_block_end(buf, bstart, end, self.lines, self.line_idx, self.lines_cap,
                               &npfn, &nlines, &nul, &cr)
            if bend < 0:
                return bstart              # need more data
            if npfn > self.lines_cap:      # more PFN lines than ever before: room, then again
                if self._reserve_lines(npfn) != 0:
                    raise MemoryError()
                bend = g_block_end(buf, bstart, end, self.lines, self.line_idx, self.lines_cap,
                                   &npfn, &nlines, &nul, &cr)
            if self.mapped:
                # a stream was cleaned (CRLF -> LF, NULs counted) before it got here; a mapped
                # input is checked here, in the same pass: a CR sends it back to be streamed
                if cr:
                    self.saw_cr = True
                    return bstart
                self.nul_bytes += nul
            if npfn:
                # the allocator verdict of a block comes from the last PFN line read (Q18)
                ls = self.lines[npfn - 1]
                self.last_pfn_len = pfn_line_scan(buf + ls, buf + bend, &cma, &slab)
                self.stale_cma = cma
                self.stale_slab = slab
            if self._block(buf, bstart, bend, npfn) != 0:
                raise MemoryError()
            self.nblocks += 1
            self.lineno += nlines + 1
            pos = bend + 1
        return pos

    def feed_stream(self, f, progress=None):
        """Read `f` to its end in ~1 MiB chunks through one reused buffer."""
        cdef Py_ssize_t cap = 4 * READ_CHUNK, have = 0, got, tail, i, w, start
        cdef bytearray ba = bytearray(cap)
        cdef unsigned char* buf = <unsigned char*>(<char*>ba)
        cdef object mv = memoryview(ba)
        cdef bint can_readinto = hasattr(f, "readinto")
        cdef const unsigned char* p
        cdef bytes chunk
        cdef bytearray nb
        while True:
            if cap - have < READ_CHUNK:
                # the unprocessed tail is one huge block: grow the buffer
                nb = bytearray(cap * 2)
                memcpy(<char*>nb, buf, have)
                ba = nb
                cap *= 2
                buf = <unsigned char*>(<char*>ba)
                mv = memoryview(ba)
            if can_readinto:
                got = f.readinto(mv[have:have + READ_CHUNK])
                if got is None:
                    got = 0
            else:
                chunk = f.read(READ_CHUNK)
                got = len(chunk)
                memcpy(buf + have, <const char*>chunk, got)
            if got == 0:
                break
            self.nbytes += got
            if progress is not None:
                progress(got)
            with nogil:
                # NUL bytes are data; count them for the warning
                i = have
                while i < have + got:
                    p = <const unsigned char*>memchr(buf + i, 0, have + got - i)
                    if p == NULL:
                        break
                    self.nul_bytes += 1
                    i = p - buf + 1
                # CRLF -> LF, including a CR left at the end of the previous chunk
                start = have - 1 if have > 0 else 0
                if memchr(buf + start, 13, have + got - start) != NULL:
                    w = start
                    i = start
                    while i < have + got:
                        if buf[i] == 13 and i + 1 < have + got and buf[i + 1] == 10:
                            self.cr_removed += 1
                        else:
                            buf[w] = buf[i]
                            w += 1
                        i += 1
                    got = w - have
                have += got
                tail = self._scan(buf, have, False)
                if tail > 0:
                    memmove(buf, buf + tail, have - tail)
                    have -= tail
        if have > 0:
            # the input ends inside a block: complete it (deliberate difference 1)
            if cap - have < 2:
                nb = bytearray(cap + 2)
                memcpy(<char*>nb, buf, have)
                ba = nb
                buf = <unsigned char*>(<char*>ba)
            if buf[have - 1] != 10:
                buf[have] = 10
                have += 1
            buf[have] = 10
            have += 1
            self.truncated = True
            self._scan(buf, have, True)
        return self

    cdef int _region(self, const unsigned char* buf, Py_ssize_t size, bint last,
                     bint release) except -1 nogil:
        """Scan buf[0:size], a part of a mapped file that starts at a block start; the last
        part may end inside a block, which is then completed like a stream's."""
        cdef Py_ssize_t i = 0, tail, j
        cdef const unsigned char* p
        cdef char* tmp
        cdef Py_ssize_t m
        self.mapped = True      # _scan counts NUL bytes and looks for CR bytes
        while i < size:   # in slices: progress can be shown, and pages are let go of behind us
            m = size - i if size - i < 16 * READ_CHUNK else 16 * READ_CHUNK
            tail = self._scan(buf + i, m, False)
            if self.saw_cr:     # CR bytes send the whole input back to be streamed (CRLF -> LF)
                return 0
            if tail == 0 and m < size - i:   # a block longer than a slice
                m = size - i
                tail = self._scan(buf + i, m, False)
                if self.saw_cr:
                    return 0
            if tail == 0:
                break
            if release:
                release_pages(buf + i, tail)
            i += tail
            self.done_bytes = i
        self.nbytes += size
        if i < size:
            if not last:
                with gil:
                    raise RuntimeError("internal error: a region does not end at a block start")
            # the input ends inside a block: complete it (deliberate difference 1)
            m = size - i
            tmp = <char*>malloc(m + 2)
            if tmp == NULL:
                with gil:
                    raise MemoryError()
            memcpy(tmp, buf + i, m)
            if tmp[m - 1] != 10:
                tmp[m] = 10
                m += 1
            tmp[m] = 10
            m += 1
            self.truncated = True
            self._scan(<const unsigned char*>tmp, m, True)
            free(tmp)
        self.done_bytes = size
        return 0

    cdef int _merge(self, Scanner o) except -1:
        """Append the rows of `o` (which scanned the next part of the same input) to ours,
        re-interning its values; aggregate rows that exist here already are added up."""
        cdef cnp.ndarray hmap = (self._append_headers(o) if self.unique_headers else
                                 _remap(&o.headers, &self.headers))
        cdef cnp.ndarray smap = _remap(&o.stacks, &self.stacks)
        cdef cnp.ndarray cmap = _remap(&o.comms, &self.comms)
        cdef cnp.ndarray mmap_ = _remap(&o.modules, &self.modules)
        cdef int32_t[::1] hm = hmap, sm = smap, cm = cmap, mm = mmap_
        cdef Cols* a = &self.cols
        cdef Cols* b = &o.cols
        cdef size_t i, r
        cdef int32_t g
        cdef GroupKey key
        cdef int64_t line_off = self.lineno
        for i in range(b.n):
            if self.aggregate:
                memcpy(&key, o.groups.arena + o.groups.offs[i], sizeof(GroupKey))
                key.hid = hm[key.hid]
                key.sid = sm[key.sid]
                g = intern(&self.groups, <const char*>&key, sizeof(GroupKey))
                if g < 0:
                    raise MemoryError()
                if <size_t>g < a.n:
                    a.count[g] += b.count[i]
                    a.pages[g] += b.pages[i]
                    continue
            if cols_reserve(a, a.n + 1) != 0:
                raise MemoryError()
            r = a.n
            cols_copy_row(a, r, b, i)
            a.header_id[r] = hm[b.header_id[i]]
            a.stack_id[r] = sm[b.stack_id[i]]
            a.comm_id[r] = cm[b.comm_id[i]]
            a.module_id[r] = mm[b.module_id[i]]
            a.lineno[r] = b.lineno[i] + line_off
            a.n = r + 1
        self.lineno += o.lineno
        self.nblocks += o.nblocks
        self.nul_bytes += o.nul_bytes
        self.nbytes += o.nbytes
        self.truncated = o.truncated
        self.stale_cma = o.stale_cma
        self.stale_slab = o.stale_slab
        return 0

    cdef cnp.ndarray _append_headers(self, Scanner o):
        """unique_headers: o's header lines (and their keys) appended to ours as they are, in
        one copy (ids shifted)."""
        cdef size_t base = self.headers.n
        if (interner_extend(&self.headers, &o.headers) != 0 or
                grow(<void**>&self.hkeys, &self.hkeys_cap, self.headers.n, sizeof(uint64_t),
                     65536) != 0):
            raise MemoryError()
        if o.headers.n:
            memcpy(self.hkeys + base, o.hkeys, o.headers.n * sizeof(uint64_t))
        return np.arange(base, base + o.headers.n, dtype=np.int32)

    def result(self):
        cdef Cols* c = &self.cols
        cdef size_t n = c.n
        cdef size_t nh = self.headers.n
        columns = {
            "order": _adopt(<void**>&c.order, n, np.int16),
            "pages": _adopt(<void**>&c.pages, n, np.int64),
            "count": _adopt(<void**>&c.count, n, np.int64),
            "pid": _adopt(<void**>&c.pid, n, np.int32),
            "tgid": _adopt(<void**>&c.tgid, n, np.int32),
            "ts_ns": _adopt(<void**>&c.ts, n, np.uint64),
            "free_ts_ns": _adopt(<void**>&c.free_ts, n, np.uint64),
            "pfn": _adopt(<void**>&c.pfn, n, np.int64),
            "gfp_mask": _adopt(<void**>&c.gfp, n, np.uint64),
            "migratetype": _adopt(<void**>&c.mt, n, np.int8),
            "allocator": _adopt(<void**>&c.alloc, n, np.uint8),
            "header_id": _adopt(<void**>&c.header_id, n, np.int32),
            "stack_id": _adopt(<void**>&c.stack_id, n, np.int32),
            "comm_id": _adopt(<void**>&c.comm_id, n, np.int32),
            "module_id": _adopt(<void**>&c.module_id, n, np.int32),
            "bad": _adopt(<void**>&c.bad, n, np.uint16),
            "lineno": _adopt(<void**>&c.lineno, n, np.int64),
        }
        # the columns now own their buffers; what is left here is freed by __dealloc__
        cols_free(c)
        headers = interner_to_packed(&self.headers)
        if self.unique_headers:
            hkeys = _adopt(<void**>&self.hkeys, nh, np.uint64)
            arena, offs, remap = dedup_packed(headers[0], headers[1], hkeys)
            headers = (arena, offs)
            if remap is not None:
                columns["header_id"] = remap[columns["header_id"]]
        tables = {
            "headers": headers,
            "stacks": interner_to_packed(&self.stacks),
            "comms": interner_to_list(&self.comms),
            "modules": interner_to_list(&self.modules),
        }
        stats = {"blocks": int(self.nblocks), "nul_bytes": int(self.nul_bytes),
                 "cr_removed": int(self.cr_removed), "truncated": bool(self.truncated),
                 "bytes": int(self.nbytes)}
        return columns, tables, stats


def dedup_packed(arena, offs, keys):
    """Make the values of a packed table unique: value i is arena[offs[i]:offs[i+1]] and
    keys[i] its hash. Returns (arena, offs, remap): remap[old id] = new id, ids in order of
    first appearance; remap is None (and the table returned as it is) when no two keys are
    equal, which a sort of the keys tells without touching the values."""
    cdef Py_ssize_t n = len(keys)
    if n < 2:
        return arena, offs, None
    srt = np.sort(keys)
    if not (srt[1:] == srt[:n - 1]).any():
        return arena, offs, None
    order = np.ascontiguousarray(np.argsort(keys, kind="stable"), dtype=np.int64)
    canon = _canon_ids(arena, offs, keys, order)
    keep = canon == np.arange(n, dtype=np.int64)
    newid = np.cumsum(keep) - 1
    remap = newid[canon].astype(np.int32)
    ids = np.flatnonzero(keep).astype(np.int64)
    lens = (offs[1:] - offs[:n])[ids]
    noffs = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(lens, out=noffs[1:])
    narena = np.empty(int(noffs[len(ids)]), dtype=np.uint8)
    _gather(arena, offs, ids, narena, noffs)
    return narena, noffs, remap


cdef cnp.ndarray _canon_ids(const uint8_t[::1] arena, const int64_t[::1] offs,
                            const uint64_t[::1] keys, const int64_t[::1] order):
    """canon[i] = the smallest id whose value equals value i. `order` sorts the keys
    stably, so a run of equal keys lists its ids in ascending order; within a run each
    value is compared with the run's distinct values so far (more than one only on a hash
    collision)."""
    cdef Py_ssize_t n = keys.shape[0], a = 0, b, j, r, i, k
    cdef cnp.ndarray out = np.arange(n, dtype=np.int64)
    cdef int64_t[::1] canon = out
    cdef list reps
    cdef const uint8_t* base = &arena[0] if arena.shape[0] else NULL
    while a < n:
        b = a + 1
        while b < n and keys[order[b]] == keys[order[a]]:
            b += 1
        if b - a > 1:
            reps = [order[a]]
            for j in range(a + 1, b):
                i = order[j]
                for r in reps:
                    k = r
                    if (offs[i + 1] - offs[i] == offs[k + 1] - offs[k] and
                            memcmp(base + offs[i], base + offs[k], offs[i + 1] - offs[i]) == 0):
                        canon[i] = k
                        break
                else:
                    reps.append(i)
        a = b
    return out


cdef void _gather(const uint8_t[::1] arena, const int64_t[::1] offs, const int64_t[::1] ids,
                  uint8_t[::1] out, const int64_t[::1] noffs) noexcept:
    cdef Py_ssize_t j
    for j in range(ids.shape[0]):
        if noffs[j + 1] > noffs[j]:
            memcpy(&out[noffs[j]], &arena[offs[ids[j]]], noffs[j + 1] - noffs[j])


cdef cnp.ndarray _remap(Interner* src, Interner* dst):
    """ids of src's values in dst (interning the new ones)."""
    cdef cnp.ndarray out = np.empty(src.n, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef size_t i
    cdef int32_t v
    for i in range(src.n):
        v = intern(dst, src.arena + src.offs[i], src.offs[i + 1] - src.offs[i])
        if v < 0:
            raise MemoryError()
        o[i] = v
    return out


cdef Py_ssize_t _block_start_after(const unsigned char* buf, Py_ssize_t size, Py_ssize_t at) noexcept nogil:
    """The first block start at or after `at` (just after an empty line), or -1."""
    cdef const unsigned char* p
    cdef Py_ssize_t i = at - 1 if at > 0 else 0
    while i + 1 < size:
        p = <const unsigned char*>memchr(buf + i, 10, size - i - 1)
        if p == NULL:
            return -1
        i = p - buf
        if buf[i + 1] == 10:
            return i + 2
        i += 1
    return -1


cdef void _stale_before(const unsigned char* buf, Py_ssize_t at, bint* cma, bint* slab) noexcept nogil:
    """CMA/slab verdict of the last PFN line that starts before `at`, a block start (none:
    both false)."""
    cdef Py_ssize_t i = at - 1
    cdef int c = 0, sl = 0
    cma[0] = False
    slab[0] = False
    while i >= 0:
        if buf[i] == 80 and (i == 0 or buf[i - 1] == 10) and i + 2 < at and buf[i + 1] == 70 and buf[i + 2] == 78:
            # `at` follows an empty line, so this line's newline comes before it
            pfn_line_scan(buf + i, buf + at, &c, &sl)
            cma[0] = c != 0
            slab[0] = sl != 0
            return
        i -= 1


cdef extern from *:
    """
    /* A mapped input that shrinks while we read it (the file was truncated or rewritten)
       raises SIGBUS on the vanished pages. While a thread scans a mapping, a SIGBUS on it
       jumps back to pof_guarded(), which reports it; any other SIGBUS keeps its old
       disposition. */
    #include <string.h>
    typedef int (*pof_fn)(void*);
    #if (defined(__unix__) || defined(__APPLE__)) && !defined(__EMSCRIPTEN__)
    #include <setjmp.h>
    #include <signal.h>
    static __thread sigjmp_buf* pof_jmp = NULL;
    static struct sigaction pof_old_bus;
    static int pof_bus_installed = 0;
    static void pof_on_sigbus(int sig, siginfo_t* info, void* ctx) {
        (void)info; (void)ctx;
        if (pof_jmp)
            siglongjmp(*pof_jmp, 1);
        sigaction(sig, &pof_old_bus, NULL);
        raise(sig);
    }
    static void pof_install_sigbus(void) {
        struct sigaction sa;
        if (pof_bus_installed)
            return;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = pof_on_sigbus;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGBUS, &sa, &pof_old_bus) == 0)
            pof_bus_installed = 1;
    }
    static int pof_guarded(pof_fn fn, void* arg) {
        sigjmp_buf jb;
        sigjmp_buf* volatile prev = pof_jmp;
        int r;
        if (sigsetjmp(jb, 1)) {
            pof_jmp = prev;
            return -99;
        }
        pof_jmp = &jb;
        r = fn(arg);
        pof_jmp = prev;
        return r;
    }
    #else
    static void pof_install_sigbus(void) {}
    static int pof_guarded(pof_fn fn, void* arg) { return fn(arg); }
    #endif
    """
    ctypedef int (*pof_fn)(void*) noexcept nogil
    void install_sigbus "pof_install_sigbus"() noexcept nogil
    int guarded "pof_guarded"(pof_fn fn, void* arg) noexcept nogil


ctypedef struct RegionArgs:
    void* sc
    const unsigned char* buf
    Py_ssize_t size
    bint last
    bint release


cdef int _region_cb(void* p) except -1 nogil:
    cdef RegionArgs* a = <RegionArgs*>p
    return (<Scanner>a.sc)._region(a.buf, a.size, a.last, a.release)


cdef int _propagate() except -1:
    return -1       # the exception set on this thread by _region_cb goes up from here


ctypedef struct SplitArgs:
    const unsigned char* buf
    Py_ssize_t size
    int parts                   # asked for; set to the number found
    Py_ssize_t starts[64]
    bint cma[64]
    bint slab[64]


cdef int _split_cb(void* p) noexcept nogil:
    """Cut buf into up to `parts` pieces at block starts, with each piece's starting PFN
    verdict (the last PFN line before it)."""
    cdef SplitArgs* a = <SplitArgs*>p
    cdef int k, n = 1
    cdef Py_ssize_t b
    a.starts[0] = 0
    a.cma[0] = False
    a.slab[0] = False
    for k in range(1, a.parts):
        b = _block_start_after(a.buf, a.size, a.size * k // a.parts)
        if b < 0 or b <= a.starts[n - 1] or b >= a.size:
            break
        a.starts[n] = b
        _stale_before(a.buf, b, &a.cma[n], &a.slab[n])
        n += 1
    a.parts = n
    return 0


def _scan_region(Scanner sc, size_t addr, Py_ssize_t size, bint last, bint release=False):
    cdef RegionArgs a
    cdef int r
    a.sc = <void*>sc
    a.buf = <const unsigned char*>addr
    a.size = size
    a.last = last
    a.release = release
    install_sigbus()
    try:
        with nogil:
            r = guarded(<pof_fn>_region_cb, &a)
        if r == -99:
            raise OSError("the input changed (shrank?) while it was being read")
        if r == -1:
            _propagate()
    except BaseException as e:  # re-raised by the main thread
        sc.error = e


def scan_mapped(mm, *, strip_ts=True, progress=None, aggregate=False, threads=2,
                release=False):
    """Scan a read-only mapping of a whole regular file, split into `threads` parts at
    block starts, each scanned by its own Scanner on its own thread (nogil), then merged.
    Returns None if the file holds CR bytes (the caller then streams it, CRLF -> LF).
    release=True gives the pages back behind the scan (only for a file mapping: on other
    memory that would zero it)."""
    import threading
    import time
    cdef const unsigned char[::1] view = mm
    cdef Py_ssize_t size = view.shape[0]
    cdef const unsigned char* buf = &view[0] if size else NULL
    cdef SplitArgs sa
    cdef Scanner sc
    cdef int k
    sa.buf = buf
    sa.size = size
    sa.parts = max(1, min(int(threads), 64))
    install_sigbus()
    with nogil:
        k = guarded(<pof_fn>_split_cb, &sa)
    if k == -99:
        raise OSError("the input changed (shrank?) while it was being read")
    starts = [sa.starts[k] for k in range(sa.parts)]
    ends = starts[1:] + [size]
    scanners = []
    for k in range(len(starts)):
        sc = Scanner(strip_ts, aggregate, ends[k] - starts[k])
        sc.stale_cma = sa.cma[k]
        sc.stale_slab = sa.slab[k]
        scanners.append(sc)
    addr = <size_t>buf
    workers = [threading.Thread(target=_scan_region,
                                args=(scanners[k], addr + starts[k], ends[k] - starts[k],
                                      k == len(starts) - 1, release))
               for k in range(1, len(starts))]
    for w in workers:
        w.start()
    errors = []
    try:
        if progress is None:
            _scan_region(scanners[0], addr, ends[0] - starts[0], len(starts) == 1, release)
        else:
            t = threading.Thread(target=_scan_region,
                                 args=(scanners[0], addr, ends[0] - starts[0], len(starts) == 1,
                                       release))
            t.start()
            workers.append(t)
            reported = 0
            while any(w.is_alive() for w in workers):
                time.sleep(0.1)
                now = sum(x.done_bytes for x in scanners)
                progress(now - reported)
                reported = now
            progress(size - reported)
    finally:
        for w in workers:
            w.join()
    for x in scanners:
        if x.error is not None:
            raise x.error
    if any(x.saw_cr for x in scanners):
        return None
    sc = scanners[0]
    for k in range(1, len(scanners)):
        sc._merge(scanners[k])
    return sc.result()


def scan_stream(f, *, strip_ts=True, progress=None, aggregate=False):
    """Scan a binary stream; returns (columns, tables, stats) like _pyscan.scan_bytes.

    aggregate=True folds blocks with the same collation text and allocator into one row
    (`count` blocks, `pages` their total; the other fields are the first block's): memory
    then grows with the number of distinct texts, not with the input."""
    s = Scanner(strip_ts, aggregate)
    s.feed_stream(f, progress)
    return s.result()


def scan_bytes(data, *, strip_ts=True, aggregate=False):
    """Scan a bytes object (for tests)."""
    import io
    return scan_stream(io.BytesIO(bytes(data)), strip_ts=strip_ts, aggregate=aggregate)
