/*
 * trace_pass.c - --trace: after a point's timed repetitions (and its
 * accounting passes), one more child per allocator runs with the
 * allocation-site tracer, build/libabtrace.so, preloaded in front of the
 * allocator (--trace=launcher: into the emulator that runs the workload
 * instead). The timed repetitions never run traced.
 *
 * The tracer writes one dump per process (a program's fork and exec
 * children have their own) into the temporary directory. Once the child
 * ended, the dumps are read here, in the parent: symbolised with libdw and
 * merged by site key (trace/sites.h), cut to the sites the detectors need
 * and the largest (--trace-sites), and kept on the point as `sites`, with
 * how the pass went as `trace` (schema.md). Round ends reach the tracer
 * from the runner's kernels and the program's marks directly, in process;
 * those it cannot hear (time windows, and a guest's under --trace=launcher)
 * the parent writes to its round pipe (spawn.h).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/mark.h"
#include "core/log.h"
#include "measure/matrix.h"
#include "prim/prim.h"
#include "trace/sites.h"

#define DUMP_PREFIX "trace."

/* ---- the traced child's environment ----------------------------------------- */

/* The environment and the guest's -E preload of run ri's trace child, in
 * m->tr. 0 or -ENOMEM. */
static int trace_env(struct ab_matrix *m, size_t ri)
{
        const struct ab_opts *o = m->o;
        const struct ab_run_res *run = &m->runs[ri];
        size_t a = ri % o->nallocs, n = 0;
        bool program = run->job->w->kind == AB_WK_PROGRAM;
        bool qemu = ab_wrap_is_qemu(o, run->alloc);
        bool launcher = o->trace == AB_TRACE_LAUNCHER && qemu;
        const char *preload = program ? m->ppreload[a] : run->alloc->library;
        char **extra = calloc(o->nenv + 9, sizeof *extra), *host = NULL;
        int r = -ENOMEM;

        if (!extra)
                return -ENOMEM;
        for (size_t i = 0; i < o->nenv; i++)
                extra[n++] = o->env[i];
        if ((program &&
             (asprintf(&extra[n++], "%s=%s", AB_MARK_ENV, m->mark_path) < 0 ||
              asprintf(&extra[n++], "%s=%d", AB_MARK_SIGNAL_ENV, o->round_signal) < 0)) ||
            asprintf(&extra[n++], "ALLOCBENCH_TRACE_OUT=%s/" DUMP_PREFIX "%%p", m->tmpdir) < 0 ||
            asprintf(&extra[n++], "ALLOCBENCH_TRACE_DEPTH=%u", o->trace_depth) < 0 ||
            asprintf(&extra[n++], "ALLOCBENCH_TRACE_SAMPLE=%" PRIu64, o->trace_sample) < 0 ||
            asprintf(&extra[n++], "ALLOCBENCH_TRACE_ROUND_FD=%d", AB_TRACE_ROUND_FD) < 0 ||
            /* QEMU ends with a raw exit_group, past every exit hook: the dump
             * the emulator's tracer rewrites at each round end is its last */
            (launcher && asprintf(&extra[n++], "ALLOCBENCH_TRACE_FLUSH_MS=1") < 0) ||
            (o->record && ab_record_env(m, &extra[n++]) < 0))
                goto out;
        /* the tracer first: it forwards to the next malloc, the allocator's */
        m->tr.guest_preload = NULL;
        if (launcher) {
                host = strdup(ab_tracer_path());
                m->tr.guest_preload = preload[0] ? strdup(preload) : NULL;
        } else if (asprintf(&host, "%s%s%s", ab_tracer_path(), preload[0] ? ":" : "", preload) <
                   0) {
                host = NULL;
        } else if (qemu) {
                m->tr.guest_preload = host; /* the guest's, by -E */
                host = NULL;
        }
        if ((launcher || !qemu) && !host)
                goto out;
        m->tr.envp = ab_env_build(host, extra, n);
        m->tr.all_rounds = launcher;
        r = m->tr.envp ? 0 : -ENOMEM;
out:
        for (size_t i = o->nenv; i < n; i++)
                free(extra[i]);
        free(extra);
        free(host);
        return r;
}

static void trace_env_free(struct ab_matrix *m)
{
        ab_env_free(m->tr.envp);
        free(m->tr.guest_preload);
        m->tr.envp = NULL;
        m->tr.guest_preload = NULL;
}

/* ---- the dumps ------------------------------------------------------------------- */

