#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "measure/backend.h"
#include "measure/bench.h" /* ab_runner_sibling */

const struct ab_backend ab_backends[] = {
#define AB_BACKEND(n, so, runner, pkg, vq, help) {#n, so, runner, pkg, vq, help},
#include "../../allocators/backends.def"
#undef AB_BACKEND
};
const size_t ab_nbackends = sizeof ab_backends / sizeof ab_backends[0];

#ifndef AB_MULTIARCH
#define AB_MULTIARCH ""
#endif

bool ab_backend_locate(const struct ab_backend *b, char *path, size_t len)
{
        static const char *const dirs[] = {"/usr/lib/" AB_MULTIARCH, "/lib/" AB_MULTIARCH,
                                           "/usr/lib64", "/usr/lib", "/usr/local/lib"};
        if (b->runner) {
                ab_runner_sibling(b->runner, path, len);
                return access(path, X_OK) == 0;
        }
        if (!b->soname) {
                path[0] = '\0';
                return true;
        }
        for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
                snprintf(path, len, "%s/%s", dirs[i], b->soname);
                if (access(path, R_OK) == 0)
                        return true;
        }
        path[0] = '\0';
        return false;
}

int ab_backend_resolve(const char *item, struct ab_alloc *out, char *err, size_t errlen)
{
        memset(out, 0, sizeof *out);
        if (strchr(item, '/') || strstr(item, ".so")) {
                const char *base = strrchr(item, '/');
                if (!realpath(item, out->library)) {
                        snprintf(err, errlen,
                                 "--alloc: cannot use '%s': %s (give a built-in name or a path "
                                 "to a malloc-replacing shared library)",
                                 item, strerror(errno));
                        return -ENOENT;
                }
                snprintf(out->name, sizeof out->name, "%s", base ? base + 1 : item);
                out->vq = AB_VQ_ANY;
                return 0;
        }
        for (size_t i = 0; i < ab_nbackends; i++) {
                const struct ab_backend *b = &ab_backends[i];
                if (strcmp(b->name, item) != 0)
                        continue;
                if (b->runner && !ab_backend_locate(b, out->runner, sizeof out->runner)) {
                        snprintf(err, errlen,
                                 "--alloc: %s is not built: its runner %s was not found "
                                 "(make builds it when the Debian package %s is installed: "
                                 "apt-get install %s, then make)",
                                 b->name, out->runner, b->package, b->package);
                        return -ENOENT;
                }
                if (!b->runner && !ab_backend_locate(b, out->library, sizeof out->library)) {
                        snprintf(err, errlen,
                                 "--alloc: %s is not installed: %s was not found "
                                 "(install the Debian package %s: apt-get install %s)",
                                 b->name, b->soname, b->package, b->package);
                        return -ENOENT;
                }
                snprintf(out->name, sizeof out->name, "%s", b->name);
                out->vq = b->vq;
                out->builtin = b;
                return 0;
        }
        {
                size_t off = 0;
                char names[256] = "";
                for (size_t i = 0; i < ab_nbackends; i++)
                        off += (size_t)snprintf(names + off, sizeof names - off, "%s, ",
                                                ab_backends[i].name);
                snprintf(err, errlen,
                         "--alloc: unknown allocator '%s' (accepted: %sall, or a path to a "
                         "malloc-replacing .so)",
                         item, names);
        }
        return -EINVAL;
}
