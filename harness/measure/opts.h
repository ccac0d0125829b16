/*
 * opts.h - the command line of `bench run` turned into struct ab_opts
 * (measure/bench.h). opts.c holds the table of options and reads the command
 * line; resolve.c turns what it read into allocators, jobs and a launcher
 * that exist on this machine. Functions return 0, an exit code (core/log.h)
 * after saying why on stderr, or -1 after --help was printed.
 */
#ifndef AB_OPTS_H
#define AB_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "measure/bench.h"

/* What the command line said, before it is resolved. */
struct ab_cli {
        struct ab_opts *o;
        const char *allocs, *workloads; /* comma lists as given */
        const char **sets;              /* --set KEY=VALUE, in order */
        size_t nsets;
        uint64_t threads; /* --threads, or 0 */
        const char *wrap; /* --wrap as given, or NULL */
        const char *trace_tuned; /* a --trace-* option given (for its check), or NULL */
        bool verdicts_given;     /* --verdicts FILE (it must exist) */
};

/* Read the options of argv into c (and c->o): each value checked against its
 * option's kind and range. Stops at the first non-option (the program of
 * cmd after --, or a stray word); optind is where it stopped. */
int ab_opts_scan(int argc, char **argv, struct ab_cli *c);

/* bench run --help, generated from the table. */
void ab_opts_usage(FILE *f);

/* The whole of `bench run`'s command line into o: defaults, the options, and
 * everything resolved and cross-checked (resolve.c). */
int ab_opts_parse(int argc, char **argv, struct ab_opts *o);

/* What ab_opts_parse allocated into o, whichever way it returned. */
void ab_opts_free(struct ab_opts *o);

/* The default results file: results/<UTC time>-<host>.json. */
char *ab_default_output(void);

#endif
