#include <stdio.h>
#include <string.h>

#include "prim/prim.h"
#include "core/progress.h"

void ab_progress_init(struct ab_progress *p, bool quiet, bool tty, size_t total)
{
        memset(p, 0, sizeof *p);
        p->tty = !quiet && tty;
        p->lines = !quiet && !tty;
        p->total = total;
        p->start_ns = p->last_line_ns = ab_prim_now_ns();
}

void ab_progress_add_units(struct ab_progress *p, size_t n)
{
        p->total += n;
}

/* "12s elapsed, ~30s left" (no estimate before the first unit is done). */
static void times(const struct ab_progress *p, char *buf, size_t len)
{
        double el = (double)(ab_prim_now_ns() - p->start_ns) / 1e9;
        char a[32], b[32];
        ab_progress_fmt_secs(el, a, sizeof a);
        if (p->done == 0 || p->done >= p->total || p->open_ended) {
                snprintf(buf, len, "%s elapsed", a);
                return;
        }
        ab_progress_fmt_secs(el / (double)p->done * (double)(p->total - p->done), b, sizeof b);
        snprintf(buf, len, "%s elapsed, ~%s left", a, b);
}

/* A log's line: the counts, the phase, the last point, the times. */
static void print_line(struct ab_progress *p)
{
        char t[96];
        p->last_line_ns = ab_prim_now_ns();
        p->printed = p->done;
        times(p, t, sizeof t);
        fprintf(stderr, "bench: %zu/%zu repetitions done%s%s, last at %s (%s)\n", p->done,
                p->total, *p->phase ? ", " : "", p->phase, p->point, t);
}

void ab_progress_phase(struct ab_progress *p, const char *phase, bool open_ended)
{
        /* leaving open-ended work: its last count, which no line said yet */
        if (p->lines && p->open_ended && !open_ended && p->printed < p->done)
                print_line(p);
        snprintf(p->phase, sizeof p->phase, "%s", phase);
        p->open_ended = open_ended;
}

void ab_progress_fmt_secs(double s, char *buf, size_t len)
{
        if (s >= 60)
                snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
        else if (s >= 10)
                snprintf(buf, len, "%.0fs", s);
        else
                snprintf(buf, len, "%.1fs", s);
}

void ab_progress_point(struct ab_progress *p, const char *label)
{
        snprintf(p->point, sizeof p->point, "%s", label);
}

void ab_progress_step(struct ab_progress *p, const char *alloc, const char *what)
{
        char t[96];
        if (!p->tty)
                return;
        times(p, t, sizeof t);
        fprintf(stderr, "\r\033[K[%zu/%zu%s%s] %s  %s %s  (%s)",
                p->done < p->total ? p->done + 1 : p->total, p->total, *p->phase ? ", " : "",
                p->phase, p->point, alloc, what, t);
        fflush(stderr);
}

void ab_progress_unit_done(struct ab_progress *p)
{
        p->done++;
        if (!p->lines)
                return;
        if ((p->done < p->total || p->open_ended) &&
            ab_prim_now_ns() - p->last_line_ns < AB_PROGRESS_EVERY_S * 1000000000ull)
                return;
        print_line(p);
}

void ab_progress_clear(struct ab_progress *p)
{
        if (p->tty)
                fprintf(stderr, "\r\033[K");
}
