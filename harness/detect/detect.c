/*
 * detect.c - the detector registry: every detector of detectors.def over
 * every run of a document, and the flags sorted most severe first. What the
 * detectors share is flag.c.
 */
#include <stdlib.h>

#include "detect/detect.h"

#define AB_DETECTOR_DEF(name) ab_detect_##name,
static const ab_detector_fn detectors[] = {
#include "detect/detectors.def"
};
#undef AB_DETECTOR_DEF

/* Most severe first; the detectors' order within a severity. */
struct ordered {
        json_t *flag;
        int rank;
        size_t order;
};

static int by_severity(const void *a, const void *b)
{
        const struct ordered *x = a, *y = b;
        if (x->rank != y->rank)
                return y->rank - x->rank;
        return (x->order > y->order) - (x->order < y->order);
}

json_t *ab_detect_all(const struct ab_doc *d)
{
        json_t *flags = json_array(), *sorted = json_array();
        struct ordered *v;
        size_t n;
        if (!flags || !sorted)
                goto fail;
        for (size_t i = 0; i < d->nruns; i++)
                for (size_t k = 0; k < sizeof detectors / sizeof detectors[0]; k++)
                        detectors[k](d, &d->runs[i], flags);
        n = json_array_size(flags);
        v = calloc(n ? n : 1, sizeof *v);
        if (!v)
                goto fail;
        for (size_t i = 0; i < n; i++) {
                v[i].flag = json_array_get(flags, i);
                v[i].rank = ab_severity_rank(json_string_value(json_object_get(v[i].flag, "severity")));
                v[i].order = i;
        }
        qsort(v, n, sizeof *v, by_severity);
        for (size_t i = 0; i < n; i++)
                json_array_append(sorted, v[i].flag);
        free(v);
        json_decref(flags);
        return sorted;
fail:
        json_decref(flags);
        json_decref(sorted);
        return NULL;
}

long ab_detect_json(json_t *doc)
{
        struct ab_doc d;
        char err[256];
        json_t *flags;
        if (ab_doc_view(doc, &d, err, sizeof err))
                return -1;
        flags = ab_detect_all(&d);
        ab_doc_free(&d);
        if (!flags)
                return -1;
        json_object_set_new(doc, "flags", flags);
        return (long)json_array_size(flags);
}
