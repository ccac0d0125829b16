/*
 * target.c - the results file's target: checked up front, published
 * without clobbering another run's file, kept elsewhere when its own file
 * system refuses it (target.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "measure/target.h"

static const char *kind_of(mode_t m)
{
        return S_ISDIR(m)    ? "directory"
               : S_ISCHR(m)  ? "character device"
               : S_ISBLK(m)  ? "block device"
               : S_ISFIFO(m) ? "FIFO"
               : S_ISSOCK(m) ? "socket"
                             : "special file";
}

/* The directory part of path ("." when it has none). */
static void dir_of(const char *path, char *dir, size_t len)
{
        const char *slash = strrchr(path, '/');
        if (!slash)
                snprintf(dir, len, ".");
        else if (slash == path)
                snprintf(dir, len, "/");
        else
                snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* A symlink given as -o: the file it names (a dangling one's target too). */
static int follow(const char *given, char *out, size_t len)
{
        char link[PATH_MAX], dir[PATH_MAX];
        ssize_t n;
        if (realpath(given, out))
                return 0;
        if ((n = readlink(given, link, sizeof link - 1)) < 0)
                return -errno;
        link[n] = '\0';
        dir_of(given, dir, sizeof dir);
        if (link[0] == '/')
                snprintf(out, len, "%s", link);
        else if (snprintf(out, len, "%s/%s", dir, link) >= (int)len)
                return -ENAMETOOLONG;
        return 0;
}

/* Can a new file be made in dir? 0 or -errno. */
static int probe(const char *dir)
{
        char p[PATH_MAX];
        int fd;
        if (snprintf(p, sizeof p, "%s/.allocbench-probe-XXXXXX", dir) >= (int)sizeof p)
                return -ENAMETOOLONG;
        if ((fd = mkstemp(p)) < 0)
                return -errno;
        close(fd);
        unlink(p);
        return 0;
}

int ab_target_check(struct ab_target *t, const char *opt, const char *given, bool is_default)
{
        char dir[PATH_MAX], parent[PATH_MAX];
        struct stat st;
        int r;
        memset(t, 0, sizeof *t);
        if (!*given || given[strlen(given) - 1] == '/')
                return ab_bad("", "%s '%s': expected a file name", opt, given);
        if (lstat(given, &st) == 0 && S_ISLNK(st.st_mode)) {
                if ((r = follow(given, t->path, sizeof t->path)))
                        return ab_bad("", "%s '%s': cannot follow the symlink: %s", opt, given,
                                      strerror(-r));
        } else if (snprintf(t->path, sizeof t->path, "%s", given) >= (int)sizeof t->path) {
                return ab_bad("", "%s '%s': the path is too long", opt, given);
        }
        if (stat(t->path, &st) == 0) {
                if (!S_ISREG(st.st_mode))
                        return ab_bad("",
                                      "%s '%s': %s is a %s, not a regular file (accepted: a new "
                                      "file, or a regular file to replace)",
                                      opt, given, t->path, kind_of(st.st_mode));
                t->existed = true;
                t->dev = st.st_dev;
                t->ino = st.st_ino;
                t->mtime = st.st_mtim;
                t->size = st.st_size;
        } else if (errno != ENOENT) {
                return ab_bad("", "%s '%s': %s", opt, given, strerror(errno));
        }
        dir_of(t->path, dir, sizeof dir);
        if (!ab_is_dir(dir)) {
                /* results/ is made when the file is written: its parent must take it */
                dir_of(dir, parent, sizeof parent);
                if (is_default && ab_is_dir(parent) && access(parent, W_OK) == 0)
                        return 0;
                return ab_bad("", "%s '%s': directory %s does not exist", opt, given, dir);
        }
        if ((r = probe(dir)))
                return ab_bad("", "%s '%s': cannot create a file in %s: %s", opt, given, dir,
                              strerror(-r));
        return 0;
}

/* ---- publishing ---------------------------------------------------------------- */

/* Write data to a new file (O_EXCL) at path and sync it: 0 or -errno (the
 * file removed). */
static int write_new(const char *path, const char *data, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), e = 0;
        size_t off = 0;
        if (fd < 0)
                return -errno;
        while (off < len && !e) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        e = n < 0 ? errno : EIO;
                else
                        off += (size_t)n;
        }
        if (!e && fsync(fd) != 0)
                e = errno;
        if (close(fd) != 0 && !e)
                e = errno;
        if (e)
                unlink(path);
        return -e;
}

