/* The scanner's passes: the block loop, stream chunks, mapped regions, the merge of the
 * parts scanned on threads (see pof_scanner.h; one block's fields: pof_rows.c). */
#include <stddef.h>
#include <stdlib.h>

#include "pof_scanner.h"
#include "pof_guard.h"
#include "pof_lines.h"
#include "pof_sort.h"


int pof_scanner_init(pof_scanner *s, int strip_ts, int aggregate, size_t size_hint)
{
    size_t hcap = 1 << 12, want;
    memset(s, 0, sizeof *s);
    s->mode = aggregate ? POF_FOLD : strip_ts ? POF_ROWS : POF_ROWS_TS;
    s->strip_ts = strip_ts != 0;
    s->dslots = s->mode == POF_FOLD;
    /* folding with the ts kept: (nearly) every header line is new; size its table once
       instead of growing it through a dozen rehashes (~1 block per 400 bytes, x1.6) */
    if (size_hint > 0 && s->mode == POF_FOLD && !strip_ts)
        for (want = size_hint / 256; hcap < want; hcap *= 2)
            ;
    if (size_hint > 0 && s->mode != POF_FOLD && pof_cols_reserve(&s->cols, size_hint / 500 + 1) != 0)
        return POF_ENOMEM;
    s->split.pfn_cap = 256;
    s->split.pfn_pos = (int64_t *)malloc(s->split.pfn_cap * sizeof(int64_t));
    s->split.pfn_idx = (int64_t *)malloc(s->split.pfn_cap * sizeof(int64_t));
    pof_split_restart(&s->split);
    if (pof_interner_init(&s->headers, hcap) || pof_interner_init(&s->stacks, 1 << 12) ||
            pof_interner_init(&s->comms, 1 << 10) || pof_interner_init(&s->modules, 1 << 6) ||
            pof_interner_init(&s->raw_stacks, 1 << 12) || pof_interner_init(&s->groups, 1 << 12) ||
            pof_interner_init(&s->dtpl, 1 << 10) || pof_interner_init(&s->kgroups, 1 << 10) ||
            pof_fast_init(&s->fast, 1 << 12) || s->split.pfn_pos == NULL || s->split.pfn_idx == NULL)
        return POF_ENOMEM;
    return 0;
}

int pof_scanner_set_key(pof_scanner *s, unsigned kspec)
{
    if (s->mode != POF_FOLD || !s->strip_ts || s->nblocks != 0 ||
            (kspec & ~(unsigned)POF_K_ALL) != 0)
        return POF_EINTERNAL;
    s->kspec = kspec;
    return 0;
}

int pof_key_finish(pof_scanner *s)
{
    pof_cols t;
    if (!s->kspec || s->key_done)
        return 0;
    /* the key's rows become the result; the shapes go (no events were made) */
    t = s->cols;
    s->cols = s->kcols;
    s->kcols = t;
    pof_cols_free(&s->kcols);
    s->key_done = 1;
    return 0;
}

pof_event *pof_ev_push(pof_scanner *s)
{
    size_t c = s->nev >> POF_EV_CHUNK_BITS;
    if (c >= s->ev_chunks) {
        pof_event **p = (pof_event **)realloc(s->ev, (c + 1) * sizeof *p);
        if (p == NULL)
            return NULL;
        s->ev = p;
        p[c] = (pof_event *)malloc(POF_EV_CHUNK * sizeof(pof_event));
        if (p[c] == NULL)
            return NULL;
        pof_hugepages(p[c], POF_EV_CHUNK * sizeof(pof_event));
        s->ev_chunks = c + 1;
    }
    return pof_ev(s, s->nev++);
}

void pof_ev_free(pof_scanner *s)
{
    size_t c;
    for (c = 0; c < s->ev_chunks; c++)
        free(s->ev[c]);
    free(s->ev);
    s->ev = NULL;
    s->ev_chunks = s->nev = 0;
}

