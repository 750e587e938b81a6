/* The row builder: one block's text -> its fields, into a new row or added to an existing
 * one, by the scan's mode (pof_scanner.h).
 *
 * Per block, first a shortcut: a block whose header line (ts digits cut), raw stack and PFN
 * verdict were seen together before has that row's fields -- POF_FOLD adds it to that row,
 * the row modes copy the row with this block's own ts, PFN line and line number. Otherwise
 * the slow path: the stack's matches come from its cache entry, the ts digits are cut, the
 * header line and stack interned, the allocator classified (docs/compatibility.md, Allocator), and the fields
 * parsed (Field extraction) into a new row -- or, folding, the block joins the row of its twins.
 *
 * Folding, the free_ts digits of a header line are a slot too (6.1-era dumps print
 * `free_ts N ns` and N differs in nearly every block): the shortcut's key leaves them out,
 * so such a block finds its row (a "shape") however its digits go, and is recorded as an
 * event -- the shape and its digits -- that pof_fold.c folds after the scan. The digits
 * are part of the text; they change no other field (they are digits where no other match
 * can read them: checked on the slow path, where a comm or module capture over them makes
 * the line an ordinary one).
 *
 * A match that starts in the header line is searched here; one that starts in the stack
 * comes from the stack's cache entry (leftmost = the header's if it has one). */
#include <stdlib.h>

#include "pof_scanner.h"
#include "pof_lines.h"

#include "pof_rows.h"

/* The shortcut, computed for every block. */
typedef struct {
    int ok;                     /* the header line decides its ts match on its own */
    blk_ts ts;                  /* pof_ts_in_header()'s answer (r = 2: undecided) */
    pof_h128 key;               /* header (digits cut), raw stack, PFN verdict, digits' place */
    int d_ok;                   /* POF_FOLD: a free_ts slot h[fs:fe], left out of the key */
    ptrdiff_t fs, fe;
    uint64_t dv;                /* its digits' value */
    int hashed;                 /* the key's parts below were computed (fast_key) */
    int hh_cut;                 /* hh hashes: 1 the header line without ts.cs..ce, 0 all of
                                   it, -1 neither (a slot was cut too) */
    pof_h128 hh, hs;            /* the header part's hash, the raw stack's */
} blk_fast;

/* What the slow path finds out. */
typedef struct {
    pof_stackinfo *si;
    blk_ts ts;                  /* the block's ts match, offsets in the text */
    int32_t hid, sid;
    uint8_t alloc;
    int stripped_stack;         /* the ts digits were cut from the stack part */
    int dslot;                  /* hid is a template of `dtpl` (the free_ts slot cut) */
} blk_fields;

static int reserve_text(pof_scanner *s, size_t want)
{
    return pof_grow((void **)&s->textbuf, &s->text_cap, want, 1, 65536);
}

static int reserve_scratch(pof_scanner *s, size_t want)
{
    return pof_grow((void **)&s->scratch, &s->scratch_cap, want, 1, 4096);
}

/* b->t: the text in one piece (a copy unless it already is one). */
static int join(pof_scanner *s, blk_text *b)
{
    if (b->t != NULL)
        return 0;
    if (b->h + b->hl == b->s) {
        b->t = b->h;
        return 0;
    }
    if (reserve_text(s, (size_t)(b->hl + b->sn)) != 0)
        return POF_ENOMEM;
    memcpy(s->textbuf, b->h, (size_t)b->hl);
    memcpy(s->textbuf + b->hl, b->s, (size_t)b->sn);
    POF_WORK(b->hl + b->sn);
    b->t = (const unsigned char *)s->textbuf;
    return 0;
}

/* h[0:hl] without h[cs:ce], into the scratch buffer. */
const char *pof_rows_cut(pof_scanner *s, const unsigned char *h, ptrdiff_t hl, ptrdiff_t cs,
                       ptrdiff_t ce)
{
    if ((size_t)hl > s->scratch_cap && reserve_scratch(s, (size_t)hl) != 0)
        return NULL;
    memcpy(s->scratch, h, (size_t)cs);
    memcpy(s->scratch + cs, h + ce, (size_t)(hl - ce));
    POF_WORK(hl);
    return s->scratch;
}

/* h[0:hl] without h[a1:b1] and h[a2:b2] (b1 <= a2; an empty range cuts nothing), into the
 * scratch buffer; *len: what is left. */
static const char *cut2(pof_scanner *s, const unsigned char *h, ptrdiff_t hl, ptrdiff_t a1,
                        ptrdiff_t b1, ptrdiff_t a2, ptrdiff_t b2, ptrdiff_t *len)
{
    if ((size_t)hl > s->scratch_cap && reserve_scratch(s, (size_t)hl) != 0)
        return NULL;
    memcpy(s->scratch, h, (size_t)a1);
    memcpy(s->scratch + a1, h + b1, (size_t)(a2 - b1));
    memcpy(s->scratch + a1 + (a2 - b1), h + b2, (size_t)(hl - b2));
    *len = hl - (b1 - a1) - (b2 - a2);
    POF_WORK(hl);
    return s->scratch;
}

