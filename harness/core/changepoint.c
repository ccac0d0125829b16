/*
 * changepoint.c - proposals by binary segmentation, kept by Student's t test
 * against their neighbours (see changepoint.h for the method and why).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/changepoint.h"

void ab_cp_defaults(struct ab_cp_params *p)
{
        p->alpha = 0.001;
        p->min_change = 0.05;
        p->floor = 0;
        p->min_seg = 3;
        p->log_scale = false;
}

/* Continued fraction of the incomplete beta function (modified Lentz). */
static double betacf(double a, double b, double x)
{
        const double tiny = 1e-300, eps = 1e-15;
        double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap, h;
        if (fabs(d) < tiny)
                d = tiny;
        d = 1 / d;
        h = d;
        for (int m = 1; m <= 300; m++) {
                double m2 = 2.0 * m, aa = m * (b - m) * x / ((qam + m2) * (a + m2)), del;
                d = 1 + aa * d;
                if (fabs(d) < tiny)
                        d = tiny;
                c = 1 + aa / c;
                if (fabs(c) < tiny)
                        c = tiny;
                d = 1 / d;
                h *= d * c;
                aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
                d = 1 + aa * d;
                if (fabs(d) < tiny)
                        d = tiny;
                c = 1 + aa / c;
                if (fabs(c) < tiny)
                        c = tiny;
                d = 1 / d;
                del = d * c;
                h *= del;
                if (fabs(del - 1) < eps)
                        break;
        }
        return h;
}

/* The regularised incomplete beta function I_x(a, b). */
static double betai(double a, double b, double x)
{
        double lbt;
        if (x <= 0)
                return 0;
        if (x >= 1)
                return 1;
        lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
        if (x < (a + 1) / (a + b + 2))
                return exp(lbt) * betacf(a, b, x) / a;
        return 1 - exp(lbt) * betacf(b, a, 1 - x) / b;
}

double ab_student_t_p2(double t, double df)
{
        if (isnan(t) || !(df > 0))
                return NAN;
        if (isinf(t))
                return 0;
        return betai(df / 2, 0.5, df / (df + t * t));
}

double ab_student_test(size_t n1, double mean1, size_t n2, double mean2, double pooled_var,
                       double *t, double *df)
{
        double se2 = pooled_var * (1 / (double)n1 + 1 / (double)n2), tt, d = (double)(n1 + n2 - 2);
        if (!(se2 > 0))
                tt = mean1 == mean2 ? 0 : (mean2 > mean1 ? INFINITY : -INFINITY);
        else
                tt = (mean2 - mean1) / sqrt(se2);
        if (t)
                *t = tt;
        if (df)
                *df = d;
        if (tt == 0)
                return 1;
        return ab_student_t_p2(tt, d);
}

/* Prefix sums of the series less its first value (which keeps the sums of
 * squares of large, nearly constant figures from cancelling). */
struct ctx {
        const struct ab_cp_params *p;
        size_t n;
        double *s, *q; /* s[i] = sum of y[0..i), q[i] = sum of y^2 (y: what is tested) */
        double shift;
        double *r;     /* log_scale: r[i] = sum of (x - rshift)[0..i), for the reported means */
        double rshift;
};

static void side(const struct ctx *c, size_t a, size_t b, double *mean, double *ss)
{
        double n = (double)(b - a), s = c->s[b] - c->s[a], q = c->q[b] - c->q[a];
        double m = s / n, v = q - s * m;
        /* values that are all equal leave rounding residue, not variance */
        if (v < 1e-12 * (q > 0 ? q : 0) || v < 0)
                v = 0;
        *mean = m;
        *ss = v;
}

/* Candidate splits of [a, b). */
static size_t ncand(const struct ctx *c, size_t a, size_t b)
{
        return b - a >= 2 * c->p->min_seg ? b - a - 2 * c->p->min_seg + 1 : 0;
}

/* The test of change point k between its neighbours: the segments [a, k)
 * and [k, b). Fills cp; returns whether it passes (corrected p < alpha and a
 * large enough change). *score: how badly it fails, for step 3's order (the
 * least significant first, then the smallest change). */
