/*
 * target.h - where bench run's results file goes, checked before anything
 * runs and written so that no result is lost and no file clobbered.
 *
 * Up front (ab_target_check): the target must be a regular file or not
 * exist yet (a device, FIFO, directory or socket is refused; a symlink is
 * followed, deliberately, and its target must be a regular file or absent),
 * in a directory that exists and takes a new file (one is made and removed
 * to be sure). The default name, results/UTC-HOST.json, only needs its
 * directory creatable; results/ is made when the file is written.
 *
 * At the end (ab_target_publish): the document is written to a temporary
 * file beside the target, synced, and published over the target only if
 * nobody else wrote it meanwhile (another run with the same -o, or started
 * the same second with the default name); otherwise it goes to a free
 * NAME-2.json, NAME-3.json, ... beside it, never over another run's file.
 * If the target's file system refuses it (full, gone read-only), it goes to
 * $TMPDIR (or /tmp), and the caller says where.
 */
#ifndef AB_TARGET_H
#define AB_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct ab_target {
        char path[PATH_MAX]; /* the file to write (a symlink's target) */
        bool existed;        /* the file was there when the run started */
        dev_t dev;
        ino_t ino;
        struct timespec mtime;
        off_t size;
};

/* Check `given` (the value of option `opt`, "-o" or "--record", or the
 * default name when is_default) and fill t. 0, or an exit code with the message said. */
int ab_target_check(struct ab_target *t, const char *opt, const char *given, bool is_default);

/* Write len bytes of data for t: 0 with the path written in out (t->path,
 * or a suffixed name beside it when another writer took t->path); 1 when
 * the target's directory refused it and the data went to $TMPDIR instead
 * (out, with why in err); -errno when it could be written nowhere (err). */
int ab_target_publish(const struct ab_target *t, const char *data, size_t len, char *out,
                      size_t outlen, char *err, size_t errlen);

#endif
