/*
 * history.h - the history store as the history commands (history.c) and the
 * dashboard writer (dashboard.c) read it, and the formatting they share.
 */
#ifndef AB_HISTORY_H
#define AB_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/changepoint.h"


/* A results file added to the store. Strings are owned by the history. */
struct ab_hrun {
        int64_t id;    /* runs.id */
        char *created; /* UTC ISO-8601, the time key */
        char *rev;     /* NULL when none was given */
        char *host;
        char *file;  /* the results file, as added */
        bool latest; /* the newest run of its host */
};

/* One series: a figure of one point of one allocator and workload on one
 * host, one value per run that measured it, oldest first. */
struct ab_hseries {
        int64_t id; /* series.id */
        char *host, *alloc, *workload, *point, *metric;
        const char *unit; /* "ns", "faults/op", "KiB" */
        size_t n;
        double *v;        /* v[i] measured by runs[run[i]] */
        size_t *run;      /* indices into ab_history.runs */
        struct ab_cp *cp; /* its change points (index into v), oldest first */
        size_t ncp;
};

/* A flag the detectors raised in a run's results file. */
struct ab_hflag {
        size_t run; /* index into ab_history.runs */
        char *kind, *severity, *alloc, *workload, *where, *message;
};

struct ab_history {
        const char *db;
        struct ab_cp_params params;
        struct ab_hrun *runs; /* oldest first (created, then id) */
        size_t nruns;
        struct ab_hseries *series; /* by host, workload, point, allocator, metric */
        size_t nseries;
        struct ab_hflag *flags; /* of the latest run of each host */
        size_t nflags;
};

/* True when the series' newest change point is an increase: every tracked
 * figure is worse when higher, so that is a regression. */
bool ab_hseries_regressed(const struct ab_hseries *s);

/* v for a person, by unit: "37.8ns" or "1.20us" ("ns"), "1.6M" or "40K"
 * ("KiB"), "0.02" (anything else); "-" for NaN. Writes into buf. */
const char *ab_hvalue_str(double v, const char *unit, char *buf, size_t len);

/* Order for people: runs of digits compare as numbers ("size=4096" before
 * "size=65536"), everything else byte by byte. strcmp's sign convention. */
int ab_natcmp(const char *a, const char *b);

/* A p value for a person: "0.00032", or "<1e-16" below what a double tells
 * apart from 1 in the test (the tail underflows; 0 would claim certainty). */
const char *ab_hp_str(double p, char *buf, size_t len);

/* dashboard.c: write DIR/index.html (self-contained: inline SVG and CSS, a
 * little inline script, no network) for h, copying figures found next to the
 * latest runs' results files into DIR/figures/. DIR is created if missing;
 * index.html is replaced atomically. Returns 0 or a negative errno with a
 * message in err. */
int ab_dashboard_write(const char *dir, const struct ab_history *h, char *err, size_t errlen);


#endif
