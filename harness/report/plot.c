/*
 * plot.c - bench plot FILE.. [-o DIR]: gnuplot figures, PNG and SVG, from
 * results files.
 *
 * The C side only reads results (ab_results_load) and writes the numbers a
 * figure needs as a plain whitespace-separated .dat (blocks separated by two
 * blank lines, each opening with its quoted legend title); the drawing is in
 * plots/NAME.gp, found next to bench or one level up, so a user can restyle a
 * script and rerun the command kept in the .dat's header. gnuplot is run
 * with posix_spawn and argv words (never a shell), its variables passed as
 * `-e 'name="value"; ...'`.
 *
 * Nothing is written before every input has been read and checked. Each
 * figure goes to temporaries first (.dat, .png, .svg), renamed into place
 * only once gnuplot has drawn both images, so an error leaves no half-written
 * file behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "measure/bench.h"
#include "report/report.h"
#include "report/legacy_json.h"
#include "core/fmt.h"
#include "core/parse.h"
#include "prim/prim.h"
#include "doc/resfile.h"

extern char **environ;

/* Pixel size of every PNG (and the SVG canvas). */
#define PLOT_W 1000
#define PLOT_H 650

#define USAGE "bench plot FILE.. [-o DIR]"

/* One results file given on the command line. */
struct src {
        const char *path;
        json_t *doc;
        char dir[PATH_MAX]; /* where its figures go: DIR, or the file's directory ("" = cwd) */
        char base[256];     /* file name without .json: the figures' prefix */
        const char *host;   /* host.hostname, "?" when absent */
};

/* One run taking part in a figure. */
struct member {
        struct src *s;
        json_t *run;
};

struct plot {
        struct src *src;
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

static void usage(FILE *f)
{
        fputs("usage: " USAGE "\n"
              "\n"
              "Draws figures, PNG and SVG, from results files written by bench run, next to\n"
              "each file (or in DIR, created if missing), and prints their paths. For a file\n"
              "NAME.json, with WL the workload's name:\n"
              "  calloc-sweep  NAME-WL-ns       time per op against size, log-log: a line per\n"
              "                                 allocator with 95% CI bars, the calibrated\n"
              "                                 memset of the size, flagged points circled\n"
              "                NAME-WL-faults   minor page faults per op against size\n"
              "  rounds        NAME-WL-rounds   RSS, VSZ, page tables and live bytes after\n"
              "                                 each round (conn-leak, arena-churn, mmap-sweep)\n"
              "  arena-churn   NAME-WL-memory   VSZ and RSS of each allocator, as bars\n"
              "  every run     NAME-ALLOC-WL-timeline   RSS and VSZ while it ran\n"
              "Given several files, the calloc-sweep figures draw them together, a line per\n"
              "allocator and host (\"glibc @ hostA\") when the hosts differ, named after all\n"
              "of them (NAME+NAME2-WL-ns).\n"
              "\n"
              "Each figure's numbers are kept beside it as .dat; the gnuplot scripts are\n"
              "plots/*.gp, and the .dat's first lines give the command that redraws it.\n"
              "Needs gnuplot in PATH (Debian package gnuplot-nox).\n"
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

/* plots/ next to bench, or one level up (bench built in build/), like the
 * job files' workloads/. */
static int script_dir(char *out, size_t len)
{
        static const char *const where[] = {"/plots", "/../plots"};
        char dir[PATH_MAX - 64], cand[PATH_MAX], probe[PATH_MAX + 32];
        struct stat st;
        if (ab_prim_exe_dir(ab_argv[0], dir, sizeof dir))
                return -ENOENT;
        for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
                snprintf(cand, sizeof cand, "%s%s", dir, where[i]);
                snprintf(probe, sizeof probe, "%s/calloc-ns.gp", cand);
                if (stat(probe, &st) == 0 && S_ISREG(st.st_mode)) {
                        if (!realpath(cand, out))
                                snprintf(out, len, "%s", cand);
                        return 0;
                }
        }
        return -ENOENT;
}

static bool is_dir(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- small text helpers -------------------------------------------------- */

/* A gnuplot double-quoted string: backslash, double quote and newline
 * escaped (a newline inside -e would end the command). */
static void gp_str(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '\n')
                        fputs("\\n", f);
                else if (*s == '\\' || *s == '"')
                        fprintf(f, "\\%c", *s);
                else if (*s == '`')
                        /* gnuplot runs `...` as a shell command even inside double
                         * quotes: names from a results file must never reach it */
                        fputc('\'', f);
                else
                        fputc(*s, f);
        }
        fputc('"', f);
}

/* The gnuplot variables every figure starts with, its title and subtitle, in
 * a memory stream the caller adds its own to and closes; NULL if out of memory. */
static FILE *vars_open(char **vars, size_t *vlen, const char *title, const char *subtitle)
{
        FILE *v = open_memstream(vars, vlen);
        if (!v)
                return NULL;
        fputs("title=", v);
        gp_str(v, title);
        fputs("; subtitle=", v);
        gp_str(v, subtitle);
        return v;
}

/* A file name for gnuplot: single-quoted (no backquote substitution there;
 * a quote is doubled), and relative names start with ./ so that a directory
 * named "<cmd" or "|cmd" is a directory, not a command gnuplot runs. */
static void gp_path(FILE *f, const char *s)
{
        fputc('\'', f);
        if (*s != '/')
                fputs("./", f);
        for (; *s; s++) {
                if (*s == '\'')
                        fputc('\'', f);
                fputc(*s, f);
        }
        fputc('\'', f);
}

/* A string inside a .dat: double-quoted, so no double quotes or newlines. */
static void dat_str(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++)
                fputc(*s == '"' ? '\'' : *s == '\n' || *s == '\t' ? ' ' : *s, f);
        fputc('"', f);
}

/* The line opening a block: its legend title. */
static void dat_title(FILE *f, const char *s)
{
        dat_str(f, s);
        fputc('\n', f);
}

/* One word of a shell command line, for the redraw line a user copies. */
static void sh_word(FILE *f, const char *s)
{
        if (!strpbrk(s, "\"$`\\!\n")) {
                fprintf(f, "\"%s\"", s);
                return;
        }
        fputc('\'', f);
        for (; *s; s++) {
                if (*s == '\'')
                        fputs("'\\''", f);
                else
                        fputc(*s, f);
        }
        fputc('\'', f);
}

/* A number for a .dat; "?" (gnuplot's missing value) for null or NaN. */
static void dat_num(FILE *f, double v)
{
        if (isnan(v) || isinf(v))
                fputs(" ?", f);
        else
                fprintf(f, " %.10g", v);
}

static double jnum(json_t *v)
{
        return json_is_number(v) ? json_number_value(v) : NAN;
}

