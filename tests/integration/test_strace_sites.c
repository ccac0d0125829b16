/*
 * test_strace_sites.c - --syscalls with --trace: the strace pass runs with
 * -k and its memory calls become sites ("source": "strace") keyed as the
 * tracer keys its own. glibc's thread arenas, which the tracer cannot see,
 * land on the runner's worker function with their 64 MiB reservations;
 * --syscalls alone runs strace without -k and writes no such site; the
 * pass's exact counts do not change with stacks.
 */
#include <sched.h>

#include "itest.h"

#define MiB (1024ll * 1024)

static long long num_at(json_t *o, const char *a, const char *b)
{
        json_t *v = json_object_get(o, a);
        if (b)
                v = json_object_get(v, b);
        if (!json_is_integer(v))
                fail_msg("%s%s%s is not an integer", a, b ? "." : "", b ? b : "");
        return json_integer_value(v);
}

static bool from_strace(json_t *site)
{
        const char *s = jstr(site, "source");
        return s && strcmp(s, "strace") == 0;
}

/* The strace sites of a run: how many, and the sum of a total over them
 * (all of them, or those whose key holds `in`). */
static size_t strace_sites(json_t *run, const char *in, const char *total, long long *sum)
{
        json_t *s;
        size_t i, n = 0;
        *sum = 0;
        json_array_foreach(json_object_get(run, "sites"), i, s)
        {
                if (!from_strace(s) || (in && !strstr(jstr(s, "key"), in)))
                        continue;
                n++;
                *sum += num_at(s, "total", total);
        }
        return n;
}

/* The arenas glibc 2.36 gives `threads` threads that all allocate at once:
 * one each while fewer than 8 per CPU it may run on exist (the main arena
 * counts as one). */
static long long expected_arenas(long long threads)
{
        cpu_set_t set;
        long long cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
        return threads < 8 * cpus - 1 ? threads : 8 * cpus - 1;
}

/* The arena story: 8 threads, each with an arena of its own whose heap
 * glibc reserves as 128 MiB PROT_NONE, trimmed to an aligned 64 MiB. */
static void test_arena_reservations(void **state)
{
        json_t *doc, *run, *s, *site = NULL;
        long long reserved, unmapped, arenas = expected_arenas(8), sum;
        size_t i;
        (void)state;
        doc = run_doc("arena_sc.json", "--alloc=glibc", "--workload=arena-churn", "--threads", "8",
                      "--syscalls", "--trace", "--reps", "1", NULL);
        run = run_i(doc, 0);
        assert_true(strace_sites(run, NULL, "map_calls", &sum) >= 1);
        /* every reservation of the region lies on the worker's key */
        assert_int_equal(strace_sites(run, "thread_main", "reserve_bytes", &reserved), 1);
        strace_sites(run, NULL, "reserve_bytes", &sum);
        assert_int_equal(reserved, sum);
        strace_sites(run, "thread_main", "unmap_bytes", &unmapped);
        /* 64 MiB per arena, and less than one arena more */
        assert_int_equal((reserved - unmapped) / (64 * MiB), arenas);
        json_array_foreach(json_object_get(run, "sites"), i, s)
        {
                if (from_strace(s) && strstr(jstr(s, "key"), "thread_main"))
                        site = s;
        }
        assert_non_null(site);
        /* attributed to the runner, not to libc's malloc or mmap */
        assert_true(strncmp(jstr(site, "key"), "ab-runner!", 10) == 0);
        assert_string_equal(jstr(json_array_get(json_object_get(site, "frames"), 0), "module"),
                            "ab-runner");
        assert_true(num_at(site, "stacks", NULL) >= 1);
        assert_true(num_at(site, "total", "map_calls") >= arenas);
        assert_null(json_object_get(json_object_get(site, "total"), "allocs"));
        /* the sites hold every mmap and munmap the pass counted (all succeed) */
        strace_sites(run, NULL, "map_calls", &sum);
        assert_int_equal(
            sum, num_at(json_array_get(json_object_get(run, "points"), 0), "syscalls", "mmap"));
        strace_sites(run, NULL, "unmap_calls", &sum);
        assert_int_equal(
            sum, num_at(json_array_get(json_object_get(run, "points"), 0), "syscalls", "munmap"));
        json_decref(doc);
}

/* With stacks the pass counts exactly what test_run.c's test_syscalls_exact
 * counts without (mmap-sweep: one PROT_NONE mmap, one mprotect, one munmap of
 * known sizes per round), and every call lands on the kernel's own site;
 * an allocator's mmap of a 64 MiB calloc lands on calloc's caller. */
