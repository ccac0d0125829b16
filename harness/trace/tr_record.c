/*
 * tr_record.c - the record file (arec.h): every allocation event of the
 * process, in order per thread, for the replay kernel. On when
 * ALLOCBENCH_TRACE_RECORD names a file (%p: the pid); recording traces
 * every allocation (no sampling).
 *
 * Each thread encodes its events into a buffer of its own (mapped for it,
 * never malloc'd), with no lock and no atomic instruction; a full buffer is
 * written to the file as one EVTS chunk under the record lock, with the
 * raw write system call. A round end (under g_tr.lock) writes a ROUN chunk
 * with every recorded thread's event count so far; the process's end
 * flushes every buffer and writes END. A block's id (its thread and index,
 * what a free names) rides in the side table beside its site and size.
 *
 * A fork child records nothing (its allocations would need a process of
 * their own to replay); threads still allocating while the process exits
 * may lose their last events.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arec.h"
#include "tr_hook.h"

#define RECBUF (64u << 10)

struct tr_rec {
        uint32_t len, idx;
        uint64_t events;
        struct ab_arec_state st;
        uint8_t buf[RECBUF];
};

static struct {
        struct tr_lock lock;
        int fd;
        uint32_t nthreads;
        struct tr_rec *threads[AB_AREC_MAX_THREADS];
        bool full; /* more threads than the format holds: the rest unrecorded */
} rec = {.fd = -1};

bool tr_recording;

static void raw_write(const uint8_t *p, size_t n)
{
        while (n && rec.fd >= 0) {
                long w = syscall(SYS_write, rec.fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        rec.fd = -1; /* the disk is full or gone: stop, do not retry */
                        return;
                }
                p += w;
                n -= (size_t)w;
        }
}

static void chunk(uint32_t tag, uint32_t thread, const uint8_t *p, uint32_t len)
{
        uint8_t h[AB_AREC_CHUNK];
        ab_put_le(h, tag, 4);
        ab_put_le(h + 4, thread, 4);
        ab_put_le(h + 8, len, 4);
        raw_write(h, sizeof h);
        raw_write(p, len);
}

void tr_rec_open(const char *pattern)
{
        char path[4096];
        uint8_t h[AB_AREC_HEADER] = {0};
        size_t n = 0;
        for (const char *s = pattern; *s && n + 12 < sizeof path; s++) {
                if (s[0] == '%' && s[1] == 'p') {
                        n += (size_t)snprintf(path + n, sizeof path - n, "%d", (int)getpid());
                        s++;
                } else {
                        path[n++] = *s;
                }
        }
        path[n] = '\0';
        rec.fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                              0644);
        if (rec.fd < 0)
                return;
        memcpy(h, AB_AREC_MAGIC, 8);
        ab_put_le(h + 8, AB_AREC_VERSION, 2);
        ab_put_le(h + 10, AB_AREC_HEADER, 2);
        ab_put_le(h + 16, (uint64_t)getpid(), 4);
        ab_put_le(h + 20, (uint64_t)sysconf(_SC_PAGESIZE), 4);
        ab_put_le(h + 24, tr_real_ns(), 8);
        raw_write(h, sizeof h);
        tr_recording = rec.fd >= 0;
}

/* This thread's recorder, made at its first event; NULL past the limit. */
static struct tr_rec *mine(void)
{
        struct tr_rec *r;
        if (tr_likely(tr_tls.rec))
                return tr_tls.rec;
        tr_lock(&rec.lock);
        if (rec.nthreads < AB_AREC_MAX_THREADS && (r = tr_map(sizeof *r))) {
                r->idx = rec.nthreads;
                rec.threads[rec.nthreads++] = r;
                tr_tls.rec = r;
        } else {
                rec.full = true;
        }
        tr_unlock(&rec.lock);
        return tr_tls.rec;
}

static void flush(struct tr_rec *r)
{
        if (!r->len)
                return;
        tr_lock(&rec.lock);
        chunk(AB_AT_EVTS, r->idx, r->buf, r->len);
        tr_unlock(&rec.lock);
        r->len = 0;
}

