/*
 * sites.c - dumps -> keyed, symbolised sites with series (sites.h).
 *
 * Order of work, so that only what is reported is fully symbolised:
 *   1. read every dump;
 *   2. for every raw stack with activity, name its innermost frames (with
 *      inline expansion for the first opts.inline_frames) until the key has
 *      opts.key_frames frames: each distinct address is looked up once
 *      (a per-dump cache);
 *   3. merge raw stacks by key, sum totals and rounds;
 *   4. sort, cut to opts.max_sites, and only then resolve every frame of
 *      each reported site's representative stack.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "sites.h"
#include "symbols.h"

#define MAX_INL 8 /* entries one address expands to, at most */

/* ---- a string pool owned by struct ab_sites ------------------------------ */

struct pool {
        struct pool *next;
        size_t used, cap;
        char data[];
};

static const char *pool_str(void **head, const char *s)
{
        struct pool *p = *head;
        size_t n;
        if (!s)
                return NULL;
        n = strlen(s) + 1;
        if (!p || p->cap - p->used < n) {
                size_t cap = n > 65536 ? n : 65536;
                struct pool *np = malloc(sizeof *np + cap);
                if (!np)
                        return NULL;
                np->next = p;
                np->used = 0;
                np->cap = cap;
                *head = p = np;
        }
        memcpy(p->data + p->used, s, n);
        p->used += n;
        return p->data + p->used - n;
}

static void pool_free(void *head)
{
        for (struct pool *p = head, *n; p; p = n) {
                n = p->next;
                free(p);
        }
}

/* ---- per-dump state: its symbols and a cache of looked-up addresses ------ */

struct pcent {
        uint64_t pc;
        bool inl;
        int n;
        struct ab_sym sym[MAX_INL];
};

struct src {
        struct ab_tdump d;
        struct ab_symbols *sym;
        struct pcent *cache; /* open addressing on pc */
        size_t ccap, cn;
        int32_t *merged; /* per stack: merged site index, -1 none */
};

static const struct pcent *lookup(struct src *s, uint64_t pc, bool inl, bool raw)
{
        size_t i;
        if (s->cn * 2 >= s->ccap) {
                size_t ncap = s->ccap ? s->ccap * 2 : 1024;
                struct pcent *nc = calloc(ncap, sizeof *nc);
                if (!nc)
                        return NULL;
                for (size_t k = 0; k < s->ccap; k++) {
                        if (!s->cache[k].n)
                                continue;
                        i = (s->cache[k].pc * 0x9e3779b97f4a7c15ull + s->cache[k].inl) >> 20;
                        for (i &= ncap - 1; nc[i].n; i = (i + 1) & (ncap - 1))
                                ;
                        nc[i] = s->cache[k];
                }
                free(s->cache);
                s->cache = nc;
                s->ccap = ncap;
        }
        i = ((pc * 0x9e3779b97f4a7c15ull + inl) >> 20) & (s->ccap - 1);
        for (; s->cache[i].n; i = (i + 1) & (s->ccap - 1))
                if (s->cache[i].pc == pc && s->cache[i].inl == inl)
                        return &s->cache[i];
        s->cache[i].pc = pc;
        s->cache[i].inl = inl;
        if (raw || !s->sym) {
                memset(s->cache[i].sym, 0, sizeof s->cache[i].sym);
                s->cache[i].sym[0].module = -1;
                for (size_t m = 0; m < s->d.nmodules; m++)
                        if (pc >= s->d.modules[m].base &&
                            pc - s->d.modules[m].base < s->d.modules[m].size)
                                s->cache[i].sym[0].module = (int)m;
                s->cache[i].n = 1;
        } else {
                s->cache[i].n = ab_symbols_lookup(s->sym, pc, inl, s->cache[i].sym, MAX_INL);
        }
        s->cn++;
        return &s->cache[i];
}

void ab_site_module_name(const char *path, char *dst, size_t cap)
{
        const char *b = strrchr(path, '/');
        char *so;
        snprintf(dst, cap, "%s", b ? b + 1 : (*path ? path : "?"));
        so = strstr(dst, ".so.");
        if (so)
                so[3] = '\0';
}

