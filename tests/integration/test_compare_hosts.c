/*
 * End-to-end tests of bench compare's host view: a results file made by the
 * real ./bench, and edited copies of it as if made on other hosts (another
 * hostname, OS and C library, another jemalloc version, an environment
 * variable, one more option), compared two at a time (the view in the
 * table, the JSON and the CSV's last columns) and several at once
 * (--hosts). The copies keep the measurements, so every row's figures are
 * equal across hosts and what the view says differs is exactly what the
 * edits changed.
 */
#include "itest.h"

#define TMP(var, name)                                                                             \
        char var[512];                                                                             \
        snprintf(var, sizeof var, "%s/%s", tmpdir, name)

static bool made;

/* Another host: Alpine with musl, jemalloc 5.2.1, MALLOC_ARENA_MAX=1 in
 * every run, and --seed 1 on the command line. */
static void alpine(json_t *d)
{
        json_t *h = json_object_get(d, "host"), *r;
        size_t i;
        json_object_set_new(h, "hostname", json_string("alpine-ci"));
        json_object_set_new(h, "os", json_string("Alpine Linux v3.19"));
        json_object_set_new(h, "libc", json_string("musl 1.2.4"));
        json_array_foreach(json_object_get(d, "runs"), i, r)
        {
                if (strcmp(jstr(r, "allocator.name"), "jemalloc") == 0)
                        json_object_set_new(json_object_get(r, "allocator"), "version",
                                            json_string("5.2.1"));
                json_object_set_new(r, "env", json_pack("{s:s}", "MALLOC_ARENA_MAX", "1"));
        }
        json_array_append_new(json_object_get(d, "command"), json_string("--seed"));
        json_array_append_new(json_object_get(d, "command"), json_string("1"));
}

/* A third host: FreeBSD, whose jemalloc point at 64 KiB did other work
 * (another op_hash) and whose glibc point at 4 KiB is missing. */
static void freebsd(json_t *d)
{
        json_t *h = json_object_get(d, "host"), *r;
        size_t i;
        json_object_set_new(h, "hostname", json_string("bsd-box"));
        json_object_set_new(h, "os", json_string("FreeBSD 14.1"));
        json_object_set_new(h, "libc", json_null());
        json_array_foreach(json_object_get(d, "runs"), i, r)
        {
                json_t *pts = json_object_get(r, "points");
                if (strcmp(jstr(r, "allocator.name"), "jemalloc") == 0)
                        json_object_set_new(json_array_get(pts, 1), "op_hash",
                                            json_string("00000000deadbeef"));
                else
                        json_array_remove(pts, 0);
        }
}

static void make_files(void)
{
        json_t *d;
        if (made)
                return;
        d = run_doc("linux.json", "--alloc=glibc,jemalloc", "--workload=calloc-sweep", "--set",
                    "sizes=4k,64k", "--set", "iterations=64", "--reps", "3", NULL);
        json_decref(d);
        edited_copy("linux.json", "alpine.json", alpine);
        edited_copy("linux.json", "bsd.json", freebsd);
        made = true;
}

/* The difference entry `what` (of allocator alloc when not NULL), or NULL. */
static json_t *difference(json_t *view, const char *what, const char *alloc)
{
        json_t *d;
        size_t i;
        json_array_foreach(json_object_get(view, "differences"), i, d)
        {
                if (strcmp(jstr(d, "what"), what) == 0 &&
                    (!alloc || (jstr(d, "allocator") && strcmp(jstr(d, "allocator"), alloc) == 0)))
                        return d;
        }
        return NULL;
}

/* BASE and NEW from different hosts: the host view in the JSON, exactly
 * the edits as differences, every point side by side with equal figures. */
