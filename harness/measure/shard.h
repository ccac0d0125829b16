/*
 * shard.h - one deterministic part of bench run's matrix (--shard K/N), so
 * that the schedulers users already have (a CI matrix, a Slurm job array,
 * GNU parallel over ssh) can run one matrix on many machines, and bench
 * merge can join the parts into the document one run would have written.
 *
 * The cells of a matrix are its (workload, point, allocator) triples in
 * canonical order: workloads in --workload order, within a workload its
 * points in sweep order, within a point the allocators in --alloc order
 * (each launcher of a --wrap list counting as allocators of their own, as
 * in the results' runs). Cell i goes to shard
 *
 *     ((i mod N) + floor(i / N)) mod N + 1
 *
 * round-robin, turned by one every N cells: every run of N consecutive
 * cells gives one to each shard, so the shards' cell counts differ by at
 * most one and the union of shards 1..N is the matrix, each cell once; the
 * turn keeps a shard from getting every cell of one allocator when the
 * allocators number a multiple of N (the slowest allocator's shard would
 * take longest). The rule reads nothing but indices: the same command gives
 * the same shards on any machine, at any time.
 */
#ifndef AB_SHARD_H
#define AB_SHARD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "measure/bench.h"

/* The rule's name in the results (shard.rule): a new rule gets a new name. */
#define AB_SHARD_RULE "round-robin-turned/1"
/* The most shards of a matrix (--shard K/N: N at most this). */
#define AB_SHARD_MAX 100000
/* The accepted form, for messages. */
#define AB_SHARD_FORM                                                                              \
        "K/N, the K-th of N shards, whole numbers with 1 <= K <= N <= 100000, such as 2/4"

/* "K/N" into k and n: 0, or -EINVAL with err saying what is wrong (not the
 * form, which callers add). */
int ab_shard_parse(const char *text, unsigned *k, unsigned *n, char *err, size_t errlen);

/* The shard (1 to n) cell i goes to. */
unsigned ab_shard_of(uint64_t cell, unsigned n);

/* The canonical index of (job, point, alloc) in o's matrix, and the cells
 * the matrix has. */
uint64_t ab_shard_cell(const struct ab_opts *o, size_t job, size_t point, size_t alloc);
uint64_t ab_shard_cells(const struct ab_opts *o);

/* Is (job, point, alloc) o's to run: always without --shard. */
bool ab_shard_mine(const struct ab_opts *o, size_t job, size_t point, size_t alloc);
/* Is any allocator's cell of (job, point) o's to run? */
bool ab_shard_point_mine(const struct ab_opts *o, size_t job, size_t point);
/* How many cells are o's. */
uint64_t ab_shard_count_mine(const struct ab_opts *o);

#endif
