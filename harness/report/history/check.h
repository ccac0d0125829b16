/*
 * check.h - `bench history show` and `bench history check`: the history
 * printed as text tables or JSON on stdout.
 */
#ifndef AB_HISTORY_CHECK_H
#define AB_HISTORY_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "report/history/history.h"

/* Every series with its values (last: only the newest that many; 0: all).
 * Returns bench's exit code: AB_OK, or AB_BAD_INPUT when stdout fails. */
int ab_hshow(const struct ab_history *h, size_t last, bool json);

/* The allocation sites (h loaded with AB_LOAD_SITES): each with its verdict
 * and note in the newest run that saw it, the runs that saw it, its
 * left-over per round and live bytes then. Returns AB_OK, or AB_BAD_INPUT
 * when stdout fails. */
int ab_hshow_sites(const struct ab_history *h, bool json);

/* The change points found (ab_history_detect ran) and the series whose
 * newest change is an increase. Returns AB_REGRESSION when there is one,
 * else AB_OK. */
int ab_hcheck(const struct ab_history *h, bool json);

#endif