static void test_exact_with_stacks(void **state)
{
        json_t *doc, *run, *pt, *s;
        long long sum;
        size_t i;
        (void)state;
        doc = run_doc("sweep_sc.json", "--alloc=glibc,jemalloc", "--workload=mmap-sweep", "--set",
                      "reserve=64M", "--set", "commit=8M", "--set", "touch=4M", "--set", "rounds=5",
                      "--reps", "1", "--syscalls", "--trace", NULL);
        for (size_t a = 0; a < 2; a++) {
                run = run_i(doc, a);
                pt = json_array_get(json_object_get(run, "points"), 0);
                assert_int_equal(num_at(pt, "syscalls", "ops"), 15);
                assert_int_equal(num_at(pt, "syscalls", "mmap"), 5);
                assert_int_equal(num_at(pt, "syscalls", "munmap"), 5);
                assert_int_equal(num_at(pt, "syscalls", "mprotect"), 5);
                assert_int_equal(num_at(pt, "syscalls", "mapped_bytes"), 5 * 64 * MiB);
                assert_int_equal(strace_sites(run, NULL, "map_calls", &sum), 1);
                assert_int_equal(strace_sites(run, "ab-runner!", "map_calls", &sum), 1);
                assert_int_equal(sum, 5);
                strace_sites(run, "mmap_sweep_run", "reserve_bytes", &sum);
                assert_int_equal(sum, 5 * 64 * MiB);
                strace_sites(run, "mmap_sweep_run", "unmap_bytes", &sum);
                assert_int_equal(sum, 5 * 64 * MiB);
                strace_sites(run, "mmap_sweep_run", "commit_calls", &sum);
                assert_int_equal(sum, 5);
                strace_sites(run, "mmap_sweep_run", "commit_bytes", &sum);
                assert_int_equal(sum, 5 * 8 * MiB);
        }
        json_decref(doc);
        /* glibc's and mimalloc's mmap of each 64 MiB block: on calloc's caller */
        doc = run_doc("calloc_sc.json", "--alloc=glibc,mimalloc", "--workload=calloc-sweep",
                      "--set", "sizes=64M", "--set", "iterations=8", "--reps", "1", "--syscalls",
                      "--trace", NULL);
        for (size_t a = 0; a < 2; a++) {
                run = run_i(doc, a);
                assert_int_equal(strace_sites(run, NULL, "map_calls", &sum), 1);
                assert_int_equal(sum, 8);
                json_array_foreach(json_object_get(run, "sites"), i, s)
                {
                        if (from_strace(s))
                                assert_true(strncmp(jstr(s, "key"), "ab-runner!", 10) == 0);
                }
        }
        json_decref(doc);
}

/* The environment with a strace in front of the real one that writes its
 * arguments down, a line per start, in log. */
static char **wrapped_env(const char *log)
{
        static char path[4096], *env[256];
        char dir[512], script[600];
        size_t n = 0;
        FILE *f;
        const char *real = exists("/usr/bin/strace") ? "/usr/bin/strace" : "/bin/strace";
        snprintf(dir, sizeof dir, "%s/wrap", tmpdir);
        mkdir(dir, 0700);
        snprintf(script, sizeof script, "%s/strace", dir);
        f = fopen(script, "w");
        assert_non_null(f);
        fprintf(f, "#!/bin/sh\necho \"$*\" >>'%s'\nexec %s \"$@\"\n", log, real);
        fclose(f);
        assert_int_equal(chmod(script, 0755), 0);
        snprintf(path, sizeof path, "PATH=%s:%s", dir,
                 getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        env[n++] = path;
        for (char **e = environ; *e && n < 255; e++)
                if (strncmp(*e, "PATH=", 5) != 0)
                        env[n++] = *e;
        env[n] = NULL;
        return env;
}

/* The passes strace ran (its version asked with -V is no pass), and how
 * many of them with -k. */
static size_t passes(const char *log, size_t *with_k)
{
        char *text = read_all(log);
        size_t n = 0;
        *with_k = 0;
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
                if (strncmp(l, "-f ", 3) != 0)
                        continue;
                n++;
                *with_k += strstr(l, " -k ") != NULL;
        }
        free(text);
        return n;
}

/* --syscalls alone: strace without -k (what it costs stays as it was), and
 * no strace sites; with --trace, -k. */
static void test_stacks_only_with_trace(void **state)
{
        const char *log = tmpfile_path("strace_args.log");
        char **env = wrapped_env(log);
        json_t *doc;
        long long sum;
        size_t with_k;
        (void)state;
        assert_int_equal(run_envp(env, "--alloc=glibc", "--workload=mmap-sweep", "--set",
                                  "reserve=64M", "--set", "commit=8M", "--set", "touch=4M", "--set",
                                  "rounds=3", "--reps", "1", "--syscalls", "-q", "-o",
                                  tmpfile_path("nok.json"), NULL),
                         0);
        assert_int_equal(passes(log, &with_k), 1);
        assert_int_equal(with_k, 0);
        doc = load(tmpfile_path("nok.json"));
        assert_int_equal(strace_sites(run_i(doc, 0), NULL, "map_calls", &sum), 0);
        assert_int_equal(
            num_at(json_array_get(json_object_get(run_i(doc, 0), "points"), 0), "syscalls", "mmap"),
            3);
        json_decref(doc);
        assert_int_equal(run_envp(env, "--alloc=glibc", "--workload=mmap-sweep", "--set",
                                  "reserve=64M", "--set", "commit=8M", "--set", "touch=4M", "--set",
                                  "rounds=3", "--reps", "1", "--syscalls", "--trace", "-q", "-o",
                                  tmpfile_path("k.json"), NULL),
                         0);
        assert_int_equal(passes(log, &with_k), 2);
        assert_int_equal(with_k, 1);
        doc = load(tmpfile_path("k.json"));
        assert_int_equal(strace_sites(run_i(doc, 0), NULL, "map_calls", &sum), 1);
        assert_int_equal(sum, 3);
        json_decref(doc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_arena_reservations),
            cmocka_unit_test(test_exact_with_stacks),
            cmocka_unit_test(test_stacks_only_with_trace),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