/* Room for one more event. */
static inline uint8_t *room(struct tr_rec *r)
{
        if (tr_unlikely(r->len > RECBUF - AB_AREC_EVENT_MAX))
                flush(r);
        return r->buf + r->len;
}

static inline uint64_t block_id(const struct tr_rec *r, uint64_t index)
{
        return (uint64_t)(r->idx + 1) << 40 | index;
}

uint64_t tr_rec_alloc(uint64_t size, uint32_t site)
{
        struct tr_rec *r = mine();
        uint64_t old = tr_tls.rec_old;
        struct ab_arec_event e = {.op = tr_tls.rec_op,
                                  .size = size,
                                  .site = site,
                                  .align_log2 = tr_tls.rec_align_log2,
                                  .old_null = !old,
                                  .thread = old ? (uint32_t)((old >> 40) - 1) : 0,
                                  .block = old & ((1ull << 40) - 1)};
        tr_tls.rec_op = AB_AO_MALLOC;
        tr_tls.rec_old = 0;
        if (!r)
                return 0;
        r->len += (uint32_t)ab_arec_encode_alloc(room(r), &r->st, r->idx, &e);
        r->events++;
        return block_id(r, r->st.blocks - 1);
}

void tr_rec_free(uint64_t id)
{
        struct tr_rec *r = mine();
        if (!r || !id)
                return;
        r->len += (uint32_t)ab_arec_encode_free(room(r), &r->st, r->idx, (uint32_t)((id >> 40) - 1),
                                               id & ((1ull << 40) - 1));
        r->events++;
}

/* A round ended (g_tr.lock held), with `live` bytes the tracer counted:
 * every recorded thread's events so far. */
void tr_rec_round(uint32_t round, uint64_t live)
{
        uint8_t b[32 + AB_AREC_MAX_THREADS * 10];
        size_t n = 0;
        if (!tr_recording)
                return;
        tr_lock(&rec.lock);
        n += ab_put_varint(b + n, round);
        n += ab_put_varint(b + n, live);
        n += ab_put_varint(b + n, rec.nthreads);
        for (uint32_t i = 0; i < rec.nthreads; i++)
                n += ab_put_varint(b + n, __atomic_load_n(&rec.threads[i]->events,
                                                              __ATOMIC_RELAXED));
        chunk(AB_AT_ROUN, 0, b, (uint32_t)n);
        tr_unlock(&rec.lock);
}

/* A thread leaves: its events go to the file now. */
void tr_rec_thread_gone(void)
{
        if (tr_recording && tr_tls.rec)
                flush(tr_tls.rec);
}

/* The process ends: every buffer, then END. */
void tr_rec_close(void)
{
        static uint8_t b[32 + AB_AREC_MAX_THREADS * 20]; /* under the lock below */
        size_t n = 0;
        uint64_t events = 0;
        if (!tr_recording || getpid() != g_tr.pid)
                return;
        tr_recording = false;
        for (uint32_t i = 0; i < rec.nthreads; i++) {
                flush(rec.threads[i]);
                events += rec.threads[i]->events;
        }
        tr_lock(&rec.lock);
        n += ab_put_varint(b + n, events);
        n += ab_put_varint(b + n, rec.nthreads);
        n += ab_put_varint(b + n, g_tr.nrounds);
        n += ab_put_varint(b + n, rec.full);
        for (uint32_t i = 0; i < rec.nthreads; i++) {
                n += ab_put_varint(b + n, rec.threads[i]->events);
                n += ab_put_varint(b + n, rec.threads[i]->st.blocks);
        }
        chunk(AB_AT_END, 0, b, (uint32_t)n);
        if (rec.fd >= 0)
                syscall(SYS_close, rec.fd);
        rec.fd = -1;
        tr_unlock(&rec.lock);
}

/* A fork child records nothing: the parent's file is not its to write. */
void tr_rec_fork_child(void)
{
        if (!tr_recording)
                return;
        tr_recording = false;
        if (rec.fd >= 0)
                syscall(SYS_close, rec.fd);
        rec.fd = -1;
}
