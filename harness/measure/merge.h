/*
 * merge.h - `bench merge FILE.. -o OUT` (measure/ internal): the results
 * files of the shards of one matrix (bench run --shard K/N, shard.h) joined
 * into the document one run of the whole matrix would have written.
 *
 *   merge.c        the command: options, reading and checking the shards
 *                  (one split, one command, one host, each cell once, none
 *                  missing, unless asked), the detectors again, the write
 *   merge_build.c  where each cell's point is in the shards, and the merged
 *                  document built from them
 *
 * It lives in measure/ because it ends as bench run ends, through the same
 * target checks and atomic, never-clobbering write (target.c, publish.c),
 * and must agree with bench run on the shard rule (shard.c); report/ may
 * not include measure/, and the detectors (detect/) and the verdicts
 * (report/verdict.h) are layers measure/ may call.
 *
 * Shards and the merged document are JSON trees the caller owns; functions
 * that fail say why on stderr (bench merge: ...) and return an exit code or
 * NULL.
 */
#ifndef AB_MERGE_H
#define AB_MERGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doc/doc.h"

/* One shard's results file. */
struct ab_merge_in {
        const char *path;
        struct ab_doc doc; /* its view; doc.json the document */
        json_t *shard;     /* borrowed: the document's "shard" */
        unsigned k, n;     /* shard k of n */
};

/* The matrix the shards split (shard.matrix): cell
 * base[j] + point * nallocs + alloc is (workload j, point, allocator). */
struct ab_merge_matrix {
        json_t *json; /* borrowed: the first shard's shard.matrix */
        size_t nallocs, njobs;
        size_t *npoints, *base; /* per workload */
        uint64_t ncells;
};

/* Where a cell's point is: shard (index into the inputs; -1 when no shard
 * has it), the run of that shard's document and the point of that run. */
struct ab_merge_cell {
        int shard;
        size_t run, point;
};

/* The matrix of shard.matrix into mx: 0, or AB_BAD_INPUT (said). */
int ab_merge_matrix_read(json_t *matrix, const char *path, struct ab_merge_matrix *mx);
void ab_merge_matrix_free(struct ab_merge_matrix *mx);

/* "jemalloc calloc-sweep size=4096": cell c of mx, for messages. */
const char *ab_merge_cell_name(const struct ab_merge_matrix *mx, uint64_t c, char *buf, size_t len);

/* Each cell's point in the shards (cells has mx->ncells entries, all
 * shard -1 on entry): every shard's runs checked against the cells its
 * shard object names. 0, or AB_BAD_INPUT (said: a shard whose runs are
 * not its cells', or a cell in two shards). */
int ab_merge_locate(struct ab_merge_in *in, size_t nin, const struct ab_merge_matrix *mx,
                    struct ab_merge_cell *cells);

/* The merged document: in[0]'s top level (host, calibration, settings),
 * the runs of the matrix in canonical order with every point the shards
 * hold, each run's rounds, timeline, trace and sites with their point
 * indices made the merged run's, op_hash and status recomputed; "shard"
 * replaced by `merge` (stolen); flags empty (the caller runs the
 * detectors). NULL when out of memory. */
json_t *ab_merge_build(struct ab_merge_in *in, size_t nin, const struct ab_merge_matrix *mx,
                       const struct ab_merge_cell *cells, json_t *merge);

#endif
