/*
 * verdict_file.c - the verdicts file: read (every fault as FILE:LINE with
 * the accepted form), written back atomically in the same layout, locked
 * for read-modify-write, and matched against sites' keys (verdict.h).
 *
 * Hand-parsed rather than through inih: the file is line-oriented but not
 * INI (a site's key can be longer than inih's 200-byte line, and a block's
 * notes repeat), and every message must name its line.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fmt.h"
#include "core/fsutil.h"
#include "core/parse.h"
#include "report/verdict.h"

const char *const ab_verdict_names[AB_V_COUNT] = {"undecided", "safe", "prob-safe",
                                                  "bounded",   "leak", "fixed"};
const char *const ab_vmatch_names[4] = {NULL, "exact", "glob", "fuzzy"};

#define FORM                                                                                       \
        "accepted: site KEY, verdict undecided|safe|prob-safe|bounded [<= SIZE/round]|leak|fixed, " \
        "note TEXT, by WHO WHEN, an indented at FRAME, # comment, or a blank line"

int ab_verdict_find(const char *name)
{
        for (int i = 0; i < AB_V_COUNT; i++)
                if (strcmp(name, ab_verdict_names[i]) == 0)
                        return i;
        return -1;
}

bool ab_verdict_accepts(enum ab_verdict v)
{
        return v == AB_V_SAFE || v == AB_V_PROB_SAFE || v == AB_V_BOUNDED;
}

/* ---- reading ------------------------------------------------------------------- */

struct rd {
        const char *path;
        int line;
        char *err;
        size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int bad(struct rd *r, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(r->err, r->errlen, "%s:%d: %s (%s)", r->path, r->line, msg, FORM);
        return -EINVAL;
}

static int push_str(char ***v, size_t *n, const char *s)
{
        char **nv = realloc(*v, (*n + 1) * sizeof *nv);
        if (!nv)
                return -ENOMEM;
        *v = nv;
        if (!(nv[*n] = strdup(s)))
                return -ENOMEM;
        (*n)++;
        return 0;
}

/* "<= 4KiB/round" after a bounded verdict: the bound in bytes. */
static int parse_bound(struct rd *r, const char *s, double *out)
{
        char num[64];
        uint64_t v;
        size_t n;
        while (*s == ' ')
                s++;
        if (strncmp(s, "<=", 2) != 0)
                return bad(r, "a bound reads '<= SIZE/round', not '%s'", s);
        s += 2;
        while (*s == ' ')
                s++;
        n = strcspn(s, "/ ");
        if (n == 0 || n >= sizeof num || strcmp(s + n, "/round") != 0)
                return bad(r, "a bound reads '<= SIZE/round' (4KiB/round, 0/round)");
        snprintf(num, sizeof num, "%.*s", (int)n, s);
        if (ab_parse_size(num, &v))
                return bad(r, "'%s' is not a size (4096, 4KiB, 1MiB)", num);
        if (v > 1ull << 53) /* held as a double, exactly */
                return bad(r, "a bound of '%s' a round is beyond 8192TiB/round", num);
        *out = (double)v;
        return 0;
}

static int verdict_line(struct rd *r, struct ab_ventry *e, const char *rest)
{
        char word[32];
        size_t n = strcspn(rest, " ");
        int v;
        snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1), rest);
        if (n >= sizeof word || (v = ab_verdict_find(word)) < 0)
                return bad(r, "unknown verdict '%.*s'", (int)(n > 40 ? 40 : n), rest);
        e->verdict = (enum ab_verdict)v;
        if (!rest[n])
                return 0;
        if (v != AB_V_BOUNDED)
                return bad(r, "only bounded takes a bound");
        return parse_bound(r, rest + n, &e->bound);
}

static int by_line(struct rd *r, struct ab_ventry *e, const char *rest)
{
        const char *sp = strrchr(rest, ' ');
        if (!sp || sp == rest)
                return bad(r, "by needs who and when (by alice 2026-11-29T10:00:00Z)");
        if (!(e->by = strndup(rest, (size_t)(sp - rest))) || !(e->when = strdup(sp + 1)))
                return -ENOMEM;
        return 0;
}