static void test_two_hosts_json(void **state)
{
        TMP(lin, "linux.json");
        TMP(alp, "alpine.json");
        json_t *rep, *view, *d, *w, *row;
        const char *host_fields[] = {"host.hostname", "host.os", "host.libc"};
        size_t i, ndiff = 0;
        (void)state;
        make_files();
        assert_int_equal(run("compare", "--format", "json", lin, alp), 0);
        rep = stdout_json();
        view = json_object_get(rep, "host_view");
        assert_true(json_is_object(view));
        assert_int_equal(json_array_size(json_object_get(view, "hosts")), 2);
        assert_string_equal(jstr(json_array_get(json_object_get(view, "hosts"), 1), "label"),
                            "alpine-ci");
        for (i = 0; i < 3; i++) {
                assert_non_null(difference(view, host_fields[i], NULL));
                ndiff++;
        }
        d = difference(view, "allocator.version", "jemalloc");
        assert_non_null(d);
        assert_string_equal(json_string_value(json_array_get(json_object_get(d, "values"), 1)),
                            "5.2.1");
        assert_null(difference(view, "allocator.version", "glibc"));
        d = difference(view, "env.MALLOC_ARENA_MAX", NULL);
        assert_non_null(d);
        assert_true(json_is_null(json_array_get(json_object_get(d, "values"), 0)));
        assert_non_null(difference(view, "options", NULL));
        ndiff += 3;
        /* nothing else differs: not the kernel, the CPU, the parameters */
        assert_int_equal(json_array_size(json_object_get(view, "differences")), ndiff);
        w = json_array_get(json_object_get(view, "workloads"), 0);
        assert_string_equal(jstr(w, "workload"), "calloc-sweep");
        assert_int_equal(json_array_size(json_object_get(view, "workloads")), 1);
        assert_int_equal(json_array_size(json_object_get(w, "rows")), 4);
        json_array_foreach(json_object_get(w, "rows"), i, row)
        {
                json_t *ns = json_object_get(row, "ns_per_op");
                assert_int_equal(json_array_size(ns), 2);
                assert_true(json_number_value(json_array_get(ns, 0)) > 0);
                assert_true(json_number_value(json_array_get(ns, 0)) ==
                            json_number_value(json_array_get(ns, 1)));
                assert_true(json_number_value(json_object_get(row, "ratio")) == 1.0);
                assert_true(json_is_true(json_object_get(row, "same_work")));
        }
        /* the verdicts go on as before */
        assert_int_equal(json_array_size(json_object_get(rep, "points")), 4);
        assert_int_equal(json_array_size(json_object_get(rep, "host_differences")), 3);
        json_decref(rep);
        /* one host: no view */
        assert_int_equal(run("compare", "--format", "json", lin, lin), 0);
        rep = stdout_json();
        assert_true(json_is_null(json_object_get(rep, "host_view")));
        json_decref(rep);
}

/* The table: the hosts side by side, what differs, a row per point with
 * each host's figures. */
static void test_two_hosts_table(void **state)
{
        TMP(lin, "linux.json");
        TMP(alp, "alpine.json");
        const char *view, *rows;
        (void)state;
        make_files();
        assert_int_equal(run("compare", lin, alp), 0);
        view = strstr(outtext, "host view: the same workloads side by side on 2 hosts");
        assert_non_null(view);
        assert_non_null(strstr(outtext, "hosts differ in hostname, os, libc"));
        assert_non_null(strstr(view, "alpine-ci"));
        assert_non_null(strstr(view, "* libc"));
        assert_non_null(strstr(view, "musl 1.2.4"));
        assert_null(strstr(view, "* kernel"));
        assert_non_null(strstr(view, "allocator.version (jemalloc): "));
        assert_non_null(strstr(view, "| 5.2.1"));
        assert_non_null(strstr(view, "env.MALLOC_ARENA_MAX: - | 1"));
        assert_non_null(strstr(view, "options (the words that differ): (none) | --seed 1"));
        rows = strstr(view, "\ncalloc-sweep\n");
        assert_non_null(rows);
        assert_int_equal(count_of(rows, "\n  glibc "), 2);
        assert_int_equal(count_of(rows, "\n  jemalloc "), 2);
        assert_int_equal(count_of(rows, "1.000x"), 4);
        assert_null(strstr(view, "different work"));
        assert_int_equal(run("compare", lin, lin), 0);
        assert_null(strstr(outtext, "host view"));
}

