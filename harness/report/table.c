/*
 * table.c - what a person reads on stdout: one table per workload, one row
 * per point, allocators side by side; and the CSV form (one row per point).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/bench.h"
#include "core/parse.h"
#include "core/stats.h"

static void fmt_ns(double ns, char *buf, size_t len)
{
        static const char *unit[] = {"ns", "us", "ms", "s"};
        int u = 0;
        while (ns >= 1000 && u < 3) {
                ns /= 1000;
                u++;
        }
        snprintf(buf, len, ns >= 100 ? "%.0f%s" : ns >= 10 ? "%.1f%s" : "%.2f%s", ns, unit[u]);
}

static void fmt_kib(int64_t kib, char *buf, size_t len)
{
        if (kib < 0) {
                snprintf(buf, len, "-");
                return;
        }
        if (kib < 1024)
                snprintf(buf, len, "%lldK", (long long)kib);
        else if (kib < 1024 * 1024)
                snprintf(buf, len, "%.1fM", (double)kib / 1024);
        else
                snprintf(buf, len, "%.2fG", (double)kib / (1024 * 1024));
}

/* The name of a job's points ("size") and one point's label ("4 KiB"). */
static const char *point_key(const struct ab_job *j)
{
        return j->sweep >= 0 ? j->w->params[j->sweep].point_key : "point";
}

static const char *point_label(const struct ab_job *j, size_t p, char *buf, size_t len)
{
        snprintf(buf, len, "-");
        if (j->sweep >= 0)
                ab_fmt_size(j->points[p], buf, len);
        return buf;
}

#define COLW 39

/* Points whose CI95 is wider than --precision, for the footnote. */
struct imprecise {
        size_t n;
        const char *why[8];
        size_t nwhy;
};

static void note_imprecise(struct imprecise *im, const struct ab_point_res *p)
{
        const char *why = p->nreps < 6 ? "fewer than 6 repetitions: no 95% interval"
                          : p->precision_note ? p->precision_note
                                              : "not reached";
        im->n++;
        for (size_t i = 0; i < im->nwhy; i++)
                if (strcmp(im->why[i], why) == 0)
                        return;
        if (im->nwhy < 8)
                im->why[im->nwhy++] = why;
}

static void cell(FILE *f, const struct ab_point_res *p, double precision, struct imprecise *im)
{
        double tmp[1024], ns[1024];
        struct ab_summary s;
        char a[24], ci[16], rss[16], vsz[16];
        size_t n = p->nreps < 1024 ? p->nreps : 1024;
        if (n == 0) {
                fprintf(f, "  %-*s", COLW - 2, p->status == AB_ST_OK ? "-" : ab_status_name(p->status));
                return;
        }
        for (size_t i = 0; i < n; i++)
                ns[i] = p->reps[i].ns_per_op;
        ab_stats_summary(ns, n, &s);
        fmt_ns(s.median, a, sizeof a);
        {
                double hw = s.median > 0 ? fmax(s.ci95_hi - s.median, s.median - s.ci95_lo) / s.median
                                         : 0;
                bool met = n >= 6 && hw <= precision;
                snprintf(ci, sizeof ci, "±%.0f%%%s", 100 * hw, met ? "" : "*");
                if (!met)
                        note_imprecise(im, p);
        }
        for (size_t i = 0; i < n; i++)
                tmp[i] = p->reps[i].minflt_per_op;
        {
                double flt = ab_stats_median(tmp, n);
                int64_t r = p->reps[0].rss_kib, v = p->reps[0].vsz_kib;
                for (size_t i = 0; i < n; i++)
                        tmp[i] = (double)p->reps[i].rss_kib;
                if (r >= 0)
                        r = (int64_t)ab_stats_median(tmp, n);
                for (size_t i = 0; i < n; i++)
                        tmp[i] = (double)p->reps[i].vsz_kib;
                if (v >= 0)
                        v = (int64_t)ab_stats_median(tmp, n);
                fmt_kib(r, rss, sizeof rss);
                fmt_kib(v, vsz, sizeof vsz);
                /* "±" is two bytes in UTF-8 but one column wide: pad by one more */
                fprintf(f, flt < 1000 ? "  %8s %-6s %8.2f %7s %7s" : "  %8s %-6s %8.0f %7s %7s", a,
                        ci, flt, rss, vsz);
                if (p->status != AB_ST_OK)
                        fprintf(f, "!");
        }
}