static bool name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
}

/* A file-name-safe copy of s: letters, digits, '.', '_', '-'; '_' for the rest. */
static void safe_name(char *out, size_t len, const char *s)
{
        size_t n = 0;
        for (; *s && n + 1 < len; s++)
                out[n++] = name_char(*s) ? *s : '_';
        out[n] = '\0';
}

/* The unit to show values up to `max` (in units of `base` bytes) in:
 * a divisor from the data's unit and its name. */
static void pick_unit(double max, double base, double *div, const char **name)
{
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        double bytes = max * base;
        int u = 0;
        while (u < 4 && bytes >= 2.0 * 1024) {
                bytes /= 1024;
                u++;
        }
        if (base == 1024 && u == 0)
                u = 1; /* KiB figures never shown in bytes */
        *div = pow(1024, u) / base;
        *name = units[u];
}

/* The line type (colour) of an allocator: the same in every figure, and for
 * the built-in backends the same from one invocation to the next. */
static int lt_of(struct plot *P, const char *alloc)
{
        static const char *const known[] = {"glibc", "jemalloc", "tcmalloc", "mimalloc"};
        char **n;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
                if (strcmp(known[i], alloc) == 0)
                        return (int)i + 1;
        for (size_t i = 0; i < P->nallocs; i++)
                if (strcmp(P->allocs[i], alloc) == 0)
                        return (int)(i + 1 + sizeof known / sizeof known[0]);
        n = realloc(P->allocs, (P->nallocs + 1) * sizeof *n);
        if (!n)
                return 1;
        P->allocs = n;
        P->allocs[P->nallocs] = strdup(alloc);
        return (int)(++P->nallocs + sizeof known / sizeof known[0]);
}

static const char *run_alloc(json_t *run)
{
        return ab_alloc_name(run);
}

static const char *run_wl(json_t *run)
{
        return ab_str(json_object_get(run, "workload"), "name") ?: "?";
}

/* Append to buf (of len, holding *off characters); *off never passes len - 1. */
static void app(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void app(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
        va_list ap;
        int n;
        if (*off >= len - 1)
                return;
        va_start(ap, fmt);
        n = vsnprintf(buf + *off, len - *off, fmt, ap);
        va_end(ap);
        if (n > 0)
                *off = *off + (size_t)n < len - 1 ? *off + (size_t)n : len - 1;
}

/* "touch=none mode=reuse iterations=auto": the workload's parameters, but
 * not the swept one (the x axis) and not `skip`. Sizes as sizes. */
static void params_text(json_t *run, const char *skip, char *buf, size_t len)
{
        json_t *params = json_object_get(json_object_get(run, "workload"), "params"), *v;
        const struct ab_workload *w = ab_workload_find(ab_kernel(run));
        const char *k;
        size_t off = 0;
        buf[0] = '\0';
        json_object_foreach(params, k, v)
        {
                int pi = w ? ab_param_index(w, k) : -1;
                const struct ab_param *p = pi >= 0 ? &w->params[pi] : NULL;
                char val[64], a[32], b[32];
                if ((skip && strcmp(k, skip) == 0) || (p && p->point_key))
                        continue;
                if (json_is_array(v)) {
                        size_t n = json_array_size(v);
                        if (n == 0)
                                continue;
                        ab_fmt_size((uint64_t)jnum(json_array_get(v, 0)), a, sizeof a);
                        ab_fmt_size((uint64_t)jnum(json_array_get(v, n - 1)), b, sizeof b);
                        snprintf(val, sizeof val, n > 1 ? "%s..%s" : "%s", a, b);
                } else if (json_is_string(v)) {
                        snprintf(val, sizeof val, "%s", json_string_value(v));
                } else if (json_is_number(v) && p && p->type == AB_PT_SIZE) {
                        ab_fmt_size((uint64_t)json_number_value(v), val, sizeof val);
                } else if (json_is_number(v)) {
                        snprintf(val, sizeof val, "%g", json_number_value(v));
                } else {
                        continue;
                }
                app(buf, len, &off, "%s%s=%s", off ? "  " : "", k, val);
        }
        /* cmd: the program measured */
        {
                json_t *prog = json_object_get(run, "program");
                size_t i;
                json_array_foreach(prog, i, v)
                {
                        if (json_is_string(v))
                                app(buf, len, &off, "%s%s",
                                    i     ? " "
                                    : off ? "  program: "
                                          : "program: ",
                                    json_string_value(v));
                }
        }
}

/* Break lines of a figure's title longer than `width` characters after a
 * "; " or ", " or between two spaces (gnuplot neither wraps nor clips a title: it runs off). */
static void wrap(char *buf, size_t width)
{
        size_t col = 0;
        char *brk = NULL;
        for (char *c = buf; *c; c++, col++) {
                if (*c == '\n') {
                        col = 0;
                        brk = NULL;
                        continue;
                }
                if ((c[0] == ';' || c[0] == ',') && c[1] == ' ')
                        brk = c + 1;
                else if (c[0] == ' ' && c[1] == ' ') /* between parameters */
                        brk = c;
                if (col >= width && brk) {
                        *brk = '\n';
                        col = (size_t)(c - brk);
                        brk = NULL;
                }
        }
}

/* "cs.json; host vm (AMD EPYC, glibc 2.36); 5 reps per point", for the runs
 * of a figure (from one or more files). */
static void source_text(struct member *m, size_t n, char *buf, size_t len)
{
        size_t off = 0, nf = 0, nh = 0, more = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                const char *name = strrchr(m[i].s->path, '/');
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= m[j].s == m[i].s;
                if (seen)
                        continue;
                if (nf++ >= 4) {
                        more++;
                        continue;
                }
                app(buf, len, &off, "%s%s", nf > 1 ? ", " : "", name ? name + 1 : m[i].s->path);
        }
        if (more)
                app(buf, len, &off, " and %zu more", more);
        for (size_t i = 0; i < n; i++) {
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= strcmp(m[j].s->host, m[i].s->host) == 0;
                nh += !seen;
        }
        more = 0;
        for (size_t i = 0, k = 0; i < n; i++) {
                json_t *host = json_object_get(m[i].s->doc, "host");
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= strcmp(m[j].s->host, m[i].s->host) == 0;
                if (seen)
                        continue;
                if (k++ >= 4) {
                        more++;
                        continue;
                }
                app(buf, len, &off, "%s%s",
                    k > 1    ? ", "
                    : nh > 1 ? "; hosts "
                             : "; host ",
                    m[i].s->host);
                if (ab_str(host, "cpu_model") && ab_str(host, "libc"))
                        app(buf, len, &off, " (%s, %s)", ab_str(host, "cpu_model"),
                            ab_str(host, "libc"));
        }
        if (more)
                app(buf, len, &off, " and %zu more", more);
        if (json_is_integer(json_object_get(m[0].s->doc, "reps")))
                app(buf, len, &off, "; %lld reps per point",
                    (long long)json_integer_value(json_object_get(m[0].s->doc, "reps")));
}

