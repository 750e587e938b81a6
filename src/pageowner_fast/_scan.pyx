# The Cython driver of the native core (src/pageowner_fast/_native/, declared in _scan.pxd).
# The C code splits blocks, matches the fields with page_owner_sort's leftmost-match rules,
# classifies the allocator, cuts the ts digits, interns headers, stacks, comms and modules,
# and writes the default text layout (docs/compatibility.md says how, section by section).
# This driver owns the Python objects: it reads file objects into its buffer, runs the
# threads of a mapped scan, hands the C buffers over to NumPy arrays, and maps the C status
# codes to exceptions. No Python object is made per block. Semantics are pinned by the
# pure-Python engine (_pyscan.py); tests compare the two.

from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.buffer cimport PyBuffer_FillInfo
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t, INT64_MAX

import operator
import time

from ._threads import Worker, join_all, on_threads, start_all
from .exceptions import InputError

# NumPy, loaded on first use: this module loads without it, so that a scan can start while
# the rest of the program is still being imported (_prefetch.py). Every def that uses `np`
# calls _need_np() first.
np = None


cdef int _need_np() except -1:
    global np
    if np is None:
        import numpy
        np = numpy
    return 0

cdef enum:
    READ_CHUNK = 1048576        # bytes asked of a stream per read


# --- the hash ---------------------------------------------------------------------------------

cdef str _hash_name = "fallback+verify"


def _bind_hash():
    """Bind XXH3_128bits from the xxhash wheel's extension module (no source compiled
    here); without it, the fallback hash, which verifies every hit byte by byte."""
    global _hash_name
    try:
        import ctypes
        import xxhash._xxhash as _x
        addr = ctypes.cast(ctypes.CDLL(_x.__file__).XXH3_128bits, ctypes.c_void_p).value
        if not addr:
            raise OSError("XXH3_128bits not found")
        pof_hash_use(<pof_hash_fn><size_t>addr)
        _hash_name = "xxh3-128"
    except Exception:
        pof_hash_use(NULL)
        _hash_name = "fallback+verify"
    return _hash_name


HASH = _bind_hash()
SIMD = pof_split_select(b"best").decode()


def _use_hash(name):
    """Testing hook: 'xxh3' (bind it again) or 'fallback'; returns the hash now in use."""
    global _hash_name
    if name == "fallback":
        pof_hash_use(NULL)
        _hash_name = "fallback+verify"
        return _hash_name
    if name == "xxh3":
        return _bind_hash()
    raise ValueError(f"unknown hash {name!r} (expected 'xxh3' or 'fallback')")


def _use_splitter(name):
    """Testing hook: the block splitter 'avx2', 'sse2', 'portable' or 'best' (what an import
    picks); a variant this build or CPU lacks gives the next best. Returns the one in use."""
    if name not in ("best", "avx2", "sse2", "portable"):
        raise ValueError(f"unknown splitter {name!r}")
    return pof_split_select(name.encode()).decode()


def _use_block_end(name):
    """The hook's former name ('lines' = 'portable'), for tests written against it."""
    got = _use_splitter("portable" if name == "lines" else name)
    return "lines" if got == "portable" else got


def info():
    """What this build runs: the hash, the block splitter, whether it is a debug build
    (sanitizers, bounds checks), the compiler, and what the build and the CPU offer."""
    return {
        "hash": _hash_name,
        "simd": pof_split_name().decode(),
        "debug": bool(POF_DEBUG),
        "compiler": POF_COMPILER.decode().strip(),
        "build_sse2": bool(pof_build_has_sse2()),
        "build_avx2": bool(pof_build_has_avx2()),
        "cpu_avx2": bool(pof_cpu_has_avx2()),
        "line_helpers": "sse2" if pof_build_has_sse2() else "portable",
    }


def _line_helpers(const unsigned char[::1] data, Py_ssize_t i, bint plain):
    """Testing hook: (find_ts(data, i, len), pfn_line(data[i:]) as (length, cma, slab)) from
    the SIMD line helpers, or from the portable ones (plain=True). data must hold a newline
    at or after i for the second."""
    cdef Py_ssize_t n = data.shape[0], k, ln
    cdef int cma = 0, slab = 0
    cdef const unsigned char* p
    if not 0 <= i < n or n == 0:
        raise ValueError("i outside data")
    p = &data[0]
    if plain:
        k = pof_find_ts_plain(p, i, n)
        ln = pof_pfn_line_plain(p + i, p + n, &cma, &slab)
    else:
        k = pof_find_ts(p, i, n)
        ln = pof_pfn_line(p + i, p + n, &cma, &slab)
    return k, (ln, bool(cma), bool(slab))


# --- status codes, NumPy arrays over C buffers -------------------------------------------------

cdef object _status_error(int rc):
    if rc == POF_ENOMEM:
        return MemoryError()
    if rc == POF_ESIGBUS:
        return OSError("the input changed (shrank?) while it was being read")
    return RuntimeError(f"internal error in the native scanner (status {rc})")


