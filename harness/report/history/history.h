/*
 * history.h - the history in memory: what `bench history show`, `check` and
 * `html` read once a store (store.h) has loaded it, and the few helpers every
 * part of bench history shares. Nothing here touches a store, a file or the
 * terminal; it depends on core/ and doc/ only, so the command (cli.c), the
 * stores, the printers (check.c) and the dashboard all stand on it and none
 * of them calls another through it.
 *
 * Ownership: a struct ab_history owns every string and array it points to;
 * ab_history_free releases them. Indices (ab_hseries.run, ab_hflag.run) are
 * into ab_history.runs; the stores' ids are kept for printing only and never
 * used as indices. Functions return 0 or a negative errno.
 */
#ifndef AB_HISTORY_H
#define AB_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/changepoint.h"

/* The schema of `bench history show --format json` (sites only add to it). */
#define AB_HISTORY_SCHEMA     "allocbench/history/1"
#define AB_HISTORY_DEFAULT_DB "results/history.sqlite"
/* A store's layout (store.h), in its meta table: /1 the runs, series,
 * samples and flags; /2 adds the allocation sites of traced runs; /3 the
 * settings each run was made with. */
#define AB_HISTORY_STORE_V1     "allocbench/history/1"
#define AB_HISTORY_STORE_V2     "allocbench/history/2"
#define AB_HISTORY_STORE_SCHEMA "allocbench/history/3"
/* The environment variable that names the store when --db does not (a path,
 * or a postgresql:// URL). */
#define AB_HISTORY_DB_ENV "ALLOCBENCH_HISTORY_DB"
/* An exact series (doc/metrics.def, tracked 2): two values within this
 * relative distance are the same count (--exact-epsilon). */
#define AB_HEXACT_EPS 1e-4

/* The metrics of an allocation site's series (bench run --trace): the
 * left-over per round (report/sites.h's slope, which may be below 0) and
 * the live bytes when the process ended. Not metrics.def's: a site is no
 * point. */
#define AB_HSITE_LEFT "left_per_round"
#define AB_HSITE_LIVE "live_end"
#define AB_HSITE_UNIT "B"
/* The smallest change of a site's figure that counts, whatever its
 * percentage (the changes of a figure that is often 0 are divided by at
 * least this): compare's 64 B a round. */
#define AB_HSITE_FLOOR 64.0

/* A results file added to the store. Strings are owned by the history. */
struct ab_hrun {
        int64_t id;    /* the store's id of the run */
        char *created; /* UTC ISO-8601, the time key */
        char *rev;     /* NULL when none was given */
        char *host;
        char *file;  /* the results file, as added */
        bool latest; /* the newest run of its host */
};

/* One series: a figure of one point of one allocator and workload on one
 * host, one value per run that measured it, oldest first. */
/* One setting that differs between two runs (settings.h names them:
 * env.KEY, allocator.version, host.kernel, command, ...): its value before
 * and after, NULL where the run did not have it. */
struct ab_hdiff {
        char *key, *before, *after;
};

/* Where the settings of a series' runs changed: between runs[run[index - 1]]
 * and runs[run[index]], for the series' allocator and workload or for the
 * run as a whole. */
struct ab_hstep {
        size_t index; /* into v */
        struct ab_hdiff *d;
        size_t n;
};

struct ab_hseries {
        int64_t id; /* the store's id of the series */
        char *host, *alloc, *workload, *point, *metric;
        const char *unit; /* the metric's unit (doc/metrics.def, or AB_HSITE_UNIT); ""
                             for a metric history does not track */
        bool site;        /* a site's series: point is ab_hsite_label's, metric
                             AB_HSITE_LEFT or AB_HSITE_LIVE */
        bool exact;       /* an exact count (metrics.def tracked 2): tested as exact */
        size_t n;
        double *v;        /* v[i] measured by runs[run[i]] */
        size_t *run;      /* indices into ab_history.runs */
        struct ab_cp *cp; /* its change points (index into v), oldest first */
        size_t ncp;
        struct ab_hstep *steps; /* where its runs' settings changed, oldest first
                                   (settings.h: ab_history_explain) */
        size_t nsteps;
};

/* A flag the detectors raised in a run's results file. */
struct ab_hflag {
        size_t run; /* index into ab_history.runs */
        char *kind, *severity, *alloc, *workload, *where, *message;
};

