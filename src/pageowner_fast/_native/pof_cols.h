/* The scanner's output: one malloc'd array per column, grown by doubling. The Cython driver
 * hands each array to a NumPy array that takes it over (no copy). The columns and their
 * types are those of pageowner_fast/_fields.py COLUMNS. */
#ifndef POF_COLS_H
#define POF_COLS_H

#include "pof_port.h"

/* X(type, name): every column, in one list */
#define POF_COLUMNS(X)                                                                     \
    X(int16_t, order)        /* parsed order, -1 when missing */                           \
    X(int64_t, count)        /* blocks in the row (1 unless aggregated) */                 \
    X(int64_t, pages)        /* pages of the row: count * block_pages, clamped */          \
    X(int64_t, block_pages)  /* 2**order of one block (not a result column; the row modes \
                                set it on rows the shortcut did not make only) */       \
    X(int32_t, pid)                                                                        \
    X(int32_t, tgid)                                                                       \
    X(uint64_t, ts)                                                                        \
    X(uint64_t, free_ts)                                                                   \
    X(int64_t, pfn)                                                                        \
    X(uint64_t, gfp)                                                                       \
    X(int8_t, mt)                                                                          \
    X(int64_t, block)        /* pageblock number of the PFN line, -1 when absent */        \
    X(int8_t, bmt)           /* the pageblock's migratetype index, -1 unknown */           \
    X(uint8_t, alloc)                                                                      \
    X(int32_t, header_id)                                                                  \
    X(int32_t, stack_id)                                                                   \
    X(int32_t, comm_id)                                                                    \
    X(int32_t, module_id)                                                                  \
    X(uint16_t, bad)                                                                       \
    X(int64_t, lineno)

typedef struct {
    size_t n;       /* rows */
    size_t cap;     /* room in every array */
#define POF_COL_FIELD(type, name) type *name;
    POF_COLUMNS(POF_COL_FIELD)
#undef POF_COL_FIELD
} pof_cols;

int pof_cols_reserve(pof_cols *c, size_t want);     /* 0, or POF_ENOMEM */

/* Make the array *p (capacity *cap items) hold at least `want` items, doubling from
 * `first`; 0, or POF_ENOMEM (*p unchanged). */
int pof_grow(void **p, size_t *cap, size_t want, size_t itemsize, size_t first);
void pof_cols_free(pof_cols *c);                     /* frees what has not been taken */

/* Row i of s into row r of d (room reserved), every column as it is. */
POF_INLINE void pof_cols_copy_row(pof_cols *d, size_t r, const pof_cols *s, size_t i)
{
#define POF_COL_COPY(type, name) d->name[r] = s->name[i];
    POF_COLUMNS(POF_COL_COPY)
#undef POF_COL_COPY
}

/* a + b for page sums, clamped at INT64_MAX instead of wrapping (both >= 0) */
POF_INLINE int64_t pof_add_pages(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* Add `count` blocks of `pages` pages to row g of c; a page sum that would wrap is clamped at
 * INT64_MAX, and *clamped then set. */
POF_INLINE void pof_cols_fold(pof_cols *c, size_t g, int64_t count, int64_t pages, int *clamped)
{
    c->count[g] += count;
    if (c->pages[g] > INT64_MAX - pages)
        *clamped = 1;
    c->pages[g] = pof_add_pages(c->pages[g], pages);
}

#endif /* POF_COLS_H */
