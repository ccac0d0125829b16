/*
 * itest.h - what the integration tests share: running the built bench with
 * its output captured, a temporary directory, loading results documents.
 * Environment: AB_BENCH (default ./bench) and AB_BUILD (default build) name
 * the binaries under test. Header-only: each test file is one program.
 */
#ifndef AB_ITEST_H
#define AB_ITEST_H

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

extern char **environ;

static const char *bench_bin;
static const char *build_dir;
static char tmpdir[] = "/tmp/abtest.XXXXXX";
static char errtext[65536];
static char outtext[1 << 20];
static bool generic; /* built with PLATFORM=generic: memory figures unknown */

static inline void slurp(const char *path, char *buf, size_t len)
{
        int fd = open(path, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : 0;
        buf[n > 0 ? n : 0] = '\0';
        if (fd >= 0)
                close(fd);
}

/* Run bench with argv[1..] (argv[0] is filled in); stdout and stderr land
 * in outtext and errtext, stdin is /dev/null when null_stdin. With secs > 0
 * bench is killed after that many seconds (a bench that blocks must fail its
 * test, not hang the suite). Returns the exit code, 128+signal, or -1 when
 * it had to be killed. */
static inline int run_argv_limited(char **envp, const char **argv, int secs, bool null_stdin)
{
        char outp[256], errp[256];
        posix_spawn_file_actions_t fa;
        struct timespec nap = {0, 20 * 1000 * 1000};
        int st = 0;
        pid_t pid;

        argv[0] = bench_bin;
        snprintf(outp, sizeof outp, "%s/stdout", tmpdir);
        snprintf(errp, sizeof errp, "%s/stderr", tmpdir);
        posix_spawn_file_actions_init(&fa);
        if (null_stdin)
                posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_int_equal(
            posix_spawn(&pid, bench_bin, &fa, NULL, (char **)argv, envp ? envp : environ), 0);
        posix_spawn_file_actions_destroy(&fa);
        for (long waited = 0; secs > 0; waited += 20) {
                pid_t w = waitpid(pid, &st, WNOHANG);
                assert_true(w >= 0);
                if (w == pid)
                        break;
                if (waited >= secs * 1000L) {
                        kill(pid, SIGKILL);
                        waitpid(pid, &st, 0);
                        slurp(outp, outtext, sizeof outtext);
                        slurp(errp, errtext, sizeof errtext);
                        return -1;
                }
                nanosleep(&nap, NULL);
        }
        if (secs <= 0)
                assert_int_equal(waitpid(pid, &st, 0), pid);
        slurp(outp, outtext, sizeof outtext);
        slurp(errp, errtext, sizeof errtext);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline int run_argv(char **envp, const char **argv)
{
        return run_argv_limited(envp, argv, 0, false);
}

/* The same with the arguments as a NULL-terminated list. */
static inline int run_envp(char **envp, const char *first, ...)
{
        const char *argv[128];
        va_list ap;
        int n = 1;
        va_start(ap, first);
        for (const char *a = first; a && n < 127; a = va_arg(ap, const char *))
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;
        return run_argv(envp, argv);
}
#define run(...) run_envp(NULL, __VA_ARGS__, NULL)

/* run(), stdin from /dev/null and killed after `secs` seconds: -1 then.
 * Arguments NULL-terminated. */
static inline int run_watchdog(int secs, const char *first, ...)
{
        const char *argv[128];
        va_list ap;
        int n = 1;
        va_start(ap, first);
        for (const char *a = first; a && n < 127; a = va_arg(ap, const char *))
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;
        return run_argv_limited(NULL, argv, secs, true);
}

static inline char *tmpfile_path(const char *name)
{
        static char path[8][512];
        static int k;
        char *p = path[k++ % 8];
        snprintf(p, 512, "%s/%s", tmpdir, name);
        return p;
}

static inline json_t *load(const char *path)
{
        json_error_t e;
        json_t *doc = json_load_file(path, 0, &e);
        if (!doc)
                fail_msg("%s: %s (line %d)", path, e.text, e.line);
        return doc;
}

/* stdout of the last run as JSON; fails the test when it is not JSON. */
static inline json_t *stdout_json(void)
{
        json_error_t e;
        json_t *d = json_loads(outtext, 0, &e);
        if (!d)
                fail_msg("no JSON on stdout: %s (line %d)\n%s", e.text, e.line, outtext);
        return d;
}

/* Copy results file src to dst (both in the temporary directory) through
 * edit (NULL: as it is). */
static inline void edited_copy(const char *src, const char *dst, void (*edit)(json_t *doc))
{
        json_t *d = load(tmpfile_path(src));
        if (edit)
                edit(d);
        assert_int_equal(json_dump_file(d, tmpfile_path(dst), JSON_INDENT(1)), 0);
        json_decref(d);
}

/* The value at a dotted path of object keys ("merge.shards"), or NULL. */
static inline json_t *jpath(json_t *o, const char *path)
{
        char key[64];
        while (o && *path) {
                size_t n = strcspn(path, ".");
                snprintf(key, sizeof key, "%.*s", (int)n, path);
                o = json_object_get(o, key);
                path += n + (path[n] == '.');
        }
        return o;
}

static inline bool exists(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0;
}

static inline const char *jstr(json_t *o, const char *path)
{
        /* dotted path of object keys */
        char key[64];
        const char *p = path;
        while (o && *p) {
                size_t n = strcspn(p, ".");
                snprintf(key, sizeof key, "%.*s", (int)n, p);
                o = json_object_get(o, key);
                p += n + (p[n] == '.');
        }
        return json_string_value(o);
}

static inline int setup_all(void **state)
{
        (void)state;
        bench_bin = getenv("AB_BENCH") ? getenv("AB_BENCH") : "./bench";
        build_dir = getenv("AB_BUILD") ? getenv("AB_BUILD") : "build";
        if (!mkdtemp(tmpdir))
                return -1;
        if (run("--alloc=glibc", "--workload=calloc-sweep", "--set", "sizes=4k", "--set",
                "iterations=10", "--reps", "1", "-q", "-o", tmpfile_path("probe.json")) != 0)
                return -1;
        {
                json_t *d = load(tmpfile_path("probe.json"));
                generic = strcmp(jstr(d, "host.platform"), "generic") == 0;
                json_decref(d);
        }
        return 0;
}

static inline int teardown_all(void **state)
{
        char cmd[600];
        (void)state;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

/* Run i of a results document, its first point, a number field (NAN when
 * absent or not a number). */
static inline json_t *run_i(json_t *doc, size_t i)
{
        return json_array_get(json_object_get(doc, "runs"), i);
}

static inline json_t *point0(json_t *doc, size_t i)
{
        return json_array_get(json_object_get(run_i(doc, i), "points"), 0);
}

static inline double num(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Flags of `kind` in doc (any allocator when alloc is NULL). */
static inline size_t count_flags(json_t *doc, const char *kind, const char *alloc)
{
        json_t *f;
        size_t i, n = 0;
        json_array_foreach(json_object_get(doc, "flags"), i, f)
        {
                if (strcmp(jstr(f, "kind"), kind) == 0 &&
                    (!alloc || strcmp(jstr(f, "allocator"), alloc) == 0))
                        n++;
        }
        return n;
}

/* Run bench with -q -o NAME (in the temporary directory), then the list of
 * arguments; it must exit 0 or 4. Returns the results document. */
static inline json_t *run_doc(const char *name, const char *first, ...)
{
        const char *argv[64];
        const char *out = tmpfile_path(name);
        va_list ap;
        int n = 4, rc;
        /* first: the arguments may end with "-- PROGRAM ARGS" */
        argv[1] = "-q";
        argv[2] = "-o";
        argv[3] = out;
        va_start(ap, first);
        for (const char *a = first; a && n < 62; a = va_arg(ap, const char *))
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;
        rc = run_argv(NULL, argv);
        if (rc != 0 && rc != 4)
                fail_msg("bench exited %d: %s", rc, errtext);
        return load(out);
}

static inline char *lib(const char *name)
{
        static char buf[4][512];
        static int k;
        char *p = buf[k++ % 4];
        snprintf(p, 512, "--alloc=%s/lib%s.so", build_dir, name);
        return p;
}

/* Headless Chromium: is it installed, and the DOM of a page after its
 * scripts ran to dom, its log (console messages included) to log; the exit
 * code. */
static inline bool have_chromium(void)
{
        return system("command -v chromium >/dev/null 2>&1") == 0;
}

/* Open the page in headless Chromium; its DOM after the scripts ran goes to
 * dom, its log (console messages included) to log. Returns the exit code. */
static inline int chromium_dump(const char *page, const char *dom, const char *log)
{
        char url[700], profile[512], profarg[600];
        const char *argv[] = {"timeout",
                              "120",
                              "chromium",
                              "--headless",
                              "--no-sandbox",
                              "--disable-gpu",
                              "--disable-background-networking",
                              "--disable-component-update",
                              "--no-first-run",
                              "--enable-logging=stderr",
                              "--v=0",
                              profarg,
                              "--dump-dom",
                              url,
                              NULL};
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int st;
        snprintf(url, sizeof url, "file://%s", page);
        snprintf(profile, sizeof profile, "%s/chromium-profile", tmpdir);
        mkdir(profile, 0700);
        snprintf(profarg, sizeof profarg, "--user-data-dir=%s", profile);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, dom, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_int_equal(posix_spawnp(&pid, "timeout", &fa, NULL, (char **)argv, environ), 0);
        posix_spawn_file_actions_destroy(&fa);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* How often needle stands in hay. */
static inline size_t count_of(const char *hay, const char *needle)
{
        size_t n = 0;
        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

/* A whole file, malloc'd and NUL-terminated; fails the test when unreadable. */
static inline char *read_all(const char *path)
{
        FILE *f = fopen(path, "rb");
        long n;
        char *buf;
        if (!f)
                fail_msg("cannot open %s", path);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        buf = malloc((size_t)n + 1);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

#endif
