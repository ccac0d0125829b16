/*
 * view.h - inside the document's view: what doc.c shares with the files
 * that view one part of a run (sites.c). Not for use outside doc/.
 */
#ifndef AB_DOC_VIEW_H
#define AB_DOC_VIEW_H

#include <jansson.h>

#include "doc/doc.h"

/* The number under key in o (NAN when absent or not a number), its string
 * (NULL when absent or not a string). */
double ab_view_num(json_t *o, const char *key);
const char *ab_view_str(json_t *o, const char *key);

/* sites.c: the run's trace and sites (after its points), and their end. */
int ab_view_sites(json_t *run, struct ab_vrun *r);
void ab_view_sites_free(struct ab_vrun *r);

#endif
