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
                           each is kept as a template (the line without its ts digits,
                           interned) and its digits -- an entry of `ht` -- and the entries
                           are made unique afterwards */
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
    int32_t hid;                /* in `headers`, or in `dtpl` when dslot */
    int32_t sid;
    uint64_t digits;            /* the ts digits and their place, when cutting them hid a
                                   difference in another field (pof_rows.c) */
    uint8_t alloc;
    uint8_t has_digits;
    uint8_t dslot;
} pof_group_key;

/* POF_FOLD with a key (pof_scanner.kspec): blocks fold by these fields only, each row
 * keeping its first block's text and fields -- as a cull by them keeps its first loaded
 * member (docs/compatibility.md, "Cull and sort"). The text fold still finds each block's
 * shape (its fields); the rows are the key's. */
#define POF_K_STACK 1
#define POF_K_PID 2
#define POF_K_TGID 4
#define POF_K_NAME 8
#define POF_K_FREE 16           /* free_ts == 0 or not (6.1's --cull=f) */
#define POF_K_MODULE 32
#define POF_K_ALLOC 64
#define POF_K_BLOCK 128         /* the PFN line's pageblock, its type and the page's type */
#define POF_K_ALL 255

typedef struct {
    int64_t block;
    int32_t sid, pid, tgid, cid, mid;
    int16_t order;
    uint16_t bad;               /* the block's POF_BAD_* bits */
    uint8_t alloc, free;
    int8_t mt, bmt;
    uint8_t empty;              /* the header line is empty (an empty block) */
    uint8_t pad[3];
} pof_kkey;

/* A shape's last key (pof_fold_by_key), in two parts so that the common case -- a block
 * with the same key as its shape's last one -- touches 8 bytes (a shape's hot entry: the
 * per-block bits it met last, 0xff: none yet; the blocks of that key counted here and not
 * yet in its row; what the hit test needs of the shape's own row), not the 32 of the whole
 * entry: with tens of thousands of shapes, the hot entries stay in a core's L2 cache. The
 * cold part (its row, and when the key holds them the pageblock and types) is read when
 * the key changes, when the counts are flushed, and by a key with the pageblock in it. */
typedef struct {
    uint32_t n;                 /* blocks counted, not yet in row kg */
    uint8_t bits;
    uint8_t gbad;               /* the shape's POF_BAD_TS and POF_BAD_FREE_TS bits */
    uint8_t gfree;              /* the shape's free_ts != 0 */
    uint8_t pad;
} pof_khot;

typedef struct {
    int64_t block;
    int64_t bp;                 /* the shape's block_pages */
    int32_t kg;
    int8_t mt, bmt;
} pof_kcold;

/* The row modes: the fields a block found by the shortcut takes from the row it repeats,
 * packed (one cache line, where that row's columns would be nineteen). X(type, name): the
 * columns a copy takes as they are, widest first. */
#define POF_PROTO_FIELDS(X)                                                                \
    X(uint64_t, free_ts) X(uint64_t, gfp) X(int32_t, pid) X(int32_t, tgid)                 \
    X(int32_t, header_id) X(int32_t, stack_id) X(int32_t, comm_id) X(int32_t, module_id)   \
    X(int16_t, order) X(uint8_t, alloc)

typedef struct {
    int64_t block_pages;        /* a copy's pages */
    uint64_t ts;                /* the row's ts: a block whose header line has none takes it */
#define POF_PROTO_FIELD(type, name) type name;
    POF_PROTO_FIELDS(POF_PROTO_FIELD)
#undef POF_PROTO_FIELD
    uint16_t bad;               /* the row's bad bits (a copy keeps all but PFN and TS) */
} pof_proto;

/* POF_FOLD: a block of a row whose header line has a free_ts slot (pof_rows.c): the row
 * (a "shape": every field but the per-block ones) and this block's own values. The events
 * are folded after the scan by sorting (pof_fold.c), not by a table per distinct text. */
typedef struct {
    uint64_t dv;                /* the free_ts digits' value ... */
    uint64_t ts;                /* this block's ts (ts_r: pof_ts_in_header's result) */
    int64_t lineno;
    int64_t pfn;
    int64_t block;
    int32_t g;                  /* the shape row */
    int8_t dn;                  /* ... and their count (2..19) */
    uint8_t flags;              /* POF_EV_TS_*: this block's ts match; POF_EV_NO_PFN */
    int8_t mt, bmt;
} pof_event;

#define POF_EV_TS_OK 0          /* a ts in the header line: ts */
#define POF_EV_TS_BAD 1         /* a ts match there that does not convert */
#define POF_EV_TS_SHAPE 2       /* none there: the stack's, as the shape's */
#define POF_EV_TS_MASK 3
#define POF_EV_NO_PFN 4         /* the block has no PFN line of its own */

#define POF_EV_CHUNK_BITS 16    /* events are kept in chunks of 2^16 (never moved) */
#define POF_EV_CHUNK ((size_t)1 << POF_EV_CHUNK_BITS)

