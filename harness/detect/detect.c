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

/* Most severe first; the detectors' order within a severity (a stable
 * sort: ties keep their order). */
static void sort_by_severity(struct ab_flags *fl)
{
        for (size_t i = 1; i < fl->n; i++) {
                struct ab_flag_entry e = fl->v[i];
                size_t j = i;
                for (; j > 0 && fl->v[j - 1].rank < e.rank; j--)
                        fl->v[j] = fl->v[j - 1];
                fl->v[j] = e;
        }
}

json_t *ab_detect_all(const struct ab_doc *d)
{
        struct ab_flags fl = {0};
        json_t *out;
        for (size_t i = 0; i < d->nruns; i++)
                for (size_t k = 0; k < sizeof detectors / sizeof detectors[0]; k++)
                        detectors[k](d, &d->runs[i], &fl);
        sort_by_severity(&fl);
        out = ab_flags_json(&fl);
        ab_flags_free(&fl);
        return out;
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
