/*
 * plot.c - bench plot FILE.. [-o DIR]: gnuplot figures, PNG and SVG, from
 * results files. This file is the command: its options, the files (read
 * through the results document's view, doc/doc.h, and nothing else), and
 * which figures a document gets; plot.h says what the other plot_*.c do.
 *
 * Figures are chosen by what the document has, not by the workload's name:
 * runs whose points sweep a size get the per-size figures (plot_size.c),
 * runs with rounds the rounds figure (plot_rounds.c), runs of several
 * threads or of a VSZ far above RSS the memory bars (plot_memory.c),
 * every run its timeline (plot_timeline.c), and a run traced with --trace
 * over rounds its allocation sites (plot_sites.c). The C side writes the
 * numbers a figure needs as a plain .dat; the drawing is in plots/NAME.gp,
 * found next to bench or one level up, so a user can restyle a script and
 * rerun the command kept in the .dat's header.
 *
 * Nothing is written before every input has been read and checked. Each
 * figure goes to temporaries first and is renamed into place only once it is
 * known whole (plot_figure.c), so an error leaves no half-written file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "prim/prim.h"
#include "report/plot.h"
#include "report/report.h"

#define USAGE "bench plot FILE.. [-o DIR]"

static void usage(FILE *f)
{
        fputs("usage: " USAGE "\n"
              "\n"
              "Draws figures, PNG and SVG, from results files written by bench run, next to\n"
              "each file (or in DIR, created if missing), and prints their paths. For a file\n"
              "NAME.json, with WL the workload's name, by what its runs have:\n"
              "  points that sweep a size\n"
              "               NAME-WL-ns       time per op against size, log-log: a line per\n"
              "                                allocator with 95% CI bars, the calibrated\n"
              "                                memset of the size, flagged points circled\n"
              "               NAME-WL-faults   minor page faults per op against size\n"
              "  rounds       NAME-WL-rounds   RSS, VSZ, page tables and live bytes after\n"
              "                                each round\n"
              "  several threads (threads > 1), or one point, no rounds and a VSZ at least\n"
              "  4x RSS and 64 MiB above it\n"
              "               NAME-WL-memory   VSZ and RSS of each allocator, as bars\n"
              "  every run    NAME-ALLOC-WL-timeline   RSS and VSZ while it ran\n"
              "  runs traced with --trace, their trace pass of 2 rounds or more\n"
              "               NAME-ALLOC-WL-sites      live bytes of the top allocation\n"
              "                                sites (up to 8, the most left over per\n"
              "                                round first) at each round end\n"
              "Given several files, the per-size figures draw them together, a line per\n"
              "allocator and host (\"glibc @ hostA\") when the hosts differ, named after all\n"
              "of them (NAME+NAME2-WL-ns). A value that cannot be plotted (infinite, or\n"
              "above 1e300) is left out of its figure, with a note.\n"
              "\n"
              "Each figure's numbers are kept beside it as .dat; the gnuplot scripts are\n"
              "plots/*.gp, and the .dat's first lines give the command that redraws it.\n"
              "A figure is published only whole: on a full disk it is not, and bench plot\n"
              "says the disk is full and exits 1. Needs gnuplot in PATH (Debian package\n"
              "gnuplot-nox).\n"
              "\n"
              "  -o DIR, --output DIR   write the figures in DIR\n"
              "  -h, --help             this text\n",
              f);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
        va_list ap;
        fputs("bench plot: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs(" (usage: " USAGE "; bench plot --help)\n", stderr);
        return AB_BAD_INPUT;
}

/* plots/ next to bench, or one level up (bench built in build/), as the
 * job files are found. */
static int script_dir(const char *argv0, char *out, size_t len)
{
        static const char *const where[] = {"/plots", "/../plots"};
        char dir[PATH_MAX - 64], cand[PATH_MAX], probe[PATH_MAX + 32];
        if (ab_prim_exe_dir(argv0, dir, sizeof dir))
                return -ENOENT;
        for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
                snprintf(cand, sizeof cand, "%s%s", dir, where[i]);
                snprintf(probe, sizeof probe, "%s/calloc-ns.gp", cand);
                if (ab_is_regular(probe)) {
                        if (!realpath(cand, out))
                                snprintf(out, len, "%s", cand);
                        return 0;
                }
        }
        return -ENOENT;
}

/* ---- which figures ------------------------------------------------------------------ */

/* Runs of file s (or of every file, when s is NULL) with workload name wl,
 * and if size_only, whose points sweep a size. */
static size_t members(struct ab_plot *P, struct ab_plot_src *s, const char *wl, bool size_only,
                      struct ab_plot_member **out)
{
        size_t n = 0;
        *out = NULL;
        for (size_t i = 0; i < P->nsrc; i++) {
                const struct ab_doc *d = &P->src[i].doc;
                if (s && &P->src[i] != s)
                        continue;
                for (size_t k = 0; k < d->nruns; k++) {
                        struct ab_plot_member *nm;
                        if (strcmp(d->runs[k].workload, wl) != 0 ||
                            (size_only && !ab_plot_sweeps_size(&d->runs[k])))
                                continue;
                        nm = realloc(*out, (n + 1) * sizeof *nm);
                        if (!nm)
                                return n;
                        *out = nm;
                        (*out)[n++] = (struct ab_plot_member){&P->src[i], &d->runs[k]};
                }
        }
        return n;
}

