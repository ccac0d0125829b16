/*
 * test_trace.c - libabtrace.so on real programs, asserting on counts only.
 *
 *   C program (progs/trace_prog.c) under glibc, jemalloc, tcmalloc and
 *   mimalloc: for every site the program counts itself, the tracer's live
 *   bytes at each of the 20 round ends equal the program's exactly (so the
 *   left-over of each round does too); the leak's key names timer_new; the
 *   bounded cache grows by 0 from round 1; the fork child wrote a dump of
 *   its own, holding its site and not the parent's; mmap, mprotect and big
 *   calloc figures are exact.
 *   C++ program under jemalloc (and glibc): operator new/delete sites seen,
 *   although jemalloc's own operators never call malloc.
 *   Debian's python3 (no frame pointers) allocating 64 MiB callocs through
 *   ctypes: the site is found by unw_backtrace and its key holds ffi_call.
 *   Sampling at 512 KiB: total bytes within 10 % of the exact run, the leak
 *   site still found with live bytes.
 *   Rounds ended by ALLOCBENCH_TRACE_ROUND_SIGNAL and _ROUND_MS (through
 *   the helper thread): counted within bounds that hold on a busy machine.
 *
 * Environment: AB_BUILD (default build) holds libabtrace.so and the
 * programs. A missing allocator library is a skipped test, not a pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../harness/trace/sites.h"

extern char **environ;

#define LIBDIR "/usr/lib/x86_64-linux-gnu/"
#define MAXS   16

static const char *build;
static char tmpdir[] = "/tmp/abtrace.XXXXXX";

struct prog_out {
        int pid, child;
        int nsites;
        char name[MAXS][32];
        long long live[MAXS][64];
        int nrounds;
        long long child_live;
        unsigned long long total_bytes;
};

/* Runs argv with the tracer (and lib, when not NULL) preloaded, dumps to
 * tmpdir/TAG.%p, stdout to tmpdir/TAG.out. Returns the exit status. */
static int run_traced(const char *tag, const char *lib, const char *const *extra_env,
                      char *const argv[])
{
        char pre[1024], out[512], outp[512];
        char *env[256];
        size_t n = 0;
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int st;

        snprintf(pre, sizeof pre, "LD_PRELOAD=%s/libabtrace.so%s%s", build, lib ? " " : "",
                 lib ? lib : "");
        snprintf(out, sizeof out, "ALLOCBENCH_TRACE_OUT=%s/%s.%%p", tmpdir, tag);
        snprintf(outp, sizeof outp, "%s/%s.out", tmpdir, tag);
        for (char **e = environ; *e && n < 200; e++)
                if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "ALLOCBENCH_TRACE_", 17))
                        env[n++] = *e;
        env[n++] = pre;
        env[n++] = out;
        for (const char *const *e = extra_env; e && *e; e++)
                env[n++] = (char *)*e;
        env[n] = NULL;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (posix_spawn(&pid, argv[0], &fa, NULL, argv, env) != 0)
                return -1;
        posix_spawn_file_actions_destroy(&fa);
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void parse_out(const char *tag, struct prog_out *o)
{
        char p[512], line[4096];
        FILE *f;
        snprintf(p, sizeof p, "%s/%s.out", tmpdir, tag);
        f = fopen(p, "r");
        assert_non_null(f);
        memset(o, 0, sizeof *o);
        while (fgets(line, sizeof line, f)) {
                char *s = line, *end;
                if (sscanf(line, "pid %d", &o->pid) == 1 ||
                    sscanf(line, "child %d", &o->child) == 1 ||
                    sscanf(line, "child_site child_work %lld", &o->child_live) == 1 ||
                    sscanf(line, "total_bytes %llu", &o->total_bytes) == 1)
                        continue;
                if (strncmp(line, "site ", 5) || o->nsites == MAXS)
                        continue;
                s += 5;
                end = strchr(s, ' ');
                assert_non_null(end);
                snprintf(o->name[o->nsites], sizeof o->name[0], "%.*s", (int)(end - s), s);
                o->nrounds = 0;
                for (s = end; o->nrounds < 64;) {
                        long long v = strtoll(s, &end, 10);
                        if (end == s)
                                break;
                        o->live[o->nsites][o->nrounds++] = v;
                        s = end;
                }
                o->nsites++;
        }
        fclose(f);
}