int32_t pof_entry_push(pof_htable *ht, int32_t t, int dn, uint64_t dv)
{
    size_t e = ht->ne;
    if (e >= (size_t)INT32_MAX)
        return POF_ENOMEM;
    if (e >= ht->ecap) {        /* the three arrays grow together */
        size_t cap = ht->ecap ? ht->ecap * 2 : 65536;
        int32_t *a = (int32_t *)realloc(ht->etpl, cap * sizeof(int32_t));
        int8_t *b;
        uint64_t *c;
        if (a == NULL)
            return POF_ENOMEM;
        ht->etpl = a;
        if ((b = (int8_t *)realloc(ht->edn, cap)) == NULL)
            return POF_ENOMEM;
        ht->edn = b;
        if ((c = (uint64_t *)realloc(ht->edv, cap * sizeof(uint64_t))) == NULL)
            return POF_ENOMEM;
        ht->edv = c;
        ht->ecap = cap;
    }
    ht->etpl[e] = t;
    ht->edn[e] = (int8_t)(dn < 0 ? -1 : dn);
    ht->edv[e] = dn < 0 ? 0 : dv;
    ht->ne = e + 1;
    return (int32_t)e;
}

/* Whole lines stored without a lookup (POF_TPL_RAW): equal ones become the first of them,
 * in the entries too (pof_rows_ts_finish then gives them all the place -1). */
static int canon_raw(pof_scanner *s)
{
    pof_interner *d = &s->dtpl;
    size_t t, k, j, nraw = 0, len, len2;
    uint64_t *keys = NULL;
    uint32_t *ids = NULL, *canon = NULL;
    int64_t *order = NULL;
    int32_t q;
    int changed = 0, rc = POF_ENOMEM;
    for (t = 0; t < d->n; t++) {
        pof_tpl_value(d, t, &len, &q);
        nraw += q == POF_TPL_RAW;
    }
    if (nraw == 0)
        return 0;
    keys = (uint64_t *)malloc(nraw * sizeof *keys);
    ids = (uint32_t *)malloc(nraw * sizeof *ids);
    order = (int64_t *)malloc(nraw * sizeof *order);
    canon = (uint32_t *)malloc(d->n * sizeof *canon);
    if (keys == NULL || ids == NULL || order == NULL || canon == NULL)
        goto out;
    for (t = 0, k = 0; t < d->n; t++) {
        const char *v = pof_tpl_value(d, t, &len, &q);
        canon[t] = (uint32_t)t;
        if (q != POF_TPL_RAW)
            continue;
        keys[k] = pof_hash(v, len).lo;
        ids[k++] = (uint32_t)t;
    }
    if (pof_argsort_u64(keys, nraw, order) != 0)
        goto out;
    /* a run of equal keys: each line against the run's earlier ones (ids ascending: the
       sort is stable), the first equal one wins */
    for (k = 0; k < nraw; k = j) {
        for (j = k + 1; j < nraw && keys[order[j]] == keys[order[k]]; j++) {
            size_t a, x = ids[order[j]];
            const char *vx = pof_tpl_value(d, x, &len, &q);
            for (a = k; a < j; a++) {
                size_t y = ids[order[a]];
                const char *vy = pof_tpl_value(d, y, &len2, &q);
                if (canon[y] == y && len == len2 && memcmp(vx, vy, len) == 0) {
                    canon[x] = (uint32_t)y;
                    changed = 1;
                    break;
                }
            }
        }
    }
    if (changed)
        for (k = 0; k < s->ht.ne; k++)
            s->ht.etpl[k] = (int32_t)canon[s->ht.etpl[k]];
    rc = 0;
out:
    free(keys);
    free(ids);
    free(order);
    free(canon);
    return rc;
}

