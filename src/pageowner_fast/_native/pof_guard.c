/* SIGBUS guard and page release (see pof_guard.h). */
#if !defined(_WIN32)
#  ifndef _DEFAULT_SOURCE
#    define _DEFAULT_SOURCE 1     /* sigsetjmp, sigaction, madvise under -std=c99 */
#  endif
#  ifndef _DARWIN_C_SOURCE
#    define _DARWIN_C_SOURCE 1
#  endif
#endif
#include "pof_guard.h"
#include "pof_defs.h"

#if (defined(__unix__) || defined(__APPLE__)) && !defined(__EMSCRIPTEN__)
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* the jump buffer of the guarded call running on this thread, if any */
static __thread sigjmp_buf *guard_jmp = NULL;
static struct sigaction old_bus;
static int bus_installed = 0;

static void on_sigbus(int sig, siginfo_t *info, void *ctx)
{
    (void)info;
    (void)ctx;
    if (guard_jmp)
        siglongjmp(*guard_jmp, 1);
    sigaction(sig, &old_bus, NULL);     /* not ours: as if we were not there */
    raise(sig);
}

void pof_install_sigbus(void)
{
    struct sigaction sa;
    if (bus_installed)
        return;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &old_bus) == 0)
        bus_installed = 1;
}

int pof_guarded(pof_guarded_fn fn, void *arg)
{
    sigjmp_buf jb;
    sigjmp_buf *volatile prev = guard_jmp;
    int r;
    if (sigsetjmp(jb, 1)) {
        guard_jmp = prev;
        return POF_ESIGBUS;
    }
    guard_jmp = &jb;
    r = fn(arg);
    guard_jmp = prev;
    return r;
}

void pof_release(const void *start, size_t len)
{
    uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)start + ps - 1) & ~(ps - 1);
    uintptr_t b = ((uintptr_t)start + len) & ~(ps - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

void pof_hugepages(void *start, size_t len)
{
#ifdef MADV_HUGEPAGE
    uintptr_t h = (uintptr_t)2 << 20;
    uintptr_t a = ((uintptr_t)start + h - 1) & ~(h - 1);
    uintptr_t b = ((uintptr_t)start + len) & ~(h - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
    (void)start;
    (void)len;
#endif
}

#else   /* Windows and others: no SIGBUS to catch (a vanished mapping is an access
           violation there, as for any other reader), nothing to release */

void pof_install_sigbus(void) {}
int pof_guarded(pof_guarded_fn fn, void *arg) { return fn(arg); }
void pof_release(const void *start, size_t len)
{
    (void)start;
    (void)len;
}

void pof_hugepages(void *start, size_t len)
{
    (void)start;
    (void)len;
}

#endif
