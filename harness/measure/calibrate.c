/*
 * calibrate.c - this machine's reference costs (SPEC §4): measured by a
 * runner child (calib.c) and cached per host in results/calibration-HOST.json,
 * reused while the kernel, CPU model, C library, page size and THP mode are the
 * same. Runs under --wrap are calibrated under the same launcher (an
 * emulator's memset is the emulator's) and cached apart, keyed by the
 * launcher's words as well.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "measure/bench.h"
#include "core/fmt.h"
#include "core/parse.h"
#include "prim/prim.h"
#include "core/prng.h"

#define CAL_SIZES "4KiB..1GiB*4"

static json_t *host_key(char **wrap, size_t nwrap)
{
        json_t *h = ab_host_json(), *k = json_object(), *w = json_array();
        static const char *const keys[] = {"kernel", "cpu_model", "libc", "page_size", "thp",
                                           "hostname"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
                json_object_set(k, keys[i], json_object_get(h, keys[i]));
        for (size_t i = 0; i < nwrap; i++)
                json_array_append_new(w, json_string(wrap[i]));
        json_object_set_new(k, "wrap", w);
        json_decref(h);
        return k;
}

/* results/calibration-HOST.json, or calibration-HOST-wrap-HASH.json for a
 * launcher (a hash of its words: names of any length make one file each). */
static void cache_path(char **wrap, size_t nwrap, char *buf, size_t len)
{
        char host[128] = "host", tag[32] = "";
        const char *dir = getenv("ALLOCBENCH_CACHE");
        gethostname(host, sizeof host - 1);
        if (nwrap) {
                uint64_t h = AB_HASH_INIT;
                for (size_t i = 0; i < nwrap; i++)
                        for (const char *c = wrap[i]; ; c++) {
                                h = ab_hash_u64(h, (unsigned char)*c);
                                if (!*c)
                                        break;
                        }
                snprintf(tag, sizeof tag, "-wrap-%08llx", (unsigned long long)(h >> 32));
        }
        snprintf(buf, len, "%s/calibration-%s%s.json", dir && *dir ? dir : "results", host, tag);
}

/* Why the cache cannot serve: for the note a run prints when it measures. */
static const char *stale_reason(json_t *cached, json_t *key)
{
        static const char *const keys[] = {"kernel", "cpu_model", "libc", "page_size", "thp"};
        json_t *old = json_object_get(cached, "key");
        if (!cached)
                return "no figures cached for this host yet";
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
                if (!json_equal(json_object_get(old, keys[i]), json_object_get(key, keys[i])))
                        return keys[i][0] == 'k'   ? "the kernel changed"
                               : keys[i][0] == 'c' ? "the CPU changed"
                               : keys[i][0] == 'l' ? "the C library changed"
                               : keys[i][0] == 'p' ? "the page size changed"
                                                   : "the transparent huge page mode changed";
        return "the cached figures are incomplete";
}

/* Measure in a child. wrap may be NULL. Returns the calibration object or NULL. */
static json_t *measure(char **wrap, size_t nwrap, const char *cpus, char *err, size_t errlen)
{
        char **av = calloc(nwrap + 4, sizeof *av);
        char **env = ab_env_build(NULL, NULL, 0);
        struct ab_spawn s = {.records = true, .cpus = cpus};
        struct ab_outcome out;
        json_t *cal = NULL, *ms;
        size_t k = 0;
        int r;

        if (!av || !env) {
                snprintf(err, errlen, "out of memory");
                goto done;
        }
        for (size_t i = 0; i < nwrap; i++)
                av[k++] = wrap[i];
        av[k++] = (char *)ab_runner_path();
        av[k++] = AB_PROTO_CALIBRATE;
        av[k++] = CAL_SIZES;
        s.argv = av;
        s.envp = env;
        r = ab_spawn_run(&s, &out);
        if (r || out.status != AB_ST_OK || out.ncalib == 0) {
                snprintf(err, errlen, "calibration failed: %s",
                         r ? out.exec_error : out.have_error ? out.error.msg : "no figures");
                if (!r)
                        ab_outcome_free(&out);
                goto done;
        }
        cal = json_object();
        ms = json_object();
        json_object_set_new(cal, "memset_bytes_per_ns", ms);
        json_object_set_new(cal, "page_fault_ns", json_null());
        json_object_set_new(cal, "mmap_ns", json_null());
        for (size_t i = 0; i < out.ncalib; i++) {
                const struct ab_rec_calib *c = &out.calib[i];
                char key[32];
                switch (c->what) {
                case AB_CAL_MEMSET:
                        snprintf(key, sizeof key, "%llu", (unsigned long long)c->size);
                        json_object_set_new(ms, key, json_real((double)c->size / c->ns));
                        break;
                case AB_CAL_PAGEFAULT:
                        json_object_set_new(cal, "page_fault_ns", json_real(c->ns));
                        break;
                case AB_CAL_MMAP:
                        json_object_set_new(cal, "mmap_ns", json_real(c->ns));
                        break;
                }
        }
        json_object_set_new(cal, "measure_ms", json_real((double)out.wall_ns / 1e6));
        ab_outcome_free(&out);
done:
        free(av);
        ab_env_free(env);
        return cal;
}

