/*
 * End-to-end tests of bench plot: make small results files with the real
 * ./bench, draw them, and check every figure promised is there and whole (a
 * PNG of the configured size, an SVG naming the allocators, the .dat it was
 * drawn from), that bad input writes nothing, and that the redraw command kept
 * in a .dat redraws the figure. Environment: AB_BENCH (default ./bench) and
 * AB_BUILD (default build) name the binaries under test.
 */
#include <dirent.h>
#include <stdint.h>
#include <time.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include "itest.h"

/* What plot.c configures for every PNG. */
#define PNG_W 1000
#define PNG_H 650

/* ---- helpers ---------------------------------------------------------------- */

/* tmpdir/NAME, created. */
static const char *subdir(const char *name)
{
        const char *d = tmpfile_path(name);
        if (mkdir(d, 0755) != 0 && errno != EEXIST)
                fail_msg("mkdir %s: %s", d, strerror(errno));
        return d;
}

static char *path_in(const char *dir, const char *name)
{
        static char buf[8][1024];
        static int k;
        char *p = buf[k++ % 8];
        snprintf(p, 1024, "%s/%s", dir, name);
        return p;
}

/* The whole file, malloc'd (NULL when unreadable). */
static char *read_file_len(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;
        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
        }
        if (buf)
                buf[n] = '\0';
        fclose(f);
        if (len)
                *len = (size_t)n;
        return buf;
}

static bool file_has(const char *path, const char *needle)
{
        char *s = read_file_len(path, NULL);
        bool r = s && strstr(s, needle);
        free(s);
        return r;
}

/* A PNG: the 8-byte signature, then IHDR first with the size. */
static void assert_png(const char *path, uint32_t w, uint32_t h)
{
        static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        unsigned char b[24];
        FILE *f = fopen(path, "rb");
        size_t n;
        if (!f)
                fail_msg("%s: %s", path, strerror(errno));
        n = fread(b, 1, sizeof b, f);
        fclose(f);
        assert_int_equal(n, sizeof b);
        assert_memory_equal(b, sig, 8);
        assert_memory_equal(b + 12, "IHDR", 4);
        assert_int_equal(
            (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19], w);
        assert_int_equal(
            (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23], h);
}

/* An SVG document: an XML declaration or <svg first, closed at the end. */
static void assert_svg(const char *path)
{
        char *s = read_file_len(path, NULL), *p;
        if (!s)
                fail_msg("%s: %s", path, strerror(errno));
        p = s + strspn(s, " \t\r\n");
        assert_true(strncmp(p, "<?xml", 5) == 0 || strncmp(p, "<svg", 4) == 0);
        assert_non_null(strstr(p, "<svg"));
        assert_non_null(strstr(p, "</svg>"));
        free(s);
}

/* Figure STEM in dir: PNG, SVG and .dat there, both images on stdout; the
 * SVG names each of `names` (NULL-terminated). */
static void assert_figure(const char *dir, const char *stem, const char *const *names)
{
        char png[1024], svg[1024], dat[1024], line[1100];
        snprintf(png, sizeof png, "%s/%s.png", dir, stem);
        snprintf(svg, sizeof svg, "%s/%s.svg", dir, stem);
        snprintf(dat, sizeof dat, "%s/%s.dat", dir, stem);
        if (!exists(png))
                fail_msg("no %s; stdout:\n%s\nstderr:\n%s", png, outtext, errtext);
        assert_png(png, PNG_W, PNG_H);
        assert_svg(svg);
        assert_true(exists(dat));
        assert_true(file_has(dat, "# redraw: gnuplot -e "));
        snprintf(line, sizeof line, "%s\n", png);
        assert_non_null(strstr(outtext, line));
        snprintf(line, sizeof line, "%s\n", svg);
        assert_non_null(strstr(outtext, line));
        for (size_t i = 0; names && names[i]; i++) {
                if (!file_has(svg, names[i]))
                        fail_msg("%s does not name %s", svg, names[i]);
        }
}

/* Entries of dir (not . and ..), and whether one is a leftover temporary. */
static size_t dir_entries(const char *dir, bool *tmp_left)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        size_t n = 0;
        if (tmp_left)
                *tmp_left = false;
        assert_non_null(d);
        while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                n++;
                if (tmp_left && strstr(e->d_name, ".tmp"))
                        *tmp_left = true;
        }
        closedir(d);
        return n;
}

/* Lines of stdout: every figure prints its PNG and its SVG. */
static size_t out_lines(void)
{
        size_t n = 0;
        for (const char *p = outtext; *p; p++)
                n += *p == '\n';
        return n;
}

/* Copy src to dst with host.hostname set to `host`, and optionally an extra flag. */
static void copy_as_host(const char *src, const char *dst, const char *host, json_t *flag)
{
        json_t *doc = load(src);
        json_object_set_new(json_object_get(doc, "host"), "hostname", json_string(host));
        if (flag)
                json_array_append(json_object_get(doc, "flags"), flag);
        assert_int_equal(json_dump_file(doc, dst, JSON_INDENT(1)), 0);
        json_decref(doc);
}

