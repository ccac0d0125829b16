/*
 * doc.c - the results document read once into the typed view of doc.h.
 *
 * Strings point into the JSON tree the view holds a reference to; arrays of
 * the view are malloc'd. Every accessor below treats a missing key, a null
 * or a value of the wrong type the same way: NAN or NULL.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/stats.h"
#include "doc/doc.h"
#include "doc/view.h"

const struct ab_metric_def ab_metrics[AB_M_COUNT] = {
#define AB_METRIC(id, key, unit, agg, floor, tracked, help)                                        \
        [AB_M_##id] = {key, unit, help, AB_AGG_##agg, floor, (tracked) > 0, (tracked) == 2},
#include "doc/metrics.def"
#undef AB_METRIC
};

const char *const ab_syscall_names[AB_SC_N] = {"mmap",    "munmap", "mprotect",
                                               "madvise", "brk",    "mremap"};

int ab_metric_find(const char *key)
{
        for (int i = 0; i < AB_M_COUNT; i++)
                if (strcmp(ab_metrics[i].key, key) == 0)
                        return i;
        return -1;
}

int ab_severity_rank(const char *s)
{
        if (!s)
                return -1;
        return strcmp(s, "high") == 0   ? 2
               : strcmp(s, "warn") == 0 ? 1
               : strcmp(s, "info") == 0 ? 0
                                        : -1;
}

#define num(o, key) ab_view_num(o, key)
#define str(o, key) ab_view_str(o, key)

static int tristate(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_boolean(v) ? json_is_true(v) : -1;
}

/* ---- key/value lists -------------------------------------------------------- */

static char *text_of(json_t *v)
{
        if (json_is_string(v))
                return strdup(json_string_value(v));
        return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));
}

static int kv_fill(json_t *obj, struct ab_kv **out, size_t *n)
{
        const char *key;
        json_t *v;
        size_t i = 0;
        *out = NULL;
        *n = 0;
        if (!json_is_object(obj) || json_object_size(obj) == 0)
                return 0;
        *out = calloc(json_object_size(obj), sizeof **out);
        if (!*out)
                return -ENOMEM;
        json_object_foreach(obj, key, v)
        {
                struct ab_kv *kv = &(*out)[i++];
                kv->key = key;
                kv->num = json_is_number(v) ? json_number_value(v) : NAN;
                kv->str = json_string_value(v);
                if (json_is_array(v)) {
                        json_t *item;
                        size_t k;
                        kv->is_list = true;
                        kv->list = calloc(json_array_size(v) + 1, sizeof *kv->list);
                        if (!kv->list)
                                return -ENOMEM;
                        json_array_foreach(v, k, item) kv->list[kv->nlist++] =
                            json_is_number(item) ? json_number_value(item) : NAN;
                }
                if (!(kv->text = text_of(v)))
                        return -ENOMEM;
        }
        *n = i;
        return 0;
}

static void kv_free(struct ab_kv *kv, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(kv[i].list);
                free(kv[i].text);
        }
        free(kv);
}

/* ---- point labels and keys ----------------------------------------------------- */

static int by_key(const void *a, const void *b)
{
        return strcmp((*(const struct ab_kv *const *)a)->key,
                      (*(const struct ab_kv *const *)b)->key);
}

/* Cut a string truncated by snprintf back to whole UTF-8 characters: a label
 * that ends in half a character is not a JSON string. */
static void utf8_trim(char *buf)
{
        size_t n = strlen(buf), i = n, need;
        unsigned char c;
        while (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80)
                i--;
        if (i == 0)
                return;
        c = (unsigned char)buf[i - 1];
        need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (n - (i - 1) < need)
                buf[i - 1] = '\0';
}

/* "k=v;k=v" in key order ("-" without params). A label longer than the
 * buffer keeps what fits, in whole UTF-8 characters, and ends with a hash of
 * all the parameters ("#" and 16 hex digits), so distinct points keep
 * distinct labels. */