static void load(const char *tag, int pid, struct ab_sites *s)
{
        char p[512], err[512];
        snprintf(p, sizeof p, "%s/%s.%d", tmpdir, tag, pid);
        if (ab_sites_load(p, NULL, s, err, sizeof err) != 0)
                fail_msg("%s", err);
}

/* The one site whose innermost meaningful frame is the function name. */
static const struct ab_site *site_of(const struct ab_sites *s, const char *module, const char *fn)
{
        const struct ab_site *found = NULL;
        char prefix[256];
        snprintf(prefix, sizeof prefix, "%s!%s<", module, fn);
        for (size_t i = 0; i < s->nsites; i++)
                if (strncmp(s->sites[i].key, prefix, strlen(prefix)) == 0) {
                        if (found)
                                fail_msg("two sites for %s: %s and %s", fn, found->key,
                                         s->sites[i].key);
                        found = &s->sites[i];
                }
        if (!found)
                fail_msg("no site %s", prefix);
        return found;
}

static void check_c_prog(const char *tag, const char *lib)
{
        char prog[512];
        char *argv[] = {prog, NULL};
        struct prog_out o;
        struct ab_sites s, c;
        const struct ab_site *x;

        if (lib && access(lib, R_OK) != 0)
                skip();
        snprintf(prog, sizeof prog, "%s/trace_prog", build);
        assert_int_equal(run_traced(tag, lib, NULL, argv), 0);
        parse_out(tag, &o);
        assert_int_equal(o.nsites, 8);
        assert_int_equal(o.nrounds, 20);
        load(tag, o.pid, &s);
        assert_int_equal(s.nrounds, 20);
        for (int k = 0; k < o.nsites; k++) {
                x = site_of(&s, "trace_prog", o.name[k]);
                for (int r = 0; r < 20; r++) {
                        long long left = o.live[k][r] - (r ? o.live[k][r - 1] : 0);
                        long long tleft =
                            x->rounds[r].live_bytes - (r ? x->rounds[r - 1].live_bytes : 0);
                        if (x->rounds[r].live_bytes != o.live[k][r] || tleft != left)
                                fail_msg("%s %s round %d: tracer %lld, program %lld", tag,
                                         o.name[k], r, (long long)x->rounds[r].live_bytes,
                                         o.live[k][r]);
                }
                if (strcmp(o.name[k], "cache_put") == 0)
                        for (int r = 1; r < 20; r++)
                                assert_int_equal(
                                    x->rounds[r].live_bytes - x->rounds[r - 1].live_bytes, 0);
        }
        x = site_of(&s, "trace_prog", "timer_new");
        assert_non_null(strstr(x->key, "timer_new<open_conn<one_round<main"));
        assert_int_equal(x->total.live_blocks, 20 * 4096);
        x = site_of(&s, "trace_prog", "map_region");
        assert_int_equal(x->total.map_calls, 20);
        assert_int_equal(x->total.map_bytes, 20 << 20);
        assert_int_equal(x->total.unmap_calls, 20);
        assert_int_equal(x->total.unmap_bytes, 20 << 20);
        assert_int_equal(x->total.commit_calls, 20);
        assert_int_equal(x->total.commit_bytes, 20 * (64 << 10));
        x = site_of(&s, "trace_prog", "zero_big");
        assert_int_equal(x->total.zc_calls, 20);
        assert_int_equal(x->total.big_ops, 40);
        assert_true(x->total.zc_ns > 0);
        x = site_of(&s, "trace_prog", "worker_alloc");
        assert_int_equal(x->total.allocs, 20 * 4 * 50);
        assert_int_equal(x->total.frees, 20 * 4 * 48);
        for (size_t i = 0; i < s.nsites; i++)
                assert_null(strstr(s.sites[i].key, "child_work"));

        /* the fork child: its own file, its own site, nothing of the parent's */
        assert_true(o.child > 0 && o.child != o.pid);
        load(tag, o.child, &c);
        assert_int_equal(c.procs[0].ppid, o.pid);
        assert_true(c.procs[0].flags & AB_TD_F_FORK_CHILD);
        x = site_of(&c, "trace_prog", "child_work");
        assert_int_equal(x->total.live_bytes, o.child_live);
        assert_int_equal(x->total.allocs, 10);
        for (size_t i = 0; i < c.nsites; i++)
                assert_null(strstr(c.sites[i].key, "timer_new"));
        ab_sites_free(&c);
        ab_sites_free(&s);
}