int pof_rows_ts_finish(pof_scanner *s)
{
    pof_htable *ht = &s->ht;
    pof_interner *d = &s->dtpl;
    size_t t, len, w = 0;
    if (s->mode != POF_ROWS_TS || s->has_ht)
        return s->mode == POF_ROWS_TS ? 0 : POF_EINTERNAL;
    if (canon_raw(s) != 0)
        return POF_ENOMEM;
    ht->q = (int32_t *)malloc((d->n + 1) * sizeof(int32_t));
    if (ht->q == NULL)
        return POF_ENOMEM;
    /* each value is the template, then its place (int32): the places move to q, the
       templates close up in the arena they are in (every one moves left, or stays) */
    for (t = 0; t < d->n; t++) {
        const char *v = pof_tpl_value(d, t, &len, &ht->q[t]);
        if (ht->q[t] == POF_TPL_RAW)
            ht->q[t] = -1;      /* a whole line like the others now */
        memmove(d->arena + w, v, len);
        d->offs[t] = (int64_t)w;
        w += len;
    }
    d->offs[d->n] = (int64_t)w;
    if (d->arena == NULL) {     /* no template at all: an empty arena */
        d->arena = (char *)malloc(1);
        if (d->arena == NULL)
            return POF_ENOMEM;
    }
    ht->arena = d->arena;
    ht->offs = d->offs;
    ht->n = d->n;
    d->arena = NULL;            /* taken over: the interner cannot intern any more */
    d->offs = NULL;
    d->n = d->arena_len = d->arena_cap = d->offs_cap = 0;
    s->has_ht = 1;
    return 0;
}

void pof_scanner_free(pof_scanner *s)
{
    free(s->pend);
    s->pend = NULL;
    s->pend_cap = 0;
    free(s->proto);
    s->proto = NULL;
    pof_cols_free(&s->cols);
    pof_interner_free(&s->headers);
    pof_interner_free(&s->stacks);
    pof_interner_free(&s->comms);
    pof_interner_free(&s->modules);
    pof_interner_free(&s->raw_stacks);
    pof_interner_free(&s->groups);
    pof_interner_free(&s->dtpl);
    pof_interner_free(&s->kgroups);
    pof_cols_free(&s->kcols);
    free(s->khot);
    free(s->kcold);
    s->khot = NULL;
    s->kcold = NULL;
    pof_fast_free(&s->fast);
    pof_ev_free(s);
    pof_htable_free(&s->ht);
    free(s->dgroup);
    s->dgroup = NULL;
    free(s->info);
    free(s->header_vm);
    free(s->scratch);
    free(s->textbuf);
    free(s->split.pfn_pos);
    free(s->split.pfn_idx);
    s->info = NULL;
    s->header_vm = NULL;
    s->scratch = s->textbuf = NULL;
    s->split.pfn_pos = s->split.pfn_idx = NULL;
}

/* Room for `want` PFN lines per block (the splitter then starts the block again). */
static int reserve_pfn(pof_split *sp, size_t want)
{
    size_t cap = sp->pfn_cap;
    void *p;
    while (cap < want)
        cap *= 2;
    p = realloc(sp->pfn_pos, cap * sizeof(int64_t));
    if (p == NULL)
        return POF_ENOMEM;
    sp->pfn_pos = (int64_t *)p;
    p = realloc(sp->pfn_idx, cap * sizeof(int64_t));
    if (p == NULL)
        return POF_ENOMEM;
    sp->pfn_idx = (int64_t *)p;
    sp->pfn_cap = cap;
    pof_split_restart(sp);
    return 0;
}

ptrdiff_t pof_scan(pof_scanner *s, const unsigned char *buf, ptrdiff_t end)
{
    pof_split *sp = &s->split;
    ptrdiff_t pos = 0, bstart, bend, ls;
    int cma, slab;
    s->last.valid = 0;          /* buf may have moved since the last call */
    while (pos < end) {
        bstart = pos;
        bend = pof_block_end(buf, bstart, end, sp);
        if (bend < 0) {
            /* more PFN lines than there is room for: grow (twice what is needed), and the
               block is split again from its start once it is complete */
            if (sp->run.npfn > sp->pfn_cap && reserve_pfn(sp, 2 * sp->run.npfn) != 0)
                return POF_ENOMEM;
            return bstart;
        }
        if (sp->npfn > sp->pfn_cap) {
            if (reserve_pfn(sp, sp->npfn) != 0)
                return POF_ENOMEM;
            bend = pof_block_end(buf, bstart, end, sp);
            if (bend < 0 || sp->npfn > sp->pfn_cap)
                return POF_EINTERNAL;
        }
        if (s->mapped) {
            /* a stream was cleaned (CRLF -> LF, NULs counted) before it got here; a mapped
               input is checked here, in the same pass: a CR sends it back to be streamed */
            if (sp->cr) {
                s->saw_cr = 1;
                return bstart;
            }
            s->nul_bytes += sp->nul;
        }
        if (sp->npfn) {
            /* a block's allocator verdict comes from the last PFN line read (docs/compatibility.md, Reading blocks) */
            ls = bstart + sp->pfn_pos[sp->npfn - 1];
            s->last_pfn_len = pof_pfn_verdict(buf + ls, buf + bend, &cma, &slab);
            s->stale_cma = cma;
            s->stale_slab = slab;
        }
        if (pof_block(s, buf, bstart, bend) != 0)
            return POF_ENOMEM;
        s->nblocks++;
        s->lineno += sp->nlines + 1;
        pos = bend + 1;
    }
    return pos;
}

