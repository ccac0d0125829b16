/*
 * series.h - change points per series (core/changepoint.h), each series
 * tested with its metric's noise floor (doc/metrics.def).
 */
#ifndef AB_HISTORY_SERIES_H
#define AB_HISTORY_SERIES_H

#include "report/history/history.h"

/* Find the change points of every series of h with h->params, the floor
 * its metric's noise floor and, for a floor above 0, on a log scale; an
 * exact series (an exact count, ab_hseries.exact) by ab_cp_exact with
 * h->exact_eps: any step beyond it, from one run on. A
 * series the detector cannot test (a negative value on a log scale, from a
 * store written before add refused them, or one edited by hand) is skipped
 * with a warning on stderr: it has no change points. Returns 0 or -ENOMEM. */
int ab_history_detect(struct ab_history *h);

#endif
