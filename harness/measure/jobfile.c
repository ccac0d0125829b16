/*
 * jobfile.c - job files: INI documents (parsed with inih) that name a kernel
 * and set its parameters, so users script variations without writing C.
 *
 *   ; workloads/calloc-fresh.ini
 *   [workload]
 *   kernel = calloc-sweep
 *   help = calloc of memory never used before
 *
 *   [params]
 *   mode = fresh
 *   touch = all
 *
 * Every error is reported as FILE:LINE: message, and nothing runs.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "measure/bench.h"
#include "measure/job.h"

struct ctx {
        const char *path;
        struct ab_job *job;
        bool have_kernel;
        bool set[64]; /* parameters [params] has set (by index) */
        char help[256];
        char msg[512]; /* the first error */
};

/* inih's reader, a line at a time: inih (as Debian builds it) reads lines
 * into a 200-byte buffer and would take the rest of a longer line for the
 * next one (a comment's tail as a setting) and count lines past the end of
 * the file. A line that does not fit is an error of its own, at its line. */
struct reader {
        FILE *f;
        int line;      /* lines handed to inih */
        int long_line; /* the first line too long, or 0 */
        int max;       /* its length limit */
};

static char *read_line(char *str, int num, void *stream)
{
        struct reader *r = stream;
        size_t n;
        if (r->long_line || !fgets(str, num, r->f))
                return NULL;
        n = strlen(str);
        r->line++;
        if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(r->f)) {
                int ch = fgetc(r->f);
                if (ch != EOF && ch != '\n') {
                        r->long_line = r->line;
                        r->max = num - 1;
                        return NULL;
                }
        }
        return str;
}

__attribute__((format(printf, 2, 3))) static int fail(struct ctx *c, const char *fmt, ...)
{
        va_list ap;
        if (!c->msg[0]) {
                va_start(ap, fmt);
                vsnprintf(c->msg, sizeof c->msg, fmt, ap);
                va_end(ap);
        }
        return 0; /* inih records this line as the first error */
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
        struct ctx *c = user;
        char err[512];
        if (c->msg[0])
                return 0;
        if (strcmp(section, "workload") == 0) {
                if (strcmp(name, "kernel") == 0) {
                        const struct ab_workload *w = ab_workload_find(value);
                        if (!w || w->kind != AB_WK_KERNEL)
                                return fail(c, "unknown kernel '%s' (see bench list)", value);
                        if (c->have_kernel)
                                return fail(c, "kernel is set twice");
                        if (ab_job_init(c->job, w, c->job->name, err, sizeof err))
                                return fail(c, "%s", err);
                        c->have_kernel = true;
                        return 1;
                }
                if (strcmp(name, "help") == 0) {
                        snprintf(c->help, sizeof c->help, "%s", value);
                        return 1;
                }
                return fail(c, "unknown key '%s' in [workload] (accepted: kernel, help)", name);
        }
        if (strcmp(section, "params") == 0) {
                int idx;
                if (!c->have_kernel)
                        return fail(c, "[params] before [workload] kernel = NAME");
                idx = ab_param_index(c->job->w, name);
                if (idx < 0)
                        return fail(c, "kernel %s has no parameter '%s' (see bench list)",
                                    c->job->w->name, name);
                if (idx < (int)(sizeof c->set / sizeof c->set[0]) && c->set[idx])
                        return fail(c, "parameter '%s' is set twice", name);
                if (ab_job_set(c->job, idx, value, err, sizeof err))
                        return fail(c, "%s", err);
                if (idx < (int)(sizeof c->set / sizeof c->set[0]))
                        c->set[idx] = true;
                return 1;
        }
        return fail(c, "unknown section [%s] (accepted: [workload], [params])", section);
}

int ab_jobfile_load(const char *path, const char *name, struct ab_job *j, char *err,
                    size_t errlen)
{
        struct ctx c = {.path = path, .job = j};
        struct reader rd = {0};
        struct stat st;
        int line;
        memset(j, 0, sizeof *j);
        snprintf(j->name, sizeof j->name, "%s", name);
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
                snprintf(err, errlen, "%s: not a regular file (accepted: an INI job file)", path);
                return -EINVAL;
        }
        if (!(rd.f = fopen(path, "re"))) {
                snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
                return -ENOENT;
        }
        line = ini_parse_stream(read_line, &rd, handler, &c);
        fclose(rd.f);
        if (rd.long_line && (line <= 0 || line > rd.long_line)) {
                snprintf(err, errlen, "%s:%d: line longer than %d bytes (accepted: lines up to %d "
                                      "bytes)",
                         path, rd.long_line, rd.max, rd.max);
                if (c.have_kernel)
                        ab_job_free(j);
                return -EINVAL;
        }
        if (line == -2) {
                snprintf(err, errlen, "%s: out of memory", path);
                return -ENOMEM;
        }
        if (line > 0) {
                snprintf(err, errlen, "%s:%d: %s", path, line,
                         c.msg[0] ? c.msg
                                  : "malformed line (accepted: [section], KEY = VALUE, ; comment)");
                if (c.have_kernel)
                        ab_job_free(j);
                return -EINVAL;
        }
        if (!c.have_kernel) {
                snprintf(err, errlen, "%s: no kernel (accepted: a [workload] section with "
                                      "kernel = NAME)", path);
                return -EINVAL;
        }
        snprintf(j->name, sizeof j->name, "%s", name);
        snprintf(j->source, sizeof j->source, "%s", path);
        snprintf(j->help, sizeof j->help, "%s", c.help);
        return 0;
}