/* Per distinct raw stack: every match that starts inside it, computed once. */
static pof_stackinfo *stack_info(pof_scanner *s, const unsigned char *st, ptrdiff_t sn,
                                 const pof_h128 *h)
{
    int32_t rid = h != NULL ? pof_intern_h(&s->raw_stacks, st, (size_t)sn, *h)
                            : pof_intern(&s->raw_stacks, st, (size_t)sn);
    pof_stackinfo *si;
    ptrdiff_t k, cs, ce;
    int f, hit;
    if (rid < 0)
        return NULL;
    if ((size_t)rid < s->ninfo)
        return &s->info[rid];
    if (pof_grow((void **)&s->info, &s->info_cap, (size_t)rid + 1, sizeof(pof_stackinfo), 1024) != 0)
        return NULL;
    si = &s->info[rid];
    s->ninfo = (size_t)rid + 1;
    memset(si, 0, sizeof *si);
    si->out_id = -1;
    si->out_stripped_id = -1;
    for (f = POF_F_ORDER; f <= POF_F_FREE_TS; f++) {
        si->r[f] = (int8_t)pof_field_value(st, sn, sn, (pof_field)f, &si->v[f], &cs, &ce);
        if (f == POF_F_TS) {
            si->ts_cs = cs;
            si->ts_ce = ce;
        }
    }
    si->r_gfp = (int8_t)pof_match_mask(st, sn, sn, &si->v_gfp);
    if (pof_match_comm(st, sn, sn, &si->comm_cs, &si->comm_ce) < 0)
        si->comm_cs = -1;
    if (pof_match_module(st, sn, &si->mod_cs, &si->mod_ce) < 0)
        si->mod_cs = -1;
    for (k = 0; k < sn && pof_is_space(st[k]); k++)
        ;
    si->lead_bracket = k < sn && st[k] == '[';
    si->vm_line = (int8_t)pof_vmalloc_in_stack(st, sn, &hit);
    si->vm_hit = (uint8_t)hit;
    return si;
}

/* Id in the output stack table of the raw stack, or of it with its own ts digits cut. */
static int32_t out_stack(pof_scanner *s, pof_stackinfo *si, const unsigned char *st,
                         ptrdiff_t sn, int stripped)
{
    char *tmp;
    if (!stripped) {
        if (si->out_id < 0)
            si->out_id = pof_intern(&s->stacks, st, (size_t)sn);
        return si->out_id;
    }
    if (si->out_stripped_id < 0) {
        tmp = (char *)malloc((size_t)sn + 1);
        if (tmp == NULL)
            return POF_ENOMEM;
        memcpy(tmp, st, (size_t)si->ts_cs);
        memcpy(tmp + si->ts_cs, st + si->ts_ce, (size_t)(sn - si->ts_ce));
        si->out_stripped_id = pof_intern(&s->stacks, tmp, (size_t)(sn - (si->ts_ce - si->ts_cs)));
        free(tmp);
    }
    return si->out_stripped_id;
}

/* Whether the header line holds `__vmalloc_node_range` (cached per header id; digits
 * cut or not, the answer is the same). -1 on allocation failure. */
static int header_has_vm(pof_scanner *s, int32_t hid, const unsigned char *h, ptrdiff_t hl)
{
    if (s->mode == POF_ROWS_TS)         /* every id is new: nothing to keep */
        return pof_find_vm(h, hl) >= 0;
    if ((size_t)hid < s->nheader_vm)
        return s->header_vm[hid];
    if (pof_grow((void **)&s->header_vm, &s->header_vm_cap, (size_t)hid + 1, 1, 1024) != 0)
        return -1;
    s->header_vm[hid] = pof_find_vm(h, hl) >= 0;
    s->nheader_vm = (size_t)hid + 1;
    return s->header_vm[hid];
}

static void fold_into(pof_scanner *s, size_t g, int64_t count, int64_t pages)
{
    pof_cols_fold(&s->cols, g, count, pages, &s->pages_clamped);
}

/* One more block of plain row g: counted in s->pend, added by pof_fold_flush. */
POF_INLINE int count_block(pof_scanner *s, size_t g)
{
    if (g >= s->pend_cap) {
        size_t old = s->pend_cap;
        if (pof_grow((void **)&s->pend, &s->pend_cap, g + 1, sizeof(uint32_t), 4096) != 0)
            return POF_ENOMEM;
        memset(s->pend + old, 0, (s->pend_cap - old) * sizeof(uint32_t));
    }
    if (++s->pend[g] == UINT32_MAX)
        pof_fold_flush_row(s, g);
    return 0;
}

/* The PFN verdict a block inherits (the last PFN line's CMA and slab bits), as a key part. */
POF_INLINE unsigned verdict(const pof_scanner *s)
{
    return (unsigned)s->stale_cma | ((unsigned)s->stale_slab << 1);
}

/* A ts match's result (pof_ts_in_header) as an event's POF_EV_TS_*. */
POF_INLINE int ev_ts_mode(int r)
{
    return r == 0 ? POF_EV_TS_OK : r == 1 ? POF_EV_TS_BAD : POF_EV_TS_SHAPE;
}

/* --- the shortcut ---------------------------------------------------------------------------- */

/* POF_FOLD: the free_ts slot of the header line, if it has one the shortcut may leave out:
 * a match decided on the line, 2 to 19 digits (a value, never a failed field) followed by
 * a byte below '0' (pof_fold.c orders texts by that), apart from the ts digits that are
 * cut. Its value into f->dv. */
static void find_slot(const blk_text *b, const blk_ts *ts, int cut_ts, int fr, ptrdiff_t fs,
                      ptrdiff_t fe, blk_fast *f)
{
    uint64_t v = 0;
    if (fr != 0 || fe - fs < 2 || fe - fs > 19 || b->h[fe] >= '0')
        return;
    if (cut_ts && fs < ts->ce && ts->cs < fe)
        return;
    pof_conv_u64(b->h, fs, fe, POF_U64_MAX, &v);     /* 19 digits fit */
    f->d_ok = 1;
    f->fs = fs;
    f->fe = fe;
    f->dv = v;
}

