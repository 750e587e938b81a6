/* Safety around a memory-mapped input.
 *
 * A mapped file that shrinks while it is read (truncated or rewritten) raises SIGBUS on
 * the vanished pages. pof_guarded(fn, arg) runs fn(arg) so that a SIGBUS on this thread
 * returns POF_ESIGBUS from it instead of killing the process; a SIGBUS anywhere else keeps
 * its previous disposition. POSIX only (sigsetjmp); elsewhere fn just runs.
 *
 * pof_release() drops this process's mapping of the whole pages of a range it is done
 * with (madvise MADV_DONTNEED; the page cache keeps them): the resident set stays small.
 * Only for a read-only file mapping -- on anonymous memory it would zero the pages.
 *
 * pof_hugepages() is the other madvise: huge pages for the large arrays a scan fills. */
#ifndef POF_GUARD_H
#define POF_GUARD_H

#include <stddef.h>

typedef int (*pof_guarded_fn)(void *arg);

void pof_install_sigbus(void);      /* once per process, before pof_guarded */
int pof_guarded(pof_guarded_fn fn, void *arg);
void pof_release(const void *start, size_t len);

/* Ask for transparent huge pages behind a large fresh allocation (Linux, where THP is
 * "madvise"): one page fault per 2 MiB instead of per 4 KiB. A hint; nothing elsewhere. */
void pof_hugepages(void *start, size_t len);

#endif /* POF_GUARD_H */
