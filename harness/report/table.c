/*
 * table.c - what a person reads on stdout after a run: one table per
 * workload, one row per point, allocators side by side; the rounds and the
 * accounting passes; the flags; and the CSV form (one row per point). All of
 * it prints from the results document's view, so the screen and the file
 * cannot disagree.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "report/report.h"

#define COLW 39

/* Runs of one workload, allocators side by side: consecutive runs of the
 * same workload, each allocator once. */
static size_t group_end(const struct ab_doc *d, size_t base)
{
        size_t end = base + 1;
        for (; end < d->nruns; end++) {
                bool seen = false;
                if (strcmp(d->runs[end].workload_id, d->runs[base].workload_id) != 0)
                        break;
                for (size_t k = base; k < end; k++)
                        seen |= strcmp(d->runs[k].alloc, d->runs[end].alloc) == 0;
                if (seen)
                        break;
        }
        return end;
}

/* The name of a workload's points ("size", or "point") and one point's
 * label ("4 KiB", or "-"). */
static const char *point_key(const struct ab_vpoint *p)
{
        return p->nkv == 1 ? p->kv[0].key : "point";
}

static const char *point_label(const struct ab_vpoint *p, char *buf, size_t len)
{
        snprintf(buf, len, "-");
        if (p->nkv == 1 && strcmp(p->kv[0].key, "size") == 0 && p->kv[0].num >= 0)
                ab_fmt_size((uint64_t)p->kv[0].num, buf, len);
        else if (p->nkv == 1)
                snprintf(buf, len, "%s", p->kv[0].text);
        return buf;
}

/* Points whose CI95 is wider than the precision, for the footnote. */
struct imprecise {
        size_t n;
        const char *why[8];
        size_t nwhy;
};

static bool precise(const struct ab_doc *d, const struct ab_vpoint *p)
{
        if (p->precision_met >= 0)
                return p->precision_met == 1;
        return p->nsamples >= 6 && p->ns.halfwidth <= (isnan(d->precision) ? 0.05 : d->precision);
}

static void note_imprecise(struct imprecise *im, const struct ab_vpoint *p)
{
        const char *why = p->precision_note ? p->precision_note
                          : p->nsamples < 6 ? "fewer than 6 repetitions: no 95% interval"
                                            : "not reached";
        im->n++;
        for (size_t i = 0; i < im->nwhy; i++)
                if (strcmp(im->why[i], why) == 0)
                        return;
        if (im->nwhy < 8)
                im->why[im->nwhy++] = why;
}

static void cell(FILE *f, const struct ab_doc *d, const struct ab_vpoint *p, struct imprecise *im)
{
        char a[24], ci[16], rss[16], vsz[16];
        double flt = p->m[AB_M_MINFLT], hw = isnan(p->ns.halfwidth) ? 0 : p->ns.halfwidth;
        bool met;
        if (p->nsamples == 0) {
                fprintf(f, "  %-*s", COLW - 2, p->ok ? "-" : p->status);
                return;
        }
        met = precise(d, p);
        ab_fmt_ns(p->ns.median, a, sizeof a);
        snprintf(ci, sizeof ci, "±%.0f%%%s", 100 * hw, met ? "" : "*");
        if (!met)
                note_imprecise(im, p);
        ab_fmt_kib(p->m[AB_M_RSS], rss, sizeof rss);
        ab_fmt_kib(p->m[AB_M_VSZ], vsz, sizeof vsz);
        /* "±" is two bytes in UTF-8 but one column wide: pad by one more */
        fprintf(f, flt < 1000 ? "  %8s %-6s %8.2f %7s %7s" : "  %8s %-6s %8.0f %7s %7s", a, ci, flt,
                rss, vsz);
        if (!p->ok)
                fprintf(f, "!");
}

/* Instruction counts and memory system calls from the accounting passes:
 * one row per point, allocators side by side. */
