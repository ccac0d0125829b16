/*
 * hist.h - what the integration tests of bench history share: synthetic
 * results files made from one real tiny run of ./bench (copies dated night
 * by night, timings moved by a deterministic 1% and one series stepped on
 * purpose), the values a file adds, `bench history add` started in the
 * background, a history of such nights, and SQL on an SQLite store.
 * Header-only, after itest.h.
 */
#ifndef AB_ITEST_HIST_H
#define AB_ITEST_HIST_H

#include <spawn.h>
#include <sqlite3.h>
#include <stdint.h>

#define EXIT_REGRESSION   3 /* SPEC §1: a regression found by history check */
#define STEP_SERIES_ALLOC "glibc"
#define STEP_SERIES_POINT "size=4096"

/* tmpfile_path() in a buffer of the caller's (its own are reused). */
static inline const char *tpath(char *buf, size_t len, const char *name)
{
        snprintf(buf, len, "%s/%s", tmpdir, name);
        return buf;
}

/* The one real results file the synthetic ones are made from. */
static inline const char *base_path(void)
{
        static char path[512];
        if (!path[0]) {
                snprintf(path, sizeof path, "%s/base.json", tmpdir);
                if (run("--alloc=glibc,jemalloc", "--workload=calloc-sweep", "--set",
                        "sizes=4k,64k", "--set", "iterations=100", "--reps", "3", "-q", "-o",
                        path) != 0)
                        fail_msg("bench run for the base results failed: %s", errtext);
        }
        return path;
}

/* A deterministic factor in [1 - a, 1 + a] for (run, allocator, point). */
static inline double noise(int i, size_t r, size_t p, double a)
{
        uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ull ^ (r + 1) * 0xbf58476d1ce4e5b9ull ^
                     (p + 1) * 0x94d049bb133111ebull;
        x ^= x >> 31;
        x *= 0xd6e8feb86659fd93ull;
        x ^= x >> 32;
        return 1 + a * (2 * (double)(x % 10001) / 10000 - 1);
}

static inline void scale(json_t *o, const char *key, double f)
{
        json_t *v = json_object_get(o, key);
        if (json_is_number(v))
                json_object_set_new(o, key, json_real(json_number_value(v) * f));
}

/* A flag the next synthetic files carry (NULL: none); an --env variable
 * every run of them had (NULL: none); the host they ran on (NULL: the base
 * run's). */
static const char *synth_flag;
static const char *synth_env_key, *synth_env_val;
static const char *synth_host;

/* Results file NAME: the base run dated day `day`, every timing moved by
 * up to 1%, and glibc's 4 KiB point `step` times slower. */
static inline char *synth(const char *name, int day, double step)
{
        json_t *doc = load(base_path()), *r, *pt;
        char created[64], *path = tmpfile_path(name);
        size_t i, j;
        snprintf(created, sizeof created, "2026-01-%02dT03:00:00Z", day);
        json_object_set_new(doc, "created", json_string(created));
        json_array_foreach(json_object_get(doc, "runs"), i, r)
        {
                const char *alloc = jstr(r, "allocator.name");
                json_array_foreach(json_object_get(r, "points"), j, pt)
                {
                        double f = noise(day, i, j, 0.01);
                        json_t *ns = json_object_get(pt, "ns_per_op"), *s, *samples;
                        size_t k;
                        if (strcmp(alloc, STEP_SERIES_ALLOC) == 0 &&
                            json_integer_value(
                                json_object_get(json_object_get(pt, "params"), "size")) == 4096)
                                f *= step;
                        scale(ns, "median", f);
                        scale(ns, "min", f);
                        scale(ns, "max", f);
                        scale(ns, "ci95_lo", f);
                        scale(ns, "ci95_hi", f);
                        samples = json_object_get(pt, "samples_ns_per_op");
                        json_array_foreach(samples, k, s)
                            json_array_set_new(samples, k, json_real(json_number_value(s) * f));
                }
        }
        if (synth_env_key)
                json_array_foreach(json_object_get(doc, "runs"), i, r) json_object_set_new(
                    json_object_get(r, "env"), synth_env_key, json_string(synth_env_val));
        if (synth_host)
                json_object_set_new(json_object_get(doc, "host"), "hostname",
                                    json_string(synth_host));
        if (synth_flag)
                json_array_append_new(
                    json_object_get(doc, "flags"),
                    json_pack("{ss ss ss ss s{si} s{} ss ss}", "kind", "size-cliff", "severity",
                              "warn", "allocator", "glibc", "workload", "calloc-sweep", "where",
                              "size", 65536, "evidence", "message", synth_flag, "hint", "none"));
        if (json_dump_file(doc, path, JSON_INDENT(2)) != 0)
                fail_msg("cannot write %s", path);
        json_decref(doc);
        return path;
}

