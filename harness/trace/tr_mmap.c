/*
 * tr_mmap.c - the program's own mmap, mmap64, munmap, mremap and mprotect,
 * each counted (calls and bytes) on the stack that made the call, and
 * _exit/_Exit, which write the dump before the process goes.
 *
 * glibc's malloc maps memory through internal aliases that never reach
 * these symbols; jemalloc, tcmalloc and mimalloc call mmap through the PLT,
 * but only while we forward to them, with the guard set: so what is counted
 * here is the program's (and its libraries') own mapping, not the
 * allocator's. mprotect to an accessible protection counts as "committed"
 * (the reserve-then-commit pattern: PROT_NONE mmap, mprotect RW later).
 */
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tr_hook.h"

#define FP() __builtin_frame_address(0)

/* Called by the allocator under test (an unsampled allocation forwarded
 * without the guard): not the program's mapping. */
#define FROM_ALLOCATOR()                                                                           \
        ((uintptr_t)__builtin_return_address(0) - g_tr.alloc_lo < g_tr.alloc_hi - g_tr.alloc_lo)

static void *raw_mmap(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
        return (void *)syscall(SYS_mmap, a, n, prot, flags, fd, off);
}

TR_EXPORT void *mmap(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
        void *r;
        if (tr_unlikely(!tr_real.mmap)) {
                tr_resolve();
                if (!tr_real.mmap)
                        return raw_mmap(a, n, prot, flags, fd, off);
        }
        if (tr_skip() || FROM_ALLOCATOR())
                return tr_real.mmap(a, n, prot, flags, fd, off);
        tr_tls.guard = 1;
        r = tr_real.mmap(a, n, prot, flags, fd, off);
        if (r != MAP_FAILED)
                tr_on_map(FP(), AB_TD_MAP_CALLS, AB_TD_MAP_BYTES, n,
                          prot == PROT_NONE ? AB_TD_RESERVE_BYTES : -1);
        tr_tls.guard = 0;
        return r;
}

TR_EXPORT void *mmap64(void *a, size_t n, int prot, int flags, int fd, off_t off)
{
        void *r;
        void *(*next)(void *, size_t, int, int, int, off_t);
        if (tr_unlikely(!tr_real.mmap))
                tr_resolve();
        next = tr_real.mmap64 ? tr_real.mmap64 : tr_real.mmap;
        if (!next)
                return raw_mmap(a, n, prot, flags, fd, off);
        if (tr_skip() || FROM_ALLOCATOR())
                return next(a, n, prot, flags, fd, off);
        tr_tls.guard = 1;
        r = next(a, n, prot, flags, fd, off);
        if (r != MAP_FAILED)
                tr_on_map(FP(), AB_TD_MAP_CALLS, AB_TD_MAP_BYTES, n,
                          prot == PROT_NONE ? AB_TD_RESERVE_BYTES : -1);
        tr_tls.guard = 0;
        return r;
}

TR_EXPORT int munmap(void *a, size_t n)
{
        int r;
        if (tr_unlikely(!tr_real.munmap)) {
                tr_resolve();
                if (!tr_real.munmap)
                        return (int)syscall(SYS_munmap, a, n);
        }
        if (tr_skip() || FROM_ALLOCATOR())
                return tr_real.munmap(a, n);
        tr_tls.guard = 1;
        r = tr_real.munmap(a, n);
        if (r == 0)
                tr_on_map(FP(), AB_TD_UNMAP_CALLS, AB_TD_UNMAP_BYTES, n, -1);
        tr_tls.guard = 0;
        return r;
}

TR_EXPORT void *mremap(void *old, size_t old_n, size_t new_n, int flags, ...)
{
        void *r, *want = NULL;
        if (flags & MREMAP_FIXED) {
                va_list ap;
                va_start(ap, flags);
                want = va_arg(ap, void *);
                va_end(ap);
        }
        if (tr_unlikely(!tr_real.mremap)) {
                tr_resolve();
                if (!tr_real.mremap)
                        return (void *)syscall(SYS_mremap, old, old_n, new_n, flags, want);
        }
        if (tr_skip() || FROM_ALLOCATOR())
                return tr_real.mremap(old, old_n, new_n, flags, want);
        tr_tls.guard = 1;
        r = tr_real.mremap(old, old_n, new_n, flags, want);
        if (r != MAP_FAILED) {
                /* growth counts as mapped, shrinkage as unmapped */
                if (new_n >= old_n)
                        tr_on_map(FP(), AB_TD_MAP_CALLS, AB_TD_MAP_BYTES, new_n - old_n, -1);
                else
                        tr_on_map(FP(), AB_TD_MAP_CALLS, AB_TD_UNMAP_BYTES, old_n - new_n, -1);
        }
        tr_tls.guard = 0;
        return r;
}

TR_EXPORT int mprotect(void *a, size_t n, int prot)
{
        int r;
        if (tr_unlikely(!tr_real.mprotect)) {
                tr_resolve();
                if (!tr_real.mprotect)
                        return (int)syscall(SYS_mprotect, a, n, prot);
        }
        if (tr_skip() || FROM_ALLOCATOR())
                return tr_real.mprotect(a, n, prot);
        tr_tls.guard = 1;
        r = tr_real.mprotect(a, n, prot);
        if (r == 0 && (prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
                tr_on_map(FP(), AB_TD_COMMIT_CALLS, AB_TD_COMMIT_BYTES, n, -1);
        tr_tls.guard = 0;
        return r;
}

/* A process that leaves through _exit (a fork child, usually) skips the
 * destructors: write its dump here. Not in a vfork child or a bare clone,
 * which share the parent's memory (and its locks): their pid differs from
 * the one the tracer knows, as no atfork handler ran for them. */
static void before_exit(void)
{
        if (g_tr.on && !tr_tls.guard && getpid() == g_tr.pid) {
                tr_dump_write(true);
                tr_rec_close();
        }
}

TR_EXPORT void _exit(int status)
{
        before_exit();
        if (!tr_real.exit_)
                tr_resolve();
        if (tr_real.exit_)
                tr_real.exit_(status);
        syscall(SYS_exit_group, status);
        __builtin_unreachable();
}

TR_EXPORT void _Exit(int status)
{
        before_exit();
        if (!tr_real.Exit_)
                tr_resolve();
        if (tr_real.Exit_)
                tr_real.Exit_(status);
        syscall(SYS_exit_group, status);
        __builtin_unreachable();
}