static void point_label(struct ab_vpoint *p)
{
        const struct ab_kv *keys[32];
        size_t n = 0, off = 0, len = sizeof p->label;
        char *buf = p->label;
        for (size_t i = 0; i < p->nkv && n < 32; i++)
                keys[n++] = &p->kv[i];
        qsort(keys, n, sizeof *keys, by_key);
        buf[0] = '\0';
        for (size_t i = 0; i < n && off < len; i++) {
                const struct ab_kv *kv = keys[i];
                if (!isnan(kv->num) && kv->num == floor(kv->num) && fabs(kv->num) < 9.2e18)
                        off += (size_t)snprintf(buf + off, len - off, "%s%s=%lld", i ? ";" : "",
                                                kv->key, (long long)kv->num);
                else if (kv->str)
                        off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", i ? ";" : "",
                                                kv->key, kv->str);
                else
                        off += (size_t)snprintf(buf + off, len - off, "%s%s=%g", i ? ";" : "",
                                                kv->key, kv->num);
        }
        if (n == 0)
                snprintf(buf, len, "-");
        if (off >= len) {
                char *all = json_dumps(p->params, JSON_COMPACT | JSON_SORT_KEYS);
                uint64_t h = 0xcbf29ce484222325ull;
                for (const char *c = all ? all : ""; *c; c++)
                        h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
                free(all);
                buf[len - 19] = '\0';
                utf8_trim(buf);
                snprintf(buf + strlen(buf), 19, "#%016llx", (unsigned long long)h);
        }
}

const char *ab_point_key(const struct ab_vrun *r, const struct ab_vpoint *p, char *buf, size_t len)
{
        int n = snprintf(buf, len, "%s|%s|%s", r->alloc, r->workload_id, p->label);
        if (n >= 0 && (size_t)n >= len)
                utf8_trim(buf);
        return buf;
}

/* The workload's name, and for cmd the program: "cmd: python3 leaky.py"
 * (the program's base name and its arguments). */
static void workload_id(struct ab_vrun *r)
{
        size_t off, len = sizeof r->workload_id;
        off = (size_t)snprintf(r->workload_id, len, "%s", r->workload);
        for (size_t i = 0; i < r->nprogram && off < len; i++) {
                const char *word = r->program[i];
                if (i == 0 && strrchr(word, '/'))
                        word = strrchr(word, '/') + 1;
                off +=
                    (size_t)snprintf(r->workload_id + off, len - off, "%s%s", i ? " " : ": ", word);
        }
        if (off >= len)
                utf8_trim(r->workload_id);
        memcpy(r->base_id, r->workload_id, sizeof r->base_id);
        if (r->wrap && off < len)
                off += (size_t)snprintf(r->workload_id + off, len - off, " under %s", r->wrap);
        if (off >= len)
                utf8_trim(r->workload_id);
}

/* ---- points, rounds, runs --------------------------------------------------------- */

static void summary(json_t *o, struct ab_vsum *s)
{
        s->median = num(o, "median");
        s->min = num(o, "min");
        s->max = num(o, "max");
        s->ci95_lo = num(o, "ci95_lo");
        s->ci95_hi = num(o, "ci95_hi");
        s->coverage = num(o, "ci_coverage");
        s->halfwidth = num(o, "halfwidth");
        if (isnan(s->halfwidth) && s->median > 0)
                s->halfwidth = fmax(s->ci95_hi - s->median, s->median - s->ci95_lo) / s->median;
}

static void syscalls(json_t *pt, struct ab_vpoint *p)
{
        json_t *per = json_object_get(pt, "syscalls_per_op"),
               *tot = json_object_get(pt, "syscalls");
        p->have_sc = json_is_object(per);
        for (int i = 0; i < AB_SC_N; i++) {
                p->sc_per_op[i] = num(per, ab_syscall_names[i]);
                p->sc_total[i] = num(tot, ab_syscall_names[i]);
        }
        p->sc_mapped_per_op = num(per, "mapped_bytes");
        p->sc_unmapped_per_op = num(per, "unmapped_bytes");
        p->sc_advised_per_op = num(per, "advised_bytes");
        p->sc_ops = num(per, "ops");
}

