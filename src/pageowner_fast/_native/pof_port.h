/* Portability layer of the native core: inline and target attributes, bit scans, the
 * 64x64->128 multiply, SIMD availability, and the work counter of test builds.
 *
 * Compilers: gcc, clang (also clang-cl) and MSVC. SIMD code is compiled only behind
 * POF_SSE2 / POF_AVX2; everything else is plain C99. */
#ifndef POF_PORT_H
#define POF_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(_MSC_VER) && !defined(__clang__)
#  include <intrin.h>
#  define POF_MSVC 1
#  define POF_INLINE static __inline
#  define POF_ALWAYS_INLINE static __forceinline
#  define POF_NOINLINE __declspec(noinline)
#  define POF_LIKELY(x) (x)
#  define POF_UNLIKELY(x) (x)
#  define POF_PREFETCH(p) ((void)(p))
#else
#  define POF_MSVC 0
#  define POF_INLINE static inline
#  define POF_ALWAYS_INLINE static inline __attribute__((always_inline))
#  define POF_NOINLINE __attribute__((noinline))
#  define POF_LIKELY(x) __builtin_expect(!!(x), 1)
#  define POF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define POF_PREFETCH(p) __builtin_prefetch(p)     /* a hint: never faults */
#endif

/* SSE2 is part of every x86-64 target; on 32-bit x86 only when the build enables it. */
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#  define POF_SSE2 1
#  include <emmintrin.h>
#else
#  define POF_SSE2 0
#endif

/* AVX2 code is compiled in on x86-64 (a function attribute enables it per function) and
 * used only where the CPU has it (pof_split.c picks at run time). */
#if POF_SSE2 && (defined(__x86_64__) || defined(_M_X64)) && \
    (defined(__GNUC__) || defined(__clang__) || defined(_MSC_VER))
#  define POF_AVX2 1
#  include <immintrin.h>
#  if POF_MSVC
#    define POF_TARGET_AVX2
#  else
#    define POF_TARGET_AVX2 __attribute__((target("avx2")))
#  endif
#else
#  define POF_AVX2 0
#endif

/* Functions that read whole aligned 16-byte chunks around a line (such a chunk never
 * crosses a page, so it cannot fault) are not instrumented by AddressSanitizer. */
#if defined(__clang__) || defined(__GNUC__)
#  define POF_NO_ASAN __attribute__((no_sanitize_address))
#elif defined(_MSC_VER) && _MSC_VER >= 1929
#  define POF_NO_ASAN __declspec(no_sanitize_address)
#else
#  define POF_NO_ASAN
#endif

/* Index of the lowest set bit (x != 0). */
POF_INLINE int pof_ctz64(uint64_t x)
{
#if POF_MSVC && (defined(_M_X64) || defined(_M_ARM64))
    unsigned long i;
    _BitScanForward64(&i, x);
    return (int)i;
#elif POF_MSVC
    unsigned long i;
    if ((uint32_t)x) {
        _BitScanForward(&i, (uint32_t)x);
        return (int)i;
    }
    _BitScanForward(&i, (uint32_t)(x >> 32));
    return (int)i + 32;
#else
    return __builtin_ctzll(x);
#endif
}

/* Index of the highest set bit (x != 0). */
POF_INLINE int pof_msb64(uint64_t x)
{
#if POF_MSVC && (defined(_M_X64) || defined(_M_ARM64))
    unsigned long i;
    _BitScanReverse64(&i, x);
    return (int)i;
#elif POF_MSVC
    unsigned long i;
    if (x >> 32) {
        _BitScanReverse(&i, (uint32_t)(x >> 32));
        return (int)i + 32;
    }
    _BitScanReverse(&i, (uint32_t)x);
    return (int)i;
#else
    return 63 - __builtin_clzll(x);
#endif
}

/* Set bits of x: a handful of operations, no library call and no -mpopcnt needed. */
POF_INLINE int pof_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}

/* The 128-bit product of a and b folded to 64 bits (a "mum" mixer). */
POF_INLINE uint64_t pof_mix(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__)
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#elif POF_MSVC && defined(_M_X64)
    uint64_t hi, lo = _umul128(a, b, &hi);
    return lo ^ hi;
#else
    uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    uint64_t lo = (mid << 32) | (ll & 0xffffffffu);
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return lo ^ hi;
#endif
}

/* Build facts reported by pageowner_fast._scan.info() */
#ifndef POF_DEBUG
#  define POF_DEBUG 0       /* 1: PAGEOWNER_FAST_DEBUG=1 build (sanitizers, bounds checks) */
#endif
#if defined(__clang__)
#  define POF_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#  define POF_COMPILER "gcc " __VERSION__
#elif defined(_MSC_VER)
#  define POF_STR_(x) #x
#  define POF_STR(x) POF_STR_(x)
#  define POF_COMPILER "msvc " POF_STR(_MSC_VER)
#else
#  define POF_COMPILER "unknown"
#endif

/* Work counter: test builds (-DPOF_COUNT_WORK) count the bytes the matchers and the
 * splitter look at, so that a test can show they stay linear in their input. */
#ifdef POF_COUNT_WORK
extern uint64_t pof_work;
#  define POF_WORK(n) (pof_work += (uint64_t)(n))
#else
#  define POF_WORK(n) ((void)0)
#endif

#endif /* POF_PORT_H */