static void fmt_bytes(double b, char *buf, size_t len)
{
        if (b < 10240)
                snprintf(buf, len, "%.0fB", b);
        else
                fmt_kib((int64_t)(b / 1024), buf, len);
}

/* Instruction counts and memory system calls from the accounting passes:
 * one row per point, allocators side by side. */
static void account_tables(FILE *f, struct ab_run_res *runs, size_t na)
{
        const struct ab_job *j = runs[0].job;
        bool instr = false, sc = false;
        for (size_t a = 0; a < na; a++)
                for (size_t p = 0; p < j->npoints; p++) {
                        const struct ab_point_res *pt = &runs[a].points[p];
                        instr |= !isnan(pt->callgrind_per_op) && pt->callgrind_per_op > 0;
                        instr |= pt->nreps && pt->reps[0].instructions >= 0;
                        sc |= pt->have_syscalls;
                }
        if (instr) {
                fprintf(f, "\ninstructions per op (%s)\n%-10s",
                        isnan(runs[0].points[0].callgrind_per_op) ? "hardware counter"
                                                                 : "callgrind, exact",
                        point_key(j));
                for (size_t a = 0; a < na; a++)
                        fprintf(f, "  %14s", runs[a].alloc->name);
                fprintf(f, "\n");
                for (size_t p = 0; p < j->npoints; p++) {
                        char label[32];
                        fprintf(f, "%-10s", point_label(j, p, label, sizeof label));
                        for (size_t a = 0; a < na; a++) {
                                const struct ab_point_res *pt = &runs[a].points[p];
                                double v = pt->callgrind_per_op;
                                if ((isnan(v) || v <= 0) && pt->nreps && pt->reps[0].instructions >= 0)
                                        v = (double)pt->reps[0].instructions / (double)pt->ops;
                                if (isnan(v) || v <= 0)
                                        fprintf(f, "  %14s", "-");
                                else
                                        fprintf(f, "  %14.1f", v);
                        }
                        fprintf(f, "\n");
                }
        }
        if (sc) {
                fprintf(f, "\nmemory system calls per op (strace pass): mmap munmap madvise brk\n%-10s",
                        point_key(j));
                for (size_t a = 0; a < na; a++)
                        fprintf(f, "  %-27s", runs[a].alloc->name);
                fprintf(f, "\n");
                for (size_t p = 0; p < j->npoints; p++) {
                        char label[32];
                        fprintf(f, "%-10s", point_label(j, p, label, sizeof label));
                        for (size_t a = 0; a < na; a++) {
                                const struct ab_point_res *pt = &runs[a].points[p];
                                double ops = pt->sc_ops ? (double)pt->sc_ops : 1;
                                if (!pt->have_syscalls) {
                                        fprintf(f, "  %-27s", "-");
                                        continue;
                                }
                                fprintf(f, "  %6.3g %6.3g %6.3g %6.3g", (double)pt->sc.n[AB_SC_MMAP] / ops,
                                        (double)pt->sc.n[AB_SC_MUNMAP] / ops,
                                        (double)pt->sc.n[AB_SC_MADVISE] / ops,
                                        (double)pt->sc.n[AB_SC_BRK] / ops);
                        }
                        fprintf(f, "\n");
                }
        }
}

