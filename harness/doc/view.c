/*
 * view.c - the reading of one JSON value that every part of the view
 * shares (view.h).
 */
#include <math.h>

#include "doc/view.h"

double ab_view_num(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *ab_view_str(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}
