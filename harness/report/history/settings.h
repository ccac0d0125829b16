/*
 * settings.h - how each run was made, kept beside its figures, so that a
 * change point can say what changed with it: an environment variable given
 * with --env (MALLOC_PERTURB_ from run 5 on), the allocator's version, the
 * kernel or libc of the host, the options of the command.
 *
 * A run's settings are flat objects of strings, one for the run as a whole
 * and one per allocator x workload it ran:
 *
 *   the run's own     host.os, host.kernel, host.libc, host.arch,
 *                     host.cpu_model, host.cores, host.cpus, host.numa_nodes,
 *                     host.page_size, host.thp, host.platform, tool.version,
 *                     count (the instruction counting: callgrind, hardware),
 *                     syscalls, and command: the options that change how a
 *                     run measures (--reps, --precision, --wrap, --cpus,
 *                     --count, --timeout, ...) and a program's words after
 *                     --, in order. Not the results file, the output format,
 *                     the allocators and workloads asked for, --set or --env,
 *                     which differ from night to night or have settings of
 *                     their own
 *   per allocator     allocator.version, allocator.library, env.KEY (each
 *   and workload      --env), placement.cpus, placement.numa, seed, and
 *                     params.KEY for each scalar workload parameter
 *
 * The store keeps each distinct object once (canonical JSON: sorted keys,
 * compact, ASCII; identified by its SHA-256) and which one each run had, so
 * that a fleet's thousands of runs made the same way cost one row each.
 */
#ifndef AB_HISTORY_SETTINGS_H
#define AB_HISTORY_SETTINGS_H

#include <jansson.h>
#include <stddef.h>

#include "doc/doc.h"
#include "report/history/canon.h"
#include "report/history/history.h"

/* One set of a results file's settings: alloc and workload "" for the
 * run's own. Every string is malloc'd. */
struct ab_hsetting {
        char *alloc, *workload;
        char *value; /* canonical JSON */
        char digest[AB_HASH_HEX];
};

/* The settings of document d: the run's own first, then one per distinct
 * allocator x workload (its workload_id), in the document's order. Returns
 * 0 or -ENOMEM (nothing to free then). */
int ab_hsettings_of(const struct ab_doc *d, struct ab_hsetting **out, size_t *n);
void ab_hsettings_free(struct ab_hsetting *s, size_t n);

/* Fill every series' steps: each index where the settings of its runs
 * changed (for its allocator and workload, or of the run as a whole), with
 * what changed. A run whose settings the store does not know (added by an
 * older bench) is no step either side. h loaded with AB_LOAD_SETTINGS.
 * Returns 0 or -ENOMEM. */
int ab_history_explain(struct ab_history *h);

/* The step of s at index (where a change point is), or NULL. */
const struct ab_hstep *ab_hseries_step_at(const struct ab_hseries *s, size_t index);

/* "env.MALLOC_PERTURB_: unset -> 85; allocator.version: 2.36 -> 2.37" into
 * buf, values longer than 60 bytes cut; "" for NULL. Returns buf. */
const char *ab_hstep_text(const struct ab_hstep *st, char *buf, size_t len);

/* The settings of runs[run] for alloc and workload merged over the run's
 * own (alloc NULL: the run's own only), as a new JSON object; NULL when the
 * store has none for the run or on no memory. */
json_t *ab_hrun_settings(const struct ab_history *h, size_t run, const char *alloc,
                         const char *workload);

#endif