/* Round-based workloads: one row per round, allocators side by side. */
static void rounds_table(FILE *f, struct ab_run_res *runs, size_t na)
{
        struct ab_round_sum *rs[64] = {NULL};
        size_t n[64] = {0}, rows = 0;
        const struct ab_job *j = runs[0].job;
        if (na > 64 || j->npoints != 1)
                return;
        for (size_t a = 0; a < na; a++) {
                n[a] = ab_rounds_summary(&runs[a].points[0], &rs[a]);
                if (n[a] > rows)
                        rows = n[a];
        }
        if (rows) {
                fprintf(f, "\nafter each round (median over repetitions)\n%-10s", "round");
                for (size_t a = 0; a < na; a++)
                        fprintf(f, "  %9s %8s %8s %7s   ", "live", "RSS", "VSZ", "PTE");
                fprintf(f, "\n");
        }
        for (size_t i = 0; i < rows; i++) {
                fprintf(f, "%-10zu", i);
                for (size_t a = 0; a < na; a++) {
                        char lb[16] = "-", r[16] = "-", v[16] = "-", p[16] = "-";
                        if (i < n[a]) {
                                fmt_bytes(rs[a][i].live_bytes, lb, sizeof lb);
                                fmt_kib(rs[a][i].rss_kib, r, sizeof r);
                                fmt_kib(rs[a][i].vsz_kib, v, sizeof v);
                                fmt_kib(rs[a][i].pte_kib, p, sizeof p);
                        }
                        fprintf(f, "  %9s %8s %8s %7s   ", lb, r, v, p);
                }
                fprintf(f, "\n");
        }
        for (size_t a = 0; a < na; a++)
                free(rs[a]);
}

void ab_table_print(FILE *f, const struct ab_opts *o, struct ab_run_res *runs, size_t nruns)
{
        size_t na = o->nallocs;
        struct imprecise im = {0};
        for (size_t base = 0; base < nruns; base += na) {
                const struct ab_job *j = runs[base].job;
                const char *key = point_key(j);
                if (o->adaptive)
                        fprintf(f, "\n%s  (6-%u reps to ±%.0f%%, seed %llu", j->name, o->max_reps,
                                100 * o->precision, (unsigned long long)o->seed);
                else
                        fprintf(f, "\n%s  (%u reps, seed %llu", j->name, o->reps,
                                (unsigned long long)o->seed);
                for (size_t i = 0; i < j->w->nparams; i++) {
                        const struct ab_param *p = &j->w->params[i];
                        if ((int)i == j->sweep || p->type != AB_PT_ENUM)
                                continue;
                        {
                                const char *c = p->choices;
                                for (uint64_t e = 0; e < j->v[i]; e++)
                                        c = strchr(c, '|') + 1;
                                fprintf(f, ", %s=%.*s", p->name, (int)strcspn(c, "|"), c);
                        }
                }
                fprintf(f, ")\n%-10s", "");
                for (size_t a = 0; a < na; a++) {
                        char title[128];
                        snprintf(title, sizeof title, "%s %s", runs[base + a].alloc->name,
                                 runs[base + a].version);
                        fprintf(f, "  %-*.*s", COLW - 2, COLW - 2, title);
                }
                fprintf(f, "\n%-10s", key);
                for (size_t a = 0; a < na; a++)
                        fprintf(f, "  %8s %-5s %8s %7s %7s", "ns/op", "CI95", "minflt/op", "RSS",
                                "VSZ");
                fprintf(f, "\n");
                for (size_t p = 0; p < j->npoints; p++) {
                        char label[32];
                        fprintf(f, "%-10s", point_label(j, p, label, sizeof label));
                        for (size_t a = 0; a < na; a++)
                                cell(f, &runs[base + a].points[p], o->precision, &im);
                        fprintf(f, "\n");
                }
                rounds_table(f, &runs[base], na);
                account_tables(f, &runs[base], na);
                for (size_t a = 0; a < na; a++) {
                        const struct ab_run_res *r = &runs[base + a];
                        for (size_t p = 0; p < j->npoints; p++) {
                                const struct ab_point_res *pt = &r->points[p];
                                char label[32] = "";
                                if (pt->status == AB_ST_OK)
                                        continue;
                                if (j->sweep >= 0)
                                        ab_fmt_size(pt->value, label, sizeof label);
                                fprintf(f, "  ! %s %s %s: %s: %s\n", r->alloc->name, key, label,
                                        ab_status_name(pt->status), pt->error);
                        }
                }
        }
        fprintf(f, "\nns/op: median over repetitions, CI95: half-width of its 95%% CI; RSS/VSZ "
                   "after the measured region.\n");
        if (im.n) {
                fprintf(f, "* %zu point%s wider than ±%.0f%%:", im.n, im.n > 1 ? "s" : "",
                        100 * o->precision);
                for (size_t i = 0; i < im.nwhy; i++)
                        fprintf(f, "%s %s", i ? ";" : "", im.why[i]);
                fprintf(f, " (precision_note in the results file)\n");
        }
}