/* The rows of the .dat block titled `title` ("glibc"), as text. */
static char *dat_block(const char *dat, const char *title)
{
        char *s = read_file_len(dat, NULL), *b, *end, want[256];
        if (!s)
                fail_msg("%s: %s", dat, strerror(errno));
        snprintf(want, sizeof want, "\n\"%s\"\n", title);
        b = strstr(s, want);
        if (!b) {
                free(s);
                return NULL;
        }
        b += strlen(want);
        end = strstr(b, "\n\n\n");
        memmove(s, b, end ? (size_t)(end - b) + 1 : strlen(b) + 1);
        if (end)
                s[end - b + 1] = '\0';
        return s;
}

/* The timeline figures of the runs in results file `base`.json: one for
 * each run with a sample, none for a run without (the note says why).
 * Returns how many. */
static size_t assert_timelines(const char *dir, const char *results, const char *base)
{
        json_t *doc = load(results), *run;
        size_t i, n = 0;
        json_array_foreach(json_object_get(doc, "runs"), i, run)
        {
                json_t *smp;
                size_t k;
                bool sampled = false;
                char stem[256], png[1024];
                json_array_foreach(json_object_get(run, "timeline"), k, smp)
                {
                        sampled |= json_is_number(json_array_get(smp, 1)) ||
                                   json_is_number(json_array_get(smp, 2));
                }
                snprintf(stem, sizeof stem, "%s-%s-%s-timeline", base, jstr(run, "allocator.name"),
                         jstr(run, "workload.name"));
                snprintf(png, sizeof png, "%s/%s.png", dir, stem);
                if (sampled) {
                        assert_figure(dir, stem, NULL);
                        n++;
                } else {
                        assert_false(exists(png));
                        assert_non_null(strstr(errtext, "no timeline samples"));
                }
        }
        json_decref(doc);
        return n;
}

/* ---- the results the tests draw ----------------------------------------------- */

static char cs_dir[600], rounds_dir[600];

/* calloc-sweep of glibc and jemalloc, 4 KiB..1 MiB (5 sizes), in cs/cs.json. */
static void make_calloc(void)
{
        static bool made;
        if (made)
                return;
        snprintf(cs_dir, sizeof cs_dir, "%s", subdir("cs"));
        assert_int_equal(run("--alloc=glibc,jemalloc", "--workload=calloc-sweep", "--set",
                             "sizes=4k..1M*4", "--set", "iterations=200", "--reps", "3", "-q", "-o",
                             path_in(cs_dir, "cs.json")),
                         0);
        made = true;
}

/* conn-leak (glibc, jemalloc), arena-churn (glibc, jemalloc), mmap-sweep
 * (glibc), small, in rounds/. */
static void make_rounds(void)
{
        static bool made;
        int rc;
        if (made)
                return;
        snprintf(rounds_dir, sizeof rounds_dir, "%s", subdir("rounds"));
        rc = run("--alloc=glibc,jemalloc", "--workload=conn-leak", "--set", "rounds=6", "--set",
                 "settle_ms=0", "--reps", "2", "--sample-ms", "1", "-q", "-o",
                 path_in(rounds_dir, "cl.json"));
        assert_int_equal(rc, 0);
        rc = run("--alloc=glibc,jemalloc", "--workload=arena-churn", "--set", "ops=2000",
                 "--threads", "2", "--reps", "2", "--sample-ms", "1", "-q", "-o",
                 path_in(rounds_dir, "ac.json"));
        assert_int_equal(rc, 0);
        rc = run("--workload=mmap-sweep", "--set", "reserve=64M", "--set", "commit=8M", "--set",
                 "touch=4M", "--set", "rounds=6", "--reps", "2", "--sample-ms", "1", "-q", "-o",
                 path_in(rounds_dir, "ms.json"));
        assert_int_equal(rc, 0);
        made = true;
}

/* ---- tests ------------------------------------------------------------------------ */

/* calloc-sweep: time and faults against size, a timeline per run; the data
 * holds one block per allocator with every size, the memset reference from
 * the calibration, and the flags of the file. */
