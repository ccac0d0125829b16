/*
 * publish.h - a finished results document (its flags decided) written to
 * its target and shown: what bench run and bench merge both end with, so
 * that a merged document is written and printed exactly as a run's is.
 */
#ifndef AB_PUBLISH_H
#define AB_PUBLISH_H

#include <jansson.h>
#include <stdio.h>

#include "core/log.h"
#include "measure/target.h"

/* More lines under the table's flags (bench run's verdicts line), or NULL. */
typedef void (*ab_publish_extra_fn)(FILE *f, void *arg);

/* Write doc to t atomically (ab_target_publish: never over another run's
 * file, $TMPDIR when the target's file system refuses it) and show it on
 * stdout as fmt asks: the table and the flags (then extra), the document,
 * or CSV, all from the document's view. Says on stderr where it went.
 * *worst is the highest severity rank of the flags that count (a flag a
 * verdict accepted does not), -1 for none. Returns 0; -EIO when the
 * document went to $TMPDIR instead; -errno when it could be written nowhere
 * (it then follows on stderr); -ENOMEM before anything was written. */
int ab_publish(json_t *doc, const struct ab_target *t, enum ab_format fmt,
               ab_publish_extra_fn extra, void *arg, int *worst);

#endif
