/*
 * progress.h - telling a person how far a run is, on stderr, never in files
 * or on stdout.
 *
 * On a terminal one line is redrawn in place: the point, the allocator, what
 * runs now, the time spent and an estimate of the time left. When stderr is
 * not a terminal (a CI log) a full line is printed when a point finishes, at
 * most every AB_PROGRESS_EVERY_S seconds, and always for the last one, so a
 * log shows the run moving without drowning in it. The estimate is the time
 * per finished point times the points left: a rough figure, said as one.
 * Memory here is the parent's own (it is never measured).
 */
#ifndef AB_PROGRESS_H
#define AB_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AB_PROGRESS_EVERY_S 5

struct ab_progress {
        bool tty;   /* redraw one line */
        bool lines; /* print a line per finished point (not a terminal) */
        uint64_t start_ns, last_line_ns;
        size_t total, done; /* points of the whole matrix */
        char point[160];    /* "calloc-sweep size=16 MiB" */
};

/* quiet: nothing at all. total: the points of the matrix (each counted once,
 * whatever the number of allocators). */
void ab_progress_init(struct ab_progress *p, bool quiet, bool tty, size_t total);

/* A new point starts: its label, as a person names it. */
void ab_progress_point(struct ab_progress *p, const char *label);

/* What runs now at the current point ("glibc rep 3", "jemalloc probe"). */
void ab_progress_step(struct ab_progress *p, const char *alloc, const char *what);

/* The current point is finished. */
void ab_progress_point_done(struct ab_progress *p);

/* Remove the redrawn line before the results are printed. */
void ab_progress_clear(struct ab_progress *p);

/* "1m05s" / "12s" / "0.4s", for progress lines. */
void ab_progress_fmt_secs(double s, char *buf, size_t len);

#endif
