/*
 * tr_cxx.c - operator new and delete in all their forms. jemalloc, tcmalloc
 * and mimalloc export their own, which never pass through malloc, so each is
 * forwarded to the next definition of the same name (the allocator's, or
 * libstdc++'s, which calls malloc: that call finds the guard set and passes
 * through untraced). When no later object defines a form, the malloc family
 * serves it; a throwing form that then gets no memory aborts, since C cannot
 * throw std::bad_alloc.
 *
 * Built with -fexceptions: an operator new that throws unwinds through these
 * frames, and the cleanup attribute clears the guard on the way, or the
 * thread would stay untraced for good.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "tr_hook.h"

/* name, kind: n = new, d = delete; arguments after the size or pointer */
#define CXX_OPS(X)                                                                                 \
        X(_Znwm, NEW)                                                                              \
        X(_Znam, NEW)                                                                              \
        X(_ZnwmRKSt9nothrow_t, NEW_NT)                                                             \
        X(_ZnamRKSt9nothrow_t, NEW_NT)                                                             \
        X(_ZnwmSt11align_val_t, NEW_AL)                                                            \
        X(_ZnamSt11align_val_t, NEW_AL)                                                            \
        X(_ZnwmSt11align_val_tRKSt9nothrow_t, NEW_AL_NT)                                           \
        X(_ZnamSt11align_val_tRKSt9nothrow_t, NEW_AL_NT)                                           \
        X(_ZdlPv, DEL)                                                                             \
        X(_ZdaPv, DEL)                                                                             \
        X(_ZdlPvRKSt9nothrow_t, DEL_NT)                                                            \
        X(_ZdaPvRKSt9nothrow_t, DEL_NT)                                                            \
        X(_ZdlPvm, DEL_SZ)                                                                         \
        X(_ZdaPvm, DEL_SZ)                                                                         \
        X(_ZdlPvSt11align_val_t, DEL_AL)                                                           \
        X(_ZdaPvSt11align_val_t, DEL_AL)                                                           \
        X(_ZdlPvmSt11align_val_t, DEL_SZ_AL)                                                       \
        X(_ZdaPvmSt11align_val_t, DEL_SZ_AL)                                                       \
        X(_ZdlPvSt11align_val_tRKSt9nothrow_t, DEL_AL_NT)                                          \
        X(_ZdaPvSt11align_val_tRKSt9nothrow_t, DEL_AL_NT)

typedef void *(*new_fn)(size_t);
typedef void *(*new_nt_fn)(size_t, const void *);
typedef void *(*new_al_fn)(size_t, size_t);
typedef void *(*new_al_nt_fn)(size_t, size_t, const void *);
typedef void (*del_fn)(void *);
typedef void (*del_nt_fn)(void *, const void *);
typedef void (*del_sz_fn)(void *, size_t);
typedef void (*del_al_fn)(void *, size_t);
typedef void (*del_sz_al_fn)(void *, size_t, size_t);
typedef void (*del_al_nt_fn)(void *, size_t, const void *);

#define DECL(name, kind) static void *next_##name;
CXX_OPS(DECL)
#undef DECL

void tr_cxx_resolve(void)
{
#define LOOK(name, kind) next_##name = dlsym(RTLD_NEXT, #name);
        CXX_OPS(LOOK)
#undef LOOK
}

static void unguard(int *g)
{
        if (*g)
                tr_tls.guard = 0;
}

#define GUARDED int g_ __attribute__((cleanup(unguard))) = (tr_tls.guard = 1)

static void *fallback_new(size_t n, size_t align, bool nothrow)
{
        void *p = align ? tr_real.aligned_alloc(align, (n + align - 1) & ~(align - 1))
                        : tr_real.malloc(n ? n : 1);
        if (!p && !nothrow)
                abort();
        return p;
}

static void *call_new(void *next, int kind, size_t n, size_t align, const void *nt)
{
        if (!next)
                return fallback_new(n, align, kind == 1 || kind == 3);
        switch (kind) {
        case 0:
                return ((new_fn)next)(n);
        case 1:
                return ((new_nt_fn)next)(n, nt);
        case 2:
                return ((new_al_fn)next)(n, align);
        default:
                return ((new_al_nt_fn)next)(n, align, nt);
        }
}

static void call_del(void *next, int kind, void *p, size_t n, size_t align, const void *nt)
{
        if (!next) {
                tr_real.free(p);
                return;
        }
        switch (kind) {
        case 0:
                ((del_fn)next)(p);
                break;
        case 1:
                ((del_nt_fn)next)(p, nt);
                break;
        case 2:
                ((del_sz_fn)next)(p, n);
                break;
        case 3:
                ((del_al_fn)next)(p, align);
                break;
        case 4:
                ((del_sz_al_fn)next)(p, n, align);
                break;
        default:
                ((del_al_nt_fn)next)(p, align, nt);
                break;
        }
}

#define FP() __builtin_frame_address(0)

/* As malloc and free (tracer.c): the exported operators hold the sampling
 * fast path only and reach these by a tail jump, so the frame here returns
 * straight into the program. */