ptrdiff_t pof_feed(pof_scanner *s, unsigned char *buf, ptrdiff_t have, ptrdiff_t got)
{
    ptrdiff_t i, w, start, end = have + got, tail;
    const unsigned char *p;
    /* NUL bytes are data; count them for the warning */
    for (i = have; i < end; i = p - buf + 1) {
        p = (const unsigned char *)memchr(buf + i, 0, (size_t)(end - i));
        if (p == NULL)
            break;
        s->nul_bytes++;
    }
    /* CRLF -> LF, including a CR left at the end of the previous chunk */
    start = have > 0 ? have - 1 : 0;
    if (memchr(buf + start, 13, (size_t)(end - start)) != NULL) {
        for (w = i = start; i < end; i++) {
            if (buf[i] == 13 && i + 1 < end && buf[i + 1] == 10)
                s->cr_removed++;
            else
                buf[w++] = buf[i];
        }
        end = w;
    }
    /* a CR at the very end may be the first half of a CRLF: it waits for the next chunk
       (the splitter never looks at a byte twice, so it must not see it before it is final) */
    tail = pof_scan(s, buf, end > 0 && buf[end - 1] == 13 ? end - 1 : end);
    if (tail < 0)
        return tail;
    if (tail > 0)
        memmove(buf, buf + tail, (size_t)(end - tail));
    return end - tail;
}

/* Complete the block that buf[0:have] ends inside (cap - have >= 2) and scan it. */
static ptrdiff_t scan_completed(pof_scanner *s, unsigned char *buf, ptrdiff_t have)
{
    ptrdiff_t r;
    if (buf[have - 1] != 10)
        buf[have++] = 10;
    buf[have++] = 10;
    s->truncated = 1;
    r = pof_scan(s, buf, have);
    return r < 0 ? r : r == have ? 0 : POF_EINTERNAL;
}

int pof_feed_end(pof_scanner *s, unsigned char *buf, ptrdiff_t have, ptrdiff_t cap)
{
    if (have <= 0)
        return 0;
    if (cap - have < 2)
        return POF_EINTERNAL;
    /* the input ends inside a block: complete it (deliberate difference 1) */
    return (int)scan_completed(s, buf, have);
}