/* Header lines as templates: template t is arena[offs[t]:offs[t+1]] with the digits at
 * q[t] (-1: a whole line); entry i is template etpl[i] with edn[i] digits of value edv[i]
 * put in (edn < 0: none). A folded scan with free_ts slots makes one in text order
 * (pof_fold.c); POF_ROWS_TS one entry per row while it scans (pof_rows_ts_finish). */
typedef struct {
    char *arena;
    int64_t *offs;
    int32_t *q;
    size_t n;
    int32_t *etpl;
    int8_t *edn;
    uint64_t *edv;
    size_t ne;
    size_t ecap;                /* POF_ROWS_TS: room for entries */
} pof_htable;

/* The last block the shortcut answered (pof_rows.c, same_as_last): its header line, stack
 * and PFN verdict, where its digit runs were, its key and row. Consecutive blocks are
 * mostly alike (64-99% of them in the dumps we measured). Valid within one pof_scan call
 * only (a stream's buffer moves between calls). */
typedef struct {
    const unsigned char *h, *s;
    ptrdiff_t hl, sn;
    ptrdiff_t cs, ce;           /* its ts digits (1 to 19 of them) */
    ptrdiff_t fs, fe;           /* its free_ts slot's digits, when d_ok */
    pof_h128 key;
    int32_t g;
    uint8_t verdict;            /* stale CMA/slab bits */
    uint8_t d_ok, valid;
} pof_lastblk;

typedef struct {
    pof_mode mode;
    int strip_ts;
    /* --- output -------------------------------------------------------------------------- */
    pof_cols cols;
    pof_interner headers;       /* first line of each collation text */
    pof_interner stacks;        /* the rest (page_owner_sort's stacktrace) */
    pof_interner comms;
    pof_interner modules;
    /* --- caches ---------------------------------------------------------------------------- */
    pof_interner raw_stacks;    /* stacks as read, ts digits in */
    pof_stackinfo *info;        /* per raw stack id */
    size_t ninfo, info_cap;
    uint8_t *header_vm;         /* per header id: holds `__vmalloc_node_range` */
    size_t nheader_vm, header_vm_cap;
    pof_interner groups;        /* POF_FOLD: group key -> row */
    pof_interner dtpl;          /* header templates: the line with its digits cut, then the
                                   slot's place (int32; -1: none). POF_FOLD: free_ts slots;
                                   POF_ROWS_TS: the ts digits */
    uint8_t *dgroup;            /* per row: 1 when its blocks are events */
    size_t dgroup_cap;
    pof_proto *proto;           /* the row modes: what the shortcut table points to */
    size_t nproto, proto_cap;
    uint32_t *pend;             /* POF_FOLD, per plain row: blocks not yet added to its
                                   count and pages (pof_fold_flush adds them) */
    size_t pend_cap;
    pof_event **ev;             /* the events, in chunks */
    size_t nev, ev_chunks;
    int dslots;                 /* POF_FOLD: fold free_ts digits as events */
    pof_htable ht;              /* POF_FOLD: after pof_fold_finish, when there were events;
                                   POF_ROWS_TS: the entries while scanning, then all */
    int has_ht;
    /* --- POF_FOLD by a key ------------------------------------------------------------------ */
    unsigned kspec;             /* POF_K_* (0: by the whole text) */
    pof_cols kcols;             /* the rows (cols then holds the shapes) */
    pof_interner kgroups;       /* pof_kkey -> row of kcols */
    pof_khot *khot;             /* per shape: the last key it met (pof_khot, pof_kcold) */
    pof_kcold *kcold;
    size_t kcache_cap;          /* entries of both */
    int key_done;               /* pof_key_finish ran */
    pof_fast fast;              /* (header, raw stack, PFN verdict) -> row */
    pof_lastblk last;           /* ... and the last block it answered */
    pof_lastpfn lastpfn;
    int entry_raw;              /* POF_ROWS_TS: the last entry is a line kept whole (its
                                   free_ts digits make it unique: no use in `fast`) */
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
    /* a late split of the region being scanned (pof_scan_region): another thread proposes
       an end (a block start, relative to the region; POF_SPLIT_STOP: stop now), the scanning
       thread answers at its next slice (the end it took, or -1 when it refused or ended) */
    volatile ptrdiff_t split_proposed;
    volatile ptrdiff_t split_answer;
    int mapped;                 /* scanning a mapped region (not a cleaned stream) */
    int saw_cr;                 /* a mapped region holds CR bytes: stream it instead */
    int truncated;              /* the input ended inside a block (it was completed) */
    int pages_clamped;          /* some row's page sum was clamped at INT64_MAX */
} pof_scanner;

/* size_hint: bytes this scanner will read, if known (0: unknown); tables are sized once.
 * kspec: with aggregate, fold by these POF_K_* fields (0: by the whole text). */
int pof_scanner_init(pof_scanner *s, int strip_ts, int aggregate, size_t size_hint);
int pof_scanner_set_key(pof_scanner *s, unsigned kspec);   /* before any block */
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

/* POF_FOLD: add the blocks counted and not yet folded -- in s->pend (plain rows) and in
 * the shapes' key cache (a fold by a key) -- to their rows' count and pages (pof_keyfold.c).
 * Called when a region ends, before a merge and before the result; idempotent. */