static void test_calloc_sweep(void **state)
{
        static const char *const names[] = {"glibc", "jemalloc", NULL};
        const char *out;
        json_t *doc, *cal, *flags, *fl;
        char *rows;
        bool tmp_left;
        size_t i, figures = 2;
        (void)state;
        make_calloc();
        assert_int_equal(run("plot", path_in(cs_dir, "cs.json")), 0);
        assert_figure(cs_dir, "cs-calloc-sweep-ns", names);
        assert_figure(cs_dir, "cs-calloc-sweep-faults", names);
        figures += assert_timelines(cs_dir, path_in(cs_dir, "cs.json"), "cs");
        assert_int_equal(out_lines(), 2 * figures);
        /* nothing else: results, and per figure .png .svg .dat; no temporaries */
        assert_int_equal(dir_entries(cs_dir, &tmp_left), 1 + 3 * figures);
        assert_false(tmp_left);
        assert_null(strstr(errtext, "arning")); /* gnuplot drew without complaint */

        out = path_in(cs_dir, "cs-calloc-sweep-ns.dat");
        for (i = 0; names[i]; i++) {
                rows = dat_block(out, names[i]);
                assert_non_null(rows);
                assert_true(strncmp(rows, "4096 ", 5) == 0);
                assert_non_null(strstr(rows, "\n16384 "));
                assert_non_null(strstr(rows, "\n65536 "));
                assert_non_null(strstr(rows, "\n1048576 "));
                free(rows);
        }
        /* memset of 4 KiB at the calibrated bandwidth: size / bytes_per_ns */
        doc = load(path_in(cs_dir, "cs.json"));
        cal = json_object_get(json_object_get(doc, "calibration"), "memset_bytes_per_ns");
        rows = dat_block(out, "memset of the size (calibrated)");
        if (json_is_number(json_object_get(cal, "4096"))) {
                double want = 4096 / json_number_value(json_object_get(cal, "4096")), got;
                assert_non_null(rows);
                assert_int_equal(sscanf(rows, "4096 %lf", &got), 1);
                assert_true(got > want * 0.999999 && got < want * 1.000001);
        }
        free(rows);
        /* every calloc-zeroing or size-cliff flag of the file is marked */
        flags = json_object_get(doc, "flags");
        json_array_foreach(flags, i, fl)
        {
                const char *kind = jstr(fl, "kind");
                char title[64];
                if (strcmp(kind, "calloc-zeroing") != 0 && strcmp(kind, "size-cliff") != 0)
                        continue;
                snprintf(title, sizeof title, "flagged: %s", kind);
                rows = dat_block(out, title);
                assert_non_null(rows);
                free(rows);
        }
        json_decref(doc);
        /* faults: one line of pages per block for reference */
        assert_true(file_has(path_in(cs_dir, "cs-calloc-sweep-faults.dat"),
                             "\"one fault per 4 KiB page\""));
}

/* Round workloads: the rounds figure; arena-churn: its bars; every run: a
 * timeline. Written in -o DIR, created when missing. */
static void test_rounds_bars_timelines(void **state)
{
        static const char *const two[] = {"glibc", "jemalloc", NULL};
        static const char *const one[] = {"glibc", NULL};
        const char *dir = tmpfile_path("rounds-figs");
        bool tmp_left;
        size_t figures = 3;
        char *rows;
        (void)state;
        make_rounds();
        assert_false(exists(dir));
        assert_int_equal(run("plot", path_in(rounds_dir, "cl.json"), path_in(rounds_dir, "ac.json"),
                             path_in(rounds_dir, "ms.json"), "-o", dir),
                         0);
        assert_figure(dir, "cl-conn-leak-rounds", two);
        assert_figure(dir, "ac-arena-churn-rounds", two);
        assert_figure(dir, "ms-mmap-sweep-rounds", one);
        if (!generic) {
                assert_figure(dir, "ac-arena-churn-memory", two);
                figures++;
        } else {
                assert_non_null(strstr(errtext, "no VSZ or RSS measured"));
        }
        {
                size_t tl = assert_timelines(dir, path_in(rounds_dir, "cl.json"), "cl") +
                            assert_timelines(dir, path_in(rounds_dir, "ac.json"), "ac") +
                            assert_timelines(dir, path_in(rounds_dir, "ms.json"), "ms");
                /* sampled every millisecond: some process was seen */
                if (!generic)
                        assert_true(tl > 0);
                figures += tl;
        }
        assert_int_equal(out_lines(), 2 * figures);
        assert_int_equal(dir_entries(dir, &tmp_left), 3 * figures);
        assert_false(tmp_left);
        assert_null(strstr(errtext, "arning"));
        /* nothing next to the results when -o is given */
        assert_false(exists(path_in(rounds_dir, "cl-conn-leak-rounds.png")));
        /* conn-leak: rounds 0..5 of each allocator, live bytes counted exactly */
        rows = dat_block(path_in(dir, "cl-conn-leak-rounds.dat"), "glibc");
        assert_non_null(rows);
        assert_true(strncmp(rows, "0 ", 2) == 0);
        assert_non_null(strstr(rows, "\n5 "));
        assert_null(strstr(rows, "\n6 "));
        free(rows);
}

/* Two files from different hosts: one calloc-sweep figure with a line per
 * allocator and host, named after both files; a flag added to one file is
 * circled at its point. */