int pof_scan_region(pof_scanner *s, const unsigned char *buf, ptrdiff_t size, int last,
                    int release)
{
    ptrdiff_t i = 0, tail, m;
    unsigned char *tmp;
    s->mapped = 1;      /* pof_scan counts NUL bytes and looks for CR bytes */
    while (i < size) {  /* in slices: progress can be shown, and pages let go of behind us */
        if (s->split_proposed != 0 && s->split_answer == 0) {
            ptrdiff_t p = s->split_proposed;
            if (p == POF_SPLIT_STOP)
                p = i;
            if (p >= i && p < size) {   /* i and p are block starts */
                size = p;
                last = 0;
                s->split_answer = p;
                if (i >= size)
                    break;
            } else {
                s->split_answer = -1;
            }
        }
        m = size - i < POF_SLICE ? size - i : POF_SLICE;
        tail = pof_scan(s, buf + i, m);
        if (tail == 0 && m < size - i) {    /* a block longer than a slice */
            m = size - i;
            tail = pof_scan(s, buf + i, m);
        }
        if (tail < 0)
            return (int)tail;
        if (s->saw_cr)      /* CR bytes: the whole input goes back to be streamed */
            return 0;
        if (tail == 0)
            break;
        if (release)
            pof_release(buf + i, (size_t)tail);
        i += tail;
        s->done_bytes = i;
    }
    s->nbytes += size;
    if (i < size) {
        if (!last)
            return POF_EINTERNAL;   /* a region must end at a block start */
        /* the input ends inside a block: complete it in a copy (deliberate difference 1) */
        m = size - i;
        tmp = (unsigned char *)malloc((size_t)m + 2);
        if (tmp == NULL)
            return POF_ENOMEM;
        memcpy(tmp, buf + i, (size_t)m);
        tail = scan_completed(s, tmp, m);
        free(tmp);
        if (tail < 0 && !s->saw_cr)
            return (int)tail;
    }
    pof_fold_flush(s);
    if (s->split_answer == 0)
        s->split_answer = -1;   /* too late for a split now */
    s->done_bytes = size;
    return 0;
}

int64_t pof_pages_overflow(const pof_scanner *s)
{
    int64_t k = 0;
    size_t i;
    if (!s->pages_clamped)
        return 0;
    /* a row's pages are count * 2**order: INT64_MAX (odd) only when clamped */
    for (i = 0; i < s->cols.n; i++)
        k += s->cols.pages[i] == INT64_MAX;
    return k;
}

/* Move b's events to a's end, their shape rows mapped by rowmap, their line numbers moved;
 * each chunk of b is freed once copied (b holds none afterwards). */
static int merge_events(pof_scanner *a, pof_scanner *b, const int32_t *rowmap,
                        int64_t line_off)
{
    size_t i;
    for (i = 0; i < b->nev; i++) {
        pof_event *e = pof_ev_push(a);
        if (e == NULL)
            return POF_ENOMEM;
        *e = *pof_ev(b, i);
        e->g = rowmap[e->g];
        e->lineno += line_off;
        if (((i + 1) & (POF_EV_CHUNK - 1)) == 0) {
            free(b->ev[i >> POF_EV_CHUNK_BITS]);
            b->ev[i >> POF_EV_CHUNK_BITS] = NULL;
        }
    }
    pof_ev_free(b);
    return 0;
}

/* Row i of b's columns as a new row of a's: header id `hid` (already mapped), the other ids
 * through their maps, the line number shifted past a's part. 0, or POF_ENOMEM. */
static int append_mapped_row(pof_cols *ca, const pof_cols *cb, size_t i, int32_t hid,
                             const int32_t *sm, const int32_t *cm, const int32_t *mm,
                             int64_t line_off)
{
    size_t r = ca->n;
    if (pof_cols_reserve(ca, r + 1) != 0)
        return POF_ENOMEM;
    pof_cols_copy_row(ca, r, cb, i);
    ca->header_id[r] = hid;
    ca->stack_id[r] = sm[cb->stack_id[i]];
    ca->comm_id[r] = cm[cb->comm_id[i]];
    ca->module_id[r] = mm[cb->module_id[i]];
    ca->lineno[r] = cb->lineno[i] + line_off;
    ca->n = r + 1;
    return 0;
}

/* POF_FOLD by a key: b's rows (kcols) into a's, by their keys (b scanned the input after
 * a's part: a's row of a key stays its first). hm, sm, cm, mm: b's ids in a's tables. */
