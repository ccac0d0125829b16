/*
 * dashboard.h - `bench history html DIR`: the history as one static page.
 */
#ifndef AB_HISTORY_DASHBOARD_H
#define AB_HISTORY_DASHBOARD_H

#include <stddef.h>

#include "report/history/history.h"

/* Write DIR/index.html (self-contained: inline SVG and CSS, a little inline
 * script, no network) for h, whose change points are found, copying figures
 * found next to the latest runs' results files into DIR/figures/ (figures.h).
 * DIR is created if missing; index.html is replaced atomically. Returns 0 or
 * a negative errno with a message in err. */
int ab_dashboard_write(const char *dir, const struct ab_history *h, char *err, size_t errlen);

#endif