cdef class _Owned:
    """A malloc'd buffer that NumPy arrays use without a copy (np.frombuffer over this
    object); freed when the last array over it is."""
    cdef void* p
    cdef Py_ssize_t nbytes

    def __getbuffer__(self, Py_buffer* buf, int flags):
        PyBuffer_FillInfo(buf, self, self.p, self.nbytes, 0, flags)

    def __releasebuffer__(self, Py_buffer* buf):
        pass

    def __dealloc__(self):
        free(self.p)


cdef object _adopt(void** pp, size_t n, object dtype):
    """A NumPy array that takes over the malloc'd buffer *pp (n items; *pp is set to NULL):
    the array owns its memory through an _Owned that frees it; nothing is copied."""
    _need_np()
    dt = np.dtype(dtype)
    cdef void* p = pp[0]
    cdef void* q
    cdef _Owned own
    if p == NULL or n == 0:
        return np.empty(n, dtype=dt)
    q = realloc(p, n * dt.itemsize)   # give back the unused capacity
    if q != NULL:
        p = q
    pp[0] = NULL
    own = _Owned()
    own.p = p
    own.nbytes = <Py_ssize_t>(n * dt.itemsize)
    return np.frombuffer(own, dtype=dt)


cdef tuple _packed(pof_interner* t):
    """(arena as uint8, offsets as int64): value i is arena[offs[i]:offs[i+1]]. The arrays
    take over the interner's buffers (it cannot intern afterwards)."""
    _need_np()
    arena = _adopt(<void**>&t.arena, t.arena_len, np.uint8)
    offs = _adopt(<void**>&t.offs, t.n + 1, np.int64)
    return arena, offs


cdef dict _templated(pof_htable* t):
    """Header lines as templates: template k is arena[offs[k]:offs[k+1]] with its digits'
    place q[k] (-1: none); entry i is template etpl[i] with edn[i] digits of value edv[i]
    put in at that place (edn[i] < 0: none); "packer" makes all the texts at once
    (templated_packed). A folded scan's (free_ts slots) are in text order; -a's are not
    (the caller says so with "text_order": False)."""
    _need_np()
    return {"packer": templated_packed,
            "templates": (_adopt(<void**>&t.arena, t.offs[t.n], np.uint8),
                          _adopt(<void**>&t.offs, t.n + 1, np.int64),
                          _adopt(<void**>&t.q, t.n, np.int32)),
            "entries": (_adopt(<void**>&t.etpl, t.ne, np.int32),
                        _adopt(<void**>&t.edn, t.ne, np.int8),
                        _adopt(<void**>&t.edv, t.ne, np.uint64))}


cdef list _values(pof_interner* t):
    cdef list out = []
    cdef size_t i
    for i in range(t.n):
        out.append(PyBytes_FromStringAndSize(t.arena + t.offs[i], t.offs[i + 1] - t.offs[i]))
    return out


# --- reading file objects ----------------------------------------------------------------------

cdef str _describe(f):
    try:
        name = getattr(f, "name", None)
    except Exception:
        name = None
    if isinstance(name, str):
        return name
    return f"<{type(f).__name__} object>"


cdef Py_ssize_t _readinto_count(f, r, Py_ssize_t size) except -1:
    """The byte count a readinto() reported, checked against the buffer it was given."""
    if r is None:
        raise InputError(f"{_describe(f)}: readinto() returned None "
                         "(a non-blocking stream with no data ready?)")
    try:
        n = operator.index(r)
    except TypeError:
        raise InputError(f"{_describe(f)}: readinto() returned {type(r).__name__}, "
                         "not a byte count") from None
    if n < 0 or n > size:
        raise InputError(f"{_describe(f)}: readinto() reported {n} bytes read into a "
                         f"buffer of {size}")
    return n


