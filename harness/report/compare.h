/*
 * compare.h - the parts of `bench compare BASE NEW` and what passes between
 * them. Internal to report/compare*.c; the command itself is ab_cmd_compare
 * in report.h.
 *
 *   compare.c         the command: options, reading both files through the
 *                     results view (doc/doc.h), pairing their points, the
 *                     exit code
 *   compare_pair.c    one pair of points: the verdict on time, whether they
 *                     did the same work, memory changes
 *   compare_report.c  the report: the pairs' entries, how the runs were made,
 *                     flags new and gone, the files and hosts, the summary
 *   compare_sites.c   the allocation sites of runs both files traced
 *                     (--trace): paired by point and key, judged on their
 *                     left-over per round
 *   compare_hosts.c   the host view: the same workloads side by side across
 *                     files from different hosts, and what differs in the
 *                     hosts and settings (in the report when the hosts
 *                     differ; alone with --hosts, for any number of files)
 *   compare_print.c   the report and the host view as a table or as CSV
 *
 * The report is one JSON object (schema allocbench/compare/1), which is the
 * --format json output; the table and the CSV print from it, so the three
 * never disagree. It is built from the two views and never from the files'
 * JSON. Points and pairs borrow their side's view (struct ab_doc), which
 * compare.c frees last; the report owns what it holds (copies, not borrowed
 * JSON). Functions that allocate return NULL or -ENOMEM when out of memory.
 */
#ifndef AB_COMPARE_H
#define AB_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/log.h"
#include "doc/doc.h"

/* The most files --hosts puts side by side. */
#define AB_COMPARE_MAXFILES 16

struct ab_compare_opts {
        const char *file[2];  /* BASE, NEW */
        const char **files;   /* --hosts: every file given (file[] the first two) */
        size_t nfiles;
        bool hosts;           /* --hosts: the host view of files[] alone, no verdicts */
        double threshold;     /* fraction: 0.05 is 5% */
        double mem_threshold; /* fraction, or < 0 when memory is not judged */
        double alpha;
        enum ab_format format;
        bool strict; /* different work is an error, not a row without a verdict */
};

/* The memory figures compared, in the order of the report and the CSV
 * columns; their noise floors are metrics.def's. */
#define AB_COMPARE_NMEM 5
extern const enum ab_metric ab_compare_mem[AB_COMPARE_NMEM];

/* The host figures shown, and compared, for each file. */
#define AB_COMPARE_NHOST 9
extern const char *const ab_compare_host_fields[AB_COMPARE_NHOST];
/* Host figure `field` (an index of ab_compare_host_fields) of h as JSON
 * (null when unknown): a new reference. */
json_t *ab_compare_host_field(const struct ab_vhost *h, size_t field);

/* One point of one file: its run, its view, its key (ab_point_key). */
struct ab_compare_point {
        const struct ab_vrun *run;
        const struct ab_vpoint *pt;
        char key[600];
        bool paired;
};

/* A results file: its view and its points in the file's order, less any
 * point whose key an earlier one has (left out with a note on stderr). */
struct ab_compare_side {
        const char *path;
        struct ab_doc doc;
        struct ab_compare_point *p;
        size_t n;
        struct ab_compare_point **by_key; /* p, sorted by key */
};

/* A point both files have; verdict and note are the report's for it. */
struct ab_compare_pair {
        struct ab_compare_point *b, *n;
        const char *verdict; /* a string literal, set by ab_compare_report */
        char note[256];      /* "" when the entry has none */
};

/* The verdicts of a pair, in the order the summary counts them. */
enum ab_compare_verdict {
        AB_CMP_SLOWER,
        AB_CMP_FASTER,
        AB_CMP_SAME,
        AB_CMP_NOT_SIGNIFICANT,
        AB_CMP_TOO_FEW_REPS,
        AB_CMP_MISSING,
        AB_CMP_NOT_COMPARABLE,
        AB_CMP_NVERDICT
};

/* The verdicts of a site (compare_sites.c), in the order the summary
 * counts them. */
enum ab_compare_site_verdict {
        AB_CMPS_CHANGED,
        AB_CMPS_SAME,
        AB_CMPS_TOO_FEW_ROUNDS,
        AB_CMPS_NEW,
        AB_CMPS_GONE,
        AB_CMPS_NVERDICT
};
extern const char *const ab_compare_site_verdicts[AB_CMPS_NVERDICT]; /* "changed", ... */

