/* POF_FOLD by a key (pof_scanner.kspec, pof_fold_by_key), and the counts the folds keep
 * pending: a block of a row seen before is counted in one small place -- the shape's cache
 * entry, or pend[] for a plain row of the text fold -- and added to its row's count and
 * pages later (pof_fold_flush), so that a block touches one cache line, not a row's three
 * columns. */
#include <stdlib.h>

#include "pof_rows.h"

/* n blocks of bp pages each into row g of c, the page sum clamped as n single folds would
 * clamp it. */
static void fold_n(pof_scanner *s, pof_cols *c, size_t g, int64_t n, int64_t bp)
{
    if (bp <= 0 || n <= INT64_MAX / bp) {
        pof_cols_fold(c, g, n, n * bp, &s->pages_clamped);
    } else {                        /* n * bp alone passes INT64_MAX */
        pof_cols_fold(c, g, n, INT64_MAX, &s->pages_clamped);
        s->pages_clamped = 1;
    }
}

/* Shape g's counted blocks into its last key's row. */
static void kc_flush(pof_scanner *s, size_t g)
{
    pof_khot *h = &s->khot[g];
    if (h->n != 0 && h->bits != 0xff)
        fold_n(s, &s->kcols, (size_t)s->kcold[g].kg, (int64_t)h->n, s->kcold[g].bp);
    h->n = 0;
}

void pof_fold_flush_row(pof_scanner *s, size_t g)
{
    int64_t n = (int64_t)s->pend[g];
    s->pend[g] = 0;
    fold_n(s, &s->cols, g, n, s->cols.block_pages[g]);
}

void pof_fold_flush(pof_scanner *s)
{
    size_t g, n = s->pend_cap < s->cols.n ? s->pend_cap : s->cols.n;
    if (s->key_done)    /* the key's rows are the result now: nothing is pending */
        return;
    for (g = 0; g < n; g++)
        if (s->pend[g] != 0)
            pof_fold_flush_row(s, g);
    for (g = 0; g < s->kcache_cap; g++)
        kc_flush(s, g);
}

/* POF_FOLD by a key (pof_scanner.kspec): block b, whose shape -- its row of the text fold
 * -- is g, into the row of its key. ts_mode (POF_EV_TS_*) and ts: the block's own ts match;
 * hcs/hce: where its ts digits sit in the header line (hce <= hcs: not there); dslot/dv:
 * its free_ts slot. A new row is the shape's with this block's own ts, free_ts, PFN line,
 * line number and header text: the first block of each key, as a cull keeps it. The key
 * holds the block's bad bits, order and emptiness too, so that every count and warning
 * made from the rows stays exact; the pipeline's cull merges what they split. */