/* "libc.so.6" -> "libc.so": the base name without a version after ".so". */
static void module_name(const struct src *s, int m, char *dst, size_t cap)
{
        ab_site_module_name(m >= 0 ? s->d.modules[m].path : "", dst, cap);
}

static bool has_prefix(const char *s, const char *p)
{
        return strncmp(s, p, strlen(p)) == 0;
}

static bool libc_malloc(const char *n)
{
        static const char *const names[] = {
            "malloc",        "calloc",          "realloc",       "free",
            "reallocarray",  "posix_memalign",  "aligned_alloc", "memalign",
            "valloc",        "pvalloc",         "sysmalloc",     "malloc_consolidate",
            "_mid_memalign", "__posix_memalign"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcmp(n, names[i]) == 0)
                        return true;
        return has_prefix(n, "_int_") || has_prefix(n, "tcache") ||
               (has_prefix(n, "__libc_") &&
                (strstr(n, "alloc") || strstr(n, "free") || strstr(n, "memalign")));
}

/* Frames that are the allocator's or the tracer's, not the program's. */
bool ab_site_dropped(const char *mod, const char *name, const char *const *drop_modules)
{
        if (has_prefix(mod, "libabtrace") || has_prefix(mod, "libjemalloc") ||
            has_prefix(mod, "libtcmalloc") || has_prefix(mod, "libmimalloc"))
                return true;
        for (const char *const *d = drop_modules; d && *d; d++)
                if (has_prefix(mod, *d))
                        return true;
        if (!name)
                return false;
        if ((strcmp(mod, "libc.so") == 0 || has_prefix(mod, "ld-linux")) && libc_malloc(name))
                return true;
        return strcmp(mod, "libstdc++.so") == 0 &&
               (has_prefix(name, "operator new") || has_prefix(name, "operator delete"));
}

static void frame_name(const struct src *s, const struct ab_sym *y, uint64_t pc, bool raw,
                       char *dst, size_t cap)
{
        if (raw && y->module >= 0)
                snprintf(dst, cap, "+0x%llx",
                         (unsigned long long)(pc - s->d.modules[y->module].base));
        else
                snprintf(dst, cap, "%s", y->name ? y->name : "?");
}

void ab_site_key_add(struct ab_site_key *k, const char *mod, const char *fn)
{
        int w;
        if (k->frames && strcmp(k->last_fn, fn) == 0 && strcmp(k->last_mod, mod) == 0)
                return; /* recursion: one frame */
        w = snprintf(k->text + k->len, sizeof k->text - k->len, "%s%s%s%s", k->frames ? "<" : "",
                     strcmp(k->last_mod, mod) != 0 ? mod : "",
                     strcmp(k->last_mod, mod) != 0 ? "!" : "", fn);
        if (w > 0 && (size_t)w < sizeof k->text - k->len)
                k->len += (size_t)w;
        snprintf(k->last_mod, sizeof k->last_mod, "%s", mod);
        snprintf(k->last_fn, sizeof k->last_fn, "%s", fn);
        k->frames++;
}

static int make_key(struct src *s, uint32_t site, const struct ab_sites_opts *o,
                    struct ab_site_key *k)
{
        const struct ab_tdump_stack *st = &s->d.stacks[site];
        memset(k, 0, sizeof *k);
        for (uint32_t f = 0; f < st->depth && k->frames < o->key_frames; f++) {
                const struct pcent *e = lookup(s, st->pcs[f], f < o->inline_frames, o->raw);
                if (!e)
                        return -ENOMEM;
                for (int i = 0; i < e->n && k->frames < o->key_frames; i++) {
                        char mod[256], fn[1024];
                        module_name(s, e->sym[i].module, mod, sizeof mod);
                        frame_name(s, &e->sym[i], st->pcs[f], o->raw, fn, sizeof fn);
                        if (!ab_site_dropped(mod, e->sym[i].name, o->drop_modules))
                                ab_site_key_add(k, mod, fn);
                }
        }
        if (!k->frames)
                snprintf(k->text, sizeof k->text, "%s", st->depth ? "(allocator)" : "(no stack)");
        return 0;
}

