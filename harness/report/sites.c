/*
 * sites.c - a run's allocation sites as the table, bench sites and the
 * figure read them: their figures per round, their order, the flags that
 * name them, their frames. See sites.h.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "report/sites.h"

size_t ab_site_warmup(size_t n)
{
        return n / 5 > 1 ? n / 5 : 1;
}

/* The rounds after the warm-up whose live bytes are known. */
static size_t known_after_warmup(const struct ab_vsite *s)
{
        size_t k = 0;
        for (size_t i = ab_site_warmup(s->nrounds); i < s->nrounds; i++)
                k += isfinite(s->live_bytes[i]);
        return k;
}

bool ab_site_has_trend(const struct ab_vsite *s)
{
        return known_after_warmup(s) >= 2;
}

double ab_site_leftover(const struct ab_vsite *s)
{
        double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0, den;
        if (!ab_site_has_trend(s))
                return 0;
        for (size_t i = ab_site_warmup(s->nrounds); i < s->nrounds; i++) {
                double x = (double)i, y = s->live_bytes[i];
                if (!isfinite(y))
                        continue;
                m++;
                sx += x;
                sy += y;
                sxx += x * x;
                sxy += x * y;
        }
        den = m * sxx - sx * sx;
        return den > 0 ? (m * sxy - sx * sy) / den : 0;
}

double ab_site_growth(const struct ab_vsite *s)
{
        double first = NAN, last = NAN;
        if (!ab_site_has_trend(s))
                return 0;
        for (size_t i = ab_site_warmup(s->nrounds); i < s->nrounds; i++) {
                if (!isfinite(s->live_bytes[i]))
                        continue;
                if (isnan(first))
                        first = s->live_bytes[i];
                last = s->live_bytes[i];
        }
        return last > first ? last - first : 0;
}

double ab_site_total(const struct ab_vsite *s, enum ab_site_total k)
{
        return isfinite(s->total[k]) ? s->total[k] : 0;
}

const char *const ab_site_value_names[AB_SV_COUNT] = {"bytes", "live", "allocs", "leftover"};
const char *const ab_site_value_help[AB_SV_COUNT] = {
    "bytes allocated", "live bytes at the end", "allocations",
    "left-over (live bytes of the last round less the first after warm-up)"};

double ab_site_value(const struct ab_vsite *s, enum ab_site_value v)
{
        switch (v) {
        case AB_SV_LIVE:
                return ab_site_total(s, AB_ST_LIVE_BYTES);
        case AB_SV_ALLOCS:
                return ab_site_total(s, AB_ST_ALLOCS);
        case AB_SV_LEFTOVER:
                return ab_site_growth(s);
        default:
                return ab_site_total(s, AB_ST_BYTES_ALLOC);
        }
}

const char *ab_site_value_text(double x, enum ab_site_value v, char *buf, size_t len)
{
        if (v != AB_SV_ALLOCS)
                return ab_site_bytes(x, buf, len);
        snprintf(buf, len, isfinite(x) ? "%.0f" : "-", x);
        return buf;
}

/* ---- the top sites ------------------------------------------------------------------- */

struct ranked {
        const struct ab_vsite *s;
        double leftover, then;
        size_t index;
};

static int by_rank(const void *a, const void *b)
{
        const struct ranked *x = a, *y = b;
        if (x->leftover != y->leftover)
                return x->leftover < y->leftover ? 1 : -1;
        if (x->then != y->then)
                return x->then < y->then ? 1 : -1;
        return (x->index > y->index) - (x->index < y->index);
}

size_t ab_sites_top(const struct ab_vrun *r, enum ab_site_order o,
                    bool (*keep)(const struct ab_vsite *s), const struct ab_vsite **out, size_t max)
{
        struct ranked *v = calloc(r->nsites + 1, sizeof *v);
        size_t n = 0;
        if (!v)
                return 0;
        for (size_t i = 0; i < r->nsites; i++) {
                const struct ab_vsite *s = &r->sites[i];
                if (keep && !keep(s))
                        continue;
                v[n++] = (struct ranked){s, ab_site_leftover(s),
                                         ab_site_total(s, o == AB_SITES_LEFTOVER_BYTES
                                                              ? AB_ST_BYTES_ALLOC
                                                              : AB_ST_LIVE_BYTES),
                                         i};
        }
        qsort(v, n, sizeof *v, by_rank);
        if (n > max)
                n = max;
        for (size_t i = 0; i < n; i++)
                out[i] = v[i].s;
        free(v);
        return n;
}

/* ---- flags ------------------------------------------------------------------------- */