cdef bytes _read_bytes(f, data):
    """What a read() returned, as bytes (any bytes-like object is accepted)."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        raise InputError(f"{_describe(f)}: read() returned str, not bytes "
                         "(a file opened in text mode?)")
    try:
        return bytes(memoryview(data))
    except TypeError:
        raise InputError(f"{_describe(f)}: read() returned {type(data).__name__}, "
                         "not bytes") from None


cdef bytearray _grown(bytearray ba, Py_ssize_t have, Py_ssize_t cap):
    """A bigger buffer holding the first `have` bytes of ba."""
    cdef bytearray nb = bytearray(cap)
    memcpy(<char*>nb, <char*>ba, have)
    return nb


# --- the scanner -------------------------------------------------------------------------------

cdef class Scanner:
    """One pass over a dump; the C parser state (pof_scanner) lives here."""

    cdef pof_scanner s
    cdef bint taken                     # result() handed the buffers over
    cdef public object error            # an exception raised on a worker thread

    def __cinit__(self, bint strip_ts=True, bint aggregate=False, Py_ssize_t size_hint=0,
                  fold_key=None):
        """size_hint: bytes this scanner will read, if known (tables are sized once);
        fold_key: with aggregate and strip_ts, fold by these fields only (see fold_key_mask)."""
        cdef unsigned mask = fold_key_mask(fold_key)
        if pof_scanner_init(&self.s, strip_ts, aggregate, <size_t>max(size_hint, 0)) != 0:
            raise MemoryError()
        if mask and pof_scanner_set_key(&self.s, mask) != 0:
            raise ValueError("fold_key needs aggregate=True and strip_ts=True")

    def __dealloc__(self):
        pof_scanner_free(&self.s)

    @property
    def done_bytes(self):
        return self.s.done_bytes

    @property
    def saw_cr(self):
        return bool(self.s.saw_cr)

    def feed_stream(self, f, progress=None):
        """Read `f` to its end in chunks of at most READ_CHUNK bytes through one buffer
        (doubled while one block fills it). `f` is trusted in nothing: it is asked for no
        more than the buffer's free space, a longer read() result is copied in pieces, and
        a readinto() count beyond the buffer is an error."""
        cdef Py_ssize_t cap = 4 * READ_CHUNK, have = 0, got, off, take
        cdef ptrdiff_t r
        cdef bytearray ba = bytearray(cap)
        cdef unsigned char* buf = <unsigned char*>(<char*>ba)
        cdef object mv = memoryview(ba)
        cdef bytes chunk
        cdef const unsigned char* src
        if self.taken:
            raise RuntimeError("this Scanner's result() was taken already")
        readinto = getattr(f, "readinto", None)
        while True:
            if cap - have < READ_CHUNK:
                # the unprocessed tail is one huge block: a bigger buffer
                cap *= 2
                ba = _grown(ba, have, cap)
                mv = memoryview(ba)
                buf = <unsigned char*>(<char*>ba)
            if readinto is not None:
                got = _readinto_count(f, readinto(mv[have:have + READ_CHUNK]), READ_CHUNK)
                if got == 0:
                    break
                self.s.nbytes += got
                if progress is not None:
                    progress(got)
                with nogil:
                    r = pof_feed(&self.s, buf, have, got)
                if r < 0:
                    raise _status_error(<int>r)
                have = r
                continue
            chunk = _read_bytes(f, f.read(READ_CHUNK))
            got = PyBytes_GET_SIZE(chunk)
            if got == 0:
                break
            self.s.nbytes += got
            if progress is not None:
                progress(got)
            src = <const unsigned char*>PyBytes_AS_STRING(chunk)
            off = 0
            while off < got:        # a read() may return more than was asked for
                if cap - have < READ_CHUNK:
                    cap *= 2
                    ba = _grown(ba, have, cap)
                    mv = memoryview(ba)
                    buf = <unsigned char*>(<char*>ba)
                take = min(got - off, cap - have)
                memcpy(buf + have, src + off, take)
                with nogil:
                    r = pof_feed(&self.s, buf, have, take)
                if r < 0:
                    raise _status_error(<int>r)
                have = r
                off += take
        if have > 0:
            if cap - have < 2:
                cap += 2
                ba = _grown(ba, have, cap)
                buf = <unsigned char*>(<char*>ba)
            with nogil:
                r = pof_feed_end(&self.s, buf, have, cap)
            if r < 0:
                raise _status_error(<int>r)
        return self

    def result(self):
        """(columns, tables, stats) as _pyscan.scan_bytes returns them; the NumPy columns
        and the packed tables take over the C buffers. A folded scan whose header lines had
        free_ts slots, and a scan that keeps the ts digits (-a), give their headers as
        templates (see _templated)."""
        _need_np()
        cdef pof_cols* c = &self.s.cols
        cdef size_t n
        cdef int rc = 0
        if self.taken:
            raise RuntimeError("this Scanner's result() was taken already")
        self.taken = True
        with nogil:
            if self.s.mode == POF_FOLD:
                pof_fold_flush(&self.s)
                rc = pof_key_finish(&self.s)
                if rc == 0:
                    rc = pof_fold_finish(&self.s)
            elif self.s.mode == POF_ROWS_TS:
                rc = pof_rows_ts_finish(&self.s)
        if rc != 0:
            raise _status_error(rc)
        n = c.n
        stats = {"blocks": int(self.s.nblocks), "nul_bytes": int(self.s.nul_bytes),
                 "cr_removed": int(self.s.cr_removed), "truncated": bool(self.s.truncated),
                 "bytes": int(self.s.nbytes), "pages_overflow": int(pof_pages_overflow(&self.s))}
        if self.s.kspec:
            stats["fold_key"] = sorted(k for k, v in FOLD_KEYS.items() if self.s.kspec & v)
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
            "block": _adopt(<void**>&c.block, n, np.int64),
            "block_migratetype": _adopt(<void**>&c.bmt, n, np.int8),
            "allocator": _adopt(<void**>&c.alloc, n, np.uint8),
            "header_id": _adopt(<void**>&c.header_id, n, np.int32),
            "stack_id": _adopt(<void**>&c.stack_id, n, np.int32),
            "comm_id": _adopt(<void**>&c.comm_id, n, np.int32),
            "module_id": _adopt(<void**>&c.module_id, n, np.int32),
            "bad": _adopt(<void**>&c.bad, n, np.uint16),
            "lineno": _adopt(<void**>&c.lineno, n, np.int64),
        }
        pof_cols_free(c)        # what was not taken (block_pages)
        headers = _templated(&self.s.ht) if self.s.has_ht else _packed(&self.s.headers)
        if self.s.mode == POF_ROWS_TS:     # an entry per row, ids in row order
            headers["text_order"] = False
            entries, remap = dedup_entries(*headers["entries"])
            if remap is not None:
                headers["entries"] = entries
                columns["header_id"] = remap[columns["header_id"]]
        tables = {
            "headers": headers,
            "stacks": _packed(&self.s.stacks),
            "comms": _values(&self.s.comms),
            "modules": _values(&self.s.modules),
        }
        return columns, tables, stats


# --- mapped files, on threads ------------------------------------------------------------------

ctypedef struct RegionArgs:
    pof_scanner* s
    const unsigned char* buf
    Py_ssize_t size
    int last
    int release


cdef int _region_cb(void* p) noexcept nogil:
    cdef RegionArgs* a = <RegionArgs*>p
    return pof_scan_region(a.s, a.buf, a.size, a.last, a.release)


ctypedef struct SplitArgs:
    const unsigned char* buf
    Py_ssize_t size
    int parts                   # asked for; set to the number found
    pof_scanner* late           # (or pof_propose_split's answer for this scanner)
    ptrdiff_t starts[64]
    int cma[64]
    int slab[64]


cdef int _split_cb(void* p) noexcept nogil:
    cdef SplitArgs* a = <SplitArgs*>p
    if a.late != NULL:          # a late split: one end proposed to a running part
        a.parts = pof_propose_split(a.late, a.buf, a.size, a.starts, a.cma, a.slab)
    else:
        a.parts = pof_split_parts(a.buf, a.size, a.parts, a.starts, a.cma, a.slab)
    return 0


def _scan_region(Scanner sc, size_t addr, Py_ssize_t size, bint last, bint release=False):
    cdef RegionArgs a
    cdef int r
    a.s = &sc.s
    a.buf = <const unsigned char*>addr
    a.size = size
    a.last = last
    a.release = release
    try:
        with nogil:
            r = pof_guarded(_region_cb, &a)
        if r != 0:
            raise _status_error(r)
    except BaseException as e:  # re-raised by the main thread
        sc.error = e


# The fields a folded scan may fold by (fold_key): a cull's names, and the PFN line's pageblock.
FOLD_KEYS = {"stacktrace": POF_K_STACK, "pid": POF_K_PID, "tgid": POF_K_TGID, "name": POF_K_NAME,
             "free": POF_K_FREE, "module": POF_K_MODULE, "allocator": POF_K_ALLOC,
             "block": POF_K_BLOCK}


def fold_key_mask(fold_key):
    """The POF_K_* bits of `fold_key` (names of FOLD_KEYS; None or empty: 0, the whole text).
    A row then stands for the blocks that share these fields (and their order, bad bits and
    emptiness), with the fields and text of the first of them."""
    cdef unsigned mask = 0
    if not fold_key:
        return 0
    for name in fold_key:
        if name not in FOLD_KEYS:
            raise ValueError(f"fold_key: unknown field {name!r}")
        mask |= <unsigned>FOLD_KEYS[name]
    return mask


def scan_mapped(mm, *, strip_ts=True, progress=None, aggregate=False, threads=2,
                release=False, fold_key=None):
    """Scan a read-only mapping of a whole regular file in `threads` parts cut at block
    starts, each by its own Scanner on its own thread (nogil), then merged. None if the file
    holds CR bytes (the caller then streams it, CRLF -> LF). release=True gives the pages
    back behind the scan (only for a file mapping: on other memory that would zero it)."""
    job = MappedScan(mm, strip_ts=strip_ts, aggregate=aggregate, threads=threads,
                     release=release, fold_key=fold_key)
    try:
        job.start(here=progress is None)
        return job.finish(progress)
    finally:
        job.wait()          # a Ctrl-C between the two must not free the mapping under them


class MappedScan:
    """scan_mapped in two steps: `start()` splits the mapping and starts its parts' threads;
    `finish()` waits for them (reporting progress), merges the parts and returns the result
    (None when the file holds CR bytes). Meanwhile the caller may do anything else (the
    command line imports the rest of the program). `params`: what was asked."""

    def __init__(self, mm, *, strip_ts=True, aggregate=False, threads=2, release=False,
                 fold_key=None):
        self.mm = mm
        self.params = (bool(strip_ts), bool(aggregate), max(1, min(int(threads), 64)),
                       fold_key_mask(fold_key))
        self.release = release
        self.fold_key = fold_key
        self.scanners = []
        self.workers = []
        self.here = False
        self.finished = False
        self.late = None
        self.cancelled = False

    def start(self, here=False, late=False):
        """Start every part's thread; with here=True part 0 is left to `finish()`, which
        then scans it on the caller's thread. late=True (the caller works meanwhile, with no
        CPU to spare): the part before the last scans both until `finish()` gives half of
        its rest to the last, so the two end together whatever CPU the caller took."""
        cdef const unsigned char[::1] view = self.mm
        cdef Py_ssize_t size = view.shape[0]
        cdef const unsigned char* buf = &view[0] if size else NULL
        cdef SplitArgs sa
        cdef Scanner sc
        cdef int k, r
        strip_ts, aggregate, parts, _ = self.params
        sa.buf = buf
        sa.size = size
        sa.parts = parts
        sa.late = NULL
        self.late = None
        pof_install_sigbus()
        with nogil:
            r = pof_guarded(_split_cb, &sa)
        if r != 0:
            raise _status_error(r)
        starts = [sa.starts[k] for k in range(sa.parts)]
        ends = starts[1:] + [size]
        for k in range(len(starts)):
            sc = Scanner(strip_ts, aggregate, ends[k] - starts[k], self.fold_key)
            sc.s.stale_cma = sa.cma[k]
            sc.s.stale_slab = sa.slab[k]
            self.scanners.append(sc)
        addr = <size_t>buf
        self.size = size
        self.part0 = (addr, ends[0] - starts[0], len(starts) == 1)
        self.here = here
        n = len(starts)
        if late and not here and n >= 2:
            # the last part's scanner waits for finish(); the one before scans to the end
            self.late = (self.scanners.pop(), starts[n - 2], addr)
            ends[n - 2] = size
            n -= 1
        self.workers = [Worker(target=_scan_region,
                               args=(self.scanners[k], addr + starts[k],
                                     ends[k] - starts[k], k == n - 1,
                                     self.release),
                               name=f"pageowner-fast scan {k}")
                        for k in range(1 if here else 0, n)]
        try:
            start_all(self.workers)
        except BaseException:
            self.wait()
            raise

    def wait(self):
        """Wait for every part's thread (they read the mapping, which must outlive them)."""
        join_all(self.workers)

    def cancel(self):
        """A dropped scan: a late scan's long part stops at its next slice (no finish())."""
        self.cancelled = True
        if self.late is not None and self.workers:
            (<Scanner>self.scanners[len(self.scanners) - 1]).s.split_proposed = POF_SPLIT_STOP

    def _split_late(self):
        """finish()'s first step in a late scan: half the long part's rest to the last part."""
        cdef Scanner long_sc = self.scanners[len(self.scanners) - 1], sc = self.late[0]
        cdef SplitArgs sa
        cdef int r
        _, base, addr = self.late
        self.late, w = None, self.workers[len(self.workers) - 1]
        sa.buf, sa.size, sa.late = <const unsigned char*><size_t>(addr + base), self.size - base, &long_sc.s
        with nogil:
            r = pof_guarded(_split_cb, &sa)     # (-1 in sa.parts: none proposed; SIGBUS: r)
        while r == 0 and sa.parts == 0 and long_sc.s.split_answer == 0 and not w.finished:
            time.sleep(0.0002)
        if r == 0 and sa.parts == 0 and long_sc.s.split_answer == sa.starts[0]:
            sc.s.stale_cma, sc.s.stale_slab = sa.cma[0], sa.slab[0]
            self.scanners.append(sc)
            self.workers.append(Worker(target=_scan_region, name=f"pageowner-fast scan {len(self.workers)}",
                                       args=(sc, addr + base + sa.starts[0], sa.size - sa.starts[0], 1, self.release)))
            start_all(self.workers[len(self.workers) - 1:])

    def finish(self, progress=None):
        cdef Scanner sc
        cdef int k, r
        if self.finished or self.cancelled:
            raise RuntimeError("this scan was finished or cancelled already")
        self.finished = True
        try:
            if self.late is not None:
                self._split_late()
            if self.here:
                addr, n, last = self.part0
                _scan_region(self.scanners[0], addr, n, last, self.release)
            if progress is not None:
                reported = 0
                while not all(w.finished for w in self.workers):
                    time.sleep(0.1)
                    now = sum(x.done_bytes for x in self.scanners)
                    progress(now - reported)
                    reported = now
                progress(self.size - reported)
        finally:
            self.wait()
        scanners = self.scanners
        for x in scanners:
            if x.error is not None:
                raise x.error
        if any(x.saw_cr for x in scanners):
            return None
        sc = scanners[0]
        for k in range(1, len(scanners)):
            if self.params[1]:
                r = pof_scanner_merge(&sc.s, &(<Scanner>scanners[k]).s)
            else:
                r = _merge_rows(sc, scanners[k], len(scanners))
            if r != 0:
                raise _status_error(r)
        self.scanners = []
        return sc.result()


