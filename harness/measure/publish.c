/*
 * publish.c - a finished results document to its file and to stdout
 * (publish.h). The screen shows the document's own view, so the screen and
 * the file agree.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "measure/publish.h"
#include "report/report.h"

/* The highest severity rank among the flags that count. */
static int worst_rank(const struct ab_doc *view)
{
        int worst = -1;
        for (size_t i = 0; i < view->nflags; i++)
                if (!view->flags[i].accepted && view->flags[i].rank > worst)
                        worst = view->flags[i].rank;
        return worst;
}

static void show(const struct ab_doc *view, const char *text, enum ab_format fmt,
                 ab_publish_extra_fn extra, void *arg)
{
        switch (fmt) {
        case AB_FMT_JSON:
                fputs(text, stdout);
                fputc('\n', stdout);
                break;
        case AB_FMT_CSV:
                ab_csv_print(stdout, view);
                break;
        default:
                ab_table_print(stdout, view);
                ab_flags_print(stdout, view);
                if (extra)
                        extra(stdout, arg);
                break;
        }
}

int ab_publish(json_t *doc, const struct ab_target *t, enum ab_format fmt,
               ab_publish_extra_fn extra, void *arg, int *worst)
{
        struct ab_doc view;
        char *text, err[PATH_MAX + 128], where[PATH_MAX];
        int r;
        *worst = -1;
        if (ab_doc_view(doc, &view, err, sizeof err))
                return -ENOMEM;
        *worst = worst_rank(&view);
        text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
        if (!text) {
                ab_doc_free(&view);
                return -ENOMEM;
        }
        r = ab_target_publish(t, text, strlen(text), where, sizeof where, err, sizeof err);
        show(&view, text, fmt, extra, arg);
        if (r == 0 && strcmp(where, t->path) != 0)
                ab_note("",
                        "%s was written by another run meanwhile; this run's results went "
                        "beside it",
                        t->path);
        if (r == 0 || r == 1)
                fprintf(stderr, "results: %s\n", where);
        if (r == 1) {
                ab_err("", "%s; the results were kept in %s instead", err, where);
                r = -EIO;
        } else if (r < 0) {
                /* nowhere to write them: stderr is the last place they can go */
                ab_err("", "%s, and in $TMPDIR as well; the results document follows", err);
                fputs(text, stderr);
                fputc('\n', stderr);
        }
        free(text);
        ab_doc_free(&view);
        return r;
}