static void test_several_hosts(void **state)
{
        const char *dir = subdir("hosts");
        json_t *doc = NULL, *flag;
        char a[1024], b[1024], title[256], *rows;
        (void)state;
        make_calloc();
        doc = load(path_in(cs_dir, "cs.json"));
        snprintf(a, sizeof a, "%s", path_in(dir, "a.json"));
        snprintf(b, sizeof b, "%s", path_in(dir, "b.json"));
        copy_as_host(path_in(cs_dir, "cs.json"), a, "host-a", NULL);
        flag = json_pack("{s:s,s:s,s:s,s:s,s:{s:i},s:{s:i,s:i},s:s,s:s}", "kind", "size-cliff",
                         "severity", "warn", "allocator", "jemalloc", "workload", "calloc-sweep",
                         "where", "size", 16384, "evidence", "from_size", 4096, "to_size", 16384,
                         "message", "test", "hint", "test");
        copy_as_host(path_in(cs_dir, "cs.json"), b, "host-b", flag);
        json_decref(flag);
        assert_int_equal(run("plot", a, b), 0);
        assert_figure(dir, "a+b-calloc-sweep-ns",
                      (const char *const[]){"glibc @ host-a", "glibc @ host-b", "jemalloc @ host-a",
                                            "jemalloc @ host-b", "memset @ host-a", NULL});
        assert_figure(dir, "a+b-calloc-sweep-faults",
                      (const char *const[]){"glibc @ host-a", "jemalloc @ host-b", NULL});
        /* the added flag: jemalloc's 16 KiB point on host-b */
        rows = dat_block(path_in(dir, "a+b-calloc-sweep-ns.dat"), "flagged: size-cliff");
        assert_non_null(rows);
        {
                json_t *runs = json_object_get(doc, "runs"), *r;
                size_t i;
                json_array_foreach(runs, i, r)
                {
                        if (strcmp(jstr(r, "allocator.name"), "jemalloc") != 0)
                                continue;
                        snprintf(
                            title, sizeof title, "16384 %.10g\n",
                            json_number_value(json_object_get(
                                json_object_get(json_array_get(json_object_get(r, "points"), 1),
                                                "ns_per_op"),
                                "median")));
                        assert_non_null(strstr(rows, title));
                }
        }
        free(rows);
        json_decref(doc);
        /* one host, two files: the legend tells the files apart */
        copy_as_host(path_in(cs_dir, "cs.json"), b, "host-a", NULL);
        assert_int_equal(run("plot", a, b, "-o", subdir("samehost")), 0);
        assert_true(
            file_has(path_in(tmpfile_path("samehost"), "a+b-calloc-sweep-ns.svg"), "glibc (a)"));
        assert_true(
            file_has(path_in(tmpfile_path("samehost"), "a+b-calloc-sweep-ns.svg"), "glibc (b)"));
}

/* The .dat keeps the command that redraws the figure from it and plots/. */
static void test_redraw(void **state)
{
        char *s, *line, *end, cmd[8192];
        const char *png = path_in(cs_dir, "cs-calloc-sweep-faults.png");
        (void)state;
        make_calloc();
        if (!exists(png))
                assert_int_equal(run("plot", path_in(cs_dir, "cs.json")), 0);
        s = read_file_len(path_in(cs_dir, "cs-calloc-sweep-faults.dat"), NULL);
        assert_non_null(s);
        line = strstr(s, "# redraw: ");
        assert_non_null(line);
        line += strlen("# redraw: ");
        end = strchr(line, '\n');
        assert_non_null(end);
        *end = '\0';
        assert_int_equal(unlink(png), 0);
        snprintf(cmd, sizeof cmd, "%s 2>/dev/null", line);
        assert_int_equal(system(cmd), 0);
        assert_png(png, PNG_W, PNG_H);
        free(s);
}

/* Bad input: a message naming the problem and the accepted form, exit 1,
 * and nothing written. */
static void test_bad_input(void **state)
{
        const char *dir = subdir("bad");
        const char *bad = path_in(dir, "bad.json"), *empty = path_in(dir, "empty.json"),
                   *notdir = path_in(dir, "plain");
        char good[1024];
        char *envp[] = {"PATH=/nonexistent", NULL};
        FILE *f;
        (void)state;
        make_calloc();
        snprintf(good, sizeof good, "%s", path_in(dir, "good.json"));
        copy_as_host(path_in(cs_dir, "cs.json"), good, "h", NULL);
        f = fopen(bad, "w");
        fputs("{\"schema\": \"allocbench/results/1\", \"runs\": [", f);
        fclose(f);
        f = fopen(empty, "w");
        fputs("{\"schema\": \"allocbench/results/1\", \"runs\": []}", f);
        fclose(f);
        f = fopen(notdir, "w");
        fclose(f);
        assert_int_equal(dir_entries(dir, NULL), 4);

        assert_int_equal(run("plot"), 1);
        assert_non_null(strstr(errtext, "no results file"));
        assert_non_null(strstr(errtext, "bench plot FILE.. [-o DIR]"));

        assert_int_equal(run("plot", path_in(dir, "missing.json")), 1);
        assert_non_null(strstr(errtext, "missing.json"));
        assert_non_null(strstr(errtext, "bench plot FILE.. [-o DIR]"));

        /* a good file then a broken one: the good one is not drawn either */
        assert_int_equal(run("plot", good, bad), 1);
        assert_non_null(strstr(errtext, "bad.json"));
        assert_non_null(strstr(errtext, "invalid JSON"));

        assert_int_equal(run("plot", path_in(cs_dir, "probe-nope.json"), good), 1);

        assert_int_equal(run("plot", good, "-o", notdir), 1);
        assert_non_null(strstr(errtext, "not a directory"));
        assert_int_equal(run("plot", good, "-o", "/nonexistent/figs"), 1);
        assert_non_null(strstr(errtext, "/nonexistent"));
        assert_int_equal(run("plot", good, "-o"), 1);
        assert_non_null(strstr(errtext, "-o needs a directory"));
        assert_int_equal(run("plot", good, "-o", dir, "-o", dir), 1);
        assert_int_equal(run("plot", good, "--colour"), 1);
        assert_non_null(strstr(errtext, "--colour"));

        assert_int_equal(run("plot", empty), 1);
        assert_non_null(strstr(errtext, "nothing to draw"));

        /* no gnuplot in PATH: named, with its Debian package */
        assert_int_equal(run_envp(envp, "plot", good, NULL), 1);
        assert_non_null(strstr(errtext, "gnuplot"));
        assert_non_null(strstr(errtext, "gnuplot-nox"));

        assert_int_equal(dir_entries(dir, NULL), 4);
        assert_int_equal(outtext[0], '\0');

        assert_int_equal(run("plot", "--help"), 0);
        assert_non_null(strstr(outtext, "usage: bench plot FILE.. [-o DIR]"));
        assert_non_null(strstr(outtext, "gnuplot-nox"));
}