static bool test_cp(const struct ctx *c, size_t a, size_t k, size_t b, struct ab_cp *cp,
                    double *score)
{
        double m1, ss1, m2, ss2, p, before, after, den, var, rel;
        size_t n1 = k - a, n2 = b - k;
        side(c, a, k, &m1, &ss1);
        side(c, k, b, &m2, &ss2);
        /* pooled, but never below either side's own variance: a side whose
         * values disagree among themselves (two slow nights and a normal one)
         * is no clean step, however calm the rest of the series is */
        var = (ss1 + ss2) / (double)(n1 + n2 - 2);
        var = fmax(var, fmax(ss1 / (double)(n1 - 1), ss2 / (double)(n2 - 1)));
        p = ab_student_test(n1, m1, n2, m2, var, &cp->t, &cp->df) * (double)ncand(c, a, b);
        cp->p = p < 1 ? p : 1;
        if (c->r) {
                before = (c->r[k] - c->r[a]) / (double)n1 + c->rshift;
                after = (c->r[b] - c->r[k]) / (double)n2 + c->rshift;
        } else {
                before = m1 + c->shift;
                after = m2 + c->shift;
        }
        cp->index = k;
        cp->start = a;
        cp->end = b;
        cp->before = before;
        cp->after = after;
        cp->change = before != 0 ? (after - before) / fabs(before)
                                 : (after > 0   ? INFINITY
                                    : after < 0 ? -INFINITY
                                                : 0);
        den = fabs(before) > c->p->floor ? fabs(before) : c->p->floor;
        rel = den > 0 ? fabs(after - before) / den : (after != before ? INFINITY : 0);
        if (!(p < c->p->alpha)) {
                /* ties at p = 1 and beyond: the smaller |t| goes first */
                *score = 2 + fmin(p, 1e300) + 1 / (1 + fabs(cp->t));
                return false;
        }
        if (rel < c->p->min_change) {
                *score = 1 / (1 + rel);
                return false;
        }
        *score = 0;
        return true;
}

/* Step 1: the best split of [a, b) by the pooled t statistic, or 0 when no
 * split separates different means. */
static size_t best_split(const struct ctx *c, size_t a, size_t b)
{
        size_t m = c->p->min_seg, best = 0;
        double best_t2 = 0;
        if (b - a < 2 * m)
                return 0;
        for (size_t k = a + m; k + m <= b; k++) {
                double m1, ss1, m2, ss2, n1 = (double)(k - a), n2 = (double)(b - k), pv, d, t2;
                side(c, a, k, &m1, &ss1);
                side(c, k, b, &m2, &ss2);
                pv = (ss1 + ss2) / (n1 + n2 - 2);
                d = m2 - m1;
                if (d == 0)
                        continue;
                t2 = pv > 0 ? d * d / (pv * (1 / n1 + 1 / n2)) : INFINITY;
                if (t2 > best_t2) {
                        best_t2 = t2;
                        best = k;
                }
        }
        return best;
}

static int cmp_size(const void *a, const void *b)
{
        size_t x = *(const size_t *)a, y = *(const size_t *)b;
        return x < y ? -1 : x > y;
}

struct cand {
        size_t k;
        bool pass;
        double score;
        struct ab_cp cp;
};

static void retest(const struct ctx *c, struct cand *cs, size_t nc, size_t i)
{
        size_t a = i ? cs[i - 1].k : 0, b = i + 1 < nc ? cs[i + 1].k : c->n;
        cs[i].pass = test_cp(c, a, cs[i].k, b, &cs[i].cp, &cs[i].score);
}