/* The length of a ts digit run as the shortcut key sees it (see fast_key). */
static ptrdiff_t ts_len_class(ptrdiff_t len)
{
    return len >= 1 && len <= 19 ? -1 : len;
}

static int fast_key(pof_scanner *s, const blk_text *b, blk_fast *f)
{
    pof_h128 h1, h2;
    blk_ts *ts = &f->ts;
    int cut_ts, fr = -1;
    ptrdiff_t fs = 0, fe = 0;
    if (s->dslots)
        ts->r = pof_ts_slot_in_header(b->h, b->hl, &ts->v, &ts->cs, &ts->ce, &fr, &fs, &fe);
    else
        ts->r = pof_ts_in_header(b->h, b->hl, &ts->v, &ts->cs, &ts->ce);
    f->ok = ts->r != 2;
    f->d_ok = 0;
    f->hashed = 0;
    if (!f->ok)
        return 0;
    cut_ts = (s->strip_ts || s->mode == POF_ROWS_TS) && ts->r >= 0 && ts->ce > ts->cs;
    if (fr == 0)
        find_slot(b, ts, cut_ts, fr, fs, fe, f);
    if (cut_ts && !f->d_ok) {
        const char *c = pof_rows_cut(s, b->h, b->hl, ts->cs, ts->ce);
        if (c == NULL)
            return POF_ENOMEM;
        h1 = pof_hash(c, (size_t)(b->hl - (ts->ce - ts->cs)));
        f->hh_cut = 1;
    } else if (f->d_ok) {
        ptrdiff_t a1 = cut_ts ? ts->cs : 0, b1 = cut_ts ? ts->ce : 0, len;
        ptrdiff_t a2 = f->d_ok ? f->fs : b1, b2 = f->d_ok ? f->fe : b1;
        const char *c;
        if (a2 < a1) {          /* the slot before the ts digits */
            ptrdiff_t t1 = a1, t2 = b1;
            a1 = a2;
            b1 = b2;
            a2 = t1;
            b2 = t2;
        }
        c = cut2(s, b->h, b->hl, a1, b1, a2, b2, &len);
        if (c == NULL)
            return POF_ENOMEM;
        h1 = pof_hash(c, (size_t)len);
        f->hh_cut = -1;
    } else {
        h1 = pof_hash(b->h, (size_t)b->hl);
        f->hh_cut = 0;
    }
    h2 = pof_hash(b->s, (size_t)b->sn);
    f->hashed = 1;
    f->hh = h1;
    f->hs = h2;
    /* only header lines of the same shape share a key: the same cut text with its digits
       at the same place (cutting "0" from "free_ts 0 ns" leaves the text of "free_ts  ns",
       whose fields differ). Runs of 1 to 19 digits are alike: every matcher reads a digit
       run as [0-9]* between non-digits (the run is greedy, and neither the byte before it,
       an 's' or a space, nor the one after it can continue a hex run), so only a capture
       that overlaps the digits sees their number -- the comm or free_ts one, which
       pof_digits_sensitive() / has_digits keep out of the table -- and the ts value itself
       is the block's own. Empty and 20+ digit runs (unconvertible ones among them) keep
       their own length. */
    f->key = pof_key_block(h1, h2, verdict(s),
                           ts->r >= 0, ts->r >= 0 ? ts->cs : 0,
                           ts->r >= 0 ? ts_len_class(ts->ce - ts->cs) : 0);
    if (f->d_ok)
        f->key.lo ^= pof_key_slot(f->fs, f->fe - f->fs);
    return 0;
}

/* Row r's fields from the block's own PFN line (-1 for all when it has none). */
void pof_rows_pfn_fields(pof_scanner *s, pof_cols *c, size_t r, const blk_text *b)
{
    int mt = -1, bmt = -1;
    c->pfn[r] = -1;
    c->block[r] = -1;
    if (b->pl != NULL)
        pof_parse_pfn_cached(&s->lastpfn, b->pl, b->pll, &c->pfn[r], &mt, &c->block[r], &bmt);
    c->mt[r] = (int8_t)mt;
    c->bmt[r] = (int8_t)bmt;
}

/* A new row with the fields of row `src` (same header, stack and PFN verdict) but this
 * block's own ts (ts->r: pof_ts_in_header's result), PFN line and line number. */
static int copy_row(pof_scanner *s, size_t src, const blk_text *b, const blk_ts *ts)
{
    pof_cols *c = &s->cols;
    const pof_proto *p = &s->proto[src];
    size_t r = c->n;
    uint16_t bad = (uint16_t)(p->bad & ~(POF_BAD_PFN | POF_BAD_TS));
    if (pof_cols_reserve(c, r + 1) != 0)
        return POF_ENOMEM;
#define POF_PROTO_TO_ROW(type, name) c->name[r] = p->name;
    POF_PROTO_FIELDS(POF_PROTO_TO_ROW)
#undef POF_PROTO_TO_ROW
    c->count[r] = 1;
    c->pages[r] = p->block_pages;  /* (block_pages: the row modes read the prototype's) */
    if (ts->r == 0) {
        c->ts[r] = ts->v;
    } else if (ts->r == 1) {
        c->ts[r] = POF_U64_MAX;
        bad |= POF_BAD_TS;
    } else {                    /* no ts in the header line: the stack's, as in row src */
        c->ts[r] = p->ts;
        bad |= p->bad & POF_BAD_TS;
    }
    pof_rows_pfn_fields(s, c, r, b);
    c->bad[r] = (uint16_t)(bad | (b->bad & POF_BAD_PFN));
    c->lineno[r] = b->lineno;
    c->n = r + 1;
    return 0;
}