/* The dumps the child left, the traced root process's first. */
static size_t find_dumps(const char *dir, pid_t root, char ***out)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char **v = NULL;
        size_t n = 0;
        *out = NULL;
        if (!d)
                return 0;
        while ((e = readdir(d))) {
                char **nv;
                if (strncmp(e->d_name, DUMP_PREFIX, strlen(DUMP_PREFIX)) != 0 ||
                    strstr(e->d_name, ".tmp"))
                        continue;
                if (!(nv = realloc(v, (n + 1) * sizeof *v)))
                        break;
                v = nv;
                if (asprintf(&v[n], "%s/%s", dir, e->d_name) < 0)
                        break;
                /* the root first: the others are its children */
                if (atoi(e->d_name + strlen(DUMP_PREFIX)) == (int)root && n > 0) {
                        char *t = v[0];
                        v[0] = v[n];
                        v[n] = t;
                }
                n++;
        }
        closedir(d);
        *out = v;
        return n;
}

/* Remove every dump (and the tracer's temporaries) from dir. */
static void remove_dumps(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        char path[PATH_MAX];
        if (!d)
                return;
        while ((e = readdir(d)))
                if (strncmp(e->d_name, DUMP_PREFIX, strlen(DUMP_PREFIX)) == 0) {
                        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                        unlink(path);
                }
        closedir(d);
}

/* ---- which sites the results keep -------------------------------------------- */

struct pick {
        size_t cap;  /* --trace-sites */
        size_t seen; /* sites before the cut */
};

/* How much a site's live bytes rose from the end of the warm-up (the first
 * fifth of the rounds, as the detectors discard) to the last round. */
static double growth(const struct ab_site *s, size_t nrounds)
{
        size_t skip = nrounds / 5 > 1 ? nrounds / 5 : 1;
        if (nrounds < skip + 2)
                return (double)s->total.live_bytes;
        return (double)s->rounds[nrounds - 1].live_bytes - (double)s->rounds[skip].live_bytes;
}

/* Up to `quota` more sites with the highest score (> 0), marked in take. */
static size_t take_best(const struct ab_site *s, size_t n, bool *take, size_t quota,
                        double (*score)(const struct ab_site *, size_t), size_t nrounds)
{
        size_t took = 0;
        while (took < quota) {
                size_t best = n;
                double bs = 0;
                for (size_t i = 0; i < n; i++) {
                        double sc = take[i] ? 0 : score(&s[i], nrounds);
                        if (sc > bs) {
                                bs = sc;
                                best = i;
                        }
                }
                if (best == n)
                        break;
                take[best] = true;
                took++;
        }
        return took;
}

static double leak_score(const struct ab_site *s, size_t nrounds)
{
        double g = growth(s, nrounds);
        return g > 0 && s->total.live_bytes >= 256 ? g : 0;
}

static double zeroing_score(const struct ab_site *s, size_t nrounds)
{
        (void)nrounds;
        return (double)s->total.zc_calls ? (double)s->total.zc_ns + 1 : 0;
}

static double mapping_score(const struct ab_site *s, size_t nrounds)
{
        (void)nrounds;
        return (double)(s->total.map_calls + s->total.unmap_calls + s->total.big_ops) +
               (double)s->total.reserve_bytes / 4096;
}

/* The sites the detectors may flag first (rising live bytes, big callocs,
 * mappings and big blocks), then the most bytes allocated: at most cap. */
static size_t select_sites(struct ab_site *s, size_t n, size_t nrounds, void *arg)
{
        struct pick *pk = arg;
        bool *take = calloc(n ? n : 1, sizeof *take);
        size_t k = 0, kept = 0;
        pk->seen = n;
        if (!take)
                return n < pk->cap ? n : pk->cap;
        k += take_best(s, n, take, pk->cap / 2, leak_score, nrounds);
        k += take_best(s, n, take, pk->cap / 4, zeroing_score, nrounds);
        k += take_best(s, n, take, pk->cap - k > pk->cap / 4 ? pk->cap / 4 : pk->cap - k,
                       mapping_score, nrounds);
        for (size_t i = 0; i < n && k < pk->cap; i++) /* sites come by bytes allocated */
                if (!take[i]) {
                        take[i] = true;
                        k++;
                }
        for (size_t i = 0; i < n; i++) /* the kept ones to the front, in order */
                if (take[i]) {
                        struct ab_site t = s[kept];
                        s[kept] = s[i];
                        s[i] = t;
                        take[i] = take[kept];
                        take[kept++] = true;
                }
        free(take);
        return kept;
}

/* ---- the results ------------------------------------------------------------------ */

static const char *base_name(const char *path)
{
        const char *b = strrchr(path, '/');
        return b ? b + 1 : path;
}

