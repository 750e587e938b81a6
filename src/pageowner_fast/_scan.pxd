# Declarations of the native core (src/pageowner_fast/_native/*.h) for the Cython driver
# _scan.pyx. Only what the driver touches is declared; the headers say what it means.

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "_native/pof_port.h":
    int POF_DEBUG
    const char* POF_COMPILER


cdef extern from "_native/pof_defs.h":
    int POF_ENOMEM
    int POF_EINTERNAL
    int POF_EBADID
    int POF_ESIGBUS


cdef extern from "_native/pof_hash.h":
    ctypedef struct pof_h128:
        uint64_t lo
        uint64_t hi
    ctypedef pof_h128 (*pof_hash_fn)(const void* data, size_t n) noexcept nogil
    void pof_hash_use(pof_hash_fn fn) noexcept nogil


cdef extern from "_native/pof_lines.h":
    ptrdiff_t pof_find_ts(const unsigned char* h, ptrdiff_t i, ptrdiff_t n) noexcept nogil
    ptrdiff_t pof_find_ts_plain(const unsigned char* h, ptrdiff_t i, ptrdiff_t n) noexcept nogil
    ptrdiff_t pof_pfn_line(const unsigned char* p, const unsigned char* lim, int* cma,
                           int* slab) noexcept nogil
    ptrdiff_t pof_pfn_line_plain(const unsigned char* p, const unsigned char* lim, int* cma,
                                 int* slab) noexcept nogil


cdef extern from "_native/pof_split.h":
    const char* pof_split_select(const char* name) noexcept nogil
    const char* pof_split_name() noexcept nogil
    int pof_cpu_has_avx2() noexcept nogil
    int pof_build_has_sse2() noexcept nogil
    int pof_build_has_avx2() noexcept nogil


cdef extern from "_native/pof_intern.h":
    ctypedef struct pof_interner:
        size_t n
        char* arena
        size_t arena_len
        int64_t* offs
    int pof_interner_init(pof_interner* t, size_t cap) noexcept nogil
    void pof_interner_free(pof_interner* t) noexcept nogil
    int32_t pof_intern(pof_interner* t, const void* data, size_t n) noexcept nogil


cdef extern from "_native/pof_cols.h":
    ctypedef struct pof_cols:
        size_t n
        int16_t* order
        int64_t* count
        int64_t* pages
        int32_t* pid
        int32_t* tgid
        uint64_t* ts
        uint64_t* free_ts
        int64_t* pfn
        uint64_t* gfp
        int8_t* mt
        int64_t* block
        int8_t* bmt
        uint8_t* alloc
        int32_t* header_id
        int32_t* stack_id
        int32_t* comm_id
        int32_t* module_id
        uint16_t* bad
        int64_t* lineno
    void pof_cols_free(pof_cols* c) noexcept nogil


cdef extern from "_native/pof_sort.h":
    int pof_argsort_u64(const uint64_t* keys, size_t n, int64_t* out) noexcept nogil
    int pof_argsort_u64_u32(const uint64_t* keys, size_t n, uint32_t* out) noexcept nogil
    ctypedef struct pof_argsort:
        pass
    int pof_argsort_begin(pof_argsort* a, const uint64_t* keys, size_t n, int64_t* out) noexcept nogil
    int pof_argsort_part(pof_argsort* a, int k, int parts) noexcept nogil
    void pof_argsort_free(pof_argsort* a) noexcept nogil
    int pof_rank_texts(const unsigned char* arena, const int64_t* offs, size_t n,
                       int64_t* rank) noexcept nogil


