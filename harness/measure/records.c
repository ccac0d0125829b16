/*
 * records.c - what one child told the parent, made into the results of a
 * run: who was loaded (info), the timeline sampled from outside, and one
 * repetition of a point (its region's figures, or the program's whole-run
 * figures for cmd, or how it failed).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/matrix.h"
#include "prim/prim.h"

void ab_take_info(struct ab_run_res *run, const struct ab_outcome *out)
{
        if (!out->have_info || run->library[0])
                return;
        snprintf(run->version, sizeof run->version, "%s", out->info.version);
        snprintf(run->library, sizeof run->library, "%s", out->info.library);
        snprintf(run->libc, sizeof run->libc, "%s", out->info.libc);
        run->runner_rss_kib = out->info.runner_rss_kib;
        run->runner_vsz_kib = out->info.runner_vsz_kib;
}

void ab_take_timeline(struct ab_matrix *m, struct ab_run_res *run, size_t point, unsigned rep,
                      const struct ab_outcome *out)
{
        struct ab_sample *n;
        struct ab_span *sp;
        if (!out->nsamples)
                return;
        n = realloc(run->timeline, (run->ntimeline + out->nsamples) * sizeof *n);
        if (!n)
                return;
        run->timeline = n;
        sp = realloc(run->spans, (run->nspans + 1) * sizeof *sp);
        if (!sp)
                return;
        run->spans = sp;
        run->spans[run->nspans++] = (struct ab_span){point, rep, out->start_ns - m->start_ns,
                                                     run->ntimeline, out->nsamples};
        for (size_t i = 0; i < out->nsamples; i++) {
                struct ab_sample s = out->samples[i];
                s.t_ns += out->start_ns - m->start_ns;
                run->timeline[run->ntimeline++] = s;
        }
}

void ab_take_failure(struct ab_point_res *p, const struct ab_outcome *out)
{
        p->status = out->status;
        p->exit_code = out->exit_code;
        p->signal = out->signal;
        if (out->have_error)
                snprintf(p->error, sizeof p->error, "%s", out->error.msg);
        else if (out->status == AB_ST_TIMEOUT)
                snprintf(p->error, sizeof p->error, "killed after the --timeout");
        else if (out->signal)
                snprintf(p->error, sizeof p->error, "killed by signal %d (%s)%s", out->signal,
                         strsignal(out->signal), out->status == AB_ST_OOM ? ", out of memory" : "");
        else
                snprintf(p->error, sizeof p->error, "%sexited with code %d",
                         out->status == AB_ST_OOM ? "out of memory: " : "", out->exit_code);
}

void ab_take_rep(struct ab_point_res *p, const struct ab_outcome *out)
{
        const struct ab_rec_point *r = &out->point;
        double ops = r->ops ? (double)r->ops : 1;
        struct ab_rep *rep = &p->reps[p->nreps++];
        memset(rep, 0, sizeof *rep);
        rep->ops = r->ops;
        rep->op_hash = r->op_hash;
        rep->ns_per_op = (double)r->elapsed_ns / ops;
        rep->user_ns_per_op = (double)r->user_ns / ops;
        rep->sys_ns_per_op = (double)r->sys_ns / ops;
        rep->cpu_ns_per_op = (double)(r->user_ns + r->sys_ns) / ops;
        rep->minflt_per_op = (double)r->minflt / ops;
        rep->majflt_per_op = (double)r->majflt / ops;
        rep->anon_kib = rep->anon_vsz_kib = rep->threads = rep->procs = AB_UNKNOWN;
        rep->rss_kib = r->rss_kib;
        rep->vsz_kib = r->vsz_kib;
        rep->pte_kib = r->pte_kib;
        rep->hwm_kib = r->hwm_kib;
        rep->instructions = r->instructions;
        rep->live_peak = r->live_peak;
        rep->first_ns = r->have_first ? (double)r->first_ns : NAN;
        rep->first_minflt = r->have_first ? (double)r->first_minflt : NAN;
        rep->warmup_ops = r->warmup_ops;
        rep->warmup_end = r->warmup_end;
        rep->have_halves = r->have_halves && r->half_ops[0] && r->half_ops[1];
        for (int h = 0; h < 2 && rep->have_halves; h++) {
                rep->half_ns_per_op[h] = (double)r->half_ns[h] / (double)r->half_ops[h];
                rep->half_minflt_per_op[h] = (double)r->half_minflt[h] / (double)r->half_ops[h];
        }
        if (out->nrounds) {
                rep->rounds = malloc(out->nrounds * sizeof *rep->rounds);
                if (rep->rounds) {
                        memcpy(rep->rounds, out->rounds, out->nrounds * sizeof *rep->rounds);
                        rep->nrounds = out->nrounds;
                }
        }
        p->ops = r->ops;
        p->op_hash = r->op_hash;
}

/* cmd: the program is measured from outside, as one op. */
void ab_take_external(struct ab_point_res *p, const struct ab_outcome *out)
{
        struct ab_rep *rep = &p->reps[p->nreps++];
        memset(rep, 0, sizeof *rep);
        rep->ops = 1;
        rep->ns_per_op = (double)out->wall_ns;
        rep->user_ns_per_op =
            (double)out->ru.ru_utime.tv_sec * 1e9 + out->ru.ru_utime.tv_usec * 1e3;
        rep->sys_ns_per_op = (double)out->ru.ru_stime.tv_sec * 1e9 + out->ru.ru_stime.tv_usec * 1e3;
        rep->minflt_per_op = (double)out->ru.ru_minflt;
        rep->majflt_per_op = (double)out->ru.ru_majflt;
        /* there is no region: its figures are the process tree's at its
         * largest (the timeline holds the rest) */
        rep->rss_kib = rep->vsz_kib = rep->pte_kib = AB_UNKNOWN;
        rep->anon_kib = rep->anon_vsz_kib = rep->threads = rep->procs = AB_UNKNOWN;
        if (out->have_peak) {
                rep->rss_kib = out->peak.rss_kib;
                rep->vsz_kib = out->peak.vsz_kib;
                rep->pte_kib = out->peak.pte_kib;
                rep->anon_kib = out->peak.anon_kib;
                rep->anon_vsz_kib = out->peak.anon_vsz_kib;
                rep->threads = out->peak.threads;
                rep->procs = out->peak.procs;
        }
        /* the peak: the largest process (wait4), or the whole tree at once
         * when the timeline saw more */
        rep->hwm_kib = ab_prim_maxrss_kib(&out->ru);
        for (size_t i = 0; i < out->nsamples; i++)
                if (out->samples[i].rss_kib > rep->hwm_kib)
                        rep->hwm_kib = out->samples[i].rss_kib;
        if (out->have_peak && out->peak.rss_kib > rep->hwm_kib)
                rep->hwm_kib = out->peak.rss_kib;
        if (out->nrounds) {
                rep->rounds = malloc(out->nrounds * sizeof *rep->rounds);
                if (rep->rounds) {
                        memcpy(rep->rounds, out->rounds, out->nrounds * sizeof *rep->rounds);
                        rep->nrounds = out->nrounds;
                }
        }
        rep->instructions = AB_UNKNOWN;
        rep->cpu_ns_per_op = rep->user_ns_per_op + rep->sys_ns_per_op;
        rep->first_ns = rep->first_minflt = NAN;
        p->ops = 1;
}

void ab_take_owners(struct ab_run_res *run, const struct ab_outcome *out)
{
        for (size_t i = 0; i < out->nhello; i++) {
                size_t k;
                for (k = 0; k < run->nowners; k++)
                        if (strcmp(run->malloc_owner[k].owner, out->hello[i].owner) == 0)
                                break;
                if (k == run->nowners) {
                        if (k == sizeof run->malloc_owner / sizeof run->malloc_owner[0])
                                continue;
                        snprintf(run->malloc_owner[k].owner, sizeof run->malloc_owner[k].owner,
                                 "%s", out->hello[i].owner);
                        run->nowners++;
                }
                run->malloc_owner[k].procs++;
        }
}