/* Names in a results file are data: a backquote in an allocator or host name
 * must not run a command when gnuplot draws the figure (gnuplot substitutes
 * `...` even inside double-quoted strings). */
static void test_names_cannot_run_commands(void **state)
{
        const char *dir = subdir("evil");
        const char *marker = "abtest-pwned"; /* touch runs in bench's directory */
        char evil[1024];
        json_t *doc, *r;
        size_t i;
        struct stat st;
        (void)state;
        make_calloc();
        unlink(marker);
        doc = load(path_in(cs_dir, "cs.json"));
        json_array_foreach(json_object_get(doc, "runs"), i, r)
                json_object_set_new(json_object_get(r, "allocator"), "name",
                                    json_string(i ? "jemalloc`touch abtest-pwned`"
                                                  : "glibc`touch abtest-pwned`"));
        json_object_set_new(json_object_get(doc, "host"), "hostname",
                            json_string("host`touch abtest-pwned`"));
        snprintf(evil, sizeof evil, "%s", path_in(dir, "e.json"));
        assert_int_equal(json_dump_file(doc, evil, 0), 0);
        json_decref(doc);
        assert_int_equal(run("plot", evil), 0);
        if (stat(marker, &st) == 0) {
                unlink(marker);
                fail_msg("a name in the results file ran a command");
        }
        /* drawn, the legend showing the name as it is: legends come from the
         * .dat, which gnuplot reads as data, never as commands */
        assert_true(file_has(path_in(dir, "e-calloc-sweep-ns.svg"), "glibc`touch abtest-pwned`"));
}

/* File names are names, never commands: gnuplot runs a data file named
 * "<cmd" and writes to "|cmd" through a shell, and substitutes `...` in
 * double quotes. Directories with such names, and an -o with a backquote and
 * a quote, must plot into those directories and run nothing. */
static void test_paths_cannot_run_commands(void **state)
{
        static const char *const dirs[] = {"<touch abtest-pwned2;x", "|touch abtest-pwned3;x"};
        char cwd[1024], odir[900], bench_abs[4096];
        struct stat st;
        (void)state;
        make_calloc();
        assert_non_null(getcwd(cwd, sizeof cwd));
        assert_non_null(realpath(bench_bin, bench_abs));
        assert_int_equal(chdir(tmpdir), 0);
        for (size_t i = 0; i < 2; i++) {
                char file[256];
                assert_int_equal(mkdir(dirs[i], 0755), 0);
                snprintf(file, sizeof file, "%s/cs.json", dirs[i]);
                assert_int_equal(link(path_in(cs_dir, "cs.json"), file), 0);
        }
        assert_int_equal(chdir(cwd), 0);
        for (size_t i = 0; i < 2; i++) {
                char rel[512], bin[5000];
                snprintf(rel, sizeof rel, "%s/cs.json", dirs[i]);
                /* run from the temporary directory, with a relative path */
                snprintf(bin, sizeof bin, "cd '%s' && '%s' plot '%s' >/dev/null 2>&1", tmpdir,
                         bench_abs, rel);
                assert_int_equal(system(bin), 0);
                snprintf(rel, sizeof rel, "%s/%s/cs-calloc-sweep-ns.png", tmpdir, dirs[i]);
                assert_int_equal(stat(rel, &st), 0);
        }
        snprintf(odir, sizeof odir, "%s/abtest-pwned2", tmpdir);
        assert_int_not_equal(stat(odir, &st), 0);
        snprintf(odir, sizeof odir, "%s/abtest-pwned3", tmpdir);
        assert_int_not_equal(stat(odir, &st), 0);
        snprintf(odir, sizeof odir, "%s/fig`x'q", tmpdir);
        assert_int_equal(run("plot", path_in(cs_dir, "cs.json"), "-o", odir), 0);
        assert_int_equal(stat(path_in(odir, "cs-calloc-sweep-ns.svg"), &st), 0);
}

/* ---- reliability: hostile or broken inputs, a full disk ----------------------------- */