/* A memory_range entry [lo, hi] into *lo, *hi; NAN both when it is not one. */
static void range_of(json_t *r, double *lo, double *hi)
{
        json_t *a = json_array_get(r, 0), *b = json_array_get(r, 1);
        *lo = *hi = NAN;
        if (json_array_size(r) == 2 && json_is_number(a) && json_is_number(b) &&
            json_number_value(a) <= json_number_value(b)) {
                *lo = json_number_value(a);
                *hi = json_number_value(b);
        }
}

static int point_view(json_t *pt, struct ab_vpoint *p)
{
        json_t *samples = json_object_get(pt, "samples_ns_per_op"), *v;
        json_t *halves = json_object_get(pt, "halves");
        size_t i;
        int r;
        p->params = json_object_get(pt, "params");
        if ((r = kv_fill(p->params, &p->kv, &p->nkv)))
                return r;
        p->size = num(p->params, "size");
        point_label(p);
        p->status = str(pt, "status") ? str(pt, "status") : "ok";
        p->ok = strcmp(p->status, "ok") == 0;
        p->exit_code = num(pt, "exit_code");
        p->signal = num(pt, "signal");
        p->error = str(pt, "error");
        p->op_hash = str(pt, "op_hash");
        p->ops = num(pt, "ops");
        p->reps = num(pt, "reps");
        p->samples = calloc(json_array_size(samples) + 1, sizeof *p->samples);
        if (!p->samples)
                return -ENOMEM;
        json_array_foreach(samples, i, v) if (json_is_number(v) && isfinite(json_number_value(v)))
            p->samples[p->nsamples++] = json_number_value(v);
        summary(json_object_get(pt, "ns_per_op"), &p->ns);
        summary(json_object_get(pt, "cpu_ns_per_op"), &p->cpu);
        for (int m = 0; m < AB_M_COUNT; m++) {
                json_t *mv = json_object_get(pt, ab_metrics[m].key);
                p->m[m] = json_is_object(mv)   ? num(mv, "median")
                          : json_is_number(mv) ? json_number_value(mv)
                                               : NAN;
                range_of(json_object_get(json_object_get(pt, "memory_range"), ab_metrics[m].key),
                         &p->mlo[m], &p->mhi[m]);
        }
        p->steady = tristate(pt, "steady");
        for (int h = 0; h < 2; h++) {
                json_t *a = json_object_get(halves, "ns_per_op"),
                       *b = json_object_get(halves, "minflt_per_op");
                p->half_ns[h] = json_is_number(json_array_get(a, h))
                                    ? json_number_value(json_array_get(a, h))
                                    : NAN;
                p->half_minflt[h] = json_is_number(json_array_get(b, h))
                                        ? json_number_value(json_array_get(b, h))
                                        : NAN;
        }
        p->precision_met = tristate(pt, "precision_met");
        p->precision_note = str(pt, "precision_note");
        p->warmup_end = str(pt, "warmup_end");
        p->auto_method = str(json_object_get(pt, "iterations_auto"), "method");
        syscalls(pt, p);
        return 0;
}

static void round_view(json_t *rd, struct ab_vround *o)
{
        o->index = num(rd, "index");
        o->ns = num(rd, "ns");
        o->rss_kib = num(rd, "rss_kib");
        o->vsz_kib = num(rd, "vsz_kib");
        o->pte_kib = num(rd, "pte_kib");
        o->live_bytes = num(rd, "live_bytes");
        o->anon_kib = num(rd, "anon_kib");
        o->anon_vsz_kib = num(rd, "anon_vsz_kib");
        o->threads = num(rd, "threads");
        o->procs = num(rd, "procs");
        o->phase = str(rd, "phase");
}

/* The point of a run whose params equal p's: rounds of a swept workload. */
static const struct ab_vpoint *point_by_params(const struct ab_vrun *r, json_t *params)
{
        for (size_t i = 0; i < r->npoints; i++)
                if (json_equal(r->points[i].params, params))
                        return &r->points[i];
        return NULL;
}

