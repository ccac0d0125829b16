/*
 * tr_count.c - threads, counters, rounds, the helper thread and fork.
 *
 * Each thread counts into its own array (struct tr_thread.ctr, indexed by
 * site id, mmap'd and grown by mremap under g_tr.lock). Nothing on the hot
 * path is shared between threads but the side-table shard of the block.
 * A round end (allocbench_trace_round, the round signal, the round timer)
 * sums every thread's array and the accumulator of exited threads, under
 * g_tr.lock, and appends the differences since the previous round end to
 * the encoded ROUNDS body. A thread that exits folds its counters into the
 * accumulator from its pthread_key destructor and is recycled.
 *
 * Round ends never run in a signal handler: the handler writes one byte to
 * a pipe and the helper thread (started only when a round signal or timer
 * is configured) does the work.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "tr_hook.h"

static pthread_key_t exit_key;
static bool have_key;
static struct tr_thread dead_thread = {.dead = true};
static bool helper_running;

static void thread_gone(void *arg);

void tr_count_init(void)
{
        have_key = pthread_key_create(&exit_key, thread_gone) == 0;
        g_tr.wake_fd[0] = g_tr.wake_fd[1] = -1;
}

static int grow_ctr(struct tr_ctr **arr, uint32_t *cap, uint32_t need)
{
        uint32_t ncap = *cap ? *cap : 64;
        struct tr_ctr *p;
        while (ncap <= need)
                ncap *= 2;
        p = tr_remap(*arr, (size_t)*cap * sizeof **arr, (size_t)ncap * sizeof **arr);
        if (!p)
                return -ENOMEM;
        *arr = p;
        *cap = ncap;
        return 0;
}

struct tr_thread *tr_thread_slow(void)
{
        struct tr_thread *t;
        uint64_t x;

        tr_lock(&g_tr.lock);
        t = g_tr.free_threads;
        if (t) {
                g_tr.free_threads = t->next;
                memset(t->ctr, 0, (size_t)t->ncap * sizeof *t->ctr);
                memset(t->self, 0, sizeof t->self);
                memset(t->icache, 0, sizeof t->icache);
        } else {
                t = tr_map(sizeof *t);
        }
        if (!t) {
                tr_unlock(&g_tr.lock);
                tr_tls.t = &dead_thread;
                return &dead_thread;
        }
        t->index = g_tr.nthreads_seen++;
        t->tab = NULL; /* adopted or made at the first traced block */
        t->stack_lo = t->stack_hi = 0;
        t->bounds_done = false;
        t->dead = false;
        t->prev = NULL;
        t->next = g_tr.threads;
        if (t->next)
                t->next->prev = t;
        g_tr.threads = t;
        tr_unlock(&g_tr.lock);
        tr_self_add(TR_SELF_THREADS, 1);

        /* Deterministic per-thread stream: the n-th thread to allocate
         * always samples the same way. */
        x = 0x5eed0000ull + t->index;
        t->rng = x * 0x9e3779b97f4a7c15ull | 1;
        tr_tls.t = t;
        tr_sample_start(t);
        if (have_key)
                pthread_setspecific(exit_key, t);
        return t;
}

void tr_thread_bounds(struct tr_thread *t)
{
        pthread_attr_t a;
        void *addr;
        size_t size;

        t->bounds_done = true;
        /* For the main thread this parses /proc/self/maps (it allocates:
         * the caller holds the guard, so that passes through untraced). */
        if (pthread_getattr_np(pthread_self(), &a) != 0)
                return;
        if (pthread_attr_getstack(&a, &addr, &size) == 0) {
                t->stack_lo = (uintptr_t)addr;
                t->stack_hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&a);
}