void pof_fold_flush(pof_scanner *s);
void pof_fold_flush_row(pof_scanner *s, size_t g);     /* row g's pend only */

/* A part of a mapped file that starts at a block start (the last part may end inside a
 * block). Returns 0 with s->saw_cr set when the input holds CR bytes (the caller then
 * streams it instead), or a negative status. `release`: give the pages back behind us. */
int pof_scan_region(pof_scanner *s, const unsigned char *buf, ptrdiff_t size, int last,
                    int release);

/* A late split (see split_proposed): the region then ends at the proposed block start, if
 * the scan has not passed it yet, and is no longer the last. */
#define POF_SPLIT_STOP (-2)

/* A mapped region is scanned (and released) in slices of this many bytes. */
#define POF_SLICE (8 << 20)

/* Propose to s, which scans buf[0:size] on another thread, to end at the first block
 * start after the middle of what it has left (*start, with the PFN verdict it starts with);
 * 0, or -1 when no end is proposed: too little left (under two slices for each), or no
 * block start there. s answers in split_answer. */
int pof_propose_split(pof_scanner *s, const unsigned char *buf, ptrdiff_t size,
                      ptrdiff_t *start, int *cma, int *slab);

/* Append the rows of b (which scanned the part after a's) to a's, re-interning b's values;
 * in POF_FOLD rows that a has already are added up. */
int pof_scanner_merge(pof_scanner *a, pof_scanner *b);

/* The same in steps, so that the row modes' copy can run on several threads: begin (b's
 * tables into a's, room for b's rows), then in the row modes pof_merge_rows for parts
 * 0..parts-1 (each copies and maps its share of b's rows; any thread, any order), then end
 * (the folded modes' rows, the counts). pof_merge_free in any case; a status from begin
 * or end leaves `a` unusable. */
typedef struct {
    pof_scanner *a, *b;
    int32_t *hm, *sm, *cm, *mm, *dm;    /* b's ids in a's tables */
    size_t base;                        /* a's rows before b's */
    int64_t line_off;
} pof_merge;

int pof_merge_begin(pof_merge *m, pof_scanner *a, pof_scanner *b);
void pof_merge_rows(const pof_merge *m, int part, int parts);
int pof_merge_end(pof_merge *m);
void pof_merge_free(pof_merge *m);

/* Rows whose page sum was clamped at INT64_MAX (it would have wrapped). */
int64_t pof_pages_overflow(const pof_scanner *s);

/* Cut buf[0:size] into at most `parts` pieces at block starts (parts <= 64): starts[k],
 * and the PFN verdict each piece starts with (that of the last PFN line before it).
 * Returns the number of pieces. */
int pof_split_parts(const unsigned char *buf, ptrdiff_t size, int parts, ptrdiff_t *starts,
                    int *cma, int *slab);

/* POF_FOLD by a key, once the scan (and merge) is complete and pof_fold_flush has run: the
 * key's rows become the result (cols), their events name them; then pof_fold_finish. */
int pof_key_finish(pof_scanner *s);

/* POF_FOLD, once the scan (and merge) is complete: fold the events into rows, put the
 * header lines in text order (s->ht) and the rows in order of first appearance
 * (pof_fold.c). 0, or a status. */
int pof_fold_finish(pof_scanner *s);
void pof_htable_free(pof_htable *t);

/* POF_ROWS_TS: the place of a template that is a whole line stored without a lookup
 * (pof_rows.c, add_entry); pof_rows_ts_finish makes equal ones one and their place -1. */
#define POF_TPL_RAW (-2)

/* Template t of `dtpl`: its text (*len bytes) and its place (the int32 stored after it). */
POF_INLINE const char *pof_tpl_value(const pof_interner *d, size_t t, size_t *len, int32_t *q)
{
    const char *v = pof_interner_value(d, t, len);
    *len -= sizeof *q;
    memcpy(q, v + *len, sizeof *q);
    return v;
}

/* POF_ROWS_TS, once the scan (and merge) is complete: equal stored lines made one, then the
 * templates into s->ht beside its entries (the template arena is taken over, not copied).
 * 0, or a status. */
int pof_rows_ts_finish(pof_scanner *s);

/* POF_ROWS_TS: a new entry (template t, dn digits of value dv; dn < 0: none); its id, or
 * POF_ENOMEM. */
int32_t pof_entry_push(pof_htable *ht, int32_t t, int dn, uint64_t dv);

POF_INLINE pof_event *pof_ev(const pof_scanner *s, size_t i)
{
    return &s->ev[i >> POF_EV_CHUNK_BITS][i & (POF_EV_CHUNK - 1)];
}

/* Room for one more event: its address, or NULL. */
pof_event *pof_ev_push(pof_scanner *s);
void pof_ev_free(pof_scanner *s);

/* internal: one block buf[bstart:bend] (pof_rows.c) */
int pof_block(pof_scanner *s, const unsigned char *buf, ptrdiff_t bstart, ptrdiff_t bend);

#endif /* POF_SCANNER_H */
