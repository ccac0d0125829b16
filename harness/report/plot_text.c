/*
 * plot_text.c - the text of bench plot's figures: names from results files
 * made safe for titles, legends, .dat comments and file names; .dat strings
 * and numbers; gnuplot strings; subtitles; colours. See plot.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "core/log.h"
#include "report/plot.h"

/* File names of figures are kept below this many bytes: with ".", "-KIND",
 * "-N", ".tmp.PID" twice and ".png" they stay under NAME_MAX (255). */
#define NAME_MAX_BYTES 200

/* ---- names --------------------------------------------------------------------- */

/* Bytes of the UTF-8 character starting at s (1..4), or 0 when s does not
 * start a well-formed one (a stray continuation byte, an overlong or cut
 * sequence, a surrogate, beyond U+10FFFF). */
static size_t utf8_len(const unsigned char *s)
{
        size_t n;
        uint32_t c;
        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xC2 && s[0] <= 0xDF)
                n = 2, c = s[0] & 0x1F;
        else if (s[0] >= 0xE0 && s[0] <= 0xEF)
                n = 3, c = s[0] & 0x0F;
        else if (s[0] >= 0xF0 && s[0] <= 0xF4)
                n = 4, c = s[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                c = c << 6 | (s[i] & 0x3F);
        }
        if ((n == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
            (n == 4 && (c < 0x10000 || c > 0x10FFFF)))
                return 0;
        return n;
}

void ab_plot_clean(char *out, size_t len, const char *s)
{
        static const char ell[] = "\xE2\x80\xA6"; /* "…" */
        const unsigned char *p = (const unsigned char *)(s ? s : "");
        size_t o = 0, mark = 0;
        if (len == 0)
                return;
        while (*p) {
                size_t n = utf8_len(p);
                /* C0, DEL and C1 controls become a space, bytes that start
                 * no character a '?': one byte out either way */
                bool one = n == 0 || n == 1 || (n == 2 && p[0] == 0xC2 && p[1] < 0xA0);
                size_t w = one ? 1 : n;
                if (len - 1 - o < w)
                        break;
                if (o + w + (sizeof ell - 1) <= len - 1)
                        mark = o + w; /* "…" still fits after it */
                if (n == 0)
                        out[o] = '?';
                else if (one)
                        out[o] = n == 2 || *p < 0x20 || *p == 0x7F ? ' ' : (char)*p;
                else
                        memcpy(out + o, p, n);
                o += w;
                p += n ? n : 1;
        }
        if (*p && len > sizeof ell) {
                /* cut short: whole characters, then the ellipsis */
                memcpy(out + mark, ell, sizeof ell - 1);
                o = mark + sizeof ell - 1;
        }
        out[o] = '\0';
}

static bool name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
}

void ab_plot_safe_name(char *out, size_t len, const char *s)
{
        size_t n = 0;
        for (; *s && n + 1 < len; s++)
                out[n++] = name_char(*s) ? *s : '_';
        out[n] = '\0';
}

void ab_plot_fig_name(char *out, size_t len, const char *prefix, const char *wl)
{
        size_t pl = strlen(prefix), wlen = strlen(wl), cut;
        char *full = malloc(pl + wlen + 2);
        uint64_t h = 0xcbf29ce484222325ull;
        if (!full) {
                snprintf(out, len, "%.*s", (int)(len > 64 ? 63 : len - 1), prefix);
                return;
        }
        memcpy(full, prefix, pl);
        full[pl] = '-';
        ab_plot_safe_name(full + pl + 1, wlen + 1, wl);
        if (strlen(full) < NAME_MAX_BYTES && strlen(full) < len) {
                snprintf(out, len, "%s", full);
                free(full);
                return;
        }
        /* too long for a file name: what fits, in whole characters (the
         * prefix is a file name, any bytes), and a hash of the whole */
        for (const char *c = full; *c; c++)
                h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
        cut = NAME_MAX_BYTES - 10 < len - 10 ? NAME_MAX_BYTES - 10 : len - 10;
        while (cut > 0 && ((unsigned char)full[cut] & 0xC0) == 0x80)
                cut--;
        snprintf(out, len, "%.*s~%08x", (int)cut, full, (unsigned)(h ^ (h >> 32)));
        free(full);
}

/* ---- gnuplot and .dat text ------------------------------------------------------ */

void ab_plot_gp_str(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '\n')
                        fputs("\\n", f); /* a line break we put there: -e ends at a newline */
                else if (*s == '\\' || *s == '"')
                        fprintf(f, "\\%c", *s);
                else if (*s == '`')
                        /* gnuplot runs `...` as a shell command even inside double
                         * quotes: names from a results file must never reach it */
                        fputc('\'', f);
                else
                        fputc(*s, f);
        }
        fputc('"', f);
}

