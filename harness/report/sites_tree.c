/*
 * sites_tree.c - bench sites --top-down and --folded: a run's sites as
 * stacks read from the outside in (a site's frames reversed).
 *
 * --top-down merges the stacks into a call tree, a node per function (and
 * module) under its caller, each node the sum of the value of the sites
 * below it; --folded writes the stacks themselves in the folded format of
 * flamegraph.pl, which speedscope and inferno read too: "a;b;c 1234".
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "report/sites.h"

/* ---- the call tree ----------------------------------------------------------------- */

struct node {
        char *function, *module; /* copies: a stack parsed from a key is gone after */
        double value;
        struct node *kids;
        size_t nkids, cap;
};

/* The child of n for frame fr, added when missing; NULL when out of memory. */
static struct node *child(struct node *n, const struct ab_vframe *fr)
{
        for (size_t i = 0; i < n->nkids; i++)
                if (strcmp(n->kids[i].function, fr->function) == 0 &&
                    strcmp(n->kids[i].module, fr->module) == 0)
                        return &n->kids[i];
        if (n->nkids == n->cap) {
                size_t cap = n->cap ? 2 * n->cap : 4;
                struct node *k = realloc(n->kids, cap * sizeof *k);
                if (!k)
                        return NULL;
                n->kids = k;
                n->cap = cap;
        }
        n->kids[n->nkids] =
            (struct node){.function = strdup(fr->function), .module = strdup(fr->module)};
        if (!n->kids[n->nkids].function || !n->kids[n->nkids].module) {
                free(n->kids[n->nkids].function);
                free(n->kids[n->nkids].module);
                return NULL;
        }
        return &n->kids[n->nkids++];
}

static void tree_free(struct node *n)
{
        for (size_t i = 0; i < n->nkids; i++) {
                tree_free(&n->kids[i]);
                free(n->kids[i].function);
                free(n->kids[i].module);
        }
        free(n->kids);
}

static int by_value(const void *a, const void *b)
{
        const struct node *x = a, *y = b;
        if (x->value != y->value)
                return x->value < y->value ? 1 : -1;
        return strcmp(x->function, y->function);
}

/* One line per node with a value, children the largest first, indented by
 * depth; the module where it changes from the caller's. */
static void tree_print(FILE *f, struct node *n, const char *parent_module, double total,
                       enum ab_site_value v, int depth)
{
        if (n->nkids > 1) /* a leaf's kids is NULL, which qsort must not be given */
                qsort(n->kids, n->nkids, sizeof *n->kids, by_value);
        for (size_t i = 0; i < n->nkids; i++) {
                struct node *k = &n->kids[i];
                char val[32], fn[256], mod[128];
                if (!(k->value > 0))
                        continue;
                ab_site_text(fn, sizeof fn, k->function, 80);
                ab_site_text(mod, sizeof mod, k->module, 40);
                fprintf(f, "%10s %5.1f%%  %*s%s", ab_site_value_text(k->value, v, val, sizeof val),
                        100 * k->value / total, 2 * depth, "", fn);
                if (*mod && (!parent_module || strcmp(parent_module, k->module) != 0))
                        fprintf(f, "  [%s]", mod);
                fputc('\n', f);
                tree_print(f, k, k->module, total, v, depth + 1);
        }
}

/* Add the stack of site s (outermost first) with its value to the tree. */
static int tree_add(struct node *root, const struct ab_vrun *r, const struct ab_vsite *s, double x)
{
        struct ab_site_stack st;
        struct node *n = root;
        int e = 0;
        if (ab_site_stack(s, &st))
                return -ENOMEM;
        root->value += x;
        /* a sweep: a tree per point under the run */
        if (r->npoints > 1 && s->point) {
                struct ab_vframe pt = {.function = s->point->label, .module = ""};
                if (!(n = child(n, &pt))) {
                        ab_site_stack_free(&st);
                        return -ENOMEM;
                }
                n->value += x;
        }
        for (size_t i = st.n; i-- > 0 && !e;) {
                if (!(n = child(n, &st.f[i])))
                        e = -ENOMEM;
                else
                        n->value += x;
        }
        ab_site_stack_free(&st);
        return e;
}

