/*
 * plot_figure.c - one figure of bench plot: its .dat, gnuplot drawing the
 * PNG and the SVG, and publishing the three only when all are whole.
 *
 * gnuplot is run with posix_spawn and argv words (never a shell), its
 * variables passed as `-e 'name="value"; ...'`. It exits 0 when its output
 * device fills up and leaves a cut-short image behind, so its word is not
 * taken for it: the temporaries are checked (a PNG ends with its IEND
 * chunk, an SVG with </svg>) before they are renamed over the figure's
 * names. A figure that fails leaves the previous one, if any, in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "report/plot.h"

extern char **environ;

static const char *const ext[] = {".png", ".svg", ".dat"};

/* gnuplot -e VARS SCRIPT, its stdout onto our stderr (stdout carries the
 * figures' paths), stdin from /dev/null. 0 when it exited 0. */
static int gnuplot(struct ab_plot *P, const char *vars, const char *script)
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
                ab_err("plot", "cannot run %s: %s", P->gnuplot, strerror(r));
                return -r;
        }
        while (waitpid(pid, &st, 0) < 0) {
                if (errno != EINTR)
                        return -errno;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                ab_err("plot", "gnuplot failed on %s (%s %d)", script,
                       WIFEXITED(st) ? "exit" : "signal",
                       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
                return -EIO;
        }
        return 0;
}

int ab_plot_stem(struct ab_plot *P, const char *dir, const char *name, const char *kind, char *out,
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
                                     suffix) >= len) {
                        ab_err("plot", "%s: the figure's path is too long", dir);
                        return -ENAMETOOLONG;
                }
                for (size_t i = 0; i < P->nstems; i++)
                        used |= strcmp(P->stems[i], out) == 0;
                if (!used)
                        break;
        }
        n = realloc(P->stems, (P->nstems + 1) * sizeof *n);
        if (!n || !(n[P->nstems] = strdup(out))) {
                if (n)
                        P->stems = n;
                ab_err("plot", "out of memory");
                return -ENOMEM;
        }
        P->stems = n;
        P->nstems++;
        return 0;
}

/* ---- quoting ---------------------------------------------------------------------- */

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