/* The CSV: the old columns where they were, the host columns appended. */
static void test_two_hosts_csv(void **state)
{
        static const char old_columns[] =
            "allocator,workload,point,base_reps,new_reps,base_median_ns,new_median_ns,ratio,"
            "ratio_ci_lo,ratio_ci_hi,p,verdict,base_rss_kib,new_rss_kib,base_vsz_kib,new_vsz_kib,"
            "base_pte_kib,new_pte_kib,base_peak_rss_kib,new_peak_rss_kib,base_minflt_per_op,"
            "new_minflt_per_op,kind,site,base_left_per_round,new_left_per_round,site_change,"
            "site_regression,";
        TMP(lin, "linux.json");
        TMP(alp, "alpine.json");
        char *line, *save;
        size_t rows = 0;
        (void)state;
        make_files();
        assert_int_equal(run("compare", "--format", "csv", lin, alp), 0);
        line = strtok_r(outtext, "\n", &save);
        assert_non_null(line);
        assert_int_equal(strncmp(line, old_columns, strlen(old_columns)), 0);
        assert_string_equal(line + strlen(old_columns), "base_host,new_host,host_differs");
        while ((line = strtok_r(NULL, "\n", &save))) {
                const char *jemalloc = strncmp(line, "jemalloc,", 9) == 0 ? line : NULL;
                rows++;
                assert_non_null(strstr(line, ",point,,,,,"));
                assert_non_null(strstr(line, ",alpine-ci,host.hostname;host.os;host.libc;"));
                assert_non_null(strstr(line, "env.MALLOC_ARENA_MAX;options"));
                /* the version is jemalloc's difference only */
                assert_true(!strstr(line, "allocator.version") == !jemalloc);
        }
        assert_int_equal(rows, 4);
        assert_int_equal(run("compare", "--format", "csv", lin, lin), 0);
        assert_non_null(strstr(outtext, ",point,,,,,"));
        assert_int_equal(count_of(outtext, ",point,,,,,"), 4);
        {
                /* one host: its name twice, nothing differing */
                json_t *d = load(lin);
                char tail[300];
                snprintf(tail, sizeof tail, ",%s,%s,\n", jstr(d, "host.hostname"),
                         jstr(d, "host.hostname"));
                assert_int_equal(count_of(outtext, tail), 4);
                json_decref(d);
        }
}

/* --hosts: three files side by side; a point one lacks, a point done
 * differently; JSON, table and CSV. */
static void test_three_hosts(void **state)
{
        TMP(lin, "linux.json");
        TMP(alp, "alpine.json");
        TMP(bsd, "bsd.json");
        json_t *v, *rows, *row;
        size_t i, missing = 0, different = 0;
        (void)state;
        make_files();
        assert_int_equal(run("compare", "--hosts", "--format", "json", lin, alp, bsd), 0);
        v = stdout_json();
        assert_string_equal(jstr(v, "schema"), "allocbench/compare-hosts/1");
        assert_int_equal(json_array_size(json_object_get(v, "hosts")), 3);
        assert_non_null(difference(v, "host.os", NULL));
        assert_int_equal(json_array_size(json_object_get(difference(v, "host.os", NULL), "values")),
                         3);
        rows = jpath(json_array_get(json_object_get(v, "workloads"), 0), "rows");
        assert_int_equal(json_array_size(rows), 4);
        json_array_foreach(rows, i, row)
        {
                json_t *ns = json_object_get(row, "ns_per_op");
                missing += json_is_null(json_array_get(ns, 2));
                different += json_is_false(json_object_get(row, "same_work"));
        }
        assert_int_equal(missing, 1);   /* glibc at 4 KiB */
        assert_int_equal(different, 1); /* jemalloc at 64 KiB */
        json_decref(v);
        assert_int_equal(run("compare", "--hosts", lin, alp, bsd), 0);
        assert_non_null(strstr(outtext, "side by side on 3 hosts"));
        assert_non_null(strstr(outtext, "bsd-box"));
        assert_non_null(strstr(outtext, "FreeBSD 14.1"));
        assert_int_equal(count_of(outtext, "(different work)"), 1);
        assert_int_equal(run("compare", "--hosts", "--format", "csv", lin, alp, bsd), 0);
        assert_int_equal(count_of(outtext, "\n"), 1 + 4 * 3);
        assert_int_equal(count_of(outtext, ",bsd-box,"), 4);
}

/* Bad input: --hosts with one file, three files without --hosts. */
static void test_hosts_bad_input(void **state)
{
        TMP(lin, "linux.json");
        TMP(alp, "alpine.json");
        (void)state;
        make_files();
        assert_int_equal(run("compare", "--hosts", lin), 1);
        assert_non_null(strstr(errtext, "accepted: two or more"));
        assert_int_equal(run("compare", lin, alp, lin), 1);
        assert_non_null(strstr(errtext, "--hosts takes more"));
        assert_int_equal(run("compare", "--hosts", lin, tmpfile_path("none.json")), 1);
        assert_non_null(strstr(errtext, "none.json"));
        assert_string_equal(outtext, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_two_hosts_json),  cmocka_unit_test(test_two_hosts_table),
            cmocka_unit_test(test_two_hosts_csv),   cmocka_unit_test(test_three_hosts),
            cmocka_unit_test(test_hosts_bad_input),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
