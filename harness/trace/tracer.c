/*
 * tracer.c - libabtrace.so: set-up, the environment, sampling, and the
 * interposers of the C allocation functions. Preload it FIRST, in front of
 * the allocator under test:
 *
 *   LD_PRELOAD="build/libabtrace.so /usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
 *   ALLOCBENCH_TRACE_OUT=/tmp/trace.%p PROGRAM ...
 *
 * Environment (read once, at the first allocation or the constructor):
 *   ALLOCBENCH_TRACE_OUT          dump path, %p = pid (unset: trace nothing)
 *   ALLOCBENCH_TRACE_DEPTH        frames per stack (32, at most 128)
 *   ALLOCBENCH_TRACE_SAMPLE       mean bytes between samples (0 = exact)
 *   ALLOCBENCH_TRACE_BIG          big-block threshold, bytes (128 KiB)
 *   ALLOCBENCH_TRACE_ROUND_MS     end a round every N ms (helper thread)
 *   ALLOCBENCH_TRACE_ROUND_SIGNAL end a round on this signal (number or
 *                                 name: USR2, SIGUSR2)
 *   ALLOCBENCH_TRACE_ROUND_FD     end a round for every byte read from this
 *                                 descriptor (bench writes one when a round
 *                                 it sees ends: a guest's under an emulator
 *                                 with the tracer in the emulator, a time
 *                                 window)
 *   ALLOCBENCH_TRACE_FLUSH_MS     at a round end, rewrite the dump when
 *                                 this long passed since the last write
 *                                 (1000; 0 = only at exit)
 * Sizes accept a k/K/KiB, m/M/MiB or g/G/GiB suffix (powers of 1024).
 *
 * Exported besides the interposed functions:
 *   void allocbench_trace_round(void)          end a round now
 *   void allocbench_trace_phase(const char *)  name the rounds that follow
 *   int allocbench_trace_capture(void *pcs, int max, int unwind)
 *                                              one stack capture (benchmark)
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "arec.h"
#include "tr_hook.h"

/* abtrace.h declares these weak for programs; here they are strong. */
TR_EXPORT void allocbench_trace_round(void);
TR_EXPORT void allocbench_trace_phase(const char *name);
TR_EXPORT int allocbench_trace_capture(void *pcs, int max, int unwind);

__thread struct tr_tls tr_tls __attribute__((tls_model("initial-exec")));
struct tr_global g_tr;
struct tr_real tr_real;
int tr_state;

/* ---- bootstrap arena ------------------------------------------------------- */

_Alignas(64) unsigned char tr_boot[TR_BOOT_BYTES];
#define boot tr_boot
static size_t boot_used;

void *tr_boot_alloc(size_t n, size_t align)
{
        size_t a = align < 16 ? 16 : align;
        size_t need = ((n + 15) & ~(size_t)15) + a;
        size_t at = __atomic_fetch_add(&boot_used, need, __ATOMIC_RELAXED);
        uintptr_t p;
        if (n > sizeof boot || at + need > sizeof boot)
                return NULL;
        /* the size sits in the 16 bytes below the (aligned) block */
        p = ((uintptr_t)&boot[at] + 16 + a - 1) & ~(uintptr_t)(a - 1);
        ((size_t *)p)[-1] = n;
        return (void *)p;
}

size_t tr_boot_size(const void *p)
{
        return ((const size_t *)p)[-1];
}

/* ---- set-up ------------------------------------------------------------------ */

static int resolving;

#define NEXT(field, name) (tr_real.field = (__typeof__(tr_real.field))dlsym(RTLD_NEXT, name))

