/* The fallback hash and the binding of the hash in use (see pof_hash.h). */
#include "pof_hash.h"

pof_hash_fn pof_hash_impl = NULL;
int pof_hash_verify = 1;

void pof_hash_use(pof_hash_fn fn)
{
    pof_hash_impl = fn;
    pof_hash_verify = fn == NULL;
}

POF_INLINE uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

pof_h128 pof_fallback_hash(const void *data, size_t n)
{
    const unsigned char *p = (const unsigned char *)data;
    uint64_t a = POF_K1 ^ (uint64_t)n, b = POF_K2 + (uint64_t)n, w;
    unsigned char tail[8];
    size_t i = 0;
    pof_h128 h;
    for (; i + 8 <= n; i += 8) {
        w = rd64(p + i);
        a = pof_mix(a ^ w, POF_K3);
        b = pof_mix(b + w, POF_K4);
    }
    if (i < n) {
        memset(tail, 0, 8);
        memcpy(tail, p + i, n - i);
        w = rd64(tail);
        a = pof_mix(a ^ w, POF_K3);
        b = pof_mix(b + w, POF_K4);
    }
    h.lo = pof_mix(a ^ POF_K5, b ^ POF_K6);
    h.hi = pof_mix(b ^ 0x1D8E4E27C47D124FULL, a + (uint64_t)n);
    return h;
}
