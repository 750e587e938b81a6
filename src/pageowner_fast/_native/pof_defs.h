/* Constants shared with pageowner_fast/_fields.py (the same values, checked by
 * tests/test_native.py) and the status codes of the native core. */
#ifndef POF_DEFS_H
#define POF_DEFS_H

/* allocator bits, page_owner_sort's values (docs/compatibility.md, Allocator) */
#define POF_ALLOC_CMA 2
#define POF_ALLOC_SLAB 4
#define POF_ALLOC_VMALLOC 8
#define POF_ALLOC_OTHERS 16

/* "bad" bits: the fields a block lacks */
#define POF_BAD_ORDER 1
#define POF_BAD_ORDER_RANGE 2
#define POF_BAD_PID 4
#define POF_BAD_TGID 8
#define POF_BAD_COMM 16
#define POF_BAD_TS 32
#define POF_BAD_FREE_TS 64
#define POF_BAD_PFN 128
#define POF_BAD_MASK 256

/* page_owner_sort's capture buffer: a numeric capture of FIELD_BUFF or more characters is
 * a failed field (docs/compatibility.md, Field extraction: 25 characters or more) */
#define POF_FIELD_BUFF 25
#define POF_MODULE_NAME_LEN 64

#define POF_U64_MAX 0xFFFFFFFFFFFFFFFFULL
#define POF_LONG_MAX 0x7FFFFFFFFFFFFFFFULL
#define POF_I64_MAX ((int64_t)0x7FFFFFFFFFFFFFFFLL)

/* status codes (0 = ok) */
#define POF_ENOMEM (-1)      /* out of memory */
#define POF_EINTERNAL (-2)   /* a broken invariant (a bug) */
#define POF_EBADID (-3)      /* an id or offset outside its table (bad arguments) */
#define POF_ESIGBUS (-99)    /* the mapped input vanished under the scan */

#endif /* POF_DEFS_H */