/* Has workload name wl been seen in a run before run ri of file si (in file
 * si alone when one_file, else in any file)? */
static bool seen_before(struct ab_plot *P, bool one_file, size_t si, size_t ri, const char *wl,
                        bool size_only)
{
        for (size_t i = one_file ? si : 0; i <= si; i++) {
                const struct ab_doc *d = &P->src[i].doc;
                for (size_t k = 0; k < d->nruns && (i < si || k < ri); k++)
                        if (strcmp(d->runs[k].workload, wl) == 0 &&
                            (!size_only || ab_plot_sweeps_size(&d->runs[k])))
                                return true;
        }
        return false;
}

/* Per-size figures: every file together, per workload name. */
static int draw_sizes(struct ab_plot *P)
{
        for (size_t i = 0; i < P->nsrc; i++) {
                const struct ab_doc *d = &P->src[i].doc;
                for (size_t k = 0; k < d->nruns; k++) {
                        const char *wl = d->runs[k].workload;
                        struct ab_plot_member *m;
                        size_t n;
                        int r;
                        if (!ab_plot_sweeps_size(&d->runs[k]) ||
                            seen_before(P, false, i, k, wl, true))
                                continue;
                        n = members(P, NULL, wl, true, &m);
                        r = ab_plot_size(P, m, n, wl);
                        free(m);
                        if (r)
                                return r;
                }
        }
        return 0;
}

/* Per file: rounds, bars and a program's timelines per workload name, then
 * every run's timeline. */
static int draw_file(struct ab_plot *P, size_t i)
{
        struct ab_plot_src *s = &P->src[i];
        int r = 0;
        for (size_t k = 0; k < s->doc.nruns && !r; k++) {
                const char *wl = s->doc.runs[k].workload;
                struct ab_plot_member *m;
                size_t n;
                bool rounds = false;
                if (seen_before(P, true, i, k, wl, false))
                        continue;
                n = members(P, s, wl, false, &m);
                for (size_t j = 0; j < n; j++)
                        rounds |= m[j].run->nrounds > 0;
                if (rounds)
                        r = ab_plot_rounds(P, s, m, n, wl);
                if (!r && ab_plot_wants_bars(m, n))
                        r = ab_plot_memory(P, s, m, n, wl);
                if (!r && m[0].run->program)
                        r = ab_plot_timelines(P, s, m, n, wl);
                free(m);
        }
        for (size_t k = 0; k < s->doc.nruns && !r; k++) {
                r = ab_plot_timeline(P, s, &s->doc.runs[k]);
                if (!r)
                        r = ab_plot_sites(P, s, &s->doc.runs[k]);
        }
        return r;
}

static int draw(struct ab_plot *P)
{
        int r = draw_sizes(P);
        for (size_t i = 0; i < P->nsrc && !r; i++)
                r = draw_file(P, i);
        return r;
}

/* ---- files and directories --------------------------------------------------------- */

/* Where the figures of `path` go, checked writable before anything is drawn. */
static int place(struct ab_plot *P, struct ab_plot_src *s)
{
        const char *slash = strrchr(s->path, '/');
        const char *file = slash ? slash + 1 : s->path;
        size_t blen = strlen(file);
        if (blen > 5 && strcmp(file + blen - 5, ".json") == 0)
                blen -= 5;
        snprintf(s->base, sizeof s->base, "%.*s", (int)blen, file);
        if (P->outdir)
                snprintf(s->dir, sizeof s->dir, "%s", P->outdir);
        else if (slash)
                snprintf(s->dir, sizeof s->dir, "%.*s",
                         slash == s->path ? 1 : (int)(slash - s->path), s->path);
        else
                s->dir[0] = '\0';
        if (!P->outdir && access(s->dir[0] ? s->dir : ".", W_OK | X_OK) != 0)
                return bad("%s: cannot write figures in %s: %s; choose a directory with -o DIR",
                           s->path, s->dir[0] ? s->dir : ".", strerror(errno));
        return 0;
}

