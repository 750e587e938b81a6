/* Folding the events of a scan, and the text order of its header lines (see pof_scanner.h,
 * pof_rows.c).
 *
 * A header line with a free_ts slot is a template (the line without the slot's digits)
 * and digits; any other header line is a template of its own. Sorting the texts by their
 * bytes would read every one of them; instead each text is P + D + S, where D is a run of
 * at most 19 digits (a slot's, or a plain line's own free_ts digits, or none) and S, what
 * follows D, is empty or starts with a byte below '0':
 *   - the templates are sorted by (P, S): there are few, their number grows with the
 *     distinct fields, not with the blocks;
 *   - the P values fall in classes: a P and the P values it is a prefix of. Texts of
 *     different classes compare as their P values do, whatever follows;
 *   - texts of a class with one P compare as (D left-aligned in 19 digits, D's length, S):
 *     exact, because S starts below every digit (so "12 ns" < "120 ns" < "13 ns");
 *   - a class with several P values (one a proper prefix of another: lines no kernel
 *     prints) is sorted by comparing the texts themselves.
 * Equal texts are then neighbours: one header id per text, ids in text order. Events of the
 * same shape and digits are neighbours too, in block order: one row each, its fields the
 * shape's with the first block's own values. The rows are then put in order of first
 * appearance (line numbers), as an aggregated scan promises. */
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "pof_scanner.h"
#include "pof_sort.h"
#include "pof_guard.h"

static const uint64_t POW10[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
    100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
    10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
    100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL};

void pof_htable_free(pof_htable *t)
{
    free(t->arena);
    free(t->offs);
    free(t->q);
    free(t->etpl);
    free(t->edn);
    free(t->edv);
    memset(t, 0, sizeof *t);
}

/* Everything the passes share. */
typedef struct {
    pof_scanner *s;
    pof_htable *ht;
    size_t hp;                  /* plain templates: 0..hp-1; slot templates after them */
    size_t nev;
    uint64_t inv5[20];          /* 5^k's inverse modulo 2^64 (exact division by 10^k) */
    /* per template */
    int32_t *plen;              /* length of P */
    int32_t *sstart;            /* where S starts in the template's text */
    int8_t *fdn;                /* a plain template's own digits (count, -1 none) ... */
    uint64_t *fdv;              /* ... and value */
    uint32_t *srank;            /* dense rank of (P, S) */
    uint32_t *cls;              /* class of P */
    uint8_t *multi;             /* per class: several P values */
    uint32_t *rank_tpl;         /* per owner rank (pof_sortkey.b's low half): its template */
    /* scratch for texts */
    char *ta, *tb;
    size_t tcap;
} fold_ctx;

POF_INLINE const char *tpl_text(const pof_htable *ht, size_t t, size_t *len)
{
    *len = (size_t)(ht->offs[t + 1] - ht->offs[t]);
    return ht->arena + ht->offs[t];
}

/* memcmp order, shorter first on a common prefix */
static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

/* the templates by (P, S) */
static int tpl_cmp(const fold_ctx *c, uint32_t x, uint32_t y)
{
    size_t lx, ly;
    const char *tx = tpl_text(c->ht, x, &lx), *ty = tpl_text(c->ht, y, &ly);
    int r = bytes_cmp(tx, (size_t)c->plen[x], ty, (size_t)c->plen[y]);
    if (r)
        return r;
    return bytes_cmp(tx + c->sstart[x], lx - (size_t)c->sstart[x],
                     ty + c->sstart[y], ly - (size_t)c->sstart[y]);
}

static int tpl_lt(const void *ctx, uint32_t x, uint32_t y)
{
    return tpl_cmp((const fold_ctx *)ctx, x, y) < 0;
}

/* A record is an event (i < nev) or a plain template (nev + t). */
typedef struct {
    size_t tpl;
    int dn;                     /* digits put in (-1: none: the template is the text) */
    uint64_t dv;
} rec_text;

static rec_text rec_of(const fold_ctx *c, size_t i)
{
    rec_text r;
    if (i < c->nev) {
        const pof_event *e = pof_ev(c->s, i);
        r.tpl = c->hp + (size_t)c->s->cols.header_id[e->g];
        r.dn = e->dn;
        r.dv = e->dv;
    } else {
        r.tpl = i - c->nev;
        r.dn = -1;
        r.dv = 0;
    }
    return r;
}