FILE *ab_plot_vars_open(char **vars, size_t *vlen, const char *title, const char *subtitle)
{
        FILE *v = open_memstream(vars, vlen);
        if (!v)
                return NULL;
        fputs("title=", v);
        ab_plot_gp_str(v, title);
        fputs("; subtitle=", v);
        ab_plot_gp_str(v, subtitle);
        return v;
}

void ab_plot_dat_str(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++)
                fputc(*s == '"' ? '\'' : (unsigned char)*s < 0x20 || *s == 0x7F ? ' ' : *s, f);
        fputc('"', f);
}

void ab_plot_dat_title(FILE *f, const char *s)
{
        ab_plot_dat_str(f, s);
        fputc('\n', f);
}

void ab_plot_dat_num(FILE *f, double v)
{
        if (isnan(v) || isinf(v))
                fputs(" ?", f);
        else
                fprintf(f, " %.10g", v);
}

bool ab_plot_fits(double v)
{
        return isfinite(v) && fabs(v) <= 1e300;
}

double ab_plot_checked(const struct ab_plot_src *s, const struct ab_vrun *r, const char *point,
                       const char *field, const char *figure, double v)
{
        char alloc[AB_PLOT_LEGEND], wl[AB_PLOT_TITLE_NAME], pt[AB_PLOT_TITLE_NAME];
        if (isnan(v) || ab_plot_fits(v))
                return v;
        ab_plot_clean(pt, sizeof pt, point);
        if (r) {
                ab_plot_clean(alloc, sizeof alloc, r->alloc);
                ab_plot_clean(wl, sizeof wl, r->workload);
        }
        ab_note("plot",
                "%s: %s%s%s%s%s: %s is %s%.3g, which cannot be plotted (accepted: finite, at "
                "most 1e300 in magnitude): left out of figure %s",
                s->path, r ? alloc : "", r ? " on " : "", r ? wl : "", r ? ", " : "", pt, field,
                isinf(v) ? "infinite, " : "", v, figure);
        return NAN;
}

/* ---- units, colours, legends ------------------------------------------------------ */

void ab_plot_pick_unit(double max, const char *unit, double *div, const char **name)
{
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        double base = strcmp(unit, "KiB") == 0 ? 1024 : 1, bytes = max * base;
        int u = 0;
        while (u < 4 && bytes >= 2.0 * 1024) {
                bytes /= 1024;
                u++;
        }
        if (base == 1024 && u == 0)
                u = 1; /* KiB figures never shown in bytes */
        *div = pow(1024, u) / base;
        *name = units[u];
}

int ab_plot_lt(struct ab_plot *P, const char *alloc)
{
        static const char *const known[] = {"glibc", "jemalloc", "tcmalloc", "mimalloc"};
        const size_t nk = sizeof known / sizeof known[0];
        char **n;
        for (size_t i = 0; i < nk; i++)
                if (strcmp(known[i], alloc) == 0)
                        return (int)i + 1;
        for (size_t i = 0; i < P->nallocs; i++)
                if (strcmp(P->allocs[i], alloc) == 0)
                        return (int)(i + 1 + nk);
        n = realloc(P->allocs, (P->nallocs + 1) * sizeof *n);
        if (!n)
                return 1;
        P->allocs = n;
        if (!(P->allocs[P->nallocs] = strdup(alloc)))
                return 1;
        return (int)(++P->nallocs + nk);
}

int ab_plot_member_lt(struct ab_plot *P, const struct ab_plot_member *m)
{
        char name[AB_PLOT_TITLE_NAME + 80];
        if (!m->run->wrap)
                return ab_plot_lt(P, m->run->alloc);
        snprintf(name, sizeof name, "%s under %s", m->run->alloc, m->run->wrap);
        return ab_plot_lt(P, name);
}

/* Append suffix (" @ host") to a legend title, cutting the title (on a
 * character boundary) rather than the suffix that tells it apart. */
static void add_suffix(char *title, const char *suffix)
{
        char head[AB_PLOT_LEGEND];
        size_t sl = strlen(suffix);
        if (strlen(title) + sl < AB_PLOT_LEGEND) {
                strcat(title, suffix);
                return;
        }
        if (sl > AB_PLOT_LEGEND / 2)
                sl = AB_PLOT_LEGEND / 2;
        ab_plot_clean(head, AB_PLOT_LEGEND - sl, title);
        snprintf(title, AB_PLOT_LEGEND, "%s%s", head, suffix);
}