/* The timeline's spans, each within the timeline; all or none. */
static int spans_view(json_t *a, struct ab_vrun *r)
{
        json_t *v;
        size_t i;
        if (!json_is_array(a) || !json_array_size(a))
                return 0;
        if (!(r->spans = calloc(json_array_size(a), sizeof *r->spans)))
                return -ENOMEM;
        json_array_foreach(a, i, v)
        {
                struct ab_vspan *sp = &r->spans[r->nspans];
                double first = num(v, "first"), count = num(v, "count"), pt = num(v, "point");
                if (!(first >= 0 && count >= 1 && first + count <= (double)r->ntimeline &&
                      first == floor(first) && count == floor(count) &&
                      isfinite(num(v, "start_ms")))) {
                        r->nspans = 0; /* not this file's timeline: plot it whole */
                        return 0;
                }
                sp->start_ms = num(v, "start_ms");
                sp->first = (size_t)first;
                sp->count = (size_t)count;
                sp->point = pt >= 0 && pt < (double)r->npoints ? &r->points[(size_t)pt] : NULL;
                sp->rep = num(v, "rep") >= 1 && num(v, "rep") < 1e6 ? (int)num(v, "rep") : 0;
                r->nspans++;
        }
        return 0;
}

static int run_view(json_t *run, struct ab_vrun *r)
{
        json_t *alloc = json_object_get(run, "allocator"), *wl = json_object_get(run, "workload");
        json_t *pts = json_object_get(run, "points"), *rounds = json_object_get(run, "rounds");
        json_t *tl = json_object_get(run, "timeline"), *prog = json_object_get(run, "program"), *v;
        size_t i;
        int e;
        r->alloc = str(alloc, "name") ? str(alloc, "name") : "?";
        r->alloc_version = str(alloc, "version");
        r->alloc_library = str(alloc, "library");
        r->alloc_requested = str(alloc, "requested");
        r->workload = str(wl, "name") ? str(wl, "name") : "?";
        r->kernel = str(wl, "kernel") ? str(wl, "kernel") : r->workload;
        if ((e = kv_fill(json_object_get(wl, "params"), &r->params, &r->nparams)) ||
            (e = kv_fill(json_object_get(run, "env"), &r->env, &r->nenv)))
                return e;
        if (json_is_array(prog)) {
                r->program = calloc(json_array_size(prog) + 1, sizeof *r->program);
                if (!r->program)
                        return -ENOMEM;
                json_array_foreach(prog, i, v) r->program[r->nprogram++] =
                    json_string_value(v) ? json_string_value(v) : "";
        }
        r->job_file = str(run, "job_file");
        r->wrap = str(run, "wrap");
        workload_id(r);
        r->preload_verified = tristate(run, "preload_verified");
        json_array_foreach(json_object_get(run, "malloc_served_by"), i, v)
        {
                const char *lib = str(v, "library");
                if (lib && !r->served_other &&
                    (r->alloc_requested ? strcmp(lib, r->alloc_requested) != 0
                                        : !strstr(lib, "/libc.so") && !strstr(lib, "/libc-")))
                        r->served_other = lib;
        }
        r->cpus = str(json_object_get(run, "placement"), "cpus");
        r->numa = str(json_object_get(run, "placement"), "numa");
        r->op_hash = str(run, "op_hash");
        r->status = str(run, "status") ? str(run, "status") : "ok";
        r->seed = num(run, "seed");
        r->runner_rss_kib = num(run, "runner_rss_kib");
        r->runner_vsz_kib = num(run, "runner_vsz_kib");
        r->points = calloc(json_array_size(pts) + 1, sizeof *r->points);
        r->rounds = calloc(json_array_size(rounds) + 1, sizeof *r->rounds);
        r->timeline = calloc(json_array_size(tl) + 1, sizeof *r->timeline);
        if (!r->points || !r->rounds || !r->timeline)
                return -ENOMEM;
        json_array_foreach(pts, i, v)
        {
                if ((e = point_view(v, &r->points[r->npoints++])))
                        return e;
        }
        json_array_foreach(rounds, i, v)
        {
                struct ab_vround *o = &r->rounds[r->nrounds++];
                round_view(v, o);
                if (json_object_get(v, "params")) {
                        r->rounds_per_point = true;
                        o->point = point_by_params(r, json_object_get(v, "params"));
                }
        }
        json_array_foreach(tl, i, v)
        {
                double *s = r->timeline[r->ntimeline++];
                for (int k = 0; k < 3; k++) {
                        json_t *x = json_array_get(v, (size_t)k);
                        s[k] = json_is_number(x) ? json_number_value(x) : NAN;
                }
        }
        if ((e = spans_view(json_object_get(run, "timeline_spans"), r)))
                return e;
        return ab_view_sites(run, r);
}