static void account_tables(FILE *f, const struct ab_doc *d, const struct ab_vrun *runs, size_t na)
{
        bool instr = false, sc = false;
        for (size_t a = 0; a < na; a++)
                for (size_t p = 0; p < runs[a].npoints; p++) {
                        instr |= runs[a].points[p].m[AB_M_INSTR] > 0;
                        sc |= runs[a].points[p].have_sc;
                }
        if (instr) {
                fprintf(f, "\ninstructions per op (%s)\n%-10s",
                        d->instructions && strcmp(d->instructions, "callgrind") == 0
                            ? "callgrind, exact"
                            : "hardware counter",
                        point_key(&runs[0].points[0]));
                for (size_t a = 0; a < na; a++)
                        fprintf(f, "  %14s", runs[a].alloc);
                fprintf(f, "\n");
                for (size_t p = 0; p < runs[0].npoints; p++) {
                        char label[32];
                        fprintf(f, "%-10s", point_label(&runs[0].points[p], label, sizeof label));
                        for (size_t a = 0; a < na; a++) {
                                double v =
                                    p < runs[a].npoints ? runs[a].points[p].m[AB_M_INSTR] : NAN;
                                if (!(v > 0))
                                        fprintf(f, "  %14s", "-");
                                else
                                        fprintf(f, "  %14.1f", v);
                        }
                        fprintf(f, "\n");
                }
        }
        if (sc) {
                fprintf(
                    f, "\nmemory system calls per op (strace pass): mmap munmap madvise brk\n%-10s",
                    point_key(&runs[0].points[0]));
                for (size_t a = 0; a < na; a++)
                        fprintf(f, "  %-27s", runs[a].alloc);
                fprintf(f, "\n");
                for (size_t p = 0; p < runs[0].npoints; p++) {
                        char label[32];
                        fprintf(f, "%-10s", point_label(&runs[0].points[p], label, sizeof label));
                        for (size_t a = 0; a < na; a++) {
                                const struct ab_vpoint *pt =
                                    p < runs[a].npoints ? &runs[a].points[p] : NULL;
                                if (!pt || !pt->have_sc) {
                                        fprintf(f, "  %-27s", "-");
                                        continue;
                                }
                                fprintf(f, "  %6.3g %6.3g %6.3g %6.3g", pt->sc_per_op[AB_SC_MMAP],
                                        pt->sc_per_op[AB_SC_MUNMAP], pt->sc_per_op[AB_SC_MADVISE],
                                        pt->sc_per_op[AB_SC_BRK]);
                        }
                        fprintf(f, "\n");
                }
        }
}

/* Round-based workloads: one row per round, allocators side by side, each
 * group headed by its allocator (and launcher). A program's rounds show its
 * resident anonymous memory where a kernel's show the bytes it holds. */
static void rounds_table(FILE *f, const struct ab_vrun *runs, size_t na)
{
        size_t rows = 0;
        bool prog = runs[0].program != NULL;
        if (na > 64 || runs[0].npoints != 1)
                return;
        for (size_t a = 0; a < na; a++)
                if (runs[a].nrounds > rows)
                        rows = runs[a].nrounds;
        if (!rows)
                return;
        fprintf(f, "\nafter each round (median over repetitions)\n%-10s", "");
        for (size_t a = 0; a < na; a++) {
                char who[160];
                snprintf(who, sizeof who, "%s%s%s", runs[a].alloc, runs[a].wrap ? " under " : "",
                         runs[a].wrap ? runs[a].wrap : "");
                fprintf(f, "  %-38.38s", who);
        }
        fprintf(f, "\n%-10s", "round");
        for (size_t a = 0; a < na; a++)
                fprintf(f, "  %9s %8s %8s %7s   ", prog ? "anon" : "live", "RSS", "VSZ", "PTE");
        fprintf(f, "\n");
        for (size_t i = 0; i < rows; i++) {
                fprintf(f, "%-10zu", i);
                for (size_t a = 0; a < na; a++) {
                        char lb[16] = "-", r[16] = "-", v[16] = "-", p[16] = "-";
                        if (i < runs[a].nrounds) {
                                const struct ab_vround *rd = &runs[a].rounds[i];
                                if (prog)
                                        ab_fmt_kib(rd->anon_kib, lb, sizeof lb);
                                else
                                        ab_fmt_bytes(rd->live_bytes, lb, sizeof lb);
                                ab_fmt_kib(rd->rss_kib, r, sizeof r);
                                ab_fmt_kib(rd->vsz_kib, v, sizeof v);
                                ab_fmt_kib(rd->pte_kib, p, sizeof p);
                        }
                        fprintf(f, "  %9s %8s %8s %7s   ", lb, r, v, p);
                }
                fprintf(f, "\n");
        }
}