bool ab_site_flag_names(const struct ab_vflag *fl, const struct ab_vrun *r,
                        const struct ab_vsite *s)
{
        /* where is the flag's own JSON (borrowed through the view): any
         * kind that places itself on a site says so with where.site */
        const char *site = json_string_value(json_object_get(fl->where, "site"));
        return site && strcmp(site, s->key) == 0 && fl->allocator &&
               strcmp(fl->allocator, r->alloc) == 0 && fl->workload_id &&
               strcmp(fl->workload_id, r->workload_id) == 0;
}

bool ab_site_flagged(const struct ab_doc *d, const struct ab_vrun *r, const struct ab_vsite *s,
                     const char *kind)
{
        for (size_t i = 0; i < d->nflags; i++) {
                const struct ab_vflag *fl = &d->flags[i];
                if ((!kind || (fl->kind && strcmp(fl->kind, kind) == 0)) &&
                    ab_site_flag_names(fl, r, s))
                        return true;
        }
        return false;
}

const char *ab_site_trace_problem(const struct ab_vrun *r, char *buf, size_t len)
{
        for (size_t i = 0; i < r->trace.npoints; i++) {
                const struct ab_vtrace_point *p = &r->trace.points[i];
                bool ok = strcmp(p->status, "ok") == 0;
                char raw[1024];
                if (ok && !p->incomplete)
                        continue;
                snprintf(raw, sizeof raw, "%s%s%s%s%s",
                         r->npoints > 1 && p->point ? p->point->label : "",
                         r->npoints > 1 && p->point ? ": " : "", ok ? "incomplete" : p->status,
                         p->error ? ": " : "", p->error ? p->error : "");
                ab_site_text(buf, len, raw, 200);
                return buf;
        }
        return NULL;
}

/* ---- frames -------------------------------------------------------------------------- */

int ab_site_stack(const struct ab_vsite *s, struct ab_site_stack *st)
{
        const char *module = "?";
        size_t n = 1;
        memset(st, 0, sizeof *st);
        if (s->nframes) {
                st->f = s->frames;
                st->n = s->nframes;
                return 0;
        }
        /* "mod!a<b<mod2!c": a module names the frames from it on */
        for (const char *c = s->key; *c; c++)
                n += *c == '<';
        st->buf = strdup(s->key);
        st->own = calloc(n, sizeof *st->own);
        if (!st->buf || !st->own) {
                ab_site_stack_free(st);
                return -ENOMEM;
        }
        for (char *tok = st->buf, *next; tok; tok = next) {
                char *bang;
                next = strchr(tok, '<');
                if (next)
                        *next++ = '\0';
                bang = strchr(tok, '!');
                if (bang) {
                        *bang = '\0';
                        module = tok;
                        tok = bang + 1;
                }
                st->own[st->n++] = (struct ab_vframe){
                    .function = *tok ? tok : "?", .module = module, .file = NULL, .line = NAN};
        }
        st->f = st->own;
        return 0;
}

void ab_site_stack_free(struct ab_site_stack *st)
{
        free(st->own);
        free(st->buf);
        memset(st, 0, sizeof *st);
}

void ab_site_short_key(char *out, size_t len, const char *key, size_t frames)
{
        const char *end = key;
        for (size_t k = 0; *end; end++)
                if (*end == '<' && ++k == frames)
                        break;
        snprintf(out, len, "%.*s", (int)(end - key), key);
}

/* ---- text ---------------------------------------------------------------------------- */

void ab_site_text(char *out, size_t len, const char *s, size_t cols)
{
        static const char ell[] = "\xE2\x80\xA6"; /* "…", one column */
        size_t o = 0, col = 0, mark = 0, ncols = 0;
        const unsigned char *p;
        if (len == 0)
                return;
        for (p = (const unsigned char *)s; *p; p++)
                ncols += (*p & 0xC0) != 0x80;
        for (p = (const unsigned char *)s; *p && o + 1 < len; p++) {
                bool starts = (*p & 0xC0) != 0x80;
                if (starts) {
                        if (ncols > cols && col + 1 >= cols)
                                break; /* the last column is the ellipsis */
                        if (col >= cols)
                                break;
                        col++;
                        mark = o;
                }
                out[o++] = *p < 0x20 || *p == 0x7F ? ' ' : (char)*p;
        }
        /* a character cut short by len: drop its start */
        if (*p && (*p & 0xC0) == 0x80)
                o = mark;
        out[o] = '\0';
        if (ncols > cols && o + sizeof ell <= len)
                memcpy(out + o, ell, sizeof ell);
}

const char *ab_site_bytes(double v, char *buf, size_t len)
{
        char b[32];
        if (isnan(v)) {
                snprintf(buf, len, "-");
                return buf;
        }
        v = round(v);
        if (!(fabs(v) < 1.8e19)) {
                snprintf(buf, len, "%.3g B", v);
                return buf;
        }
        ab_fmt_size((uint64_t)fabs(v), b, sizeof b);
        snprintf(buf, len, "%s%s", v < 0 ? "-" : "", b);
        return buf;
}