/* An allocation site of traced runs (bench run --trace) and its verdict
 * history: which runs saw it, and what the newest of them said. */
struct ab_hsite {
        int64_t id; /* the store's id of the site */
        char *host, *alloc, *workload;
        char *point;  /* the traced point's label ("-": no sweep) */
        char *key;    /* the site's key: its normalised stack, innermost first */
        char *frames; /* its stack, one frame a line, innermost first; NULL: none */
        size_t runs_seen;
        size_t first, last; /* indices into ab_history.runs: the oldest and newest run
                               that saw it */
        /* of the newest run that saw it: its verdict (bench run --verdicts;
           NULL when none was applied), whether no entry matched, the note */
        char *verdict, *note;
        bool verdict_new;
        double left_per_round, live_end; /* of the newest run; NAN unknown */
        size_t left_series, live_series; /* indices into ab_history.series, or SIZE_MAX */
};

/* Which settings a run was made with, for one allocator and workload (""
 * and "" for the run's own: its host, the command's options). */
struct ab_hrunset {
        size_t run; /* index into ab_history.runs */
        char *alloc, *workload;
        size_t set; /* index into ab_history.sets */
};

struct ab_history {
        const char *db; /* the store, as the person named it, any password in it
                           hidden (borrowed) */
        struct ab_cp_params params;
        double exact_eps;     /* exact series: the relative distance of one count */
        struct ab_hrun *runs; /* oldest first (created, then id) */
        size_t nruns;
        struct ab_hseries *series; /* by host, workload, point, allocator, metric */
        size_t nseries;
        struct ab_hflag *flags; /* of the latest run of each host */
        size_t nflags;
        /* by host, workload, allocator, then the most left per round in the
           newest run first; loaded only when asked for (store.h) */
        struct ab_hsite *sites;
        size_t nsites;
        /* the settings of the runs (a store of /3; loaded only when asked
           for): each distinct set once, as canonical JSON (an object of
           strings, sorted keys), and which set each run had, by run, then
           allocator and workload; runset_first[i] .. runset_first[i + 1] are
           runs[i]'s (nruns + 1 entries) */
        char **sets;
        size_t nsets;
        struct ab_hrunset *runsets;
        size_t nrunsets;
        size_t *runset_first;
};

void ab_history_free(struct ab_history *h);
void ab_hsteps_free(struct ab_hstep *st, size_t n);

/* ---- what history tracks --------------------------------------------------- */

/* The tracked metric (doc/metrics.def, tracked 1) named `key`: its enum
 * ab_metric, or -1 for any other name. Its unit and noise floor are
 * ab_metrics[m].unit and .floor. */
int ab_hmetric(const char *key);

/* True when the series' newest change point is an increase: every tracked
 * figure is worse when higher, so that is a regression. */
bool ab_hseries_regressed(const struct ab_hseries *s);

/* Is `metric` a site's (AB_HSITE_LEFT, AB_HSITE_LIVE)? */
bool ab_hsite_metric(const char *metric);

/* The point of a site's series: the site's key, after "[POINT] " when the
 * run swept points (point is not "-"). malloc'd, NULL when out of memory. */
char *ab_hsite_label(const char *point, const char *key);

/* Order for people: runs of digits compare as numbers ("size=4096" before
 * "size=65536"), everything else byte by byte. strcmp's sign convention. */
int ab_natcmp(const char *a, const char *b);

/* ---- filters ----------------------------------------------------------------- */

/* What a command reads: each a comma list of exact names, NULL for all. */
struct ab_hfilter {
        const char *host, *alloc, *workload, *point, *metric;
};

/* v is one of the names in the comma list (every v when list is NULL). */
bool ab_hlist_has(const char *list, const char *v);

bool ab_hfilter_series(const struct ab_hfilter *f, const char *host, const char *alloc,
                       const char *workload, const char *point, const char *metric);

/* ---- building a history from a store's rows ----------------------------------- */