void ab_plot_member_titles(const struct ab_plot_member *m, size_t n, char (*title)[AB_PLOT_LEGEND])
{
        bool hosts_differ = false, wraps_differ = false, *dup = calloc(n + 1, sizeof *dup);
        for (size_t i = 1; i < n; i++) {
                const char *a = m[i].run->wrap, *b = m[0].run->wrap;
                hosts_differ |= strcmp(m[i].s->host, m[0].s->host) != 0;
                wraps_differ |= (a == NULL) != (b == NULL) || (a && b && strcmp(a, b) != 0);
        }
        for (size_t i = 0; i < n; i++) {
                ab_plot_clean(title[i], AB_PLOT_LEGEND, m[i].run->alloc);
                if (wraps_differ) {
                        char under[AB_PLOT_LEGEND], w[AB_PLOT_LEGEND / 2];
                        ab_plot_clean(w, sizeof w, m[i].run->wrap ? m[i].run->wrap : "");
                        snprintf(under, sizeof under, m[i].run->wrap ? " under %s" : " native", w);
                        add_suffix(title[i], under);
                }
                if (hosts_differ) {
                        char at[AB_PLOT_LEGEND];
                        snprintf(at, sizeof at, " @ %s", m[i].s->host);
                        add_suffix(title[i], at);
                }
        }
        for (size_t i = 0; i < n && dup; i++)
                for (size_t j = 0; j < n; j++)
                        dup[i] |= j != i && strcmp(title[i], title[j]) == 0;
        for (size_t i = 0; i < n && dup; i++) {
                if (dup[i]) {
                        char base[AB_PLOT_LEGEND / 2 - 3], file[AB_PLOT_LEGEND];
                        ab_plot_clean(base, sizeof base, m[i].s->base);
                        snprintf(file, sizeof file, " (%s)", base);
                        add_suffix(title[i], file);
                }
        }
        free(dup);
        for (size_t i = 0; i < n; i++) {
                int k = 1;
                for (size_t j = 0; j < i; j++)
                        k += strcmp(title[i], title[j]) == 0;
                if (k > 1) {
                        char nth[16];
                        snprintf(nth, sizeof nth, " #%d", k);
                        add_suffix(title[i], nth);
                }
        }
}

/* ---- subtitles ------------------------------------------------------------------- */

/* Append to buf (of len, holding *off bytes); *off never passes len - 1, and
 * what is cut off is cut on a character boundary. */