/* ---- merging ------------------------------------------------------------------ */

struct work {
        struct ab_sites *out;
        size_t cap;
        int32_t *hash; /* key -> site index + 1 */
        size_t hcap;
        uint64_t *rep_bytes; /* bytes of each site's representative stack */
        struct rep {
                size_t src;
                uint32_t stack;
        } * rep;
};

static uint64_t hash_str(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ull;
        while (*s)
                h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
        return h;
}

static int find_or_add(struct work *w, const char *key, size_t nrounds)
{
        struct ab_sites *o = w->out;
        size_t i;
        if (o->nsites * 2 >= w->hcap) {
                size_t ncap = w->hcap ? w->hcap * 2 : 256;
                int32_t *nh = calloc(ncap, sizeof *nh);
                if (!nh)
                        return -ENOMEM;
                for (size_t k = 0; k < o->nsites; k++) {
                        for (i = hash_str(o->sites[k].key) & (ncap - 1); nh[i];
                             i = (i + 1) & (ncap - 1))
                                ;
                        nh[i] = (int32_t)k + 1;
                }
                free(w->hash);
                w->hash = nh;
                w->hcap = ncap;
        }
        for (i = hash_str(key) & (w->hcap - 1); w->hash[i]; i = (i + 1) & (w->hcap - 1))
                if (strcmp(o->sites[w->hash[i] - 1].key, key) == 0)
                        return w->hash[i] - 1;
        if (o->nsites == w->cap) {
                size_t ncap = w->cap ? w->cap * 2 : 64;
                struct ab_site *ns = realloc(o->sites, ncap * sizeof *ns);
                uint64_t *nb = realloc(w->rep_bytes, ncap * sizeof *nb);
                struct rep *nr = realloc(w->rep, ncap * sizeof *nr);
                if (ns)
                        o->sites = ns;
                if (nb)
                        w->rep_bytes = nb;
                if (nr)
                        w->rep = nr;
                if (!ns || !nb || !nr)
                        return -ENOMEM;
                w->cap = ncap;
        }
        memset(&o->sites[o->nsites], 0, sizeof o->sites[0]);
        o->sites[o->nsites].key = strdup(key);
        o->sites[o->nsites].rounds = calloc(nrounds ? nrounds : 1, sizeof(struct ab_site_round));
        if (!o->sites[o->nsites].key || !o->sites[o->nsites].rounds) {
                free(o->sites[o->nsites].key);
                free(o->sites[o->nsites].rounds);
                return -ENOMEM;
        }
        w->rep_bytes[o->nsites] = 0;
        w->hash[i] = (int32_t)o->nsites + 1;
        return (int)o->nsites++;
}

static void add_totals(struct ab_site_totals *t, const uint64_t *v)
{
        t->allocs += v[AB_TD_ALLOCS];
        t->frees += v[AB_TD_FREES];
        t->bytes_alloc += v[AB_TD_BYTES_ALLOC];
        t->bytes_freed += v[AB_TD_BYTES_FREED];
        t->live_bytes += (int64_t)(v[AB_TD_BYTES_ALLOC] - v[AB_TD_BYTES_FREED]);
        t->live_blocks += (int64_t)(v[AB_TD_ALLOCS] - v[AB_TD_FREES]);
        t->peak_live += v[AB_TD_PEAK_OVER]; /* TOTALS: the stack's own peak */
        t->big_ops += v[AB_TD_BIG_OPS];
        t->zc_calls += v[AB_TD_ZC_CALLS];
        t->zc_ns += v[AB_TD_ZC_NS];
        t->zc_minflt += v[AB_TD_ZC_MINFLT];
        t->map_calls += v[AB_TD_MAP_CALLS];
        t->map_bytes += v[AB_TD_MAP_BYTES];
        t->unmap_calls += v[AB_TD_UNMAP_CALLS];
        t->unmap_bytes += v[AB_TD_UNMAP_BYTES];
        t->commit_calls += v[AB_TD_COMMIT_CALLS];
        t->commit_bytes += v[AB_TD_COMMIT_BYTES];
        t->zc_bytes += v[AB_TD_ZC_BYTES];
        t->reserve_bytes += v[AB_TD_RESERVE_BYTES];
}