static void test_c_glibc(void **state)
{
        (void)state;
        check_c_prog("glibc", NULL);
}

static void test_c_jemalloc(void **state)
{
        (void)state;
        check_c_prog("jemalloc", LIBDIR "libjemalloc.so.2");
}

static void test_c_tcmalloc(void **state)
{
        (void)state;
        check_c_prog("tcmalloc", LIBDIR "libtcmalloc_minimal.so.4");
}

static void test_c_mimalloc(void **state)
{
        (void)state;
        check_c_prog("mimalloc", LIBDIR "libmimalloc.so.2");
}

static void check_cxx(const char *tag, const char *lib)
{
        static const char *const fns[] = {
            "(anonymous namespace)::new_leaky", "(anonymous namespace)::new_array",
            "(anonymous namespace)::new_aligned", "(anonymous namespace)::new_nothrow"};
        char prog[512];
        char *argv[] = {prog, NULL};
        struct prog_out o;
        struct ab_sites s;

        if (lib && access(lib, R_OK) != 0)
                skip();
        snprintf(prog, sizeof prog, "%s/trace_cxx", build);
        assert_int_equal(run_traced(tag, lib, NULL, argv), 0);
        parse_out(tag, &o);
        assert_int_equal(o.nsites, 4);
        /* the C++ program prints no pid: the only dump in the directory */
        {
                char cmd[1024], p[512];
                FILE *f;
                snprintf(cmd, sizeof cmd, "ls %s/%s.[0-9]*", tmpdir, tag);
                f = popen(cmd, "r");
                assert_non_null(f);
                assert_non_null(fgets(p, sizeof p, f));
                pclose(f);
                p[strcspn(p, "\n")] = '\0';
                assert_int_equal(ab_sites_load(p, NULL, &s, cmd, sizeof cmd), 0);
        }
        for (int k = 0; k < 4; k++) {
                const struct ab_site *x = site_of(&s, "trace_cxx", fns[k]);
                assert_true(x->total.allocs >= 5);
                for (int r = 0; r < o.nrounds; r++)
                        assert_int_equal(x->rounds[r].live_bytes, o.live[k][r]);
        }
        ab_sites_free(&s);
}

static void test_cxx_jemalloc(void **state)
{
        (void)state;
        check_cxx("cxx-jemalloc", LIBDIR "libjemalloc.so.2");
}

static void test_cxx_glibc(void **state)
{
        (void)state;
        check_cxx("cxx-glibc", NULL);
}

static void test_python_ctypes(void **state)
{
        char *argv[] = {"/usr/bin/python3", "-c",
                        "import ctypes, os\n"
                        "libc = ctypes.CDLL(None)\n"
                        "libc.calloc.restype = ctypes.c_void_p\n"
                        "libc.free.argtypes = [ctypes.c_void_p]\n"
                        "for i in range(10):\n"
                        "    libc.free(libc.calloc(1, 64 << 20))\n"
                        "print('pid', os.getpid())\n",
                        NULL};
        struct prog_out o;
        struct ab_sites s;
        const struct ab_site *found = NULL;
        (void)state;
        if (access(argv[0], X_OK) != 0)
                skip();
        assert_int_equal(run_traced("python", NULL, NULL, argv), 0);
        parse_out("python", &o);
        load("python", o.pid, &s);
        for (size_t i = 0; i < s.nsites; i++)
                if (s.sites[i].total.zc_calls == 10 &&
                    s.sites[i].total.bytes_alloc == 10ull * (64 << 20))
                        found = &s.sites[i];
        assert_non_null(found);
        assert_true(found->stack_flags & AB_TD_STACK_UNWIND);
        if (!strstr(found->key, "ffi_call") && !strstr(found->key, "python3"))
                fail_msg("key without ffi_call or a python frame: %s", found->key);
        assert_true(s.procs[0].self[AB_TD_SELF_UNWIND_STACKS] > 0);
        ab_sites_free(&s);
}