/* Is t->path as the run found it (absent then and now, or the same file,
 * unmodified)? */
static bool untouched(const struct ab_target *t)
{
        struct stat st;
        if (stat(t->path, &st) != 0)
                return !t->existed;
        return t->existed && st.st_dev == t->dev && st.st_ino == t->ino &&
               st.st_mtim.tv_sec == t->mtime.tv_sec && st.st_mtim.tv_nsec == t->mtime.tv_nsec &&
               st.st_size == t->size;
}

/* NAME-k.EXT for path NAME.EXT (NAME-k without an extension). */
static void suffixed(const char *path, int k, char *out, size_t len)
{
        const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
        if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : path))
                snprintf(out, len, "%s-%d", path, k);
        else
                snprintf(out, len, "%.*s-%d%s", (int)(dot - path), path, k, dot);
}

/* The temporary file tmp into place at t->path, or beside it when another
 * writer took that name: 0 and the name in out, or -errno. */
static int place(const struct ab_target *t, const char *tmp, char *out, size_t outlen)
{
        if (untouched(t)) {
                /* replacing the file the user named is the point of -o; a name
                 * nobody holds is taken only if it is still free (link) */
                if (t->existed ? rename(tmp, t->path) == 0 : link(tmp, t->path) == 0) {
                        snprintf(out, outlen, "%s", t->path);
                        if (!t->existed)
                                unlink(tmp);
                        return 0;
                }
                if (errno != EEXIST)
                        return -errno;
        }
        for (int k = 2; k < 10000; k++) {
                suffixed(t->path, k, out, outlen);
                if (link(tmp, out) == 0) {
                        unlink(tmp);
                        return 0;
                }
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

/* The data as a new file in $TMPDIR (or /tmp): 0 and its name in out. */
static int fallback(const struct ab_target *t, const char *data, size_t len, char *out,
                    size_t outlen)
{
        const char *dir = getenv("TMPDIR"), *base = strrchr(t->path, '/');
        int r = -EEXIST;
        if (!dir || dir[0] != '/')
                dir = "/tmp";
        base = base ? base + 1 : t->path;
        for (int k = 1; k < 1000 && r == -EEXIST; k++) {
                char name[PATH_MAX];
                if (snprintf(name, sizeof name, "%s/allocbench-%.*s", dir, NAME_MAX, base) >=
                    (int)sizeof name)
                        return -ENAMETOOLONG;
                if (k > 1)
                        suffixed(name, k, out, outlen);
                else
                        snprintf(out, outlen, "%s", name);
                r = write_new(out, data, len);
        }
        return r;
}

int ab_target_publish(const struct ab_target *t, const char *data, size_t len, char *out,
                      size_t outlen, char *err, size_t errlen)
{
        char dir[PATH_MAX], tmp[PATH_MAX + NAME_MAX + 32];
        const char *base = strrchr(t->path, '/');
        int r;
        base = base ? base + 1 : t->path;
        dir_of(t->path, dir, sizeof dir);
        if ((r = ab_mkdir_p(dir)) == 0) {
                snprintf(tmp, sizeof tmp, "%s/.%.*s.tmp.%d", dir, NAME_MAX - 24, base,
                         (int)getpid());
                if ((r = write_new(tmp, data, len)) == 0 && (r = place(t, tmp, out, outlen)))
                        unlink(tmp);
        }
        if (r == 0)
                return 0;
        snprintf(err, errlen, "cannot write %s: %s", t->path, strerror(-r));
        if (fallback(t, data, len, out, outlen) == 0)
                return 1;
        return r;
}