static int merge_src(struct work *w, struct src *s, size_t si, const struct ab_sites_opts *o)
{
        struct ab_sites *out = w->out;
        s->merged = malloc((s->d.nstacks ? s->d.nstacks : 1) * sizeof *s->merged);
        if (!s->merged)
                return -ENOMEM;
        for (size_t i = 0; i < s->d.nstacks; i++)
                s->merged[i] = -1;
        for (size_t t = 0; t < s->d.ntotals; t++) {
                const struct ab_tdump_rec *r = &s->d.totals[t];
                struct ab_site_key k;
                struct ab_site *site;
                int idx, e;
                if ((e = make_key(s, r->site, o, &k)) < 0)
                        return e;
                if ((idx = find_or_add(w, k.text, out->nrounds)) < 0)
                        return idx;
                s->merged[r->site] = idx;
                site = &out->sites[idx];
                site->nstacks++;
                site->stack_flags |= s->d.stacks[r->site].flags;
                add_totals(&site->total, r->v);
                if (r->v[AB_TD_BYTES_ALLOC] >= w->rep_bytes[idx] || site->nstacks == 1) {
                        w->rep_bytes[idx] = r->v[AB_TD_BYTES_ALLOC];
                        w->rep[idx] = (struct rep){si, r->site};
                }
        }
        /* rounds: deltas add up; live values are prefix sums, below */
        for (size_t rd = 0; rd < s->d.nrounds; rd++) {
                const struct ab_tdump_round *R = &s->d.rounds[rd];
                for (uint32_t k = 0; k < R->nrecs; k++) {
                        const struct ab_tdump_rec *r = &R->recs[k];
                        struct ab_site_round *x;
                        if (s->merged[r->site] < 0)
                                continue; /* a site with no total: cannot happen in a valid dump */
                        x = &out->sites[s->merged[r->site]].rounds[rd];
                        x->allocs += r->v[AB_TD_ALLOCS];
                        x->frees += r->v[AB_TD_FREES];
                        x->bytes_alloc += r->v[AB_TD_BYTES_ALLOC];
                        x->bytes_freed += r->v[AB_TD_BYTES_FREED];
                        x->peak_live += r->v[AB_TD_PEAK_OVER]; /* finished in finish_rounds */
                }
        }
        return 0;
}

static void finish_rounds(struct ab_sites *out)
{
        for (size_t i = 0; i < out->nsites; i++) {
                int64_t live = 0, blocks = 0;
                for (size_t r = 0; r < out->nrounds; r++) {
                        struct ab_site_round *x = &out->sites[i].rounds[r];
                        live += (int64_t)(x->bytes_alloc - x->bytes_freed);
                        blocks += (int64_t)(x->allocs - x->frees);
                        x->live_bytes = live;
                        x->live_blocks = blocks;
                        x->peak_live += live > 0 ? (uint64_t)live : 0;
                }
        }
}

static int cmp_site(const void *a, const void *b)
{
        const struct ab_site *x = a, *y = b;
        if (x->total.bytes_alloc != y->total.bytes_alloc)
                return x->total.bytes_alloc > y->total.bytes_alloc ? -1 : 1;
        return strcmp(x->key, y->key);
}

static void hex(const uint8_t *b, size_t n, char *dst)
{
        for (size_t i = 0; i < n; i++)
                sprintf(dst + 2 * i, "%02x", b[i]);
        dst[2 * n] = '\0';
}