/* The text of a record into buf (room: template length + 19); its length. */
static size_t rec_put(const fold_ctx *c, rec_text r, char *buf)
{
    size_t len, q, k;
    const char *t = tpl_text(c->ht, r.tpl, &len);
    uint64_t v = r.dv;
    if (r.dn < 0) {
        memcpy(buf, t, len);
        return len;
    }
    q = (size_t)c->ht->q[r.tpl];
    memcpy(buf, t, q);
    for (k = (size_t)r.dn; k > 0; k--) {
        buf[q + k - 1] = (char)('0' + v % 10);
        v /= 10;
    }
    memcpy(buf + q + (size_t)r.dn, t + q, len - q);
    return len + (size_t)r.dn;
}

/* a / 10^k for an `a` that 10^k divides: a multiplication instead of a division (a >> k
 * is a multiple of 5^k, and multiplying by 5^k's inverse modulo 2^64 undoes it exactly) */
POF_INLINE uint64_t exact_div10(const fold_ctx *c, uint64_t a, int k)
{
    return (a >> k) * c->inv5[k];
}

static void init_inv5(fold_ctx *c)
{
    uint64_t p = 1, x;
    int k, i;
    for (k = 0; k < 20; k++, p *= 5) {
        x = p;                  /* Newton: each step doubles the bits that are right */
        for (i = 0; i < 6; i++)
            x *= 2 - p * x;
        c->inv5[k] = x;
    }
}

/* The text of a sorted record from its key alone (no look at the event): an event's
 * template is its owner's, its digits' count is in b's high half, their value in a. */
static rec_text rec_of_key(const fold_ctx *c, const pof_sortkey *x)
{
    rec_text r;
    if (x->idx < c->nev) {
        r.tpl = c->rank_tpl[x->b & 0xffffffffu];
        r.dn = (int)((x->b >> 32) - 1) / 2;
        r.dv = exact_div10(c, x->a, 19 - r.dn);
    } else {
        r.tpl = x->idx - c->nev;
        r.dn = -1;
        r.dv = 0;
    }
    return r;
}

static int rec_text_cmp(fold_ctx *c, size_t i, size_t j)
{
    size_t ni = rec_put(c, rec_of(c, i), c->ta), nj = rec_put(c, rec_of(c, j), c->tb);
    return bytes_cmp(c->ta, ni, c->tb, nj);
}

/* multi classes: by text, then as the keys say (owner, record) */
typedef struct {
    fold_ctx *c;
    const pof_sortkey *r;
} exact_ctx;

static int exact_lt(const void *ctx, uint32_t x, uint32_t y)
{
    const exact_ctx *e = (const exact_ctx *)ctx;
    int k = rec_text_cmp(e->c, e->r[x].idx, e->r[y].idx);
    if (k)
        return k < 0;
    if (e->r[x].b != e->r[y].b)
        return e->r[x].b < e->r[y].b;
    return e->r[x].idx < e->r[y].idx;
}

/* --- the templates ------------------------------------------------------------------------- */

/* The template table: the plain header lines, then the slot templates (their place cut off
 * the interned value); each one's P, S and own digits; their order and classes. */
