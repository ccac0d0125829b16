/*
 * arec_cut.h - rounds of an allocation record as a record of their own
 * (bench trace cut; arec_cut.c says how).
 */
#ifndef AB_AREC_CUT_H
#define AB_AREC_CUT_H

#include <stddef.h>
#include <stdint.h>

#include "trace/arec_sim.h"

/* Rounds first..last (0-based, as the results file numbers them) of a:
 * 0 with the new record in *out (malloc'd) and its length, or -errno with
 * the message in err. */
int ab_arec_cut(const struct ab_arec *a, uint64_t first, uint64_t last, uint8_t **out,
                size_t *outlen, char *err, size_t errlen);

#endif