/* "datafile='DAT'; out='OUT'; VARS" in a malloc'd string, or NULL. */
static char *assignments(const char *dat, const char *out, const char *vars)
{
        char *s = NULL;
        size_t len = 0;
        FILE *v = open_memstream(&s, &len);
        if (!v)
                return NULL;
        fputs("datafile=", v);
        gp_path(v, dat);
        fputs("; out=", v);
        gp_path(v, out);
        fprintf(v, "; %s", vars);
        if (fclose(v) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

/* The .dat: what it is, its columns, the command that redraws the figure
 * from it (naming the final files, absolutely: it works from any
 * directory), then the data. NULL when out of memory. */
static char *dat_text(const struct ab_plot *P, const struct ab_plot_fig *f, size_t *len)
{
        char absp[PATH_MAX + 300], final[PATH_MAX + 310], spath[PATH_MAX + 64];
        const char *slash = strrchr(f->stem, '/');
        char *head = NULL, *gvars;
        FILE *h;
        if (slash) {
                char d[PATH_MAX];
                snprintf(d, sizeof d, "%.*s", slash == f->stem ? 1 : (int)(slash - f->stem),
                         f->stem);
                if (realpath(d, absp))
                        snprintf(absp + strlen(absp), sizeof absp - strlen(absp), "/%s", slash + 1);
                else
                        snprintf(absp, sizeof absp, "%s", f->stem);
        } else if (getcwd(absp, sizeof absp - 1 - strlen(f->stem))) {
                snprintf(absp + strlen(absp), sizeof absp - strlen(absp), "/%s", f->stem);
        } else {
                snprintf(absp, sizeof absp, "%s", f->stem);
        }
        snprintf(final, sizeof final, "%s.dat", absp);
        snprintf(spath, sizeof spath, "%s/%s", P->scripts, f->script);
        if (!(gvars = assignments(final, absp, f->vars)))
                return NULL;
        h = open_memstream(&head, len);
        if (!h) {
                free(gvars);
                return NULL;
        }
        fprintf(h, "# allocbench: %s\n# columns: %s\n# redraw: gnuplot -e ", f->what, f->columns);
        sh_word(h, gvars);
        fputc(' ', h);
        sh_word(h, spath);
        fprintf(h, "\n%s", f->data);
        free(gvars);
        if (fclose(h) != 0) {
                free(head);
                return NULL;
        }
        return head;
}

/* ---- checking what gnuplot wrote ------------------------------------------------ */

/* The last up to `want` bytes of path into buf; how many, or -errno. */
static ssize_t tail_of(const char *path, unsigned char *buf, size_t want, off_t *size)
{
        struct stat st;
        ssize_t n;
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EINVAL;
        }
        *size = st.st_size;
        if ((off_t)want > st.st_size)
                want = (size_t)st.st_size;
        n = pread(fd, buf, want, st.st_size - (off_t)want);
        close(fd);
        return n < 0 ? -errno : n;
}

/* Is the image at path whole? 0, or -EIO with why in `why`. A PNG ends with
 * its IEND chunk (length 0, "IEND", its CRC); an SVG with </svg> and
 * perhaps white space. */
static int image_whole(const char *path, bool png, char *why, size_t wlen)
{
        static const unsigned char iend[12] = {0,   0,   0,    0,    'I',  'E',
                                               'N', 'D', 0xAE, 0x42, 0x60, 0x82};
        unsigned char b[64];
        off_t size = 0;
        ssize_t n = tail_of(path, b, sizeof b, &size);
        if (n < 0) {
                snprintf(why, wlen, "not written (%s)", strerror((int)-n));
                return -EIO;
        }
        if (png && (n < 12 || memcmp(b + n - 12, iend, 12) != 0)) {
                snprintf(why, wlen, "cut short: %lld bytes and no IEND chunk", (long long)size);
                return -EIO;
        }
        while (!png && n > 0 && strchr(" \t\r\n", b[n - 1]))
                n--;
        if (!png && (n < 6 || memcmp(b + n - 6, "</svg>", 6) != 0)) {
                snprintf(why, wlen, "cut short: %lld bytes, not ending with </svg>",
                         (long long)size);
                return -EIO;
        }
        return 0;
}

/* Is the file system of path full (for this user)? Free space is then in
 * *kib. */
static bool disk_full(const char *path, unsigned long long *kib)
{
        struct statvfs vs;
        unsigned long long blocks;
        if (statvfs(path, &vs) != 0)
                return false;
        blocks = geteuid() == 0 ? vs.f_bfree : vs.f_bavail;
        *kib = blocks * vs.f_frsize / 1024;
        /* gnuplot writes in pieces of a few KiB: less than one left is full */
        return *kib < 64;
}

/* The directory of a temporary path ("." when it has none), for statvfs. */
static const char *dir_of(const char *path, char *buf, size_t len)
{
        const char *slash = strrchr(path, '/');
        if (!slash)
                return ".";
        snprintf(buf, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
        return buf;
}

/* Are gnuplot's images whole? 0, or why not said (naming a full disk as
 * such) and -ENOSPC or -EIO. */
static int check_images(const struct ab_plot_fig *f, const char *tmp)
{
        char d[PATH_MAX], why[128], from[PATH_MAX + 48];
        unsigned long long kib;
        for (size_t i = 0; i < 2; i++) {
                snprintf(from, sizeof from, "%s%s", tmp, ext[i]);
                if (image_whole(from, i == 0, why, sizeof why) == 0)
                        continue;
                if (disk_full(dir_of(tmp, d, sizeof d), &kib)) {
                        ab_err("plot",
                               "%s%s: the disk is full (no space left on device: %llu KiB free "
                               "in %s): gnuplot's image came out %s; nothing of this figure was "
                               "published",
                               f->stem, ext[i], kib, d, why);
                        return -ENOSPC;
                }
                ab_err("plot",
                       "%s%s: gnuplot's image came out %s although gnuplot reported success; "
                       "nothing of this figure was published",
                       f->stem, ext[i], why);
                return -EIO;
        }
        return 0;
}

/* ---- one figure ---------------------------------------------------------------------- */

int ab_plot_figure(struct ab_plot *P, const struct ab_plot_fig *f)
{
        char spath[PATH_MAX + 64], tmp[PATH_MAX + 32], tdat[PATH_MAX + 48], final[PATH_MAX + 48],
            from[PATH_MAX + 48], err[PATH_MAX + 128];
        const char *slash = strrchr(f->stem, '/');
        char *dat, *body = NULL;
        size_t dlen = 0;
        int r;

        snprintf(spath, sizeof spath, "%s/%s", P->scripts, f->script);
        /* temporaries: hidden, beside the outputs (same file system: rename) */
        snprintf(tmp, sizeof tmp, "%.*s.%s.tmp.%d", slash ? (int)(slash - f->stem + 1) : 0, f->stem,
                 slash ? slash + 1 : f->stem, (int)getpid());
        snprintf(tdat, sizeof tdat, "%s.dat", tmp);
        if (!(dat = dat_text(P, f, &dlen))) {
                ab_err("plot", "out of memory");
                return -ENOMEM;
        }
        /* written, synced and closed without an error: whole */
        r = ab_write_atomic(tdat, dat, dlen, err, sizeof err);
        free(dat);
        if (r) {
                ab_err("plot", "%s%s", err,
                       r == -ENOSPC || r == -EDQUOT
                           ? " (the disk is full; nothing of this figure was published)"
                           : "");
                goto out;
        }
        if (!(body = assignments(tdat, tmp, f->vars))) {
                ab_err("plot", "out of memory");
                r = -ENOMEM;
                goto out;
        }
        r = gnuplot(P, body, spath);
        if (r) {
                /* gnuplot said why, and its exit status is said; a full disk
                 * is worth saying in as many words */
                char d[PATH_MAX];
                unsigned long long kib;
                if (r == -EIO && disk_full(dir_of(tmp, d, sizeof d), &kib))
                        ab_err("plot",
                               "the disk is full (no space left on device: %llu KiB "
                               "free in %s); nothing of %s was published",
                               kib, d, f->stem);
                goto out;
        }
        if ((r = check_images(f, tmp)))
                goto out;
        for (size_t i = 0; i < 3 && !r; i++) {
                snprintf(from, sizeof from, "%s%s", tmp, ext[i]);
                snprintf(final, sizeof final, "%s%s", f->stem, ext[i]);
                if (rename(from, final) != 0) {
                        r = -errno;
                        ab_err("plot", "cannot write %s: %s", final, strerror(errno));
                }
        }
out:
        for (size_t i = 0; i < 3; i++) {
                snprintf(from, sizeof from, "%s%s", tmp, ext[i]);
                unlink(from); /* gone already when renamed */
        }
        free(body);
        if (!r) {
                printf("%s.png\n%s.svg\n", f->stem, f->stem);
                P->figures++;
        }
        return r;
}
