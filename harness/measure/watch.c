#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/watch.h"
#include "prim/prim.h"

int ab_watch_start(struct ab_watch *w, const struct ab_spawn *s, struct ab_outcome *o)
{
        int r;
        memset(w, 0, sizeof *w);
        w->s = s;
        w->o = o;
        w->marks.listen_fd = -1;
        if (s->mark_path) {
                if ((r = ab_marks_open(&w->marks, s->mark_path)))
                        return r;
                w->marking = true;
        }
        return 0;
}

void ab_watch_child(struct ab_watch *w, pid_t pid)
{
        w->pid = pid;
        w->last_round = w->o->start_ns;
        if (w->s->round_ms)
                w->next_round = w->o->start_ns + (uint64_t)w->s->round_ms * 1000000u;
}

static void push_round(struct ab_outcome *o, const struct ab_rec_round *r)
{
        struct ab_rec_round *n = realloc(o->rounds, (o->nrounds + 1) * sizeof *o->rounds);
        if (!n)
                return;
        o->rounds = n;
        o->rounds[o->nrounds++] = *r;
}

/* A round ends now (by a mark, a signal or a time window): the tree's
 * figures, with its anonymous address space. */
static void end_round(struct ab_watch *w, uint64_t now, const char *by)
{
        struct ab_rec_round r;
        struct ab_tree t;
        int e = ab_prim_tree(w->pid, 1, &t);
        if (e != 0 && e != -ENOSYS)
                return; /* gone: its last window ended with it */
        /* a round is a moment seen too: a program shorter than the sampling
         * interval still has its largest (where the tree can be read; where
         * not, the round is still counted and timed) */
        if (e == 0 && (!w->o->have_peak || t.vsz_kib > w->o->peak.vsz_kib)) {
                w->o->peak = t;
                w->o->have_peak = true;
        }
        memset(&r, 0, sizeof r);
        r.index = w->o->nrounds;
        r.ns = now - w->last_round;
        r.live_bytes = AB_UNKNOWN;
        r.rss_kib = t.rss_kib;
        r.vsz_kib = t.vsz_kib;
        r.pte_kib = t.pte_kib;
        r.anon_kib = t.anon_kib;
        r.anon_vsz_kib = t.anon_vsz_kib;
        r.threads = t.threads;
        r.procs = t.procs;
        snprintf(r.phase, sizeof r.phase, "%s", w->o->phase);
        snprintf(r.by, sizeof r.by, "%s", by);
        push_round(w->o, &r);
        w->last_round = now;
}

static void on_mark(void *ctx, const struct ab_mark_msg *m)
{
        struct ab_watch *w = ctx;
        struct ab_outcome *o = w->o;
        switch (m->kind) {
        case AB_MARK_HELLO:
                if (o->nhello < sizeof o->hello / sizeof o->hello[0]) {
                        o->hello[o->nhello].pid = m->pid;
                        snprintf(o->hello[o->nhello].owner, sizeof o->hello[0].owner, "%s",
                                 m->name);
                        o->nhello++;
                }
                break;
        case AB_MARK_ROUND:
                end_round(w, ab_prim_now_ns(), strcmp(m->name, "signal") == 0 ? "signal" : "mark");
                break;
        case AB_MARK_PHASE:
                snprintf(o->phase, sizeof o->phase, "%.39s", m->name);
                break;
        }
}

size_t ab_watch_fds(const struct ab_watch *w, struct pollfd *pf, size_t cap)
{
        return w->marking ? ab_marks_fds(&w->marks, pf, cap) : 0;
}

void ab_watch_poll(struct ab_watch *w, const struct pollfd *pf, size_t n)
{
        if (w->marking)
                ab_marks_service(&w->marks, pf, n, on_mark, w);
}

uint64_t ab_watch_due(const struct ab_watch *w)
{
        return w->s->round_ms ? w->next_round : UINT64_MAX;
}

void ab_watch_tick(struct ab_watch *w, uint64_t now)
{
        if (!w->s->round_ms || now < w->next_round)
                return;
        end_round(w, now, "window");
        while (w->next_round <= now)
                w->next_round += (uint64_t)w->s->round_ms * 1000000u;
}

void ab_watch_sample(struct ab_watch *w, uint64_t now)
{
        struct ab_outcome *o = w->o;
        struct ab_sample *n;
        struct ab_sample smp = {now - o->start_ns, AB_UNKNOWN, AB_UNKNOWN};
        if (w->s->tree) {
                struct ab_tree t;
                if (ab_prim_tree(w->pid, 0, &t) != 0)
                        return; /* gone, or a zombie not yet reaped */
                smp.rss_kib = t.rss_kib;
                smp.vsz_kib = t.vsz_kib;
                /* the largest moment, with its anonymous address space: read
                 * again with the maps only when the tree grew by 1 MiB */
                if (!o->have_peak || t.vsz_kib > o->peak.vsz_kib + 1024) {
                        struct ab_tree full;
                        if (ab_prim_tree(w->pid, 1, &full) == 0) {
                                o->peak = full;
                                o->have_peak = true;
                        }
                }
        } else {
                struct ab_mem m;
                if (ab_prim_mem_pid(w->pid, &m) != 0 || m.vsz_kib == 0)
                        return;
                smp.rss_kib = m.rss_kib;
                smp.vsz_kib = m.vsz_kib;
        }
        n = realloc(o->samples, (o->nsamples + 1) * sizeof *o->samples);
        if (!n)
                return;
        o->samples = n;
        o->samples[o->nsamples++] = smp;
}

void ab_watch_end(struct ab_watch *w)
{
        if (w->marking)
                ab_marks_close(&w->marks);
        w->marking = false;
}
