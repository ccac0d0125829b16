/*
 * test_procfs.c - the Linux prim layer: /proc/PID/status parsing on saved
 * fixtures (tests/fixtures/, opened relative to tests/, where `make check`
 * runs the tests), live memory figures, and CPU binding.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "prim/prim.h"


/* Read a fixture into a malloc'd buffer that is NOT NUL-terminated, so a
 * parser that reads past len is caught by sanitizers and valgrind. */
static char *load(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;
        if (!f)
                fail_msg("cannot open %s (run from tests/)", path);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        assert_true(n > 0);
        buf = malloc((size_t)n);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        *len = (size_t)n;
        return buf;
}

static void poison(struct ab_mem *m)
{
        m->rss_kib = m->vsz_kib = m->pte_kib = m->hwm_kib = 123456789;
}

/* ---- ab_prim_parse_status on fixtures ------------------------------------ */

static void test_status_real(void **state)
{
        /* A real /proc/self/status of a python3 that touched 64 MiB and freed
         * it, so all four figures differ. */
        size_t len;
        char *buf = load("fixtures/proc_status_linux.txt", &len);
        struct ab_mem m;
        (void)state;
        poison(&m);
        assert_int_equal(ab_prim_parse_status(buf, len, &m), 0);
        assert_int_equal(m.rss_kib, 13612);
        assert_int_equal(m.vsz_kib, 16572); /* VmSize, not VmPeak (82112) */
        assert_int_equal(m.pte_kib, 72);
        assert_int_equal(m.hwm_kib, 79056);
        free(buf);
}

static void test_status_missing_pte(void **state)
{
        size_t len;
        char *buf = load("fixtures/proc_status_no_pte.txt", &len);
        struct ab_mem m;
        (void)state;
        poison(&m);
        assert_int_equal(ab_prim_parse_status(buf, len, &m), 0);
        assert_int_equal(m.rss_kib, 40960);
        assert_int_equal(m.vsz_kib, 204800);
        assert_int_equal(m.hwm_kib, 51200);
        assert_int_equal(m.pte_kib, AB_UNKNOWN); /* absent: unknown, never 0 */
        free(buf);
}

static void test_status_truncated(void **state)
{
        /* The real fixture cut in the middle of the VmRSS line, after the key
         * and before the number: what precedes is intact, the rest unknown. */
        size_t len;
        char *buf = load("fixtures/proc_status_truncated.txt", &len);
        struct ab_mem m;
        (void)state;
        assert_true(buf[len - 1] != '\n');
        poison(&m);
        assert_int_equal(ab_prim_parse_status(buf, len, &m), 0);
        assert_int_equal(m.vsz_kib, 16572);
        assert_int_equal(m.hwm_kib, 79056);
        assert_int_equal(m.rss_kib, AB_UNKNOWN);
        assert_int_equal(m.pte_kib, AB_UNKNOWN);
        free(buf);
}

static void test_status_respects_len(void **state)
{
        /* Only buf[0..len) counts: cut the real fixture just before VmPTE. */
        size_t len;
        char *buf = load("fixtures/proc_status_linux.txt", &len);
        char *pte = memmem(buf, len, "\nVmPTE:", 7);
        struct ab_mem m;
        (void)state;
        assert_non_null(pte);
        poison(&m);
        assert_int_equal(ab_prim_parse_status(buf, (size_t)(pte - buf) + 1, &m), 0);
        assert_int_equal(m.rss_kib, 13612);
        assert_int_equal(m.pte_kib, AB_UNKNOWN);
        poison(&m);
        assert_int_equal(ab_prim_parse_status(buf, 0, &m), 0);
        assert_int_equal(m.rss_kib, AB_UNKNOWN);
        assert_int_equal(m.vsz_kib, AB_UNKNOWN);
        assert_int_equal(m.pte_kib, AB_UNKNOWN);
        assert_int_equal(m.hwm_kib, AB_UNKNOWN);
        free(buf);
}

