/*
 * progress.h - telling a person how far a run is, on stderr, never in files
 * or on stdout.
 *
 * Progress is counted in units of work (bench run: timed repetitions; the
 * matrix adds units when adaptive repetitions go on). On a terminal one line
 * is redrawn in place: the point, the allocator, what runs now, the time
 * spent and an estimate of the time left. When stderr is not a terminal (a
 * CI log) a full line is printed when a unit finishes, at most every
 * AB_PROGRESS_EVERY_S seconds, so a log shows the run moving without
 * drowning in it. The estimate is the time per finished unit times the
 * units left: a rough figure, said as one (units added later, and the
 * passes after the timed repetitions, are not in it).
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
        size_t total, done; /* units of work */
        size_t printed;     /* done when the last line was printed */
        char point[160];    /* "calloc-sweep size=16 MiB" */
        char phase[96];     /* "round 2 of 6", or "" */
        bool open_ended;    /* units are added as they start: no estimate */
};

/* quiet: nothing at all. total: the units known at the start (more can be
 * added). */
void ab_progress_init(struct ab_progress *p, bool quiet, bool tty, size_t total);

/* n more units of work. */
void ab_progress_add_units(struct ab_progress *p, size_t n);

/* Where the work is ("round 2 of 6"), shown with the counts; open_ended:
 * the units left are not known (each is added as it starts), so no
 * estimate of the time left is given. */
void ab_progress_phase(struct ab_progress *p, const char *phase, bool open_ended);

/* The point that runs now: its label, as a person names it. */
void ab_progress_point(struct ab_progress *p, const char *label);

/* What runs now at the current point ("glibc rep 3", "jemalloc probe"). */
void ab_progress_step(struct ab_progress *p, const char *alloc, const char *what);

/* A unit (a repetition) is finished. */
void ab_progress_unit_done(struct ab_progress *p);

/* Remove the redrawn line before the results are printed. */
void ab_progress_clear(struct ab_progress *p);

/* "1m05s" / "12s" / "0.4s", for progress lines. */
void ab_progress_fmt_secs(double s, char *buf, size_t len);

#endif
