/* The page_owner_sort text writer for the default layout (no --cull; docs/compatibility.md, Output text): one
 * record per group, "<n> times, <p> pages, allocated by <A>:\n<header><stack>\n", where <A>
 * is each allocator name followed by a space. Millions of records (-a) are written by this
 * loop, not by Python; tests/test_textout.py checks it against compat.iter_text. */
#ifndef POF_TEXTOUT_H
#define POF_TEXTOUT_H

#include "pof_port.h"

typedef struct {
    /* the tables: value i is arena[offs[i]:offs[i+1]] */
    const unsigned char *harena;
    const int64_t *hoffs;
    size_t nh, harena_len;
    const unsigned char *sarena;
    const int64_t *soffs;
    size_t ns, sarena_len;
    /* header lines as templates (pof_htable), when etpl != NULL: header i is template
       etpl[i] (value etpl[i] of harena/hoffs) with edn[i] digits of value edv[i] put in
       at tq[etpl[i]] (edn[i] < 0: none) */
    const int32_t *tq;
    const int32_t *etpl;
    const int8_t *edn;
    const uint64_t *edv;
    size_t ne;
    /* the records */
    const int64_t *count, *pages;
    const uint8_t *alloc;
    const int32_t *hid, *sid;
    size_t n;
    size_t next;        /* the next record to write */
} pof_records;

/* Write whole records from r->next on into out[0:cap), stopping once `target` bytes are
 * written or the next one does not fit. Returns the bytes written; 0 with *need set when
 * not even one record fits (the caller grows `out`); POF_EBADID when a record's id or its
 * table's offsets are out of range (r->next is that record). */
ptrdiff_t pof_records_write(pof_records *r, char *out, size_t cap, size_t target, size_t *need);

/* The bytes pof_records_write writes for records [from, to) (to clipped at r->n) into
 * *bytes: 0, or POF_EBADID when a record's id or its table's offsets are out of range
 * (*at is that record). Writers of parts of the records at once find their offsets so. */
int pof_records_size(const pof_records *r, size_t from, size_t to, uint64_t *bytes, size_t *at);

/* Decimal of v into out (at most 20 bytes); returns the length. */
size_t pof_put_int(char *out, int64_t v);

#endif /* POF_TEXTOUT_H */
