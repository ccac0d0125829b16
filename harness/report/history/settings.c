/*
 * settings.c - the settings of a results file, and where they changed along
 * a series (settings.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/history/settings.h"

/* ---- what a results file was made with --------------------------------------- */

static void set_str(json_t *o, const char *key, const char *v)
{
        if (v && *v)
                json_object_set_new(o, key, json_string(v));
}

static void set_num(json_t *o, const char *key, double v)
{
        char buf[64];
        if (isfinite(v)) {
                snprintf(buf, sizeof buf, "%.17g", v);
                json_object_set_new(o, key, json_string(buf));
        }
}

/* The options of bench run that change how it measures, each with a value
 * but --syscalls and --trace (whose value, if any, follows '='). */
static const char *const measuring[] = {
    "reps",         "precision", "max-reps", "point-budget", "wrap",        "numa",
    "timeout",      "mem-limit", "cpus",     "sample-ms",    "count",       "round-ms",
    "round-signal", "syscalls",  "trace",    "trace-sample", "trace-depth", "trace-sites",
};

/* Whether --NAME (n bytes) is one of them; *takes: it takes a value. */
static bool is_measuring(const char *name, size_t n, bool *takes)
{
        for (size_t i = 0; i < sizeof measuring / sizeof measuring[0]; i++)
                if (strlen(measuring[i]) == n && strncmp(measuring[i], name, n) == 0) {
                        *takes = strcmp(measuring[i], "syscalls") != 0 &&
                                 strcmp(measuring[i], "trace") != 0;
                        return true;
                }
        return false;
}

/* "command": the measuring options of the command line, and the program
 * after --, in order, as one line; NULL when there are none. */
static char *command_line(json_t *cmd)
{
        char *buf = NULL;
        size_t len = 0, n = json_array_size(cmd);
        FILE *f = open_memstream(&buf, &len);
        bool any = false;
        if (!f)
                return NULL;
        for (size_t i = 1; i < n; i++) {
                const char *w = json_string_value(json_array_get(cmd, i)), *eq;
                bool takes = false;
                if (!w)
                        continue;
                if (strcmp(w, "--") == 0) {
                        for (; i < n; i++) {
                                const char *p = json_string_value(json_array_get(cmd, i));
                                fprintf(f, "%s%s", any ? " " : "", p ? p : "");
                                any = true;
                        }
                        break;
                }
                if (strncmp(w, "--", 2) != 0)
                        continue;
                eq = strchr(w, '=');
                if (!is_measuring(w + 2, eq ? (size_t)(eq - w - 2) : strlen(w + 2), &takes))
                        continue;
                fprintf(f, "%s%s", any ? " " : "", w);
                any = true;
                if (takes && !eq && i + 1 < n) {
                        const char *v = json_string_value(json_array_get(cmd, ++i));
                        fprintf(f, " %s", v ? v : "");
                }
        }
        if (fclose(f) != 0 || !any) {
                free(buf);
                return NULL;
        }
        return buf;
}

static json_t *run_own(const struct ab_doc *d)
{
        const struct ab_vhost *hs = &d->host;
        json_t *o = json_object();
        char *cmd;
        if (!o)
                return NULL;
        set_str(o, "host.os", hs->os);
        set_str(o, "host.kernel", hs->kernel);
        set_str(o, "host.libc", hs->libc);
        set_str(o, "host.arch", hs->arch);
        set_str(o, "host.cpu_model", hs->cpu_model);
        set_num(o, "host.cores", hs->cores);
        set_num(o, "host.cpus", hs->cpus);
        set_num(o, "host.numa_nodes", hs->numa_nodes);
        set_num(o, "host.page_size", hs->page_size);
        set_str(o, "host.thp", hs->thp);
        set_str(o, "host.platform", hs->platform);
        set_str(o, "tool.version", d->tool_version);
        set_str(o, "count", d->instructions);
        set_str(o, "syscalls", d->syscalls);
        if ((cmd = command_line(json_object_get(d->json, "command"))))
                json_object_set_new(o, "command", json_string(cmd));
        free(cmd);
        return o;
}

static json_t *run_alloc(const struct ab_doc *d, const struct ab_vrun *r)
{
        json_t *o = json_object();
        long long seed;
        char key[320];
        if (!o)
                return NULL;
        set_str(o, "allocator.version", r->alloc_version);
        set_str(o, "allocator.library", r->alloc_library);
        for (size_t i = 0; i < r->nenv; i++) {
                snprintf(key, sizeof key, "env.%s", r->env[i].key);
                set_str(o, key, r->env[i].str ? r->env[i].str : r->env[i].text);
        }
        set_str(o, "placement.cpus", r->cpus);
        set_str(o, "placement.numa", r->numa);
        if (ab_vrun_seed(d, r, &seed) == 0)
                set_num(o, "seed", (double)seed);
        for (size_t i = 0; i < r->nparams; i++) {
                const struct ab_kv *kv = &r->params[i];
                /* the swept list is what the points are; objects are no setting */
                if (kv->is_list || kv->text[0] == '{')
                        continue;
                snprintf(key, sizeof key, "params.%s", kv->key);
                set_str(o, key, kv->str ? kv->str : kv->text);
        }
        return o;
}

