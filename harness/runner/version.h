/*
 * version.h - runner side: which library serves malloc in this process, and
 * what version it says it is. Asking the loaded library itself proves the
 * preload took effect: a name on the command line proves nothing.
 */
#ifndef AB_VERSION_H
#define AB_VERSION_H

#include <stddef.h>

#include "runner/proto.h" /* enum ab_vquery */

/* The version the loaded allocator reports for query q, into buf ("" when
 * unknown). Returns 0, or -1 when the query is unavailable. */
int ab_version_query(enum ab_vquery q, char *buf, size_t len);

/* The file of the object that serves malloc here (dladdr), or "unknown". A
 * static runner (AB_RUNNER_STATIC: ab-runner-musl) names itself, by self
 * (its argv[0], which bench gives as a path): its malloc is linked in. */
int ab_version_malloc_owner(const char *self, char *buf, size_t len);

#endif