static json_t *totals_json(const struct ab_site_totals *t)
{
        const struct {
                const char *key;
                double v;
        } f[] = {{"allocs", (double)t->allocs},
                 {"frees", (double)t->frees},
                 {"bytes_alloc", (double)t->bytes_alloc},
                 {"bytes_freed", (double)t->bytes_freed},
                 {"live_bytes", (double)t->live_bytes},
                 {"live_blocks", (double)t->live_blocks},
                 {"peak_live", (double)t->peak_live},
                 {"big_ops", (double)t->big_ops},
                 {"zc_calls", (double)t->zc_calls},
                 {"zc_ns", (double)t->zc_ns},
                 {"zc_minflt", (double)t->zc_minflt},
                 {"zc_bytes", (double)t->zc_bytes},
                 {"map_calls", (double)t->map_calls},
                 {"map_bytes", (double)t->map_bytes},
                 {"unmap_calls", (double)t->unmap_calls},
                 {"unmap_bytes", (double)t->unmap_bytes},
                 {"commit_calls", (double)t->commit_calls},
                 {"commit_bytes", (double)t->commit_bytes},
                 {"reserve_bytes", (double)t->reserve_bytes}};
        json_t *o = json_object();
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
                json_object_set_new(o, f[i].key, json_integer((json_int_t)f[i].v));
        return o;
}

static json_t *site_json(const struct ab_site *s, size_t nrounds, size_t point)
{
        json_t *o = json_object(), *frames = json_array(), *addrs = json_array();
        json_t *live = json_array(), *blocks = json_array(), *allocs = json_array();
        const struct ab_site_totals *t = &s->total;
        uint64_t last = 0;
        size_t shown = 0;
        for (size_t i = 0; i < s->nframes; i++) {
                const struct ab_site_frame *f = &s->frames[i];
                if (f->addr != last || i == 0)
                        json_array_append_new(addrs, json_integer((json_int_t)f->addr));
                last = f->addr;
                if (f->dropped || shown >= 12)
                        continue;
                /* an inlined scope of the function that holds it, as libdw
                 * sometimes reports: one frame */
                if (i > 0 && !s->frames[i - 1].dropped &&
                    strcmp(s->frames[i - 1].function, f->function) == 0)
                        continue;
                shown++;
                json_array_append_new(frames,
                                      json_pack("{s:s,s:s?,s:o,s:s,s:s?,s:b}", "function",
                                                f->function, "file", f->file, "line",
                                                f->line ? json_integer(f->line) : json_null(),
                                                "module", base_name(f->module), "build_id",
                                                f->build_id && f->build_id[0] ? f->build_id : NULL,
                                                "inlined", f->inlined));
        }
        for (size_t r = 0; r < nrounds; r++) {
                json_array_append_new(live, json_integer(s->rounds[r].live_bytes));
                json_array_append_new(blocks, json_integer(s->rounds[r].live_blocks));
                json_array_append_new(allocs, json_integer((json_int_t)s->rounds[r].allocs));
        }
        json_object_set_new(o, "point", json_integer((json_int_t)point));
        json_object_set_new(o, "key", json_string(s->key));
        json_object_set_new(o, "frames", frames);
        json_object_set_new(o, "addrs", addrs);
        json_object_set_new(o, "stacks", json_integer((json_int_t)s->nstacks));
        json_object_set_new(o, "unwound", json_boolean(s->stack_flags & AB_TD_STACK_UNWIND));
        json_object_set_new(o, "truncated", json_boolean(s->stack_flags & AB_TD_STACK_TRUNCATED));
        json_object_set_new(o, "total", totals_json(t));
        json_object_set_new(o, "rounds",
                            json_pack("{s:o,s:o,s:o}", "live_bytes", live, "live_blocks", blocks,
                                      "allocs", allocs));
        return o;
}

/* How the pass went: its processes, rounds, sites and the tracer's own
 * figures, summed over the processes. */
