/*
 * Linux implementation of prim.h's process trees: /proc/PID/task/TID/children
 * gives the children of each thread, /proc/PID/status the figures, and
 * /proc/PID/maps the anonymous address space.
 */
#include <ctype.h>
#include <dirent.h>

#include "prim/common.h"

/* status of one process: its figures added to t. 0, or -errno when gone. */
static int add_status(pid_t pid, struct ab_tree *t)
{
        static const char *const keys[] = {"VmRSS:", "VmSize:", "VmPTE:", "RssAnon:", "Threads:"};
        int64_t *dst[] = {&t->rss_kib, &t->vsz_kib, &t->pte_kib, &t->anon_kib, &t->threads};
        char path[64], line[256];
        FILE *f;
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        if (!(f = fopen(path, "re")))
                return -errno;
        while (fgets(line, sizeof line, f)) {
                for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                        size_t n = strlen(keys[k]);
                        if (strncmp(line, keys[k], n) == 0) {
                                long long v = strtoll(line + n, NULL, 10);
                                if (*dst[k] == AB_UNKNOWN)
                                        *dst[k] = 0;
                                *dst[k] += v;
                        }
                }
        }
        fclose(f);
        return 0;
}

/* The anonymous address space of one process, in KiB: mappings with no file
 * behind them (inode 0), the kernel's vdso/vvar/vsyscall pages excepted. */
static int64_t anon_vsz(pid_t pid)
{
        char path[64], line[1024];
        int64_t kib = 0;
        FILE *f;
        snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
        if (!(f = fopen(path, "re")))
                return AB_UNKNOWN;
        while (fgets(line, sizeof line, f)) {
                unsigned long long lo, hi, inode;
                char name[256] = "";
                if (sscanf(line, "%llx-%llx %*s %*s %*s %llu %255s", &lo, &hi, &inode, name) < 3)
                        continue;
                if (inode != 0 || strcmp(name, "[vdso]") == 0 || strcmp(name, "[vvar]") == 0 ||
                    strcmp(name, "[vsyscall]") == 0)
                        continue;
                kib += (int64_t)((hi - lo) / 1024);
        }
        fclose(f);
        return kib;
}

/* The children of every thread of pid, appended to pids[*n..cap). */
static void children(pid_t pid, pid_t *pids, size_t *n, size_t cap)
{
        char path[64];
        struct dirent *e;
        DIR *d;
        snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
        if (!(d = opendir(path)))
                return;
        while ((e = readdir(d)) && *n < cap) {
                char cpath[320];
                FILE *f;
                long long c;
                if (!isdigit((unsigned char)e->d_name[0]))
                        continue;
                snprintf(cpath, sizeof cpath, "/proc/%d/task/%s/children", (int)pid, e->d_name);
                if (!(f = fopen(cpath, "re")))
                        continue;
                while (*n < cap && fscanf(f, "%lld", &c) == 1)
                        pids[(*n)++] = (pid_t)c;
                fclose(f);
        }
        closedir(d);
}

int ab_prim_tree(pid_t root, int with_maps, struct ab_tree *t)
{
        pid_t pids[AB_TREE_MAX];
        size_t n = 1;
        t->rss_kib = t->vsz_kib = t->pte_kib = t->anon_kib = t->threads = AB_UNKNOWN;
        t->anon_vsz_kib = AB_UNKNOWN;
        t->procs = 0;
        pids[0] = root;
        /* breadth first: pids grows while it is walked */
        for (size_t i = 0; i < n; i++) {
                if (add_status(pids[i], t) != 0) {
                        if (i == 0)
                                return -ESRCH;
                        continue; /* a child that ended meanwhile */
                }
                t->procs++;
                if (with_maps) {
                        int64_t a = anon_vsz(pids[i]);
                        if (a != AB_UNKNOWN)
                                t->anon_vsz_kib =
                                    (t->anon_vsz_kib == AB_UNKNOWN ? 0 : t->anon_vsz_kib) + a;
                }
                children(pids[i], pids, &n, AB_TREE_MAX);
        }
        /* a zombie has no memory left: not a sample */
        return t->vsz_kib == AB_UNKNOWN || t->vsz_kib == 0 ? -ESRCH : 0;
}
