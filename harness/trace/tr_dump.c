/*
 * tr_dump.c - writes the dump (dumpfmt.h) of this process.
 *
 * The file is built in an mmap'd buffer and written with write(2) to
 * PATH.tmp.PID, then renamed over PATH, so a reader never sees half a dump.
 * PATH is ALLOCBENCH_TRACE_OUT with every %p replaced by the pid; a fork
 * child whose pattern has no %p appends ".PID", so it never overwrites its
 * parent's file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tracer.h"

static struct tr_buf out;

static size_t section_open(struct tr_buf *b, uint32_t tag)
{
        uint8_t h[AB_TD_SECTION_HDR];
        size_t at = b->len;
        memset(h, 0, sizeof h);
        ab_td_put_le(h, tag, 4);
        tr_buf_put(b, h, sizeof h);
        return at;
}

static void section_close(struct tr_buf *b, size_t at, uint64_t count)
{
        if (b->failed)
                return;
        ab_td_put_le(b->p + at + 4, count, 4);
        ab_td_put_le(b->p + at + 8, b->len - at - AB_TD_SECTION_HDR, 8);
}

static void encode_stacks(struct tr_buf *b, uint32_t n)
{
        size_t at = section_open(b, AB_TD_STACKS);
        for (uint32_t id = 0; id < n; id++) {
                uint32_t depth, flags;
                const uint64_t *pcs = tr_site_stack(id, &depth, &flags);
                tr_buf_varint(b, depth);
                tr_buf_varint(b, flags);
                for (uint32_t i = 0; i < depth; i++)
                        tr_buf_varint(b, i ? ab_td_zigzag((int64_t)(pcs[i] - pcs[i - 1])) : pcs[0]);
        }
        section_close(b, at, n);
}

static void encode_self(struct tr_buf *b)
{
        static const struct {
                int key, idx;
        } map[] = {
            {AB_TD_SELF_CALLS, TR_SELF_CALLS},
            {AB_TD_SELF_UNKNOWN_FREES, TR_SELF_UNKNOWN_FREES},
            {AB_TD_SELF_SAMPLED, TR_SELF_SAMPLED},
            {AB_TD_SELF_FP_STACKS, TR_SELF_FP_STACKS},
            {AB_TD_SELF_UNWIND_STACKS, TR_SELF_UNWIND_STACKS},
            {AB_TD_SELF_TRUNCATED, TR_SELF_TRUNCATED},
            {AB_TD_SELF_MAP_CALLS, TR_SELF_MAP_CALLS},
            {AB_TD_SELF_ROUNDS_DROPPED, TR_SELF_ROUNDS_DROPPED},
            {AB_TD_SELF_THREADS, TR_SELF_THREADS},
            {AB_TD_SELF_WRITES, TR_SELF_WRITES},
            {AB_TD_SELF_NOSITE, TR_SELF_NOSITE},
        };
        size_t at = section_open(b, AB_TD_SELF);
        size_t n = sizeof map / sizeof map[0];
        /* What the tracer holds now, the dump buffer included. */
        tr_buf_varint(b, AB_TD_SELF_MAPPED);
        tr_buf_varint(b, __atomic_load_n(&g_tr.mapped, __ATOMIC_RELAXED));
        tr_buf_varint(b, AB_TD_SELF_MAPPED_PEAK);
        tr_buf_varint(b, __atomic_load_n(&g_tr.mapped_peak, __ATOMIC_RELAXED));
        for (size_t i = 0; i < n; i++) {
                tr_buf_varint(b, (uint64_t)map[i].key);
                tr_buf_varint(b, tr_self_sum(map[i].idx));
        }
        section_close(b, at, n + 2);
}