struct tr_ctr *tr_ctr_slow(struct tr_thread *t, uint32_t site)
{
        if (!t->dead) {
                int r;
                tr_lock(&g_tr.lock);
                r = grow_ctr(&t->ctr, &t->ncap, site);
                tr_unlock(&g_tr.lock);
                if (r == 0)
                        return &t->ctr[site];
        }
        tr_lock(&g_tr.lock);
        if (site >= g_tr.acc_cap && grow_ctr(&g_tr.acc, &g_tr.acc_cap, site) < 0)
                site = 0; /* the accumulator's site 0 always exists once used */
        if (!g_tr.acc) {
                tr_unlock(&g_tr.lock);
                /* nowhere to count: a private scratch entry, dropped */
                static __thread struct tr_ctr lost __attribute__((tls_model("initial-exec")));
                return &lost;
        }
        tr_tls.acc_locked = 1;
        return &g_tr.acc[site];
}

void tr_ctr_unlock(void)
{
        tr_tls.acc_locked = 0;
        tr_unlock(&g_tr.lock);
}

/* Adds c's cumulative counters into acc (peak rises only for the open
 * epoch: older ones were already used by a round end). */
static void fold(struct tr_ctr *acc, const struct tr_ctr *c, uint64_t epoch)
{
        for (int f = 0; f < AB_TD_NFIELDS; f++)
                if (f != TR_PEAK_RISE)
                        acc->v[f] += c->v[f];
        if (c->peak_epoch == epoch) {
                if (acc->peak_epoch != epoch) {
                        acc->peak_epoch = epoch;
                        acc->v[TR_PEAK_RISE] = 0;
                }
                acc->v[TR_PEAK_RISE] += c->v[TR_PEAK_RISE];
        }
}

static void thread_gone(void *arg)
{
        struct tr_thread *t = arg;
        tr_tls.guard++;
        tr_lock(&g_tr.lock);
        if (t->ncap &&
            (g_tr.acc_cap >= t->ncap || grow_ctr(&g_tr.acc, &g_tr.acc_cap, t->ncap - 1) == 0))
                for (uint32_t s = 0; s < t->ncap; s++)
                        fold(&g_tr.acc[s], &t->ctr[s], g_tr.epoch);
        for (int k = 0; k < TR_SELF_N; k++)
                __atomic_fetch_add(&g_tr.self[k], t->self[k], __ATOMIC_RELAXED);
        tr_table_orphan(t->tab);
        t->tab = NULL;
        tr_rec_thread_gone();
        if (t->prev)
                t->prev->next = t->next;
        else
                g_tr.threads = t->next;
        if (t->next)
                t->next->prev = t->prev;
        t->next = g_tr.free_threads;
        g_tr.free_threads = t;
        tr_unlock(&g_tr.lock);
        /* Whatever this thread frees from now on (later destructors) is
         * counted on the accumulator, under the lock. */
        tr_tls.t = &dead_thread;
        tr_tls.guard--;
}

/* Sums of every thread's and the accumulator's counters for site s, with
 * the peak rises of the epoch `epoch` in v[TR_PEAK_RISE]. */
static void sum_site(uint32_t s, uint64_t epoch, struct tr_ctr *out)
{
        memset(out, 0, sizeof *out);
        if (s < g_tr.acc_cap)
                fold(out, &g_tr.acc[s], epoch);
        for (struct tr_thread *t = g_tr.threads; t; t = t->next) {
                struct tr_ctr c;
                if (s >= t->ncap)
                        continue;
                for (int f = 0; f < AB_TD_NFIELDS; f++)
                        c.v[f] = __atomic_load_n(&t->ctr[s].v[f], __ATOMIC_RELAXED);
                c.peak_epoch = __atomic_load_n(&t->ctr[s].peak_epoch, __ATOMIC_RELAXED);
                fold(out, &c, epoch);
        }
        if (out->peak_epoch != epoch)
                out->v[TR_PEAK_RISE] = 0;
}

static int grow_ss(uint32_t need)
{
        uint32_t ncap = g_tr.ss_cap ? g_tr.ss_cap : 64;
        struct tr_sitestate *p;
        if (need < g_tr.ss_cap)
                return 0;
        while (ncap <= need)
                ncap *= 2;
        p = tr_remap(g_tr.ss, (size_t)g_tr.ss_cap * sizeof *p, (size_t)ncap * sizeof *p);
        if (!p)
                return -ENOMEM;
        g_tr.ss = p;
        g_tr.ss_cap = ncap;
        return 0;
}