/* Row r's shared fields as a new prototype (see pof_proto): its id, or POF_ENOMEM. */
static int32_t push_proto(pof_scanner *s, size_t r)
{
    const pof_cols *c = &s->cols;
    pof_proto *p;
    if (s->nproto >= 0x7fffffff)
        return POF_ENOMEM;
    if (pof_grow((void **)&s->proto, &s->proto_cap, s->nproto + 1, sizeof(pof_proto), 1024) != 0)
        return POF_ENOMEM;
    p = &s->proto[s->nproto];
#define POF_ROW_TO_PROTO(type, name) p->name = c->name[r];
    POF_PROTO_FIELDS(POF_ROW_TO_PROTO)
#undef POF_ROW_TO_PROTO
    p->block_pages = c->block_pages[r];
    p->ts = c->ts[r];
    p->bad = c->bad[r];
    return (int32_t)s->nproto++;
}

/* --- the slow path --------------------------------------------------------------------------- */

/* A field matched in the header line, else the stack's (cached) answer. */
static int header_or_stack(const blk_text *b, pof_field field, const pof_stackinfo *si,
                           uint64_t *v)
{
    ptrdiff_t cs, ce;
    int r = pof_field_value(b->t, b->hl + b->sn, b->hl, field, v, &cs, &ce);
    if (r >= 0)
        return r;
    *v = si->v[field];
    return si->r[field];
}

/* Whether the comm or the module capture of the block's text overlaps t[fs:fe) (then its
 * digits are read by another field too): 1 yes, 0 no, or POF_ENOMEM. */
static int slot_read_elsewhere(pof_scanner *s, blk_text *b, ptrdiff_t fs, ptrdiff_t fe)
{
    ptrdiff_t n = b->hl + b->sn, cs, ce;
    if (join(s, b) != 0)
        return POF_ENOMEM;
    if (pof_match_comm(b->t, n, b->hl, &cs, &ce) >= 0 && cs < fe && fs < ce)
        return 1;
    return pof_match_module(b->t, n, &cs, &ce) >= 0 && cs < fe && fs < ce;
}

/* The template of a header line with a free_ts slot h[fs:fe]: the line without its ts
 * digits h[cs:ce] (none when cs == ce) and without the slot, then the slot's place in what
 * is left (int32), interned in `dtpl`. */
static int32_t intern_template(pof_scanner *s, const unsigned char *h, ptrdiff_t hl,
                               ptrdiff_t cs, ptrdiff_t ce, ptrdiff_t fs, ptrdiff_t fe)
{
    ptrdiff_t len;
    int32_t q;
    if (reserve_scratch(s, (size_t)hl + 4) != 0)
        return POF_ENOMEM;
    if (ce <= cs)
        cs = ce = fe;           /* nothing to cut there */
    if (cs < fs) {
        cut2(s, h, hl, cs, ce, fs, fe, &len);
        q = (int32_t)(fs - (ce - cs));
    } else {
        cut2(s, h, hl, fs, fe, cs, ce, &len);
        q = (int32_t)fs;
    }
    memcpy(s->scratch + len, &q, sizeof q);
    return pof_intern(&s->dtpl, s->scratch, (size_t)len + sizeof q);
}

/* POF_ROWS_TS: a whole line as a template (place -1), interned -- or, `raw`, only stored
 * (place POF_TPL_RAW: pof_rows_ts_finish makes equal ones one). */
static int32_t line_template(pof_scanner *s, const blk_text *b, int raw)
{
    int32_t q = raw ? POF_TPL_RAW : -1;
    if (reserve_scratch(s, (size_t)b->hl + sizeof q) != 0)
        return POF_ENOMEM;
    memcpy(s->scratch, b->h, (size_t)b->hl);
    memcpy(s->scratch + b->hl, &q, sizeof q);
    return raw ? pof_interner_push(&s->dtpl, s->scratch, (size_t)b->hl + sizeof q)
               : pof_intern(&s->dtpl, s->scratch, (size_t)b->hl + sizeof q);
}

/* POF_ROWS_TS: the block's header line as a new entry of s->ht: its template -- the line
 * without its ts digits when its own ts match has 1 to 19 of them, else the whole line --
 * and those digits. A line whose free_ts (2+ digits, after the ts) makes the cut line as
 * good as unique (6.1-era dumps) is kept whole, without a lookup. `src`: the entry of a row
 * the shortcut matched (the same cut text with the digits at the same place: the same
 * template, or a whole line kept so as well), or -1. Every choice is the line's own, so
 * equal lines make equal entries once pof_rows_ts_finish has made equal stored lines one;
 * the driver then makes equal entries one. */
static int32_t add_entry(pof_scanner *s, const blk_text *b, const blk_fast *f, int32_t src)
{
    const blk_ts *ts = &f->ts;
    ptrdiff_t dn = ts->ce - ts->cs, fs, fe;
    int32_t t;
    s->entry_raw = 0;
    if (!f->ok || ts->r != 0 || dn < 1 || dn > 19) {
        t = line_template(s, b, 0);
        return t < 0 ? t : pof_entry_push(&s->ht, t, -1, 0);
    }
    if (src >= 0 ? s->ht.edn[src] < 0
                 : pof_free_ts_in_header(b->h, b->hl, &fs, &fe) == 0 && fs >= ts->ce &&
                   fe - fs >= 2) {
        s->entry_raw = 1;
        t = line_template(s, b, 1);
        return t < 0 ? t : pof_entry_push(&s->ht, t, -1, 0);
    }
    t = src >= 0 ? s->ht.etpl[src] : intern_template(s, b->h, b->hl, 0, 0, ts->cs, ts->ce);
    return t < 0 ? t : pof_entry_push(&s->ht, t, (int)dn, ts->v);
}

