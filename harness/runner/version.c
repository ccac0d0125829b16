/*
 * version.c - runner side: which library serves malloc in this process, and
 * what version it says it is. Asking the loaded library itself proves the
 * preload took effect: a name on the command line proves nothing.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "prim/prim.h"
#include "runner/version.h"

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef const char *(*tc_version_fn)(int *, int *, const char **);
typedef int (*mi_version_fn)(void);
typedef const char *(*ab_version_fn)(void);
typedef const char *(*glibc_version_fn)(void);

static int q_jemalloc(char *buf, size_t len)
{
        mallctl_fn f = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
        const char *ver = NULL;
        size_t sz = sizeof ver;
        if (!f || f("version", &ver, &sz, NULL, 0) != 0 || !ver)
                return -1;
        /* "5.3.0-0-g54eaed1d..." : the release is the part before the dash */
        snprintf(buf, len, "%.*s", (int)strcspn(ver, "-"), ver);
        return 0;
}

static int q_tcmalloc(char *buf, size_t len)
{
        tc_version_fn f = (tc_version_fn)dlsym(RTLD_DEFAULT, "tc_version");
        int major, minor;
        const char *patch, *s;
        if (!f || !(s = f(&major, &minor, &patch)))
                return -1;
        snprintf(buf, len, "%s", s); /* "gperftools 2.10" */
        return 0;
}

static int q_mimalloc(char *buf, size_t len)
{
        mi_version_fn f = (mi_version_fn)dlsym(RTLD_DEFAULT, "mi_version");
        int v;
        if (!f)
                return -1;
        v = f(); /* MI_MALLOC_VERSION: 209 is 2.0.9 */
        snprintf(buf, len, "%d.%d.%d", v / 100, (v / 10) % 10, v % 10);
        return 0;
}

static int q_glibc(char *buf, size_t len)
{
        /* looked up, not linked: on a C library other than glibc it is absent */
        glibc_version_fn f = (glibc_version_fn)dlsym(RTLD_DEFAULT, "gnu_get_libc_version");
        if (!f)
                return -1;
        snprintf(buf, len, "%s", f());
        return 0;
}

/* musl has no version API. The static musl runner has musl's malloc linked
 * in, and with it the string musl's own loader prints ("Version 1.2.3"),
 * which prim reads: the version of the code that serves malloc here, not of
 * a package that may since have been upgraded under the build. */
static int q_musl(char *buf, size_t len)
{
        char libc[64];
        ab_prim_libc_version(libc, sizeof libc);
        if (strncmp(libc, "musl ", 5) != 0)
                return -1;
        snprintf(buf, len, "%s", libc + 5);
        return 0;
}

/* allocbench's own reference allocators export this. */
static int q_allocbench(char *buf, size_t len)
{
        ab_version_fn f = (ab_version_fn)dlsym(RTLD_DEFAULT, "allocbench_allocator_version");
        if (!f)
                return -1;
        snprintf(buf, len, "%s", f());
        return 0;
}

int ab_version_query(enum ab_vquery q, char *buf, size_t len)
{
        static int (*const any[])(char *, size_t) = {q_allocbench, q_jemalloc, q_tcmalloc,
                                                      q_mimalloc};
        buf[0] = '\0';
        switch (q) {
        case AB_VQ_GLIBC:
                return q_glibc(buf, len);
        case AB_VQ_JEMALLOC:
                return q_jemalloc(buf, len);
        case AB_VQ_TCMALLOC:
                return q_tcmalloc(buf, len);
        case AB_VQ_MIMALLOC:
                return q_mimalloc(buf, len);
        case AB_VQ_MUSL:
                return q_musl(buf, len);
        case AB_VQ_ANY:
                for (size_t i = 0; i < sizeof any / sizeof any[0]; i++)
                        if (any[i](buf, len) == 0)
                                return 0;
                return -1;
        }
        return -1;
}

int ab_version_malloc_owner(const char *self, char *buf, size_t len)
{
        Dl_info info;
        void *sym;
#ifdef AB_RUNNER_STATIC
        /* a static runner has no dynamic symbols to ask (musl's dladdr is a
         * stub there): malloc is linked into the executable itself */
        char path[PATH_MAX];
        if (self && realpath(self, path)) {
                snprintf(buf, len, "%s", path);
                return 0;
        }
#else
        (void)self;
#endif
        sym = dlsym(RTLD_DEFAULT, "malloc");
        if (!sym || !dladdr(sym, &info) || !info.dli_fname) {
                snprintf(buf, len, "unknown");
                return -1;
        }
        snprintf(buf, len, "%s", info.dli_fname);
        return 0;
}