__attribute__((noinline)) static void *new_slow(void *next, int kind, size_t n, size_t align,
                                                const void *nt)
{
        void *p;
        if (tr_unlikely(!tr_real.malloc))
                tr_resolve();
        if (tr_skip())
                return call_new(next, kind, n, align, nt);
        {
                GUARDED;
                p = call_new(next, kind, n, align, nt);
                if (p)
                        tr_on_alloc(FP(), p, n);
                (void)g_;
        }
        return p;
}

static inline void *traced_new(void *next, int kind, size_t n, size_t align, const void *nt)
{
        if (tr_fast_pass_alloc(n))
                return call_new(next, kind, n, align, nt);
        return new_slow(next, kind, n, align, nt);
}

__attribute__((noinline)) static void del_slow(void *next, int kind, void *p, size_t n,
                                               size_t align, const void *nt)
{
        if (!p) {
                call_del(next, kind, p, n, align, nt);
                return;
        }
        if (tr_is_boot(p))
                return;
        if (tr_unlikely(!tr_real.free))
                tr_resolve();
        if (tr_skip()) {
                call_del(next, kind, p, n, align, nt);
                return;
        }
        tr_tls.guard = 1;
        tr_on_free(p);
        call_del(next, kind, p, n, align, nt);
        tr_tls.guard = 0;
}

static inline void traced_del(void *next, int kind, void *p, size_t n, size_t align, const void *nt)
{
        if (tr_fast_pass_free(p)) {
                call_del(next, kind, p, n, align, nt);
                return;
        }
        del_slow(next, kind, p, n, align, nt);
}

TR_EXPORT void *_Znwm(size_t n);
TR_EXPORT void *_Znwm(size_t n)
{
        return traced_new(next__Znwm, 0, n, 0, NULL);
}

TR_EXPORT void *_Znam(size_t n);
TR_EXPORT void *_Znam(size_t n)
{
        return traced_new(next__Znam, 0, n, 0, NULL);
}

TR_EXPORT void *_ZnwmRKSt9nothrow_t(size_t n, const void *nt);
TR_EXPORT void *_ZnwmRKSt9nothrow_t(size_t n, const void *nt)
{
        return traced_new(next__ZnwmRKSt9nothrow_t, 1, n, 0, nt);
}

TR_EXPORT void *_ZnamRKSt9nothrow_t(size_t n, const void *nt);
TR_EXPORT void *_ZnamRKSt9nothrow_t(size_t n, const void *nt)
{
        return traced_new(next__ZnamRKSt9nothrow_t, 1, n, 0, nt);
}

TR_EXPORT void *_ZnwmSt11align_val_t(size_t n, size_t al);
TR_EXPORT void *_ZnwmSt11align_val_t(size_t n, size_t al)
{
        return traced_new(next__ZnwmSt11align_val_t, 2, n, al, NULL);
}

TR_EXPORT void *_ZnamSt11align_val_t(size_t n, size_t al);
TR_EXPORT void *_ZnamSt11align_val_t(size_t n, size_t al)
{
        return traced_new(next__ZnamSt11align_val_t, 2, n, al, NULL);
}

TR_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt);
TR_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt)
{
        return traced_new(next__ZnwmSt11align_val_tRKSt9nothrow_t, 3, n, al, nt);
}

TR_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt);
TR_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt)
{
        return traced_new(next__ZnamSt11align_val_tRKSt9nothrow_t, 3, n, al, nt);
}

#define DELETE(name, kind, params, n, al, nt)                                                      \
        TR_EXPORT void name params;                                                                \
        TR_EXPORT void name params                                                                 \
        {                                                                                          \
                traced_del(next_##name, kind, p, n, al, nt);                                       \
        }

DELETE(_ZdlPv, 0, (void *p), 0, 0, NULL)
DELETE(_ZdaPv, 0, (void *p), 0, 0, NULL)
DELETE(_ZdlPvRKSt9nothrow_t, 1, (void *p, const void *nt), 0, 0, nt)
DELETE(_ZdaPvRKSt9nothrow_t, 1, (void *p, const void *nt), 0, 0, nt)
DELETE(_ZdlPvm, 2, (void *p, size_t n), n, 0, NULL)
DELETE(_ZdaPvm, 2, (void *p, size_t n), n, 0, NULL)
DELETE(_ZdlPvSt11align_val_t, 3, (void *p, size_t al), 0, al, NULL)
DELETE(_ZdaPvSt11align_val_t, 3, (void *p, size_t al), 0, al, NULL)
DELETE(_ZdlPvmSt11align_val_t, 4, (void *p, size_t n, size_t al), n, al, NULL)
DELETE(_ZdaPvmSt11align_val_t, 4, (void *p, size_t n, size_t al), n, al, NULL)
DELETE(_ZdlPvSt11align_val_tRKSt9nothrow_t, 5, (void *p, size_t al, const void *nt), 0, al, nt)
DELETE(_ZdaPvSt11align_val_tRKSt9nothrow_t, 5, (void *p, size_t al, const void *nt), 0, al, nt)