static int build_templates(fold_ctx *c)
{
    pof_scanner *s = c->s;
    pof_htable *ht = c->ht;
    size_t hp = s->headers.n, hd = s->dtpl.n, m = hp + hd, t, k, len, w = 0, nc = 0;
    uint32_t *order = NULL, *tmp = NULL;
    int rc = POF_ENOMEM;
    size_t maxlen = 0;
    c->hp = hp;
    ht->n = m;
    ht->arena = (char *)malloc(s->headers.arena_len + s->dtpl.arena_len + 1);
    ht->offs = (int64_t *)malloc((m + 1) * sizeof(int64_t));
    ht->q = (int32_t *)malloc((m + 1) * sizeof(int32_t));
    c->plen = (int32_t *)malloc((m + 1) * sizeof(int32_t));
    c->sstart = (int32_t *)malloc((m + 1) * sizeof(int32_t));
    c->fdn = (int8_t *)malloc(m + 1);
    c->fdv = (uint64_t *)malloc((m + 1) * sizeof(uint64_t));
    c->srank = (uint32_t *)malloc((m + 1) * sizeof(uint32_t));
    c->cls = (uint32_t *)malloc((m + 1) * sizeof(uint32_t));
    c->multi = (uint8_t *)calloc(m + 1, 1);
    order = (uint32_t *)malloc((m + 1) * sizeof(uint32_t));
    tmp = (uint32_t *)malloc((m + 1) * sizeof(uint32_t));
    if (!ht->arena || !ht->offs || !ht->q || !c->plen || !c->sstart || !c->fdn || !c->fdv ||
            !c->srank || !c->cls || !c->multi || !order || !tmp)
        goto out;
    ht->offs[0] = 0;
    for (t = 0; t < m; t++) {
        const char *v;
        if (t < hp) {
            v = pof_interner_value(&s->headers, t, &len);
            ht->q[t] = -1;
        } else {
            v = pof_tpl_value(&s->dtpl, t - hp, &len, &ht->q[t]);
        }
        memcpy(ht->arena + w, v, len);
        w += len;
        ht->offs[t + 1] = (int64_t)w;
        maxlen = len > maxlen ? len : maxlen;
    }
    /* P, S and a plain line's own digits: its free_ts capture, when that is 2..19 digits
       followed by a byte below '0' (else the whole line is P) */
    for (t = 0; t < m; t++) {
        const unsigned char *x = (const unsigned char *)ht->arena + ht->offs[t];
        ptrdiff_t fs, fe;
        len = (size_t)(ht->offs[t + 1] - ht->offs[t]);
        c->fdn[t] = -1;
        c->fdv[t] = 0;
        if (ht->q[t] >= 0) {
            c->plen[t] = c->sstart[t] = ht->q[t];
        } else if (len > 0 && pof_free_ts_in_header(x, (ptrdiff_t)len, &fs, &fe) == 0 &&
                   fe - fs <= 19 && x[fe] < '0') {
            c->plen[t] = (int32_t)fs;
            c->sstart[t] = (int32_t)fe;
            c->fdn[t] = (int8_t)(fe - fs);
            for (k = (size_t)fs; k < (size_t)fe; k++)
                c->fdv[t] = c->fdv[t] * 10 + (uint64_t)(x[k] - '0');
        } else {
            c->plen[t] = c->sstart[t] = (int32_t)len;
        }
        order[t] = (uint32_t)t;
    }
    pof_msort_idx(order, m, tmp, tpl_lt, c);
    /* dense ranks of (P, S); classes of P (the empty P is a class of its own: it is a
       prefix of everything, and every text starts after it) */
    {
        size_t root = (size_t)-1, r = 0;
        for (k = 0; k < m; k++) {
            size_t x = order[k], pl = (size_t)c->plen[x];
            const char *px = ht->arena + ht->offs[x];
            if (k > 0 && tpl_cmp(c, order[k - 1], (uint32_t)x) != 0)
                r++;
            c->srank[x] = (uint32_t)r;
            if (root != (size_t)-1 && pl >= (size_t)c->plen[root] &&
                    memcmp(ht->arena + ht->offs[root], px, (size_t)c->plen[root]) == 0) {
                c->cls[x] = (uint32_t)(nc - 1);
                if (pl != (size_t)c->plen[root])
                    c->multi[nc - 1] = 1;
            } else {
                c->cls[x] = (uint32_t)nc++;
                root = pl > 0 ? x : (size_t)-1;
            }
        }
    }
    c->tcap = maxlen + 20;
    c->ta = (char *)malloc(c->tcap);
    c->tb = (char *)malloc(c->tcap);
    if (c->ta == NULL || c->tb == NULL)
        goto out;
    rc = (int)nc;
out:
    free(order);
    free(tmp);
    return rc;
}

/* --- the records, in text order ----------------------------------------------------------- */

/* Rank of each owner (a shape row with events, or a plain template) by (srank, kind, id):
 * owners of the same (P, S) are neighbours. own[g] for rows, own[rows + t] for templates. */
