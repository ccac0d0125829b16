/*
 * figures.h - the figures a dashboard links: those bench plot drew for each
 * host's latest results file, copied into the dashboard while that results
 * file still exists, and every PNG and SVG already in it.
 */
#ifndef AB_HISTORY_FIGURES_H
#define AB_HISTORY_FIGURES_H

#include <stddef.h>

#include "report/history/history.h"

/* A list of strings, each malloc'd. */
struct ab_names {
        char **v;
        size_t n, cap;
};

/* Copy into DIR/figures/ the figures named after each latest run's results
 * file (NAME-*.png|svg or NAME+*.png|svg next to NAME.json, or in a
 * directory NAME/ beside it), then list every figure under DIR, three
 * levels deep, as paths relative to DIR in natural order, into out. Only
 * regular files are read (never a FIFO, never through a symbolic link);
 * what cannot be copied is left out, silently: the page links what is
 * there. */
void ab_figures_collect(const char *dir, const struct ab_history *h, struct ab_names *out);

void ab_names_free(struct ab_names *l);

#endif