/* Is the whole file well-formed UTF-8? */
static bool utf8_valid(const char *path)
{
        size_t len, i = 0;
        unsigned char *s = (unsigned char *)read_file_len(path, &len);
        bool ok = s != NULL;
        while (ok && i < len) {
                size_t n = s[i] < 0x80 ? 1 : (s[i] & 0xE0) == 0xC0 ? 2 : (s[i] & 0xF0) == 0xE0 ? 3
                                       : (s[i] & 0xF8) == 0xF0 ? 4 : 0;
                ok = n > 0 && i + n <= len && !(n == 2 && s[i] < 0xC2);
                for (size_t k = 1; ok && k < n; k++)
                        ok = (s[i + k] & 0xC0) == 0x80;
                i += n;
        }
        free(s);
        return ok;
}

/* Every figure in dir is whole and published with its siblings: a PNG ends
 * with its IEND chunk, an SVG with </svg>, a .dat ends with a line and
 * stands beside its PNG and SVG, and no temporary is left. How many
 * figures. */
static size_t assert_dir_whole(const char *dir)
{
        static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
        DIR *d = opendir(dir);
        struct dirent *e;
        size_t figures = 0;
        assert_non_null(d);
        while ((e = readdir(d))) {
                const char *name = e->d_name, *dot = strrchr(name, '.');
                char path[1300], *s;
                size_t len;
                snprintf(path, sizeof path, "%s/%s", dir, name);
                if (name[0] == '.' && (!name[1] || strcmp(name, "..") == 0))
                        continue;
                if (strstr(name, ".tmp"))
                        fail_msg("temporary left behind: %s", path);
                if (!dot)
                        continue;
                s = read_file_len(path, &len);
                assert_non_null(s);
                if (strcmp(dot, ".png") == 0) {
                        if (len < 12 || memcmp(s + len - 12, iend, 12) != 0)
                                fail_msg("%s is cut short (%zu bytes, no IEND)", path, len);
                        figures++;
                } else if (strcmp(dot, ".svg") == 0) {
                        while (len && strchr(" \t\r\n", s[len - 1]))
                                len--;
                        if (len < 6 || memcmp(s + len - 6, "</svg>", 6) != 0)
                                fail_msg("%s is cut short (%zu bytes, no </svg>)", path, len);
                } else if (strcmp(dot, ".dat") == 0) {
                        char sib[1300];
                        if (len == 0 || s[len - 1] != '\n')
                                fail_msg("%s is cut short", path);
                        snprintf(sib, sizeof sib, "%s/%.*s.png", dir, (int)(dot - name), name);
                        if (!exists(sib))
                                fail_msg("%s stands without its figure %s", path, sib);
                }
                free(s);
        }
        closedir(d);
        return figures;
}

/* A FIFO given as the results file: refused at once (opening it to read
 * would wait for a writer forever), exit 1, the message naming it. */
static void test_fifo_refused(void **state)
{
        const char *dir = subdir("fifo");
        char fifo[1024], good[1024];
        (void)state;
        make_calloc();
        snprintf(fifo, sizeof fifo, "%s", path_in(dir, "results.json"));
        snprintf(good, sizeof good, "%s", path_in(dir, "good.json"));
        copy_as_host(path_in(cs_dir, "cs.json"), good, "h", NULL);
        assert_int_equal(mkfifo(fifo, 0644), 0);
        if (run_watchdog(20, "plot", fifo, NULL) < 0)
                fail_msg("bench plot hung on a FIFO (killed after 20 s)");
        assert_int_equal(run_watchdog(20, "plot", good, fifo, NULL), 1);
        assert_non_null(strstr(errtext, fifo));
        assert_non_null(strstr(errtext, "not a regular file"));
        /* nothing drawn for the good file either */
        assert_int_equal(dir_entries(dir, NULL), 2);
        assert_int_equal(outtext[0], '\0');
}

static char full_dir[600];

static int unmount_full(void **state)
{
        (void)state;
        if (full_dir[0] && umount2(full_dir, MNT_DETACH) != 0 && errno != EINVAL)
                return -1;
        return 0;
}

/* A full disk: gnuplot exits 0 and leaves a cut-short PNG or SVG; none may
 * be published, and bench plot must say the disk is full and exit 1. A
 * 64 KiB tmpfs holds less than one figure's .dat, PNG and SVG. */
static void test_disk_full(void **state)
{
        (void)state;
        make_calloc();
        snprintf(full_dir, sizeof full_dir, "%s", subdir("full"));
        if (mount("tmpfs", full_dir, "tmpfs", 0, "size=64k") != 0)
                fail_msg("cannot mount a 64 KiB tmpfs on %s to fill (%s): this test needs root, "
                         "as CI has",
                         full_dir, strerror(errno));
        assert_int_equal(run("plot", path_in(cs_dir, "cs.json"), "-o", full_dir), 1);
        assert_dir_whole(full_dir);
        if (!strstr(errtext, "the disk is full") || !strstr(errtext, "no space left on device"))
                fail_msg("the message does not say the disk is full:\n%s", errtext);
        /* what stdout names is there, whole */
        for (const char *p = outtext, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
                char path[1024];
                snprintf(path, sizeof path, "%.*s", (int)(nl - p), p);
                assert_true(exists(path));
        }
}