static void run_free(struct ab_vrun *r)
{
        for (size_t i = 0; i < r->npoints; i++) {
                kv_free(r->points[i].kv, r->points[i].nkv);
                free(r->points[i].samples);
        }
        free(r->points);
        free(r->rounds);
        free(r->timeline);
        free(r->spans);
        ab_view_sites_free(r);
        free(r->program);
        kv_free(r->params, r->nparams);
        kv_free(r->env, r->nenv);
}

/* ---- the document ------------------------------------------------------------------ */

static int cmp_pair(const void *a, const void *b)
{
        double x = ((const double *)a)[0], y = ((const double *)b)[0];
        return (x > y) - (x < y);
}

static int calibration(json_t *cal, struct ab_vcal *c)
{
        json_t *ms = json_object_get(cal, "memset_bytes_per_ns"), *v;
        const char *k;
        double(*pairs)[2];
        size_t n = 0;
        c->page_fault_ns = num(cal, "page_fault_ns");
        c->mmap_ns = num(cal, "mmap_ns");
        c->measure_ms = num(cal, "measure_ms");
        c->cached = tristate(cal, "cached");
        pairs = calloc(json_object_size(ms) + 1, sizeof *pairs);
        c->memset_size = calloc(json_object_size(ms) + 1, sizeof *c->memset_size);
        c->memset_bpn = calloc(json_object_size(ms) + 1, sizeof *c->memset_bpn);
        if (!pairs || !c->memset_size || !c->memset_bpn) {
                free(pairs);
                return -ENOMEM;
        }
        json_object_foreach(ms, k, v)
        {
                char *end;
                double size = strtod(k, &end);
                if (*end || !(size > 0) || !json_is_number(v) || !(json_number_value(v) > 0))
                        continue;
                pairs[n][0] = size;
                pairs[n][1] = json_number_value(v);
                n++;
        }
        qsort(pairs, n, sizeof *pairs, cmp_pair);
        for (size_t i = 0; i < n; i++) {
                c->memset_size[i] = pairs[i][0];
                c->memset_bpn[i] = pairs[i][1];
        }
        c->nmemset = n;
        free(pairs);
        return 0;
}

double ab_doc_memset_ns(const struct ab_doc *d, double size)
{
        double bw;
        if (!(size > 0) || !isfinite(size))
                return -1;
        bw = ab_stats_interp_log(d->cal.memset_size, d->cal.memset_bpn, d->cal.nmemset, size);
        return bw > 0 ? size / bw : -1;
}

static void host(json_t *h, struct ab_vhost *o)
{
        o->hostname = str(h, "hostname");
        o->os = str(h, "os");
        o->kernel = str(h, "kernel");
        o->arch = str(h, "arch");
        o->cpu_model = str(h, "cpu_model");
        o->libc = str(h, "libc");
        o->thp = str(h, "thp");
        o->platform = str(h, "platform");
        o->cores = num(h, "cores");
        o->cpus = num(h, "cpus");
        o->numa_nodes = num(h, "numa_nodes");
        o->page_size = num(h, "page_size");
}

