/* Field matchers: page_owner_sort's POSIX regexes (docs/compatibility.md, Field extraction) as hand-written leftmost
 * matchers, each linear in its input whatever the text holds (the C tool's regex engine is
 * linear too), plus the PFN line parser and the VMALLOC heuristic (Allocator).
 *
 * `h[0:n]` is a block's text (or part of it); a matcher given `lim` reports only matches
 * that start before `lim` (the header line), though they may run on past it, as a regex
 * match over the whole block does. */
#ifndef POF_MATCH_H
#define POF_MATCH_H

#include "pof_port.h"
#include "pof_defs.h"

POF_INLINE int pof_is_space(unsigned char c) { return c == 32 || (c >= 9 && c <= 13); }
POF_INLINE int pof_is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
POF_INLINE int pof_is_lhex(unsigned char c) { return pof_is_digit(c) || (c >= 'a' && c <= 'f'); }
POF_INLINE int pof_is_hex(unsigned char c) { return pof_is_lhex(c) || (c >= 'A' && c <= 'F'); }

/* First index >= start of needle[0:m] in h[0:n], or -1. */
ptrdiff_t pof_find(const unsigned char *h, ptrdiff_t start, ptrdiff_t n, const char *needle,
                   ptrdiff_t m);

/* The numeric header fields: `order\s*([0-9]*),`, `pid\s*([0-9]*),`, `tgid\s*([0-9]*) `,
 * `ts\s*([0-9]*)\s*ns`, `free_ts\s*([0-9]*)\s*ns`. */
typedef enum { POF_F_ORDER, POF_F_PID, POF_F_TGID, POF_F_TS, POF_F_FREE_TS } pof_field;

/* Leftmost match of `field` starting before lim: its start, or -1; the capture
 * is h[*cs:*ce]. */
ptrdiff_t pof_match_field(const unsigned char *h, ptrdiff_t n, ptrdiff_t lim, pof_field field,
                          ptrdiff_t *cs, ptrdiff_t *ce);

/* The same, converted as strtol/strtoull (order, pid, tgid up to LONG_MAX; ts, free_ts up
 * to U64_MAX) with page_owner_sort's FIELD_BUFF rule: -1 no match; 0 match, value in *v;
 * 1 match but unconvertible (empty, 25+ characters -- leading zeros count -- or too big). */
int pof_field_value(const unsigned char *h, ptrdiff_t n, ptrdiff_t lim, pof_field field,
                    uint64_t *v, ptrdiff_t *cs, ptrdiff_t *ce);

/* strtoull of the digits h[s:e] under the FIELD_BUFF rule: 0 ok, -1 failure. */
int pof_conv_u64(const unsigned char *h, ptrdiff_t s, ptrdiff_t e, uint64_t limit, uint64_t *out);

/* The ts match among matches starting in the header line h[0:hl], reading nothing past
 * the line: -1 none, 0 found (value in *v), 1 found (unconvertible), 2 undecided (an
 * attempt ran into the line end, where the next line could complete it). */
int pof_ts_in_header(const unsigned char *h, ptrdiff_t hl, uint64_t *v, ptrdiff_t *cs,
                     ptrdiff_t *ce);

/* pof_ts_in_header() and, in the same pass over the line's "ts" pairs, the free_ts match
 * (*fr: -1 none, 0 found -- the capture h[*fs:*fe] --, 2 undecided). When the ts match is
 * undecided (2) the free_ts one is not looked for (*fr = 2). */
int pof_ts_slot_in_header(const unsigned char *h, ptrdiff_t hl, uint64_t *v, ptrdiff_t *cs,
                          ptrdiff_t *ce, int *fr, ptrdiff_t *fs, ptrdiff_t *fe);

/* The free_ts match among matches starting in the header line h[0:hl], reading nothing
 * past the line: -1 none, 0 found (the capture is h[*cs:*ce], digits only), 2 undecided
 * (an attempt ran into the line end). The collation of texts folds on its digits. */
int pof_free_ts_in_header(const unsigned char *h, ptrdiff_t hl, ptrdiff_t *cs, ptrdiff_t *ce);

/* Leftmost `tgid\s*[0-9]*\s*\((.*)\),\s*ts`: the greedy capture ends at the last `),\s*ts`
 * on the line of the `(`. Each line's last such `)` is found once. */