static int find_fields(pof_scanner *s, blk_text *b, const blk_fast *f, blk_fields *F)
{
    ptrdiff_t n = b->hl + b->sn, hl = b->hl, cs, ce;
    pof_stackinfo *si = stack_info(s, b->s, b->sn, f->hashed ? &f->hs : NULL);
    blk_ts *ts = &F->ts;
    int in_stack = 0, vm;
    if (si == NULL)
        return POF_ENOMEM;
    F->si = si;
    F->stripped_stack = 0;
    /* ts: the leftmost match, whose capture is cut from the collation text */
    *ts = f->ts;
    if (ts->r == 2) {           /* the header's attempt ran into the next line */
        if (join(s, b) != 0)
            return POF_ENOMEM;
        ts->r = pof_field_value(b->t, n, hl, POF_F_TS, &ts->v, &ts->cs, &ts->ce);
    }
    if (ts->r < 0) {
        ts->r = si->r[POF_F_TS];
        ts->v = si->v[POF_F_TS];
        ts->cs = ts->ce = -1;
        if (ts->r >= 0) {
            in_stack = 1;
            ts->cs = hl + si->ts_cs;
            ts->ce = hl + si->ts_ce;
        }
    }
    cs = ts->cs;
    ce = ts->ce;
    F->dslot = 0;
    if (f->d_ok) {              /* the free_ts slot, unless a comm or module capture reads it */
        int r = slot_read_elsewhere(s, b, f->fs, f->fe);
        if (r < 0)
            return POF_ENOMEM;
        F->dslot = !r;
    }
    if (s->strip_ts && ce > cs) {
        if (ce <= hl) {         /* the usual case: the digits are in the header line */
            if (F->dslot) {
                F->hid = intern_template(s, b->h, hl, cs, ce, f->fs, f->fe);
            } else {
                const char *c = pof_rows_cut(s, b->h, hl, cs, ce);
                if (c == NULL)
                    return POF_ENOMEM;
                /* the bytes fast_key hashed, when it cut the same digits */
                F->hid = f->hashed && f->hh_cut == 1 && f->ts.cs == cs && f->ts.ce == ce
                             ? pof_intern_h(&s->headers, c, (size_t)(hl - (ce - cs)), f->hh)
                             : pof_intern(&s->headers, c, (size_t)(hl - (ce - cs)));
            }
            F->sid = out_stack(s, si, b->s, b->sn, 0);
        } else if (in_stack) {
            F->hid = F->dslot ? intern_template(s, b->h, hl, 0, 0, f->fs, f->fe)
                              : pof_intern(&s->headers, b->h, (size_t)hl);
            F->sid = out_stack(s, si, b->s, b->sn, 1);
            F->stripped_stack = 1;
        } else {                /* a header match whose digits sit on the next line */
            if (join(s, b) != 0 || reserve_scratch(s, (size_t)n) != 0)
                return POF_ENOMEM;
            F->dslot = 0;       /* (never set: the shortcut saw an undecided ts) */
            memcpy(s->scratch, b->t, (size_t)cs);
            memcpy(s->scratch + cs, b->t + ce, (size_t)(n - ce));
            F->hid = pof_intern(&s->headers, s->scratch, (size_t)hl);
            F->sid = pof_intern(&s->stacks, s->scratch + hl, (size_t)(b->sn - (ce - cs)));
            F->stripped_stack = 1;
        }
    } else {
        if (s->mode == POF_ROWS_TS)
            F->hid = add_entry(s, b, f, -1);
        else if (F->dslot)
            F->hid = intern_template(s, b->h, hl, 0, 0, f->fs, f->fe);
        else if (f->hashed && f->hh_cut == 0)
            F->hid = pof_intern_h(&s->headers, b->h, (size_t)hl, f->hh);
        else
            F->hid = pof_intern(&s->headers, b->h, (size_t)hl);
        F->sid = out_stack(s, si, b->s, b->sn, 0);
    }
    if (F->hid < 0 || F->sid < 0)
        return POF_ENOMEM;
    /* the allocator (docs/compatibility.md, Allocator): the stale PFN line's verdict, and VMALLOC when the first
       `__vmalloc_node_range` is below the stack's first line and the line before it has an
       `alloc_pages` (pof_match.h: never when it is on the first two lines) */
    vm = F->dslot ? pof_find_vm(b->h, hl) >= 0 : header_has_vm(s, F->hid, b->h, hl);
    if (vm < 0)
        return POF_ENOMEM;
    F->alloc = (uint8_t)((s->stale_cma ? POF_ALLOC_CMA : 0) | (s->stale_slab ? POF_ALLOC_SLAB : 0));
    if (!vm && si->vm_line == 1 && si->vm_hit)
        F->alloc |= POF_ALLOC_VMALLOC;
    if (F->alloc == 0)
        F->alloc = POF_ALLOC_OTHERS;
    return 0;
}