static int owner_ranks(fold_ctx *c, uint32_t *own)
{
    const pof_cols *cols = &c->s->cols;
    size_t n = 0, g, t, k, rows = cols->n;
    pof_sortkey *r = (pof_sortkey *)malloc((rows + c->hp + 1) * sizeof *r);
    pof_sortkey *tmp = (pof_sortkey *)malloc((rows + c->hp + 1) * sizeof *r);
    if (r == NULL || tmp == NULL) {
        free(r);
        free(tmp);
        return POF_ENOMEM;
    }
    for (g = 0; g < rows; g++) {
        if (!c->s->dgroup[g])
            continue;
        r[n].a = c->srank[c->hp + (size_t)cols->header_id[g]];
        r[n].b = ((uint64_t)1 << 32) | g;
        r[n++].idx = (uint32_t)g;
    }
    for (t = 0; t < c->hp; t++) {
        r[n].a = c->srank[t];
        r[n].b = t;
        r[n++].idx = (uint32_t)(rows + t);
    }
    pof_sort_keys(r, n, tmp);
    c->rank_tpl = (uint32_t *)malloc((n + 1) * sizeof(uint32_t));
    if (c->rank_tpl == NULL) {
        free(r);
        free(tmp);
        return POF_ENOMEM;
    }
    for (k = 0; k < n; k++) {
        size_t o = r[k].idx;
        own[o] = (uint32_t)k;
        c->rank_tpl[k] = (uint32_t)(o < rows ? c->hp + (size_t)cols->header_id[o] : o - rows);
    }
    free(r);
    free(tmp);
    return 0;
}

/* Records by class (a counting sort), each class then by its key: (a, b, idx) with a = D
 * left-aligned, b = (D's length, a bit for a non-empty S) << 32 | owner rank. */
static pof_sortkey *sorted_records(fold_ctx *c, size_t nclass, size_t *nrec_out)
{
    const pof_cols *cols = &c->s->cols;
    size_t nrec = c->nev + c->hp, i, k, maxb = 0;
    size_t *start = (size_t *)calloc(nclass + 1, sizeof(size_t));
    uint32_t *own = (uint32_t *)malloc((cols->n + c->hp + 1) * sizeof(uint32_t));
    pof_sortkey *r = (pof_sortkey *)malloc((nrec + 1) * sizeof *r), *tmp = NULL;
    if (r != NULL)
        pof_hugepages(r, (nrec + 1) * sizeof *r);
    uint32_t *ia = NULL, *ib = NULL;
    if (start == NULL || own == NULL || r == NULL || owner_ranks(c, own) != 0)
        goto fail;
    for (i = 0; i < nrec; i++)
        start[c->cls[rec_of(c, i).tpl] + 1]++;
    for (k = 0; k < nclass; k++) {
        maxb = start[k + 1] > maxb ? start[k + 1] : maxb;
        start[k + 1] += start[k];
    }
    for (i = 0; i < nrec; i++) {
        rec_text t = rec_of(c, i);
        int dn = t.dn >= 0 ? t.dn : c->fdn[t.tpl];
        uint64_t dv = t.dn >= 0 ? t.dv : c->fdv[t.tpl];
        uint32_t owner = i < c->nev ? own[pof_ev(c->s, i)->g] : own[cols->n + t.tpl];
        pof_sortkey *x = &r[start[c->cls[t.tpl]]++];
        x->a = dn >= 0 ? dv * POW10[19 - dn] : 0;
        x->b = ((uint64_t)(dn >= 0 ? 2 * dn + 1 : 0) << 32) | owner;
        x->idx = (uint32_t)i;
        x->pad = 0;
    }
    tmp = (pof_sortkey *)malloc((maxb + 1) * sizeof *tmp);
    ia = (uint32_t *)malloc((maxb + 1) * sizeof *ia);
    ib = (uint32_t *)malloc((maxb + 1) * sizeof *ib);
    if (tmp == NULL || ia == NULL || ib == NULL)
        goto fail;
    for (k = 0; k < nclass; k++) {      /* start[k] is now the end of class k */
        size_t lo = k ? start[k - 1] : 0, n = start[k] - lo, j;
        if (!c->multi[k]) {
            pof_sort_keys(r + lo, n, tmp);
            continue;
        }
        {
            exact_ctx e;
            e.c = c;
            e.r = r + lo;
            for (j = 0; j < n; j++)
                ia[j] = (uint32_t)j;
            pof_msort_idx(ia, n, ib, exact_lt, &e);
            for (j = 0; j < n; j++)
                tmp[j] = r[lo + ia[j]];
            memcpy(r + lo, tmp, n * sizeof *tmp);
        }
    }
    free(start);
    free(own);
    free(tmp);
    free(ia);
    free(ib);
    *nrec_out = nrec;
    return r;
fail:
    free(start);
    free(own);
    free(r);
    free(tmp);
    free(ia);
    free(ib);
    return NULL;
}

