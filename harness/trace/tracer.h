/*
 * tracer.h - the inside of libabtrace.so, the preloaded allocation-site
 * tracer. Nothing here is part of bench: bench reads what the tracer writes
 * (dumpfmt.h) through dump.h and sites.h.
 *
 * The tracer never allocates from the allocator it observes. Every byte it
 * keeps comes from tr_map() (anonymous mmap through the raw system call, so
 * its own mappings are not seen by its mmap interposer), and it never
 * changes a block: no header, no size rounding.
 *
 * Threads: every thread that allocates gets a struct tr_thread (mmap'd,
 * reached through one initial-exec TLS pointer) holding its counters per
 * site. Counters are written only by their thread, without atomics; a round
 * end reads all threads' counters under g_tr.lock, which is also what any
 * thread takes to grow its counter array or to leave (thread exit), so the
 * reader never sees an array being moved.
 *
 * Locks: struct tr_lock is a three-state futex mutex (Drepper, "Futexes are
 * tricky"): it yields to the kernel when contended and never spins, so 4
 * threads on 2 cores do not burn each other's time slices.
 */
#ifndef AB_TRACER_H
#define AB_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dumpfmt.h"

#define TR_EXPORT      __attribute__((visibility("default")))
#define TR_HIDDEN      __attribute__((visibility("hidden")))
#define tr_likely(x)   __builtin_expect(!!(x), 1)
#define tr_unlikely(x) __builtin_expect(!!(x), 0)

#define TR_DEPTH_DEFAULT 32
#define TR_DEPTH_MAX     128
#define TR_BIG_DEFAULT   (128u << 10)
#define TR_ZC_MIN        (128u << 10) /* callocs timed and fault-counted from here */
#define TR_MAX_ROUNDS    100000u
#define TR_SITE_BITS     24
#define TR_MAX_SITES     ((1u << TR_SITE_BITS) - 1)
#define TR_SIZE_MAX      ((UINT64_C(1) << 40) - 1)

/* ---- locks ---------------------------------------------------------------- */

struct tr_lock {
        int v; /* 0 free, 1 held, 2 held with waiters */
};

void tr_lock_slow(struct tr_lock *l);
void tr_unlock_wake(struct tr_lock *l);

