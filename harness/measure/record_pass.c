/*
 * record_pass.c - --record FILE: the traced child (trace_pass.c) also
 * writes its allocation record (trace/arec.h) into the temporary directory,
 * record.PID for each process that ran with the tracer; once the child
 * ended, the root process's record is checked and written where the user
 * asked (zstd when the name ends in .zst), its figures kept on the point's
 * `trace` as `record`. With several traced runs, each gets a name of its
 * own: the allocator, then the job and the point when there are several,
 * before the extension (conn.arec: conn.glibc.arec, conn.jemalloc.arec).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "measure/matrix.h"
#include "core/log.h"
#include "measure/recfile.h"

#define RECORD_PREFIX "record."

int ab_record_env(const struct ab_matrix *m, char **out)
{
        return asprintf(out, "ALLOCBENCH_TRACE_RECORD=%s/" RECORD_PREFIX "%%p", m->tmpdir) < 0
                       ? -ENOMEM
                       : 0;
}

/* Where the record of run ri's point goes. */
static void record_name(const struct ab_matrix *m, size_t ri, size_t point, char *out, size_t len)
{
        const struct ab_opts *o = m->o;
        const struct ab_run_res *run = &m->runs[ri];
        const char *given = o->record, *base = strrchr(given, '/'), *ext;
        char tag[256];
        size_t stem;
        bool many_points = false;
        for (size_t j = 0; j < o->njobs; j++)
                many_points |= o->jobs[j].npoints > 1;
        if (o->nallocs == 1 && o->njobs == 1 && !many_points) {
                snprintf(out, len, "%s", given);
                return;
        }
        base = base ? base + 1 : given;
        /* the extension: .arec.zst, .arec, .zst, or the last dot's */
        if ((ext = strstr(base, ".arec")) || (ext = strstr(base, ".zst")) ||
            ((ext = strrchr(base, '.')) && ext != base))
                stem = (size_t)(ext - given);
        else
                stem = strlen(given), ext = "";
        snprintf(tag, sizeof tag, ".%s", run->alloc->name);
        if (o->njobs > 1)
                snprintf(tag + strlen(tag), sizeof tag - strlen(tag), ".%s", run->job->w->name);
        if (many_points)
                snprintf(tag + strlen(tag), sizeof tag - strlen(tag), ".p%zu", point);
        snprintf(out, len, "%.*s%s%s", (int)stem, given, tag, ext);
}

/* The records of processes other than the root, removed; how many. */
static size_t remove_records(const char *dir, pid_t keep)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[PATH_MAX];
        size_t n = 0;
        if (!d)
                return 0;
        while ((e = readdir(d)))
                if (strncmp(e->d_name, RECORD_PREFIX, strlen(RECORD_PREFIX)) == 0 &&
                    atoi(e->d_name + strlen(RECORD_PREFIX)) != (int)keep) {
                        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                        unlink(path);
                        n++;
                }
        closedir(d);
        return n;
}

static json_t *record_failed(const char *path, const char *error)
{
        return json_pack("{s:s,s:n,s:s}", "path", path, "written", "error", error);
}

json_t *ab_record_take(struct ab_matrix *m, size_t ri, size_t point, pid_t root)
{
        char from[PATH_MAX], to[PATH_MAX], err[900];
        struct ab_arec_stats st;
        struct stat sb;
        size_t others = remove_records(m->tmpdir, root);
        json_t *o;
        int r;

        snprintf(from, sizeof from, "%s/" RECORD_PREFIX "%d", m->tmpdir, (int)root);
        record_name(m, ri, point, to, sizeof to);
        if (access(from, F_OK) != 0) {
                ab_note("", "--record: the traced run wrote no record for %s (the tracer did not "
                        "start in it)",
                        to);
                return record_failed(to, "the traced process wrote no record");
        }
        if ((r = ab_recfile_check(from, &st, err, sizeof err))) {
                ab_note("", "--record: %s not written: %s", to, err);
                unlink(from);
                return record_failed(to, err);
        }
        if ((r = ab_recfile_publish(from, to, err, sizeof err))) {
                ab_note("", "--record: %s", err);
                unlink(from);
                return record_failed(to, err);
        }
        stat(to, &sb);
        unlink(from);
        o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "path", to, "written",
                      (json_int_t)sb.st_size, "events",
                      (json_int_t)(st.ops[0] + st.ops[1] + st.ops[2] + st.ops[3] + st.ops[4] +
                                   st.ops[5]),
                      "threads", (json_int_t)st.threads, "rounds", (json_int_t)st.rounds, "peak_live",
                      (json_int_t)st.peak, "sites", (json_int_t)st.sites, "other_processes",
                      (json_int_t)others);
        if (!m->o->quiet)
                ab_note("", "recorded %s: %" PRIu64 " events, %lld bytes", to,
                        (uint64_t)json_integer_value(json_object_get(o, "events")),
                        (long long)sb.st_size);
        return o;
}
