/*
 * report.h - the reporting commands and printers. Everything here reads
 * results documents through their view (doc/doc.h) and never reaches back
 * into the measuring half (measure/, runner/, workloads/): a results file
 * from another machine or another version reads the same as one just written.
 * Commands take (argc, argv) with argv[0] the program, and return bench's
 * exit codes (core/log.h). Printers write to f and never fail.
 */
#ifndef AB_REPORT_H
#define AB_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "doc/doc.h"

/* The summary a run prints: one table per workload, allocators side by side. */
void ab_table_print(FILE *f, const struct ab_doc *d);
/* The flags, most severe first, with evidence and hint; then the top
 * allocation sites of each traced run (ab_table_sites_print). */
void ab_flags_print(FILE *f, const struct ab_doc *d);
/* Of each run traced with --trace, its top allocation sites: up to five,
 * the most left over per round first, then the most bytes allocated
 * (table_sites.c); nothing when no run was traced. */
void ab_table_sites_print(FILE *f, const struct ab_doc *d);
/* One CSV row per point (RFC 4180 quoting). */
void ab_csv_print(FILE *f, const struct ab_doc *d);
/* One CSV field (RFC 4180), after a comma unless first: quoted when it
 * holds a comma, a quote or a line break, its quotes doubled. */
void ab_csv_field(FILE *f, const char *s, bool first);

int ab_cmd_plot(int argc, char **argv);
int ab_cmd_compare(int argc, char **argv);
int ab_cmd_history(int argc, char **argv);
int ab_cmd_sites(int argc, char **argv);
int ab_cmd_verdicts(int argc, char **argv); /* verdict_cmd.c */

#endif