/* s from o (whose reference it takes): its canonical text and digest. */
static int fill(struct ab_hsetting *s, json_t *o, const char *alloc, const char *wl)
{
        s->value = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII) : NULL;
        json_decref(o);
        s->alloc = strdup(alloc);
        s->workload = strdup(wl);
        if (!s->value || !s->alloc || !s->workload)
                return -ENOMEM;
        ab_hash_text(s->value, strlen(s->value), s->digest);
        return 0;
}

int ab_hsettings_of(const struct ab_doc *d, struct ab_hsetting **out, size_t *n)
{
        struct ab_hsetting *s = calloc(d->nruns + 1, sizeof *s);
        size_t k = 0;
        *out = NULL;
        *n = 0;
        if (!s)
                return -ENOMEM;
        if (fill(&s[k++], run_own(d), "", ""))
                goto oom;
        for (size_t i = 0; i < d->nruns; i++) {
                const struct ab_vrun *r = &d->runs[i];
                bool seen = false;
                for (size_t j = 1; j < k && !seen; j++)
                        seen = strcmp(s[j].alloc, r->alloc) == 0 &&
                               strcmp(s[j].workload, r->workload_id) == 0;
                if (!seen && fill(&s[k++], run_alloc(d, r), r->alloc, r->workload_id))
                        goto oom;
        }
        *out = s;
        *n = k;
        return 0;
oom:
        ab_hsettings_free(s, k);
        return -ENOMEM;
}

void ab_hsettings_free(struct ab_hsetting *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(s[i].alloc);
                free(s[i].workload);
                free(s[i].value);
        }
        free(s);
}

/* ---- where they changed ------------------------------------------------------------ */

/* The set runs[run] had for alloc and workload, or SIZE_MAX. */
static size_t set_of(const struct ab_history *h, size_t run, const char *alloc, const char *wl)
{
        for (size_t k = h->runset_first[run]; k < h->runset_first[run + 1]; k++)
                if (strcmp(h->runsets[k].alloc, alloc) == 0 &&
                    strcmp(h->runsets[k].workload, wl) == 0)
                        return h->runsets[k].set;
        return SIZE_MAX;
}

/* The sets parsed, each once, as they are needed. */
struct parsed {
        const struct ab_history *h;
        json_t **obj;
};

static json_t *parsed_set(struct parsed *p, size_t set)
{
        if (set == SIZE_MAX)
                return NULL;
        if (!p->obj[set])
                p->obj[set] = json_loads(p->h->sets[set], 0, NULL);
        return p->obj[set];
}

