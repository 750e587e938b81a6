/* The scanner: the parser state of one pass over a page_owner dump, carried across the
 * chunks of a stream (as pandas' parser_t is), and its output columns and tables.
 *
 * Feed it a stream in chunks (pof_feed / pof_feed_end) or a mapped region at a time
 * (pof_scan_region); the Cython driver (_scan.pyx) owns the Python objects: it reads the
 * file object into its buffer, runs the threads, and turns the columns and tables into
 * NumPy arrays that take over these buffers. No Python object is made per block. */
#ifndef POF_SCANNER_H
#define POF_SCANNER_H

#include "pof_port.h"
#include "pof_defs.h"
#include "pof_cols.h"
#include "pof_intern.h"
#include "pof_match.h"
#include "pof_split.h"

/* What a scan makes of the blocks (the three modes never mix in one scan). */
typedef enum {
    POF_FOLD = 1,       /* `sort`: blocks with the same collation text and allocator are one
                           row (`count` blocks, `pages` their sum); memory grows with the
                           distinct texts, not with the input */
    POF_ROWS = 2,       /* load(): a row per block, the ts digits cut from the collation text */
    POF_ROWS_TS = 3     /* -a: a row per block, ts kept: (nearly) every header line is new, so
                           each is stored without a lookup and made unique afterwards */
} pof_mode;

/* What the matchers find when started inside one distinct raw stack (cached per stack:
 * the same stack repeats thousands of times). Offsets are relative to the stack. */
typedef struct {
    int32_t out_id;             /* id in the output stack table (-1: not yet interned) */
    int32_t out_stripped_id;    /* the same with the stack's own ts digits cut (-1: not yet) */
    int8_t r[5];                /* pof_field_value() per pof_field ... */
    uint64_t v[5];              /* ... and the values */
    int8_t r_gfp;
    uint64_t v_gfp;
    ptrdiff_t ts_cs, ts_ce;     /* the ts capture */
    ptrdiff_t comm_cs, comm_ce; /* the comm capture (-1: none) */
    ptrdiff_t mod_cs, mod_ce;   /* the module capture (-1: none) */
    int8_t vm_line;             /* pof_vmalloc_in_stack() */
    uint8_t vm_hit;
    uint8_t lead_bracket;       /* starts with \s*[ (a module match may begin in the header) */
} pof_stackinfo;

/* POF_FOLD: the key of a row, interned as bytes (padding zeroed). */
typedef struct {
    int32_t hid;
    int32_t sid;
    uint64_t digits;            /* the ts digits and their place, when cutting them hid a
                                   difference in another field (pof_rows.c) */
    uint8_t alloc;
    uint8_t has_digits;
} pof_group_key;

typedef struct {
    pof_mode mode;
    int strip_ts;
    /* --- output -------------------------------------------------------------------------- */
    pof_cols cols;
    pof_interner headers;       /* first line of each collation text */
    pof_interner stacks;        /* the rest (page_owner_sort's stacktrace) */
    pof_interner comms;
    pof_interner modules;
    uint64_t *hkeys;            /* POF_ROWS_TS: each header line's key (pof_canon_ids) */
    size_t hkeys_cap;
    /* --- caches ---------------------------------------------------------------------------- */
    pof_interner raw_stacks;    /* stacks as read, ts digits in */
    pof_stackinfo *info;        /* per raw stack id */
    size_t ninfo, info_cap;
    uint8_t *header_vm;         /* per header id: holds `__vmalloc_node_range` */
    size_t nheader_vm, header_vm_cap;
    pof_interner groups;        /* POF_FOLD: group key -> row */
    pof_fast fast;              /* (header, raw stack, PFN verdict) -> row */
    /* --- parser state carried across chunks ------------------------------------------------ */
    pof_split split;            /* the block being split, and its PFN lines */
    int stale_cma, stale_slab;  /* verdict of the last PFN line seen (never reset: docs/compatibility.md, Reading blocks) */
    ptrdiff_t last_pfn_len;
    int64_t lineno;             /* lines consumed so far */
    /* --- scratch --------------------------------------------------------------------------- */
    char *scratch;              /* a header line with its ts digits cut */
    size_t scratch_cap;
    char *textbuf;              /* a block's text put together, when it must be */
    size_t text_cap;
    /* --- counts ---------------------------------------------------------------------------- */
    int64_t nblocks, nbytes, nul_bytes, cr_removed;
    volatile int64_t done_bytes;    /* progress through a mapped region (read by another thread) */
    int mapped;                 /* scanning a mapped region (not a cleaned stream) */
    int saw_cr;                 /* a mapped region holds CR bytes: stream it instead */
    int truncated;              /* the input ended inside a block (it was completed) */
    int pages_clamped;          /* some row's page sum was clamped at INT64_MAX */
} pof_scanner;

/* size_hint: bytes this scanner will read, if known (0: unknown); tables are sized once. */
int pof_scanner_init(pof_scanner *s, int strip_ts, int aggregate, size_t size_hint);
void pof_scanner_free(pof_scanner *s);

/* Every complete block in buf[0:end]: returns where the unprocessed tail starts (the next
 * call must begin with that block, moved or not), or a negative status. */
ptrdiff_t pof_scan(pof_scanner *s, const unsigned char *buf, ptrdiff_t end);

/* A stream: `got` new bytes were read into buf[have:]. Counts their NUL bytes, turns CRLF
 * into LF (also across the chunk boundary), scans, and moves the unprocessed tail to the
 * front: returns its length (the new `have`), or a negative status. */
ptrdiff_t pof_feed(pof_scanner *s, unsigned char *buf, ptrdiff_t have, ptrdiff_t got);

/* The stream ended with `have` bytes pending (cap - have >= 2): the last block lacks its
 * empty line; it is completed and scanned (deliberate difference 1). 0 or a status. */
int pof_feed_end(pof_scanner *s, unsigned char *buf, ptrdiff_t have, ptrdiff_t cap);

/* A part of a mapped file that starts at a block start (the last part may end inside a
 * block). Returns 0 with s->saw_cr set when the input holds CR bytes (the caller then
 * streams it instead), or a negative status. `release`: give the pages back behind us. */
int pof_scan_region(pof_scanner *s, const unsigned char *buf, ptrdiff_t size, int last,
                    int release);

/* Append the rows of b (which scanned the part after a's) to a's, re-interning b's values;
 * in POF_FOLD rows that a has already are added up. */
int pof_scanner_merge(pof_scanner *a, pof_scanner *b);

/* Rows whose page sum was clamped at INT64_MAX (it would have wrapped). */
int64_t pof_pages_overflow(const pof_scanner *s);

/* Cut buf[0:size] into at most `parts` pieces at block starts (parts <= 64): starts[k],
 * and the PFN verdict each piece starts with (that of the last PFN line before it).
 * Returns the number of pieces. */
int pof_split_parts(const unsigned char *buf, ptrdiff_t size, int parts, ptrdiff_t *starts,
                    int *cma, int *slab);

/* internal: one block buf[bstart:bend] (pof_rows.c) */
int pof_block(pof_scanner *s, const unsigned char *buf, ptrdiff_t bstart, ptrdiff_t bend);

#endif /* POF_SCANNER_H */
