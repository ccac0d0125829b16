/*
 * detect.h - pathology detectors (SPEC §4). Each detector is one file with one
 * function over a results document: it reads a run (and the document's host
 * and calibration) and appends flags. Detectors are pure: no I/O, no clock,
 * no global state, so the same document gives the same flags on any machine,
 * and each is unit-tested on hand-made JSON.
 *
 * Decisions come from counts first (faults, RSS, VSZ, page tables, live
 * bytes) and from time only relative to this machine's calibration.
 */
#ifndef AB_DETECT_H
#define AB_DETECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*ab_detector_fn)(json_t *doc, json_t *run, json_t *flags);

/* Run every detector over every run of doc and set doc["flags"], most severe
 * first. Returns the number of flags. */
size_t ab_detect_all(json_t *doc);

/* Severity rank: info 0, warn 1, high 2; -1 for anything else. */
int ab_severity_rank(const char *s);

/* Build and append one flag (SPEC §4 fields). where and evidence are stolen. */
__attribute__((format(printf, 7, 8))) void
ab_flag_add(json_t *flags, json_t *run, const char *kind, const char *severity, json_t *where,
            json_t *evidence, const char *fmt, ...);
/* The hint of the flag just added. */
__attribute__((format(printf, 2, 3))) void ab_flag_hint(json_t *flags, const char *fmt, ...);

/* Least-squares trend of y[skip..n) against its index. significant: the
 * slope is above zero with p < 0.01 (one-sided t test), or every point lies on
 * the line and it rises. */
struct ab_trend {
        double slope, intercept, se, t;
        size_t n;
        bool significant;
};
int ab_trend_fit(const double *y, size_t n, size_t skip, struct ab_trend *t);

/* Rounds discarded as warm-up before a trend is fitted. */
size_t ab_trend_warmup(size_t n);

/* A JSON number, or null for NaN (json_pack's "f" refuses NaN). */
json_t *ab_jreal(double v);

/* Accessors that treat a missing or null figure as NAN / -1. */
double ab_num(json_t *o, const char *key);
const char *ab_str(json_t *o, const char *key);
const char *ab_kernel(json_t *run);
const char *ab_alloc_name(json_t *run);
json_t *ab_param(json_t *run, const char *key);

/* The cost of a point's op for decisions: its CPU time per op (user + sys:
 * what the process itself spent, which another program's load on the machine
 * does not stretch) where the file has it, else its wall time. Returns the
 * summary object ({median, ci95_lo, ci95_hi, ...}) or NULL, and names it. */
json_t *ab_point_cost(json_t *point, const char **which);

/* The calibrated cost of zeroing `size` bytes, or -1 (see calibrate.c). */
double ab_calib_memset_ns(json_t *cal, uint64_t size);

/* "32 MiB", for messages. */
const char *ab_size_str(double bytes, char *buf, size_t len);

/* A detector's definition: AB_DETECTOR(name) { ... } */
#define AB_DETECTOR(name) void ab_detect_##name(json_t *doc, json_t *run, json_t *flags)
#define AB_DETECTOR_DEF(name) AB_DETECTOR(name);
#include "detect/detectors.def"
#undef AB_DETECTOR_DEF

#endif
