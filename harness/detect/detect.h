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

#include "doc/doc.h"

/* The flags detectors raise, in the order they raise them: each a JSON
 * object of SPEC §4 and its severity rank. */
struct ab_flags {
        struct ab_flag_entry {
                json_t *flag; /* owned */
                int rank;
        } *v;
        size_t n, cap;
};

/* The flags as a JSON array (the references stay with fl), and fl's end. */
json_t *ab_flags_json(const struct ab_flags *fl);
void ab_flags_free(struct ab_flags *fl);

/* A detector: reads one run of the document (and its host and calibration)
 * and appends flags to `flags`. */
typedef void (*ab_detector_fn)(const struct ab_doc *d, const struct ab_vrun *run,
                               struct ab_flags *flags);

/* Every detector over every run of d: a new array of flags, most severe
 * first (the detectors' order within a severity), or NULL when out of memory. */
json_t *ab_detect_all(const struct ab_doc *d);

/* The same over a document in memory, setting its "flags" (replacing what
 * was there). Returns the number of flags, or -1 (out of memory, or not a
 * results document). */
long ab_detect_json(json_t *doc);

/* Build and append one flag (SPEC §4 fields). where and evidence are stolen. */
__attribute__((format(printf, 7, 8))) void
ab_flag_add(struct ab_flags *flags, const struct ab_vrun *run, const char *kind,
            const char *severity, json_t *where, json_t *evidence, const char *fmt, ...);
/* The hint of the flag just added. */
__attribute__((format(printf, 2, 3))) void ab_flag_hint(struct ab_flags *flags, const char *fmt,
                                                        ...);

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

/* The cost of a point's op for decisions: its CPU time per op (user + sys:
 * what the process itself spent, which another program's load on the machine
 * does not stretch) where the file has it, else its wall time; which names
 * the figure ("cpu_ns_per_op" or "ns_per_op"). */
const struct ab_vsum *ab_point_cost(const struct ab_vpoint *p, const char **which);

/* The run of the same allocator and workload made without a launcher,
 * when run was made under one (--wrap none,qemu-x86_64): what a growth under
 * the launcher is compared with. NULL when there is none. */
const struct ab_vrun *ab_native_sibling(const struct ab_doc *d, const struct ab_vrun *run);

/* The rounds a trend is fitted on: a program that named phases has its last
 * phase's rounds (the start-up it marked is not the steady state); others
 * all of them. Returns the first round's index into run->rounds. */
size_t ab_trend_rounds(const struct ab_vrun *run);

/* A point's params, copied for a flag's where. */
json_t *ab_where_point(const struct ab_vpoint *p);
/* A site's where: its point's params (when the run sweeps them) and its key. */
json_t *ab_where_site(const struct ab_vsite *s);
/* The site's innermost frames, "xalloc < timer_new < open_conn", for a
 * message (the key in the flag's where has them all). */
const char *ab_site_name(const struct ab_vsite *s, char *buf, size_t len);
/* What the point's sites of s's source (tracer or strace) left mapped at
 * the end: bytes mapped (reservations included) less bytes unmapped, over
 * every stack; NAN when a figure is missing. A munmap counts on the stack
 * that calls it, not the mapping's: a mapping freed in another function,
 * or by a tail call (munmap ending a function that mapped is a jump at
 * -O2), is unmapped on another stack; this sees it was. */
double ab_site_net_mapped(const struct ab_vrun *run, const struct ab_vsite *s);

/* "32 MiB", for messages. */
const char *ab_size_str(double bytes, char *buf, size_t len);

/* What musl's mallocng does with freed memory, for the hints of the flags it
 * raises (size-cliff, map-churn on calloc-sweep): from musl 1.2.3's source
 * (mallocng's bounce accounting covers size classes 7 to 38) and the counts
 * of an strace pass (an mmap and a munmap per op from 32 KiB). */
#define AB_HINT_MUSL_UNMAPS                                                                        \
        "musl's mallocng unmaps a size class's group as soon as its last block is freed (it "   \
        "keeps it only once it has seen the class bounce, which it tracks for blocks up to "    \
        "about 26 KiB) and maps every block from 128 KiB on its own, so a loop that frees its " \
        "only block of a size maps and unmaps memory on every op"

/* A detector's definition: AB_DETECTOR(name) { ... } */
#define AB_DETECTOR(name)                                                                          \
        void ab_detect_##name(const struct ab_doc *doc, const struct ab_vrun *run,                 \
                              struct ab_flags *flags)
#define AB_DETECTOR_DEF(name) AB_DETECTOR(name);
#include "detect/detectors.def"
#undef AB_DETECTOR_DEF

#endif