/* One line of the file, with r->line its number. */
static int one_line(struct rd *r, struct ab_verdicts *v, struct ab_ventry **cur, char *s)
{
        size_t n = strlen(s);
        const char *rest;
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
                s[--n] = '\0';
        if (!n || s[0] == '#')
                return 0;
        if ((s[0] == ' ' || s[0] == '\t')) {
                while (*s == ' ' || *s == '\t')
                        s++;
                if (strncmp(s, "at ", 3) != 0)
                        return bad(r, "an indented line is a frame: at FUNCTION [FILE:LINE] [MODULE]");
                if (!*cur)
                        return bad(r, "a frame before any site");
                return push_str(&(*cur)->stack, &(*cur)->nstack, s + 3);
        }
        rest = strchr(s, ' ');
        if (!rest || !rest[1])
                return bad(r, "'%.40s' needs a value", s);
        *(char *)rest++ = '\0';
        if (strcmp(s, "site") == 0) {
                for (size_t i = 0; i < v->n; i++)
                        if (strcmp(v->e[i].site, rest) == 0)
                                return bad(r, "site %.200s is already at line %d", rest,
                                           v->e[i].line);
                if (!(*cur = ab_verdicts_entry(v, rest)))
                        return -ENOMEM;
                (*cur)->line = r->line;
                (*cur)->verdict = (enum ab_verdict)-1;
                return 0;
        }
        if (!*cur)
                return bad(r, "'%s' before any site", s);
        if (strcmp(s, "verdict") == 0)
                return (int)(*cur)->verdict >= 0 ? bad(r, "a second verdict for one site")
                                                 : verdict_line(r, *cur, rest);
        if (strcmp(s, "note") == 0)
                return push_str(&(*cur)->notes, &(*cur)->nnotes, rest);
        if (strcmp(s, "by") == 0)
                return (*cur)->by ? bad(r, "a second by for one site") : by_line(r, *cur, rest);
        return bad(r, "unknown line '%.40s'", s);
}

int ab_verdicts_load(const char *path, struct ab_verdicts *v, char *err, size_t errlen)
{
        struct rd r = {path, 0, err, errlen};
        struct ab_ventry *cur = NULL;
        struct stat st;
        char *line = NULL;
        size_t cap = 0;
        int rc = 0;
        FILE *f;
        memset(v, 0, sizeof *v);
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
                snprintf(err, errlen, "%s: not a regular file (accepted: a verdicts file)", path);
                return -EINVAL;
        }
        if (!(f = fopen(path, "re"))) {
                rc = -errno;
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                return rc;
        }
        while (!rc && getline(&line, &cap, f) > 0) {
                r.line++;
                if (strlen(line) > 8192)
                        rc = bad(&r, "a line of more than 8192 bytes");
                else
                        rc = one_line(&r, v, &cur, line);
                /* an entry is whole before the next one opens */
                if (!rc && cur && v->n > 1 && (int)v->e[v->n - 2].verdict < 0) {
                        r.line = v->e[v->n - 2].line;
                        rc = bad(&r, "site %.200s has no verdict line", v->e[v->n - 2].site);
                }
        }
        free(line);
        fclose(f);
        if (!rc && v->n && (int)v->e[v->n - 1].verdict < 0) {
                r.line = v->e[v->n - 1].line;
                rc = bad(&r, "site %.200s has no verdict line", v->e[v->n - 1].site);
        }
        if (rc == -ENOMEM)
                snprintf(err, errlen, "%s: out of memory", path);
        if (rc)
                ab_verdicts_free(v);
        return rc;
}

void ab_verdicts_free(struct ab_verdicts *v)
{
        for (size_t i = 0; i < v->n; i++) {
                struct ab_ventry *e = &v->e[i];
                for (size_t k = 0; k < e->nnotes; k++)
                        free(e->notes[k]);
                for (size_t k = 0; k < e->nstack; k++)
                        free(e->stack[k]);
                free(e->notes);
                free(e->stack);
                free(e->site);
                free(e->by);
                free(e->when);
        }
        free(v->e);
        memset(v, 0, sizeof *v);
}

struct ab_ventry *ab_verdicts_entry(struct ab_verdicts *v, const char *site)
{
        struct ab_ventry *n;
        for (size_t i = 0; i < v->n; i++)
                if (strcmp(v->e[i].site, site) == 0)
                        return &v->e[i];
        if (!(n = realloc(v->e, (v->n + 1) * sizeof *n)))
                return NULL;
        v->e = n;
        n = &v->e[v->n];
        memset(n, 0, sizeof *n);
        n->bound = NAN;
        if (!(n->site = strdup(site)))
                return NULL;
        v->n++;
        return n;
}

/* A bound written so that it reads back the same: in the largest binary
 * unit that divides it ("4KiB", "1536B"), never rounded as ab_fmt_size
 * rounds for people ("1.5 KiB" would not parse). */
static const char *exact_size(uint64_t v, char *buf, size_t len)
{
        static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"}; /* what parses */
        unsigned k = 0;
        while (k < 4 && v && v % 1024 == 0) {
                v /= 1024;
                k++;
        }
        snprintf(buf, len, "%llu%s", (unsigned long long)v, unit[k]);
        return buf;
}

/* ---- writing -------------------------------------------------------------------- */

