/* The default-layout text writer (see pof_textout.h). */
#include "pof_textout.h"
#include "pof_defs.h"

static const char *const ALLOC_NAMES[4] = {"CMA ", "SLAB ", "VMALLOC ", "OTHERS "};
static const size_t ALLOC_LENS[4] = {4, 5, 8, 7};

size_t pof_put_int(char *out, int64_t v)
{
    char tmp[24];
    size_t n = 0, k = 0;
    uint64_t u;
    if (v < 0) {
        out[k++] = '-';
        u = (uint64_t)(-(v + 1)) + 1;
    } else {
        u = (uint64_t)v;
    }
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n > 0)
        out[k++] = tmp[--n];
    return k;
}

static size_t int_len(int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    size_t n = v < 0 ? 2 : 1;
    while (u >= 10) {
        u /= 10;
        n++;
    }
    return n;
}

/* value i of a table, checked: 0 and its span, or POF_EBADID */
static int span(const int64_t *offs, size_t nvals, size_t arena_len, int32_t i,
                int64_t *start, int64_t *len)
{
    if (i < 0 || (size_t)i >= nvals)
        return POF_EBADID;
    *start = offs[i];
    *len = offs[i + 1] - offs[i];
    if (*start < 0 || *len < 0 || (uint64_t)(*start + *len) > arena_len)
        return POF_EBADID;
    return 0;
}

/* header hid of a templated table: its template's span, and the digits (dn < 0: none) at
 * *q; 0, or POF_EBADID */
static int tpl_span(const pof_records *r, int32_t hid, int64_t *hs, int64_t *hl, int *dn,
                    uint64_t *dv, int64_t *q)
{
    int32_t t;
    if (hid < 0 || (size_t)hid >= r->ne)
        return POF_EBADID;
    t = r->etpl[hid];
    if (span(r->hoffs, r->nh, r->harena_len, t, hs, hl) != 0)
        return POF_EBADID;
    *dn = r->edn[hid];
    *dv = r->edv[hid];
    *q = r->tq[t];
    if (*dn > 19 || (*dn >= 0 && (*q < 0 || *q > *hl)))
        return POF_EBADID;
    return 0;
}

ptrdiff_t pof_records_write(pof_records *r, char *out, size_t cap, size_t target, size_t *need)
{
    size_t w = 0, k;
    *need = 0;
    for (; r->next < r->n && w < target; r->next++) {
        size_t i = r->next, want;
        int64_t hs, hl, ss, sl, q = 0;
        int dn = -1;
        uint64_t dv = 0;
        uint8_t a = r->alloc[i];
        if ((r->etpl != NULL ? tpl_span(r, r->hid[i], &hs, &hl, &dn, &dv, &q)
                             : span(r->hoffs, r->nh, r->harena_len, r->hid[i], &hs, &hl)) != 0 ||
                span(r->soffs, r->ns, r->sarena_len, r->sid[i], &ss, &sl) != 0)
            return POF_EBADID;
        /* 2 x 20 digits, the fixed text (41), the names (24), the digits put in, the texts */
        want = 148 + (size_t)hl + (size_t)sl;
        if (w + want > cap) {
            if (w == 0)
                *need = want;
            break;
        }
        w += pof_put_int(out + w, r->count[i]);
        memcpy(out + w, " times, ", 8);
        w += 8;
        w += pof_put_int(out + w, r->pages[i]);
        memcpy(out + w, " pages, allocated by ", 21);
        w += 21;
        for (k = 0; k < 4; k++) {
            if (a & (2u << k)) {
                memcpy(out + w, ALLOC_NAMES[k], ALLOC_LENS[k]);
                w += ALLOC_LENS[k];
            }
        }
        out[w++] = ':';
        out[w++] = '\n';
        if (dn >= 0) {          /* template[:q], the digits, template[q:] */
            int d;
            if (q)
                memcpy(out + w, r->harena + hs, (size_t)q);
            w += (size_t)q;
            for (d = dn; d > 0; d--) {
                out[w + (size_t)d - 1] = (char)('0' + dv % 10);
                dv /= 10;
            }
            w += (size_t)dn;
            if (hl > q)
                memcpy(out + w, r->harena + hs + q, (size_t)(hl - q));
            w += (size_t)(hl - q);
        } else {
            if (hl)
                memcpy(out + w, r->harena + hs, (size_t)hl);
            w += (size_t)hl;
        }
        if (sl)
            memcpy(out + w, r->sarena + ss, (size_t)sl);
        w += (size_t)sl;
        out[w++] = '\n';
    }
    return (ptrdiff_t)w;
}

int pof_records_size(const pof_records *r, size_t from, size_t to, uint64_t *bytes, size_t *at)
{
    uint64_t total = 0;
    size_t i, k;
    *bytes = 0;
    *at = from;
    for (i = from; i < to && i < r->n; i++) {
        int64_t hs, hl, ss, sl, q = 0;
        int dn = -1;
        uint64_t dv = 0;
        if ((r->etpl != NULL ? tpl_span(r, r->hid[i], &hs, &hl, &dn, &dv, &q)
                             : span(r->hoffs, r->nh, r->harena_len, r->hid[i], &hs, &hl)) != 0 ||
                span(r->soffs, r->ns, r->sarena_len, r->sid[i], &ss, &sl) != 0) {
            *at = i;
            return POF_EBADID;
        }
        for (k = 0; k < 4; k++)
            total += (r->alloc[i] & (2u << k)) ? ALLOC_LENS[k] : 0;
        /* " times, " (8), " pages, allocated by " (21), ":\n" (2), the closing "\n" (1) */
        total += int_len(r->count[i]) + int_len(r->pages[i]) + 32 + (uint64_t)hl +
                 (uint64_t)(dn > 0 ? dn : 0) + (uint64_t)sl;
    }
    *bytes = total;
    return 0;
}
