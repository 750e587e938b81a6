/* Column arrays (see pof_cols.h). */
#include <stdlib.h>

#include "pof_cols.h"
#include "pof_defs.h"
#include "pof_guard.h"

#define HUGE_MIN (4u << 20)     /* arrays this large ask for huge pages */

int pof_cols_reserve(pof_cols *c, size_t want)
{
    size_t cap;
    void *p;
    if (want <= c->cap)
        return 0;
    for (cap = c->cap ? c->cap * 2 : 65536; cap < want; cap *= 2)
        ;
#define POF_COL_GROW(type, name)                                                           \
    p = realloc(c->name, cap * sizeof(type));                                              \
    if (p == NULL)                                                                         \
        return POF_ENOMEM;                                                                 \
    c->name = (type *)p;                                                                   \
    if (cap * sizeof(type) >= HUGE_MIN)                                                    \
        pof_hugepages(p, cap * sizeof(type));
    POF_COLUMNS(POF_COL_GROW)
#undef POF_COL_GROW
    c->cap = cap;
    return 0;
}

void pof_cols_free(pof_cols *c)
{
#define POF_COL_FREE(type, name) free(c->name);
    POF_COLUMNS(POF_COL_FREE)
#undef POF_COL_FREE
    memset(c, 0, sizeof *c);
}

/* Make the array *p (capacity *cap items) hold at least `want` items, doubling from
 * `first`; 0, or POF_ENOMEM (*p unchanged). */
int pof_grow(void **p, size_t *cap, size_t want, size_t itemsize, size_t first)
{
    size_t c = *cap ? *cap * 2 : first;
    void *q;
    if (want <= *cap)
        return 0;
    while (c < want)
        c *= 2;
    q = realloc(*p, c * itemsize);
    if (q == NULL)
        return POF_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}