static int64_t live_of(const uint64_t *v)
{
        return (int64_t)(v[AB_TD_BYTES_ALLOC] - v[AB_TD_BYTES_FREED]);
}

/* The peak of site s within the epoch just summed into cur. */
static int64_t round_peak(const struct tr_sitestate *st, const struct tr_ctr *cur)
{
        int64_t before = live_of(st->prev), now = live_of(cur->v);
        int64_t p = before + (int64_t)cur->v[TR_PEAK_RISE];
        if (p < before)
                p = before;
        return p < now ? now : p;
}

static void put_record(struct tr_buf *b, uint32_t gap, const uint64_t *v, bool repeat)
{
        uint32_t mask = 0;
        tr_buf_varint(b, gap);
        if (repeat) {
                tr_buf_varint(b, AB_TD_REPEAT);
                return;
        }
        for (int f = 0; f < AB_TD_NFIELDS; f++)
                if (v[f])
                        mask |= 1u << f;
        tr_buf_varint(b, mask);
        for (int f = 0; f < AB_TD_NFIELDS; f++)
                if (v[f])
                        tr_buf_varint(b, v[f]);
}

/* Appends one round to g_tr.rounds. Called with g_tr.lock held. */
static void round_locked(void)
{
        uint64_t closing = g_tr.epoch;
        uint32_t nsites = tr_site_count(), nrec = 0, prev_site = 0;
        struct tr_buf *sc = &g_tr.scratch;
        int64_t live = 0;

        if (g_tr.nrounds >= TR_MAX_ROUNDS) {
                tr_self_add(TR_SELF_ROUNDS_DROPPED, 1);
                return;
        }
        if (grow_ss(nsites) < 0) {
                g_tr.rounds.failed = true;
                return;
        }
        __atomic_store_n(&g_tr.epoch, closing + 1, __ATOMIC_RELAXED);
        sc->len = 0;
        for (uint32_t s = 0; s < nsites; s++) {
                struct tr_sitestate *st = &g_tr.ss[s];
                struct tr_ctr cur;
                uint64_t d[AB_TD_NFIELDS];
                int64_t peak;
                bool any = false;

                sum_site(s, closing, &cur);
                live += live_of(cur.v);
                peak = round_peak(st, &cur);
                for (int f = 0; f < AB_TD_NFIELDS; f++) {
                        d[f] = f == TR_PEAK_RISE ? (uint64_t)(peak - live_of(cur.v))
                                                 : cur.v[f] - st->prev[f];
                        any |= d[f] != 0;
                }
                if (peak > st->peak)
                        st->peak = peak;
                if (!any)
                        continue;
                put_record(sc, s - prev_site - (nrec ? 1 : 0), d,
                           st->has_last && memcmp(st->last, d, sizeof d) == 0);
                memcpy(st->last, d, sizeof d);
                st->has_last = true;
                for (int f = 0; f < AB_TD_NFIELDS; f++)
                        if (f != TR_PEAK_RISE)
                                st->prev[f] = cur.v[f];
                prev_site = s;
                nrec++;
        }
        tr_buf_varint(&g_tr.rounds, (tr_now_ns() - g_tr.start_ns) / 1000);
        tr_buf_varint(&g_tr.rounds, g_tr.cur_phase);
        tr_buf_varint(&g_tr.rounds, nrec);
        tr_buf_put(&g_tr.rounds, sc->p, sc->len);
        tr_rec_round(g_tr.nrounds, live > 0 ? (uint64_t)live : 0);
        g_tr.nrounds++;
}