/* Parse every field of the (unstripped) text b->t into a new row. */
static int new_row(pof_scanner *s, const blk_text *b, const blk_fields *F)
{
    const unsigned char *t = b->t;
    const pof_stackinfo *si = F->si;
    ptrdiff_t n = b->hl + b->sn, hl = b->hl, cs = 0, ce = 0;
    pof_cols *c = &s->cols;
    size_t row = c->n;
    uint16_t bad = b->bad;
    uint64_t v = 0;
    int32_t cid, mid;
    int r;
    if (pof_cols_reserve(c, row + 1) != 0)
        return POF_ENOMEM;
    r = header_or_stack(b, POF_F_ORDER, si, &v);
    if (r == 0 && v <= 64) {
        c->order[row] = (int16_t)v;
        if (v <= 62) {
            c->block_pages[row] = (int64_t)1 << v;
        } else {                /* deliberate difference 5: 64-bit counts, 0 above 62 */
            c->block_pages[row] = 0;
            bad |= POF_BAD_ORDER_RANGE;
        }
    } else {
        c->order[row] = -1;
        c->block_pages[row] = 0;
        bad |= POF_BAD_ORDER;
    }
    c->pages[row] = c->block_pages[row];
    c->count[row] = 1;
    r = header_or_stack(b, POF_F_PID, si, &v);
    c->pid[row] = r == 0 ? (int32_t)(uint32_t)v : -1;     /* long -> pid_t, as in C */
    bad |= r == 0 ? 0 : POF_BAD_PID;
    r = header_or_stack(b, POF_F_TGID, si, &v);
    c->tgid[row] = r == 0 ? (int32_t)(uint32_t)v : -1;
    bad |= r == 0 ? 0 : POF_BAD_TGID;
    c->ts[row] = F->ts.r == 0 ? F->ts.v : POF_U64_MAX;
    bad |= F->ts.r == 0 ? 0 : POF_BAD_TS;
    r = header_or_stack(b, POF_F_FREE_TS, si, &v);
    c->free_ts[row] = r == 0 ? v : POF_U64_MAX;
    bad |= r == 0 ? 0 : POF_BAD_FREE_TS;
    r = pof_match_mask(t, n, hl, &v);
    if (r < 0) {
        r = si->r_gfp;
        v = si->v_gfp;
    }
    c->gfp[row] = r == 0 ? v : 0;
    bad |= r == 0 ? 0 : POF_BAD_MASK;
    /* comm */
    if (pof_match_comm(t, n, hl, &cs, &ce) >= 0) {
        cid = pof_intern(&s->comms, t + cs, (size_t)(ce - cs));
    } else if (si->comm_cs >= 0) {
        cid = pof_intern(&s->comms, b->s + si->comm_cs, (size_t)(si->comm_ce - si->comm_cs));
    } else {
        bad |= POF_BAD_COMM;
        cid = pof_intern(&s->comms, "", 0);
    }
    /* module: a `[` in the header line, else the stack's; a stack that starts with `[` could
       complete a match begun in the header line, so that rare case is searched whole */
    if (si->lead_bracket) {
        r = pof_match_module(t, n, &cs, &ce) >= 0;
    } else {
        r = pof_match_module(t, hl, &cs, &ce) >= 0;
        if (!r && si->mod_cs >= 0) {
            cs = hl + si->mod_cs;
            ce = hl + si->mod_ce;
            r = 1;
        }
    }
    if (r) {
        if (ce - cs > POF_MODULE_NAME_LEN - 1)
            ce = cs + POF_MODULE_NAME_LEN - 1;
        mid = pof_intern(&s->modules, t + cs, (size_t)(ce - cs));
    } else {
        mid = pof_intern(&s->modules, "vmlinux", 7);
    }
    if (cid < 0 || mid < 0)
        return POF_ENOMEM;
    pof_rows_pfn_fields(s, c, row, b);
    c->alloc[row] = F->alloc;
    c->header_id[row] = F->hid;
    c->stack_id[row] = F->sid;
    c->comm_id[row] = cid;
    c->module_id[row] = mid;
    c->bad[row] = bad;
    c->lineno[row] = b->lineno;
    c->n = row + 1;
    return 0;
}

/* POF_FOLD: a block of shape row g with a free_ts slot, as an event. */
static int add_event(pof_scanner *s, const blk_text *b, const blk_fast *f, int32_t g)
{
    pof_event *e = pof_ev_push(s);
    int mt = -1, bmt = -1;
    if (e == NULL)
        return POF_ENOMEM;
    e->dv = f->dv;
    e->dn = (int8_t)(f->fe - f->fs);
    e->g = g;
    e->flags = (uint8_t)ev_ts_mode(f->ts.r);
    if (b->pl == NULL)
        e->flags |= POF_EV_NO_PFN;
    e->ts = f->ts.r == 0 ? f->ts.v : POF_U64_MAX;
    e->lineno = b->lineno;
    e->pfn = e->block = -1;
    if (b->pl != NULL)
        pof_parse_pfn_cached(&s->lastpfn, b->pl, b->pll, &e->pfn, &mt, &e->block, &bmt);
    e->mt = (int8_t)mt;
    e->bmt = (int8_t)bmt;
    return 0;
}

/* POF_FOLD: blocks with the same collation text and allocator are one row, and so are
 * their fields -- unless cutting the ts digits hid a difference in another field (a comm
 * or free_ts overlapping them): then the digits, and where they were, join the key (this
 * block's own digits decide: blocks with the same cut text may have had them elsewhere).
 * A header line with a free_ts slot makes a shape row, and the block an event. */
