# The page_owner_sort text writer for the default (no --cull) layout, included by _scan.pyx.
# One record per group: "<n> times, <p> pages, allocated by <A>:\n<header><stack>\n".
# Millions of records (-a) make a Python-level loop the bottleneck; this loop is C.

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE

cdef const char* _ALLOC_NAMES[4]
cdef Py_ssize_t _ALLOC_LENS[4]
_ALLOC_NAMES[0] = b"CMA "       # bit 2
_ALLOC_NAMES[1] = b"SLAB "      # bit 4
_ALLOC_NAMES[2] = b"VMALLOC "   # bit 8
_ALLOC_NAMES[3] = b"OTHERS "    # bit 16
_ALLOC_LENS[0] = 4
_ALLOC_LENS[1] = 5
_ALLOC_LENS[2] = 8
_ALLOC_LENS[3] = 7


cdef inline Py_ssize_t _put_int(char* out, int64_t v) noexcept nogil:
    cdef char tmp[24]
    cdef Py_ssize_t n = 0, k = 0
    cdef uint64_t u
    if v < 0:
        out[0] = 45  # '-'
        k = 1
        u = <uint64_t>(-(v + 1)) + 1
    else:
        u = <uint64_t>v
    while True:
        tmp[n] = <char>(48 + u % 10)
        n += 1
        u //= 10
        if u == 0:
            break
    while n > 0:
        n -= 1
        out[k] = tmp[n]
        k += 1
    return k


def write_text_records(write, const unsigned char[::1] harena, const int64_t[::1] hoffs,
                       const unsigned char[::1] sarena, const int64_t[::1] soffs,
                       const int64_t[::1] count,
                       const int64_t[::1] pages, const uint8_t[::1] alloc,
                       const int32_t[::1] hid, const int32_t[::1] sid,
                       Py_ssize_t chunk=1 << 20):
    """Write the records through `write(buf)` in chunks of about `chunk` bytes. `buf` is a
    memoryview of a buffer that is reused once `write` returns (a file's write copies it)."""
    cdef Py_ssize_t n = count.shape[0], i, w = 0, need, hl, sl, cap = chunk * 2
    cdef bytearray ba = bytearray(cap)
    cdef char* out = <char*>ba
    cdef object mv = memoryview(ba)
    cdef const char* ha = <const char*>&harena[0] if harena.shape[0] else NULL
    cdef const char* sa = <const char*>&sarena[0] if sarena.shape[0] else NULL
    cdef const char* hp
    cdef const char* sp
    cdef uint8_t a
    cdef int b
    for i in range(n):
        hp = ha + hoffs[hid[i]]
        hl = hoffs[hid[i] + 1] - hoffs[hid[i]]
        sp = sa + soffs[sid[i]]
        sl = soffs[sid[i] + 1] - soffs[sid[i]]
        need = 160 + hl + sl
        if w + need > cap:
            if w:
                write(mv[:w])
                w = 0
            if need > cap:
                cap = need * 2
                ba = bytearray(cap)
                out = <char*>ba
                mv = memoryview(ba)
        w += _put_int(out + w, count[i])
        memcpy(out + w, b" times, ", 8)
        w += 8
        w += _put_int(out + w, pages[i])
        memcpy(out + w, b" pages, allocated by ", 21)
        w += 21
        a = alloc[i]
        for b in range(4):
            if a & (2 << b):
                memcpy(out + w, _ALLOC_NAMES[b], _ALLOC_LENS[b])
                w += _ALLOC_LENS[b]
        out[w] = 58  # ':'
        out[w + 1] = 10
        w += 2
        memcpy(out + w, hp, hl)
        w += hl
        memcpy(out + w, sp, sl)
        w += sl
        out[w] = 10
        w += 1
        if w >= chunk:
            write(mv[:w])
            w = 0
    if w:
        write(mv[:w])
