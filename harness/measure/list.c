/*
 * list.c - `bench list`: every allocator backend (found or not, its library,
 * the version the loaded library reports) and every workload with its
 * parameters. Versions come from a runner child with the library preloaded,
 * exactly as in a run: `list` shows what a run would load.
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "measure/bench.h"
#include "measure/job.h"
#include "prim/prim.h"

static void alloc_version(const struct ab_alloc *a, char *ver, size_t len)
{
        char vq[32], expect[PATH_MAX + 16];
        char *av[] = {(char *)ab_alloc_runner(a), AB_PROTO_INFO, vq, expect, NULL};
        char **env = ab_env_build(a->library, NULL, 0);
        struct ab_spawn s = {.argv = av, .envp = env, .records = true};
        struct ab_outcome out;
        snprintf(ver, len, "?");
        snprintf(vq, sizeof vq, AB_PROTO_VQ "%d", (int)a->vq);
        snprintf(expect, sizeof expect, AB_PROTO_EXPECT "%s", a->library);
        if (!a->library[0])
                av[3] = NULL;
        if (env && ab_spawn_run(&s, &out) == 0) {
                if (out.status == AB_ST_OK && out.have_info)
                        snprintf(ver, len, "%s", out.info.version[0] ? out.info.version : "-");
                else
                        snprintf(ver, len, "fails to load");
                ab_outcome_free(&out);
        }
        ab_env_free(env);
}

/* What list shows as a backend's library: the file preloaded, nothing, or
 * the runner of its own it runs in (a found when it is on this machine). */
static void backend_where(const struct ab_backend *b, const struct ab_alloc *a, char *buf,
                          size_t len)
{
        if (b->runner)
                snprintf(buf, len, "(none preloaded: %s runner %s%s)", b->name,
                         a ? a->runner : b->runner, a ? "" : ", not built");
        else if (b->soname)
                snprintf(buf, len, "%s", a ? a->library : b->soname);
        else
                snprintf(buf, len, "(none: nothing preloaded)");
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The job files shipped in workloads/ next to bench. */
static void list_jobfiles(void)
{
        char dir[PATH_MAX - 300], path[PATH_MAX], *names[256];
        size_t n = 0;
        DIR *d;
        struct dirent *e;
        if (ab_jobdir(dir, sizeof dir) || !(d = opendir(dir)))
                return;
        while ((e = readdir(d)) && n < 256) {
                size_t len = strlen(e->d_name);
                if (len > 4 && strcmp(e->d_name + len - 4, ".ini") == 0)
                        names[n++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, by_name);
        printf("\nworkloads (--workload=NAME; job files in %s):\n", dir);
        for (size_t i = 0; i < n; i++) {
                struct ab_job j;
                char err[512], name[256];
                snprintf(name, sizeof name, "%.*s", (int)(strlen(names[i]) - 4), names[i]);
                snprintf(path, sizeof path, "%s/%s", dir, names[i]);
                if (ab_jobfile_load(path, name, &j, err, sizeof err) == 0) {
                        printf("  %-16s %-13s %s\n", name, j.w->name, j.help);
                        ab_job_free(&j);
                } else {
                        printf("  %-16s (invalid: %s)\n", name, err);
                }
                free(names[i]);
        }
}

int ab_cmd_list(int argc, char **argv)
{
        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("usage: bench list\n\nShows the allocator backends (found or not, library "
                       "path, version) and the workloads with their parameters.\n");
                return AB_OK;
        }
        if (argc > 1) {
                fprintf(stderr, "bench list: unexpected argument '%s' (bench list takes none)\n",
                        argv[1]);
                return AB_BAD_INPUT;
        }
        if (ab_find_runner(argv[0]))
                return AB_BAD_INPUT;
        printf("allocators (--alloc=NAME, --alloc=all for every one found, or --alloc=PATH.so):\n");
        printf("  %-10s %-8s %-16s %-50s %s\n", "name", "found", "version", "library",
               "debian package");
        for (size_t i = 0; i < ab_nbackends; i++) {
                const struct ab_backend *b = &ab_backends[i];
                struct ab_alloc a;
                char err[512], ver[64] = "-", where[PATH_MAX + 64];
                bool found = ab_backend_resolve(b->name, &a, err, sizeof err) == 0;
                if (found)
                        alloc_version(&a, ver, sizeof ver);
                backend_where(b, found ? &a : NULL, where, sizeof where);
                printf("  %-10s %-8s %-16s %-50s %s\n", b->name, found ? "yes" : "no", ver, where,
                       b->package);
        }
        list_jobfiles();
        printf("\nkernels (--workload=NAME; parameters with --set KEY=VALUE):\n");
        for (size_t i = 0; ab_workloads[i]; i++) {
                const struct ab_workload *w = ab_workloads[i];
                printf("\n  %s: %s\n", w->name, w->help);
                for (size_t k = 0; k < w->nparams; k++) {
                        const struct ab_param *p = &w->params[k];
                        char form[160];
                        ab_param_form(p, form, sizeof form);
                        printf("    %-12s %-7s %-14s %s\n    %-12s %-22s %s\n", p->name,
                               p->def[0] ? "default" : "needed", p->def, p->help, "", "", form);
                }
        }
        return AB_OK;
}