json_t *ab_calibration_get(const struct ab_opts *o, bool force, bool tell, char *err,
                           size_t errlen)
{
        char path[PATH_MAX];
        char **wrap = o ? o->wrap_argv : NULL;
        size_t nwrap = o ? o->wrap_argc : 0;
        json_t *key = host_key(wrap, nwrap), *cal;

        cache_path(wrap, nwrap, path, sizeof path);
        if (!force) {
                json_t *c = json_load_file(path, 0, NULL);
                if (c && json_equal(json_object_get(c, "key"), key) &&
                    json_object_size(json_object_get(c, "memset_bytes_per_ns")) > 0) {
                        json_object_del(c, "key");
                        json_object_set_new(c, "cached", json_true());
                        json_decref(key);
                        return c;
                }
                if (tell)
                        fprintf(stderr, "bench: calibrating this machine%s%s (%s; about 1 s%s)\n",
                                nwrap ? " under " : "", nwrap ? o->wrap : "",
                                stale_reason(c, key), nwrap ? ", longer under an emulator" : "");
                json_decref(c);
        }
        cal = measure(wrap, nwrap, o ? o->cpus : NULL, err, errlen);
        if (!cal) {
                json_decref(key);
                return NULL;
        }
        {
                char *text, werr[512];
                json_object_set(cal, "key", key);
                text = json_dumps(cal, JSON_INDENT(1));
                mkdir(getenv("ALLOCBENCH_CACHE") ? getenv("ALLOCBENCH_CACHE") : "results", 0777);
                if (text && ab_write_atomic(path, text, strlen(text), werr, sizeof werr))
                        fprintf(stderr, "bench: note: calibration not cached: %s\n", werr);
                free(text);
                json_object_del(cal, "key");
        }
        json_object_set_new(cal, "cached", json_false());
        json_decref(key);
        return cal;
}

static double cal_memset(const struct ab_costs *c, uint64_t size)
{
        return ab_calib_memset_ns((json_t *)c->priv, size);
}

int ab_calibration_costs(json_t *cal, struct ab_costs *c)
{
        json_t *f = json_object_get(cal, "page_fault_ns"), *m = json_object_get(cal, "mmap_ns");
        if (!json_is_number(f) || !(json_number_value(f) > 0))
                return -ENOENT;
        c->page_fault_ns = json_number_value(f);
        c->mmap_ns = json_is_number(m) ? json_number_value(m) : 0;
        c->memset_ns = cal_memset;
        c->priv = cal;
        return 0;
}

double ab_calib_memset_ns(json_t *cal, uint64_t size)
{
        /* bandwidth at the nearest calibrated sizes, interpolated in log(size) */
        json_t *ms = json_object_get(cal, "memset_bytes_per_ns"), *v;
        const char *k;
        double lo_s = 0, lo_bw = 0, hi_s = 0, hi_bw = 0, s = (double)size, bw;
        json_object_foreach(ms, k, v)
        {
                double ks = strtod(k, NULL);
                if (ks <= s && ks > lo_s) {
                        lo_s = ks;
                        lo_bw = json_number_value(v);
                }
                if (ks >= s && (hi_s == 0 || ks < hi_s)) {
                        hi_s = ks;
                        hi_bw = json_number_value(v);
                }
        }
        if (!lo_s && !hi_s)
                return -1;
        if (!lo_s)
                bw = hi_bw;
        else if (!hi_s || hi_s == lo_s)
                bw = lo_bw;
        else {
                double f = (__builtin_log(s) - __builtin_log(lo_s)) /
                           (__builtin_log(hi_s) - __builtin_log(lo_s));
                bw = lo_bw + f * (hi_bw - lo_bw);
        }
        return bw > 0 ? s / bw : -1;
}

int ab_cmd_calibrate(int argc, char **argv)
{
        char err[512], sz[32];
        json_t *cal, *v;
        const char *k;
        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                printf("usage: bench calibrate\n\nMeasures this machine's reference costs "
                       "(memset bandwidth by size, page-fault cost,\nmmap+munmap cost) in a fresh "
                       "process, prints them and caches them for runs\n(results/"
                       "calibration-HOST.json, or $ALLOCBENCH_CACHE).\n");
                return AB_OK;
        }
        if (argc > 1) {
                fprintf(stderr, "bench calibrate: unexpected argument '%s' (it takes none)\n",
                        argv[1]);
                return AB_BAD_INPUT;
        }
        if (ab_find_runner(argv[0]) || ab_spawn_init())
                return AB_BAD_INPUT;
        cal = ab_calibration_get(NULL, true, false, err, sizeof err);
        if (!cal) {
                fprintf(stderr, "bench calibrate: %s\n", err);
                return AB_RUN_FAILED;
        }
        printf("page fault (fresh anonymous page, written once): %.0f ns\n",
               json_number_value(json_object_get(cal, "page_fault_ns")));
        printf("mmap+munmap of 1 MiB, untouched:                 %.0f ns\n",
               json_number_value(json_object_get(cal, "mmap_ns")));
        printf("\n%-10s %14s %14s\n", "memset of", "bytes/ns", "time");
        json_object_foreach(json_object_get(cal, "memset_bytes_per_ns"), k, v)
        {
                double bytes = strtod(k, NULL), t = bytes / json_number_value(v);
                char tb[32];
                ab_fmt_size((uint64_t)bytes, sz, sizeof sz);
                if (t >= 1e6)
                        snprintf(tb, sizeof tb, "%.2f ms", t / 1e6);
                else if (t >= 1e3)
                        snprintf(tb, sizeof tb, "%.2f us", t / 1e3);
                else
                        snprintf(tb, sizeof tb, "%.0f ns", t);
                printf("%-10s %14.2f %14s\n", sz, json_number_value(v), tb);
        }
        printf("\nmeasured in %.0f ms; cached for later runs on this host\n",
               json_number_value(json_object_get(cal, "measure_ms")));
        json_decref(cal);
        return AB_OK;
}