static void run_title(FILE *f, const struct ab_vrun *r)
{
        char raw[1024], who[1024];
        snprintf(raw, sizeof raw, "%s%s%s on %s", r->alloc, r->wrap ? " under " : "",
                 r->wrap ? r->wrap : "", r->workload_id);
        ab_site_text(who, sizeof who, raw, 200);
        fputs(who, f);
}

int ab_sites_top_down(FILE *f, const struct ab_sites_sel *sel, size_t nsel, enum ab_site_value v)
{
        for (size_t k = 0; k < nsel; k++) {
                struct node root = {0};
                char val[32];
                for (size_t i = 0; i < sel[k].n; i++) {
                        double x = ab_site_value(sel[k].sites[i], v);
                        if (x > 0 && tree_add(&root, sel[k].run, sel[k].sites[i], x)) {
                                tree_free(&root);
                                return -ENOMEM;
                        }
                }
                if (k)
                        fputc('\n', f);
                run_title(f, sel[k].run);
                fprintf(f, ": %s, %s in %zu site%s, from the outermost frame in\n",
                        ab_site_value_help[v], ab_site_value_text(root.value, v, val, sizeof val),
                        sel[k].n, sel[k].n == 1 ? "" : "s");
                if (root.value > 0)
                        tree_print(f, &root, NULL, root.value, v, 0);
                else
                        fprintf(f, "  (none: every site selected has 0)\n");
                tree_free(&root);
        }
        return 0;
}

/* ---- folded stacks ------------------------------------------------------------------- */

/* A frame of a folded line: what separates frames (';'), the stack from
 * its value (' ') and lines cannot be in it, so they become '_'. */
static void folded_frame(FILE *f, const char *s)
{
        for (; *s; s++)
                fputc(*s == ';' || *s == ' ' || (unsigned char)*s < 0x20 || *s == 0x7F ? '_' : *s,
                      f);
}

/* Frames naming the run ("glibc:conn-leak") when several runs share the
 * output, and the point in a sweep ("size=4096"): their stacks stay apart. */
static void folded_where(FILE *f, const struct ab_vrun *r, const struct ab_vsite *s, bool runs)
{
        if (runs) {
                folded_frame(f, r->alloc);
                if (r->wrap) {
                        fputs("_under_", f);
                        folded_frame(f, r->wrap);
                }
                fputc(':', f);
                folded_frame(f, r->workload_id);
                fputc(';', f);
        }
        if (r->npoints > 1 && s->point) {
                folded_frame(f, s->point->label);
                fputc(';', f);
        }
}

int ab_sites_folded(FILE *f, const struct ab_sites_sel *sel, size_t nsel, enum ab_site_value v)
{
        size_t lines = 0;
        for (size_t k = 0; k < nsel; k++) {
                for (size_t i = 0; i < sel[k].n; i++) {
                        const struct ab_vsite *s = sel[k].sites[i];
                        double x = round(ab_site_value(s, v));
                        struct ab_site_stack st;
                        /* a stack of 0 draws nothing, and some readers refuse it */
                        if (!(x >= 1) || !(x < 1e19))
                                continue;
                        if (ab_site_stack(s, &st))
                                return -ENOMEM;
                        folded_where(f, sel[k].run, s, nsel > 1);
                        for (size_t j = st.n; j-- > 0;) {
                                folded_frame(f, st.f[j].function);
                                if (j)
                                        fputc(';', f);
                        }
                        fprintf(f, " %.0f\n", x);
                        ab_site_stack_free(&st);
                        lines++;
                }
        }
        if (!lines)
                ab_note("sites", "no site selected has any %s: nothing to fold",
                        ab_site_value_help[v]);
        return 0;
}