/* "(6-30 reps to ±5%, seed 1, touch=none, mode=reuse)": how the points were
 * taken, and the workload's choices (its string parameters). */
static void group_header(FILE *f, const struct ab_doc *d, const struct ab_vrun *run)
{
        if (d->rep_mode && strcmp(d->rep_mode, "adaptive") == 0)
                fprintf(f, "\n%s  (%.0f-%.0f reps to ±%.0f%%, seed %.0f", run->workload_id,
                        d->min_reps, d->max_reps, 100 * d->precision, run->seed);
        else
                fprintf(f, "\n%s  (%.0f rep%s, seed %.0f", run->workload_id, d->reps,
                        d->reps == 1 ? "" : "s", run->seed);
        for (size_t i = 0; i < run->nparams; i++)
                if (run->params[i].str && strcmp(run->params[i].str, "auto") != 0)
                        fprintf(f, ", %s=%s", run->params[i].key, run->params[i].str);
        fprintf(f, ")\n");
}

/* cmd: the program measured whole, one row per allocator: wall time with
 * its CI, CPU time, minor faults and the peak resident set of its process
 * tree (there are no ops: no per-op column), and whether the allocator
 * asked for served it. */
static void print_program(FILE *f, const struct ab_doc *d, const struct ab_vrun *runs, size_t na,
                          struct imprecise *im)
{
        group_header(f, d, &runs[0]);
        fprintf(f, "%-24s %9s %-7s %9s %9s %10s %9s %6s  %s\n", "allocator", "wall", "CI95", "user",
                "sys", "minflt", "peak RSS", "procs", "preload");
        for (size_t a = 0; a < na; a++) {
                const struct ab_vpoint *p = runs[a].npoints ? &runs[a].points[0] : NULL;
                char title[64], w[24], u[24], s[24], pk[24], ci[16], flt[24], procs[24];
                const char *pre = runs[a].preload_verified < 0 ? "-"
                                  : runs[a].preload_verified   ? "verified"
                                                               : "NOT SERVED";
                snprintf(title, sizeof title, "%s %s", runs[a].alloc,
                         runs[a].alloc_version ? runs[a].alloc_version : "");
                if (!p || p->nsamples == 0) {
                        const char *st = !p || p->ok ? "not measured" : p->status;
                        const char *err = p && p->error ? p->error : "";
                        /* "exited with code 1" says its status already */
                        bool says = strncmp(err, st, strlen(st)) == 0;
                        fprintf(f, "%-24.24s %s%s%s\n", title, says ? "" : st,
                                !says && *err ? ": " : "", err);
                        continue;
                }
                snprintf(ci, sizeof ci, "±%.0f%%%s", 100 * p->ns.halfwidth,
                         precise(d, p) ? "" : "*");
                if (!precise(d, p))
                        note_imprecise(im, p);
                snprintf(flt, sizeof flt, isnan(p->m[AB_M_MINFLT]) ? "-" : "%.0f",
                         p->m[AB_M_MINFLT]);
                snprintf(procs, sizeof procs, isnan(p->m[AB_M_PROCS]) ? "-" : "%.0f",
                         p->m[AB_M_PROCS]);
                fprintf(f, "%-24.24s %9s %-8s %9s %9s %10s %9s %6s  %s\n", title,
                        ab_fmt_ns(p->ns.median, w, sizeof w), ci,
                        ab_fmt_ns(p->m[AB_M_USER], u, sizeof u),
                        ab_fmt_ns(p->m[AB_M_SYS], s, sizeof s), flt,
                        ab_fmt_kib(p->m[AB_M_PEAK], pk, sizeof pk), procs, pre);
        }
}

