/*
 * job.c - turn a workload name and --set overrides into a resolved job:
 * every parameter has a value, and at most one parameter (one with a
 * point_key) holds a list that becomes the points.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/bench.h"
#include "measure/job.h"
#include "measure/recfile.h"
#include "core/parse.h"

/* A record: checked through and through now, before anything runs, and
 * kept by its absolute path (the runner starts elsewhere). */
static int set_record(struct ab_job *j, int idx, const char *text, char *err, size_t errlen)
{
        const struct ab_param *p = &j->w->params[idx];
        char abs[PATH_MAX], why[800];
        struct ab_arec_stats st;
        int r;
        free(j->text[idx]);
        j->text[idx] = NULL;
        if (!text[0])
                return 0;
        if (!realpath(text, abs)) {
                snprintf(err, errlen, "%s=%s: %s (accepted: %s)", p->name, text, strerror(errno),
                         "the path of an allocation record, bench run --record FILE");
                return -EINVAL;
        }
        if ((r = ab_recfile_check(abs, &st, why, sizeof why))) {
                snprintf(err, errlen, "%s=%s: %s", p->name, text, why);
                return r == -ENOMEM ? r : -EINVAL;
        }
        return (j->text[idx] = strdup(abs)) ? 0 : -ENOMEM;
}

/* Set one parameter from text; lists are allowed where the parameter sweeps. */
int ab_job_set(struct ab_job *j, int idx, const char *text, char *err, size_t errlen)
{
        const struct ab_param *p = &j->w->params[idx];
        char form[160];
        int r;

        ab_param_form(p, form, sizeof form);
        if (p->point_key && (strchr(text, ',') || strstr(text, ".."))) {
                uint64_t *vals = calloc(AB_LIST_MAX, sizeof *vals);
                size_t n = 0;
                if (!vals)
                        return -ENOMEM;
                r = ab_parse_list(text, vals, AB_LIST_MAX, &n);
                for (size_t i = 0; r == 0 && i < n; i++)
                        if (vals[i] < p->min || vals[i] > p->max)
                                r = -ERANGE;
                if (r) {
                        free(vals);
                        snprintf(err, errlen, "%s=%s: %s (accepted: %s; for lists, %s)", p->name,
                                 text,
                                 r == -ERANGE ? "out of range"
                                 : r == -E2BIG ? "list too long"
                                               : "malformed",
                                 form, AB_LIST_FORM);
                        return -EINVAL;
                }
                if (j->sweep >= 0 && j->sweep != idx) {
                        free(vals);
                        snprintf(err, errlen,
                                 "%s=%s: only one parameter of a job may be a list, and %s "
                                 "already is",
                                 p->name, text, j->w->params[j->sweep].name);
                        return -EINVAL;
                }
                free(j->points);
                j->points = vals;
                j->npoints = n;
                j->sweep = idx;
                j->v[idx] = vals[0];
                return 0;
        }
        {
                uint64_t val;
                r = ab_param_parse(p, text, &val);
                if (r == 0)
                        j->v[idx] = val;
        }
        if (r == 0 && p->type == AB_PT_RECORD)
                return set_record(j, idx, text, err, errlen);
        if (r == 0 && p->type == AB_PT_SIZES) {
                free(j->text[idx]);
                if (!(j->text[idx] = strdup(text)))
                        return -ENOMEM;
        }
        if (r) {
                snprintf(err, errlen, "%s=%s: %s (accepted: %s)", p->name, text,
                         r == -ERANGE ? "out of range" : "malformed", form);
                return -EINVAL;
        }
        if (p->point_key) {
                /* a single value: one point */
                free(j->points);
                j->points = malloc(sizeof *j->points);
                if (!j->points)
                        return -ENOMEM;
                j->points[0] = j->v[idx];
                j->npoints = 1;
                j->sweep = idx;
        }
        return 0;
}

int ab_job_init(struct ab_job *j, const struct ab_workload *w, const char *name, char *err,
                size_t errlen)
{
        memset(j, 0, sizeof *j);
        j->w = w;
        j->sweep = -1;
        j->npoints = 1;
        snprintf(j->name, sizeof j->name, "%s", name);
        if (w->nparams > AB_MAX_PARAMS) {
                snprintf(err, errlen, "workload %s has too many parameters", w->name);
                return -EINVAL;
        }
        for (size_t i = 0; i < w->nparams; i++) {
                int r = ab_job_set(j, (int)i, w->params[i].def, err, errlen);
                if (r)
                        return r;
        }
        return 0;
}

void ab_job_free(struct ab_job *j)
{
        free(j->points);
        j->points = NULL;
        for (size_t i = 0; i < AB_MAX_PARAMS; i++) {
                free(j->text[i]);
                free(j->local[i]);
                j->text[i] = j->local[i] = NULL;
        }
}

uint64_t ab_job_point_value(const struct ab_job *j, size_t point)
{
        return j->sweep >= 0 ? j->points[point] : 0;
}