/* A copy of cs.json at dst with its allocators named allocs[i] (and its
 * workload `workload`, unless NULL), and a timeline in each run. Returns
 * how many runs it has. */
static size_t write_named(const char *dst, const char *const *allocs, const char *workload)
{
        json_t *doc = load(path_in(cs_dir, "cs.json")), *r, *fl;
        size_t i;
        json_array_foreach(json_object_get(doc, "runs"), i, r)
        {
                json_t *tl = json_pack("[[f,i,i],[f,i,i],[f,i,i]]", 1.0 + i, 1000, 2000, 2.0 + i,
                                       1100, 2100, 3.0 + i, 1200, 2200);
                json_object_set_new(json_object_get(r, "allocator"), "name",
                                    json_string(allocs[i % 3]));
                if (workload)
                        json_object_set_new(json_object_get(r, "workload"), "name",
                                            json_string(workload));
                json_object_set_new(r, "timeline", tl); /* a timeline figure per run */
        }
        json_array_foreach(json_object_get(doc, "flags"), i, fl)
        {
                if (workload)
                        json_object_set_new(fl, "workload", json_string(workload));
        }
        assert_int_equal(json_dump_file(doc, dst, JSON_INDENT(1)), 0);
        i = json_array_size(json_object_get(doc, "runs"));
        json_decref(doc);
        return i;
}

/* Each line of each .dat in dir is a comment, a quoted block title, a row
 * of numbers or blank: a name cannot start a line of its own. */
static size_t assert_dat_lines(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        size_t n = 0;
        assert_non_null(d);
        while ((e = readdir(d))) {
                char *s, *line, *save = NULL, path[1300];
                size_t len;
                if (!strstr(e->d_name, ".dat"))
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                s = read_file_len(path, &len);
                assert_non_null(s);
                for (size_t i = 0; i < len; i++)
                        if (((unsigned char)s[i] < 0x20 && s[i] != '\n') || s[i] == 0x7F)
                                fail_msg("%s: control character 0x%02x at byte %zu", e->d_name,
                                         (unsigned char)s[i], i);
                assert_int_equal(strncmp(s, "# allocbench: ", 14), 0);
                for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                        if (!strchr("#\"0123456789-?", line[0]))
                                fail_msg("%s: a line that is no comment, title or row: %s",
                                         e->d_name, line);
                free(s);
                n++;
        }
        closedir(d);
        return n;
}

/* Names with a newline (and other control characters) from a results file:
 * the .dat's header stays comments, the titles one line. */
static void test_control_characters_in_names(void **state)
{
        static const char *const allocs[] = {"glibc\nevil", "jemalloc\r\x1b[2Jx", "tc\tmalloc"};
        const char *dir = subdir("ctl");
        char file[1024];
        size_t nruns;
        (void)state;
        make_calloc();
        snprintf(file, sizeof file, "%s", path_in(dir, "n.json"));
        nruns = write_named(file, allocs, "calloc\nsweep");
        assert_int_equal(run("plot", file), 0);
        /* the per-size figures and a timeline for each run */
        assert_int_equal(assert_dat_lines(dir), 2 + nruns);
        assert_true(file_has(path_in(dir, "n-glibc_evil-calloc_sweep-timeline.dat"),
                             "# allocbench: glibc evil on calloc sweep: memory"));
        assert_true(file_has(path_in(dir, "n-calloc_sweep-ns.svg"), "glibc evil"));
        assert_null(strstr(errtext, "arning"));
}

/* Every .dat and .svg in dir is well-formed UTF-8 and its name a file
 * name; how many SVGs. */
static size_t assert_dir_utf8(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        size_t svgs = 0;
        assert_non_null(d);
        while ((e = readdir(d))) {
                char path[1300];
                if (!strstr(e->d_name, ".dat") && !strstr(e->d_name, ".svg"))
                        continue;
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                if (!utf8_valid(path))
                        fail_msg("%s is not valid UTF-8: a name was cut mid-character", path);
                svgs += strstr(e->d_name, ".svg") != NULL;
                assert_true(strlen(e->d_name) < 255);
        }
        closedir(d);
        return svgs;
}

/* Long UTF-8 names: cut, where they must be, on a character boundary; and
 * the figures' file names stay file names. */