static void print_group(FILE *f, const struct ab_doc *d, const struct ab_vrun *runs, size_t na,
                        struct imprecise *im)
{
        if (runs[0].program) {
                print_program(f, d, runs, na, im);
                rounds_table(f, runs, na);
                return;
        }
        const char *key = runs[0].npoints ? point_key(&runs[0].points[0]) : "point";
        group_header(f, d, &runs[0]);
        fprintf(f, "%-10s", "");
        for (size_t a = 0; a < na; a++) {
                char title[128];
                snprintf(title, sizeof title, "%s %s", runs[a].alloc,
                         runs[a].alloc_version ? runs[a].alloc_version : "");
                fprintf(f, "  %-*.*s", COLW - 2, COLW - 2, title);
        }
        fprintf(f, "\n%-10s", key);
        for (size_t a = 0; a < na; a++)
                fprintf(f, "  %8s %-5s %8s %7s %7s", "ns/op", "CI95", "minflt/op", "RSS", "VSZ");
        fprintf(f, "\n");
        for (size_t p = 0; p < runs[0].npoints; p++) {
                char label[32];
                fprintf(f, "%-10s", point_label(&runs[0].points[p], label, sizeof label));
                for (size_t a = 0; a < na; a++)
                        if (p < runs[a].npoints)
                                cell(f, d, &runs[a].points[p], im);
                fprintf(f, "\n");
        }
        rounds_table(f, runs, na);
        account_tables(f, d, runs, na);
        for (size_t a = 0; a < na; a++) {
                for (size_t p = 0; p < runs[a].npoints; p++) {
                        const struct ab_vpoint *pt = &runs[a].points[p];
                        char label[32] = "";
                        if (pt->ok)
                                continue;
                        if (pt->nkv)
                                point_label(pt, label, sizeof label);
                        fprintf(f, "  ! %s %s %s: %s: %s\n", runs[a].alloc, key, label, pt->status,
                                pt->error ? pt->error : "");
                }
        }
}

void ab_table_print(FILE *f, const struct ab_doc *d)
{
        struct imprecise im = {0};
        bool kernels = false, programs = false;
        for (size_t base = 0; base < d->nruns;) {
                size_t end = group_end(d, base);
                print_group(f, d, &d->runs[base], end - base, &im);
                programs |= d->runs[base].program != NULL;
                kernels |= d->runs[base].program == NULL;
                base = end;
        }
        if (kernels)
                fprintf(f, "\nns/op: median over repetitions, CI95: half-width of its 95%% CI; "
                           "RSS/VSZ after the measured region.\n");
        if (programs)
                fprintf(f, "\nwall: the whole program, median over repetitions, CI95: half-width "
                           "of its 95%% CI;\nuser, sys, minflt: its process tree's; peak RSS: "
                           "the tree's largest; preload: whether\nthe allocator served malloc in "
                           "every process that started.\n");
        if (im.n) {
                fprintf(f, "* %zu point%s wider than ±%.0f%%:", im.n, im.n > 1 ? "s" : "",
                        100 * (isnan(d->precision) ? 0.05 : d->precision));
                for (size_t i = 0; i < im.nwhy; i++)
                        fprintf(f, "%s %s", i ? ";" : "", im.why[i]);
                fprintf(f, " (precision_note in the results file)\n");
        }
}