/* --- rows ----------------------------------------------------------------------------------- */

/* Per event, filled by the walk for the first event of each run (the others: entry -1):
 * read in event order when the rows are made. */
typedef struct {
    int32_t entry;              /* the run's header entry */
    uint32_t count;             /* its events */
} run_head;

/* Walk the sorted records: header entries (a new one where the text changes) and runs of
 * events of one shape and text (a row each, at heads[first event]); pent[t]: plain
 * template t's entry. Returns the number of runs. */
static size_t walk(fold_ctx *c, const pof_sortkey *r, size_t nrec, run_head *heads,
                   int32_t *pent)
{
    pof_htable *ht = c->ht;
    size_t k, ne = 0, nr = 0, first = 0;
    rec_text prev;
    uint32_t prev_owner = 0, count = 0;
    int prev_event = 0;
    memset(&prev, 0, sizeof prev);
    for (k = 0; k < nrec; k++) {
        size_t i = r[k].idx;
        rec_text t = rec_of_key(c, &r[k]);
        int same = 0;
        if (k > 0 && c->cls[t.tpl] == c->cls[prev.tpl]) {
            if (t.tpl == prev.tpl && t.dn == prev.dn && t.dv == prev.dv)
                same = 1;
            else if (c->multi[c->cls[t.tpl]])
                same = rec_text_cmp(c, i, r[k - 1].idx) == 0;
            else    /* one P: the same D and S (any template of that (P, S)) */
                same = r[k].a == r[k - 1].a && (r[k].b >> 32) == (r[k - 1].b >> 32) &&
                       c->srank[t.tpl] == c->srank[prev.tpl];
        }
        if (!same) {
            ht->etpl[ne] = (int32_t)t.tpl;
            ht->edn[ne] = (int8_t)t.dn;
            ht->edv[ne] = t.dv;
            ne++;
        }
        if (i < c->nev) {
            uint32_t owner = (uint32_t)(r[k].b & 0xffffffffu);
            if (!(same && prev_event && owner == prev_owner)) {
                if (count)
                    heads[first].count = count;
                first = i;                  /* sorted by index within a run: its first */
                count = 0;
                heads[i].entry = (int32_t)(ne - 1);
                nr++;
            } else {
                heads[i].entry = -1;
            }
            count++;
            prev_owner = owner;
            prev_event = 1;
        } else {
            pent[i - c->nev] = (int32_t)(ne - 1);
            prev_event = 0;
        }
        prev = t;
    }
    if (count)
        heads[first].count = count;
    ht->ne = ne;
    return nr;
}