int ab_verdicts_write(const struct ab_verdicts *v, const char *path, char *err, size_t errlen)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        int r;
        if (!f)
                return -ENOMEM;
        fputs("# allocbench verdicts: one block per allocation site (README, Verdicts).\n"
              "# bench verdicts set SITE VERDICT -m NOTE edits it; so may you.\n",
              f);
        for (size_t i = 0; i < v->n; i++) {
                const struct ab_ventry *e = &v->e[i];
                char b[64];
                fprintf(f, "\nsite %s\nverdict %s", e->site, ab_verdict_names[e->verdict]);
                if (e->verdict == AB_V_BOUNDED && !isnan(e->bound))
                        fprintf(f, " <= %s/round", exact_size((uint64_t)e->bound, b, sizeof b));
                fputc('\n', f);
                for (size_t k = 0; k < e->nnotes; k++)
                        fprintf(f, "note %s\n", e->notes[k]);
                if (e->by && e->when)
                        fprintf(f, "by %s %s\n", e->by, e->when);
                for (size_t k = 0; k < e->nstack; k++)
                        fprintf(f, "  at %s\n", e->stack[k]);
        }
        if (fclose(f) != 0) {
                free(text);
                return -ENOMEM;
        }
        r = ab_write_atomic(path, text, len, err, errlen);
        free(text);
        return r;
}

int ab_verdicts_lock(const char *path)
{
        char dir[4096];
        const char *slash = strrchr(path, '/');
        int fd;
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        if (!dir[0])
                snprintf(dir, sizeof dir, "/");
        if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                return -errno;
        if (flock(fd, LOCK_EX) != 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        return fd;
}

/* ---- matching -------------------------------------------------------------------- */

static bool is_clone_suffix(const char *dot)
{
        static const char *const sfx[] = {".isra", ".constprop", ".part", ".cold", ".lto_priv",
                                          ".llvm"};
        for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
                if (strncmp(dot, sfx[i], strlen(sfx[i])) == 0)
                        return true;
        return false;
}

size_t ab_key_functions(const char *key, char *buf, size_t len, const char **names, size_t max)
{
        size_t n = 0;
        char *p, *save = NULL;
        snprintf(buf, len, "%s", key);
        for (p = strtok_r(buf, "<", &save); p && n < max; p = strtok_r(NULL, "<", &save)) {
                char *bang = strchr(p, '!'), *dot;
                if (bang)
                        p = bang + 1;
                for (dot = strchr(p, '.'); dot; dot = strchr(dot + 1, '.'))
                        if (is_clone_suffix(dot)) {
                                *dot = '\0';
                                break;
                        }
                if (n && strcmp(names[n - 1], p) == 0)
                        continue; /* a frame twice: a PC and its LR, or recursion */
                names[n++] = p;
        }
        return n;
}

/* a[0..na) and b[0..nb) compared over their common length, a with element
 * `skip` left out (skip >= na: nothing left out). */
static bool same_but(const char **a, size_t na, size_t skip, const char **b, size_t nb)
{
        size_t i = 0, j = 0, cmp = 0;
        while (i < na && j < nb) {
                if (i == skip) {
                        i++;
                        continue;
                }
                if (strcmp(a[i], b[j]) != 0)
                        return false;
                i++;
                j++;
                cmp++;
        }
        return cmp >= 2;
}

/* Function sequences that name the same site: equal, or equal but for one
 * frame inlined in one build and not the other; the allocating frame (the
 * innermost) the same in both. */
static bool close_enough(const char **a, size_t na, const char **b, size_t nb)
{
        if (!na || !nb || strcmp(a[0], b[0]) != 0 || strcmp(a[0], "?") == 0)
                return false;
        if (same_but(a, na, na, b, nb) && (na == nb || na >= 3 || nb >= 3))
                return true;
        for (size_t k = 1; k < na; k++)
                if (same_but(a, na, k, b, nb))
                        return true;
        for (size_t k = 1; k < nb; k++)
                if (same_but(b, nb, k, a, na))
                        return true;
        return false;
}

const struct ab_ventry *ab_verdicts_match(const struct ab_verdicts *v, const char *key,
                                          enum ab_vmatch *how)
{
        char kb[2048], eb[2048];
        const char *kf[32], *ef[32];
        const struct ab_ventry *glob = NULL, *fuzzy = NULL;
        size_t nk, nfuzzy = 0;
        *how = AB_VM_NONE;
        for (size_t i = 0; i < v->n; i++)
                if (strcmp(v->e[i].site, key) == 0) {
                        *how = AB_VM_EXACT;
                        return &v->e[i];
                }
        for (size_t i = 0; i < v->n && !glob; i++)
                if (strpbrk(v->e[i].site, "*?[") && fnmatch(v->e[i].site, key, 0) == 0)
                        glob = &v->e[i];
        if (glob) {
                *how = AB_VM_GLOB;
                return glob;
        }
        nk = ab_key_functions(key, kb, sizeof kb, kf, 32);
        for (size_t i = 0; i < v->n; i++) {
                size_t ne;
                if (strpbrk(v->e[i].site, "*?["))
                        continue;
                ne = ab_key_functions(v->e[i].site, eb, sizeof eb, ef, 32);
                if (close_enough(kf, nk, ef, ne)) {
                        fuzzy = &v->e[i];
                        nfuzzy++;
                }
        }
        if (nfuzzy != 1)
                return NULL; /* none, or ambiguous: no verdict is better than a wrong one */
        *how = AB_VM_FUZZY;
        return fuzzy;
}