/* The run's own settings with alloc's over them: a new object, or NULL. */
static json_t *merged(struct parsed *p, size_t own, size_t al)
{
        json_t *o = json_object(), *a = parsed_set(p, own), *b = parsed_set(p, al);
        if (!o)
                return NULL;
        if ((a && json_object_update(o, a)) || (b && json_object_update(o, b))) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static char *dup_value(json_t *v)
{
        const char *s = json_string_value(v);
        return s ? strdup(s) : NULL;
}

/* What differs between a (before) and b (after), keys in order. */
static int diff(json_t *a, json_t *b, struct ab_hstep *st)
{
        const char *key;
        json_t *v, *keys = json_array();
        size_t n = 0, i;
        int r = 0;
        if (!keys)
                return -ENOMEM;
        json_object_foreach(a, key, v) if (!json_equal(v, json_object_get(b, key)))
            json_array_append_new(keys, json_string(key));
        json_object_foreach(b, key, v) if (!json_object_get(a, key))
            json_array_append_new(keys, json_string(key));
        st->d = calloc(json_array_size(keys) + 1, sizeof *st->d);
        if (!st->d) {
                json_decref(keys);
                return -ENOMEM;
        }
        json_array_foreach(keys, i, v)
        {
                struct ab_hdiff *d = &st->d[n++];
                const char *k = json_string_value(v);
                json_t *x = json_object_get(a, k), *y = json_object_get(b, k);
                d->key = strdup(k);
                d->before = dup_value(x);
                d->after = dup_value(y);
                if (!d->key || (x && !d->before) || (y && !d->after))
                        r = -ENOMEM;
        }
        st->n = n;
        json_decref(keys);
        /* keys sorted, so that the text reads the same whatever the order */
        for (size_t x = 1; x < n; x++)
                for (size_t y = x; y > 0 && strcmp(st->d[y - 1].key, st->d[y].key) > 0; y--) {
                        struct ab_hdiff t = st->d[y];
                        st->d[y] = st->d[y - 1];
                        st->d[y - 1] = t;
                }
        return r;
}

static int add_step(struct ab_hseries *s, size_t *cap, size_t index, json_t *a, json_t *b)
{
        struct ab_hstep *st;
        if (!a || !b)
                return -ENOMEM;
        if (s->nsteps == *cap) {
                size_t c = *cap ? 2 * *cap : 4;
                void *p = realloc(s->steps, c * sizeof *s->steps);
                if (!p)
                        return -ENOMEM;
                s->steps = p;
                *cap = c;
        }
        st = &s->steps[s->nsteps++];
        memset(st, 0, sizeof *st);
        st->index = index;
        return diff(a, b, st);
}

static int explain_series(struct parsed *p, struct ab_hseries *s)
{
        const struct ab_history *h = p->h;
        size_t own0 = SIZE_MAX, al0 = SIZE_MAX, cap = 0;
        int r = 0;
        for (size_t i = 0; i < s->n && !r; i++) {
                size_t own = set_of(h, s->run[i], "", ""),
                       al = set_of(h, s->run[i], s->alloc, s->workload);
                if (i > 0 && own != SIZE_MAX && own0 != SIZE_MAX && (own != own0 || al != al0)) {
                        json_t *a = merged(p, own0, al0), *b = merged(p, own, al);
                        r = add_step(s, &cap, i, a, b);
                        json_decref(a);
                        json_decref(b);
                }
                own0 = own;
                al0 = al;
        }
        return r;
}

/* A copy of the steps of prev for s, whose runs are the same. */
static int copy_steps(struct ab_hseries *s, const struct ab_hseries *prev)
{
        if (!prev->nsteps)
                return 0;
        if (!(s->steps = calloc(prev->nsteps, sizeof *s->steps)))
                return -ENOMEM;
        for (size_t i = 0; i < prev->nsteps; i++) {
                const struct ab_hstep *a = &prev->steps[i];
                struct ab_hstep *b = &s->steps[s->nsteps++];
                b->index = a->index;
                if (!(b->d = calloc(a->n + 1, sizeof *b->d)))
                        return -ENOMEM;
                for (size_t k = 0; k < a->n; k++, b->n++) {
                        b->d[k].key = strdup(a->d[k].key);
                        b->d[k].before = a->d[k].before ? strdup(a->d[k].before) : NULL;
                        b->d[k].after = a->d[k].after ? strdup(a->d[k].after) : NULL;
                        if (!b->d[k].key || (a->d[k].before && !b->d[k].before) ||
                            (a->d[k].after && !b->d[k].after))
                                return -ENOMEM;
                }
        }
        return 0;
}

/* Whether a and b are of one host, allocator and workload, over the same runs. */
static bool same_runs(const struct ab_hseries *a, const struct ab_hseries *b)
{
        return a->n == b->n && strcmp(a->host, b->host) == 0 && strcmp(a->alloc, b->alloc) == 0 &&
               strcmp(a->workload, b->workload) == 0 &&
               memcmp(a->run, b->run, a->n * sizeof *a->run) == 0;
}

int ab_history_explain(struct ab_history *h)
{
        struct parsed p = {h, NULL};
        const struct ab_hseries *prev = NULL;
        int r = 0;
        if (!h->nrunsets || !h->runset_first)
                return 0;
        if (!(p.obj = calloc(h->nsets + 1, sizeof *p.obj)))
                return -ENOMEM;
        for (size_t i = 0; i < h->nseries && !r; i++) {
                struct ab_hseries *s = &h->series[i];
                /* the metrics of a point come together, over the same runs */
                r = prev && same_runs(s, prev) ? copy_steps(s, prev) : explain_series(&p, s);
                prev = s;
        }
        for (size_t i = 0; i < h->nsets; i++)
                json_decref(p.obj[i]);
        free(p.obj);
        return r;
}

const struct ab_hstep *ab_hseries_step_at(const struct ab_hseries *s, size_t index)
{
        for (size_t i = 0; i < s->nsteps; i++)
                if (s->steps[i].index == index)
                        return &s->steps[i];
        return NULL;
}

const char *ab_hstep_text(const struct ab_hstep *st, char *buf, size_t len)
{
        size_t off = 0;
        buf[0] = '\0';
        for (size_t i = 0; st && i < st->n && off < len; i++) {
                const struct ab_hdiff *d = &st->d[i];
                off += (size_t)snprintf(buf + off, len - off, "%s%s: %.60s%s -> %.60s%s",
                                        i ? "; " : "", d->key, d->before ? d->before : "unset",
                                        d->before && strlen(d->before) > 60 ? "..." : "",
                                        d->after ? d->after : "unset",
                                        d->after && strlen(d->after) > 60 ? "..." : "");
        }
        return buf;
}

json_t *ab_hrun_settings(const struct ab_history *h, size_t run, const char *alloc,
                         const char *workload)
{
        struct parsed p = {h, NULL};
        size_t own, al = SIZE_MAX;
        json_t *o;
        if (!h->runset_first || run >= h->nruns)
                return NULL;
        if ((own = set_of(h, run, "", "")) == SIZE_MAX)
                return NULL;
        if (alloc)
                al = set_of(h, run, alloc, workload ? workload : "");
        if (!(p.obj = calloc(h->nsets + 1, sizeof *p.obj)))
                return NULL;
        o = merged(&p, own, al);
        for (size_t i = 0; i < h->nsets; i++)
                json_decref(p.obj[i]);
        free(p.obj);
        return o;
}