/* One row per run (at its first event) and the rows without events, by line number. */
static int build_rows(fold_ctx *c, const run_head *heads, const int32_t *pent, size_t nruns)
{
    pof_scanner *s = c->s;
    pof_cols *old = &s->cols, nc;
    size_t nrows = nruns, r, i = 0, k = 0, out = 0, freed = 0;
    for (r = 0; r < old->n; r++)
        nrows += !s->dgroup[r];
    memset(&nc, 0, sizeof nc);
    if (pof_cols_reserve(&nc, nrows + 1) != 0)
        return POF_ENOMEM;
    for (;;) {
        while (k < old->n && s->dgroup[k])
            k++;
        while (i < c->nev && heads[i].entry < 0)
            i++;
        if (k >= old->n && i >= c->nev)
            break;
        if (i >= c->nev || (k < old->n && old->lineno[k] < pof_ev(s, i)->lineno)) {
            pof_cols_copy_row(&nc, out, old, k);
            nc.header_id[out] = pent[old->header_id[k]];
            k++;
        } else {
            const pof_event *e = pof_ev(s, i);
            size_t g = (size_t)e->g;
            int64_t bp = old->block_pages[g], cnt = (int64_t)heads[i].count;
            uint16_t bad = (uint16_t)(old->bad[g] & ~(POF_BAD_FREE_TS | POF_BAD_PFN));
            pof_cols_copy_row(&nc, out, old, g);
            nc.count[out] = cnt;
            if (bp > 0 && cnt > INT64_MAX / bp) {
                nc.pages[out] = INT64_MAX;
                s->pages_clamped = 1;
            } else {
                nc.pages[out] = cnt * bp;
            }
            nc.free_ts[out] = e->dv;
            if ((e->flags & POF_EV_TS_MASK) == POF_EV_TS_OK) {
                nc.ts[out] = e->ts;
                bad &= (uint16_t)~POF_BAD_TS;
            } else if ((e->flags & POF_EV_TS_MASK) == POF_EV_TS_BAD) {
                nc.ts[out] = POF_U64_MAX;
                bad |= POF_BAD_TS;
            }
            if (e->flags & POF_EV_NO_PFN)
                bad |= POF_BAD_PFN;
            nc.bad[out] = bad;
            nc.pfn[out] = e->pfn;
            nc.block[out] = e->block;
            nc.mt[out] = e->mt;
            nc.bmt[out] = e->bmt;
            nc.lineno[out] = e->lineno;
            nc.header_id[out] = heads[i].entry;
            i++;
        }
        out++;
        while (i >> POF_EV_CHUNK_BITS > freed) {    /* the events behind us: let them go */
            free(s->ev[freed]);
            s->ev[freed++] = NULL;
        }
    }
    nc.n = out;
    pof_cols_free(old);
    s->cols = nc;
    return out == nrows ? 0 : POF_EINTERNAL;
}

int pof_fold_finish(pof_scanner *s)
{
    fold_ctx c;
    pof_sortkey *r = NULL;
    run_head *heads = NULL;
    int32_t *pent = NULL;
    size_t nrec = 0, nruns;
    int nclass, rc = POF_ENOMEM;
    if (s->mode != POF_FOLD || s->nev == 0 || s->has_ht)
        return 0;
    if (s->nev >= 0xffffffffu || s->cols.n + s->headers.n >= 0xffffffffu)
        return POF_EINTERNAL;   /* 4G events: beyond the 32-bit indices used here */
    memset(&c, 0, sizeof c);
    c.s = s;
    c.ht = &s->ht;
    c.nev = s->nev;
    init_inv5(&c);
    nclass = build_templates(&c);
    if (nclass < 0)
        goto out;
    r = sorted_records(&c, (size_t)nclass, &nrec);
    heads = (run_head *)malloc((c.nev + 1) * sizeof *heads);
    pent = (int32_t *)malloc((c.hp + 1) * sizeof *pent);
    c.ht->etpl = (int32_t *)malloc((nrec + 1) * sizeof(int32_t));
    c.ht->edn = (int8_t *)malloc(nrec + 1);
    c.ht->edv = (uint64_t *)malloc((nrec + 1) * sizeof(uint64_t));
    if (r == NULL || heads == NULL || pent == NULL || !c.ht->etpl ||
            !c.ht->edn || !c.ht->edv)
        goto out;
    nruns = walk(&c, r, nrec, heads, pent);
    free(r);
    r = NULL;
    rc = build_rows(&c, heads, pent, nruns);
    if (rc == 0) {
        s->has_ht = 1;
        pof_ev_free(s);
    }
#if defined(__GLIBC__)
    malloc_trim(0);     /* the events' memory back to the system, not kept for later */
#endif
out:
    free(r);
    free(heads);
    free(pent);
    free(c.plen);
    free(c.sstart);
    free(c.fdn);
    free(c.fdv);
    free(c.srank);
    free(c.cls);
    free(c.multi);
    free(c.rank_tpl);
    free(c.ta);
    free(c.tb);
    if (rc != 0)
        pof_htable_free(&s->ht);
    return rc;
}