void tr_resolve(void)
{
        if (__atomic_exchange_n(&resolving, 1, __ATOMIC_ACQ_REL))
                return; /* dlsym calling back in, or another thread: boot arena */
        tr_tls.guard++;
        NEXT(free, "free");
        NEXT(calloc, "calloc");
        NEXT(realloc, "realloc");
        NEXT(reallocarray, "reallocarray");
        NEXT(posix_memalign, "posix_memalign");
        NEXT(aligned_alloc, "aligned_alloc");
        NEXT(memalign, "memalign");
        NEXT(valloc, "valloc");
        NEXT(pvalloc, "pvalloc");
        NEXT(malloc_usable_size, "malloc_usable_size");
        NEXT(mmap, "mmap");
        NEXT(mmap64, "mmap64");
        NEXT(munmap, "munmap");
        NEXT(mremap, "mremap");
        NEXT(mprotect, "mprotect");
        NEXT(exit_, "_exit");
        NEXT(Exit_, "_Exit");
        tr_cxx_resolve();
        /* malloc last: its pointer being set is what says "resolved" */
        __atomic_store_n(&tr_real.malloc, (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc"),
                         __ATOMIC_RELEASE);
        tr_tls.guard--;
}

static uint64_t env_size(const char *name, uint64_t def)
{
        const char *s = getenv(name);
        char *end;
        unsigned long long v;
        if (!s || !*s)
                return def;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s)
                return def;
        switch (*end) {
        case 'k':
        case 'K':
                v <<= 10;
                break;
        case 'm':
        case 'M':
                v <<= 20;
                break;
        case 'g':
        case 'G':
                v <<= 30;
                break;
        }
        return v;
}

static int env_signal(const char *name)
{
        static const struct {
                const char *n;
                int sig;
        } names[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP},
                     {"URG", SIGURG},   {"PROF", SIGPROF}, {"WINCH", SIGWINCH}};
        const char *s = getenv(name);
        if (!s || !*s)
                return 0;
        if (*s >= '0' && *s <= '9') {
                long v = strtol(s, NULL, 10);
                return v > 0 && v < NSIG ? (int)v : 0;
        }
        if (strncmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcmp(s, names[i].n) == 0)
                        return names[i].sig;
        return 0;
}

/* A descriptor number from the environment that is open here, or -1. */
static int env_fd(const char *name)
{
        const char *s = getenv(name);
        char *end;
        long v;
        if (!s || !*s)
                return -1;
        v = strtol(s, &end, 10);
        if (*end || v < 0 || v > 65535 || fcntl((int)v, F_GETFD) < 0)
                return -1;
        return (int)v;
}

/* The code of the allocator under test (the object that defines the next
 * malloc): its mmap calls are its own business, not the program's. */
static void allocator_text(void)
{
        Dl_info info;
        const struct tr_ranges *rs = __atomic_load_n(&tr_cur_ranges, __ATOMIC_ACQUIRE);
        uintptr_t m = (uintptr_t)tr_real.malloc;
        if (!rs || !dladdr((void *)m, &info))
                return;
        for (size_t i = 0; i < rs->n; i++)
                if (m >= rs->r[i].lo && m < rs->r[i].hi) {
                        g_tr.alloc_lo = rs->r[i].lo;
                        g_tr.alloc_hi = rs->r[i].hi;
                }
}

static void setup(void)
{
        const char *out = getenv("ALLOCBENCH_TRACE_OUT"), *rec;
        uint64_t depth;

        if (!out || !*out || strlen(out) >= sizeof g_tr.out)
                return; /* nothing to write to: pass everything through */
        strcpy(g_tr.out, out);
        depth = env_size("ALLOCBENCH_TRACE_DEPTH", TR_DEPTH_DEFAULT);
        g_tr.depth = (uint32_t)(depth < 1 ? 1 : depth > TR_DEPTH_MAX ? TR_DEPTH_MAX : depth);
        g_tr.sample_bytes = env_size("ALLOCBENCH_TRACE_SAMPLE", 0);
        g_tr.big_bytes = env_size("ALLOCBENCH_TRACE_BIG", TR_BIG_DEFAULT);
        if (!g_tr.big_bytes)
                g_tr.big_bytes = TR_BIG_DEFAULT;
        g_tr.force_from = g_tr.big_bytes < TR_ZC_MIN ? g_tr.big_bytes : TR_ZC_MIN;
        g_tr.round_ms = env_size("ALLOCBENCH_TRACE_ROUND_MS", 0);
        g_tr.round_signal = env_signal("ALLOCBENCH_TRACE_ROUND_SIGNAL");
        g_tr.round_fd = env_fd("ALLOCBENCH_TRACE_ROUND_FD");
        g_tr.flush_ms = env_size("ALLOCBENCH_TRACE_FLUSH_MS", 1000);
        rec = getenv("ALLOCBENCH_TRACE_RECORD");
        if (rec && *rec) {
                g_tr.sample_bytes = 0; /* a record holds every event */
                tr_rec_open(rec);
        }
        g_tr.pid = getpid();
        g_tr.ppid = getppid();
        g_tr.start_ns = g_tr.last_write_ns = tr_now_ns();
        g_tr.start_real_ns = tr_real_ns();
        tr_count_init();
        if (tr_table_init() < 0 || tr_stack_init() < 0 || tr_modules_refresh(true) < 0)
                return;
        pthread_atfork(tr_fork_prepare, tr_fork_parent, tr_fork_child);
        g_tr.helper_pending = g_tr.round_ms || g_tr.round_signal || g_tr.round_fd >= 0;
        allocator_text();
        __atomic_store_n(&g_tr.on, true, __ATOMIC_RELEASE);
        __atomic_store_n(&g_tr.fast, g_tr.sample_bytes != 0, __ATOMIC_RELEASE);
}

