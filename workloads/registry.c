#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/fmt.h"
#include "core/parse.h"
#include "workload.h"

#define AB_WORKLOAD(id) extern const struct ab_workload ab_wl_##id;
#include "registry.def"
#undef AB_WORKLOAD

const struct ab_workload *const ab_workloads[] = {
#define AB_WORKLOAD(id) &ab_wl_##id,
#include "registry.def"
#undef AB_WORKLOAD
        NULL,
};

const struct ab_workload *ab_workload_find(const char *name)
{
        for (size_t i = 0; ab_workloads[i]; i++)
                if (strcmp(ab_workloads[i]->name, name) == 0)
                        return ab_workloads[i];
        return NULL;
}

int ab_param_index(const struct ab_workload *w, const char *name)
{
        for (size_t i = 0; i < w->nparams; i++)
                if (strcmp(w->params[i].name, name) == 0)
                        return (int)i;
        return -1;
}

static int enum_index(const char *choices, const char *text, uint64_t *out)
{
        size_t tlen = strlen(text);
        uint64_t i = 0;
        for (const char *p = choices;; i++) {
                const char *bar = strchr(p, '|');
                size_t n = bar ? (size_t)(bar - p) : strlen(p);
                if (n == tlen && strncmp(p, text, n) == 0) {
                        *out = i;
                        return 0;
                }
                if (!bar)
                        return -EINVAL;
                p = bar + 1;
        }
}

int ab_param_parse(const struct ab_param *p, const char *text, uint64_t *out)
{
        int r;
        if (p->has_auto && strcmp(text, "auto") == 0) {
                *out = AB_AUTO;
                return 0;
        }
        switch (p->type) {
        case AB_PT_ENUM:
                return enum_index(p->choices, text, out);
        case AB_PT_SIZES: {
                uint64_t vals[AB_SIZES_MAX];
                size_t n = 0;
                r = ab_parse_list(text, vals, AB_SIZES_MAX, &n);
                for (size_t i = 0; r == 0 && i < n; i++)
                        if (vals[i] < p->min || vals[i] > p->max)
                                r = -ERANGE;
                *out = n;
                return r;
        }
        case AB_PT_SIZE:
                r = ab_parse_size(text, out);
                break;
        case AB_PT_RECORD:
                *out = text[0] != '\0';
                return 0;
        default:
                r = ab_parse_u64(text, out);
                break;
        }
        if (r)
                return r;
        return (*out < p->min || *out > p->max) ? -ERANGE : 0;
}

void ab_param_form(const struct ab_param *p, char *buf, size_t len)
{
        char lo[32], hi[32];
        const char *aut = p->has_auto ? " or auto" : "";
        const char *lst = p->point_key ? " (or a list of them)" : "";
        switch (p->type) {
        case AB_PT_ENUM:
                snprintf(buf, len, "one of %s", p->choices);
                return;
        case AB_PT_SIZE:
                ab_fmt_size(p->min, lo, sizeof lo);
                ab_fmt_size(p->max, hi, sizeof hi);
                snprintf(buf, len, "a size from %s to %s%s%s", lo, hi, lst, aut);
                return;
        case AB_PT_SIZES:
                ab_fmt_size(p->min, lo, sizeof lo);
                ab_fmt_size(p->max, hi, sizeof hi);
                snprintf(buf, len, "a list of up to %d sizes from %s to %s (16,64,256 or 16..4k*2)",
                         AB_SIZES_MAX, lo, hi);
                return;
        case AB_PT_RECORD:
                snprintf(buf, len, "the path of an allocation record (bench run --record FILE)");
                return;
        default:
                snprintf(buf, len, "a whole number from %llu to %llu%s%s",
                         (unsigned long long)p->min, (unsigned long long)p->max, lst, aut);
        }
}