/* Every frame of the representative stack, named. */
static int resolve_frames(struct ab_sites *out, struct ab_site *site, struct src *s, uint32_t stack,
                          const struct ab_sites_opts *o)
{
        const struct ab_tdump_stack *st = &s->d.stacks[stack];
        size_t cap = st->depth + 8, n = 0;
        site->frames = calloc(cap, sizeof *site->frames);
        if (!site->frames)
                return -ENOMEM;
        for (uint32_t f = 0; f < st->depth; f++) {
                const struct pcent *e = lookup(s, st->pcs[f], f < o->inline_frames, o->raw);
                if (!e)
                        return -ENOMEM;
                for (int i = 0; i < e->n; i++) {
                        const struct ab_sym *y = &e->sym[i];
                        struct ab_site_frame *fr;
                        char mod[256], fn[1024], bid[2 * AB_TD_BUILDID_MAX + 1] = "";
                        if (n == cap) {
                                struct ab_site_frame *nf =
                                    realloc(site->frames, 2 * cap * sizeof *nf);
                                if (!nf)
                                        return -ENOMEM;
                                site->frames = nf;
                                cap *= 2;
                        }
                        fr = &site->frames[n++];
                        module_name(s, y->module, mod, sizeof mod);
                        frame_name(s, y, st->pcs[f], o->raw, fn, sizeof fn);
                        if (y->module >= 0)
                                hex(s->d.modules[y->module].build_id,
                                    s->d.modules[y->module].build_id_len, bid);
                        fr->addr = st->pcs[f];
                        fr->function = pool_str(&out->pool, o->raw        ? fn
                                                            : y->function ? y->function
                                                                          : "?");
                        fr->file = pool_str(&out->pool, y->file);
                        fr->line = y->line;
                        fr->inlined = y->inlined;
                        fr->dropped = ab_site_dropped(mod, y->name, o->drop_modules);
                        fr->module = pool_str(&out->pool,
                                              y->module >= 0 ? s->d.modules[y->module].path : "");
                        fr->build_id = pool_str(&out->pool, bid);
                        if (!fr->function || !fr->module || !fr->build_id)
                                return -ENOMEM;
                }
        }
        site->nframes = n;
        return 0;
}

static int round_meta(struct ab_sites *out, struct src *srcs, size_t n)
{
        out->round_end_us = calloc(out->nrounds ? out->nrounds : 1, sizeof *out->round_end_us);
        out->round_phase = calloc(out->nrounds ? out->nrounds : 1, sizeof *out->round_phase);
        if (!out->round_end_us || !out->round_phase)
                return -ENOMEM;
        for (size_t r = 0; r < out->nrounds; r++)
                for (size_t i = 0; i < n; i++) {
                        const struct ab_tdump *d = &srcs[i].d;
                        if (r >= d->nrounds)
                                continue;
                        out->round_end_us[r] = d->rounds[r].end_us;
                        if (d->rounds[r].phase)
                                out->round_phase[r] =
                                    strdup(d->phases[d->rounds[r].phase - 1].name);
                        break;
                }
        return 0;
}

/* Keep the first n sites (their frames, still unresolved, need no freeing). */
static void cut_sites(struct ab_sites *out, size_t n)
{
        for (size_t i = n; i < out->nsites; i++) {
                free(out->sites[i].key);
                free(out->sites[i].rounds);
        }
        out->nsites = n;
}

static int load(const char *const *paths, size_t n, const struct ab_sites_opts *opts,
                struct ab_sites *out, struct src *srcs, char *err, size_t errlen)
{
        struct ab_sites_opts o = opts ? *opts : (struct ab_sites_opts){0};
        struct work w = {.out = out};
        int r = 0;

