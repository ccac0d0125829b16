/*
 * legacy_json.h - TEMPORARY: the JSON accessors plot.c used from the
 * detectors before the detectors moved to the typed view (doc/doc.h). plot.c
 * moves to the view next; this file goes with it.
 */
#ifndef AB_LEGACY_JSON_H
#define AB_LEGACY_JSON_H
#include <jansson.h>
#include <math.h>
static inline double ab_num(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_number(v) ? json_number_value(v) : NAN;
}
static inline const char *ab_str(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}
static inline const char *ab_kernel(json_t *run)
{
        json_t *w = json_object_get(run, "workload");
        return ab_str(w, "kernel") ?: ab_str(w, "name") ?: "";
}
static inline const char *ab_alloc_name(json_t *run)
{
        return ab_str(json_object_get(run, "allocator"), "name") ?: "?";
}
#endif