cdef class _RowMerge:
    """The row modes' merge of two scanners, its copy shared out among threads (a row
    per block: on a 1 GiB input, over 80 MB of columns to copy)."""
    cdef pof_merge m

    def part(self, int k, int parts):
        with nogil:
            pof_merge_rows(&self.m, k, parts)


cdef int _merge_rows(Scanner a, Scanner b, int threads) except -2:
    cdef _RowMerge rm = _RowMerge()
    cdef int r
    cdef int parts = max(1, min(threads, 8))
    with nogil:
        r = pof_merge_begin(&rm.m, &a.s, &b.s)
    try:
        if r == 0:
            on_threads(lambda k: rm.part(k, parts), parts, "pageowner-fast merge")
            with nogil:
                r = pof_merge_end(&rm.m)
    finally:
        pof_merge_free(&rm.m)
    return r


def scan_stream(f, *, strip_ts=True, progress=None, aggregate=False, fold_key=None):
    """Scan a binary stream; returns (columns, tables, stats) like _pyscan.scan_bytes.

    aggregate=True folds blocks with the same collation text and allocator into one row
    (`count` blocks, `pages` their total, clamped at 2**63-1 -- stats["pages_overflow"]
    counts such rows; the other fields are the first block's): memory then grows with the
    number of distinct texts, not with the input. fold_key: fold by those fields only
    (fold_key_mask)."""
    s = Scanner(strip_ts, aggregate, 0, fold_key)
    s.feed_stream(f, progress)
    return s.result()