static void app(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void app(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
        va_list ap;
        int n;
        if (*off >= len - 1)
                return;
        va_start(ap, fmt);
        n = vsnprintf(buf + *off, len - *off, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if (*off + (size_t)n < len - 1) {
                *off += (size_t)n;
                return;
        }
        *off = len - 1;
        while (*off > 0 && ((unsigned char)buf[*off] & 0xC0) == 0x80)
                (*off)--;
        buf[*off] = '\0';
}

/* The parameter the points sweep (the x axis of a size figure, one line per
 * point elsewhere): its value lists the points' values of their parameter,
 * in order (a one-point sweep has it as a number). */
static bool is_swept(const struct ab_vrun *r, const struct ab_kv *kv)
{
        const char *key;
        if (r->npoints == 0 || r->points[0].nkv == 0)
                return false;
        key = r->points[0].kv[0].key;
        if (!kv->is_list)
                return r->npoints == 1 && !isnan(kv->num) && kv->num == r->points[0].kv[0].num;
        if (kv->nlist != r->npoints)
                return false;
        for (size_t i = 0; i < r->npoints; i++) {
                const struct ab_vpoint *p = &r->points[i];
                if (p->nkv == 0 || strcmp(p->kv[0].key, key) != 0 || p->kv[0].num != kv->list[i])
                        return false;
        }
        return true;
}

static const char *size_text(double v, char *buf, size_t len)
{
        if (!(v >= 0 && v < 1.8e19))
                return snprintf(buf, len, "?"), buf;
        return ab_fmt_size((uint64_t)v, buf, len);
}

/* "touch=none  mode=reuse  iterations=auto": the workload's parameters as the
 * file has them (lists of sizes as a range), not the swept one, and for cmd
 * the program measured. */
static void params_text(const struct ab_vrun *r, char *buf, size_t len)
{
        size_t off = 0;
        bool skipped = false;
        buf[0] = '\0';
        for (size_t i = 0; i < r->nparams; i++) {
                const struct ab_kv *kv = &r->params[i];
                char val[64], a[32], b[32], k[64];
                if (!skipped && is_swept(r, kv)) {
                        skipped = true;
                        continue;
                }
                if (kv->is_list) {
                        if (kv->nlist == 0)
                                continue;
                        size_text(kv->list[0], a, sizeof a);
                        size_text(kv->list[kv->nlist - 1], b, sizeof b);
                        snprintf(val, sizeof val, kv->nlist > 1 ? "%s..%s" : "%s", a, b);
                } else if (kv->str || !isnan(kv->num)) {
                        ab_plot_clean(val, sizeof val, kv->text);
                } else {
                        continue; /* null, true/false, objects: not a setting to show */
                }
                ab_plot_clean(k, sizeof k, kv->key);
                app(buf, len, &off, "%s%s=%s", off ? "  " : "", k, val);
        }
        for (size_t i = 0; i < r->nprogram; i++) {
                char word[256];
                ab_plot_clean(word, sizeof word, r->program[i]);
                app(buf, len, &off, "%s%s", i ? " " : off ? "  program: " : "program: ", word);
        }
}

/* The hosts of the members, once each, in order; "; host a (CPU, libc)". */
static void hosts_text(const struct ab_plot_member *m, size_t n, char *buf, size_t len, size_t *off)
{
        size_t nh = 0, more = 0;
        for (size_t i = 0; i < n; i++) {
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= strcmp(m[j].s->host, m[i].s->host) == 0;
                nh += !seen;
        }
        for (size_t i = 0, k = 0; i < n; i++) {
                const struct ab_vhost *h = &m[i].s->doc.host;
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= strcmp(m[j].s->host, m[i].s->host) == 0;
                if (seen)
                        continue;
                if (k++ >= 4) {
                        more++;
                        continue;
                }
                app(buf, len, off, "%s%s",
                    k > 1    ? ", "
                    : nh > 1 ? "; hosts "
                             : "; host ",
                    m[i].s->host);
                if (h->cpu_model && h->libc) {
                        char cpu[128], libc[64];
                        ab_plot_clean(cpu, sizeof cpu, h->cpu_model);
                        ab_plot_clean(libc, sizeof libc, h->libc);
                        app(buf, len, off, " (%s, %s)", cpu, libc);
                }
        }
        if (more)
                app(buf, len, off, " and %zu more", more);
}

/* "cs.json; host vm (AMD EPYC, glibc 2.36); 5 reps per point", for the runs
 * of a figure (from one or more files). */
static void source_text(const struct ab_plot_member *m, size_t n, char *buf, size_t len)
{
        size_t off = 0, nf = 0, more = 0;
        double reps = m[0].s->doc.reps;
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                const char *name = strrchr(m[i].s->path, '/');
                char file[AB_PLOT_TITLE_NAME];
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= m[j].s == m[i].s;
                if (seen)
                        continue;
                if (nf++ >= 4) {
                        more++;
                        continue;
                }
                ab_plot_clean(file, sizeof file, name ? name + 1 : m[i].s->path);
                app(buf, len, &off, "%s%s", nf > 1 ? ", " : "", file);
        }
        if (more)
                app(buf, len, &off, " and %zu more", more);
        hosts_text(m, n, buf, len, &off);
        if (reps >= 0 && reps == floor(reps) && reps < 9e18)
                app(buf, len, &off, "; %lld rep%s per point", (long long)reps, reps == 1 ? "" : "s");
}

/* Break lines longer than `width` characters after a "; " or ", " or between
 * two spaces (gnuplot neither wraps nor clips a title: it runs off). */
static void wrap(char *buf, size_t width)
{
        size_t col = 0;
        char *brk = NULL;
        for (char *c = buf; *c; c++) {
                if (((unsigned char)*c & 0xC0) == 0x80)
                        continue; /* inside a character: not a column */
                if (*c == '\n') {
                        col = 1; /* the line break counts as a column */
                        brk = NULL;
                        continue;
                }
                if ((c[0] == ';' || c[0] == ',') && c[1] == ' ')
                        brk = c + 1;
                else if (c[0] == ' ' && c[1] == ' ') /* between parameters */
                        brk = c;
                if (col >= width && brk) {
                        *brk = '\n';
                        col = 1;
                        for (char *d = brk + 1; d < c; d++)
                                col += ((unsigned char)*d & 0xC0) != 0x80;
                        brk = NULL;
                }
                col++;
        }
}

void ab_plot_subtitle(const struct ab_plot_member *m, size_t n, const char *tail, char *buf,
                      size_t len)
{
        char params[512], source[1024];
        params_text(m[0].run, params, sizeof params);
        source_text(m, n, source, sizeof source);
        snprintf(buf, len, "%s%s%s%s", params, params[0] ? "\n" : "", source, tail ? tail : "");
        wrap(buf, 130);
}
