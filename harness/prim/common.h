/*
 * common.h - helpers shared by the prim implementations (not part of the
 * contract). Header-only and static so each platform file stays one unit.
 */
#ifndef AB_PRIM_COMMON_H
#define AB_PRIM_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "prim/prim.h"

#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

static inline int common_signal_number(const char *name)
{
        static const struct {
                const char *name;
                int sig;
        } sigs[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},
                    {"USR2", SIGUSR2}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"WINCH", SIGWINCH},
                    {"PIPE", SIGPIPE}, {"CONT", SIGCONT}, {"TRAP", SIGTRAP}};
        char *end;
        long n;
        if (!name || !*name)
                return 0;
        if (strncmp(name, "SIG", 3) == 0)
                name += 3;
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
                if (strcmp(name, sigs[i].name) == 0)
                        return sigs[i].sig;
        n = strtol(name, &end, 10);
        if (*end || n <= 0 || n >= NSIG || n == SIGKILL || n == SIGSTOP)
                return 0;
        return (int)n;
}

static inline uint64_t tv_ns(struct timeval tv)
{
        return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

static inline int common_usage_self(struct ab_usage *u)
{
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) != 0)
                return -errno;
        u->user_ns = tv_ns(ru.ru_utime);
        u->sys_ns = tv_ns(ru.ru_stime);
        u->minflt = (uint64_t)ru.ru_minflt;
        u->majflt = (uint64_t)ru.ru_majflt;
        return 0;
}

static inline void mem_unknown(struct ab_mem *m)
{
        m->rss_kib = m->vsz_kib = m->pte_kib = m->hwm_kib = AB_UNKNOWN;
}

/* Directory of argv0 when it contains a slash, else "." */
static inline int common_dir_of(const char *path, char *buf, size_t len)
{
        const char *slash = path ? strrchr(path, '/') : NULL;
        size_t n;
        if (!slash) {
                if (len < 2)
                        return -ENAMETOOLONG;
                strcpy(buf, ".");
                return 0;
        }
        n = (size_t)(slash - path);
        if (n == 0)
                n = 1; /* "/bench" lives in "/" */
        if (n >= len)
                return -ENAMETOOLONG;
        memcpy(buf, path, n);
        buf[n] = '\0';
        return 0;
}

static inline void common_uname_os(char *buf, size_t len)
{
        struct utsname u;
        if (uname(&u) == 0)
                snprintf(buf, len, "%s", u.sysname);
        else
                snprintf(buf, len, "unknown");
}

/* The C library this process runs on, by its own word. glibc has an API for
 * it. musl has none: its libc.a carries the string its dynamic loader
 * prints (__libc_version, src/internal/version.c), linked into a static
 * musl program like the rest of musl; builds for musl define AB_LIBC_MUSL
 * (musl has no macro of its own, on purpose). */
#ifdef AB_LIBC_MUSL
extern const char __libc_version[];
#endif
static inline void common_libc_version(char *buf, size_t len)
{
#if defined(__GLIBC__)
        snprintf(buf, len, "glibc %s", gnu_get_libc_version());
#elif defined(AB_LIBC_MUSL)
        snprintf(buf, len, "musl %s", __libc_version);
#else
        snprintf(buf, len, "unknown");
#endif
}

#endif