def scan_bytes(data, *, strip_ts=True, aggregate=False, fold_key=None):
    """Scan a bytes-like object (for tests)."""
    import io
    return scan_stream(io.BytesIO(bytes(data)), strip_ts=strip_ts, aggregate=aggregate,
                       fold_key=fold_key)


# --- the default text layout -------------------------------------------------------------------

cdef class TextRecords:
    """page_owner_sort's default-layout records, for the writers of _textwrite: record i is
    count[i], pages[i], allocator bits alloc[i] and the texts of header hid[i] and stack
    sid[i] of the tables (harena, hoffs) and (sarena, soffs). `templated`: (q, etpl, edn,
    edv) when the header table holds templates (see _templated). The arrays must outlive
    this object (the caller's references keep them)."""
    cdef pof_records r
    cdef object keep

    def __init__(self, const unsigned char[::1] harena, const int64_t[::1] hoffs,
                 const unsigned char[::1] sarena, const int64_t[::1] soffs,
                 const int64_t[::1] count, const int64_t[::1] pages, const uint8_t[::1] alloc,
                 const int32_t[::1] hid, const int32_t[::1] sid, templated=None):
        cdef const int32_t[::1] tq
        cdef const int32_t[::1] etpl
        cdef const int8_t[::1] edn
        cdef const uint64_t[::1] edv
        cdef Py_ssize_t n = count.shape[0]
        if not (pages.shape[0] == alloc.shape[0] == hid.shape[0] == sid.shape[0] == n):
            raise ValueError("count, pages, alloc, hid and sid must have the same length")
        if hoffs.shape[0] < 1 or soffs.shape[0] < 1:
            raise ValueError("an offsets array needs at least one entry")
        memset(&self.r, 0, sizeof(self.r))
        self.r.harena = &harena[0] if harena.shape[0] else NULL
        self.r.hoffs = &hoffs[0]
        self.r.nh = hoffs.shape[0] - 1
        self.r.harena_len = harena.shape[0]
        self.r.sarena = &sarena[0] if sarena.shape[0] else NULL
        self.r.soffs = &soffs[0]
        self.r.ns = soffs.shape[0] - 1
        self.r.sarena_len = sarena.shape[0]
        if n:
            self.r.count = &count[0]
            self.r.pages = &pages[0]
            self.r.alloc = &alloc[0]
            self.r.hid = &hid[0]
            self.r.sid = &sid[0]
        self.r.n = n
        if templated is not None:
            tq, etpl, edn, edv = templated
            if tq.shape[0] != <Py_ssize_t>self.r.nh or not (etpl.shape[0] == edn.shape[0] == edv.shape[0]):
                raise ValueError("templated: q needs one entry per template, etpl, edn and edv "
                                 "one per header")
            self.r.ne = etpl.shape[0]
            if self.r.ne:
                self.r.tq = &tq[0]
                self.r.etpl = &etpl[0]
                self.r.edn = &edn[0]
                self.r.edv = &edv[0]
        self.keep = (harena, hoffs, sarena, soffs, count, pages, alloc, hid, sid, templated)

    def __len__(self):
        return self.r.n

    def size(self, Py_ssize_t lo, Py_ssize_t hi):
        """The bytes of records [lo, hi) as written."""
        cdef uint64_t b
        cdef size_t at
        cdef int rc
        if not 0 <= lo <= hi <= <Py_ssize_t>self.r.n:
            raise ValueError("records outside 0..len")
        with nogil:
            rc = pof_records_size(&self.r, lo, hi, &b, &at)
        if rc != 0:
            raise ValueError(f"record {at}: a header or stack id, or its offsets, outside its table")
        return b

    def fill(self, bytearray buf, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t target):
        """Write whole records from lo on (before hi) into buf, stopping once `target` bytes
        are written or the next one does not fit: (bytes written, next record, bytes the
        record lo needs when not even it fits, else 0)."""
        cdef pof_records r = self.r
        cdef char* out = <char*>buf
        cdef size_t cap = len(buf), need = 0
        cdef ptrdiff_t w
        if not 0 <= lo <= hi <= <Py_ssize_t>self.r.n:
            raise ValueError("records outside 0..len")
        r.next = lo
        r.n = hi
        with nogil:
            w = pof_records_write(&r, out, cap, <size_t>max(target, 1), &need)
        if w == POF_EBADID:
            raise ValueError(f"record {r.next}: a header or stack id, or its offsets, outside "
                             "its table")
        return w, r.next, need