ptrdiff_t pof_match_comm(const unsigned char *h, ptrdiff_t n, ptrdiff_t lim, ptrdiff_t *cs,
                         ptrdiff_t *ce);

/* Leftmost `\+0x[0-9a-f]+/0x[0-9a-f]+\s*\[([a-zA-Z0-9_-]+)\]` (latest's module key). */
ptrdiff_t pof_match_module(const unsigned char *h, ptrdiff_t n, ptrdiff_t *cs, ptrdiff_t *ce);

/* Leftmost `mask\s*0x([0-9a-fA-F]+)` starting before lim: -1 none, 0 ok (value in *out),
 * 1 too big (more than 16 hex digits once leading zeros are dropped). */
int pof_match_mask(const unsigned char *h, ptrdiff_t n, ptrdiff_t lim, uint64_t *out);

/* --- VMALLOC (docs/compatibility.md, Allocator) ----------------------------------------------------------------------
 * The C tool takes the first `__vmalloc_node_range` of the block and says VMALLOC when an
 * `alloc_pages` starts between the start of the line before it and it. When that first
 * occurrence is on the block's first or second line, its backward walk runs off the start
 * of its buffer (undefined behaviour; in practice it never says VMALLOC): we say no. */

/* Index of the first `__vmalloc_node_range` in h[0:n], or -1. */
ptrdiff_t pof_find_vm(const unsigned char *h, ptrdiff_t n);

/* The part of the test that looks at the stack (the text after the header line): -1 no
 * `__vmalloc_node_range` in it; 0 its first one is on the stack's first line; 1 otherwise,
 * and then *hit: an `alloc_pages` starts in [start of the line before it, it). */
int pof_vmalloc_in_stack(const unsigned char *s, ptrdiff_t n, int *hit);

/* The whole test on a block's text (the reference for the split version above). */
int pof_is_vmalloc(const unsigned char *t, ptrdiff_t n);

/* --- the PFN line (our own columns; the C tool only greps it for CMA/slab) --------------------
 * The PFN, decimal or 0x-hex, by value: any number of leading zeros, -1 when the line has
 * none or it exceeds 2^63-1. The migratetype: the word after the first " type ". The
 * pageblock: the decimal digits right after the first " Block ", by value as the PFN (-1
 * when absent or too large), and its migratetype: the word after a " type " that follows
 * those digits directly (-1 when absent or unknown). */
void pof_parse_pfn_line(const unsigned char *line, ptrdiff_t len, int64_t *pfn, int *mt,
                        int64_t *block, int *bmt);
/* The same in two steps, for the row builder's cache of the second: the PFN, returning where
 * its digits end; then the rest from there, returning the end of the bytes the answer
 * depended on when the line has the kernel's layout up to the pageblock's type and that
 * word ends inside the line (from the PFN's end, a line with the same bytes up to there has
 * the same mt, block and bmt), else -1. */
ptrdiff_t pof_pfn_number(const unsigned char *line, ptrdiff_t len, int64_t *pfn);
ptrdiff_t pof_pfn_rest(const unsigned char *line, ptrdiff_t len, ptrdiff_t j, int *mt,
                       int64_t *block, int *bmt);

/* pof_parse_pfn_line with a memory of the last line's answer after its PFN: PFN lines in a
 * row differ mostly in their PFN, so the rest is compared, not parsed (P starts zeroed). */
typedef struct {
    unsigned char tail[64];     /* the bytes the last answer depended on ... */
    int len;                    /* ... (0: none) */
    int mt, bmt;
    int64_t block;
} pof_lastpfn;

void pof_parse_pfn_cached(pof_lastpfn *P, const unsigned char *line, ptrdiff_t len,
                          int64_t *pfn, int *mt, int64_t *block, int *bmt);
int pof_mt_index(const unsigned char *word, ptrdiff_t n);   /* _fields.MIGRATETYPES, or -1 */

/* Whether the ts digits t[tcs:tce] of the header line t[0:hl] overlap its comm or free_ts
 * match (then texts alike but for these digits may differ in those fields too). */
int pof_digits_sensitive(const unsigned char *t, ptrdiff_t n, ptrdiff_t hl, ptrdiff_t tcs,
                         ptrdiff_t tce);

#endif /* POF_MATCH_H */