/*
 * Every store hands its rows to this builder, so that what a history means
 * (which series a filter keeps, how values are ordered, what ids are valid)
 * is decided once, whatever the backend. The order of calls:
 *
 *   ab_hbuild_begin
 *   ab_hbuild_run      for every run, oldest first (by created, then by id)
 *   ab_hbuild_series   for every series, in any order (the filter applies)
 *   ab_hbuild_index    runs and series are complete: latest runs are marked
 *   ab_hbuild_sample   for every value, in any order
 *   ab_hbuild_flag     for the flags of each run ab_hbuild_wants_flags, in order
 *   ab_hbuild_site     for every site, in any order (before ab_hbuild_index)
 *   ab_hbuild_site_run for every run's sighting of a site, in any order
 *   ab_hbuild_run_settings  for every run's settings, in any order
 *   ab_hbuild_end      the history is complete; or ab_hbuild_abort
 *
 * (ab_hbuild_site comes with the series, before ab_hbuild_index, and
 * ab_hbuild_site_run after it; a store without sites calls neither.
 * ab_hbuild_settings, each distinct set of settings, comes before
 * ab_hbuild_index too; a store without settings calls neither.)
 *
 * Each returns 0, -ENOMEM, or -EINVAL with a message in err naming the store
 * and the row when the store holds an id its writer cannot have written (ids
 * count from 1, once each): the store was made or changed by something else.
 */
struct ab_hidmap;
struct ab_hacc;
struct ab_hbuild { /* the builder's state: read none of it */
        struct ab_history *h;
        const char *db;
        const struct ab_hfilter *filter;
        struct ab_hidmap *rmap, *smap, *sitemap, *setmap;
        size_t *rdense;   /* run id -> index + 1 when ids are dense, else NULL */
        int64_t rdense_n; /* its length */
        size_t last_si;   /* the series of the previous value (they come grouped) */
        int64_t last_sid;
        struct ab_hacc *acc; /* the values of each series, as they come */
        size_t runs_cap, rmap_cap, series_cap, flags_cap, sites_cap, sets_cap, setmap_cap,
            runsets_cap;
};

void ab_hbuild_begin(struct ab_hbuild *b, struct ab_history *h, const char *db,
                     const struct ab_hfilter *filter);
int ab_hbuild_run(struct ab_hbuild *b, int64_t id, const char *created, const char *rev,
                  const char *host, const char *file, char *err, size_t errlen);
int ab_hbuild_series(struct ab_hbuild *b, int64_t id, const char *host, const char *alloc,
                     const char *workload, const char *point, const char *metric, char *err,
                     size_t errlen);
int ab_hbuild_index(struct ab_hbuild *b, char *err, size_t errlen);
/* Whether the flags of runs[run] are wanted: it is the latest run of its
 * host, and the filter takes that host. */
bool ab_hbuild_wants_flags(const struct ab_hbuild *b, size_t run);
int ab_hbuild_sample(struct ab_hbuild *b, int64_t series_id, int64_t run_id, double value,
                     char *err, size_t errlen);
/* A flag of runs[run] (one ab_hbuild_wants_flags); kept when the filter's
 * allocator and workload lists take it. */
int ab_hbuild_flag(struct ab_hbuild *b, size_t run, const char *kind, const char *severity,
                   const char *alloc, const char *workload, const char *where, const char *message);
/* A site (kept when the filter's host, allocator, workload and point take
 * it; frames may be NULL). */
int ab_hbuild_site(struct ab_hbuild *b, int64_t id, const char *host, const char *alloc,
                   const char *workload, const char *point, const char *key, const char *frames,
                   char *err, size_t errlen);
/* A run saw site site_id: its verdict and note then (NULL: none), whether
 * no verdict matched, its left-over per round and live bytes at the end
 * (NAN: unknown). */
int ab_hbuild_site_run(struct ab_hbuild *b, int64_t site_id, int64_t run_id, const char *verdict,
                       bool verdict_new, const char *note, double left_per_round, double live_end,
                       char *err, size_t errlen);
/* A distinct set of run settings: its id and canonical JSON. */
int ab_hbuild_settings(struct ab_hbuild *b, int64_t id, const char *value, char *err,
                       size_t errlen);
/* Run run_id had settings settings_id for allocator alloc and workload
 * workload ("" "": the run's own). Kept when the filter's host takes the
 * run and its allocator and workload lists take them (or they are ""). */
int ab_hbuild_run_settings(struct ab_hbuild *b, int64_t run_id, const char *alloc,
                           const char *workload, int64_t settings_id, char *err, size_t errlen);
int ab_hbuild_end(struct ab_hbuild *b);
/* Free what was built so far, the history included. */
void ab_hbuild_abort(struct ab_hbuild *b);

#endif
