/*
 * arec_read.c - mapping and checking an allocation record (arec_read.h).
 * Nothing here allocates: the replay kernel opens the record inside the
 * process it measures.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/arec_read.h"

#define FORM "an allocbench allocation record, version 1 (bench run --record)"

static int fail(char *err, size_t len, size_t off, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t len, size_t off, const char *fmt, ...)
{
        char what[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(err, len, "byte %zu: %s (accepted: %s)", off, what, FORM);
        return -EINVAL;
}

struct chunk {
        uint32_t tag, thread, len;
        const uint8_t *p;
};

static void chunk_at(const struct ab_arec *a, size_t off, struct chunk *c)
{
        c->tag = (uint32_t)ab_get_le(a->p + off, 4);
        c->thread = (uint32_t)ab_get_le(a->p + off + 4, 4);
        c->len = (uint32_t)ab_get_le(a->p + off + 8, 4);
        c->p = a->p + off + AB_AREC_CHUNK;
}

/* Decode a ROUN payload: 0, or -1 when malformed. */
static int round_decode(const struct chunk *c, struct ab_arec_round *r)
{
        const uint8_t *p = c->p, *end = c->p + c->len;
        uint64_t n;
        if (ab_get_varint(&p, end, &r->index) || ab_get_varint(&p, end, &r->live) ||
            ab_get_varint(&p, end, &n) || n > AB_AREC_MAX_THREADS)
                return -1;
        r->nthreads = (uint32_t)n;
        for (uint32_t i = 0; i < r->nthreads; i++)
                if (ab_get_varint(&p, end, &r->events[i]))
                        return -1;
        return p == end ? 0 : -1;
}

static int end_decode(struct ab_arec *a, const struct chunk *c)
{
        const uint8_t *p = c->p, *end = c->p + c->len;
        uint64_t n, sum = 0;
        if (ab_get_varint(&p, end, &a->events) || ab_get_varint(&p, end, &n) ||
            n > AB_AREC_MAX_THREADS || ab_get_varint(&p, end, &a->nrounds) ||
            ab_get_varint(&p, end, &a->flags))
                return -1;
        a->nthreads = (uint32_t)n;
        for (uint32_t i = 0; i < a->nthreads; i++) {
                if (ab_get_varint(&p, end, &a->t_events[i]) ||
                    ab_get_varint(&p, end, &a->t_blocks[i]) ||
                    a->t_blocks[i] > a->t_events[i] || a->t_blocks[i] >= 1ull << 40)
                        return -1;
                sum += a->t_events[i];
        }
        return p == end && sum == a->events ? 0 : -1;
}

/* Every chunk after the header, up to and including END. */
static int walk(struct ab_arec *a, char *err, size_t elen, size_t *end_off)
{
        size_t off = AB_AREC_HEADER;
        uint64_t rounds = 0;
        for (;;) {
                struct chunk c;
                if (off == a->len)
                        return fail(err, elen, off,
                                    "the file ends without its END chunk: the recorded process "
                                    "did not finish, or the file was cut");
                if (a->len - off < AB_AREC_CHUNK)
                        return fail(err, elen, off, "a chunk header cut short (%zu of %d bytes)",
                                    a->len - off, AB_AREC_CHUNK);
                chunk_at(a, off, &c);
                if (c.len > a->len - off - AB_AREC_CHUNK)
                        return fail(err, elen, off,
                                    "a chunk of %u bytes runs past the end of the file (%zu "
                                    "bytes): the file was cut",
                                    c.len, a->len);
                a->chunks++;
                if (c.tag == AB_AT_EVTS) {
                        if (c.thread >= AB_AREC_MAX_THREADS || !c.len)
                                return fail(err, elen, off, "an event chunk of thread %u, %u bytes",
                                            c.thread, c.len);
                        if (!a->t_first[c.thread])
                                a->t_first[c.thread] = off;
                } else if (c.tag == AB_AT_ROUN) {
                        static struct ab_arec_round r;
                        if (round_decode(&c, &r) || r.index != rounds)
                                return fail(err, elen, off, "round end %llu is malformed",
                                            (unsigned long long)rounds);
                        if (!rounds)
                                a->first_round = off;
                        rounds++;
                } else if (c.tag == AB_AT_END) {
                        if (end_decode(a, &c))
                                return fail(err, elen, off, "the END chunk is malformed");
                        if (off + AB_AREC_CHUNK + c.len != a->len)
                                return fail(err, elen, off + AB_AREC_CHUNK + c.len,
                                            "%zu bytes after the END chunk",
                                            a->len - off - AB_AREC_CHUNK - c.len);
                        if (rounds != a->nrounds)
                                return fail(err, elen, off,
                                            "END counts %llu rounds, the file holds %llu",
                                            (unsigned long long)a->nrounds,
                                            (unsigned long long)rounds);
                        *end_off = off;
                        return 0;
                } else {
                        return fail(err, elen, off, "an unknown chunk (tag 0x%08x)", c.tag);
                }
                off += AB_AREC_CHUNK + c.len;
        }
}

