#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "measure/account.h"
#include "workload.h"

int ab_callgrind_total(const char *path, int64_t *ir)
{
        FILE *f = fopen(path, "r");
        char line[4096];
        int r = -EINVAL;
        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f)) {
                long long v;
                /* "totals: N" is written last and wins over "summary: N" */
                if (sscanf(line, "totals: %lld", &v) == 1 ||
                    sscanf(line, "summary: %lld", &v) == 1) {
                        *ir = v;
                        r = 0;
                }
        }
        fclose(f);
        return r;
}

const char *ab_strace_arg(const char *call, int n)
{
        const char *q = strchr(call, '(');
        if (!q)
                return NULL;
        q++;
        for (int i = 0; i < n; i++) {
                q = strchr(q, ',');
                if (!q)
                        return NULL;
                q++;
        }
        while (*q == ' ')
                q++;
        return q;
}

/* The n-th (0-based) comma-separated argument after '(' as a number. */
static uint64_t arg_num(const char *p, int n)
{
        const char *q = ab_strace_arg(p, n);
        return q ? strtoull(q, NULL, 0) : 0;
}

int ab_strace_parse(const char *path, struct ab_syscalls *sc)
{
        FILE *f = fopen(path, "r");
        char line[8192];
        bool in = false;
        uint64_t brk_now = 0;
        memset(sc, 0, sizeof *sc);
        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f)) {
                char *p = line, name[32];
                size_t k = 0;
                bool resumed = false;
                while (*p == ' ' || (*p >= '0' && *p <= '9'))
                        p++; /* "PID  " of strace -f */
                if (strncmp(p, "<... ", 5) == 0) {
                        resumed = true;
                        p += 5;
                }
                while (k + 1 < sizeof name &&
                       ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
                        name[k++] = *p++;
                name[k] = '\0';
                if (strcmp(name, "write") == 0) {
                        if (strstr(line, AB_MARK_BEGIN)) {
                                in = sc->begin_seen = true;
                        } else if (strstr(line, AB_MARK_END)) {
                                in = false;
                                sc->end_seen = true;
                        }
                        continue;
                }
                if (strcmp(name, "brk") == 0) {
                        /* the result tells where the break is now: the change is
                         * memory mapped or unmapped (counted only inside) */
                        char *eq = strrchr(line, '=');
                        if (eq && (!strstr(line, "<unfinished") || resumed)) {
                                uint64_t now = strtoull(eq + 1, NULL, 0);
                                if (in && brk_now && now != brk_now) {
                                        if (now > brk_now)
                                                sc->mapped_bytes += now - brk_now;
                                        else
                                                sc->unmapped_bytes += brk_now - now;
                                }
                                if (now)
                                        brk_now = now;
                        }
                        if (in && !resumed)
                                sc->n[AB_SC_BRK]++;
                        continue;
                }
                if (!in || resumed)
                        continue;
                for (int i = 0; i < AB_SC_N; i++) {
                        if (strcmp(name, ab_syscall_names[i]) != 0)
                                continue;
                        sc->n[i]++;
                        if (i == AB_SC_MMAP)
                                sc->mapped_bytes += arg_num(p, 1);
                        else if (i == AB_SC_MUNMAP)
                                sc->unmapped_bytes += arg_num(p, 1);
                        else if (i == AB_SC_MADVISE)
                                sc->advised_bytes += arg_num(p, 1);
                        else if (i == AB_SC_MREMAP) {
                                uint64_t old = arg_num(p, 1), neu = arg_num(p, 2);
                                if (neu > old)
                                        sc->mapped_bytes += neu - old;
                                else
                                        sc->unmapped_bytes += old - neu;
                        }
                }
        }
        fclose(f);
        return sc->begin_seen && sc->end_seen ? 0 : -EINVAL;
}

void ab_tool_version(const char *tool, const char *flag, char *buf, size_t len)
{
        int fd[2];
        pid_t pid;
        ssize_t n = 0;
        buf[0] = '\0';
        if (pipe(fd) != 0)
                return;
        pid = fork();
        if (pid == 0) {
                dup2(fd[1], 1);
                dup2(fd[1], 2);
                close(fd[0]);
                execlp(tool, tool, flag, (char *)NULL);
                _exit(127);
        }
        close(fd[1]);
        if (pid > 0) {
                n = read(fd[0], buf, len - 1);
                waitpid(pid, NULL, 0);
        }
        close(fd[0]);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
}