static int merge_key_rows(pof_scanner *a, pof_scanner *b, const int32_t *hm, const int32_t *sm,
                          const int32_t *cm, const int32_t *mm, int64_t line_off)
{
    pof_cols *ka = &a->kcols, *kb = &b->kcols;
    size_t i;
    int32_t g;
    for (i = 0; i < kb->n; i++) {
        size_t len;
        pof_kkey key;
        memcpy(&key, pof_interner_value(&b->kgroups, i, &len), sizeof key);
        if (a->kspec & POF_K_STACK)
            key.sid = sm[key.sid];
        if (a->kspec & POF_K_NAME)
            key.cid = cm[key.cid];
        if (a->kspec & POF_K_MODULE)
            key.mid = mm[key.mid];
        g = pof_intern(&a->kgroups, &key, sizeof key);
        if (g < 0)
            return g;
        if ((size_t)g < ka->n) {
            pof_cols_fold(ka, (size_t)g, kb->count[i], kb->pages[i], &a->pages_clamped);
            continue;
        }
        if (append_mapped_row(ka, kb, i, hm[kb->header_id[i]], sm, cm, mm, line_off) != 0)
            return POF_ENOMEM;
    }
    return 0;
}

int pof_merge_begin(pof_merge *m, pof_scanner *a, pof_scanner *b)
{
    size_t i, nh = a->mode == POF_ROWS_TS ? b->ht.ne : b->headers.n;
    int32_t g;
    memset(m, 0, sizeof *m);
    pof_fold_flush(a);
    pof_fold_flush(b);
    m->a = a;
    m->b = b;
    m->line_off = a->lineno;
    m->hm = (int32_t *)malloc((nh + 1) * sizeof(int32_t));
    m->sm = (int32_t *)malloc((b->stacks.n + 1) * sizeof(int32_t));
    m->cm = (int32_t *)malloc((b->comms.n + 1) * sizeof(int32_t));
    m->mm = (int32_t *)malloc((b->modules.n + 1) * sizeof(int32_t));
    m->dm = (int32_t *)malloc((b->dtpl.n + 1) * sizeof(int32_t));
    if (m->hm == NULL || m->sm == NULL || m->cm == NULL || m->mm == NULL || m->dm == NULL)
        return POF_ENOMEM;
    if (a->mode == POF_ROWS_TS) {   /* stored lines stay stored: pof_rows_ts_finish */
        for (i = 0; i < b->dtpl.n; i++) {
            size_t len;
            int32_t q;
            const char *v = pof_tpl_value(&b->dtpl, i, &len, &q);
            len += sizeof q;    /* the value: text and place */
            g = q == POF_TPL_RAW ? pof_interner_push(&a->dtpl, v, len)
                                 : pof_intern(&a->dtpl, v, len);
            if (g < 0)
                return POF_ENOMEM;
            m->dm[i] = g;
        }
    } else if (pof_interner_remap(&b->dtpl, &a->dtpl, m->dm) != 0) {
        return POF_ENOMEM;
    }
    if (a->mode == POF_ROWS_TS) {
        /* b's entries appended, their templates mapped (entries are made unique later) */
        for (i = 0; i < nh; i++) {
            g = pof_entry_push(&a->ht, m->dm[b->ht.etpl[i]], b->ht.edn[i], b->ht.edv[i]);
            if (g < 0)
                return POF_ENOMEM;
            m->hm[i] = g;
        }
    } else if (pof_interner_remap(&b->headers, &a->headers, m->hm) != 0) {
        return POF_ENOMEM;
    }
    if (pof_interner_remap(&b->stacks, &a->stacks, m->sm) != 0 ||
            pof_interner_remap(&b->comms, &a->comms, m->cm) != 0 ||
            pof_interner_remap(&b->modules, &a->modules, m->mm) != 0)
        return POF_ENOMEM;
    m->base = a->cols.n;
    if (a->mode != POF_FOLD && pof_cols_reserve(&a->cols, m->base + b->cols.n + 1) != 0)
        return POF_ENOMEM;
    return 0;
}

