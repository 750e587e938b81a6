# Interner: byte string -> dense id (first appearance order), keyed by a 128-bit hash.
# Included by _scan.pyx. Memory is owned here (malloc) and copied into Python objects once
# at the end (Interner_to_list).

from libc.stdlib cimport malloc, realloc, free, calloc
from libc.string cimport memcpy, memcmp, memset
from libc.stdint cimport uint64_t, int64_t, int32_t, uint8_t

ctypedef struct h128:
    uint64_t lo
    uint64_t hi

ctypedef h128 (*hash128_fn)(const void*, size_t) noexcept nogil

cdef hash128_fn g_hash = NULL      # XXH3_128bits from the xxhash wheel, bound at import
cdef bint g_verify = True          # byte-compare on every hit (only with the fallback hash)


cdef inline uint64_t _rd64(const unsigned char* p) noexcept nogil:
    cdef uint64_t v
    memcpy(&v, p, 8)
    return v


cdef extern from *:
    """
    #include <stdint.h>
    /* 64x64 -> 128 multiply folded to 64 bits (a "mum" mixer). */
    static inline uint64_t pof_mix(uint64_t a, uint64_t b) {
    #if defined(__SIZEOF_INT128__)
        __uint128_t r = (__uint128_t)a * b;
        return (uint64_t)r ^ (uint64_t)(r >> 64);
    #else
        uint64_t lo = a * b;
        uint64_t hi = ((a >> 32) * (b >> 32)) + (((a >> 32) * (b & 0xffffffffu)) >> 32)
                      + (((a & 0xffffffffu) * (b >> 32)) >> 32);
        return lo ^ hi;
    #endif
    }
    """
    uint64_t _mix "pof_mix"(uint64_t a, uint64_t b) noexcept nogil


cdef h128 fallback_hash(const void* data, size_t n) noexcept nogil:
    """Own 128-bit hash (two independent multiply-mix lanes); used only when XXH3 cannot be
    bound, and then every hit is verified byte by byte."""
    cdef const unsigned char* p = <const unsigned char*>data
    cdef uint64_t a = 0x9E3779B97F4A7C15ULL ^ n, b = 0xC2B2AE3D27D4EB4FULL + n
    cdef size_t i = 0
    cdef uint64_t w
    cdef uint8_t tail[8]
    while i + 8 <= n:
        w = _rd64(p + i)
        a = _mix(a ^ w, 0xA0761D6478BD642FULL)
        b = _mix(b + w, 0xE7037ED1A0B428DBULL)
        i += 8
    if i < n:
        memset(tail, 0, 8)
        memcpy(tail, p + i, n - i)
        w = _rd64(tail)
        a = _mix(a ^ w, 0xA0761D6478BD642FULL)
        b = _mix(b + w, 0xE7037ED1A0B428DBULL)
    cdef h128 h
    h.lo = _mix(a ^ 0x8EBC6AF09C88C6E3ULL, b ^ 0x589965CC75374CC3ULL)
    h.hi = _mix(b ^ 0x1D8E4E27C47D124FULL, a + n)
    return h


ctypedef struct Slot:
    uint64_t lo          # the value's 128-bit hash
    uint64_t hi
    int32_t val          # its id, or -1 for an empty slot
    int32_t pad


ctypedef struct Interner:
    Slot* slots          # open addressing, linear probing: one cache line per probe
    size_t cap           # slots (power of two)
    size_t n             # ids handed out
    char* arena          # the unique values, back to back
    size_t arena_len
    size_t arena_cap
    int64_t* offs        # offs[i]..offs[i+1] is value i
    size_t offs_cap


cdef int interner_init(Interner* t, size_t cap) noexcept nogil:
    t.cap = cap
    t.n = 0
    t.slots = <Slot*>malloc(cap * sizeof(Slot))
    t.arena_cap = 1 << 16
    t.arena_len = 0
    t.arena = <char*>malloc(t.arena_cap)
    t.offs_cap = 1024
    t.offs = <int64_t*>malloc(t.offs_cap * sizeof(int64_t))
    if t.slots == NULL or t.arena == NULL or t.offs == NULL:
        return -1
    memset(t.slots, 0xff, cap * sizeof(Slot))
    t.offs[0] = 0
    return 0


cdef void interner_free(Interner* t) noexcept nogil:
    free(t.slots)
    free(t.arena)
    free(t.offs)
    t.slots = NULL
    t.arena = NULL
    t.offs = NULL


cdef int _grow_table(Interner* t) noexcept nogil:
    cdef size_t newcap = t.cap * 2
    cdef Slot* ns = <Slot*>malloc(newcap * sizeof(Slot))
    cdef size_t i, j, mask = newcap - 1
    if ns == NULL:
        return -1
    memset(ns, 0xff, newcap * sizeof(Slot))
    for i in range(t.cap):
        if t.slots[i].val >= 0:
            j = t.slots[i].lo & mask
            while ns[j].val >= 0:
                j = (j + 1) & mask
            ns[j] = t.slots[i]
    free(t.slots)
    t.slots = ns
    t.cap = newcap
    return 0


cdef int interner_reserve(Interner* t, size_t more_bytes, size_t more_values) noexcept nogil:
    """Room for `more_values` new values of `more_bytes` in all; -1 on allocation failure."""
    cdef size_t need
    cdef char* na
    cdef int64_t* no
    if t.arena_len + more_bytes > t.arena_cap:
        need = t.arena_cap * 2
        while need < t.arena_len + more_bytes:
            need *= 2
        na = <char*>realloc(t.arena, need)
        if na == NULL:
            return -1
        t.arena = na
        t.arena_cap = need
    if t.n + more_values + 1 > t.offs_cap:
        need = t.offs_cap * 2
        while need < t.n + more_values + 1:
            need *= 2
        no = <int64_t*>realloc(t.offs, need * sizeof(int64_t))
        if no == NULL:
            return -1
        t.offs = no
        t.offs_cap = need
    return 0


