/*
 * recfile.h - allocation records on the harness's side: checking the one a
 * replay job names before anything runs, unpacking a zstd-compressed one
 * for the runner (which maps it, and links no decompressor), and writing
 * the one a traced run recorded (--record) where the user asked.
 */
#ifndef AB_RECFILE_H
#define AB_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/arec_read.h"
#include "trace/arec_sim.h"

/* zstd's frame magic at the start of p[0..len). */
bool ab_recfile_is_zstd(const uint8_t *p, size_t len);

/* Read `path` whole (unpacking zstd): 0 with *data (malloc'd) and *len, or
 * -errno with a message naming the file. */
int ab_recfile_load(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen);

/* Check the record at `path` through and through (every event played:
 * arec_sim.h): 0 with *st, or -errno with the message (the file, the byte
 * offset, what is wrong, the accepted form). */
int ab_recfile_check(const char *path, struct ab_arec_stats *st, char *err, size_t errlen);

/* The file the runner maps for `path`: path itself, or, compressed, its
 * contents unpacked into dir (out: the new file). 0 or -errno (err). */
int ab_recfile_local(const char *path, const char *dir, size_t tag, char *out, size_t outlen,
                     char *err, size_t errlen);

/* Write the record at `from` (the tracer's, in the temporary directory)
 * to `to`, compressed with zstd when `to` ends in .zst, through a
 * temporary file beside it renamed over it (never half a file). 0 or
 * -errno (err). */
int ab_recfile_publish(const char *from, const char *to, char *err, size_t errlen);

#endif