static int flags_view(json_t *flags, struct ab_doc *d)
{
        json_t *f;
        size_t i;
        d->flags = calloc(json_array_size(flags) + 1, sizeof *d->flags);
        if (!d->flags)
                return -ENOMEM;
        json_array_foreach(flags, i, f)
        {
                struct ab_vflag *o = &d->flags[d->nflags++];
                o->kind = str(f, "kind") ? str(f, "kind") : "";
                o->severity = str(f, "severity") ? str(f, "severity") : "";
                o->allocator = str(f, "allocator") ? str(f, "allocator") : "";
                o->workload = str(f, "workload") ? str(f, "workload") : "";
                o->workload_id = str(f, "workload_id") ? str(f, "workload_id") : o->workload;
                o->message = str(f, "message") ? str(f, "message") : "";
                o->hint = str(f, "hint") ? str(f, "hint") : "";
                o->rank = ab_severity_rank(o->severity);
                o->accepted = str(json_object_get(f, "accepted"), "verdict");
                o->where = json_object_get(f, "where");
                o->evidence = json_object_get(f, "evidence");
        }
        return 0;
}

/* What a reader needs of a document: the schema, and runs with allocator.name,
 * workload.name and points. */
static int check(json_t *doc, const char *path, bool file, char *err, size_t errlen)
{
        const char *schema = str(doc, "schema");
        json_t *runs = json_object_get(doc, "runs"), *r;
        size_t i;
        if (file && (!schema || strcmp(schema, AB_RESULTS_SCHEMA) != 0)) {
                snprintf(err, errlen,
                         "%s: not an allocbench results file (schema is %s; accepted: "
                         "%s)",
                         path, schema ? schema : "missing", AB_RESULTS_SCHEMA);
                return -EINVAL;
        }
        if (!json_is_array(runs)) {
                snprintf(err, errlen, "%s: \"runs\" is not an array", path);
                return -EINVAL;
        }
        json_array_foreach(runs, i, r)
        {
                if (!json_is_string(json_object_get(json_object_get(r, "allocator"), "name")) ||
                    !json_is_string(json_object_get(json_object_get(r, "workload"), "name")) ||
                    !json_is_array(json_object_get(r, "points"))) {
                        snprintf(err, errlen,
                                 "%s: run %zu lacks allocator.name, workload.name or points", path,
                                 i);
                        return -EINVAL;
                }
        }
        return 0;
}

static int view(json_t *json, const char *path, bool file, struct ab_doc *d, char *err,
                size_t errlen)
{
        json_t *runs = json_object_get(json, "runs"), *acc = json_object_get(json, "accounting");
        json_t *reps = json_object_get(json, "repetitions"), *r;
        size_t i;
        int e;
        memset(d, 0, sizeof *d);
        d->json = json_incref(json);
        d->path = path;
        if ((e = check(json, path, file, err, errlen)))
                return e;
        d->schema = str(json, "schema");
        d->created = str(json, "created");
        d->tool_version = str(json_object_get(json, "tool"), "version");
        d->tool_git = str(json_object_get(json, "tool"), "git");
        d->interrupted = json_is_true(json_object_get(json, "interrupted"));
        d->reps = num(json, "reps");
        d->sample_ms = num(json, "sample_ms");
        d->rep_mode = str(reps, "mode");
        d->precision = num(reps, "precision");
        d->min_reps = num(reps, "min");
        d->max_reps = num(reps, "max");
        d->instructions = str(acc, "instructions");
        d->valgrind = str(acc, "valgrind");
        d->syscalls = str(acc, "syscalls");
        d->strace = str(acc, "strace");
        host(json_object_get(json, "host"), &d->host);
        if ((e = calibration(json_object_get(json, "calibration"), &d->cal)))
                goto oom;
        d->runs = calloc(json_array_size(runs) + 1, sizeof *d->runs);
        if (!d->runs)
                goto oom;
        json_array_foreach(runs, i, r)
        {
                if ((e = run_view(r, &d->runs[d->nruns++])))
                        goto oom;
        }
        if ((e = flags_view(json_object_get(json, "flags"), d)))
                goto oom;
        return 0;
oom:
        snprintf(err, errlen, "%s: out of memory reading it", path);
        return -ENOMEM;
}