/* What END says against the chunks: threads and round counts. */
static int cross_check(struct ab_arec *a, char *err, size_t elen)
{
        size_t off = a->first_round;
        static struct ab_arec_round r; /* 6 KiB each: not on the runner's stack */
        static uint64_t prev[AB_AREC_MAX_THREADS];
        memset(prev, 0, sizeof prev);
        for (uint32_t t = a->nthreads; t < AB_AREC_MAX_THREADS; t++)
                if (a->t_first[t])
                        return fail(err, elen, a->t_first[t],
                                    "events of thread %u, but END counts %u threads", t,
                                    a->nthreads);
        for (uint32_t t = 0; t < a->nthreads; t++)
                if (!a->t_first[t] && a->t_events[t])
                        return fail(err, elen, a->len, "thread %u has %llu events and no chunk", t,
                                    (unsigned long long)a->t_events[t]);
        while (ab_arec_round_next(a, &off, &r) == 1) {
                if (r.nthreads > a->nthreads)
                        return fail(err, elen, r.offset, "round %llu names %u threads of %u",
                                    (unsigned long long)r.index, r.nthreads, a->nthreads);
                for (uint32_t t = 0; t < r.nthreads; t++) {
                        if (r.events[t] < prev[t])
                                return fail(err, elen, r.offset,
                                            "round %llu ends before an earlier round of thread %u",
                                            (unsigned long long)r.index, t);
                        prev[t] = r.events[t];
                        if (r.events[t] > a->t_events[t])
                                return fail(err, elen, r.offset,
                                            "round %llu ends after event %llu of thread %u, which "
                                            "has %llu",
                                            (unsigned long long)r.index,
                                            (unsigned long long)r.events[t], t,
                                            (unsigned long long)a->t_events[t]);
                }
        }
        return 0;
}

int ab_arec_parse(struct ab_arec *a, const uint8_t *p, size_t len, char *err, size_t elen)
{
        size_t end_off = 0;
        memset(a, 0, sizeof *a);
        a->p = p;
        a->len = len;
        if (len < AB_AREC_HEADER || memcmp(p, AB_AREC_MAGIC, 8) != 0)
                return fail(err, elen, 0, "no allocation record header");
        a->version = (uint32_t)ab_get_le(p + 8, 2);
        if (a->version != AB_AREC_VERSION || ab_get_le(p + 10, 2) != AB_AREC_HEADER)
                return fail(err, elen, 8, "version %u with a %u-byte header", a->version,
                            (unsigned)ab_get_le(p + 10, 2));
        a->pid = (uint32_t)ab_get_le(p + 16, 4);
        a->page = (uint32_t)ab_get_le(p + 20, 4);
        a->start_ns = ab_get_le(p + 24, 8);
        a->first_round = len;
        if (walk(a, err, elen, &end_off))
                return -EINVAL;
        if (a->first_round == len)
                a->first_round = end_off;
        return cross_check(a, err, elen);
}

int ab_arec_open(struct ab_arec *a, const char *path, char *err, size_t elen)
{
        struct stat st;
        void *m;
        char why[400];
        int fd = open(path, O_RDONLY | O_CLOEXEC), r;
        memset(a, 0, sizeof *a);
        if (fd < 0) {
                r = -errno;
                snprintf(err, elen, "%s: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                snprintf(err, elen, "%s: not a regular file (accepted: %s)", path, FORM);
                return -EINVAL;
        }
        if (st.st_size == 0) {
                close(fd);
                snprintf(err, elen, "%s: empty (accepted: %s)", path, FORM);
                return -EINVAL;
        }
        m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (m == MAP_FAILED) {
                r = -errno;
                snprintf(err, elen, "%s: %s", path, strerror(-r));
                return r;
        }
        r = ab_arec_parse(a, m, (size_t)st.st_size, why, sizeof why);
        a->mapped = true;
        if (r) {
                snprintf(err, elen, "%s: %s", path, why);
                ab_arec_close(a);
        }
        return r;
}

void ab_arec_close(struct ab_arec *a)
{
        if (a->mapped && a->p)
                munmap((void *)a->p, a->len);
        a->p = NULL;
        a->mapped = false;
}

void ab_arec_cursor_init(struct ab_arec_cursor *c, const struct ab_arec *a, uint32_t thread)
{
        memset(c, 0, sizeof *c);
        c->a = a;
        c->thread = thread;
        c->next = a->t_first[thread] ? a->t_first[thread] : a->len;
        c->lo = c->p = c->end = a->p;
        c->at = c->next;
}

int ab_arec_cursor_chunk(struct ab_arec_cursor *c)
{
        const struct ab_arec *a = c->a;
        while (c->next < a->len) {
                struct chunk k;
                chunk_at(a, c->next, &k);
                c->next += AB_AREC_CHUNK + k.len;
                if (k.tag == AB_AT_END)
                        break;
                if (k.tag == AB_AT_EVTS && k.thread == c->thread) {
                        c->lo = c->p = k.p;
                        c->end = k.p + k.len;
                        return 1;
                }
        }
        c->next = a->len;
        c->at = a->len;
        return 0;
}

int ab_arec_round_next(const struct ab_arec *a, size_t *off, struct ab_arec_round *r)
{
        while (*off < a->len) {
                struct chunk k;
                size_t at = *off;
                chunk_at(a, at, &k);
                *off += AB_AREC_CHUNK + k.len;
                if (k.tag == AB_AT_END)
                        break;
                if (k.tag == AB_AT_ROUN && round_decode(&k, r) == 0) {
                        for (uint32_t t = r->nthreads; t < AB_AREC_MAX_THREADS; t++)
                                r->events[t] = 0;
                        r->offset = at;
                        return 1;
                }
        }
        *off = a->len;
        return 0;
}