static void test_long_utf8_names(void **state)
{
        const char *dir = subdir("utf8"), *dir2 = subdir("utf8-wl");
        const char *names[3];
        char file[1024], alloc[3][400], wl[700];
        size_t nruns;
        (void)state;
        make_calloc();
        /* legends: "ł" is two bytes after two ASCII ones, so a cut after an odd
         * number of bytes (159, say) falls inside one */
        for (int k = 0; k < 3; k++) {
                snprintf(alloc[k], sizeof alloc[k], "x%c", 'a' + k);
                for (int i = 0; i < 150; i++)
                        strcat(alloc[k], "ł");
                names[k] = alloc[k];
        }
        snprintf(file, sizeof file, "%s", path_in(dir, "a.json"));
        nruns = write_named(file, names, NULL);
        assert_int_equal(run("plot", file), 0);
        /* per-size figures and a timeline per run */
        assert_int_equal(assert_dir_utf8(dir), 2 + nruns);
        assert_dir_whole(dir);
        /* titles and file names: a workload name of 300 characters, 600 bytes */
        wl[0] = 'w';
        wl[1] = '\0';
        for (int i = 0; i < 300; i++)
                strcat(wl, "ż");
        snprintf(file, sizeof file, "%s", path_in(dir2, "w.json"));
        write_named(file, (const char *const[]){"glibc", "jemalloc", "tcmalloc"}, wl);
        if (run("plot", file) != 0)
                fail_msg("bench plot failed on a long workload name:\n%s", errtext);
        assert_int_equal(assert_dir_utf8(dir2), 2 + nruns);
        assert_dir_whole(dir2);
        /* the title keeps the name's start, cut on a character with "…" */
        {
                DIR *d = opendir(dir2);
                struct dirent *e;
                size_t found = 0;
                assert_non_null(d);
                while ((e = readdir(d))) {
                        char path[1300];
                        size_t l = strlen(e->d_name);
                        if (l < 7 || strcmp(e->d_name + l - 7, "-ns.dat") != 0)
                                continue;
                        snprintf(path, sizeof path, "%s/%s", dir2, e->d_name);
                        assert_true(file_has(path, "# allocbench: wżżż"));
                        assert_true(file_has(path, "ż…: wall time per op, by block size\n"));
                        found++;
                }
                closedir(d);
                assert_int_equal(found, 1);
        }
}

/* A value no figure can hold (1.7e308: gnuplot's ranges overflow, and it
 * prints the number in all its digits): left out, with a note naming the
 * file, the point and the figure; the figures are still drawn. */
static void test_values_that_cannot_be_plotted(void **state)
{
        const char *dir = subdir("huge");
        char file[1024], rfile[1024];
        json_t *doc, *runs;
        size_t digits = 0;
        (void)state;
        make_calloc();
        make_rounds();
        doc = load(path_in(cs_dir, "cs.json"));
        runs = json_object_get(doc, "runs");
        /* jemalloc's 16 KiB time, glibc's last size */
        json_object_set_new(json_object_get(json_array_get(json_object_get(json_array_get(runs, 1),
                                                                           "points"),
                                                           1),
                                            "ns_per_op"),
                            "median", json_real(1.7e308));
        json_object_set_new(json_object_get(json_array_get(json_object_get(json_array_get(runs, 0),
                                                                           "points"),
                                                           4),
                                            "params"),
                            "size", json_real(1.7e308));
        snprintf(file, sizeof file, "%s", path_in(dir, "h.json"));
        assert_int_equal(json_dump_file(doc, file, 0), 0);
        json_decref(doc);
        assert_int_equal(run("plot", file), 0);
        assert_non_null(strstr(errtext, "h.json: jemalloc on calloc-sweep, size=16384: ns_per_op"));
        assert_non_null(strstr(errtext, "h.json: glibc on calloc-sweep, size=1.7e+308: size"));
        assert_non_null(strstr(errtext, "left out of figure h-calloc-sweep-ns"));
        assert_non_null(strstr(errtext, "left out of figure h-calloc-sweep-faults"));
        assert_null(strstr(errtext, "arning"));
        for (const char *p = errtext; *p; p++) {
                digits = *p >= '0' && *p <= '9' ? digits + 1 : 0;
                if (digits > 30)
                        fail_msg("a number of more than 30 digits on stderr:\n%s", errtext);
        }
        assert_false(file_has(path_in(dir, "h-calloc-sweep-ns.dat"), "e+308"));
        assert_figure(dir, "h-calloc-sweep-ns", NULL);
        /* a round's resident set */
        doc = load(path_in(rounds_dir, "cl.json"));
        json_object_set_new(json_array_get(json_object_get(json_array_get(json_object_get(doc,
                                                                                          "runs"),
                                                                          0),
                                                           "rounds"),
                                           1),
                            "rss_kib", json_real(1.7e308));
        snprintf(rfile, sizeof rfile, "%s", path_in(dir, "r.json"));
        assert_int_equal(json_dump_file(doc, rfile, 0), 0);
        json_decref(doc);
        assert_int_equal(run("plot", rfile), 0);
        assert_non_null(strstr(errtext, "r.json: glibc on conn-leak, - round 1: rss_kib"));
        assert_non_null(strstr(errtext, "left out of figure r-conn-leak-rounds"));
        assert_false(file_has(path_in(dir, "r-conn-leak-rounds.dat"), "e+308"));
        assert_figure(dir, "r-conn-leak-rounds", NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_calloc_sweep),  cmocka_unit_test(test_rounds_bars_timelines),
            cmocka_unit_test(test_several_hosts), cmocka_unit_test(test_redraw),
            cmocka_unit_test(test_bad_input),
            cmocka_unit_test(test_names_cannot_run_commands),
            cmocka_unit_test(test_paths_cannot_run_commands),
            cmocka_unit_test(test_fifo_refused),
            cmocka_unit_test_teardown(test_disk_full, unmount_full),
            cmocka_unit_test(test_control_characters_in_names),
            cmocka_unit_test(test_long_utf8_names),
            cmocka_unit_test(test_values_that_cannot_be_plotted),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
