/*
 * verdict.h - verdicts on allocation sites, kept in a plain-text file in the
 * user's repository and applied to every traced run: the triage of story
 * 004 (each allocation path commented, the comments re-applied to later CI
 * runs by stack). Internal to report/; bench run applies them through
 * ab_verdicts_apply.
 *
 * The file (README, Verdicts), one block per site, blank lines between:
 *
 *     # comments start with '#'
 *     site ab-runner!xalloc<timer_new<open_conn<one_round<conn_leak_run<run_workload
 *     verdict bounded <= 4KiB/round
 *     note what leaks is one timer per 64 connections; bounded by the pool
 *     by alice 2026-11-29T10:00:00Z
 *       at xalloc workloads/conn_leak.c:76 ab-runner
 *       at timer_new workloads/conn_leak.c:104 ab-runner
 *
 * `site` opens an entry: a site's key as the results have it, or a glob
 * over keys ('*', '?'). `verdict` is one of undecided, safe, prob-safe,
 * bounded, leak, fixed; bounded may state its bound as `<= SIZE/round` (the
 * site's left-over per round). `note` lines (any number) are free text;
 * `by WHO WHEN` says who decided and when (UTC); indented `at` lines are the
 * stack it was decided on, for the person reading the file. Anything else
 * is refused as FILE:LINE with the accepted form.
 *
 * Matching (ab_verdicts_match): the key itself first; then a glob entry;
 * then, fuzzily, an entry whose function names (modules left out, so a
 * verdict decided on one architecture applies on another) equal the
 * site's after clone suffixes and repeated frames are dropped, or differ
 * by one frame inlined or not, with the innermost frame the same. A fuzzy
 * match that more than one entry makes is no match.
 */
#ifndef AB_REPORT_VERDICT_H
#define AB_REPORT_VERDICT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define AB_VERDICTS_DEFAULT "allocbench.verdicts"

enum ab_verdict {
        AB_V_UNDECIDED,
        AB_V_SAFE,
        AB_V_PROB_SAFE,
        AB_V_BOUNDED,
        AB_V_LEAK,
        AB_V_FIXED,
        AB_V_COUNT
};
extern const char *const ab_verdict_names[AB_V_COUNT];
/* A verdict by name, or -1. */
int ab_verdict_find(const char *name);
/* Does a verdict accept its site's flags (safe, prob-safe, bounded)? */
bool ab_verdict_accepts(enum ab_verdict v);

struct ab_ventry {
        char *site; /* a key, or a glob */
        enum ab_verdict verdict;
        double bound; /* bounded: bytes a round the site may leave; NAN: none stated */
        char **notes;
        size_t nnotes;
        char *by, *when; /* NULL: not said */
        char **stack;    /* the `at` lines' text */
        size_t nstack;
        int line; /* its `site` line in the file */
};

struct ab_verdicts {
        struct ab_ventry *e;
        size_t n;
};

/* Read the file at path. 0; -ENOENT when there is none (v is then empty);
 * another -errno with err naming FILE:LINE and the accepted form. */
int ab_verdicts_load(const char *path, struct ab_verdicts *v, char *err, size_t errlen);
/* Write v to path atomically (a temporary file beside it, renamed). */
int ab_verdicts_write(const struct ab_verdicts *v, const char *path, char *err, size_t errlen);
void ab_verdicts_free(struct ab_verdicts *v);

/* Hold the lock of the verdicts file's directory (flock on the directory
 * itself: no lock file is left behind): a descriptor to close, or -errno. */
int ab_verdicts_lock(const char *path);

/* The entry of v, or a new one appended, for site (an exact key or glob). */
struct ab_ventry *ab_verdicts_entry(struct ab_verdicts *v, const char *site);

enum ab_vmatch { AB_VM_NONE, AB_VM_EXACT, AB_VM_GLOB, AB_VM_FUZZY };
extern const char *const ab_vmatch_names[4]; /* NULL, "exact", "glob", "fuzzy" */

/* The entry that applies to the site whose key is `key`, and how it
 * matched; NULL when none does (or a fuzzy match is ambiguous). */
const struct ab_ventry *ab_verdicts_match(const struct ab_verdicts *v, const char *key,
                                          enum ab_vmatch *how);

/* The function names of a key, innermost first, modules dropped, clone
 * suffixes (.isra.N, .constprop.N, .part.N, .cold) removed and repeated
 * names collapsed: up to max of them into names (pointers into buf, which
 * holds len bytes); how many. */
size_t ab_key_functions(const char *key, char *buf, size_t len, const char **names, size_t max);

/* ---- budgets (verdict_apply.c) ------------------------------------------------ */

enum ab_budget_metric { AB_BM_LEFT_PER_ROUND, AB_BM_LIVE_END, AB_BM_BYTES, AB_BM_ALLOCS };

struct ab_budget {
        const char *text;  /* as given */
        char glob[256];    /* "" for every site; else matched against the key and each
                              function name of it */
        enum ab_budget_metric metric;
        double limit;
};

/* Parse "[GLOB:]METRIC<=VALUE" (METRIC: left_per_round, live_end, bytes,
 * allocs; VALUE a size or a count). 0, or -EINVAL with err saying the form. */
int ab_budget_parse(const char *text, struct ab_budget *b, char *err, size_t errlen);

/* What applying verdicts found, for the exit code and the lines under the
 * flags. */
struct ab_vsummary {
        size_t sites, matched, fuzzy, new_sites; /* new: no entry */
        size_t accepted;                         /* flags accepted by a verdict */
        size_t regressions;                      /* fixed sites flagged again */
        size_t over_bound, over_budget;          /* sites past their bound, past a budget */
};

/* Apply v and the budgets to a results document in memory: each traced
 * site gets its `verdict` (verdict, match, entry, note, bound, by, when;
 * undecided and new when no entry matches), each site flag of a safe,
 * prob-safe or bounded-within-bound site is marked `accepted`, and flags
 * are added for a fixed site flagged again (site-regressed, high), a
 * bounded site past its bound (bound-exceeded, warn) and a site past a
 * budget (budget-exceeded, warn). 0 or -ENOMEM. */
int ab_verdicts_apply(json_t *doc, const struct ab_verdicts *v, const struct ab_budget *b,
                      size_t nb, struct ab_vsummary *sum);

/* verdict_cmd.c: bench verdicts set|show|check|export|import. */
int ab_cmd_verdicts(int argc, char **argv);

#endif