/* What the exit code and the messages around the report need. */
struct ab_compare_summary {
        int verdicts[AB_CMP_NVERDICT]; /* pairs per verdict ("not tested" is none) */
        int mem_regressions, flags_new;
        int sites[AB_CMPS_NVERDICT]; /* sites per verdict */
        int site_regressions;        /* a left-over grown, or a new site leaving bytes */
        int sites_not_compared;      /* sites of points traced well in one file only */
        bool regression;             /* a slower point, a memory growth, a new flag or a site */
};

/* ---- compare_pair.c ---- */

/* The report's entry of a pair (allocator, workload, point, params, both
 * sides' reps and medians, the test and interval when there is one, what
 * differs in the work, ratio, verdict, note); sets pr->verdict and pr->note.
 * NULL when out of memory. */
json_t *ab_compare_pair_entry(const struct ab_compare_opts *o, struct ab_compare_pair *pr);

/* The memory changes of a pair that pass --mem-threshold and the floor,
 * appended to mem; returns how many are growths (regressions). */
int ab_compare_memory(const struct ab_compare_opts *o, const struct ab_compare_pair *pr,
                      json_t *mem);

/* {allocator, workload, point, params} of a point: the start of every entry
 * about it. A new reference. */
json_t *ab_compare_ident(const struct ab_compare_point *p);

/* A parameter or environment value as the file had it (a string, an
 * integer, a real, true, false, null or an object): a new reference, NULL
 * when kv is NULL (the key is absent). */
json_t *ab_compare_kv_json(const struct ab_kv *kv);

/* The entry of key in kv[0..n), or NULL. */
const struct ab_kv *ab_compare_kv_find(const struct ab_kv *kv, size_t n, const char *key);

/* A figure the writer stores as a JSON integer (KiB, cores, a page size):
 * an integer when it is one, else a real, null when NAN. A new reference. */
json_t *ab_compare_count_json(double v);

/* ---- compare_sites.c ---- */

/* The sites' entries (allocator, workload, point, site, both sides'
 * left-over per round and increments, the test, verdict, change,
 * regression, note, the site's own verdict from the verdicts file) of the
 * points both files traced, BASE's order then NEW's; counted in sum. A JSON
 * array (empty when no point was traced in both), or NULL when out of
 * memory. */
json_t *ab_compare_sites(const struct ab_compare_opts *o, const struct ab_compare_side *b,
                         const struct ab_compare_side *n, struct ab_compare_summary *sum);

/* ---- compare_report.c ---- */

/* The report of the pairs (one entry each, in their order; verdict and note
 * set in each pair), or NULL when out of memory. */
json_t *ab_compare_report(const struct ab_compare_opts *o, const struct ab_compare_side *b,
                          const struct ab_compare_side *n, struct ab_compare_pair *pairs,
                          size_t npairs, struct ab_compare_summary *sum);

/* ---- compare_hosts.c ---- */

/* The host view of n files (their views and paths): hosts (file, label,
 * host fields, allocators' versions, options), differences (what is not
 * the same in every file, a value per file) and workloads (a row per
 * allocator and point: each file's ns/op, minor faults per op, RSS, the
 * last file's ns/op over the first's, whether the work was the same). NULL
 * when out of memory. */
json_t *ab_compare_host_view(const struct ab_doc *const *docs, const char *const *paths, size_t n);

/* The differences of view that concern allocator alloc's run of workload
 * wl, as "host.libc;allocator.version;env.X" in buf ("" for none). */
const char *ab_compare_row_differs(json_t *view, const char *alloc, const char *wl, char *buf,
                                   size_t len);

/* ---- compare_print.c ---- */

/* The host view as a table section: the hosts and their fields, what
 * differs in the settings, the workloads side by side. */
void ab_compare_print_host_view(FILE *f, json_t *view);

/* The host view as CSV for --hosts: a row per point and host (long
 * format). */
void ab_compare_print_hosts_csv(FILE *f, json_t *view);


/* The report as a person reads it: the files, hosts, a row per pair, memory,
 * conditions, flags, points in one file only, the sites, the overall
 * verdict. */
void ab_compare_print_table(FILE *f, json_t *rep);

/* One CSV row per pair (rep's points, which are pairs[] in order) with the
 * memory figures of both points, then one per site (kind "site"; RFC 4180
 * quoting); the host columns last (base_host, new_host: the files'
 * hostnames in view; host_differs: ab_compare_row_differs). */
void ab_compare_print_csv(FILE *f, json_t *rep, const struct ab_compare_pair *pairs, size_t npairs,
                          json_t *view);

#endif