static int fold_block(pof_scanner *s, blk_text *b, const blk_fast *f, const blk_fields *F)
{
    ptrdiff_t cs = F->ts.cs, ce = F->ts.ce;
    pof_group_key key;
    int32_t g;
    memset(&key, 0, sizeof key);
    key.hid = F->hid;
    key.sid = F->sid;
    key.alloc = F->alloc;
    key.dslot = (uint8_t)F->dslot;
    if (s->strip_ts && ce > cs) {
        int sensitive = F->stripped_stack;
        if (!sensitive && ce <= b->hl) {
            if (join(s, b) != 0)
                return POF_ENOMEM;
            sensitive = pof_digits_sensitive(b->t, b->hl + b->sn, b->hl, cs, ce);
        }
        if (sensitive) {
            if (join(s, b) != 0)
                return POF_ENOMEM;
            key.digits = pof_key_digits(b->t + cs, cs, ce - cs);
            key.has_digits = 1;
        }
    }
    g = pof_intern(&s->groups, &key, sizeof key);
    if (g < 0)
        return g;
    if (f->ok && !key.has_digits && !F->stripped_stack && f->d_ok == F->dslot &&
            pof_fast_put(&s->fast, f->key, g) != 0)
        return POF_ENOMEM;
    if ((size_t)g >= s->cols.n) {       /* a new row (a shape, folding by a key) */
        if (pof_grow((void **)&s->dgroup, &s->dgroup_cap, (size_t)g + 1, 1, 1024) != 0)
            return POF_ENOMEM;
        s->dgroup[g] = (uint8_t)F->dslot;
        if (join(s, b) != 0 || new_row(s, b, F) != 0)
            return POF_ENOMEM;
        if (!s->kspec)
            return F->dslot ? add_event(s, b, f, g) : 0;
    }
    if (s->kspec)
        return pof_fold_by_key(s, b, g, F->ts.r == 0 ? POF_EV_TS_OK : POF_EV_TS_BAD, F->ts.v,
                         ce <= b->hl ? cs : 0, ce <= b->hl ? ce : 0, F->dslot, f->dv);
    if (F->dslot)
        return add_event(s, b, f, g);
    return count_block(s, (size_t)g);
}

/* A run of 1 to 19 digits at h[j:hl): its end, and its value in *v; or -1. */
static ptrdiff_t digit_run(const unsigned char *h, ptrdiff_t j, ptrdiff_t hl, uint64_t *v)
{
    ptrdiff_t k = j;
    while (k < hl && pof_is_digit(h[k]) && k - j < 20)
        k++;
    if (k == j || k - j > 19)
        return -1;
    pof_conv_u64(h, j, k, POF_U64_MAX, v);     /* 19 digits fit */
    return k;
}

/* The shortcut's answer for a block that is its predecessor's twin but for the digits of
 * its ts (and free_ts slot): the same stack and PFN verdict, and a header line
 * equal to the last one around those digit runs. Its key is the last one's -- fast_key
 * reads the same cut text, the ts digits at the same place (their length only matters
 * outside 1..19 digits), the slot at the same place with as many digits -- and so is its
 * ts match: a "ts" before the last match reads no further than that match's own "ts", so
 * every earlier candidate fails as it did, and the match itself reads equal bytes around
 * its digits. Fills f and returns the row, or -1 (then the usual path runs). */
static int32_t same_as_last(pof_scanner *s, const blk_text *b, blk_fast *f)
{
    const pof_lastblk *L = &s->last;
    ptrdiff_t ce, fs = 0, fe = 0, hl = b->hl;
    uint64_t v, dv = 0;
    if (!L->valid || b->sn != L->sn ||
            L->verdict != verdict(s))
        return -1;
    if (hl < L->cs || memcmp(b->h, L->h, (size_t)L->cs) != 0)
        return -1;
    ce = digit_run(b->h, L->cs, hl, &v);
    if (ce < 0)
        return -1;
    if (L->d_ok) {
        /* the slot comes after the ts digits; both keep their lengths (the slot's place
           and length are in the key) */
        if (ce != L->ce)
            return -1;
        fs = L->fs;
        if (hl != L->hl || memcmp(b->h + ce, L->h + ce, (size_t)(fs - ce)) != 0)
            return -1;
        fe = digit_run(b->h, fs, hl, &dv);
        if (fe != L->fe)
            return -1;
    } else {
        fe = ce;
        if (hl - ce != L->hl - L->ce)
            return -1;
    }
    if (memcmp(b->h + fe, L->h + (L->d_ok ? L->fe : L->ce), (size_t)(hl - fe)) != 0 ||
            memcmp(b->s, L->s, (size_t)b->sn) != 0)
        return -1;
    POF_WORK(hl + b->sn);
    f->ok = 1;
    f->ts.r = 0;
    f->ts.v = v;
    f->ts.cs = L->cs;
    f->ts.ce = ce;
    f->key = L->key;
    f->d_ok = L->d_ok;
    f->fs = fs;
    f->fe = fe;
    f->dv = dv;
    return L->g;
}

/* Remember a block the shortcut answered with row g (see same_as_last). Blocks put
 * together in textbuf are not kept (the next one overwrites it), nor ts matches that do
 * not convert or have no digits. */
static void remember(pof_scanner *s, const blk_text *b, const blk_fast *f, int32_t g)
{
    pof_lastblk *L = &s->last;
    L->valid = 0;
    if (b->h == (const unsigned char *)s->textbuf || !f->ok || f->ts.r != 0 ||
            !(s->strip_ts || s->mode == POF_ROWS_TS) ||     /* the key holds the ts digits */
            f->ts.ce - f->ts.cs < 1 || f->ts.ce - f->ts.cs > 19 ||
            (f->d_ok && f->fs < f->ts.ce))
        return;
    L->h = b->h;
    L->hl = b->hl;
    L->s = b->s;
    L->sn = b->sn;
    L->cs = f->ts.cs;
    L->ce = f->ts.ce;
    L->d_ok = (uint8_t)f->d_ok;
    L->fs = f->fs;
    L->fe = f->fe;
    L->key = f->key;
    L->g = g;
    L->verdict = (uint8_t)verdict(s);
    L->valid = 1;
}