# --- unique entries of a templated table (-a) -------------------------------------------------

def dedup_entries(etpl, edn, edv):
    """Make the entries of a templated header table unique (-a: an entry per row). Entry i
    is template etpl[i] with edn[i] digits of value edv[i]; equal texts are equal entries
    (a line's template and digits are decided by the line alone, and the templates are
    interned), so the entries are compared, not the texts. Returns ((etpl, edn, edv), remap):
    remap[old id] = new id, ids in order of first appearance; remap is None (and the entries
    returned as they are) when no two are equal, which a sort of a key tells: the digits'
    value plus a multiple of the template (-a: the ts values, nearly all distinct; whole
    lines have no digits, and their templates tell them apart)."""
    _need_np()
    etpl = np.ascontiguousarray(etpl, dtype=np.int32)
    edn = np.ascontiguousarray(edn, dtype=np.int8)
    edv = np.ascontiguousarray(edv, dtype=np.uint64)
    n = len(etpl)
    if n < 2:
        return (etpl, edn, edv), None
    key = etpl.astype(np.uint64)
    key *= np.uint64(0x9E3779B97F4A7C15)
    key += edv                  # equal entries, equal keys (modulo 2**64)
    srt = np.sort(key)
    rep = srt[1:] == srt[:-1]
    if not rep.any():
        return (etpl, edn, edv), None
    # the entries whose key repeats, grouped exactly by (template, digit count, value);
    # each group's first one stays
    cand = np.flatnonzero(np.isin(key, srt[1:][rep]))
    tn = (etpl[cand].astype(np.uint64) << np.uint64(8)) | edn[cand].view(np.uint8).astype(np.uint64)
    pairs = np.stack([tn, edv[cand]], axis=1)
    _, first, inv = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
    canon = np.arange(n, dtype=np.int64)
    canon[cand] = cand[first[inv.reshape(-1)]]
    keep = canon == np.arange(n, dtype=np.int64)
    if keep.all():
        return (etpl, edn, edv), None
    newid = np.cumsum(keep) - 1
    return (etpl[keep], edn[keep], edv[keep]), newid[canon].astype(np.int32)


