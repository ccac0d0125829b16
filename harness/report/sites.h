/*
 * sites.h - what the readers of a run's allocation sites (--trace) share;
 * internal to report/.
 *
 *   sites.c        a site's figures (left-over per round, growth), the
 *                  order of the top sites, the flags naming a site, its
 *                  frames, names from the file made fit for a terminal
 *   table_sites.c  the top sites under the flags of a run's table
 *   sites_cmd.c    bench sites: options, the file, the bottom-up view
 *   sites_tree.c   bench sites --top-down and --folded
 *   plot_sites.c   bench plot's NAME-ALLOC-WL-sites figure
 *
 * Everything reads the results document's view (doc/doc.h: ab_vrun.sites)
 * and nothing else. A figure the file lacks is NAN there; here the sums and
 * orders read it as 0, and what is shown says "-".
 */
#ifndef AB_REPORT_SITES_H
#define AB_REPORT_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "doc/doc.h"

/* Rounds discarded as warm-up before a site's trend is read: the first
 * fifth, at least one. The same rule as the detectors' (ab_trend_warmup in
 * detect/, which report/ does not include), so the table's left-over per
 * round is the slope a leak flag reads. */
size_t ab_site_warmup(size_t n);

/* Has the site a left-over per round: at least two of its rounds' live
 * bytes, after the warm-up, are known. */
bool ab_site_has_trend(const struct ab_vsite *s);

/* Left-over per round: the least-squares slope of the site's live bytes at
 * each round end against the round, after the warm-up (unknown rounds left
 * out); 0 without a trend. */
double ab_site_leftover(const struct ab_vsite *s);

/* Live bytes of the last round minus those of the first after the warm-up,
 * clamped at 0 (what --value leftover sums); 0 without a trend. */
double ab_site_growth(const struct ab_vsite *s);

/* A total of the site (AB_ST_*), 0 where the file lacks it. */
double ab_site_total(const struct ab_vsite *s, enum ab_site_total k);

/* How the top sites are ordered: by left-over per round, largest first,
 * then by bytes allocated (the table) or by live bytes at the end (the
 * figure); the file's order last. */
enum ab_site_order { AB_SITES_LEFTOVER_BYTES, AB_SITES_LEFTOVER_LIVE };

/* The first up to max sites of run r in order o, pointers into r->sites, in
 * out; how many. Sites for which keep(s) is false (keep may be NULL) are
 * left out. */
size_t ab_sites_top(const struct ab_vrun *r, enum ab_site_order o,
                    bool (*keep)(const struct ab_vsite *s), const struct ab_vsite **out,
                    size_t max);

/* Does the flag name site s of run r: its allocator and workload, and
 * where.site the site's key. Any kind: leak-site, zeroing-site, ... */
bool ab_site_flag_names(const struct ab_vflag *fl, const struct ab_vrun *r,
                        const struct ab_vsite *s);

/* Has a flag of `kind` (NULL: any) of d named site s of run r. */
bool ab_site_flagged(const struct ab_doc *d, const struct ab_vrun *r, const struct ab_vsite *s,
                     const char *kind);

/* What bench sites sums, orders by and folds (--value). */
enum ab_site_value {
        AB_SV_BYTES,    /* bytes allocated (the default) */
        AB_SV_LIVE,     /* live bytes when the process ended */
        AB_SV_ALLOCS,   /* allocations */
        AB_SV_LEFTOVER, /* ab_site_growth */
        AB_SV_COUNT
};
extern const char *const ab_site_value_names[AB_SV_COUNT]; /* "bytes", "live", ... */
extern const char *const ab_site_value_help[AB_SV_COUNT];  /* "bytes allocated", ... */
double ab_site_value(const struct ab_vsite *s, enum ab_site_value v);
/* v as a person reads it: a size, or a count for allocs. */
const char *ab_site_value_text(double x, enum ab_site_value v, char *buf, size_t len);

/* The sites bench sites shows of one run, in the order shown. */
struct ab_sites_sel {
        const struct ab_vrun *run;
        const struct ab_vsite **sites;
        size_t n;
};

/* sites_tree.c: the call tree of each run, outermost frame first, v summed
 * along each path (--top-down); and one folded stack per site, outermost
 * frame first, for flame graphs (--folded), with a frame naming the run
 * first when there are several runs. In a sweep, the point is a frame of
 * its own above the stacks in both. 0 or -ENOMEM. */
int ab_sites_top_down(FILE *f, const struct ab_sites_sel *sel, size_t nsel, enum ab_site_value v);
int ab_sites_folded(FILE *f, const struct ab_sites_sel *sel, size_t nsel, enum ab_site_value v);

/* What went wrong in run r's trace passes, for a line under its sites:
 * "crashed", "timeout: ...", "incomplete" (of its first pass that did not
 * go well, with its point in a sweep), in buf; NULL when every pass went
 * well. */
const char *ab_site_trace_problem(const struct ab_vrun *r, char *buf, size_t len);

/* A site's frames, innermost first: the file's frames, or, when it has
 * none, the ones its key names (function and module alone). */
struct ab_site_stack {
        const struct ab_vframe *f;
        size_t n;
        struct ab_vframe *own; /* parsed from the key; freed by ab_site_stack_free */
        char *buf;
};
int ab_site_stack(const struct ab_vsite *s, struct ab_site_stack *st);
void ab_site_stack_free(struct ab_site_stack *st);

/* The first `frames` frames of key ("mod!a<b<c<d" -> "mod!a<b<c"), in out. */
void ab_site_short_key(char *out, size_t len, const char *key, size_t frames);

/* A name from a results file made fit for a terminal line: control
 * characters become spaces, and a name wider than cols columns is cut on a
 * character boundary and ends with "…". out is always terminated. */
void ab_site_text(char *out, size_t len, const char *s, size_t cols);

/* A byte count as a person reads it ("512 B", "1.5 MiB", "-512 B"; "-" for
 * NaN): ab_fmt_size rounded to the byte, with its sign. */
const char *ab_site_bytes(double v, char *buf, size_t len);

#endif