int pof_fold_by_key(pof_scanner *s, const blk_text *b, int32_t g, int ts_mode, uint64_t ts,
                    ptrdiff_t hcs, ptrdiff_t hce, int dslot, uint64_t dv)
{
    pof_cols *c = &s->cols, *k = &s->kcols;
    unsigned spec = s->kspec;
    uint64_t free_ts;
    int64_t pfn = -1, block = -1;
    int mt = -1, bmt = -1;
    uint16_t bad;
    size_t r;
    int32_t kg = -1, hid;
    uint8_t bits;
    pof_kkey key;
    pof_khot *e = (size_t)g < s->kcache_cap ? &s->khot[g] : NULL;
    pof_kcold *ec;
    if (spec & POF_K_BLOCK) {   /* the key holds the PFN line's pageblock and types */
        if (b->pl != NULL)
            pof_parse_pfn_cached(&s->lastpfn, b->pl, b->pll, &pfn, &mt, &block, &bmt);
    }
    /* what varies between blocks of one shape: ts, free_ts and PFN bits, and free_ts != 0;
       each shape remembers the row of the last such variant it met (one entry per shape:
       most blocks of a shape are alike, and the cache stays small). A hit reads that entry
       only -- it keeps the shape's own bits -- and counts the block there (kc_flush). */
    if (e != NULL && e->bits != 0xff) {
        bits = (uint8_t)(((ts_mode == POF_EV_TS_BAD ||
                           (ts_mode == POF_EV_TS_SHAPE && (e->gbad & POF_BAD_TS))) ? 8 : 0) |
                         ((!dslot && (e->gbad & POF_BAD_FREE_TS)) ? 4 : 0) |
                         (b->pl == NULL ? 2 : 0) | (dslot ? dv != 0 : e->gfree));
        /* the shape's last key; with the pageblock in it a hit too, most of the time: the
           dump lists pages in PFN order, so a shape's blocks in one pageblock come one
           after another */
        if (e->bits == bits && (!(spec & POF_K_BLOCK) ||
                                (s->kcold[g].block == block && s->kcold[g].mt == mt &&
                                 s->kcold[g].bmt == bmt))) {
            if (++e->n == UINT32_MAX)
                kc_flush(s, (size_t)g);
            return 0;
        }
    }
    free_ts = dslot ? dv : c->free_ts[g];
    bad = (uint16_t)(c->bad[g] & ~(POF_BAD_PFN | POF_BAD_TS));
    if (ts_mode == POF_EV_TS_BAD)
        bad |= POF_BAD_TS;
    else if (ts_mode == POF_EV_TS_SHAPE)
        bad |= c->bad[g] & POF_BAD_TS;
    if (dslot)
        bad &= (uint16_t)~POF_BAD_FREE_TS;
    if (b->pl == NULL)
        bad |= POF_BAD_PFN;
    bits = (uint8_t)(((bad & POF_BAD_TS) ? 8 : 0) | ((bad & POF_BAD_FREE_TS) ? 4 : 0) |
                     ((bad & POF_BAD_PFN) ? 2 : 0) | (free_ts != 0));
    {   /* a new variant of the shape: its key's row (the entry's count goes to the old one) */
        size_t old = s->kcache_cap;
        memset(&key, 0, sizeof key);
        key.block = block;
        key.mt = (int8_t)mt;
        key.bmt = (int8_t)bmt;
        key.sid = (spec & POF_K_STACK) ? c->stack_id[g] : 0;
        key.pid = (spec & POF_K_PID) ? c->pid[g] : 0;
        key.tgid = (spec & POF_K_TGID) ? c->tgid[g] : 0;
        key.cid = (spec & POF_K_NAME) ? c->comm_id[g] : 0;
        key.mid = (spec & POF_K_MODULE) ? c->module_id[g] : 0;
        key.alloc = (spec & POF_K_ALLOC) ? c->alloc[g] : 0;
        key.free = (spec & POF_K_FREE) ? (uint8_t)(free_ts != 0) : 0;
        key.order = c->order[g];
        key.bad = bad;
        key.empty = b->hl == 0;
        kg = pof_intern(&s->kgroups, &key, sizeof key);
        if (kg < 0)
            return kg;
        if ((size_t)g >= old) {
            size_t cap = old, want = (size_t)g + 1;
            if (pof_grow((void **)&s->khot, &cap, want, sizeof(pof_khot), 1024) != 0)
                return POF_ENOMEM;
            cap = old;
            if (pof_grow((void **)&s->kcold, &cap, want, sizeof(pof_kcold), 1024) != 0)
                return POF_ENOMEM;      /* (khot keeps its larger room: harmless) */
            for (r = old; r < cap; r++) {
                s->khot[r].bits = 0xff;         /* no key yet: bits are below 16 */
                s->khot[r].n = 0;
            }
            s->kcache_cap = cap;
        }
        kc_flush(s, (size_t)g);
        e = &s->khot[g];
        ec = &s->kcold[g];
        e->bits = bits;
        e->gbad = (uint8_t)(c->bad[g] & (POF_BAD_TS | POF_BAD_FREE_TS));
        e->gfree = c->free_ts[g] != 0;
        ec->kg = kg;
        ec->block = block;
        ec->mt = (int8_t)mt;
        ec->bmt = (int8_t)bmt;
        ec->bp = c->block_pages[g];
    }
    if ((size_t)kg < k->n) {
        e->n = 1;
        return 0;
    }
    /* a new key: its row (rows are made in the order their keys first appear) */
    if (s->dgroup != NULL && (size_t)g < s->dgroup_cap && s->dgroup[g]) {
        /* the shape's header is a template: this block's own line, ts digits cut */
        if (hce > hcs) {
            const char *t = pof_rows_cut(s, b->h, b->hl, hcs, hce);
            if (t == NULL)
                return POF_ENOMEM;
            hid = pof_intern(&s->headers, t, (size_t)(b->hl - (hce - hcs)));
        } else {
            hid = pof_intern(&s->headers, b->h, (size_t)b->hl);
        }
        if (hid < 0)
            return hid;
    } else {
        hid = c->header_id[g];
    }
    r = k->n;
    if (pof_cols_reserve(k, r + 1) != 0)
        return POF_ENOMEM;
    pof_cols_copy_row(k, r, c, (size_t)g);
    k->header_id[r] = hid;
    k->count[r] = 1;
    k->pages[r] = c->block_pages[g];
    if (ts_mode == POF_EV_TS_OK)
        k->ts[r] = ts;
    else if (ts_mode == POF_EV_TS_BAD)
        k->ts[r] = POF_U64_MAX;
    k->free_ts[r] = free_ts;
    pof_rows_pfn_fields(s, k, r, b);     /* (a parse just made is the cache's answer) */
    k->bad[r] = bad;
    k->lineno[r] = b->lineno;
    k->n = r + 1;
    return 0;
}