cdef extern from "_native/pof_scanner.h":
    ctypedef struct pof_htable:
        char* arena
        int64_t* offs
        int32_t* q
        size_t n
        int32_t* etpl
        int8_t* edn
        uint64_t* edv
        size_t ne
    enum:
        POF_K_STACK
        POF_K_PID
        POF_K_TGID
        POF_K_NAME
        POF_K_FREE
        POF_K_MODULE
        POF_K_ALLOC
        POF_K_BLOCK
    ctypedef enum pof_mode:
        POF_FOLD
        POF_ROWS
        POF_ROWS_TS
    ctypedef struct pof_scanner:
        pof_mode mode
        pof_cols cols
        pof_interner headers
        pof_interner stacks
        pof_interner comms
        pof_interner modules
        int stale_cma
        int stale_slab
        int64_t nblocks
        int64_t nbytes
        int64_t nul_bytes
        int64_t cr_removed
        int64_t done_bytes
        ptrdiff_t split_proposed
        ptrdiff_t split_answer
        int saw_cr
        int truncated
        pof_htable ht
        int has_ht
        unsigned kspec
    int pof_scanner_init(pof_scanner* s, int strip_ts, int aggregate, size_t size_hint) noexcept nogil
    void pof_scanner_free(pof_scanner* s) noexcept nogil
    ptrdiff_t pof_feed(pof_scanner* s, unsigned char* buf, ptrdiff_t have, ptrdiff_t got) noexcept nogil
    int pof_feed_end(pof_scanner* s, unsigned char* buf, ptrdiff_t have, ptrdiff_t cap) noexcept nogil
    int pof_scan_region(pof_scanner* s, const unsigned char* buf, ptrdiff_t size, int last,
                        int release) noexcept nogil
    int pof_scanner_merge(pof_scanner* a, pof_scanner* b) noexcept nogil
    ctypedef struct pof_merge:
        pass
    int pof_merge_begin(pof_merge* m, pof_scanner* a, pof_scanner* b) noexcept nogil
    void pof_merge_rows(const pof_merge* m, int part, int parts) noexcept nogil
    int pof_merge_end(pof_merge* m) noexcept nogil
    void pof_merge_free(pof_merge* m) noexcept nogil
    int pof_scanner_set_key(pof_scanner* s, unsigned kspec) noexcept nogil
    int pof_key_finish(pof_scanner* s) noexcept nogil
    void pof_fold_flush(pof_scanner* s) noexcept nogil
    int64_t pof_pages_overflow(const pof_scanner* s) noexcept nogil
    int pof_fold_finish(pof_scanner* s) noexcept nogil
    int pof_rows_ts_finish(pof_scanner* s) noexcept nogil
    int pof_split_parts(const unsigned char* buf, ptrdiff_t size, int parts, ptrdiff_t* starts,
                        int* cma, int* slab) noexcept nogil
    int pof_propose_split(pof_scanner* s, const unsigned char* buf, ptrdiff_t size,
                          ptrdiff_t* start, int* cma, int* slab) noexcept nogil
    ptrdiff_t POF_SPLIT_STOP


cdef extern from "_native/pof_guard.h":
    ctypedef int (*pof_guarded_fn)(void* arg) noexcept nogil
    void pof_install_sigbus() noexcept nogil
    int pof_guarded(pof_guarded_fn fn, void* arg) noexcept nogil


cdef extern from "_native/pof_textout.h":
    ctypedef struct pof_records:
        const unsigned char* harena
        const int64_t* hoffs
        size_t nh
        size_t harena_len
        const unsigned char* sarena
        const int64_t* soffs
        size_t ns
        size_t sarena_len
        const int64_t* count
        const int64_t* pages
        const uint8_t* alloc
        const int32_t* tq
        const int32_t* etpl
        const int8_t* edn
        const uint64_t* edv
        size_t ne
        const int32_t* hid
        const int32_t* sid
        size_t n
        size_t next
    ptrdiff_t pof_records_write(pof_records* r, char* out, size_t cap, size_t target,
                                size_t* need) noexcept nogil
    int pof_records_size(const pof_records* r, size_t lo, size_t hi, uint64_t* nbytes,
                         size_t* at) noexcept nogil
