/* What the row builder (pof_rows.c) shares with the fold by a key (pof_keyfold.c): a
 * block's text, and the two helpers both use. Private to the scanner's C files. */
#ifndef POF_ROWS_H
#define POF_ROWS_H

#include "pof_scanner.h"

/* A block's text as the row builder sees it. */
typedef struct {
    const unsigned char *h;     /* the header line (the first line, newline included) */
    ptrdiff_t hl;
    const unsigned char *s;     /* the rest: page_owner_sort's stacktrace */
    ptrdiff_t sn;
    const unsigned char *t;     /* h + s in one piece, or NULL while the two are apart */
    const unsigned char *pl;    /* its first PFN line (newline included), or NULL */
    ptrdiff_t pll;
    uint16_t bad;
    int64_t lineno;
} blk_text;

/* A ts match: r = pof_field_value()'s result; the capture is t[cs:ce] (-1: none). */
typedef struct {
    int r;
    uint64_t v;
    ptrdiff_t cs, ce;
} blk_ts;

/* h[0:hl] without h[cs:ce], into the scanner's scratch buffer (NULL: out of memory). */
const char *pof_rows_cut(pof_scanner *s, const unsigned char *h, ptrdiff_t hl, ptrdiff_t cs,
                         ptrdiff_t ce);

/* Row r's fields from the block's own PFN line (-1 for all when it has none). */
void pof_rows_pfn_fields(pof_scanner *s, pof_cols *c, size_t r, const blk_text *b);

/* POF_FOLD by a key: block b of shape g into its key's row (pof_keyfold.c). */
int pof_fold_by_key(pof_scanner *s, const blk_text *b, int32_t g, int ts_mode, uint64_t ts,
                    ptrdiff_t hcs, ptrdiff_t hce, int dslot, uint64_t dv);

#endif /* POF_ROWS_H */