int ab_cp_detect(const double *x, size_t n, const struct ab_cp_params *p, struct ab_cp *out,
                 size_t cap)
{
        struct ctx c = {.p = p, .n = n};
        size_t *ks = NULL, nk = 0, *stack = NULL, nstack = 0;
        struct cand *cs = NULL;
        int ret = 0;

        if (!p || p->min_seg < 2 || !(p->alpha > 0 && p->alpha < 1) || !(p->min_change >= 0) ||
            !(p->floor >= 0) || (n && !x) || n > INT_MAX || (p->log_scale && !(p->floor > 0)))
                return -EINVAL;
        if (n < 2 * p->min_seg)
                return 0;
        c.s = malloc((n + 1) * sizeof *c.s);
        c.q = malloc((n + 1) * sizeof *c.q);
        ks = malloc(n * sizeof *ks);
        stack = malloc(2 * (n + 1) * sizeof *stack);
        if (!c.s || !c.q || !ks || !stack) {
                ret = -ENOMEM;
                goto out;
        }
        if (p->log_scale && !(c.r = malloc((n + 1) * sizeof *c.r))) {
                ret = -ENOMEM;
                goto out;
        }
#define TESTED(v) (p->log_scale ? log((v) + p->floor) : (v))
        c.shift = TESTED(x[0]);
        c.rshift = x[0];
        c.s[0] = c.q[0] = 0;
        if (c.r)
                c.r[0] = 0;
        for (size_t i = 0; i < n; i++) {
                double y;
                if (!isfinite(x[i]) || (p->log_scale && x[i] < 0)) {
                        ret = -EINVAL;
                        goto out;
                }
                y = TESTED(x[i]) - c.shift;
                c.s[i + 1] = c.s[i] + y;
                c.q[i + 1] = c.q[i] + y * y;
                if (c.r)
                        c.r[i + 1] = c.r[i] + (x[i] - c.rshift);
        }
#undef TESTED

        /* Step 1: propose; split every segment at its best split while both
         * sides keep min_seg values */
        stack[nstack++] = 0;
        stack[nstack++] = n;
        while (nstack) {
                size_t b = stack[--nstack], a = stack[--nstack], k = best_split(&c, a, b);
                if (!k)
                        continue;
                ks[nk++] = k;
                stack[nstack++] = a;
                stack[nstack++] = k;
                stack[nstack++] = k;
                stack[nstack++] = b;
        }
        if (!nk)
                goto out;
        qsort(ks, nk, sizeof *ks, cmp_size);
        cs = malloc(nk * sizeof *cs);
        if (!cs) {
                ret = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < nk; i++)
                cs[i].k = ks[i];
        for (size_t i = 0; i < nk; i++)
                retest(&c, cs, nk, i);

        /* Steps 2-3: eliminate the worst failing proposal, re-test its
         * neighbours against their new neighbouring segments, repeat */
        for (;;) {
                size_t worst = nk;
                double worst_score = 0;
                for (size_t i = 0; i < nk; i++) {
                        if (!cs[i].pass && cs[i].score > worst_score) {
                                worst_score = cs[i].score;
                                worst = i;
                        }
                }
                if (worst == nk)
                        break;
                memmove(cs + worst, cs + worst + 1, (nk - worst - 1) * sizeof *cs);
                nk--;
                if (worst > 0)
                        retest(&c, cs, nk, worst - 1);
                if (worst < nk)
                        retest(&c, cs, nk, worst);
        }
        for (size_t i = 0; i < nk && i < cap; i++)
                out[i] = cs[i].cp;
        ret = (int)nk;
out:
        free(c.s);
        free(c.q);
        free(c.r);
        free(ks);
        free(stack);
        free(cs);
        return ret;
}

/* ---- exact counts ---------------------------------------------------------- */

static bool same_level(double level, double x, double eps)
{
        return fabs(x - level) <= eps * fmax(fabs(x), fabs(level));
}

static double mean_of(const double *x, size_t a, size_t b)
{
        double sum = 0;
        for (size_t i = a; i < b; i++)
                sum += x[i];
        return sum / (double)(b - a);
}

int ab_cp_exact(const double *x, size_t n, double eps, struct ab_cp *out, size_t cap)
{
        size_t start = 0, ncp = 0;
        if (!(eps >= 0) || (n && !x))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!isfinite(x[i]))
                        return -EINVAL;
        /* each change point's segments: [previous level, this one) and [this
         * one, the next) */
        for (size_t i = 1; i <= n; i++) {
                if (i < n && same_level(x[start], x[i], eps))
                        continue;
                if (start > 0 && ncp <= cap && ncp > 0) {
                        struct ab_cp *cp = &out[ncp - 1];
                        cp->end = i;
                        cp->after = mean_of(x, start, i);
                        cp->change = cp->before != 0 ? (cp->after - cp->before) / fabs(cp->before)
                                     : cp->after > 0 ? INFINITY
                                                     : -INFINITY;
                }
                if (i == n)
                        break;
                if (ncp < cap)
                        out[ncp] = (struct ab_cp){.index = i,
                                                  .start = start,
                                                  .before = mean_of(x, start, i),
                                                  .t = NAN,
                                                  .df = NAN,
                                                  .p = NAN};
                ncp++;
                start = i;
        }
        return ncp > (size_t)INT_MAX ? INT_MAX : (int)ncp;
}