void ab_flags_print(FILE *f, const struct ab_doc *d)
{
        size_t accepted = 0;
        for (size_t i = 0; i < d->nflags; i++)
                accepted += d->flags[i].accepted != NULL;
        if (!d->nflags)
                fprintf(f, "\nflags: none\n");
        else if (accepted)
                fprintf(f, "\nflags (%zu, most severe first; %zu accepted by verdicts, not counted "
                           "for --fail-on):\n",
                        d->nflags, accepted);
        else
                fprintf(f, "\nflags (%zu, most severe first):\n", d->nflags);
        for (size_t i = 0; i < d->nflags; i++) {
                const struct ab_vflag *fl = &d->flags[i];
                char *where = json_dumps(fl->where, JSON_COMPACT | JSON_ENCODE_ANY),
                     *ev = json_dumps(fl->evidence,
                                      JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(4));
                fprintf(f,
                        "\n  %-4s  %s  %s  %s  %s%s%s%s\n        %s\n        evidence: %s\n        "
                        "hint: %s\n",
                        fl->severity, fl->kind, fl->allocator, fl->workload_id, where ? where : "",
                        fl->accepted ? "  [accepted: " : "", fl->accepted ? fl->accepted : "",
                        fl->accepted ? "]" : "", fl->message, ev ? ev : "", fl->hint);
                free(where);
                free(ev);
        }
        ab_table_sites_print(f, d);
}

/* A figure the file holds as an integer (counts, KiB) or as a real. */
static void csv_num(FILE *f, double v, bool integer)
{
        if (isnan(v))
                fprintf(f, ",");
        else if (integer && fabs(v) < 9.2e18) /* within long long */
                fprintf(f, ",%lld", (long long)v);
        else
                fprintf(f, ",%.6g", v);
}

static bool integer_metric(enum ab_metric m)
{
        return m == AB_M_RSS || m == AB_M_VSZ || m == AB_M_PTE || m == AB_M_PEAK;
}

/* A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line
 * break, with quotes doubled. */
void ab_csv_field(FILE *f, const char *s, bool first)
{
        if (!first)
                fputc(',', f);
        if (!strpbrk(s, ",\"\r\n")) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

void ab_csv_print(FILE *f, const struct ab_doc *d)
{
        static const enum ab_metric cols[] = {AB_M_USER,   AB_M_SYS,  AB_M_MINFLT,
                                              AB_M_MAJFLT, AB_M_RSS,  AB_M_VSZ,
                                              AB_M_PTE,    AB_M_PEAK, AB_M_INSTR};
        fprintf(f, "allocator,version,workload,point,status,ops,reps,ns_per_op_median,"
                   "ns_per_op_min,ns_per_op_max,ns_per_op_ci95_lo,ns_per_op_ci95_hi");
        for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
                fprintf(f, ",%s", ab_metrics[cols[k]].key);
        fprintf(f, "\n");
        for (size_t r = 0; r < d->nruns; r++) {
                const struct ab_vrun *run = &d->runs[r];
                for (size_t i = 0; i < run->npoints; i++) {
                        const struct ab_vpoint *p = &run->points[i];
                        char point[600] = "";
                        size_t off = 0;
                        for (size_t k = 0; k < p->nkv && off < sizeof point; k++)
                                off += (size_t)snprintf(point + off, sizeof point - off, "%s%s=%s",
                                                        k ? ";" : "", p->kv[k].key, p->kv[k].text);
                        ab_csv_field(f, run->alloc, true);
                        ab_csv_field(f, run->alloc_version ? run->alloc_version : "", false);
                        ab_csv_field(f, run->workload, false);
                        ab_csv_field(f, point, false);
                        ab_csv_field(f, p->status, false);
                        csv_num(f, p->ops, true);
                        csv_num(f, p->reps, true);
                        csv_num(f, p->ns.median, false);
                        csv_num(f, p->ns.min, false);
                        csv_num(f, p->ns.max, false);
                        csv_num(f, p->ns.ci95_lo, false);
                        csv_num(f, p->ns.ci95_hi, false);
                        for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
                                csv_num(f, p->m[cols[k]], integer_metric(cols[k]));
                        fprintf(f, "\n");
                }
        }
}