static json_t *info_json(const struct ab_sites *ss, const struct pick *pk, size_t point)
{
        uint64_t self[AB_TD_SELF_MAX] = {0}, peak = 0;
        bool incomplete = false, named = false;
        json_t *phases = json_array();
        for (size_t i = 0; i < ss->nprocs; i++) {
                for (int k = 0; k < AB_TD_SELF_MAX; k++)
                        self[k] += ss->procs[i].self[k];
                if (ss->procs[i].self[AB_TD_SELF_MAPPED_PEAK] > peak)
                        peak = ss->procs[i].self[AB_TD_SELF_MAPPED_PEAK];
                incomplete |= (ss->procs[i].flags & AB_TD_F_INCOMPLETE) != 0;
        }
        for (size_t r = 0; r < ss->nrounds; r++)
                named |= ss->round_phase[r] != NULL;
        for (size_t r = 0; named && r < ss->nrounds; r++) /* none named: none written */
                json_array_append_new(phases, ss->round_phase[r] ? json_string(ss->round_phase[r])
                                                                 : json_null());
        return json_pack(
            "{s:I,s:s,s:n,s:I,s:I,s:o,s:I,s:I,s:I,s:b,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
            "point", (json_int_t)point, "status", "ok", "error", "processes",
            (json_int_t)ss->nprocs, "rounds", (json_int_t)ss->nrounds, "round_phases", phases,
            "sites_seen", (json_int_t)pk->seen, "sites_kept", (json_int_t)ss->nsites,
            "sample_bytes", (json_int_t)ss->sample_bytes, "incomplete", incomplete, "tracer",
            "calls", (json_int_t)self[AB_TD_SELF_CALLS], "unknown_frees",
            (json_int_t)self[AB_TD_SELF_UNKNOWN_FREES], "mapped_peak_kib",
            (json_int_t)(peak / 1024), "fp_stacks", (json_int_t)self[AB_TD_SELF_FP_STACKS],
            "unwind_stacks", (json_int_t)self[AB_TD_SELF_UNWIND_STACKS], "truncated",
            (json_int_t)self[AB_TD_SELF_TRUNCATED], "threads", (json_int_t)self[AB_TD_SELF_THREADS],
            "nosite", (json_int_t)self[AB_TD_SELF_NOSITE]);
}

static json_t *failed_json(size_t point, const char *status, const char *error)
{
        return json_pack("{s:I,s:s,s:s}", "point", (json_int_t)point, "status", status, "error",
                         error);
}

/* Read the dumps of run ri's trace child into its point. */
static void take_dumps(struct ab_matrix *m, size_t ri, size_t point, const struct ab_outcome *out)
{
        struct ab_run_res *run = &m->runs[ri];
        struct ab_point_res *p = &run->points[point];
        const char *drop[2] = {run->alloc->library[0] ? base_name(run->alloc->library) : NULL,
                               NULL};
        struct pick pk = {m->o->trace_sites, 0};
        struct ab_sites_opts so = {.drop_modules = drop, .select = select_sites, .select_arg = &pk};
        struct ab_sites ss;
        char **paths, err[600];
        size_t n = find_dumps(m->tmpdir, out->pid, &paths);
        int r;

        if (!n) {
                p->trace = failed_json(
                    point, out->status == AB_ST_OK ? "no dump" : ab_status_name(out->status),
                    "the traced process wrote no dump (it ended before the "
                    "tracer started, or the preload did not apply)");
                return;
        }
        r = ab_sites_load_many((const char *const *)paths, n, &so, &ss, err, sizeof err);
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);
        if (r < 0) {
                p->trace = failed_json(point, "unreadable", err);
                return;
        }
        p->trace = info_json(&ss, &pk, point);
        if (out->status != AB_ST_OK)
                json_object_set_new(p->trace, "status", json_string(ab_status_name(out->status)));
        p->sites = json_array();
        for (size_t i = 0; i < ss.nsites; i++)
                json_array_append_new(p->sites, site_json(&ss.sites[i], ss.nrounds, point));
        ab_sites_free(&ss);
}

int ab_trace_pass(struct ab_matrix *m, size_t job, size_t point, uint64_t iters)
{
        size_t na = m->o->nallocs;
        for (size_t a = 0; a < na && !m->interrupted; a++) {
                size_t ri = job * na + a;
                struct ab_point_res *p = &m->runs[ri].points[point];
                struct ab_outcome out;
                int r;
                if (p->skipped)
                        continue; /* another shard's */
                if (p->status != AB_ST_OK) {
                        /* it failed untraced: tracing will not mend it */
                        if (m->o->record)
                                ab_note("", "--record: %s on %s %s untraced: nothing recorded",
                                        m->runs[ri].alloc->name, m->runs[ri].job->name,
                                        ab_status_name(p->status));
                        continue;
                }
                remove_dumps(m->tmpdir);
                if ((r = trace_env(m, ri))) {
                        trace_env_free(m);
                        p->trace = failed_json(point, "not run", strerror(-r));
                        continue;
                }
                ab_progress_step(&m->prog, m->runs[ri].alloc->name, "trace");
                r = ab_child_spawn(m, ri, AB_PROTO_RUN, point, iters, PASS_TRACE, NULL, &out);
                trace_env_free(m);
                if (r)
                        return -1;
                if (!out.interrupted)
                        take_dumps(m, ri, point, &out);
                if (!out.interrupted && m->o->record && p->trace)
                        json_object_set_new(p->trace, "record",
                                            ab_record_take(m, ri, point, out.pid));
                remove_dumps(m->tmpdir);
                ab_outcome_free(&out);
        }
        return 0;
}