int ab_doc_view(json_t *json, struct ab_doc *d, char *err, size_t errlen)
{
        int e = view(json, "results", false, d, err, errlen);
        if (e)
                ab_doc_free(d);
        return e;
}

int ab_doc_load(const char *path, struct ab_doc *d, char *err, size_t errlen)
{
        json_error_t je;
        struct stat st;
        json_t *json;
        FILE *fp;
        int fd, e;
        memset(d, 0, sizeof *d);
        /* never block on a FIFO, never read a device: open without waiting
         * for a writer, then insist on a regular file */
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                snprintf(err, errlen, "%s: %s (accepted: a results file written by bench run)",
                         path, strerror(errno));
                return -errno;
        }
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                snprintf(err, errlen,
                         "%s: not a regular file (accepted: a results file written by bench run)",
                         path);
                close(fd);
                return -EINVAL;
        }
        /* blocking reads from here: a regular file never waits; through
         * stdio, because json_loadfd reads one byte per read(2) (1.4 million
         * system calls, half a second, for a 1.4 MB file) */
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        fp = fdopen(fd, "rb");
        if (!fp) {
                e = -errno;
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                close(fd);
                return e;
        }
        json = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
        fclose(fp);
        if (!json) {
                snprintf(err, errlen,
                         "%s: invalid JSON: %s at line %d (accepted: a results file written by "
                         "bench run)",
                         path, je.text, je.line);
                return -EINVAL;
        }
        e = view(json, path, true, d, err, errlen);
        json_decref(json);
        if (e)
                ab_doc_free(d);
        return e;
}

void ab_doc_free(struct ab_doc *d)
{
        for (size_t i = 0; i < d->nruns; i++)
                run_free(&d->runs[i]);
        free(d->runs);
        free(d->flags);
        free(d->cal.memset_size);
        free(d->cal.memset_bpn);
        json_decref(d->json);
        memset(d, 0, sizeof *d);
}

const struct ab_kv *ab_vrun_param(const struct ab_vrun *r, const char *key)
{
        for (size_t i = 0; i < r->nparams; i++)
                if (strcmp(r->params[i].key, key) == 0)
                        return &r->params[i];
        return NULL;
}

double ab_vrun_num(const struct ab_vrun *r, const char *key)
{
        const struct ab_kv *kv = ab_vrun_param(r, key);
        return kv ? kv->num : NAN;
}

const char *ab_vrun_str(const struct ab_vrun *r, const char *key)
{
        const struct ab_kv *kv = ab_vrun_param(r, key);
        return kv ? kv->str : NULL;
}

/* ---- a flag's where and evidence (for bench plot) ----------------------------------- */

double ab_vflag_where_num(const struct ab_vflag *f, const char *key)
{
        return num(f->where, key);
}

double ab_vflag_evidence_num(const struct ab_vflag *f, const char *key)
{
        return num(f->evidence, key);
}

size_t ab_vflag_evidence_nums(const struct ab_vflag *f, const char *key, double *out, size_t max)
{
        json_t *list = json_object_get(f->evidence, key), *v;
        size_t i;
        json_array_foreach(list, i, v)
        {
                if (i < max)
                        out[i] = json_is_number(v) ? json_number_value(v) : NAN;
        }
        return json_array_size(list);
}

/* ---- exact integers the view keeps as doubles ------------------------------- */

int ab_vrun_seed(const struct ab_doc *d, const struct ab_vrun *r, long long *seed)
{
        json_t *run, *v;
        if (r < d->runs || r >= d->runs + d->nruns)
                return -ENOENT;
        /* the view's runs are the file's, in its order */
        run = json_array_get(json_object_get(d->json, "runs"), (size_t)(r - d->runs));
        v = json_object_get(run, "seed");
        if (!json_is_integer(v))
                return -ENOENT;
        *seed = (long long)json_integer_value(v);
        return 0;
}
