/*
 * resfile.h - reading results files back (plot, compare, history): load and
 * validate a document, and name its points the same way everywhere.
 */
#ifndef AB_RESFILE_H
#define AB_RESFILE_H

#include <jansson.h>
#include <stddef.h>

/* Load FILE and check it is an allocbench results document this version
 * reads (schema allocbench/results/1, runs an array of objects with
 * allocator.name, workload.name and points). NULL with a message naming the
 * file, the problem and the accepted form in err. The caller owns the result. */
json_t *ab_results_load(const char *path, char *err, size_t errlen);

/* The workload of a run as its identity: the workload name, and for cmd the
 * program too ("cmd: python3 leaky.py", the program's base name and its
 * arguments), so runs of different programs never pair. Writes into buf. */
const char *ab_run_workload_id(json_t *run, char *buf, size_t len);

/* The identity of a point across files: "ALLOC|WORKLOAD|k=v;k=v" (WORKLOAD as
 * ab_run_workload_id names it; params in key order; "-" for a point without
 * a sweep). Writes into buf. */
const char *ab_res_point_key(json_t *run, json_t *point, char *buf, size_t len);

/* The params part alone ("size=4096", or "-" when there are none). A label
 * longer than len keeps what fits, in whole UTF-8 characters, and ends with a
 * hash of all the parameters ("#" and 16 hex digits), so distinct points keep
 * distinct labels. */
const char *ab_point_label(json_t *point, char *buf, size_t len);

#endif
