/*
 * Linux implementation of prim.h: /proc for memory figures, sched_setaffinity
 * for placement, /sys for the THP mode.
 */
#include <ctype.h>
#include <sched.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "prim/common.h"

const char *ab_prim_name(void)
{
        return "linux";
}

uint64_t ab_prim_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Read a whole small file into buf without malloc; returns bytes or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
        size_t got = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        while (got + 1 < len) {
                ssize_t n = read(fd, buf + got, len - 1 - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(fd);
        buf[got] = '\0';
        return (ssize_t)got;
}

/* Value of "Key:   1234 kB" at line start, or AB_UNKNOWN. */
static int64_t status_field(const char *buf, size_t len, const char *key)
{
        size_t klen = strlen(key);
        const char *p = buf, *end = buf + len;
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                if (!eol)
                        eol = end;
                if ((size_t)(eol - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == ':') {
                        int64_t v = 0;
                        const char *q = p + klen + 1;
                        while (q < eol && (*q == ' ' || *q == '\t'))
                                q++;
                        if (q == eol || !isdigit((unsigned char)*q))
                                return AB_UNKNOWN;
                        while (q < eol && isdigit((unsigned char)*q)) {
                                if (v > (INT64_MAX - 9) / 10)
                                        return AB_UNKNOWN;
                                v = v * 10 + (*q++ - '0');
                        }
                        /* the unit must follow: a line cut short is not a figure */
                        if (eol - q < 3 || memcmp(q, " kB", 3) != 0)
                                return AB_UNKNOWN;
                        return v;
                }
                p = eol + 1;
        }
        return AB_UNKNOWN;
}

int ab_prim_parse_status(const char *buf, size_t len, struct ab_mem *m)
{
        m->rss_kib = status_field(buf, len, "VmRSS");
        m->vsz_kib = status_field(buf, len, "VmSize");
        m->pte_kib = status_field(buf, len, "VmPTE");
        m->hwm_kib = status_field(buf, len, "VmHWM");
        return 0;
}

int ab_prim_mem_self(struct ab_mem *m)
{
        char buf[4096];
        ssize_t n = read_small("/proc/self/status", buf, sizeof buf);
        if (n < 0) {
                mem_unknown(m);
                return (int)n;
        }
        return ab_prim_parse_status(buf, (size_t)n, m);
}

int ab_prim_mem_pid(pid_t pid, struct ab_mem *m)
{
        /* statm is one short line: cheaper to produce than status, and the
         * kernel holds the target's mm lock for less time. */
        char path[64], buf[256];
        unsigned long long size, resident;
        long page_kib = sysconf(_SC_PAGESIZE) / 1024;
        ssize_t n;

        mem_unknown(m);
        snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
        n = read_small(path, buf, sizeof buf);
        if (n < 0)
                return n == -ENOENT ? -ESRCH : (int)n;
        if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
                return -EINVAL;
        m->vsz_kib = (int64_t)size * page_kib;
        m->rss_kib = (int64_t)resident * page_kib;
        return 0;
}

int64_t ab_prim_maxrss_kib(const struct rusage *ru)
{
        return ru->ru_maxrss;
}

int ab_prim_usage_self(struct ab_usage *u)
{
        return common_usage_self(u);
}

const char *ab_prim_preload_var(void)
{
        return "LD_PRELOAD";
}

int ab_prim_exe_dir(const char *argv0, char *buf, size_t len)
{
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
                return common_dir_of(argv0, buf, len);
        exe[n] = '\0';
        return common_dir_of(exe, buf, len);
}

void ab_prim_thp_mode(char *buf, size_t len)
{
        char raw[256];
        char *l, *r;
        snprintf(buf, len, "unknown");
        if (read_small("/sys/kernel/mm/transparent_hugepage/enabled", raw, sizeof raw) <= 0)
                return;
        /* "always [madvise] never": the bracketed word is the mode */
        l = strchr(raw, '[');
        r = l ? strchr(l, ']') : NULL;
        if (l && r) {
                *r = '\0';
                snprintf(buf, len, "%s", l + 1);
        }
}

void ab_prim_libc_version(char *buf, size_t len)
{
        common_libc_version(buf, len);
}

void ab_prim_os_name(char *buf, size_t len)
{
        char raw[4096];
        char *p, *q;
        if (read_small("/etc/os-release", raw, sizeof raw) > 0 &&
            (p = strstr(raw, "PRETTY_NAME=")) != NULL) {
                p += strlen("PRETTY_NAME=");
                if (*p == '"')
                        p++;
                q = strpbrk(p, "\"\n");
                if (q)
                        *q = '\0';
                snprintf(buf, len, "%s", p);
                return;
        }
        common_uname_os(buf, len);
}

int ab_prim_set_mempolicy(int mode, const uint64_t *mask, unsigned long maxnode)
{
        /* the raw system call: libnuma's wrappers allocate */
        if (syscall(SYS_set_mempolicy, mode, mode == 4 ? NULL : mask, mode == 4 ? 0 : maxnode) != 0)
                return -errno;
        return 0;
}

int ab_prim_icount_open(void)
{
        struct perf_event_attr a;
        long fd;
        memset(&a, 0, sizeof a);
        a.type = PERF_TYPE_HARDWARE;
        a.size = sizeof a;
        a.config = PERF_COUNT_HW_INSTRUCTIONS;
        a.disabled = 1;
        a.exclude_kernel = 1;
        a.exclude_hv = 1;
        a.inherit = 1;
        fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        return fd < 0 ? -errno : (int)fd;
}

void ab_prim_icount_enable(int h, int on)
{
        ioctl(h, on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0);
}

int64_t ab_prim_icount_read(int h)
{
        uint64_t v;
        return read(h, &v, sizeof v) == (ssize_t)sizeof v ? (int64_t)v : AB_UNKNOWN;
}

int ab_prim_bind_cpus(const char *cpus)
{
        /* async-signal-safe: parse by hand, no malloc, no stdio */
        cpu_set_t set;
        const char *p = cpus;
        CPU_ZERO(&set);
        while (*p) {
                long a = 0, b;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                while (*p >= '0' && *p <= '9')
                        if ((a = a * 10 + (*p++ - '0')) >= CPU_SETSIZE)
                                return -EINVAL;
                b = a;
                if (*p == '-') {
                        p++;
                        if (*p < '0' || *p > '9')
                                return -EINVAL;
                        b = 0;
                        while (*p >= '0' && *p <= '9')
                                if ((b = b * 10 + (*p++ - '0')) >= CPU_SETSIZE)
                                        return -EINVAL;
                }
                if (b < a || b >= CPU_SETSIZE)
                        return -EINVAL;
                for (long c = a; c <= b; c++)
                        CPU_SET((int)c, &set);
                if (*p == ',' && p[1])
                        p++;
                else if (*p)
                        return -EINVAL;
        }
        if (sched_setaffinity(0, sizeof set, &set) != 0)
                return -errno;
        return 0;
}

int ab_prim_signal_number(const char *name)
{
        return common_signal_number(name);
}

int ab_prim_die_with_parent(pid_t parent)
{
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
                return -errno;
        /* the parent may have died between fork and the prctl */
        if (getppid() != parent)
                _exit(127);
        return 0;
}