void tr_init_lazy(void)
{
        int zero = 0;
        if (!tr_real.malloc)
                tr_resolve();
        if (!__atomic_compare_exchange_n(&tr_state, &zero, 1, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
                return; /* set up, or being set up by someone else */
        tr_tls.guard++;
        setup();
        tr_tls.guard--;
        __atomic_store_n(&tr_state, 2, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void tr_ctor(void)
{
        tr_init_lazy();
        /* libunwind is opened here, never from inside an allocation that
         * ld.so itself may be making (tr_stack_init does it again only if
         * the first attempt happened before libc was ready). */
        if (g_tr.on && !g_tr.unwind) {
                tr_tls.guard++;
                tr_stack_init();
                tr_tls.guard--;
        }
}

__attribute__((destructor)) static void tr_dtor(void)
{
        if (g_tr.on && getpid() == g_tr.pid) {
                tr_dump_write(true);
                tr_rec_close();
        }
}

/* ---- sampling ------------------------------------------------------------------ */

static double uniform(uint64_t *state)
{
        uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        return ((double)(z >> 11) + 0.5) * 0x1.0p-53; /* (0, 1) */
}

void tr_sample_start(struct tr_thread *t)
{
        if (g_tr.sample_bytes)
                tr_tls.sample_left =
                    (int64_t)(-log(uniform(&t->rng)) * (double)g_tr.sample_bytes) + 1;
}

bool tr_sample_slow(uint64_t size)
{
        struct tr_thread *t = tr_tls.t;
        double mean = (double)g_tr.sample_bytes;
        (void)size;
        /* Distances between sample points are exponential with the given
         * mean; the allocation that crosses a point is sampled (several
         * points in one block still sample it once). */
        do
                tr_tls.sample_left += (int64_t)(-log(uniform(&t->rng)) * mean) + 1;
        while (tr_tls.sample_left <= 0);
        return true;
}

void tr_weights(uint64_t size, uintptr_t p, uint64_t *wn, uint64_t *wb)
{
        double w = size ? 1.0 / -expm1(-(double)size / (double)g_tr.sample_bytes) : 1.0;
        double base = floor(w);
        uint64_t h = (uint64_t)p * 0x9e3779b97f4a7c15ull;
        double u = (double)(h >> 11) * 0x1.0p-53;
        *wn = (uint64_t)base + (u < w - base);
        *wb = (uint64_t)llround((double)size * w);
}

/* ---- the C allocation functions -------------------------------------------------- */

#define FP() __builtin_frame_address(0)

/* The exported malloc and free hold only the sampling fast path, so that
 * no register is saved and no frame built before it: the rest is a
 * separate function reached by a tail jump, whose frame's return address
 * is then the program's own call site. */
__attribute__((noinline)) static void *malloc_slow(size_t n)
{
        void *p;
        if (tr_unlikely(!tr_real.malloc)) {
                tr_resolve();
                if (!tr_real.malloc)
                        return tr_boot_alloc(n, 16);
        }
        if (tr_skip())
                return tr_real.malloc(n);
        tr_tls.guard = 1;
        p = tr_real.malloc(n);
        if (tr_likely(p))
                tr_on_alloc(FP(), p, n);
        tr_tls.guard = 0;
        return p;
}

TR_EXPORT void *malloc(size_t n)
{
        if (tr_fast_pass_alloc(n))
                return tr_real.malloc(n);
        return malloc_slow(n);
}

TR_EXPORT void *calloc(size_t k, size_t n)
{
        size_t total;
        void *p;
        if (!__builtin_mul_overflow(k, n, &total) && tr_fast_pass_alloc(total))
                return tr_real.calloc(k, n);
        if (tr_unlikely(!tr_real.calloc)) {
                tr_resolve();
                if (!tr_real.calloc) {
                        if (__builtin_mul_overflow(k, n, &total))
                                return NULL;
                        return tr_boot_alloc(total, 16); /* static memory is zero */
                }
        }
        if (tr_skip() || __builtin_mul_overflow(k, n, &total))
                return tr_real.calloc(k, n);
        tr_tls.guard = 1;
        if (total >= TR_ZC_MIN) {
                /* Large callocs are timed and their minor faults counted
                 * (this thread's only), so a later detector can tell a
                 * calloc that zeroes or faults in its block. */
                struct rusage r0, r1;
                uint64_t t0, ns;
                uint32_t site;
                struct tr_ctr *c;
                getrusage(RUSAGE_THREAD, &r0);
                t0 = tr_now_ns();
                p = tr_real.calloc(k, n);
                ns = tr_now_ns() - t0;
                getrusage(RUSAGE_THREAD, &r1);
                tr_tls.rec_op = AB_AO_CALLOC;
                site = p ? tr_on_alloc(FP(), p, total) : UINT32_MAX;
                tr_tls.rec_op = AB_AO_MALLOC;
                if (site != UINT32_MAX) { /* always, as total >= force_from */
                        c = tr_ctr(site);
                        tr_count_add(c, AB_TD_ZC_CALLS, 1);
                        tr_count_add(c, AB_TD_ZC_NS, ns);
                        tr_count_add(c, AB_TD_ZC_MINFLT, (uint64_t)(r1.ru_minflt - r0.ru_minflt));
                        tr_count_add(c, AB_TD_ZC_BYTES, total);
                        tr_ctr_done();
                }
        } else {
                p = tr_real.calloc(k, n);
                tr_tls.rec_op = AB_AO_CALLOC;
                if (tr_likely(p))
                        tr_on_alloc(FP(), p, total);
                tr_tls.rec_op = AB_AO_MALLOC;
        }
        tr_tls.guard = 0;
        return p;
}

__attribute__((noinline)) static void free_slow(void *p)
{
        if (!p || tr_is_boot(p))
                return;
        if (tr_unlikely(!tr_real.free))
                tr_resolve();
        if (tr_skip()) {
                tr_real.free(p);
                return;
        }
        tr_tls.guard = 1;
        tr_on_free(p);
        tr_real.free(p);
        tr_tls.guard = 0;
}

TR_EXPORT void free(void *p)
{
        if (tr_fast_pass_free(p)) {
                tr_real.free(p);
                return;
        }
        free_slow(p);
}

/* realloc is a free of the old block (charged to its site) and an
 * allocation of the new one at the realloc's own stack: each block is
 * charged to the stack that asked for its current size. */
static void *realloc_traced(void *fp, void *old, size_t n, size_t k)
{
        uint32_t site = 0;
        uint64_t size = 0, id = 0;
        size_t total = k ? k * n : n; /* the caller checked the product */
        bool had = false;
        void *p;

        if (old)
                had = tr_forget(old, &site, &size, &id);
        if (k && tr_real.reallocarray)
                p = tr_real.reallocarray(old, k, n);
        else
                p = old ? tr_real.realloc(old, total) : tr_real.malloc(total);
        if (!p && total) {
                /* failed: the old block is still the program's */
                if (had)
                        tr_table_put((uintptr_t)old, site, size, id);
                return NULL;
        }
        if (had)
                tr_free_known((uintptr_t)old, site, size);
        if (p) {
                /* recorded as one realloc of the old block (replayed as a
                 * realloc: an allocator may grow a block in place) */
                tr_tls.rec_op = AB_AO_REALLOC;
                tr_tls.rec_old = had ? id : 0;
                tr_on_alloc(fp, p, total);
        } else if (had && tr_recording) {
                tr_rec_free(id); /* realloc(p, 0) freed it */
        }
        return p;
}

static void *realloc_boot(void *old, size_t n)
{
        size_t have = tr_boot_size(old);
        void *p = malloc(n);
        if (p)
                memcpy(p, old, have < n ? have : n);
        return p;
}

TR_EXPORT void *realloc(void *old, size_t n)
{
        void *p;
        if (tr_fast_pass_free(old) && tr_fast_pass_alloc(n))
                return tr_real.realloc(old, n);
        if (old && tr_is_boot(old))
                return realloc_boot(old, n);
        if (tr_unlikely(!tr_real.realloc)) {
                tr_resolve();
                if (!tr_real.realloc)
                        return tr_boot_alloc(n, 16);
        }
        if (tr_skip())
                return tr_real.realloc(old, n);
        tr_tls.guard = 1;
        p = realloc_traced(FP(), old, n, 0);
        tr_tls.guard = 0;
        return p;
}

TR_EXPORT void *reallocarray(void *old, size_t k, size_t n)
{
        size_t total;
        void *p;
        if (__builtin_mul_overflow(k, n, &total)) {
                errno = ENOMEM;
                return NULL;
        }
        if (old && tr_is_boot(old))
                return realloc_boot(old, total);
        if (tr_unlikely(!tr_real.realloc))
                tr_resolve();
        if (tr_skip())
                return tr_real.reallocarray ? tr_real.reallocarray(old, k, n)
                                            : tr_real.realloc(old, total);
        tr_tls.guard = 1;
        p = realloc_traced(FP(), old, n, k ? k : 1);
        tr_tls.guard = 0;
        return p;
}

TR_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
        int r;
        if (tr_unlikely(!tr_real.posix_memalign))
                tr_resolve();
        if (!tr_real.posix_memalign) {
                *out = tr_boot_alloc(n, align);
                return *out ? 0 : ENOMEM;
        }
        if (tr_skip())
                return tr_real.posix_memalign(out, align, n);
        tr_tls.guard = 1;
        r = tr_real.posix_memalign(out, align, n);
        if (r == 0 && *out) {
                tr_rec_aligned(align);
                tr_on_alloc(FP(), *out, n);
        }
        tr_tls.guard = 0;
        return r;
}

/* aligned_alloc, memalign, valloc and pvalloc share one shape. */
#define ALIGNED(name, proto, call, size, align)                                                    \
        TR_EXPORT void *name proto                                                                 \
        {                                                                                          \
                void *p;                                                                           \
                if (tr_unlikely(!tr_real.name))                                                    \
                        tr_resolve();                                                              \
                if (!tr_real.name)                                                                 \
                        return tr_boot_alloc(size, 4096);                                          \
                if (tr_skip())                                                                     \
                        return tr_real.name call;                                                  \
                tr_tls.guard = 1;                                                                  \
                p = tr_real.name call;                                                             \
                if (p) {                                                                           \
                        tr_rec_aligned(align);                                                     \
                        tr_on_alloc(FP(), p, size);                                                \
                }                                                                                  \
                tr_tls.guard = 0;                                                                  \
                return p;                                                                          \
        }

ALIGNED(aligned_alloc, (size_t align, size_t n), (align, n), n, align)
ALIGNED(memalign, (size_t align, size_t n), (align, n), n, align)
ALIGNED(valloc, (size_t n), (n), n, (size_t)sysconf(_SC_PAGESIZE))
ALIGNED(pvalloc, (size_t n), (n), n, (size_t)sysconf(_SC_PAGESIZE))

/* Not counted: it allocates nothing. */
TR_EXPORT size_t malloc_usable_size(void *p)
{
        if (p && tr_is_boot(p))
                return tr_boot_size(p);
        if (tr_unlikely(!tr_real.malloc_usable_size))
                tr_resolve();
        return tr_real.malloc_usable_size ? tr_real.malloc_usable_size(p) : 0;
}

/* ---- the program's handles ------------------------------------------------------ */

TR_EXPORT void allocbench_trace_round(void)
{
        if (tr_state != 2)
                tr_init_lazy();
        if (g_tr.on)
                tr_round_end();
}

TR_EXPORT void allocbench_trace_phase(const char *name)
{
        if (tr_state != 2)
                tr_init_lazy();
        if (g_tr.on)
                tr_phase_set(name);
}

TR_EXPORT int allocbench_trace_capture(void *pcs, int max, int unwind)
{
        int n;
        if (max > TR_DEPTH_MAX)
                max = TR_DEPTH_MAX;
        if (tr_state != 2)
                tr_init_lazy();
        if (!tr_tls.t)
                tr_thread_slow();
        if (!tr_tls.t->bounds_done)
                tr_thread_bounds(tr_tls.t);
        tr_tls.guard++;
        n = tr_capture_raw(FP(), pcs, max, unwind);
        tr_tls.guard--;
        return n;
}