void pof_merge_rows(const pof_merge *m, int part, int parts)
{
    pof_cols *ca = &m->a->cols, *cb = &m->b->cols;
    size_t n = cb->n, lo = n * (size_t)part / (size_t)parts;
    size_t hi = n * (size_t)(part + 1) / (size_t)parts, base = m->base + lo, i;
    if (hi <= lo)
        return;
#define POF_COL_APPEND(type, name)                                                         \
    if (offsetof(pof_cols, name) != offsetof(pof_cols, block_pages))   /* not read: rows */  \
        memcpy(ca->name + base, cb->name + lo, (hi - lo) * sizeof(type));
    POF_COLUMNS(POF_COL_APPEND)
#undef POF_COL_APPEND
    for (i = lo; i < hi; i++) {
        ca->header_id[m->base + i] = m->hm[cb->header_id[i]];
        ca->stack_id[m->base + i] = m->sm[cb->stack_id[i]];
        ca->comm_id[m->base + i] = m->cm[cb->comm_id[i]];
        ca->module_id[m->base + i] = m->mm[cb->module_id[i]];
        ca->lineno[m->base + i] += m->line_off;
    }
}

/* POF_FOLD: b's rows into a's by their group keys, then b's events. In three passes, so
 * that the table slots and the rows each looks up can be fetched some rows ahead (a's
 * tables are larger than the caches): the keys mapped and hashed; looked up (or added) in
 * a's groups; folded into a's rows (or appended). */
#define MERGE_AHEAD 8
static int merge_fold_rows(pof_merge *m)
{
    pof_scanner *a = m->a, *b = m->b;
    pof_cols *ca = &a->cols, *cb = &b->cols;
    size_t i, n = cb->n, old = ca->n;
    int32_t *rowmap = (int32_t *)malloc((n + 1) * sizeof(int32_t)), g;
    pof_group_key *keys = (pof_group_key *)malloc((n + 1) * sizeof(pof_group_key));
    pof_h128 *hs = (pof_h128 *)malloc((n + 1) * sizeof(pof_h128));
    int rc = POF_ENOMEM;
    if (rowmap == NULL || keys == NULL || hs == NULL)
        goto out;
    for (i = 0; i < n; i++) {
        size_t len;
        pof_group_key *key = &keys[i];
        memcpy(key, pof_interner_value(&b->groups, i, &len), sizeof *key);
        key->hid = key->dslot ? m->dm[key->hid] : m->hm[key->hid];
        key->sid = m->sm[key->sid];
        hs[i] = pof_hash(key, sizeof *key);
    }
    if (pof_interner_reserve(&a->groups, n) != 0)
        goto out;
    for (i = 0; i < n; i++) {
        size_t mask = a->groups.cap - 1;
        if (i + 2 * MERGE_AHEAD < n)
            POF_PREFETCH(&a->groups.slots[(size_t)hs[i + 2 * MERGE_AHEAD].lo & mask]);
        if (i + MERGE_AHEAD < n) {  /* its slot is in the cache by now: the value's offsets */
            int32_t v = a->groups.slots[(size_t)hs[i + MERGE_AHEAD].lo & mask].val;
            if (v >= 0)
                POF_PREFETCH(&a->groups.offs[v]);
        }
        g = pof_intern_h(&a->groups, &keys[i], sizeof keys[i], hs[i]);
        if (g < 0)
            goto out;
        rowmap[i] = g;
    }
    for (i = 0; i < n; i++) {
        g = rowmap[i];
        if (i + MERGE_AHEAD < n && (size_t)rowmap[i + MERGE_AHEAD] < old) {
            POF_PREFETCH(&ca->count[rowmap[i + MERGE_AHEAD]]);
            POF_PREFETCH(&ca->pages[rowmap[i + MERGE_AHEAD]]);
        }
        if ((size_t)g < ca->n) {
            if (keys[i].dslot)
                continue;       /* a shape: its blocks are events */
            pof_cols_fold(ca, (size_t)g, cb->count[i], cb->pages[i], &a->pages_clamped);
            continue;
        }
        if (pof_grow((void **)&a->dgroup, &a->dgroup_cap, (size_t)g + 1, 1, 1024) != 0)
            goto out;
        a->dgroup[g] = keys[i].dslot;
        if (append_mapped_row(ca, cb, i,
                              keys[i].dslot ? m->dm[cb->header_id[i]] : m->hm[cb->header_id[i]],
                              m->sm, m->cm, m->mm, m->line_off) != 0)
            goto out;
    }
    rc = merge_events(a, b, rowmap, m->line_off);
out:
    free(rowmap);
    free(keys);
    free(hs);
    return rc;
}
#undef MERGE_AHEAD