static int block_fields(pof_scanner *s, blk_text *b)
{
    blk_fast f;
    blk_fields F;
    int32_t g;
    if ((g = same_as_last(s, b, &f)) >= 0)
        goto shortcut;
    if (fast_key(s, b, &f) != 0)
        return POF_ENOMEM;
    s->last.valid = 0;
    if (f.ok && (g = pof_fast_get(&s->fast, f.key)) >= 0) {
        remember(s, b, &f, g);
shortcut:
        if (s->mode == POF_FOLD) {
            if (s->kspec)
                return pof_fold_by_key(s, b, g, ev_ts_mode(f.ts.r), f.ts.v,
                                 f.ts.r >= 0 ? f.ts.cs : 0, f.ts.r >= 0 ? f.ts.ce : 0,
                                 f.d_ok, f.dv);
            if (f.d_ok)         /* a key with a slot's place is a shape's */
                return add_event(s, b, &f, g);
            return count_block(s, (size_t)g);
        }
        if (copy_row(s, (size_t)g, b, &f.ts) != 0)
            return POF_ENOMEM;
        if (s->mode == POF_ROWS_TS) {
            g = add_entry(s, b, &f, s->proto[g].header_id);
            if (g < 0)
                return g;
            s->cols.header_id[s->cols.n - 1] = g;
        }
        return 0;
    }
    if (f.hashed) {     /* a new key: the slots find_fields looks at first, fetched at once */
        POF_PREFETCH(&s->raw_stacks.slots[(size_t)f.hs.lo & (s->raw_stacks.cap - 1)]);
        if (f.hh_cut >= 0)
            POF_PREFETCH(&s->headers.slots[(size_t)f.hh.lo & (s->headers.cap - 1)]);
    }
    if (find_fields(s, b, &f, &F) != 0)
        return POF_ENOMEM;
    if (s->mode == POF_FOLD)
        return fold_block(s, b, &f, &F);
    if (join(s, b) != 0 || new_row(s, b, &F) != 0)
        return POF_ENOMEM;
    if (f.ok && !F.stripped_stack && !(s->mode == POF_ROWS_TS && s->entry_raw) &&
            !pof_digits_sensitive(b->t, b->hl + b->sn, b->hl, F.ts.cs, F.ts.ce)) {
        int32_t p = push_proto(s, s->cols.n - 1);   /* the table points to a prototype */
        if (p < 0 || pof_fast_put(&s->fast, f.key, p) != 0)
            return POF_ENOMEM;
    }
    return 0;
}

/* One block: the lines buf[bstart:bend] (bend: its empty line); its PFN lines are listed in
 * s->split. The text is the other lines: usually the header line, the PFN line, then a
 * contiguous stack, so nothing is copied; any other layout is put together in textbuf. */
int pof_block(pof_scanner *s, const unsigned char *buf, ptrdiff_t bstart, ptrdiff_t bend)
{
    const pof_split *sp = &s->split;
    const unsigned char *nl;
    ptrdiff_t ls, le, sstart, w;
    size_t i;
    blk_text b;
    memset(&b, 0, sizeof b);
    b.lineno = s->lineno + 1;
    if (sp->npfn == 0) {
        nl = pof_next_nl(buf + bstart, buf + bend);
        b.h = b.t = buf + bstart;
        b.hl = nl != NULL ? nl - b.h + 1 : 0;
        b.s = b.h + b.hl;
        b.sn = bend - bstart - b.hl;
        b.bad = POF_BAD_PFN;
        return block_fields(s, &b);
    }
    ls = bstart + sp->pfn_pos[0];
    if (sp->npfn == 1)          /* its end is known already */
        le = ls + s->last_pfn_len + 1;
    else
        le = pof_next_nl(buf + ls, buf + bend) - buf + 1;
    b.pl = buf + ls;
    b.pll = le - ls;
    if (sp->npfn == 1 && sp->pfn_idx[0] == 1) {     /* header line, PFN line, stack */
        b.h = buf + bstart;
        b.hl = ls - bstart;
        b.s = buf + le;
        b.sn = bend - le;
        return block_fields(s, &b);
    }
    /* any other layout: the non-PFN lines copied together */
    if (reserve_text(s, (size_t)(bend - bstart)) != 0)
        return POF_ENOMEM;
    w = 0;
    sstart = bstart;
    for (i = 0; i < sp->npfn; i++) {
        ls = bstart + sp->pfn_pos[i];
        le = pof_next_nl(buf + ls, buf + bend) - buf + 1;
        memcpy(s->textbuf + w, buf + sstart, (size_t)(ls - sstart));
        w += ls - sstart;
        sstart = le;
    }
    memcpy(s->textbuf + w, buf + sstart, (size_t)(bend - sstart));
    w += bend - sstart;
    b.h = b.t = (const unsigned char *)s->textbuf;
    nl = pof_next_nl(b.h, b.h + w);
    b.hl = nl != NULL ? nl - b.h + 1 : 0;
    b.s = b.h + b.hl;
    b.sn = w - b.hl;
    return block_fields(s, &b);
}
