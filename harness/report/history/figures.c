/*
 * figures.c - the figures a dashboard links (figures.h): the PNG and SVG
 * files bench plot drew for each host's latest results file, found next to
 * it (results/20261122T065312Z-vm.json: results/20261122T065312Z-vm-KIND.png
 * and .svg, results/20261122T065312Z-vm+OTHER-KIND.png for several files,
 * likewise in a directory results/20261122T065312Z-vm/), are copied into
 * DIR/figures/ while that results file still exists, so the directory can be
 * published as it is; nothing else there is. Then every PNG and SVG under
 * DIR (three levels deep) is listed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "report/history/figures.h"

static bool is_figure(const char *name)
{
        size_t n = strlen(name);
        return name[0] != '.' && n > 4 &&
               (strcasecmp(name + n - 4, ".png") == 0 || strcasecmp(name + n - 4, ".svg") == 0);
}

/* Copy `name` in directory dfd to dst (atomically). Figures are small;
 * larger files are left. Only a regular file is read: the open neither
 * blocks (a FIFO with a figure's name) nor follows a symbolic link, and what
 * it opened is checked before a byte is read. */
static int copy_file(int dfd, const char *name, const char *dst)
{
        char err[256], *buf;
        struct stat st;
        int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY), r,
            fl;
        size_t off = 0;
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
                close(fd);
                return -EINVAL;
        }
        /* a regular file: reads block as usual (mandatory locks aside) */
        if ((fl = fcntl(fd, F_GETFL)) >= 0)
                fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (off < (size_t)st.st_size) {
                ssize_t k = read(fd, buf + off, (size_t)st.st_size - off);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                off += (size_t)k;
        }
        close(fd);
        r = ab_write_atomic(dst, buf, off, err, sizeof err);
        free(buf);
        return r;
}

/* Whether real path `path` is dir or lies under it (both resolved). */
static bool path_within(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        if (n && dir[n - 1] == '/') /* "/" */
                return path[0] == '/';
        return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* A figure `bench plot` draws for the results file whose name without .json
 * is `stem`: STEM-KIND.png|svg, or STEM+OTHER..-KIND for several files. */
static bool figure_of(const char *name, const char *stem)
{
        size_t n = strlen(stem);
        return n && strncmp(name, stem, n) == 0 && (name[n] == '-' || name[n] == '+') &&
               is_figure(name);
}

/* Copy the figures in directory dfd that bench plot made for `stem` into
 * figdir (dfd is closed). */
static void copy_figures_in(int dfd, const char *stem, const char *figdir)
{
        DIR *d = fdopendir(dfd);
        struct dirent *e;
        if (!d) {
                close(dfd);
                return;
        }
        while ((e = readdir(d))) {
                char dst[PATH_MAX * 2];
                if (!figure_of(e->d_name, stem) ||
                    (size_t)snprintf(dst, sizeof dst, "%s/%s", figdir, e->d_name) >= sizeof dst)
                        continue;
                if (ab_mkdir_p(figdir) == 0)
                        copy_file(dirfd(d), e->d_name, dst);
        }
        closedir(d);
}

/* Copy the figures of one results file into figdir. `results` comes from
 * the database (runs.file), so it says nothing about what may be published:
 * only the figures bench plot names after that results file are copied, from
 * its directory (and a directory named like it), and only while the results
 * file itself is still there. */
static void copy_figures_of(const char *results, const char *dir, const char *figdir)
{
        char rdir[PATH_MAX], stem[NAME_MAX + 1], real_r[PATH_MAX], real_d[PATH_MAX];
        char sub[PATH_MAX + NAME_MAX + 2];
        const char *slash = strrchr(results, '/');
        const char *base = slash ? slash + 1 : results;
        size_t n = strlen(base);
        struct stat st;
        int fd;
        if (slash)
                snprintf(rdir, sizeof rdir, "%.*s", slash == results ? 1 : (int)(slash - results),
                         results);
        else
                snprintf(rdir, sizeof rdir, ".");
        if (n == 0 || n > NAME_MAX)
                return;
        /* the name bench plot gives the figures: the file's without .json */
        if (n > 5 && strcmp(base + n - 5, ".json") == 0)
                n -= 5;
        snprintf(stem, sizeof stem, "%.*s", (int)n, base);
        /* the results file must still be there, a regular file */
        if (stat(results, &st) != 0 || !S_ISREG(st.st_mode))
                return;
        /* already inside the dashboard: it is linked where it is */
        if (realpath(rdir, real_r) && realpath(dir, real_d) && path_within(real_r, real_d))
                return;
        fd = open(rdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
                copy_figures_in(fd, stem, figdir);
        /* bench plot RESULTS -o DIR/STEM: the same names, not any figure there */
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", rdir, stem) >= sizeof sub)
                return;
        fd = open(sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
                copy_figures_in(fd, stem, figdir);
}

static void names_add(struct ab_names *l, const char *s)
{
        if (l->n == l->cap) {
                size_t cap = l->cap ? 2 * l->cap : 16;
                char **p = realloc(l->v, cap * sizeof *p);
                if (!p)
                        return;
                l->v = p;
                l->cap = cap;
        }
        if ((l->v[l->n] = strdup(s)))
                l->n++;
}

/* Figures under dir/rel, as paths relative to dir. */
static void find_figures(const char *dir, const char *rel, int depth, struct ab_names *out)
{
        char path[PATH_MAX * 2];
        DIR *d;
        struct dirent *e;
        snprintf(path, sizeof path, "%s%s%s", dir, rel[0] ? "/" : "", rel);
        if (depth > 3 || !(d = opendir(path)))
                return;
        while ((e = readdir(d))) {
                char sub[PATH_MAX * 2], full[PATH_MAX * 3];
                struct stat st;
                if (e->d_name[0] == '.')
                        continue;
                snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
                snprintf(full, sizeof full, "%s/%s", dir, sub);
                if (stat(full, &st) != 0)
                        continue;
                if (S_ISDIR(st.st_mode))
                        find_figures(dir, sub, depth + 1, out);
                else if (S_ISREG(st.st_mode) && is_figure(e->d_name))
                        names_add(out, sub);
        }
        closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
        return ab_natcmp(*(char *const *)a, *(char *const *)b);
}

void ab_figures_collect(const char *dir, const struct ab_history *h, struct ab_names *out)
{
        char figdir[PATH_MAX + 32];
        snprintf(figdir, sizeof figdir, "%s/figures", dir);
        for (size_t i = 0; i < h->nruns; i++)
                if (h->runs[i].latest && h->runs[i].file)
                        copy_figures_of(h->runs[i].file, dir, figdir);
        find_figures(dir, "", 0, out);
        if (out->n)
                qsort(out->v, out->n, sizeof *out->v, cmp_str);
}

void ab_names_free(struct ab_names *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        memset(l, 0, sizeof *l);
}
