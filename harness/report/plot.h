/*
 * plot.h - what the files of `bench plot` share; internal to report/.
 *
 * plot.c is the command (options, the results files, which figures a
 * document gets); plot_figure.c draws one figure with gnuplot and publishes
 * it only when it is whole; plot_text.c holds the text every figure writes
 * (.dat strings and numbers, names from results files made safe, subtitles);
 * plot_size.c, plot_rounds.c, plot_memory.c, plot_timeline.c and
 * plot_sites.c each build one kind of figure from the results document's view (doc/doc.h). Nothing
 * here reads a results file any other way.
 *
 * Names from a results file (allocator, workload, host, parameters, the file
 * name itself) are data: every one that reaches a title, a legend or a .dat
 * comment goes through ab_plot_clean first, so a control character cannot
 * break a line and a long name is cut on a UTF-8 character boundary.
 *
 * Functions return 0 or a negative errno, and say what went wrong on stderr
 * ("bench plot: ...") before returning it; ab_cmd_plot turns that into exit 1.
 */
#ifndef AB_REPORT_PLOT_H
#define AB_REPORT_PLOT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "doc/doc.h"

/* Pixel size of every PNG (and the SVG canvas). */
#define AB_PLOT_W 1000
#define AB_PLOT_H 650

/* Bytes of a name as it appears in a legend: an allocator, "@ host", "(file)". */
#define AB_PLOT_LEGEND 160
/* Bytes of a name inside a figure's title (a workload, an allocator). */
#define AB_PLOT_TITLE_NAME 200

/* One results file given on the command line. */
struct ab_plot_src {
        const char *path;
        struct ab_doc doc;
        char dir[PATH_MAX]; /* where its figures go: DIR, or the file's directory ("" = cwd) */
        char base[256];     /* file name without .json: the figures' prefix */
        char host[128];     /* host.hostname cleaned, "?" when absent */
};

/* One run taking part in a figure. */
struct ab_plot_member {
        struct ab_plot_src *s;
        const struct ab_vrun *run;
};

struct ab_plot {
        struct ab_plot_src *src;
        size_t nsrc;
        const char *outdir;
        char gnuplot[PATH_MAX];
        char scripts[PATH_MAX]; /* the plots/ directory */
        char **stems;           /* outputs so far, without extension: no clobbering */
        size_t nstems;
        char **allocs; /* other allocators, in order of appearance: colours 5.. */
        size_t nallocs;
        size_t figures;
};

/* What one figure is made of. stem is DIR/NAME-KIND (from ab_plot_stem);
 * script a file in plots/; what the title, also the .dat's first line;
 * columns the .dat's layout for a person; data the .dat's body; vars the
 * gnuplot assignments beyond datafile and out ("title=...; w=1000; ..."). */
struct ab_plot_fig {
        const char *stem, *script, *what, *columns, *data, *vars;
};

/* ---- plot_figure.c ------------------------------------------------------------- */

/* Draw f: write stem.dat, run gnuplot for stem.png and stem.svg, all as
 * hidden temporaries beside them; check that the .dat was written whole, the
 * PNG ends with its IEND chunk and the SVG with </svg> (gnuplot exits 0 on a
 * full disk and leaves a cut-short image); only then rename the three into
 * place and print the images' paths. On any failure nothing of the figure
 * is published and the temporaries are gone; a full disk is named as such. */
int ab_plot_figure(struct ab_plot *P, const struct ab_plot_fig *f);

/* DIR/NAME-KIND in out, made unique among this command's outputs (-2, -3..). */
int ab_plot_stem(struct ab_plot *P, const char *dir, const char *name, const char *kind, char *out,
                 size_t len);

/* ---- plot_text.c ---------------------------------------------------------------- */

/* A name from a results file made fit for a title, a legend or a .dat comment:
 * control characters become spaces, bytes that are not UTF-8 become '?', and
 * a name longer than len - 1 bytes is cut on a character boundary and ends
 * with "…". out is always terminated. */
void ab_plot_clean(char *out, size_t len, const char *s);

/* A file-name-safe copy of s (letters, digits, '.', '_', '-'; '_' for the
 * rest), at most len - 1 bytes. */
void ab_plot_safe_name(char *out, size_t len, const char *s);

/* "PREFIX-WL" with WL file-name-safe: the name part of a stem. Kept short
 * enough for a file name (and its temporaries) however long the inputs; a
 * name that had to be shortened ends with a hash of the whole, so two long
 * names stay apart. */
void ab_plot_fig_name(char *out, size_t len, const char *prefix, const char *wl);
/* NAME-ALLOC-WL (ALLOC "A under LAUNCHER" when wrapped): the stem of a
 * run's own figures, its timeline and its sites (plot_timeline.c). */