/* ---- running gnuplot ------------------------------------------------------ */

/* gnuplot -e VARS SCRIPT, its stdout onto our stderr (stdout carries the
 * figures' paths), stdin from /dev/null. 0 when it exited 0. */
static int gnuplot(struct plot *P, const char *vars, const char *script)
{
        char *argv[] = {P->gnuplot, "-e", (char *)vars, (char *)script, NULL};
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int st, r;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, 2, 1);
        fflush(stdout);
        r = posix_spawn(&pid, P->gnuplot, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r) {
                fprintf(stderr, "bench plot: cannot run %s: %s\n", P->gnuplot, strerror(r));
                return -r;
        }
        while (waitpid(pid, &st, 0) < 0) {
                if (errno != EINTR)
                        return -errno;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "bench plot: gnuplot failed on %s (%s %d)\n", script,
                        WIFEXITED(st) ? "exit" : "signal",
                        WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
                return -EIO;
        }
        return 0;
}

/* dir/NAME-KIND, made unique among this command's outputs (-2, -3, ..). */
static int stem_for(struct plot *P, const char *dir, const char *name, const char *kind, char *out,
                    size_t len)
{
        char **n;
        for (int k = 1; k < 1000; k++) {
                bool used = false;
                char suffix[16] = "";
                if (k > 1)
                        snprintf(suffix, sizeof suffix, "-%d", k);
                if ((size_t)snprintf(out, len, "%s%s%s-%s%s", dir,
                                     dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "", name, kind,
                                     suffix) >= len)
                        return -ENAMETOOLONG;
                for (size_t i = 0; i < P->nstems; i++)
                        used |= strcmp(P->stems[i], out) == 0;
                if (!used)
                        break;
        }
        n = realloc(P->stems, (P->nstems + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        P->stems = n;
        P->stems[P->nstems++] = strdup(out);
        return 0;
}

/*
 * Draw one figure: `data` (the .dat body) with plots/SCRIPT and the gnuplot
 * assignments in `vars` (without datafile and out). Writes stem.dat,
 * stem.png, stem.svg through temporaries and prints the images' paths.
 */
static int figure(struct plot *P, const char *stem, const char *script, const char *what,
                  const char *columns, const char *data, const char *vars)
{
        char spath[PATH_MAX + 64], tmp[PATH_MAX + 32], tdat[PATH_MAX + 48], final[PATH_MAX + 48],
            from[PATH_MAX + 48], err[PATH_MAX + 128], absp[PATH_MAX + 300];
        char *head = NULL, *gvars = NULL, *body = NULL;
        size_t hlen = 0, glen = 0, blen = 0;
        const char *slash = strrchr(stem, '/');
        static const char *const ext[] = {".png", ".svg", ".dat"};
        FILE *f;
        int r = 0;

        snprintf(spath, sizeof spath, "%s/%s", P->scripts, script);
        /* temporaries: hidden, beside the outputs (same file system: rename) */
        snprintf(tmp, sizeof tmp, "%.*s.%s.tmp.%d", slash ? (int)(slash - stem + 1) : 0, stem,
                 slash ? slash + 1 : stem, (int)getpid());
        snprintf(tdat, sizeof tdat, "%s.dat", tmp);

        /* the redraw command names the final files, absolutely: it works
         * from any directory */
        if (slash) {
                char d[PATH_MAX];
                snprintf(d, sizeof d, "%.*s", slash == stem ? 1 : (int)(slash - stem), stem);
                if (realpath(d, absp))
                        snprintf(absp + strlen(absp), sizeof absp - strlen(absp), "/%s", slash + 1);
                else
                        snprintf(absp, sizeof absp, "%s", stem);
        } else if (getcwd(absp, sizeof absp - 1 - strlen(stem))) {
                snprintf(absp + strlen(absp), sizeof absp - strlen(absp), "/%s", stem);
        } else {
                snprintf(absp, sizeof absp, "%s", stem);
        }
        f = open_memstream(&head, &hlen);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# allocbench: %s\n# columns: %s\n# redraw: gnuplot -e ", what, columns);
        {
                FILE *v = open_memstream(&gvars, &glen);
                if (!v) {
                        fclose(f);
                        free(head);
                        return -ENOMEM;
                }
                fputs("datafile=", v);
                snprintf(final, sizeof final, "%s.dat", absp);
                gp_path(v, final);
                fputs("; out=", v);
                gp_path(v, absp);
                fprintf(v, "; %s", vars);
                fclose(v);
        }
        sh_word(f, gvars);
        fputc(' ', f);
        sh_word(f, spath);
        fprintf(f, "\n%s", data);
        fclose(f);
        free(gvars);
        gvars = NULL;

        r = ab_write_atomic(tdat, head, hlen, err, sizeof err);
        if (r) {
                fprintf(stderr, "bench plot: %s\n", err);
                goto out;
        }
        f = open_memstream(&body, &blen);
        if (!f) {
                r = -ENOMEM;
                goto out;
        }
        fputs("datafile=", f);
        gp_path(f, tdat);
        fputs("; out=", f);
        gp_path(f, tmp);
        fprintf(f, "; %s", vars);
        fclose(f);
        r = gnuplot(P, body, spath);
        for (size_t i = 0; i < 3 && !r; i++) {
                snprintf(from, sizeof from, "%s%s", tmp, ext[i]);
                snprintf(final, sizeof final, "%s%s", stem, ext[i]);
                if (rename(from, final) != 0) {
                        r = -errno;
                        fprintf(stderr, "bench plot: cannot write %s: %s\n", final,
                                strerror(errno));
                }
        }
out:
        for (size_t i = 0; i < 3; i++) {
                snprintf(from, sizeof from, "%s%s", tmp, ext[i]);
                unlink(from); /* gone already when renamed */
        }
        if (!r) {
                printf("%s.png\n%s.svg\n", stem, stem);
                P->figures++;
        }
        free(head);
        free(body);
        return r;
}

/* ---- calloc-sweep --------------------------------------------------------- */

static json_t *point_of_size(json_t *run, double size)
{
        json_t *p;
        size_t i;
        json_array_foreach(json_object_get(run, "points"), i, p)
        {
                if (jnum(json_object_get(json_object_get(p, "params"), "size")) == size)
                        return p;
        }
        return NULL;
}

static bool point_ok(json_t *p)
{
        const char *st = ab_str(p, "status");
        return !st || strcmp(st, "ok") == 0;
}

static int cmp_dbl(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* Legend titles of the members: the allocator, "@ host" when the hosts
 * differ, the file when that still leaves two alike. */
static void member_titles(struct member *m, size_t n, char (*title)[160])
{
        bool hosts_differ = false;
        for (size_t i = 1; i < n; i++)
                hosts_differ |= strcmp(m[i].s->host, m[0].s->host) != 0;
        for (size_t i = 0; i < n; i++) {
                if (hosts_differ)
                        snprintf(title[i], 160, "%s @ %s", run_alloc(m[i].run), m[i].s->host);
                else
                        snprintf(title[i], 160, "%s", run_alloc(m[i].run));
        }
        bool *dup = calloc(n, sizeof *dup);
        for (size_t i = 0; i < n && dup; i++)
                for (size_t j = 0; j < n; j++)
                        dup[i] |= j != i && strcmp(title[i], title[j]) == 0;
        for (size_t i = 0; i < n && dup; i++) {
                if (dup[i]) {
                        size_t l = strlen(title[i]);
                        snprintf(title[i] + l, 160 - l, " (%s)", m[i].s->base);
                }
        }
        free(dup);
        for (size_t i = 0; i < n; i++) {
                int k = 1;
                for (size_t j = 0; j < i; j++)
                        k += strcmp(title[i], title[j]) == 0;
                if (k > 1) {
                        size_t l = strlen(title[i]);
                        snprintf(title[i] + l, 160 - l, " #%d", k);
                }
        }
}

static const char *const flag_kinds[] = {"calloc-zeroing", "size-cliff"};
/* how each kind is marked: gnuplot point type (open circle, open square), colour */
static const char *const flag_pt[] = {"6", "4"};
static const char *const flag_col[] = {"#B00000", "#000000"};

/* The two calloc-sweep figures of one workload name, over every file. */
static int plot_calloc(struct plot *P, struct member *m, size_t n, const char *wl)
{
        char(*title)[160] = calloc(n, sizeof *title);
        char stem[PATH_MAX], name[512], params[512], source[1024], sub[1700], what[1200];
        char *dat[2] = {NULL, NULL}, *vars = NULL;
        size_t dlen[2], vlen, nseries[2] = {0, 0}, nref[2] = {0, 0}, nflag[2] = {0, 0};
        char lts[2][256] = {"", ""}, dts[2][256] = {"", ""}, fpts[2][16] = {"", ""},
             fcols[2][32] = {"", ""};
        double xmin = INFINITY, xmax = 0;
        const char *hosts[64];
        size_t nhosts = 0, npages = 0;
        double pages[4];
        FILE *f[2];
        int r = 0;

        if (!title)
                return -ENOMEM;
        member_titles(m, n, title);
        for (size_t i = 0; i < n; i++) {
                size_t h = 0;
                while (h < nhosts && strcmp(hosts[h], m[i].s->host) != 0)
                        h++;
                if (h == nhosts && nhosts < 64)
                        hosts[nhosts++] = m[i].s->host;
        }
        f[0] = open_memstream(&dat[0], &dlen[0]);
        f[1] = open_memstream(&dat[1], &dlen[1]);
        if (!f[0] || !f[1]) {
                r = -ENOMEM;
                goto out;
        }
        /* one block per run: [0] ns, [1] faults */
        for (size_t i = 0; i < n; i++) {
                json_t *p;
                size_t k, rows[2] = {0, 0};
                int lt = lt_of(P, run_alloc(m[i].run)), dt = 1;
                while (dt <= (int)nhosts && strcmp(hosts[dt - 1], m[i].s->host) != 0)
                        dt++;
                for (int g = 0; g < 2; g++) {
                        json_array_foreach(json_object_get(m[i].run, "points"), k, p)
                        {
                                double size =
                                    jnum(json_object_get(json_object_get(p, "params"), "size"));
                                json_t *ns = json_object_get(p, "ns_per_op");
                                double med = jnum(json_object_get(ns, "median"));
                                double lo = jnum(json_object_get(ns, "ci95_lo"));
                                double hi = jnum(json_object_get(ns, "ci95_hi"));
                                double flt = jnum(json_object_get(p, "minflt_per_op"));
                                if (!point_ok(p) || !(size > 0) || (g == 0 && isnan(med)) ||
                                    (g == 1 && isnan(flt)))
                                        continue;
                                if (!rows[g]++) {
                                        if (nseries[g]++)
                                                fputs("\n\n", f[g]);
                                        dat_title(f[g], title[i]);
                                }
                                fprintf(f[g], "%.0f", size);
                                if (g == 0) {
                                        dat_num(f[g], med);
                                        dat_num(f[g], isnan(lo) ? med : lo);
                                        dat_num(f[g], isnan(hi) ? med : hi);
                                } else {
                                        dat_num(f[g], flt);
                                }
                                fputc('\n', f[g]);
                                xmin = fmin(xmin, size);
                                xmax = fmax(xmax, size);
                        }
                        if (rows[g]) {
                                size_t l = strlen(lts[g]);
                                snprintf(lts[g] + l, sizeof lts[g] - l, "%s%d", l ? " " : "", lt);
                                l = strlen(dts[g]);
                                snprintf(dts[g] + l, sizeof dts[g] - l, "%s%d", l ? " " : "", dt);
                        }
                }
        }
        if (!nseries[0] && !nseries[1]) {
                fprintf(stderr, "bench plot: %s: no measured calloc-sweep point to draw\n", wl);
                goto out;
        }

        /* references: memset of each size (per host's calibration); one
         * fault per page (per page size) */
        for (size_t h = 0; h < nhosts; h++) {
                double sizes[AB_SIZES_MAX * 4], page = 0;
                size_t ns = 0;
                json_t *cal = NULL, *p;
                for (size_t i = 0; i < n; i++) {
                        size_t k;
                        if (strcmp(m[i].s->host, hosts[h]) != 0)
                                continue;
                        if (!cal && json_object_size(
                                        json_object_get(json_object_get(m[i].s->doc, "calibration"),
                                                        "memset_bytes_per_ns")))
                                cal = json_object_get(m[i].s->doc, "calibration");
                        if (!page)
                                page = jnum(json_object_get(json_object_get(m[i].s->doc, "host"),
                                                            "page_size"));
                        json_array_foreach(json_object_get(m[i].run, "points"), k, p)
                        {
                                double size =
                                    jnum(json_object_get(json_object_get(p, "params"), "size"));
                                bool seen = false;
                                for (size_t j = 0; j < ns; j++)
                                        seen |= sizes[j] == size;
                                if (size > 0 && !seen && ns < sizeof sizes / sizeof sizes[0])
                                        sizes[ns++] = size;
                        }
                }
                qsort(sizes, ns, sizeof *sizes, cmp_dbl);
                if (cal && nseries[0]) {
                        char t[160];
                        if (nhosts > 1)
                                snprintf(t, sizeof t, "memset @ %s (calibrated)", hosts[h]);
                        else
                                snprintf(t, sizeof t, "memset of the size (calibrated)");
                        fputs("\n\n", f[0]);
                        dat_title(f[0], t);
                        for (size_t j = 0; j < ns; j++) {
                                double v = ab_calib_memset_ns(cal, (uint64_t)sizes[j]);
                                if (v > 0)
                                        fprintf(f[0], "%.0f %.10g\n", sizes[j], v);
                        }
                        nref[0]++;
                }
                if (!(page > 0))
                        page = 4096;
                /* one line per page size (hosts alike share it) */
                for (size_t j = 0; j < npages && page > 0; j++)
                        if (pages[j] == page)
                                page = 0;
                if (page > 0 && npages < sizeof pages / sizeof pages[0])
                        pages[npages++] = page;
        }
        for (size_t q = 0; q < npages && nseries[1]; q++) {
                char t[160], ps[32];
                ab_fmt_size((uint64_t)pages[q], ps, sizeof ps);
                snprintf(t, sizeof t, "one fault per %s page", ps);
                fputs("\n\n", f[1]);
                dat_title(f[1], t);
                /* a straight line on log-log axes: its ends suffice */
                fprintf(f[1], "%.0f %.10g\n%.0f %.10g\n", xmin, xmin / pages[q], xmax,
                        xmax / pages[q]);
                nref[1]++;
        }

        /* flagged points, one block per kind */
        for (size_t q = 0; q < sizeof flag_kinds / sizeof flag_kinds[0]; q++) {
                size_t rows[2] = {0, 0};
                for (size_t i = 0; i < n; i++) {
                        json_t *fl;
                        size_t k;
                        json_array_foreach(json_object_get(m[i].s->doc, "flags"), k, fl)
                        {
                                json_t *sizes =
                                    json_object_get(json_object_get(fl, "evidence"), "sizes");
                                double where =
                                    jnum(json_object_get(json_object_get(fl, "where"), "size"));
                                size_t ns = json_is_array(sizes) ? json_array_size(sizes) : 0;
                                if (strcmp(ab_str(fl, "kind") ?: "", flag_kinds[q]) != 0 ||
                                    strcmp(ab_str(fl, "allocator") ?: "", run_alloc(m[i].run)) ||
                                    strcmp(ab_str(fl, "workload") ?: "", wl) != 0)
                                        continue;
                                if (q != 0) /* size-cliff: where.size alone */
                                        ns = 0;
                                for (size_t j = 0; j <= ns; j++) {
                                        double size =
                                            j < ns ? jnum(json_array_get(sizes, j)) : where;
                                        json_t *p = size > 0 ? point_of_size(m[i].run, size) : NULL;
                                        double v[2];
                                        if (j == ns && ns) /* where.size is among sizes */
                                                break;
                                        if (!p || !point_ok(p))
                                                continue;
                                        v[0] = jnum(json_object_get(json_object_get(p, "ns_per_op"),
                                                                    "median"));
                                        v[1] = jnum(json_object_get(p, "minflt_per_op"));
                                        for (int g = 0; g < 2; g++) {
                                                if (isnan(v[g]) || !nseries[g])
                                                        continue;
                                                if (!rows[g]++) {
                                                        char t[64];
                                                        snprintf(t, sizeof t, "flagged: %s",
                                                                 flag_kinds[q]);
                                                        fputs("\n\n", f[g]);
                                                        dat_title(f[g], t);
                                                }
                                                fprintf(f[g], "%.0f %.10g\n", size, v[g]);
                                        }
                                }
                        }
                }
                for (int g = 0; g < 2; g++) {
                        if (rows[g]) {
                                size_t l = strlen(fpts[g]);
                                snprintf(fpts[g] + l, sizeof fpts[g] - l, "%s%s", l ? " " : "",
                                         flag_pt[q]);
                                l = strlen(fcols[g]);
                                snprintf(fcols[g] + l, sizeof fcols[g] - l, "%s%s", l ? " " : "",
                                         flag_col[q]);
                                nflag[g]++;
                        }
                }
        }
        fclose(f[0]);
        fclose(f[1]);
        f[0] = f[1] = NULL;

        /* the figures' name: the file's, or every file's joined with '+' */
        {
                size_t off = 0;
                name[0] = '\0';
                for (size_t i = 0; i < n; i++) {
                        bool seen = false;
                        for (size_t j = 0; j < i; j++)
                                seen |= m[j].s == m[i].s;
                        if (seen)
                                continue;
                        if (off < 200)
                                off += (size_t)snprintf(name + off, sizeof name - off, "%s%s",
                                                        off ? "+" : "", m[i].s->base);
                }
                if (off > 200)
                        snprintf(name + 180, sizeof name - 180, "+more");
                off = strlen(name);
                name[off++] = '-';
                safe_name(name + off, sizeof name - off, wl);
        }
        params_text(m[0].run, "sizes", params, sizeof params);
        source_text(m, n, source, sizeof source);
        snprintf(sub, sizeof sub, "%s%s%s", params, params[0] ? "\n" : "", source);
        wrap(sub, 130);

        for (int g = 0; g < 2 && !r; g++) {
                FILE *v;
                if (!nseries[g])
                        continue;
                r = stem_for(P, m[0].s->dir, name, g == 0 ? "ns" : "faults", stem, sizeof stem);
                if (r)
                        break;
                snprintf(what, sizeof what, "%s: %s", wl,
                         g == 0 ? "time per calloc + touch + free, by block size"
                                : "minor page faults per calloc + touch + free, by block size");
                v = vars_open(&vars, &vlen, what, sub);
                if (!v) {
                        r = -ENOMEM;
                        break;
                }
                fprintf(v,
                        "; nseries=%zu; nref=%zu; nflag=%zu; lts=\"%s\"; dts=\"%s\"; fpts=\"%s\"; "
                        "fcols=\"%s\"; xmin=%.0f; xmax=%.0f; w=%d; h=%d",
                        nseries[g], nref[g], nflag[g], lts[g], dts[g], fpts[g], fcols[g], xmin,
                        xmax, PLOT_W, PLOT_H);
                fclose(v);
                r = figure(P, stem, g == 0 ? "calloc-ns.gp" : "calloc-faults.gp", what,
                           g == 0 ? "blocks: per allocator size_bytes ns_median ns_ci95_lo "
                                    "ns_ci95_hi; memset reference size_bytes ns; flagged "
                                    "size_bytes ns_median"
                                  : "blocks: per allocator size_bytes minflt_per_op; one fault "
                                    "per page size_bytes pages; flagged size_bytes "
                                    "minflt_per_op",
                           dat[g], vars);
                free(vars);
                vars = NULL;
        }
out:
        for (int g = 0; g < 2; g++) {
                if (f[g])
                        fclose(f[g]);
                free(dat[g]);
        }
        free(title);
        return r;
}

/* ---- rounds ----------------------------------------------------------------- */

/* RSS, VSZ, page tables and live bytes per round, one line per run (and
 * per point when the workload sweeps a parameter). */
static int plot_rounds(struct plot *P, struct src *s, struct member *m, size_t n, const char *wl)
{
        static const char *const key[4] = {"rss_kib", "vsz_kib", "pte_kib", "live_bytes"};
        static const char *const var[4] = {"rss", "vsz", "pte", "live"};
        char *dat = NULL, *vars = NULL, stem[PATH_MAX], name[512], params[512], source[1024],
             sub[1700], what[512], title[800];
        size_t dlen, vlen, nseries = 0;
        char lts[512] = "";
        double max[4] = {0, 0, 0, 0}, rmax = 0;
        bool has[4] = {false, false, false, false};
        char(*mt)[160] = calloc(n, sizeof *mt);
        FILE *f, *v;
        int r;

        if (!mt)
                return -ENOMEM;
        f = open_memstream(&dat, &dlen);
        if (!f) {
                free(mt);
                return -ENOMEM;
        }
        member_titles(m, n, mt);
        for (size_t i = 0; i < n; i++) {
                json_t *rounds = json_object_get(m[i].run, "rounds"), *rd;
                char last[512] = "\x01", label[512];
                size_t k;
                json_array_foreach(rounds, k, rd)
                {
                        bool sweep = json_object_size(json_object_get(rd, "params")) > 0;
                        ab_point_label(rd, label, sizeof label);
                        if (strcmp(label, last) != 0) {
                                size_t l = strlen(lts);
                                snprintf(last, sizeof last, "%s", label);
                                if (nseries++)
                                        fputs("\n\n", f);
                                snprintf(title, sizeof title, "%s%s%s", mt[i], sweep ? " " : "",
                                         sweep ? label : "");
                                dat_title(f, title);
                                snprintf(lts + l, sizeof lts - l, "%s%d", l ? " " : "",
                                         lt_of(P, run_alloc(m[i].run)));
                        }
                        fprintf(f, "%.0f", jnum(json_object_get(rd, "index")));
                        rmax = fmax(rmax, jnum(json_object_get(rd, "index")));
                        for (int c = 0; c < 4; c++) {
                                double x = jnum(json_object_get(rd, key[c]));
                                dat_num(f, x);
                                if (!isnan(x)) {
                                        has[c] = true;
                                        max[c] = fmax(max[c], x);
                                }
                        }
                        fputc('\n', f);
                }
        }
        fclose(f);
        free(mt);
        if (!nseries) {
                free(dat);
                return 0;
        }
        snprintf(name, sizeof name, "%s-", s->base);
        safe_name(name + strlen(name), sizeof name - strlen(name), wl);
        r = stem_for(P, s->dir, name, "rounds", stem, sizeof stem);
        if (r) {
                free(dat);
                return r;
        }
        params_text(m[0].run, NULL, params, sizeof params);
        source_text(m, n, source, sizeof source);
        snprintf(sub, sizeof sub, "%s%s%s (median of each round over them)", params,
                 params[0] ? "\n" : "", source);
        wrap(sub, 130);
        snprintf(what, sizeof what, "%s: memory after each round", wl);
        v = vars_open(&vars, &vlen, what, sub);
        if (!v) {
                free(dat);
                return -ENOMEM;
        }
        fprintf(v, "; nseries=%zu; lts=\"%s\"; rmax=%.0f; w=%d; h=%d", nseries, lts, rmax, PLOT_W,
                PLOT_H);
        for (int c = 0; c < 4; c++) {
                double div;
                const char *unit;
                pick_unit(max[c], c == 3 ? 1 : 1024, &div, &unit);
                fprintf(v, "; %s_div=%.17g; %s_unit=\"%s\"; %s_max=%.17g; has_%s=%d", var[c], div,
                        var[c], unit, var[c], max[c], var[c], has[c]);
        }
        fclose(v);
        r = figure(P, stem, "rounds.gp", what,
                   "blocks: per allocator round rss_kib vsz_kib pte_kib live_bytes", dat, vars);
        free(vars);
        free(dat);
        return r;
}

/* ---- arena-churn bars ----------------------------------------------------- */

static int plot_memory(struct plot *P, struct src *s, struct member *m, size_t n, const char *wl)
{
        char *dat = NULL, *vars = NULL, stem[PATH_MAX], name[512], params[512], source[1024],
             sub[1700], what[512], label[512];
        char(*title)[160] = calloc(n, sizeof *title);
        size_t dlen, vlen, npoints = 0;
        char lts[512] = "";
        double max[2] = {0, 0};
        bool has[2] = {false, false};
        FILE *f, *v;
        int r;

        if (!title)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                npoints = json_array_size(json_object_get(m[i].run, "points")) > npoints
                              ? json_array_size(json_object_get(m[i].run, "points"))
                              : npoints;
        member_titles(m, n, title);
        f = open_memstream(&dat, &dlen);
        if (!f) {
                free(title);
                return -ENOMEM;
        }
        /* header: the points' labels, twice (VSZ and RSS columns) */
        fputs("\"allocator\"", f);
        for (size_t k = 0; k < npoints; k++) {
                json_t *p = json_array_get(json_object_get(m[0].run, "points"), k);
                ab_point_label(p, label, sizeof label);
                for (int c = 0; c < 2; c++) {
                        fputc(' ', f);
                        dat_str(f, label);
                }
        }
        fputc('\n', f);
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(lts);
                dat_str(f, title[i]);
                for (size_t k = 0; k < npoints; k++) {
                        json_t *p = json_array_get(json_object_get(m[i].run, "points"), k);
                        double x[2] = {jnum(json_object_get(p, "vsz_kib")),
                                       jnum(json_object_get(p, "rss_kib"))};
                        for (int c = 0; c < 2; c++) {
                                if (!p || !point_ok(p))
                                        x[c] = NAN;
                                dat_num(f, x[c]);
                                if (!isnan(x[c])) {
                                        has[c] = true;
                                        max[c] = fmax(max[c], x[c]);
                                }
                        }
                }
                fputc('\n', f);
                snprintf(lts + l, sizeof lts - l, "%s%d", l ? " " : "",
                         lt_of(P, run_alloc(m[i].run)));
        }
        fclose(f);
        free(title);
        if (!has[0] && !has[1]) {
                fprintf(stderr, "bench plot: %s: %s: no VSZ or RSS measured, no memory figure\n",
                        s->path, wl);
                free(dat);
                return 0;
        }
        snprintf(name, sizeof name, "%s-", s->base);
        safe_name(name + strlen(name), sizeof name - strlen(name), wl);
        r = stem_for(P, s->dir, name, "memory", stem, sizeof stem);
        if (r) {
                free(dat);
                return r;
        }
        params_text(m[0].run, NULL, params, sizeof params);
        source_text(m, n, source, sizeof source);
        snprintf(sub, sizeof sub, "%s%s%s", params, params[0] ? "\n" : "", source);
        wrap(sub, 130);
        snprintf(what, sizeof what, "%s: address space and resident memory after the run", wl);
        v = vars_open(&vars, &vlen, what, sub);
        if (!v) {
                free(dat);
                return -ENOMEM;
        }
        fprintf(v, "; nallocs=%zu; npoints=%zu; lts=\"%s\"; w=%d; h=%d", n, npoints, lts, PLOT_W,
                PLOT_H);
        for (int c = 0; c < 2; c++) {
                double div;
                const char *unit;
                pick_unit(max[c], 1024, &div, &unit);
                fprintf(v, "; %s_div=%.17g; %s_unit=\"%s\"; has_%s=%d", c ? "rss" : "vsz", div,
                        c ? "rss" : "vsz", unit, c ? "rss" : "vsz", has[c]);
        }
        fclose(v);
        r = figure(P, stem, "arena-memory.gp", what,
                   "header row, then per allocator: name vsz_kib rss_kib (per point)", dat, vars);
        free(vars);
        free(dat);
        return r;
}

/* ---- timeline -------------------------------------------------------------- */

static int plot_timeline(struct plot *P, struct src *s, json_t *run)
{
        char *dat = NULL, *vars = NULL, stem[PATH_MAX], name[512], what[512], sub[1700],
             params[512], source[1024], an[128];
        json_t *tl = json_object_get(run, "timeline"), *smp;
        double sample_ms = jnum(json_object_get(s->doc, "sample_ms")), prev = NAN;
        double t0 = INFINITY, t1 = -INFINITY, pad;
        double max[2] = {0, 0};
        bool has[2] = {false, false};
        struct member me = {s, run};
        size_t dlen, vlen, k;
        FILE *f, *v;
        int r;

        if (!(sample_ms > 0))
                sample_ms = 10;
        f = open_memstream(&dat, &dlen);
        if (!f)
                return -ENOMEM;
        json_array_foreach(tl, k, smp)
        {
                double t = jnum(json_array_get(smp, 0));
                if (isnan(t))
                        continue;
                /* a gap: another process (or another allocator's) ran between */
                if (!isnan(prev) && t - prev > 3 * sample_ms)
                        fputc('\n', f);
                prev = t;
                t0 = fmin(t0, t);
                t1 = fmax(t1, t);
                fprintf(f, "%.3f", t);
                for (int c = 0; c < 2; c++) {
                        double x = jnum(json_array_get(smp, (size_t)c + 1));
                        dat_num(f, x);
                        if (!isnan(x)) {
                                has[c] = true;
                                max[c] = fmax(max[c], x);
                        }
                }
                fputc('\n', f);
        }
        fclose(f);
        if (!has[0] && !has[1]) {
                fprintf(stderr,
                        "bench plot: %s: %s on %s: no timeline samples (sampling off, not "
                        "measurable here, or each process ran shorter than sample_ms): no "
                        "timeline figure\n",
                        s->path, run_alloc(run), run_wl(run));
                free(dat);
                return 0;
        }
        safe_name(an, sizeof an, run_alloc(run));
        snprintf(name, sizeof name, "%s-%s-", s->base, an);
        safe_name(name + strlen(name), sizeof name - strlen(name), run_wl(run));
        r = stem_for(P, s->dir, name, "timeline", stem, sizeof stem);
        if (r) {
                free(dat);
                return r;
        }
        params_text(run, NULL, params, sizeof params);
        source_text(&me, 1, source, sizeof source);
        snprintf(sub, sizeof sub, "%s%s%s; sampled every %g ms", params, params[0] ? "\n" : "",
                 source, sample_ms);
        wrap(sub, 130);
        snprintf(what, sizeof what, "%s on %s: memory of the workload processes while they ran",
                 run_alloc(run), run_wl(run));
        v = vars_open(&vars, &vlen, what, sub);
        if (!v) {
                free(dat);
                return -ENOMEM;
        }
        /* seconds, unless the whole run is shorter than two */
        fprintf(v, "; ltype=%d; t_div=%d; t_unit=\"%s\"; w=%d; h=%d", lt_of(P, run_alloc(run)),
                t1 - t0 >= 2000 ? 1000 : 1, t1 - t0 >= 2000 ? "s" : "ms", PLOT_W, PLOT_H);
        /* the time axis: the samples' span, never empty (one sample) */
        pad = fmax((t1 - t0) * 0.01, sample_ms / 2);
        fprintf(v, "; tmin=%.3f; tmax=%.3f", fmax(t0 - pad, 0), t1 + pad);
        for (int c = 0; c < 2; c++) {
                double div;
                const char *unit;
                pick_unit(max[c], 1024, &div, &unit);
                fprintf(v, "; %s_div=%.17g; %s_unit=\"%s\"; has_%s=%d", c ? "vsz" : "rss", div,
                        c ? "vsz" : "rss", unit, c ? "vsz" : "rss", has[c]);
        }
        fclose(v);
        r = figure(P, stem, "timeline.gp", what, "t_ms rss_kib vsz_kib", dat, vars);
        free(vars);
        free(dat);
        return r;
}

/* ---- the command ------------------------------------------------------------- */

/* Runs of file s (or of every file, when s is NULL) with workload name wl and
 * kernel `kernel` (NULL: any). */
static size_t members(struct plot *P, struct src *s, const char *wl, const char *kernel,
                      struct member **out)
{
        size_t n = 0;
        *out = NULL;
        for (size_t i = 0; i < P->nsrc; i++) {
                json_t *run;
                size_t k;
                if (s && &P->src[i] != s)
                        continue;
                json_array_foreach(json_object_get(P->src[i].doc, "runs"), k, run)
                {
                        struct member *nm;
                        if (strcmp(run_wl(run), wl) != 0 ||
                            (kernel && strcmp(ab_kernel(run), kernel) != 0))
                                continue;
                        nm = realloc(*out, (n + 1) * sizeof *nm);
                        if (!nm)
                                return n;
                        *out = nm;
                        (*out)[n++] = (struct member){&P->src[i], run};
                }
        }
        return n;
}

/* Has workload name wl been seen in an earlier run (of s, or of any file)? */
static bool seen_before(struct plot *P, struct src *s, size_t si, size_t ri, const char *wl,
                        const char *kernel)
{
        for (size_t i = s ? si : 0; i <= si; i++) {
                json_t *run;
                size_t k;
                json_array_foreach(json_object_get(P->src[i].doc, "runs"), k, run)
                {
                        if (i == si && k >= ri)
                                break;
                        if (strcmp(run_wl(run), wl) == 0 &&
                            (!kernel || strcmp(ab_kernel(run), kernel) == 0))
                                return true;
                }
        }
        return false;
}

static int draw(struct plot *P)
{
        int r = 0;
        /* calloc-sweep: every file together, per workload name */
        for (size_t i = 0; i < P->nsrc && !r; i++) {
                json_t *run;
                size_t k;
                json_array_foreach(json_object_get(P->src[i].doc, "runs"), k, run)
                {
                        struct member *m;
                        size_t n;
                        if (strcmp(ab_kernel(run), "calloc-sweep") != 0 ||
                            seen_before(P, NULL, i, k, run_wl(run), "calloc-sweep"))
                                continue;
                        n = members(P, NULL, run_wl(run), "calloc-sweep", &m);
                        r = plot_calloc(P, m, n, run_wl(run));
                        free(m);
                        if (r)
                                break;
                }
        }
        /* per file: rounds, arena-churn bars, then every run's timeline */
        for (size_t i = 0; i < P->nsrc && !r; i++) {
                struct src *s = &P->src[i];
                json_t *run;
                size_t k;
                json_array_foreach(json_object_get(s->doc, "runs"), k, run)
                {
                        struct member *m;
                        size_t n;
                        bool rounds = false;
                        if (seen_before(P, s, i, k, run_wl(run), NULL))
                                continue;
                        n = members(P, s, run_wl(run), NULL, &m);
                        for (size_t j = 0; j < n; j++)
                                rounds |= json_array_size(json_object_get(m[j].run, "rounds")) > 0;
                        if (rounds)
                                r = plot_rounds(P, s, m, n, run_wl(run));
                        if (!r && strcmp(ab_kernel(run), "arena-churn") == 0)
                                r = plot_memory(P, s, m, n, run_wl(run));
                        free(m);
                        if (r)
                                break;
                }
                json_array_foreach(json_object_get(s->doc, "runs"), k, run)
                {
                        if (r || (r = plot_timeline(P, s, run)))
                                break;
                }
        }
        return r;
}

/* Where the figures of `path` go, checked writable before anything is drawn. */
static int place(struct plot *P, struct src *s)
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
        if (!is_dir(parent))
                return bad("-o %s: no directory %s to create it in", dir, parent);
        if (access(parent, W_OK | X_OK) != 0)
                return bad("-o %s: cannot create it in %s: %s", dir, parent, strerror(errno));
        return 0;
}

int ab_cmd_plot(int argc, char **argv)
{
        struct plot P = {0};
        char err[PATH_MAX + 512];
        const char **files = calloc((size_t)argc + 1, sizeof *files);
        size_t nfiles = 0;
        bool opts_done = false;
        int r = AB_OK;

        if (!files)
                return AB_BAD_INPUT;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!opts_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
                        usage(stdout);
                        free(files);
                        return AB_OK;
                }
                if (!opts_done && strcmp(a, "--") == 0) {
                        opts_done = true;
                } else if (!opts_done && (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                                          strncmp(a, "--output=", 9) == 0)) {
                        const char *d = a[1] == 'o' ? argv[i + 1] : a[8] ? a + 9 : argv[i + 1];
                        if (P.outdir) {
                                r = bad("-o given twice");
                                goto out;
                        }
                        if (!d) {
                                r = bad("%s needs a directory", a);
                                goto out;
                        }
                        if (a[1] == 'o' || !a[8])
                                i++;
                        P.outdir = d;
                } else if (!opts_done && a[0] == '-' && a[1]) {
                        r = bad("unknown option '%s'", a);
                        goto out;
                } else {
                        files[nfiles++] = a;
                }
        }
        if (!nfiles) {
                r = bad("no results file given");
                goto out;
        }
        if (P.outdir && (r = check_outdir(P.outdir)))
                goto out;
        P.src = calloc(nfiles, sizeof *P.src);
        if (!P.src) {
                r = AB_BAD_INPUT;
                goto out;
        }
        for (size_t i = 0; i < nfiles; i++) {
                struct src *s = &P.src[P.nsrc];
                if (same_file_before(files, i))
                        continue; /* named twice: drawn once */
                s->path = files[i];
                s->doc = ab_results_load(files[i], err, sizeof err);
                if (!s->doc) {
                        r = bad("%s", err);
                        goto out;
                }
                P.nsrc++;
                s->host = ab_str(json_object_get(s->doc, "host"), "hostname") ?: "?";
                if ((r = place(&P, s)))
                        goto out;
        }
        if (ab_which("gnuplot", P.gnuplot, sizeof P.gnuplot)) {
                fprintf(stderr, "bench plot: gnuplot not found in PATH (install the Debian "
                                "package gnuplot-nox)\n");
                r = AB_BAD_INPUT;
                goto out;
        }
        if (script_dir(P.scripts, sizeof P.scripts)) {
                fprintf(stderr, "bench plot: the gnuplot scripts (plots/*.gp) are not next to "
                                "bench or one level up\n");
                r = AB_BAD_INPUT;
                goto out;
        }
        if (P.outdir && !is_dir(P.outdir) && mkdir(P.outdir, 0777) != 0) {
                fprintf(stderr, "bench plot: -o %s: cannot create it: %s\n", P.outdir,
                        strerror(errno));
                r = AB_BAD_INPUT;
                goto out;
        }
        if (draw(&P)) {
                r = AB_BAD_INPUT;
                goto out;
        }
        if (!P.figures) {
                fprintf(stderr,
                        "bench plot: nothing to draw in the file%s given (no run with "
                        "measured points, rounds or a timeline)\n",
                        nfiles > 1 ? "s" : "");
                r = AB_BAD_INPUT;
        }
out:
        for (size_t i = 0; i < P.nsrc; i++)
                json_decref(P.src[i].doc);
        for (size_t i = 0; i < P.nstems; i++)
                free(P.stems[i]);
        for (size_t i = 0; i < P.nallocs; i++)
                free(P.allocs[i]);
        free(P.stems);
        free(P.allocs);
        free(P.src);
        free(files);
        return r;
}