cdef int32_t interner_append(Interner* t, const char* data, size_t n) noexcept nogil:
    """Store data[0:n] as a new id without looking it up (the caller makes ids unique
    later, see dedup_packed); -2 on allocation failure."""
    if interner_reserve(t, n, 1) != 0:
        return -2
    if n:
        memcpy(t.arena + t.arena_len, data, n)
    t.arena_len += n
    t.n += 1
    t.offs[t.n] = <int64_t>t.arena_len
    return <int32_t>(t.n - 1)


cdef int interner_extend(Interner* t, Interner* src) noexcept nogil:
    """Append every value of src as new ids, without looking them up (see interner_append);
    -1 on allocation failure."""
    cdef size_t i
    cdef int64_t base = <int64_t>t.arena_len
    if interner_reserve(t, src.arena_len, src.n) != 0:
        return -1
    if src.arena_len:
        memcpy(t.arena + t.arena_len, src.arena, src.arena_len)
    t.arena_len += src.arena_len
    for i in range(src.n):
        t.offs[t.n + 1 + i] = base + src.offs[i + 1]
    t.n += src.n
    return 0


cdef int32_t intern(Interner* t, const char* data, size_t n) noexcept nogil:
    """Id of data[0:n]; -2 on allocation failure."""
    cdef h128 h = g_hash(data, n) if g_hash != NULL else fallback_hash(data, n)
    cdef size_t mask = t.cap - 1
    cdef size_t s = h.lo & mask
    cdef int32_t v
    cdef int64_t off
    while True:
        v = t.slots[s].val
        if v < 0:
            break
        if t.slots[s].lo == h.lo and t.slots[s].hi == h.hi:
            off = t.offs[v]
            if <size_t>(t.offs[v + 1] - off) == n and (
                    not g_verify or memcmp(t.arena + off, data, n) == 0):
                return v
        s = (s + 1) & mask
    # new value
    v = interner_append(t, data, n)
    if v < 0:
        return v
    t.slots[s].lo = h.lo
    t.slots[s].hi = h.hi
    t.slots[s].val = v
    if 2 * t.n > t.cap:
        if _grow_table(t) != 0:
            return -2
    return v


cdef list interner_to_list(Interner* t):
    cdef list out = []
    cdef size_t i
    for i in range(t.n):
        out.append(PyBytes_FromStringAndSize(t.arena + t.offs[i], t.offs[i + 1] - t.offs[i]))
    return out


cdef tuple interner_to_packed(Interner* t):
    """(arena as a uint8 array, offsets as an int64 array): value i is
    arena[offs[i]:offs[i+1]]. The arrays take over the interner's buffers (no copy; the
    interner cannot intern afterwards): one object instead of one per value (a -a scan has
    a distinct header per block)."""
    arena = _adopt(<void**>&t.arena, t.arena_len, np.uint8)
    offs = _adopt(<void**>&t.offs, t.n + 1, np.int64)
    return (arena, offs)


def _bench_intern(list items):
    """Intern every bytes object of `items` into a fresh table; returns the distinct count
    (benchmark hook for the interner alone)."""
    cdef Interner t
    cdef bytes b
    if interner_init(&t, 1 << 12) != 0:
        raise MemoryError()
    try:
        for b in items:
            if intern(&t, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b)) < 0:
                raise MemoryError()
        return t.n
    finally:
        interner_free(&t)


ctypedef struct FastTable:
    # 128-bit key -> int32, no values stored (the aggregate scan's shortcut table)
    Slot* slots
    size_t cap
    size_t n


cdef int fast_init(FastTable* t, size_t cap) noexcept nogil:
    t.cap = cap
    t.n = 0
    t.slots = <Slot*>malloc(cap * sizeof(Slot))
    if t.slots == NULL:
        return -1
    memset(t.slots, 0xff, cap * sizeof(Slot))
    return 0


cdef inline int32_t fast_get(FastTable* t, h128 k) noexcept nogil:
    cdef size_t mask = t.cap - 1
    cdef size_t s = k.lo & mask
    while t.slots[s].val >= 0:
        if t.slots[s].lo == k.lo and t.slots[s].hi == k.hi:
            return t.slots[s].val
        s = (s + 1) & mask
    return -1


cdef int fast_put(FastTable* t, h128 k, int32_t v) noexcept nogil:
    cdef size_t mask = t.cap - 1, s, i, newcap
    cdef Slot* ns
    if 2 * (t.n + 1) > t.cap:
        newcap = t.cap * 2
        ns = <Slot*>malloc(newcap * sizeof(Slot))
        if ns == NULL:
            return -1
        memset(ns, 0xff, newcap * sizeof(Slot))
        for i in range(t.cap):
            if t.slots[i].val >= 0:
                s = t.slots[i].lo & (newcap - 1)
                while ns[s].val >= 0:
                    s = (s + 1) & (newcap - 1)
                ns[s] = t.slots[i]
        free(t.slots)
        t.slots = ns
        t.cap = newcap
        mask = newcap - 1
    s = k.lo & mask
    while t.slots[s].val >= 0:
        if t.slots[s].lo == k.lo and t.slots[s].hi == k.hi:
            t.slots[s].val = v
            return 0
        s = (s + 1) & mask
    t.slots[s].lo = k.lo
    t.slots[s].hi = k.hi
    t.slots[s].val = v
    t.n += 1
    return 0
