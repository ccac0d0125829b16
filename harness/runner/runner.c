/*
 * ab-runner - the measured process. The harness starts one per repetition,
 * with the allocator under test preloaded, and reads fixed-size records from
 * fd AB_RECORD_FD (record.h). It links only the C library so its own
 * footprint stays small and the figures it reports are the workload's.
 * ab-runner-musl is this program linked statically against musl
 * (runner/musl.mk): --alloc=musl, nothing preloaded.
 *
 * Its command line is the protocol of proto.h.
 *
 * Every parameter of the workload must be given as a plain value (the harness
 * resolves defaults, lists and auto). Exit codes: record.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner/proto.h"
#include "runner/record.h"
#include "runner/version.h"
#include "workload.h"

int ab_calibrate(int argc, char **argv); /* calib.c */

static int usage(const char *why)
{
        char msg[AB_ERRMSG_LEN];
        snprintf(msg, sizeof msg, "ab-runner: %s", why);
        ab_report_error(EINVAL, msg);
        fprintf(stderr, "%s\n", msg);
        return AB_EXIT_USAGE;
}

/* The loaded library must be the one asked for: LD_PRELOAD of a file that is
 * not a loadable object is ignored by ld.so with only a warning. */
static int check_owner(const char *expect, const char *owner)
{
        char a[PATH_MAX], b[PATH_MAX];
        if (!expect || !*expect)
                return 0;
        if (!realpath(expect, a) || !realpath(owner, b) || strcmp(a, b) != 0) {
                char msg[AB_ERRMSG_LEN];
                snprintf(msg, sizeof msg, "malloc is served by %s, not by %s", owner, expect);
                ab_report_error(ENOENT, msg);
                return -1;
        }
        return 0;
}

static int count_mode = AB_COUNT_NONE;

static int run_workload(int argc, char **argv, int i, uint64_t seed)
{
        const struct ab_workload *w;
        uint64_t v[64];
        const char *text[64] = {NULL};
        bool seen[64] = {false};
        struct ab_kctx k;
        int r;

        if (i >= argc)
                return usage("missing workload name");
        w = ab_workload_find(argv[i]);
        if (!w || w->nparams > 64)
                return usage("unknown workload");
        for (i++; i < argc; i++) {
                char *eq = strchr(argv[i], '=');
                int idx;
                if (!eq)
                        return usage("parameters are KEY=VALUE");
                *eq = '\0';
                idx = ab_param_index(w, argv[i]);
                if (idx < 0 || ab_param_parse(&w->params[idx], eq + 1, &v[idx]) != 0 ||
                    v[idx] == AB_AUTO)
                        return usage("bad parameter");
                seen[idx] = true;
                text[idx] = eq + 1;
        }
        for (size_t p = 0; p < w->nparams; p++)
                if (!seen[p])
                        return usage("every parameter must be given");

        memset(&k, 0, sizeof k);
        k.count_mode = count_mode;
        k.icount = count_mode == AB_COUNT_HW ? ab_prim_icount_open() : -1;
        k.v = v;
        k.text = text;
        k.seed = seed;
        r = w->run(&k);
        if (r == -ENOMEM) {
                ab_report_error(ENOMEM, "an allocation failed (out of memory or over the limit)");
                return AB_EXIT_OOM;
        }
        if (r) {
                ab_report_error(-r, strerror(-r));
                return AB_EXIT_FAIL;
        }
        ab_region_send_point(k.op_hash, k.live_peak);
        return 0;
}

int main(int argc, char **argv)
{
        struct ab_rec info;
        const char *expect = NULL;
        unsigned long long vq = AB_VQ_ANY, seed = 1;
        struct ab_mem m;
        int i = 2;

        if (argc < 2)
                return usage("usage: ab-runner info|run ...");
        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
                const char *a = argv[i];
                if (strncmp(a, AB_PROTO_VQ, strlen(AB_PROTO_VQ)) == 0)
                        vq = strtoull(a + strlen(AB_PROTO_VQ), NULL, 10);
                else if (strncmp(a, AB_PROTO_EXPECT, strlen(AB_PROTO_EXPECT)) == 0)
                        expect = a + strlen(AB_PROTO_EXPECT);
                else if (strncmp(a, AB_PROTO_SEED, strlen(AB_PROTO_SEED)) == 0)
                        seed = strtoull(a + strlen(AB_PROTO_SEED), NULL, 10);
                else if (strncmp(a, AB_PROTO_COUNT, strlen(AB_PROTO_COUNT)) == 0 &&
                         ab_proto_count_mode(a + strlen(AB_PROTO_COUNT)) > 0)
                        count_mode = ab_proto_count_mode(a + strlen(AB_PROTO_COUNT));
                else
                        return usage("unknown option");
        }

        memset(&info, 0, sizeof info);
        ab_version_query((enum ab_vquery)vq, info.u.info.version, sizeof info.u.info.version);
        ab_version_malloc_owner(argv[0], info.u.info.library, sizeof info.u.info.library);
        ab_prim_libc_version(info.u.info.libc, sizeof info.u.info.libc);
        if (check_owner(expect, info.u.info.library))
                return AB_EXIT_PRELOAD;
        ab_prim_mem_self(&m);
        info.u.info.runner_rss_kib = m.rss_kib;
        info.u.info.runner_vsz_kib = m.vsz_kib;
        ab_record_send(&info, AB_REC_INFO);

        if (strcmp(argv[1], AB_PROTO_INFO) == 0)
                return 0;
        if (strcmp(argv[1], AB_PROTO_RUN) == 0) {
                ab_region_trace_init();
                return run_workload(argc, argv, i, seed);
        }
        if (strcmp(argv[1], AB_PROTO_CALIBRATE) == 0)
                return ab_calibrate(argc - i, argv + i) ? AB_EXIT_FAIL : 0;
        return usage("mode must be info, run or calibrate");
}
