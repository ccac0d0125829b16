/*
 * fsutil.h - files the way allocbench writes and finds them: atomically,
 * never onto something that is not a regular file, never blocking on a FIFO.
 * Functions return 0 or a negative errno, with a message naming the path and
 * the problem in err where they take one.
 */
#ifndef AB_FSUTIL_H
#define AB_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Write data to path atomically: a temporary file beside it, fsync, rename.
 * The temporary file is removed on failure; path is untouched. */
int ab_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* A program by name through PATH (a name with a slash is taken as it is):
 * 0 and its path in out, or -ENOENT. */
int ab_which(const char *name, char *out, size_t len);

/* mkdir -p. */
int ab_mkdir_p(const char *dir);

/* A regular file that exists. */
bool ab_is_regular(const char *path);

/* A directory that exists. */
bool ab_is_dir(const char *path);

#endif