static uint64_t total_bytes(const struct ab_sites *s)
{
        uint64_t t = 0;
        for (size_t i = 0; i < s->nsites; i++)
                t += s->sites[i].total.bytes_alloc;
        return t;
}

static void test_sampling(void **state)
{
        static const char *const env[] = {"ALLOCBENCH_TRACE_SAMPLE=512KiB", NULL};
        char prog[512];
        char *argv[] = {prog, NULL};
        struct prog_out o, oe;
        struct ab_sites s, e;
        const struct ab_site *leak;
        double ratio;
        (void)state;
        snprintf(prog, sizeof prog, "%s/trace_prog", build);
        assert_int_equal(run_traced("sampled", NULL, env, argv), 0);
        assert_int_equal(run_traced("exact", NULL, NULL, argv), 0);
        parse_out("sampled", &o);
        parse_out("exact", &oe);
        load("sampled", o.pid, &s);
        load("exact", oe.pid, &e);
        assert_int_equal(s.sample_bytes, 512 << 10);
        ratio = (double)total_bytes(&s) / (double)total_bytes(&e);
        print_message("sampled/exact bytes allocated: %.4f (%llu sampled allocations of %llu)\n",
                      ratio, (unsigned long long)s.procs[0].self[AB_TD_SELF_SAMPLED],
                      (unsigned long long)e.procs[0].self[AB_TD_SELF_SAMPLED]);
        assert_true(ratio > 0.9 && ratio < 1.1);
        leak = site_of(&s, "trace_prog", "timer_new");
        assert_true(leak->total.live_bytes > 0);
        assert_true(s.procs[0].self[AB_TD_SELF_SAMPLED] * 20 < e.procs[0].self[AB_TD_SELF_SAMPLED]);
        ab_sites_free(&s);
        ab_sites_free(&e);
}

/* Rounds ended by a signal (the handler only wakes the helper thread) and
 * by the timer. Counts only: at least one round and no more than asked. */
static void test_round_signal_and_timer(void **state)
{
        static const char *const sig_env[] = {"ALLOCBENCH_TRACE_ROUND_SIGNAL=USR2", NULL};
        static const char *const timer_env[] = {"ALLOCBENCH_TRACE_ROUND_MS=40",
                                                "ALLOCBENCH_TRACE_ROUND_SIGNAL=SIGUSR2", NULL};
        char prog[512];
        char *argv[] = {prog, "signal", "3", NULL};
        struct prog_out o;
        struct ab_sites s;
        const struct ab_site *x;
        uint64_t allocs = 0;
        (void)state;
        snprintf(prog, sizeof prog, "%s/trace_prog", build);
        assert_int_equal(run_traced("signal", NULL, sig_env, argv), 0);
        parse_out("signal", &o);
        load("signal", o.pid, &s);
        assert_true(s.nrounds >= 1 && s.nrounds <= 3);
        x = site_of(&s, "trace_prog", "signal_rounds");
        for (size_t r = 0; r < s.nrounds; r++)
                allocs += x->rounds[r].allocs;
        assert_true(allocs >= 1 && allocs <= 3);
        assert_int_equal(x->total.allocs, 3);
        ab_sites_free(&s);

        /* 300 ms of pauses with a 40 ms timer: some rounds, never more
         * than the time allows plus the signals */
        assert_int_equal(run_traced("timer", NULL, timer_env, argv), 0);
        parse_out("timer", &o);
        load("timer", o.pid, &s);
        assert_true(s.nrounds >= 1);
        assert_true(s.nrounds <= 3 + 300 / 40 + 50);
        ab_sites_free(&s);
}

static int setup(void **state)
{
        (void)state;
        build = getenv("AB_BUILD") ? getenv("AB_BUILD") : "build";
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[256];
        (void)state;
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_c_glibc),
            cmocka_unit_test(test_c_jemalloc),
            cmocka_unit_test(test_c_tcmalloc),
            cmocka_unit_test(test_c_mimalloc),
            cmocka_unit_test(test_cxx_jemalloc),
            cmocka_unit_test(test_cxx_glibc),
            cmocka_unit_test(test_python_ctypes),
            cmocka_unit_test(test_sampling),
            cmocka_unit_test(test_round_signal_and_timer),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