void ab_flags_print(FILE *f, json_t *doc)
{
        json_t *flags = json_object_get(doc, "flags"), *fl;
        size_t i;
        if (!json_array_size(flags)) {
                fprintf(f, "\nflags: none\n");
                return;
        }
        fprintf(f, "\nflags (%zu, most severe first):\n", json_array_size(flags));
        json_array_foreach(flags, i, fl)
        {
                char *where = json_dumps(json_object_get(fl, "where"), JSON_COMPACT),
                     *ev = json_dumps(json_object_get(fl, "evidence"),
                                      JSON_COMPACT | JSON_REAL_PRECISION(4));
                fprintf(f, "\n  %-4s  %s  %s  %s  %s\n        %s\n        evidence: %s\n        "
                           "hint: %s\n",
                        json_string_value(json_object_get(fl, "severity")),
                        json_string_value(json_object_get(fl, "kind")),
                        json_string_value(json_object_get(fl, "allocator")),
                        json_string_value(json_object_get(fl, "workload")), where ? where : "",
                        json_string_value(json_object_get(fl, "message")), ev ? ev : "",
                        json_string_value(json_object_get(fl, "hint")));
                free(where);
                free(ev);
        }
}

static void csv_num(FILE *f, json_t *v)
{
        if (json_is_integer(v))
                fprintf(f, ",%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
                fprintf(f, ",%.6g", json_real_value(v));
        else
                fprintf(f, ",");
}

void ab_csv_print(FILE *f, json_t *doc)
{
        static const char *const mem[] = {"user_ns_per_op", "sys_ns_per_op", "minflt_per_op",
                                          "majflt_per_op",  "rss_kib",       "vsz_kib",
                                          "pte_kib",        "peak_rss_kib",  "instructions_per_op"};
        static const char *const ns[] = {"median", "min", "max", "ci95_lo", "ci95_hi"};
        size_t i, k;
        json_t *run;
        fprintf(f, "allocator,version,workload,point,status,ops,reps");
        for (k = 0; k < 5; k++)
                fprintf(f, ",ns_per_op_%s", ns[k]);
        for (k = 0; k < sizeof mem / sizeof mem[0]; k++)
                fprintf(f, ",%s", mem[k]);
        fprintf(f, "\n");
        json_array_foreach(json_object_get(doc, "runs"), i, run)
        {
                size_t pi;
                json_t *pt;
                json_array_foreach(json_object_get(run, "points"), pi, pt)
                {
                        const char *key;
                        json_t *val, *nsobj = json_object_get(pt, "ns_per_op");
                        int first = 1;
                        fprintf(f, "%s,%s,%s,",
                                json_string_value(json_object_get(
                                        json_object_get(run, "allocator"), "name")),
                                json_string_value(json_object_get(
                                        json_object_get(run, "allocator"), "version"))
                                        ?: "",
                                json_string_value(json_object_get(
                                        json_object_get(run, "workload"), "name")));
                        json_object_foreach(json_object_get(pt, "params"), key, val)
                        {
                                fprintf(f, "%s%s=%lld", first ? "" : ";", key,
                                        (long long)json_integer_value(val));
                                first = 0;
                        }
                        fprintf(f, ",%s", json_string_value(json_object_get(pt, "status")));
                        csv_num(f, json_object_get(pt, "ops"));
                        csv_num(f, json_object_get(pt, "reps"));
                        for (k = 0; k < 5; k++)
                                csv_num(f, json_object_get(nsobj, ns[k]));
                        for (k = 0; k < sizeof mem / sizeof mem[0]; k++)
                                csv_num(f, json_object_get(pt, mem[k]));
                        fprintf(f, "\n");
                }
        }
}