void ab_plot_run_fig_name(const struct ab_plot_src *s, const struct ab_vrun *r, char *name,
                          size_t len);

/* A gnuplot double-quoted string; a backquote (command substitution in
 * gnuplot, even between double quotes) becomes a quote. */
void ab_plot_gp_str(FILE *f, const char *s);

/* "title=...; subtitle=..." in a memory stream the caller adds its own
 * assignments to and closes; NULL when out of memory. */
FILE *ab_plot_vars_open(char **vars, size_t *vlen, const char *title, const char *subtitle);

/* A .dat string: double-quoted, no double quote or control character inside. */
void ab_plot_dat_str(FILE *f, const char *s);
/* The line opening a .dat block: its legend title. */
void ab_plot_dat_title(FILE *f, const char *s);
/* " VALUE" for a .dat; " ?" (gnuplot's missing value) for NaN. */
void ab_plot_dat_num(FILE *f, double v);

/* Can v be plotted? Finite and at most 1e300 in magnitude: beyond, gnuplot's
 * ranges overflow and its errors print the number in all its 309 digits. */
bool ab_plot_fits(double v);

/* The value v, or NAN when it cannot be plotted, with a note naming the
 * file, the run (r; NULL for a figure of the file), the point, the figure,
 * and that the value is left out of it. NaN (not measured) passes quietly. */
double ab_plot_checked(const struct ab_plot_src *s, const struct ab_vrun *r, const char *point,
                       const char *field, const char *figure, double v);

/* The unit to show values up to max in, max in `unit` ("KiB" or "B", from
 * metrics.def): a divisor from that unit, and the name of the one shown. */
void ab_plot_pick_unit(double max, const char *unit, double *div, const char **name);

/* The line type (colour) of an allocator: the same in every figure, and for
 * the built-in backends the same from one invocation to the next. */
int ab_plot_lt(struct ab_plot *P, const char *alloc);

/* The line type of a member: its allocator's, or, run under a launcher
 * (--wrap), that of "ALLOC under LAUNCHER" (a colour of its own). */
int ab_plot_member_lt(struct ab_plot *P, const struct ab_plot_member *m);

/* Legend titles of the members: the allocator, "under LAUNCHER" or "native"
 * when the launchers differ, "@ host" when the hosts
 * differ, the file when that still leaves two alike, "#k" after that. */
void ab_plot_member_titles(const struct ab_plot_member *m, size_t n, char (*title)[AB_PLOT_LEGEND]);

/* The subtitle of a figure: the run's parameters (not the swept one: that
 * is an axis), a line break, the sources ("cs.json; host vm (CPU, libc); 5
 * reps per point") and `tail`, wrapped for the figure's width. */
void ab_plot_subtitle(const struct ab_plot_member *m, size_t n, const char *tail, char *buf,
                      size_t len);

/* ---- the figures ------------------------------------------------------------------ */

/* plot_size.c: the run's points sweep a size (params.size). */
bool ab_plot_sweeps_size(const struct ab_vrun *r);
/* Time and minor faults per op against size, every file together: members
 * are the runs of workload wl that sweep a size, from any file. */
int ab_plot_size(struct ab_plot *P, struct ab_plot_member *m, size_t n, const char *wl);

/* plot_rounds.c: RSS, VSZ, page tables and live bytes after each round. */
int ab_plot_rounds(struct ab_plot *P, struct ab_plot_src *s, struct ab_plot_member *m, size_t n,
                   const char *wl);

/* plot_memory.c: the runs of one workload deserve VSZ and RSS as bars (the
 * rule is written there and in README's Plots). */
bool ab_plot_wants_bars(const struct ab_plot_member *m, size_t n);
int ab_plot_memory(struct ab_plot *P, struct ab_plot_src *s, struct ab_plot_member *m, size_t n,
                   const char *wl);

/* plot_timeline.c: RSS and VSZ while one run's processes ran, each from
 * its start; a note, and no figure, when the run has no sample. */
int ab_plot_timeline(struct ab_plot *P, struct ab_plot_src *s, const struct ab_vrun *r);
/* The same for every run of workload wl in one figure (drawn for programs:
 * their runs differ in allocator and launcher alone); nothing with fewer
 * than two runs sampled. */
int ab_plot_timelines(struct ab_plot *P, struct ab_plot_src *s, struct ab_plot_member *m, size_t n,
                      const char *wl);

/* plot_sites.c: of a run traced with --trace whose trace pass had two
 * rounds or more, the live bytes its top allocation sites held at each
 * round end (NAME-ALLOC-WL-sites); a note, and no figure, when no site
 * held memory at a round end. */
int ab_plot_sites(struct ab_plot *P, struct ab_plot_src *s, const struct ab_vrun *r);

#endif