int pof_merge_end(pof_merge *m)
{
    pof_scanner *a = m->a, *b = m->b;
    if (a->kspec) {             /* only the key's rows matter (the shapes were b's own) */
        if (merge_key_rows(a, b, m->hm, m->sm, m->cm, m->mm, m->line_off) != 0)
            return POF_ENOMEM;
    } else if (a->mode == POF_FOLD) {
        if (merge_fold_rows(m) != 0)
            return POF_ENOMEM;
    } else {                    /* the row modes: pof_merge_rows copied them */
        a->cols.n = m->base + b->cols.n;
    }
    a->lineno += b->lineno;
    a->nblocks += b->nblocks;
    a->nul_bytes += b->nul_bytes;
    a->nbytes += b->nbytes;
    a->truncated = b->truncated;
    a->stale_cma = b->stale_cma;
    a->stale_slab = b->stale_slab;
    a->pages_clamped |= b->pages_clamped;
    return 0;
}

void pof_merge_free(pof_merge *m)
{
    free(m->hm);
    free(m->sm);
    free(m->cm);
    free(m->mm);
    free(m->dm);
    m->hm = m->sm = m->cm = m->mm = m->dm = NULL;
}

int pof_scanner_merge(pof_scanner *a, pof_scanner *b)
{
    pof_merge m;
    int rc = pof_merge_begin(&m, a, b);
    if (rc == 0) {
        if (a->mode != POF_FOLD)
            pof_merge_rows(&m, 0, 1);
        rc = pof_merge_end(&m);
    }
    pof_merge_free(&m);
    return rc;
}

/* The first block start at or after `at` (just after an empty line), or -1. */
static ptrdiff_t block_start_after(const unsigned char *buf, ptrdiff_t size, ptrdiff_t at)
{
    const unsigned char *p;
    ptrdiff_t i = at > 0 ? at - 1 : 0;
    while (i + 1 < size) {
        p = (const unsigned char *)memchr(buf + i, 10, (size_t)(size - i - 1));
        if (p == NULL)
            return -1;
        i = p - buf;
        if (buf[i + 1] == 10)
            return i + 2;
        i++;
    }
    return -1;
}

/* CMA/slab verdict of the last PFN line that starts before `at`, a block start. */
static void stale_before(const unsigned char *buf, ptrdiff_t at, int *cma, int *slab)
{
    ptrdiff_t i;
    *cma = *slab = 0;
    for (i = at - 1; i >= 0; i--) {
        if (buf[i] == 'P' && (i == 0 || buf[i - 1] == 10) && i + 2 < at && buf[i + 1] == 'F' &&
                buf[i + 2] == 'N') {
            /* `at` follows an empty line, so this line's newline comes before it */
            pof_pfn_line(buf + i, buf + at, cma, slab);
            return;
        }
    }
}

int pof_split_parts(const unsigned char *buf, ptrdiff_t size, int parts, ptrdiff_t *starts,
                    int *cma, int *slab)
{
    int k, n = 1;
    ptrdiff_t b;
    starts[0] = 0;
    cma[0] = slab[0] = 0;
    for (k = 1; k < parts; k++) {
        b = block_start_after(buf, size, (ptrdiff_t)((uint64_t)size * (uint64_t)k / (uint64_t)parts));
        if (b < 0 || b <= starts[n - 1] || b >= size)
            break;
        starts[n] = b;
        stale_before(buf, b, &cma[n], &slab[n]);
        n++;
    }
    return n;
}

int pof_propose_split(pof_scanner *s, const unsigned char *buf, ptrdiff_t size,
                      ptrdiff_t *start, int *cma, int *slab)
{
    ptrdiff_t done = (ptrdiff_t)s->done_bytes, at = done + (size - done) / 2, b;
    if (at - done < 2 * POF_SLICE || size - at < POF_SLICE)
        return -1;
    b = block_start_after(buf, size, at);
    if (b <= at || b >= size)
        return -1;
    *start = b;
    stale_before(buf, b, cma, slab);
    s->split_proposed = b;
    return 0;
}
