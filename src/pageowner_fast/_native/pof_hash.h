/* The 128-bit hash of the interner and the keys built from it.
 *
 * The hash in use is XXH3-128, bound at import from the `xxhash` wheel's extension through
 * a function pointer (no xxhash source is compiled here), or, where that fails, our own
 * fallback hash -- and then every interner hit is verified byte by byte. */
#ifndef POF_HASH_H
#define POF_HASH_H

#include "pof_port.h"

typedef struct {
    uint64_t lo;
    uint64_t hi;
} pof_h128;

/* XXH3_128bits' signature: XXH128_hash_t is {low64, high64}, the layout of pof_h128 */
typedef pof_h128 (*pof_hash_fn)(const void *data, size_t len);

extern pof_hash_fn pof_hash_impl;   /* NULL: the fallback hash */
extern int pof_hash_verify;         /* compare the bytes on every interner hit */

/* Use `fn` (XXH3_128bits) without verification, or, with NULL, the fallback hash with it.
 * Not thread-safe: call it while no scan runs. */
void pof_hash_use(pof_hash_fn fn);

/* Own 128-bit hash (two multiply-mix lanes): used only when XXH3 cannot be bound. */
pof_h128 pof_fallback_hash(const void *data, size_t len);

POF_INLINE pof_h128 pof_hash(const void *data, size_t len)
{
    POF_WORK(len);
    return pof_hash_impl ? pof_hash_impl(data, len) : pof_fallback_hash(data, len);
}

/* --- keys made of hashes (the one place where they are mixed) ----------------------------- */

#define POF_K1 0x9E3779B97F4A7C15ULL
#define POF_K2 0xC2B2AE3D27D4EB4FULL
#define POF_K3 0xA0761D6478BD642FULL
#define POF_K4 0xE7037ED1A0B428DBULL
#define POF_K5 0x8EBC6AF09C88C6E3ULL
#define POF_K6 0x589965CC75374CC3ULL

/* Where a header line's ts digits sat: their offset and length (or length class: -1 is
 * one, so only its low 32 bits are taken, which leave the offset in). */
POF_INLINE uint64_t pof_key_place(ptrdiff_t cs, ptrdiff_t len)
{
    return pof_mix((((uint64_t)cs << 32) | (uint32_t)len) ^ POF_K5, POF_K6);
}

/* Where a header line's free_ts slot sat (POF_FOLD), mixed apart from pof_key_place. */
POF_INLINE uint64_t pof_key_slot(ptrdiff_t fs, ptrdiff_t len)
{
    return pof_mix((((uint64_t)fs << 32) | (uint64_t)len) ^ POF_K2, POF_K5 ^ POF_K1);
}

/* A block's shortcut key: its header line (ts digits cut), its stack, the PFN verdict it
 * inherits (CMA/slab bits) and, when the header had a ts match, where the digits were. */
POF_INLINE pof_h128 pof_key_block(pof_h128 header, pof_h128 stack, unsigned verdict,
                                  int has_place, ptrdiff_t cs, ptrdiff_t len)
{
    pof_h128 k;
    k.lo = header.lo ^ pof_mix(stack.lo ^ POF_K1, POF_K3) ^ (uint64_t)verdict;
    k.hi = header.hi ^ pof_mix(stack.hi ^ POF_K2, POF_K4);
    if (has_place)
        k.hi ^= pof_key_place(cs, len);
    return k;
}

/* The ts digits themselves, for a group key: their bytes and their place. */
POF_INLINE uint64_t pof_key_digits(const unsigned char *digits, ptrdiff_t cs, ptrdiff_t len)
{
    return pof_hash(digits, (size_t)len).lo ^ pof_key_place(cs, len);
}

#endif /* POF_HASH_H */