/* The values a results file adds: every tracked figure of every ok point. */
static inline long long values_in(const char *path)
{
        static const char *metrics[] = {"minflt_per_op", "rss_kib", "vsz_kib", "pte_kib",
                                        "peak_rss_kib"};
        json_t *doc = load(path), *r, *pt;
        size_t i, j;
        long long n = 0;
        json_array_foreach(json_object_get(doc, "runs"), i, r)
        {
                json_array_foreach(json_object_get(r, "points"), j, pt)
                {
                        if (strcmp(jstr(pt, "status"), "ok") != 0)
                                continue;
                        n += json_is_number(
                            json_object_get(json_object_get(pt, "ns_per_op"), "median"));
                        for (size_t m = 0; m < 5; m++)
                                n += json_is_number(json_object_get(pt, metrics[m]));
                }
        }
        json_decref(doc);
        return n;
}

/* bench history add --db db FILES.. in the background, its output in log;
 * the store named by $ALLOCBENCH_HISTORY_DB instead when db is NULL, in the
 * environment envp (NULL: this one's). */
static inline pid_t spawn_add_in(char **envp, const char *db, char **files, int nfiles,
                                 const char *log)
{
        const char *argv[64];
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int n = 0;
        argv[n++] = bench_bin;
        argv[n++] = "history";
        argv[n++] = "add";
        if (db) {
                argv[n++] = "--db";
                argv[n++] = db;
        }
        for (int i = 0; i < nfiles && n < 62; i++)
                argv[n++] = files[i];
        argv[n] = NULL;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        assert_int_equal(
            posix_spawn(&pid, bench_bin, &fa, NULL, (char **)argv, envp ? envp : environ), 0);
        posix_spawn_file_actions_destroy(&fa);
        return pid;
}

static inline pid_t spawn_add(const char *db, char **files, int nfiles, const char *log)
{
        return spawn_add_in(NULL, db, files, nfiles, log);
}

/* SELECT count(*) ... from the store. */
static inline long long db_count(const char *db, const char *sql)
{
        sqlite3 *h;
        sqlite3_stmt *st;
        long long n = -1;
        if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
                fail_msg("cannot open %s: %s", db, sqlite3_errmsg(h));
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
                fail_msg("%s: %s", sql, sqlite3_errmsg(h));
        if (sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(h);
        return n;
}

/* Run SQL on the store with the SQLite C API (a hand-made corruption). */
static inline void db_exec(const char *db, const char *sql)
{
        sqlite3 *h;
        char *err = NULL;
        if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
                fail_msg("cannot open %s: %s", db, sqlite3_errmsg(h));
        if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
                fail_msg("%s: %s", sql, err);
        sqlite3_close(h);
}

/* Runs `from`..`n` of a history in db (revs rNN), glibc 4 KiB 1.5x slower
 * from run `step_at` (1-based; 0: never). The files are named PREFIX-NN.json. */
static inline void build_history_from(const char *db, const char *prefix, int from, int n,
                                      int step_at)
{
        for (int i = from; i <= n; i++) {
                char name[64], rev[16];
                const char *path;
                snprintf(name, sizeof name, "%s-%02d.json", prefix, i);
                snprintf(rev, sizeof rev, "r%02d", i);
                path = synth(name, i, step_at && i >= step_at ? 1.5 : 1);
                if (run("history", "add", path, "--db", db, "--rev", rev) != 0)
                        fail_msg("history add %s: %s", path, errtext);
                assert_non_null(strstr(outtext, "added"));
        }
}

static inline void build_history(const char *db, const char *prefix, int n, int step_at)
{
        build_history_from(db, prefix, 1, n, step_at);
}

#endif