static void test_status_keys_whole(void **state)
{
        /* a key is matched whole, at line start and followed by ':' -
         * "XVmRSS:", "VmRSSx:", "VmHWM 6" and a value mentioning a key are
         * not figures; a key without a number is unknown */
        static const char txt[] = "XVmRSS:\t 1 kB\n"
                                  "VmRSSx:\t 2 kB\n"
                                  "VmRSSx 4 kB\n"
                                  "VmHWM 6 kB\n"
                                  "Name:\tVmRSS: 3 kB\n"
                                  "VmSize:\t\n"
                                  "VmHWM:  abc kB\n"
                                  "VmPTE:\t 5 kB\n";
        struct ab_mem m;
        (void)state;
        poison(&m);
        assert_int_equal(ab_prim_parse_status(txt, sizeof txt - 1, &m), 0);
        assert_int_equal(m.rss_kib, AB_UNKNOWN);
        assert_int_equal(m.vsz_kib, AB_UNKNOWN);
        assert_int_equal(m.hwm_kib, AB_UNKNOWN);
        assert_int_equal(m.pte_kib, 5);
}

/* ---- live figures -------------------------------------------------------- */

static void test_mem_self(void **state)
{
        struct ab_mem m;
        (void)state;
        poison(&m);
        assert_int_equal(ab_prim_mem_self(&m), 0);
        assert_true(m.rss_kib > 0);
        assert_true(m.vsz_kib >= m.rss_kib);
        assert_true(m.hwm_kib >= m.rss_kib);
        assert_true(m.pte_kib >= 0);
        assert_true(m.rss_kib != 123456789);
}

static void test_mem_self_sees_growth(void **state)
{
        /* touching 32 MiB raises the resident set by about that much */
        struct ab_mem before, after;
        size_t n = 32u << 20;
        volatile char *p;
        (void)state;
        assert_int_equal(ab_prim_mem_self(&before), 0);
        p = malloc(n);
        assert_non_null(p);
        for (size_t i = 0; i < n; i += 4096)
                p[i] = 1;
        assert_int_equal(ab_prim_mem_self(&after), 0);
        assert_true(after.rss_kib - before.rss_kib >= 30 * 1024);
        free((void *)p);
}

static int64_t absdiff(int64_t a, int64_t b)
{
        return a > b ? a - b : b - a;
}

static void test_mem_pid_self_agrees(void **state)
{
        struct ab_mem s, p;
        (void)state;
        assert_int_equal(ab_prim_mem_self(&s), 0);
        poison(&p);
        assert_int_equal(ab_prim_mem_pid(getpid(), &p), 0);
        assert_true(p.rss_kib > 0);
        assert_true(p.vsz_kib >= p.rss_kib);
        if (absdiff(p.rss_kib, s.rss_kib) * 10 > s.rss_kib)
                fail_msg("rss: mem_pid %lld KiB, mem_self %lld KiB", (long long)p.rss_kib,
                         (long long)s.rss_kib);
        if (absdiff(p.vsz_kib, s.vsz_kib) * 10 > s.vsz_kib)
                fail_msg("vsz: mem_pid %lld KiB, mem_self %lld KiB", (long long)p.vsz_kib,
                         (long long)s.vsz_kib);
        /* pte/hwm may be unknown from outside, but never left stale */
        assert_true(p.pte_kib == AB_UNKNOWN || (p.pte_kib >= 0 && p.pte_kib != 123456789));
        assert_true(p.hwm_kib == AB_UNKNOWN || (p.hwm_kib >= 0 && p.hwm_kib != 123456789));
}

static void test_mem_pid_gone(void **state)
{
        struct ab_mem m;
        int status;
        pid_t pid;
        (void)state;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        poison(&m);
        assert_int_equal(ab_prim_mem_pid(pid, &m), -ESRCH);
        assert_int_equal(m.rss_kib, AB_UNKNOWN);
        assert_int_equal(m.vsz_kib, AB_UNKNOWN);
        assert_int_equal(m.pte_kib, AB_UNKNOWN);
        assert_int_equal(m.hwm_kib, AB_UNKNOWN);
}

/* ---- CPU binding --------------------------------------------------------- */