static void encode(struct tr_buf *b, bool final)
{
        uint8_t h[AB_TD_HEADER_SIZE];
        uint32_t flags = 0, nsec = 0, nsites;
        size_t at;
        int n;

        b->len = 0;
        b->failed = false;
        memset(h, 0, sizeof h);
        tr_buf_put(b, h, sizeof h);

        tr_modules_lock();
        at = section_open(b, AB_TD_MODULES);
        section_close(b, at, tr_modules_encode(b));
        tr_modules_unlock();
        nsec++;
        /* One count of the sites for the stacks and the totals: another
         * thread may intern a site meanwhile (qemu-user's threads do while
         * it exits); it goes in the next dump, never in totals here only. */
        nsites = tr_site_count();
        encode_stacks(b, nsites);
        nsec++;
        at = section_open(b, AB_TD_PHASES);
        tr_buf_put(b, g_tr.phases.p, g_tr.phases.len);
        section_close(b, at, g_tr.nphases);
        nsec++;
        at = section_open(b, AB_TD_ROUNDS);
        tr_buf_put(b, g_tr.rounds.p, g_tr.rounds.len);
        section_close(b, at, g_tr.nrounds);
        nsec++;
        at = section_open(b, AB_TD_TOTALS);
        n = tr_totals(b, nsites);
        if (n < 0)
                b->failed = true;
        section_close(b, at, n < 0 ? 0 : (uint64_t)n);
        nsec++;
        tr_self_add(TR_SELF_WRITES, 1);
        encode_self(b);
        nsec++;
        at = section_open(b, AB_TD_END);
        section_close(b, at, 0);
        nsec++;
        if (b->failed)
                return;

        if (g_tr.sample_bytes)
                flags |= AB_TD_F_SAMPLED;
        if (g_tr.forked)
                flags |= AB_TD_F_FORK_CHILD;
        if (final)
                flags |= AB_TD_F_FINAL;
        if (g_tr.rounds.failed || g_tr.phases.failed)
                flags |= AB_TD_F_INCOMPLETE;
        memcpy(b->p, AB_TD_MAGIC, 8);
        ab_td_put_le(b->p + 8, AB_TD_VERSION, 2);
        ab_td_put_le(b->p + 10, AB_TD_HEADER_SIZE, 2);
        ab_td_put_le(b->p + 12, flags, 4);
        ab_td_put_le(b->p + 16, (uint64_t)g_tr.pid, 4);
        ab_td_put_le(b->p + 20, (uint64_t)g_tr.ppid, 4);
        ab_td_put_le(b->p + 24, g_tr.sample_bytes, 8);
        ab_td_put_le(b->p + 32, g_tr.big_bytes, 8);
        ab_td_put_le(b->p + 40, g_tr.depth, 4);
        ab_td_put_le(b->p + 44, nsec, 4);
        ab_td_put_le(b->p + 48, g_tr.start_real_ns, 8);
        ab_td_put_le(b->p + 56, tr_now_ns() - g_tr.start_ns, 8);
        ab_td_put_le(b->p + 64, b->len, 8);
}

/* PATTERN with %p -> pid, %% -> %; a fork child without %p gets ".PID". */
static int expand(char *dst, size_t cap, const char *pat, pid_t pid, bool child)
{
        size_t n = 0;
        bool had_pid = false;
        int w;
        for (const char *s = pat; *s; s++) {
                if (s[0] == '%' && s[1] == 'p') {
                        w = snprintf(dst + n, cap - n, "%d", (int)pid);
                        if (w < 0 || (size_t)w >= cap - n)
                                return -ENAMETOOLONG;
                        n += (size_t)w;
                        had_pid = true;
                        s++;
                        continue;
                }
                if (s[0] == '%' && s[1] == '%')
                        s++;
                if (n + 1 >= cap)
                        return -ENAMETOOLONG;
                dst[n++] = *s;
        }
        dst[n] = '\0';
        if (child && !had_pid) {
                w = snprintf(dst + n, cap - n, ".%d", (int)pid);
                if (w < 0 || (size_t)w >= cap - n)
                        return -ENAMETOOLONG;
        }
        return 0;
}

static int write_file(const char *path, const uint8_t *p, size_t len)
{
        char tmp[4200];
        int fd, r = 0;
        if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp)
                return -ENAMETOOLONG;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        while (len) {
                ssize_t w = write(fd, p, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        r = w < 0 ? -errno : -EIO;
                        break;
                }
                p += w;
                len -= (size_t)w;
        }
        if (close(fd) != 0 && !r)
                r = -errno;
        if (!r && rename(tmp, path) != 0)
                r = -errno;
        if (r)
                unlink(tmp);
        return r;
}

void tr_dump_write_locked(bool final)
{
        char path[4096];
        if (!g_tr.out[0] || expand(path, sizeof path, g_tr.out, g_tr.pid, g_tr.forked) < 0)
                return;
        tr_modules_refresh(false);
        encode(&out, final);
        if (!out.failed)
                write_file(path, out.p, out.len);
        g_tr.last_write_ns = tr_now_ns();
}

void tr_dump_write(bool final)
{
        tr_tls.guard++;
        tr_lock(&g_tr.lock);
        tr_dump_write_locked(final);
        tr_unlock(&g_tr.lock);
        tr_tls.guard--;
}