def templated_packed(const uint8_t[::1] arena, const int64_t[::1] offs, const int32_t[::1] q,
                     const int32_t[::1] etpl, const int8_t[::1] edn, const uint64_t[::1] edv):
    """The texts of a templated header table (see _templated) as (arena, offsets)."""
    _need_np()
    cdef Py_ssize_t ne = etpl.shape[0], nt = q.shape[0], i, total = 0, w = 0, t, a, b, d, k
    cdef uint64_t v
    if offs.shape[0] != nt + 1 or edn.shape[0] != ne or edv.shape[0] != ne:
        raise ValueError("templates and entries do not fit together")
    for i in range(ne):
        t = etpl[i]
        if not 0 <= t < nt or edn[i] > 19 or (edn[i] >= 0 and not 0 <= q[t] <= offs[t + 1] - offs[t]):
            raise ValueError(f"entry {i} does not fit its template")
        total += offs[t + 1] - offs[t] + (edn[i] if edn[i] > 0 else 0)
    out = np.empty(total, dtype=np.uint8)
    noffs = np.empty(ne + 1, dtype=np.int64)
    cdef uint8_t[::1] o = out
    cdef int64_t[::1] no = noffs
    no[0] = 0
    for i in range(ne):
        t = etpl[i]
        a = offs[t]
        b = offs[t + 1]
        d = edn[i]
        if d < 0:
            if b > a:
                memcpy(&o[w], &arena[a], b - a)
            w += b - a
        else:
            if q[t] > 0:
                memcpy(&o[w], &arena[a], q[t])
            w += q[t]
            v = edv[i]
            for k in range(d - 1, -1, -1):
                o[w + k] = <uint8_t>(48 + v % 10)
                v //= 10
            w += d
            if b - a > q[t]:
                memcpy(&o[w], &arena[a + q[t]], b - a - q[t])
            w += b - a - q[t]
        no[i + 1] = w
    return out, noffs


