/*
 * Generic POSIX implementation of prim.h: what any POSIX system offers
 * (clock_gettime, getrusage, uname). Memory figures other than the peak
 * resident set are unknown here; a port (macOS: mach task_info; FreeBSD:
 * kinfo_proc) replaces this file with one that knows more.
 */
#include "prim/common.h"

const char *ab_prim_name(void)
{
        return "generic";
}

uint64_t ab_prim_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int ab_prim_parse_status(const char *buf, size_t len, struct ab_mem *m)
{
        (void)buf;
        (void)len;
        mem_unknown(m);
        return -ENOSYS;
}

int ab_prim_mem_self(struct ab_mem *m)
{
        struct rusage ru;
        mem_unknown(m);
        if (getrusage(RUSAGE_SELF, &ru) != 0)
                return -errno;
        m->hwm_kib = ab_prim_maxrss_kib(&ru);
        return 0;
}

int ab_prim_mem_pid(pid_t pid, struct ab_mem *m)
{
        (void)pid;
        mem_unknown(m);
        return -ENOSYS;
}

int64_t ab_prim_maxrss_kib(const struct rusage *ru)
{
#ifdef __APPLE__
        return ru->ru_maxrss / 1024;
#else
        return ru->ru_maxrss;
#endif
}

int ab_prim_usage_self(struct ab_usage *u)
{
        return common_usage_self(u);
}

const char *ab_prim_preload_var(void)
{
#ifdef __APPLE__
        return "DYLD_INSERT_LIBRARIES";
#else
        return "LD_PRELOAD";
#endif
}

int ab_prim_exe_dir(const char *argv0, char *buf, size_t len)
{
        return common_dir_of(argv0, buf, len);
}

void ab_prim_thp_mode(char *buf, size_t len)
{
        snprintf(buf, len, "unknown");
}

void ab_prim_libc_version(char *buf, size_t len)
{
        common_libc_version(buf, len);
}

void ab_prim_os_name(char *buf, size_t len)
{
        common_uname_os(buf, len);
}

int ab_prim_set_mempolicy(int mode, const uint64_t *mask, unsigned long maxnode)
{
        (void)mode;
        (void)mask;
        (void)maxnode;
        return -ENOSYS;
}

int ab_prim_icount_open(void)
{
        return -ENOSYS;
}

void ab_prim_icount_enable(int h, int on)
{
        (void)h;
        (void)on;
}

int64_t ab_prim_icount_read(int h)
{
        (void)h;
        return AB_UNKNOWN;
}

int ab_prim_bind_cpus(const char *cpus)
{
        (void)cpus;
        return -ENOSYS;
}

int ab_prim_tree(pid_t root, int with_maps, struct ab_tree *t)
{
        (void)root;
        (void)with_maps;
        t->rss_kib = t->vsz_kib = t->pte_kib = t->anon_kib = t->threads = AB_UNKNOWN;
        t->anon_vsz_kib = t->procs = AB_UNKNOWN;
        return -ENOSYS;
}

int ab_prim_signal_number(const char *name)
{
        return common_signal_number(name);
}

int ab_prim_die_with_parent(pid_t parent)
{
        (void)parent;
        return -ENOSYS;
}
