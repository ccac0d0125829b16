#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"

int ab_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
        char tmp[4096];
        int fd, e = 0;
        size_t off = 0;
        snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
                e = errno;
                snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
                return -e;
        }
        while (off < len) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        e = n < 0 ? errno : EIO;
                        break;
                }
                off += (size_t)n;
        }
        if (!e && fsync(fd) != 0)
                e = errno;
        if (close(fd) != 0 && !e)
                e = errno;
        if (!e && rename(tmp, path) != 0)
                e = errno;
        if (e) {
                unlink(tmp);
                snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
                return -e;
        }
        return 0;
}

int ab_which(const char *name, char *out, size_t len)
{
        const char *path = getenv("PATH");
        if (!*name)
                return -ENOENT;
        if (strchr(name, '/')) {
                snprintf(out, len, "%s", name);
                return access(out, X_OK) == 0 ? 0 : -ENOENT;
        }
        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin";
        while (*path) {
                size_t n = strcspn(path, ":");
                snprintf(out, len, "%.*s/%s", (int)(n ? n : 1), n ? path : ".", name);
                if (access(out, X_OK) == 0)
                        return 0;
                path += n + (path[n] == ':');
        }
        return -ENOENT;
}

int ab_mkdir_p(const char *dir)
{
        char buf[PATH_MAX];
        size_t n = strlen(dir);
        if (n == 0 || n >= sizeof buf)
                return -ENAMETOOLONG;
        memcpy(buf, dir, n + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return -errno;
        return 0;
}

bool ab_is_regular(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool ab_is_dir(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