def rank_texts(const unsigned char[::1] arena, offs):
    """rank[i] = the place of text i, arena[offs[i]:offs[i+1]], among all of them in bytewise
    order (memcmp, then length: Python's order of bytes); equal texts keep index order.
    `offs` must be non-decreasing and within the arena (checked)."""
    _need_np()
    cdef const int64_t[::1] o = np.ascontiguousarray(offs, dtype=np.int64)
    cdef Py_ssize_t n = o.shape[0] - 1
    cdef unsigned char dummy = 0
    cdef const unsigned char* a = &arena[0] if arena.shape[0] else &dummy
    cdef int rc = 0
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if o[0] < 0 or o[n] > arena.shape[0] or bool(np.any(np.diff(np.asarray(o)) < 0)):
        raise ValueError("rank_texts: offsets out of order or outside the arena")
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] r = out
    with nogil:
        rc = pof_rank_texts(a, &o[0], n, &r[0])
    if rc != 0:
        raise _status_error(rc)
    return out


cdef class _ArgSort:
    """The bucketed argsort's state (pof_sort.h), with the keys and output its threads use."""
    cdef pof_argsort a
    cdef object keys, out
    cdef list rcs
    cdef int parts

    def part(self, int k):
        cdef int rc
        with nogil:
            rc = pof_argsort_part(&self.a, k, self.parts)
        self.rcs[k] = rc

    def __dealloc__(self):
        pof_argsort_free(&self.a)


def argsort_u64(keys, int threads=1):
    """The stable order of a uint64 array (a radix sort: linear, unlike NumPy's stable
    argsort of 64-bit integers); many keys are sorted in buckets on `threads` threads."""
    _need_np()
    cdef _ArgSort s = _ArgSort()
    s.keys = np.ascontiguousarray(keys, dtype=np.uint64)
    cdef const uint64_t[::1] k = s.keys
    cdef Py_ssize_t n = k.shape[0]
    s.out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] o = s.out
    cdef int rc = 0
    if n:
        with nogil:
            rc = pof_argsort_begin(&s.a, &k[0], n, &o[0])
    if rc != 0:
        raise _status_error(rc)
    s.parts = max(1, min(threads, 8))
    s.rcs = [0] * s.parts
    on_threads(s.part, s.parts, "pageowner-fast sort")
    for rc in s.rcs:
        if rc != 0:
            raise _status_error(rc)
    return s.out


def group_u64(keys, const int64_t[::1] count, const int64_t[::1] pages):
    """Rows grouped by equal uint64 keys, groups in key order (a stable radix sort): (first
    row of each group, sum of count, sum of pages), or None when a page sum would pass
    2**63-1 (the caller then sums exactly). Only the sort's indices are kept meanwhile
    (32-bit), no permuted copies of the columns."""
    _need_np()
    cdef const uint64_t[::1] k = np.ascontiguousarray(keys, dtype=np.uint64)
    cdef Py_ssize_t n = k.shape[0], i, g = 0, j
    cdef uint32_t* order
    cdef int rc = 0
    cdef int64_t c, p, pj
    cdef bint over = False
    if count.shape[0] != n or pages.shape[0] != n:
        raise ValueError("keys, count and pages must have the same length")
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy(), z.copy()
    order = <uint32_t*>malloc(n * sizeof(uint32_t))
    if order == NULL:
        raise MemoryError()
    try:
        with nogil:
            rc = pof_argsort_u64_u32(&k[0], n, order)
            if rc == 0:
                g = 1
                for i in range(1, n):
                    if k[order[i]] != k[order[i - 1]]:
                        g += 1
        if rc != 0:
            raise _status_error(rc)
        first = np.empty(g, dtype=np.int64)
        cnt = np.empty(g, dtype=np.int64)
        pg = np.empty(g, dtype=np.int64)
        fill_groups(k, count, pages, order, n, first, cnt, pg, &over)
    finally:
        free(order)
    return None if over else (first, cnt, pg)


cdef void fill_groups(const uint64_t[::1] k, const int64_t[::1] count, const int64_t[::1] pages,
                      const uint32_t* order, Py_ssize_t n, int64_t[::1] first, int64_t[::1] cnt,
                      int64_t[::1] pg, bint* over) noexcept nogil:
    cdef Py_ssize_t i, g = -1
    cdef uint32_t j
    for i in range(n):
        j = order[i]
        if i == 0 or k[j] != k[order[i - 1]]:
            g += 1
            first[g] = j
            cnt[g] = 0
            pg[g] = 0
        cnt[g] += count[j]
        if pages[j] < 0 or pg[g] > INT64_MAX - pages[j]:
            over[0] = True
        else:
            pg[g] += pages[j]


def _bench_intern(list items):
    """Intern every bytes object of `items` into a fresh table; returns the distinct count
    (benchmark hook for the interner alone)."""
    cdef pof_interner t
    cdef bytes b
    if pof_interner_init(&t, 1 << 12) != 0:
        pof_interner_free(&t)
        raise MemoryError()
    try:
        for b in items:
            if pof_intern(&t, PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b)) < 0:
                raise MemoryError()
        return t.n
    finally:
        pof_interner_free(&t)