static bool same_file_before(const char **files, size_t i)
{
        struct stat a, b;
        if (stat(files[i], &a) != 0)
                return false;
        for (size_t j = 0; j < i; j++)
                if (stat(files[j], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                        return true;
        return false;
}

static int check_outdir(const char *dir)
{
        char parent[PATH_MAX];
        const char *slash;
        struct stat st;
        if (!*dir)
                return bad("-o: empty directory name");
        if (stat(dir, &st) == 0) {
                if (!S_ISDIR(st.st_mode))
                        return bad("-o %s: not a directory", dir);
                if (access(dir, W_OK | X_OK) != 0)
                        return bad("-o %s: cannot write there: %s", dir, strerror(errno));
                return 0;
        }
        if (errno != ENOENT)
                return bad("-o %s: %s", dir, strerror(errno));
        /* missing: made later, so its parent must take it */
        snprintf(parent, sizeof parent, "%s", dir);
        while (strlen(parent) > 1 && parent[strlen(parent) - 1] == '/')
                parent[strlen(parent) - 1] = '\0';
        slash = strrchr(parent, '/');
        if (!slash)
                snprintf(parent, sizeof parent, ".");
        else if (slash == parent)
                parent[1] = '\0';
        else
                parent[slash - parent] = '\0';
        if (!ab_is_dir(parent))
                return bad("-o %s: no directory %s to create it in", dir, parent);
        if (access(parent, W_OK | X_OK) != 0)
                return bad("-o %s: cannot create it in %s: %s", dir, parent, strerror(errno));
        return 0;
}

/* The options: files in files[], -o in P->outdir. AB_OK, AB_BAD_INPUT, or
 * -1 for --help (printed). */
static int options(struct ab_plot *P, int argc, char **argv, const char **files, size_t *nfiles)
{
        bool opts_done = false;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!opts_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
                        usage(stdout);
                        return -1;
                }
                if (!opts_done && strcmp(a, "--") == 0) {
                        opts_done = true;
                } else if (!opts_done && (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                                          strncmp(a, "--output=", 9) == 0)) {
                        const char *d = a[1] == 'o' ? argv[i + 1] : a[8] ? a + 9 : argv[i + 1];
                        if (P->outdir)
                                return bad("-o given twice");
                        if (!d)
                                return bad("%s needs a directory", a);
                        if (a[1] == 'o' || !a[8])
                                i++;
                        P->outdir = d;
                } else if (!opts_done && a[0] == '-' && a[1]) {
                        return bad("unknown option '%s'", a);
                } else {
                        files[(*nfiles)++] = a;
                }
        }
        if (!*nfiles)
                return bad("no results file given");
        if (P->outdir)
                return check_outdir(P->outdir);
        return AB_OK;
}

/* Read every file (through the view) and place its figures. */
static int load(struct ab_plot *P, const char **files, size_t nfiles)
{
        char err[PATH_MAX + 512];
        int r;
        for (size_t i = 0; i < nfiles; i++) {
                struct ab_plot_src *s = &P->src[P->nsrc];
                if (same_file_before(files, i))
                        continue; /* named twice: drawn once */
                s->path = files[i];
                if (ab_doc_load(files[i], &s->doc, err, sizeof err))
                        return bad("%s", err);
                P->nsrc++;
                ab_plot_clean(s->host, sizeof s->host,
                              s->doc.host.hostname ? s->doc.host.hostname : "?");
                if ((r = place(P, s)))
                        return r;
        }
        return AB_OK;
}

/* gnuplot, its scripts, and the output directory. */
static int tools(struct ab_plot *P, const char *argv0)
{
        if (ab_which("gnuplot", P->gnuplot, sizeof P->gnuplot)) {
                ab_err("plot", "gnuplot not found in PATH (install the Debian package "
                               "gnuplot-nox)");
                return AB_BAD_INPUT;
        }
        if (script_dir(argv0, P->scripts, sizeof P->scripts)) {
                ab_err("plot", "the gnuplot scripts (plots/*.gp) are not next to bench or one "
                               "level up");
                return AB_BAD_INPUT;
        }
        if (P->outdir && !ab_is_dir(P->outdir) && mkdir(P->outdir, 0777) != 0) {
                ab_err("plot", "-o %s: cannot create it: %s", P->outdir, strerror(errno));
                return AB_BAD_INPUT;
        }
        return AB_OK;
}

int ab_cmd_plot(int argc, char **argv)
{
        struct ab_plot P = {0};
        const char **files = calloc((size_t)argc + 1, sizeof *files);
        size_t nfiles = 0;
        int r;

        if (!files)
                return AB_BAD_INPUT;
        r = options(&P, argc, argv, files, &nfiles);
        if (r)
                goto out;
        P.src = calloc(nfiles, sizeof *P.src);
        if (!P.src) {
                r = AB_BAD_INPUT;
                goto out;
        }
        if ((r = load(&P, files, nfiles)) || (r = tools(&P, argv[0])))
                goto out;
        if (draw(&P)) {
                r = AB_BAD_INPUT;
                goto out;
        }
        if (!P.figures) {
                ab_err("plot",
                       "nothing to draw in the file%s given (no run with measured points, rounds "
                       "or a timeline)",
                       nfiles > 1 ? "s" : "");
                r = AB_BAD_INPUT;
        }
out:
        for (size_t i = 0; i < P.nsrc; i++)
                ab_doc_free(&P.src[i].doc);
        for (size_t i = 0; i < P.nstems; i++)
                free(P.stems[i]);
        for (size_t i = 0; i < P.nallocs; i++)
                free(P.allocs[i]);
        free(P.stems);
        free(P.allocs);
        free(P.src);
        free(files);
        return r < 0 ? AB_OK : r;
}