static inline void tr_lock(struct tr_lock *l)
{
        int z = 0;
        if (!__atomic_compare_exchange_n(&l->v, &z, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
                tr_lock_slow(l);
}

static inline void tr_unlock(struct tr_lock *l)
{
        if (__atomic_exchange_n(&l->v, 0, __ATOMIC_RELEASE) == 2)
                tr_unlock_wake(l);
}

/* ---- memory: anonymous mappings, counted in g_tr.self ---------------------- */

void *tr_map(size_t bytes);
void tr_unmap(void *p, size_t bytes);
/* Grows (or moves) a mapping; NULL on failure with the old one intact. */
void *tr_remap(void *p, size_t old_bytes, size_t new_bytes);

/* A growable byte buffer in mmap'd memory, for encoded rounds and the dump. */
struct tr_buf {
        uint8_t *p;
        size_t len, cap;
        bool failed; /* a grow failed: the content is incomplete */
};

int tr_buf_reserve(struct tr_buf *b, size_t more);
void tr_buf_put(struct tr_buf *b, const void *src, size_t n);
void tr_buf_varint(struct tr_buf *b, uint64_t v);
void tr_buf_free(struct tr_buf *b);

/* ---- per-site counters --------------------------------------------------- */

/* One thread's counters for one site; the fields follow AB_TD_FIELDS with
 * the peak bookkeeping in place of peak_over. All cumulative since the
 * thread (or, for the accumulator, the process) started. */
struct tr_ctr {
        uint64_t v[AB_TD_NFIELDS];
        uint64_t peak_epoch; /* g_tr.epoch when peak_base was taken */
        int64_t peak_base;   /* this thread's own live bytes at that moment */
};

#define TR_PEAK_RISE AB_TD_PEAK_OVER /* v[] slot reused: highest rise this epoch */

enum tr_self {
        TR_SELF_CALLS = 0,
        TR_SELF_UNKNOWN_FREES,
        TR_SELF_SAMPLED,
        TR_SELF_FP_STACKS,
        TR_SELF_UNWIND_STACKS,
        TR_SELF_TRUNCATED,
        TR_SELF_MAP_CALLS,
        TR_SELF_ROUNDS_DROPPED,
        TR_SELF_THREADS,
        TR_SELF_WRITES,
        TR_SELF_NOSITE, /* events attributed to site 0: no stack or no room */
        TR_SELF_N
};

/* What a round end remembers of a site. */
struct tr_sitestate {
        uint64_t prev[AB_TD_NFIELDS]; /* cumulative sums at the last round end */
        uint64_t last[AB_TD_NFIELDS]; /* the values of its last round record */
        int64_t peak;                 /* the highest live bytes seen */
        bool has_last;
};

#define TR_ICACHE 256 /* per-thread cache of interned stacks */

struct tr_thread {
        struct tr_thread *next, *prev; /* registry, under g_tr.lock */
        struct tr_table *tab;          /* side table this thread owns */
        struct tr_ctr *ctr;            /* indexed by site id */
        uint32_t ncap;                 /* sites ctr[] holds */
        uint32_t index;                /* order of registration: seeds the PRNG */
        uintptr_t stack_lo, stack_hi;  /* bounds of this thread's stack, 0 unknown */
        uint64_t rng;                  /* sampling PRNG state */
        bool bounds_done;
        bool dead;                /* the shared stand-in of exited threads */
        uint64_t self[TR_SELF_N]; /* the tracer's own figures, this thread's */
        struct {
                uint64_t hash;
                uint32_t id, depth;
        } icache[TR_ICACHE];
};

struct tr_tls {
        struct tr_thread *t;
        int guard;           /* > 0: inside the tracer or a forwarded call */
        int acc_locked;      /* tr_ctr() handed out the accumulator, locked */
        int64_t sample_left; /* bytes until the next sample point */
        /* the next recorded allocation's kind (arec.h; 0: malloc), its
         * alignment, and a realloc's old block id (0: none) */
        uint8_t rec_op, rec_align_log2;
        uint64_t rec_old;
        /* this thread's record buffer (tr_record.c), or NULL; kept past
         * the thread's exit handler, for the frees of later destructors */
        struct tr_rec *rec;
};

extern __thread struct tr_tls tr_tls __attribute__((tls_model("initial-exec")));

/* ---- global state ------------------------------------------------------------ */

struct tr_global {
        /* read on every event: kept together */
        uint64_t epoch;
        uint64_t sample_bytes; /* 0 = exact */
        uint64_t big_bytes;
        uint64_t force_from;          /* sizes traced even when sampling */
        uintptr_t alloc_lo, alloc_hi; /* text of the allocator under test */
        uint32_t depth;
        bool on;     /* initialised and tracing */
        bool fast;   /* on and sampling: the interposers' fast paths apply */
        bool unwind; /* unw_backtrace available */
        bool helper_pending;

        struct tr_lock lock; /* registry, accumulator, rounds, dump */
        struct tr_thread *threads;
        struct tr_thread *free_threads;
        uint32_t nthreads_seen;
        struct tr_ctr *acc; /* counters of threads that exited */
        uint32_t acc_cap;
        struct tr_sitestate *ss; /* per site, for round ends */
        uint32_t ss_cap;
        struct tr_buf scratch;

        struct tr_buf rounds; /* encoded ROUNDS body, without its count */
        uint32_t nrounds;
        struct tr_buf phases; /* encoded PHASES body, without its count */
        uint32_t nphases;
        uint32_t cur_phase;

        uint64_t start_ns, start_real_ns, last_write_ns;
        uint64_t flush_ms;
        uint64_t round_ms;
        int round_signal;
        int round_fd;   /* a byte read from it ends a round (ALLOCBENCH_TRACE_ROUND_FD); -1 */
        int wake_fd[2]; /* the signal handler writes, the helper thread reads */
        pid_t pid, ppid;
        bool forked;
        char out[4096]; /* ALLOCBENCH_TRACE_OUT pattern */

        uint64_t self[TR_SELF_N]; /* atomics, relaxed */
        uint64_t mapped, mapped_peak;
};

extern struct tr_global g_tr;

/* The tracer's own figures: per thread (no shared cache line on the hot
 * path), folded into g_tr.self when a thread exits. */
static inline void tr_self_add(enum tr_self k, uint64_t n)
{
        struct tr_thread *t = tr_tls.t;
        if (tr_likely(t && !t->dead))
                t->self[k] += n;
        else
                __atomic_fetch_add(&g_tr.self[k], n, __ATOMIC_RELAXED);
}

uint64_t tr_now_ns(void);
uint64_t tr_real_ns(void);

/* ---- the side table: live block -> (site, size) -------------------------- */

struct tr_table;
int tr_table_init(void);
/* The calling thread's own table (an orphan adopted, or a new one). */
struct tr_table *tr_table_new(void);
/* A thread leaves: its table stays searchable until a new thread adopts it. */
void tr_table_orphan(struct tr_table *t);
/* Records p (with its record id, 0 when not recording); on failure (no
 * memory) the block is simply not traced. */
void tr_table_put(uintptr_t p, uint32_t site, uint64_t size, uint64_t id);
/* Removes p and returns true with its site, size and id, or false: never
 * seen. */
bool tr_table_take(uintptr_t p, uint32_t *site, uint64_t *size, uint64_t *id);
void tr_table_lock_all(void);
void tr_table_unlock_all(void);
/* In a fork child: empties every table, keeps `keep` owned, unlocks all. */
void tr_table_reset_child(struct tr_table *keep);
/* Sampling mode: a lock-free filter that answers "certainly not traced"
 * for most frees of unsampled blocks without touching a table: 2^16
 * one-byte counters (64 KiB, so it stays in cache), in .bss so that its
 * address is a constant (untouched, so never resident, when exact). */
#define TR_FILTER_BITS     16
/* Indexed by the address itself (16-byte granules, repeating every MiB): no
 * multiplication on the free path; blocks are 16-byte aligned, so nearby
 * blocks get different counters. */
#define TR_FILTER_INDEX(p) (((uintptr_t)(p) >> 4) & ((1u << TR_FILTER_BITS) - 1))
extern uint8_t tr_filter[1u << TR_FILTER_BITS];

static inline uint64_t tr_hash_ptr(uintptr_t p)
{
        return (uint64_t)p * 0x9e3779b97f4a7c15ull;
}

static inline bool tr_table_maybe(uintptr_t p)
{
        if (!g_tr.sample_bytes)
                return true;
        return __atomic_load_n(&tr_filter[TR_FILTER_INDEX(p)], __ATOMIC_RELAXED) != 0;
}

/* ---- stacks and sites ---------------------------------------------------- */

int tr_stack_init(void);
/* The site of the current call stack; fp is the interposer's frame
 * (__builtin_frame_address(0)), whose caller is the first frame kept. */
uint32_t tr_site_here(void *fp);
uint32_t tr_site_count(void);
/* Site s's stack (valid while the process lives) and flags (AB_TD_STACK_*). */
const uint64_t *tr_site_stack(uint32_t s, uint32_t *depth, uint32_t *flags);
void tr_sites_lock(void);
void tr_sites_unlock(void);
/* Captures up to max return addresses: the frame-pointer walk when
 * unwind == 0, unw_backtrace when 1. For the capture micro-benchmark. */
int tr_capture_raw(void *fp, uint64_t *pcs, int max, int unwind);

/* Module map (dl_iterate_phdr), for validating return addresses and for
 * the dump. The code ranges are published by pointer and read lock-free. */
struct tr_range {
        uintptr_t lo, hi;
};

struct tr_ranges {
        size_t n, cap;
        uintptr_t libc_lo, libc_hi; /* text of libc.so.6: where full stacks end */
        uintptr_t self_lo, self_hi; /* text of libabtrace.so */
        struct tr_range r[];
};

extern struct tr_ranges *tr_cur_ranges;

int tr_modules_refresh(bool force);

/* pc lies in a code range; hint[0..1] remember the last two ranges hit (a
 * stack mostly alternates between the program and libc). */
static inline bool tr_ranges_has(const struct tr_ranges *rs, uintptr_t pc, size_t *hint)
{
        size_t lo = 0, hi = rs->n;
        if (tr_likely(hint[0] < rs->n && pc >= rs->r[hint[0]].lo && pc < rs->r[hint[0]].hi))
                return true;
        if (hint[1] < rs->n && pc >= rs->r[hint[1]].lo && pc < rs->r[hint[1]].hi) {
                size_t x = hint[0];
                hint[0] = hint[1];
                hint[1] = x;
                return true;
        }
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (pc < rs->r[mid].lo)
                        hi = mid;
                else if (pc >= rs->r[mid].hi)
                        lo = mid + 1;
                else {
                        hint[1] = hint[0];
                        hint[0] = mid;
                        return true;
                }
        }
        return false;
}

bool tr_text_has(uintptr_t pc);
bool tr_text_self(uintptr_t pc); /* in libabtrace.so */
void tr_modules_lock(void);
void tr_modules_unlock(void);
/* Appends the MODULES body and returns the module count (module lock held). */
size_t tr_modules_encode(struct tr_buf *b);

/* ---- counting, rounds, output -------------------------------------------- */

struct tr_thread *tr_thread_slow(void);
void tr_thread_bounds(struct tr_thread *t);
struct tr_ctr *tr_ctr_slow(struct tr_thread *t, uint32_t site);

/* This thread's counters for a site. When the thread has passed its exit
 * destructor or its array cannot grow, the shared accumulator's entry is
 * returned with g_tr.lock held: tr_ctr_done() releases it. */
static inline struct tr_ctr *tr_ctr(uint32_t site)
{
        struct tr_thread *t = tr_tls.t;
        if (tr_likely(site < t->ncap))
                return &t->ctr[site];
        return tr_ctr_slow(t, site);
}

void tr_ctr_unlock(void);

static inline void tr_ctr_done(void)
{
        if (tr_unlikely(tr_tls.acc_locked))
                tr_ctr_unlock();
}

/* Counter updates: only the owning thread writes, a round end reads from
 * another thread, so stores are relaxed atomics (plain moves on x86-64). */
#define TR_SET(x, val) __atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

/* Peak bookkeeping: peak_base is this thread's own live bytes of the site
 * when it first touched the site in the current epoch (round), v[PEAK_OVER]
 * the highest rise above it since. A round end adds the rises of all
 * threads to the live bytes of the previous round end: exact when one
 * thread allocates and frees a site's blocks, an upper bound otherwise. */
static inline void tr_peak_open(struct tr_ctr *c)
{
        uint64_t ep = __atomic_load_n(&g_tr.epoch, __ATOMIC_RELAXED);
        if (tr_unlikely(c->peak_epoch != ep)) {
                TR_SET(c->v[TR_PEAK_RISE], 0);
                TR_SET(c->peak_base, (int64_t)(c->v[AB_TD_BYTES_ALLOC] - c->v[AB_TD_BYTES_FREED]));
                TR_SET(c->peak_epoch, ep);
        }
}

static inline void tr_count_alloc(struct tr_ctr *c, uint64_t n, uint64_t bytes)
{
        int64_t rise;
        tr_peak_open(c);
        TR_SET(c->v[AB_TD_ALLOCS], c->v[AB_TD_ALLOCS] + n);
        TR_SET(c->v[AB_TD_BYTES_ALLOC], c->v[AB_TD_BYTES_ALLOC] + bytes);
        rise = (int64_t)(c->v[AB_TD_BYTES_ALLOC] - c->v[AB_TD_BYTES_FREED]) - c->peak_base;
        if (rise > (int64_t)c->v[TR_PEAK_RISE])
                TR_SET(c->v[TR_PEAK_RISE], (uint64_t)rise);
}

static inline void tr_count_free(struct tr_ctr *c, uint64_t n, uint64_t bytes)
{
        tr_peak_open(c);
        TR_SET(c->v[AB_TD_FREES], c->v[AB_TD_FREES] + n);
        TR_SET(c->v[AB_TD_BYTES_FREED], c->v[AB_TD_BYTES_FREED] + bytes);
}

static inline void tr_count_add(struct tr_ctr *c, int field, uint64_t n)
{
        TR_SET(c->v[field], c->v[field] + n);
}

/* tr_record.c: the record file (arec.h), when ALLOCBENCH_TRACE_RECORD
 * names one. tr_rec_alloc returns the new block's id. */
extern bool tr_recording;
struct tr_rec;
void tr_rec_open(const char *pattern);
uint64_t tr_rec_alloc(uint64_t size, uint32_t site);
void tr_rec_free(uint64_t id);
void tr_rec_round(uint32_t round, uint64_t live);
void tr_rec_thread_gone(void);
/* The next recorded allocation is an aligned one. */
static inline void tr_rec_aligned(size_t align)
{
        tr_tls.rec_op = 2; /* AB_AO_MEMALIGN */
        tr_tls.rec_align_log2 = (uint8_t)(align ? __builtin_ctzll(align) : 0);
}
void tr_rec_close(void);
void tr_rec_fork_child(void);

void tr_count_init(void);
void tr_round_end(void);
void tr_phase_set(const char *name);
void tr_helper_start(void);
void tr_fork_prepare(void);
void tr_fork_parent(void);
void tr_fork_child(void);
/* Writes the dump: final at exit (true) or a best-effort snapshot taken at
 * a round end. The _locked form is called with g_tr.lock held. */
void tr_dump_write(bool final);
void tr_dump_write_locked(bool final);
/* Appends the TOTALS body of sites 0..nsites-1 (the count the STACKS
 * section was written with), returns its record count (g_tr.lock held). */
int tr_totals(struct tr_buf *b, uint32_t nsites);
uint64_t tr_self_sum(int k); /* g_tr.lock held */

#endif