        if (!o.key_frames)
                o.key_frames = 6;
        if (!o.inline_frames)
                o.inline_frames = 8;
        out->procs = calloc(n ? n : 1, sizeof *out->procs);
        if (!out->procs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char e[512];
                struct ab_sites_proc *p = &out->procs[i];
                r = ab_tdump_read(paths[i], &srcs[i].d, e, sizeof e);
                if (r < 0) {
                        snprintf(err, errlen, "%s: %s", paths[i], e);
                        return r;
                }
                out->nprocs = i + 1;
                p->path = strdup(paths[i]);
                p->pid = srcs[i].d.pid;
                p->ppid = srcs[i].d.ppid;
                p->flags = srcs[i].d.flags;
                p->nrounds = srcs[i].d.nrounds;
                memcpy(p->self, srcs[i].d.self, sizeof p->self);
                if (srcs[i].d.nrounds > out->nrounds)
                        out->nrounds = srcs[i].d.nrounds;
                if (!o.raw &&
                    (r = ab_symbols_open(srcs[i].d.modules, srcs[i].d.nmodules, &srcs[i].sym)) < 0)
                        return r;
        }
        out->sample_bytes = n ? srcs[0].d.sample_bytes : 0;
        out->big_bytes = n ? srcs[0].d.big_bytes : 0;
        for (size_t i = 0; i < n && !r; i++)
                r = merge_src(&w, &srcs[i], i, &o);
        if (!r) {
                finish_rounds(out);
                r = round_meta(out, srcs, n);
        }
        if (!r) {
                /* sort with the representative stack riding along */
                for (size_t i = 0; i < out->nsites; i++)
                        out->sites[i].frames = (void *)&w.rep[i];
                qsort(out->sites, out->nsites, sizeof *out->sites, cmp_site);
                if (o.select) {
                        size_t keep = o.select(out->sites, out->nsites, out->nrounds, o.select_arg);
                        cut_sites(out, keep < out->nsites ? keep : out->nsites);
                        qsort(out->sites, out->nsites, sizeof *out->sites, cmp_site);
                }
                if (o.max_sites && out->nsites > o.max_sites)
                        cut_sites(out, o.max_sites);
                for (size_t i = 0; i < out->nsites; i++) {
                        struct rep rp = *(struct rep *)out->sites[i].frames;
                        out->sites[i].frames = NULL;
                        if (!r)
                                r = resolve_frames(out, &out->sites[i], &srcs[rp.src], rp.stack,
                                                   &o);
                }
        }
        if (r == -ENOMEM)
                snprintf(err, errlen, "out of memory");
        free(w.hash);
        free(w.rep_bytes);
        free(w.rep);
        return r;
}

int ab_sites_load_many(const char *const *paths, size_t n, const struct ab_sites_opts *o,
                       struct ab_sites *out, char *err, size_t errlen)
{
        struct src *srcs = calloc(n ? n : 1, sizeof *srcs);
        int r;
        memset(out, 0, sizeof *out);
        if (err && errlen)
                err[0] = '\0';
        if (!srcs)
                return -ENOMEM;
        r = load(paths, n, o, out, srcs, err, errlen);
        for (size_t i = 0; i < n; i++) {
                ab_symbols_close(srcs[i].sym);
                ab_tdump_free(&srcs[i].d);
                free(srcs[i].cache);
                free(srcs[i].merged);
        }
        free(srcs);
        if (r < 0)
                ab_sites_free(out);
        return r;
}

int ab_sites_load(const char *dump_path, const struct ab_sites_opts *o, struct ab_sites *out,
                  char *err, size_t errlen)
{
        return ab_sites_load_many(&dump_path, 1, o, out, err, errlen);
}

const struct ab_site *ab_sites_find(const struct ab_sites *s, const char *key)
{
        for (size_t i = 0; i < s->nsites; i++)
                if (strcmp(s->sites[i].key, key) == 0)
                        return &s->sites[i];
        return NULL;
}

void ab_sites_free(struct ab_sites *s)
{
        for (size_t i = 0; i < s->nsites; i++) {
                free(s->sites[i].key);
                free(s->sites[i].rounds);
                free(s->sites[i].frames);
        }
        for (size_t i = 0; i < s->nprocs; i++)
                free(s->procs[i].path);
        for (size_t r = 0; s->round_phase && r < s->nrounds; r++)
                free(s->round_phase[r]);
        free(s->sites);
        free(s->procs);
        free(s->round_end_us);
        free(s->round_phase);
        pool_free(s->pool);
        memset(s, 0, sizeof *s);
}