void tr_round_end(void)
{
        tr_tls.guard++;
        tr_lock(&g_tr.lock);
        round_locked();
        /* A process that ends in _exit or a crash keeps what the last
         * snapshot held: rewrite the dump at most every flush_ms. */
        if (g_tr.flush_ms && tr_now_ns() - g_tr.last_write_ns >= g_tr.flush_ms * 1000000u)
                tr_dump_write_locked(false);
        tr_unlock(&g_tr.lock);
        tr_tls.guard--;
}

/* Final sums for the dump: cumulative counters with peak_over holding the
 * peak live bytes. Called with g_tr.lock held. */
int tr_totals(struct tr_buf *b, uint32_t nsites)
{
        uint32_t nrec = 0, prev_site = 0;
        if (grow_ss(nsites) < 0)
                return -ENOMEM;
        for (uint32_t s = 0; s < nsites; s++) {
                struct tr_ctr cur;
                int64_t peak;
                bool any = false;
                sum_site(s, g_tr.epoch, &cur);
                peak = round_peak(&g_tr.ss[s], &cur);
                if (peak < g_tr.ss[s].peak)
                        peak = g_tr.ss[s].peak;
                cur.v[TR_PEAK_RISE] = peak > 0 ? (uint64_t)peak : 0;
                for (int f = 0; f < AB_TD_NFIELDS; f++)
                        any |= cur.v[f] != 0;
                if (!any)
                        continue;
                put_record(b, s - prev_site - (nrec ? 1 : 0), cur.v, false);
                prev_site = s;
                nrec++;
        }
        return (int)nrec;
}

/* The tracer's own figure k over all threads (g_tr.lock held). */
uint64_t tr_self_sum(int k)
{
        uint64_t v = __atomic_load_n(&g_tr.self[k], __ATOMIC_RELAXED);
        for (struct tr_thread *t = g_tr.threads; t; t = t->next)
                v += __atomic_load_n(&t->self[k], __ATOMIC_RELAXED);
        return v;
}

void tr_phase_set(const char *name)
{
        size_t n = 0;
        tr_tls.guard++;
        while (name && name[n] && n < AB_TD_NAME_MAX)
                n++;
        tr_lock(&g_tr.lock);
        tr_buf_varint(&g_tr.phases, g_tr.nrounds);
        tr_buf_varint(&g_tr.phases, n);
        tr_buf_put(&g_tr.phases, name, n);
        g_tr.cur_phase = ++g_tr.nphases;
        tr_unlock(&g_tr.lock);
        tr_tls.guard--;
}

/* ---- the helper thread: round ends by signal or timer ------------------- */

static void on_signal(int sig)
{
        int e = errno;
        char c = 1;
        (void)sig;
        if (write(g_tr.wake_fd[1], &c, 1) < 0) {
                /* a full pipe already holds a wake-up */
        }
        errno = e;
}

/* Round ends from the harness: one per byte on round_fd (it knows when
 * a round of a program the tracer cannot hear ended: a guest under an
 * emulator, a time window). Returns how many, -1 at its end. */
static int harness_rounds(void)
{
        char buf[64];
        ssize_t n = read(g_tr.round_fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        return n > 0 ? (int)n : -1;
}

static void *helper(void *arg)
{
        (void)arg;
        tr_tls.guard = 1; /* nothing this thread does is the program's */
        for (;;) {
                struct pollfd pfd[2] = {{.fd = g_tr.wake_fd[0], .events = POLLIN},
                                        {.fd = g_tr.round_fd, .events = POLLIN}};
                int timeout = g_tr.round_ms ? (int)g_tr.round_ms : -1;
                int r = poll(pfd, 2, timeout), ends = 1;
                if (r > 0) {
                        char buf[64];
                        ends = 0;
                        if (pfd[0].revents)
                                while (read(g_tr.wake_fd[0], buf, sizeof buf) > 0)
                                        ends = 1;
                        if (pfd[1].revents) {
                                int k = harness_rounds();
                                if (k < 0)
                                        g_tr.round_fd = -1; /* the harness is gone */
                                else
                                        ends += k;
                        }
                } else if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return NULL;
                }
                while (ends-- > 0)
                        tr_round_end();
        }
        return NULL;
}

