/* The block splitter (docs/compatibility.md, Reading blocks): finds the empty line that ends a block and the lines of
 * the block that start with "PFN", counting its lines, NUL bytes and CR bytes on the way.
 *
 * Three variants with one contract: portable (a newline search per line), SSE2 and AVX2
 * (64 bytes at a time: bit masks of the newlines and of the 'P' bytes give the empty line
 * and the candidate PFN lines with no branch per line). pof_split_select() picks one; at
 * start-up the best the build and the CPU have.
 *
 * A block that is not complete in the buffer leaves its progress in the pof_split struct
 * (offsets relative to the block start), and the next call -- with the same block start,
 * possibly moved in memory, and more bytes -- resumes there: a huge block that arrives in
 * many chunks is looked at once, not once per chunk. */
#ifndef POF_SPLIT_H
#define POF_SPLIT_H

#include "pof_port.h"

typedef struct {
    ptrdiff_t at;       /* where to resume, from the block start (0: a new block) */
    uint64_t carry;     /* SIMD variants: whether byte `at` starts a line */
    int64_t lines;      /* lines before `at` */
    int64_t nul;        /* NUL bytes before `at` */
    int cr;             /* a CR byte before `at` */
    size_t npfn;        /* PFN lines before `at` */
} pof_split_run;

typedef struct {
    /* the PFN lines of the block: offset from the block start and line index (0 = the
       first line); the arrays belong to the caller, who grows them when npfn > pfn_cap */
    int64_t *pfn_pos;
    int64_t *pfn_idx;
    size_t pfn_cap;
    /* the block just found (valid after a call that returned >= 0) */
    size_t npfn;        /* its PFN lines (may exceed pfn_cap: grow, restart, call again) */
    int64_t nlines;     /* its lines before the empty line */
    int64_t nul;        /* its NUL bytes */
    int cr;             /* whether it holds a CR byte */
    pof_split_run run;  /* progress through a block not complete yet */
} pof_split;

/* The end of the block that starts at buf[bstart] (a line start): the offset of its
 * terminating empty line, or -1 when buf[bstart:end] does not hold all of it (sp->run then
 * says how far it got). */
typedef ptrdiff_t (*pof_block_end_fn)(const unsigned char *buf, ptrdiff_t bstart,
                                      ptrdiff_t end, pof_split *sp);

ptrdiff_t pof_block_end_portable(const unsigned char *buf, ptrdiff_t bstart, ptrdiff_t end,
                                 pof_split *sp);
ptrdiff_t pof_block_end_sse2(const unsigned char *buf, ptrdiff_t bstart, ptrdiff_t end,
                             pof_split *sp);
ptrdiff_t pof_block_end_avx2(const unsigned char *buf, ptrdiff_t bstart, ptrdiff_t end,
                             pof_split *sp);

/* Forget the progress through an incomplete block (the next call starts afresh). */
void pof_split_restart(pof_split *sp);

/* The splitter in use. pof_split_select("best" | "avx2" | "sse2" | "portable") switches
 * (a variant the build or CPU lacks falls back to the next best) and returns the name of
 * the one now in use; pof_split_name() says which one that is. Not thread-safe: call it
 * while no scan runs. */
extern pof_block_end_fn pof_block_end;
const char *pof_split_select(const char *name);

/* The PFN line at p (its newline before lim): its length, and whether it holds "CMA" and
 * "slab" (pof_lines.h, pof_pfn_line); the variant goes with the splitter's. */
typedef ptrdiff_t (*pof_pfn_verdict_fn)(const unsigned char *p, const unsigned char *lim,
                                        int *cma, int *slab);
extern pof_pfn_verdict_fn pof_pfn_verdict;
const char *pof_split_name(void);

int pof_cpu_has_avx2(void);   /* the CPU (and the OS) can run the AVX2 variant */
int pof_build_has_sse2(void); /* the SSE2 and AVX2 variants are compiled in */
int pof_build_has_avx2(void);

#endif /* POF_SPLIT_H */