static void test_bind_cpus(void **state)
{
        cpu_set_t saved, now;
        (void)state;
        assert_int_equal(sched_getaffinity(0, sizeof saved, &saved), 0);
        if (!CPU_ISSET(0, &saved))
                skip(); /* CPU 0 is not ours to use here */

        assert_int_equal(ab_prim_bind_cpus("0"), 0);
        assert_int_equal(sched_getaffinity(0, sizeof now, &now), 0);
        assert_int_equal(CPU_COUNT(&now), 1);
        assert_true(CPU_ISSET(0, &now));

        assert_int_equal(ab_prim_bind_cpus("x"), -EINVAL);
        assert_int_equal(ab_prim_bind_cpus("3-1"), -EINVAL);
        assert_int_equal(ab_prim_bind_cpus("0-"), -EINVAL);
        assert_int_equal(ab_prim_bind_cpus("0;1"), -EINVAL);
        assert_int_equal(ab_prim_bind_cpus("-1"), -EINVAL);
        assert_int_equal(ab_prim_bind_cpus("0,3-1"), -EINVAL); /* one bad item spoils the list */
        /* a rejected list leaves the binding alone */
        assert_int_equal(sched_getaffinity(0, sizeof now, &now), 0);
        assert_int_equal(CPU_COUNT(&now), 1);

        assert_int_equal(sched_setaffinity(0, sizeof saved, &saved), 0);
}

static void test_bind_cpus_range(void **state)
{
        cpu_set_t saved, now;
        (void)state;
        assert_int_equal(sched_getaffinity(0, sizeof saved, &saved), 0);
        if (!CPU_ISSET(0, &saved) || !CPU_ISSET(1, &saved))
                skip();
        assert_int_equal(ab_prim_bind_cpus("0-1"), 0);
        assert_int_equal(sched_getaffinity(0, sizeof now, &now), 0);
        assert_int_equal(CPU_COUNT(&now), 2);
        assert_int_equal(ab_prim_bind_cpus("1,0"), 0);
        assert_int_equal(sched_getaffinity(0, sizeof now, &now), 0);
        assert_int_equal(CPU_COUNT(&now), 2);
        assert_int_equal(sched_setaffinity(0, sizeof saved, &saved), 0);
}

/* Call ab_prim_bind_cpus(list) in a child (it may crash, and must not move
 * this process); true when the child saw -EINVAL. */
static bool bind_rejects(const char *list)
{
        int status;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(ab_prim_bind_cpus(list) == -EINVAL ? 0 : 1);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFSIGNALED(status))
                fail_msg("ab_prim_bind_cpus(\"%s\") killed the process with signal %d", list,
                         WTERMSIG(status));
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_bind_cpus_overflow(void **state)
{
        /* CPU numbers too large for the parser's long must be rejected, not
         * wrapped: 2^64 must not become CPU 0, nor 2^63 a negative index.
         * `bench run --cpus` lets any digits through to the child. */
        (void)state;
        if (!bind_rejects("18446744073709551616"))
                fail_msg("\"18446744073709551616\" (2^64) accepted; expected -EINVAL");
        if (!bind_rejects("9223372036854775808"))
                fail_msg("\"9223372036854775808\" (2^63) accepted; expected -EINVAL");
        if (!bind_rejects("0-18446744073709551617"))
                fail_msg("\"0-18446744073709551617\" accepted; expected -EINVAL");
        assert_true(bind_rejects("99999999999999999999999"));
        assert_true(bind_rejects("1024")); /* CPU_SETSIZE */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_status_real),
                cmocka_unit_test(test_status_missing_pte),
                cmocka_unit_test(test_status_truncated),
                cmocka_unit_test(test_status_respects_len),
                cmocka_unit_test(test_status_keys_whole),
                cmocka_unit_test(test_mem_self),
                cmocka_unit_test(test_mem_self_sees_growth),
                cmocka_unit_test(test_mem_pid_self_agrees),
                cmocka_unit_test(test_mem_pid_gone),
                cmocka_unit_test(test_bind_cpus),
                cmocka_unit_test(test_bind_cpus_range),
                cmocka_unit_test(test_bind_cpus_overflow),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