void tr_helper_start(void)
{
        pthread_t th;
        sigset_t all, old;

        g_tr.helper_pending = false;
        if (helper_running || (!g_tr.round_ms && !g_tr.round_signal && g_tr.round_fd < 0))
                return;
        if (g_tr.round_signal && g_tr.wake_fd[0] < 0) {
                struct sigaction sa;
                if (pipe2(g_tr.wake_fd, O_CLOEXEC | O_NONBLOCK) != 0)
                        return;
                memset(&sa, 0, sizeof sa);
                sa.sa_handler = on_signal;
                sa.sa_flags = SA_RESTART;
                sigemptyset(&sa.sa_mask);
                sigaction(g_tr.round_signal, &sa, NULL);
        }
        /* The helper blocks every signal: the program's handlers run in
         * the program's threads, and the round signal reaches a thread of
         * the program, whose handler wakes the helper through the pipe. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        helper_running = pthread_create(&th, NULL, helper, NULL) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (helper_running)
                pthread_detach(th);
}

/* ---- fork ------------------------------------------------------------------ */

void tr_fork_prepare(void)
{
        tr_tls.guard++;
        tr_lock(&g_tr.lock);
        tr_sites_lock();
        tr_modules_lock();
        tr_table_lock_all();
}

void tr_fork_parent(void)
{
        tr_table_unlock_all();
        tr_modules_unlock();
        tr_sites_unlock();
        tr_unlock(&g_tr.lock);
        tr_tls.guard--;
}

/* The child starts a dump of its own: its counters begin at zero, the
 * parent's live blocks are forgotten, the sites (and their ids) are kept. */
void tr_fork_child(void)
{
        struct tr_thread *self = tr_tls.t, *t, *next;

        for (t = g_tr.threads; t; t = next) {
                next = t->next;
                if (t == self)
                        continue;
                tr_unmap(t->ctr, (size_t)t->ncap * sizeof *t->ctr);
                tr_unmap(t, sizeof *t);
        }
        g_tr.threads = NULL;
        if (self && !self->dead) {
                memset(self->ctr, 0, (size_t)self->ncap * sizeof *self->ctr);
                memset(self->self, 0, sizeof self->self);
                self->next = self->prev = NULL;
                g_tr.threads = self;
        }
        if (g_tr.acc)
                memset(g_tr.acc, 0, (size_t)g_tr.acc_cap * sizeof *g_tr.acc);
        if (g_tr.ss)
                memset(g_tr.ss, 0, (size_t)g_tr.ss_cap * sizeof *g_tr.ss);
        g_tr.rounds.len = 0;
        g_tr.rounds.failed = false;
        g_tr.nrounds = 0;
        /* the harness's round ends are the parent's (one pipe, one reader) */
        g_tr.round_fd = -1;
        g_tr.phases.len = 0;
        g_tr.phases.failed = false;
        tr_rec_fork_child();
        g_tr.nphases = 0;
        g_tr.cur_phase = 0;
        for (int i = 0; i < TR_SELF_N; i++)
                g_tr.self[i] = 0;
        g_tr.self[TR_SELF_THREADS] = 1;
        g_tr.ppid = g_tr.pid;
        g_tr.pid = getpid();
        g_tr.forked = true;
        g_tr.start_ns = tr_now_ns();
        g_tr.last_write_ns = g_tr.start_ns;
        g_tr.start_real_ns = tr_real_ns();
        tr_table_reset_child(self && !self->dead ? self->tab : NULL);
        tr_modules_unlock();
        tr_sites_unlock();
        tr_unlock(&g_tr.lock);
        /* Threads do not survive fork; start the helper again later, outside
         * the atfork handlers (the allocator's own may not have run yet). */
        helper_running = false;
        g_tr.helper_pending = g_tr.round_ms || g_tr.round_signal || g_tr.round_fd >= 0;
        tr_tls.guard--;
}
