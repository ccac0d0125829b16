/*
 * test_replay.c - allocation records end to end: bench run --record writes
 * the traced run's every event, bench trace info reads it back, the replay
 * kernel plays it under every allocator with the recording's live bytes
 * per round, peak and flags, an op_hash equal everywhere, threads with
 * cross-thread frees, a compressed record and a cut one; malformed records
 * are refused with the byte where they break, and nothing written.
 * Assertions are on counts.
 */
#include <stdint.h>

#include "itest.h"
#include "trace/arec.h"

static const char *const all4 = "--alloc=glibc,jemalloc,tcmalloc,mimalloc";

static json_t *record_of(json_t *doc, size_t i)
{
        json_t *t = json_object_get(run_i(doc, i), "trace");
        return json_object_get(json_array_get(json_object_get(t, "points"), 0), "record");
}

/* Round r's live bytes of run i. */
static double round_live(json_t *doc, size_t i, size_t r)
{
        return num(json_array_get(json_object_get(run_i(doc, i), "rounds"), r), "live_bytes");
}

/* bench trace info --json FILE, parsed. */
static json_t *info(const char *file)
{
        json_error_t e;
        json_t *o;
        if (run("trace", "info", file, "--json") != 0)
                fail_msg("trace info %s: %s", file, errtext);
        o = json_loads(outtext, 0, &e);
        if (!o)
                fail_msg("trace info --json: %s", e.text);
        return o;
}

static double info_round(json_t *in, size_t r, const char *key)
{
        return num(json_array_get(json_object_get(in, "rounds"), r), key);
}

static double ops_sum(json_t *in)
{
        json_t *ops = json_object_get(in, "ops"), *v;
        const char *k;
        double n = 0;
        json_object_foreach(ops, k, v) n += json_number_value(v);
        return n;
}

/* Every run of doc: status ok, the same op_hash (returned), `ops` ops. */
static const char *same_hash(json_t *doc, double ops)
{
        const char *h = jstr(run_i(doc, 0), "op_hash");
        assert_non_null(h);
        for (size_t i = 0; i < json_array_size(json_object_get(doc, "runs")); i++) {
                assert_string_equal(jstr(run_i(doc, i), "status"), "ok");
                assert_string_equal(jstr(run_i(doc, i), "op_hash"), h);
                assert_int_equal(num(point0(doc, i), "ops"), ops);
        }
        return h;
}

/* conn-leak recorded under glibc, replayed under the four allocators: the
 * record holds every call the tracer saw; each replay has the kernel's own
 * live bytes at every round end, its peak, the same op_hash (and again on
 * a second run, under a custom .so), and raises leak-growth as the recorded
 * run did. */
static void test_conn_leak_round_trip(void **state)
{
        const char *rec = tmpfile_path("conn.arec");
        json_t *a, *b, *c, *in, *r;
        double events;
        char hash[64], set[600];
        (void)state;
        a = run_doc("cl-rec.json", "--alloc=glibc", "--workload=conn-leak", "--set", "leak_every=8",
                    "--reps", "1", "--record", rec, NULL);
        r = record_of(a, 0);
        assert_non_null(r);
        assert_string_equal(jstr(r, "path"), rec);
        events = num(r, "events");
        assert_true(events > 200000);
        assert_int_equal(events, num(json_object_get(json_array_get(json_object_get(
                                                         json_object_get(run_i(a, 0), "trace"),
                                                         "points"),
                                                                     0),
                                                     "tracer"),
                                     "calls"));
        assert_int_equal(num(r, "threads"), 1);
        assert_int_equal(num(r, "rounds"), 10);
        assert_int_equal(num(r, "peak_live"), num(point0(a, 0), "live_peak_bytes"));
        assert_int_equal(count_flags(a, "leak-growth", "glibc"), 1);

        in = info(rec);
        assert_int_equal(num(in, "events"), events);
        assert_int_equal(ops_sum(in), events);
        assert_int_equal(json_array_size(json_object_get(in, "threads")), 1);
        assert_true(num(in, "bytes_per_event") <= 4.0);
        for (size_t k = 0; k < 10; k++) {
                assert_int_equal(info_round(in, k, "live_recorded"), round_live(a, 0, k));
                assert_int_equal(info_round(in, k, "live_played"), round_live(a, 0, k));
        }
        json_decref(in);

        snprintf(set, sizeof set, "trace=%s", rec);
        b = run_doc("cl-rep.json", all4, "--workload=replay", "--set", set, "--set", "touch=first",
                    "--reps", "1", NULL);
        snprintf(hash, sizeof hash, "%s", same_hash(b, events));
        for (size_t i = 0; i < 4; i++) {
                for (size_t k = 0; k < 10; k++)
                        assert_int_equal(round_live(b, i, k), round_live(a, 0, k));
                assert_int_equal(num(point0(b, i), "live_peak_bytes"),
                                 num(point0(a, 0), "live_peak_bytes"));
                assert_int_equal(count_flags(b, "leak-growth", jstr(run_i(b, i), "allocator.name")),
                                 1);
        }
        /* and again, under any malloc-replacing .so */
        c = run_doc("cl-rep2.json", lib("abcount"), "--workload=replay", "--set", set, "--reps",
                    "2", NULL);
        assert_string_equal(same_hash(c, events), hash);
        json_decref(a);
        json_decref(b);
        json_decref(c);
}

/* arena-churn with four threads freeing half of each other's blocks: the
 * record keeps the threads apart and the cross-thread frees as such; the
 * replay runs them as threads, waits where a free needs another thread's
 * block, and ends every round with what was live then. */
static void test_threads_cross_free(void **state)
{
        const char *rec = tmpfile_path("xf.arec");
        json_t *a, *b, *in, *ops;
        char set[600];
        (void)state;
        a = run_doc("xf-rec.json", "--alloc=glibc", "--workload=arena-churn", "--set", "threads=4",
                    "--set", "cross_free=50", "--set", "ops=5000", "--set", "rounds=4", "--reps",
                    "1", "--record", rec, NULL);
        assert_int_equal(num(record_of(a, 0), "threads"), 5); /* the runner's and 4 workers */
        in = info(rec);
        ops = json_object_get(in, "ops");
        assert_true(num(ops, "free_other") > 1000);
        assert_int_equal(num(in, "cross_thread"), num(ops, "free_other"));
        /* every block the workers made is freed: what is left is the runner's */
        assert_int_equal(num(ops, "malloc") + num(ops, "calloc") - num(ops, "free_own") -
                             num(ops, "free_other"),
                         num(in, "live_end_blocks"));
        snprintf(set, sizeof set, "trace=%s", rec);
        b = run_doc("xf-rep.json", "--alloc=glibc,jemalloc", "--workload=replay", "--set", set,
                    "--reps", "2", NULL);
        same_hash(b, num(in, "events"));
        for (size_t i = 0; i < 2; i++) {
                assert_int_equal(json_array_size(json_object_get(run_i(b, i), "rounds")), 4);
                for (size_t k = 0; k < 4; k++)
                        assert_int_equal(round_live(b, i, k), info_round(in, k, "live_recorded"));
        }
        json_decref(in);
        json_decref(a);
        json_decref(b);
}

/* A round end read while one thread had freed a block another thread had
 * not yet made (the snapshot is not atomic across threads): the maker runs
 * on past its count until the block exists. Crafted: thread 1 frees thread
 * 0's first block, and round 0 ends with thread 1 past that free and thread
 * 0 before the allocation. */
static void test_borrowed_round_end(void **state)
{
        const char *rec = tmpfile_path("borrow.arec");
        uint8_t b[512], ev[2][64];
        size_t n = 0, len[2] = {0, 0}, e = 0;
        struct ab_arec_state st[2] = {0};
        struct ab_arec_event a0 = {.op = AB_AO_MALLOC, .size = 100, .site = 1};
        struct ab_arec_event a1 = {.op = AB_AO_MALLOC, .size = 200, .site = 1};
        struct ab_arec_event a2 = {.op = AB_AO_MALLOC, .size = 50, .site = 2};
        json_t *in, *d;
        char set[600];
        FILE *f;
        (void)state;
        len[0] += ab_arec_encode_alloc(ev[0] + len[0], &st[0], 0, &a0);
        len[0] += ab_arec_encode_alloc(ev[0] + len[0], &st[0], 0, &a1);
        len[1] += ab_arec_encode_free(ev[1] + len[1], &st[1], 1, 0, 0);
        len[1] += ab_arec_encode_alloc(ev[1] + len[1], &st[1], 1, &a2);
        memset(b, 0, AB_AREC_HEADER);
        memcpy(b, AB_AREC_MAGIC, 8);
        ab_put_le(b + 8, AB_AREC_VERSION, 2);
        ab_put_le(b + 10, AB_AREC_HEADER, 2);
        ab_put_le(b + 20, 4096, 4);
        n = AB_AREC_HEADER;
        for (uint32_t t = 0; t < 2; t++) {
                ab_put_le(b + n, AB_AT_EVTS, 4);
                ab_put_le(b + n + 4, t, 4);
                ab_put_le(b + n + 8, len[t], 4);
                memcpy(b + n + AB_AREC_CHUNK, ev[t], len[t]);
                n += AB_AREC_CHUNK + len[t];
        }
        {
                uint8_t r[16];
                e = 0;
                e += ab_put_varint(r + e, 0);   /* round 0 */
                e += ab_put_varint(r + e, 0);   /* live then, as the tracer saw it */
                e += ab_put_varint(r + e, 2);   /* two threads: */
                e += ab_put_varint(r + e, 0);   /* thread 0 before its malloc */
                e += ab_put_varint(r + e, 1);   /* thread 1 past its free of it */
                ab_put_le(b + n, AB_AT_ROUN, 4);
                ab_put_le(b + n + 4, 0, 4);
                ab_put_le(b + n + 8, e, 4);
                memcpy(b + n + AB_AREC_CHUNK, r, e);
                n += AB_AREC_CHUNK + e;
        }
        {
                uint8_t r[32];
                const uint64_t v[] = {4, 2, 1, 0, 2, 2, 2, 1};
                e = 0;
                for (size_t k = 0; k < 8; k++)
                        e += ab_put_varint(r + e, v[k]);
                ab_put_le(b + n, AB_AT_END, 4);
                ab_put_le(b + n + 4, 0, 4);
                ab_put_le(b + n + 8, e, 4);
                memcpy(b + n + AB_AREC_CHUNK, r, e);
                n += AB_AREC_CHUNK + e;
        }
        f = fopen(rec, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(b, 1, n, f), n);
        fclose(f);
        in = info(rec);
        assert_int_equal(num(in, "borrowed"), 1);
        assert_int_equal(info_round(in, 0, "live_played"), 0);
        assert_int_equal(num(in, "live_end"), 250);
        snprintf(set, sizeof set, "trace=%s", rec);
        d = run_doc("borrow.json", "--alloc=glibc,jemalloc", "--workload=replay", "--set", set,
                    "--reps", "3", "--timeout", "20", NULL);
        same_hash(d, 4);
        for (size_t i = 0; i < 2; i++) {
                assert_int_equal(json_array_size(json_object_get(run_i(d, i), "rounds")), 1);
                assert_int_equal(round_live(d, i, 0), 0);
        }
        json_decref(in);
        json_decref(d);
}

/* A record written compressed (zstd), read back the same; rounds 3..5 of
 * it cut into a record of their own, whose replay ends its rounds with the
 * live bytes of rounds 3..5 of the whole. */
static void test_compressed_and_cut(void **state)
{
        const char *zrec = tmpfile_path("conn.arec.zst"), *cut = tmpfile_path("cut.arec");
        unsigned char magic[4] = {0};
        json_t *a, *in, *cin, *b;
        char set[600];
        FILE *f;
        (void)state;
        a = run_doc("cz-rec.json", "--alloc=glibc", "--workload=conn-leak", "--set", "leak_every=8",
                    "--reps", "1", "--record", zrec, NULL);
        f = fopen(zrec, "rb");
        assert_non_null(f);
        assert_int_equal(fread(magic, 1, 4, f), 4);
        fclose(f);
        assert_int_equal(magic[0], 0x28); /* zstd's frame magic, little-endian 0xFD2FB528 */
        assert_int_equal(magic[3], 0xfd);
        in = info(zrec);
        assert_int_equal(num(in, "events"), num(record_of(a, 0), "events"));

        assert_int_equal(run("trace", "cut", zrec, "--rounds", "3..5", "-o", cut), 0);
        cin = info(cut);
        assert_int_equal(json_array_size(json_object_get(cin, "rounds")), 3);
        /* the blocks live when round 3 began, then every event to round 5's end */
        assert_int_equal(num(cin, "events"), info_round(in, 2, "live_blocks") +
                                                 info_round(in, 5, "events") -
                                                 info_round(in, 2, "events"));
        for (size_t k = 0; k < 3; k++)
                assert_int_equal(info_round(cin, k, "live_recorded"),
                                 info_round(in, 3 + k, "live_recorded"));
        snprintf(set, sizeof set, "trace=%s", cut);
        b = run_doc("cut-rep.json", "--alloc=glibc,mimalloc", "--workload=replay", "--set", set,
                    "--reps", "1", NULL);
        same_hash(b, num(cin, "events"));
        for (size_t k = 0; k < 3; k++)
                assert_int_equal(round_live(b, 1, k), round_live(a, 0, 3 + k));
        json_decref(cin);
        json_decref(in);
        json_decref(a);
        json_decref(b);
}

/* Copy src to dst, keeping `keep` bytes (all when SIZE_MAX), then
 * overwriting n bytes at `at` with `with`. */
static size_t copy_broken(const char *src, const char *dst, size_t keep, size_t at, size_t n,
                          int with)
{
        static unsigned char buf[8 << 20];
        FILE *f = fopen(src, "rb");
        size_t len;
        assert_non_null(f);
        len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        if (keep < len)
                len = keep;
        if (at + n <= len)
                memset(buf + at, with, n);
        f = fopen(dst, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, len, f), len);
        fclose(f);
        return len;
}

/* The byte offset a refusal names ("byte N"), or -1. */
static long refused_at(void)
{
        const char *b = strstr(errtext, "byte ");
        return b ? atol(b + 5) : -1;
}

/* Each malformed record refused by trace info and by a replay run: exit 1,
 * the message names the byte and what is wrong, no results file. */
static void refuse(const char *file, const char *why, long lo, long hi)
{
        const char *out = tmpfile_path("refused.json");
        char set[600];
        long at;
        assert_int_equal(run("trace", "info", file), 1);
        if (!strstr(errtext, why))
                fail_msg("%s: expected '%s' in: %s", file, why, errtext);
        at = refused_at();
        if (lo >= 0 && (at < lo || at > hi))
                fail_msg("%s: refused at byte %ld, not in %ld..%ld: %s", file, at, lo, hi, errtext);
        snprintf(set, sizeof set, "trace=%s", file);
        unlink(out);
        assert_int_equal(run("--alloc=glibc", "--workload=replay", "--set", set, "-q", "-o", out),
                         1);
        if (!strstr(errtext, why))
                fail_msg("replay of %s: expected '%s' in: %s", file, why, errtext);
        assert_false(exists(out));
}

static void test_malformed_refused(void **state)
{
        char rec[512], bad[512], zbad[512], out[512], json[512];
        size_t len;
        (void)state;
        /* tmpfile_path's buffers are reused: these paths are kept here */
        snprintf(rec, sizeof rec, "%s", tmpfile_path("conn.arec"));
        snprintf(bad, sizeof bad, "%s", tmpfile_path("bad.arec"));
        snprintf(zbad, sizeof zbad, "%s", tmpfile_path("bad.arec.zst"));
        snprintf(out, sizeof out, "%s", tmpfile_path("never.arec"));
        snprintf(json, sizeof json, "%s", tmpfile_path("cl-rec.json"));
        if (!exists(rec)) /* made by the round trip: alone, make it */
                json_decref(run_doc("cl-rec.json", "--alloc=glibc", "--workload=conn-leak", "--set",
                                    "leak_every=8", "--reps", "1", "--record", rec, NULL));
        len = copy_broken(rec, bad, SIZE_MAX, 0, 0, 0);
        /* cut in the middle of a chunk */
        copy_broken(rec, bad, len / 2, 0, 0, 0);
        refuse(bad, "the file was cut", 0, (long)(len / 2));
        /* cut at a chunk boundary: the END chunk is missing */
        copy_broken(rec, bad, 32, 0, 0, 0);
        refuse(bad, "without its END chunk", 32, 32);
        /* events overwritten with bytes that decode to nothing */
        copy_broken(rec, bad, SIZE_MAX, 5000, 16, 0xff);
        refuse(bad, "does not decode", 5000 - 41, 5000 + 16);
        /* a chunk header's tag overwritten */
        copy_broken(rec, bad, SIZE_MAX, 32, 4, 'x');
        refuse(bad, "unknown chunk", 32, 32);
        /* not a record at all, and empty */
        copy_broken(json, bad, SIZE_MAX, 0, 0, 0);
        refuse(bad, "no allocation record header", 0, 0);
        copy_broken(rec, bad, 0, 0, 0, 0);
        refuse(bad, "empty", -1, -1);
        /* a compressed record cut short */
        {
                char cmd[1600];
                snprintf(cmd, sizeof cmd, "zstd -q -f -o '%s' '%s' && truncate -s 2000 '%s'", zbad,
                         rec, zbad);
                assert_int_equal(system(cmd), 0);
        }
        refuse(zbad, "zstd", -1, -1);
        /* the record a replay needs, and rounds a cut needs */
        assert_int_equal(run("--alloc=glibc", "--workload=replay", "-q", "-o", out), 1);
        assert_non_null(strstr(errtext, "replay needs a record"));
        assert_int_equal(run("trace", "cut", rec, "--rounds", "8..12", "-o", out), 1);
        assert_non_null(strstr(errtext, "the record has 10 rounds"));
        assert_int_equal(run("trace", "cut", rec, "--rounds", "x", "-o", out), 1);
        assert_non_null(strstr(errtext, "expected A..B"));
        assert_false(exists(out));
        assert_int_equal(run("--alloc=glibc", "--workload=conn-leak", "--record", "", "-q", "-o",
                             out),
                         1);
        assert_int_equal(run("--alloc=glibc", "--workload=conn-leak", "--record", rec,
                             "--trace-sample", "64k", "-q", "-o", out),
                         1);
        assert_non_null(strstr(errtext, "--trace-sample"));
}

/* Real programs recorded through cmd: python3 and sqlite3. The replay's
 * peak live bytes are the program's, exactly (the sum of the sizes it had
 * asked for and not freed, at its highest), under every allocator. */
static void test_programs(void **state)
{
        const char *progs[][6] = {
            {"py.arec", "python3", "-c",
             "import json; d=[{'k':i,'v':str(i)*10} for i in range(50000)]; "
             "print(len(json.loads(json.dumps(d))))",
             NULL},
            {"sq.arec", "sqlite3", ":memory:",
             "create table t(a, b); with recursive c(x) as (select 1 union all select x+1 from c "
             "where x < 20000) insert into t select x, hex(randomblob(40)) from c; create index "
             "i on t(b); select count(*) from t;",
             NULL},
        };
        (void)state;
        for (size_t p = 0; p < 2; p++) {
                const char *rec = tmpfile_path(progs[p][0]);
                json_t *a, *b, *r;
                char set[600];
                a = run_doc("prog-rec.json", "--alloc=glibc", "--workload=cmd", "--reps", "1",
                            "--record", rec, "--", progs[p][1], progs[p][2], progs[p][3], NULL);
                r = record_of(a, 0);
                assert_non_null(r);
                assert_true(num(r, "events") > 1000);
                assert_true(num(r, "peak_live") > 100000);
                snprintf(set, sizeof set, "trace=%s", rec);
                b = run_doc("prog-rep.json", all4, "--workload=replay", "--set", set, "--reps", "1",
                            NULL);
                same_hash(b, num(r, "events"));
                for (size_t i = 0; i < 4; i++)
                        assert_int_equal(num(point0(b, i), "live_peak_bytes"), num(r, "peak_live"));
                json_decref(a);
                json_decref(b);
        }
}

/* --count callgrind on a replay: the same instruction count on every run
 * (the round ends' reporting is not counted). jemalloc is left out: the
 * record's 16 KiB buffers are in its large size classes, whose decay is
 * driven by the clock (test_run.c's callgrind test says the same). */
static void test_callgrind_exact(void **state)
{
        const char *rec = tmpfile_path("conn.arec"), *cut = tmpfile_path("small.arec");
        json_t *a, *b;
        char set[600];
        (void)state;
        if (!exists(rec))
                json_decref(run_doc("cl-rec.json", "--alloc=glibc", "--workload=conn-leak", "--set",
                                    "leak_every=8", "--reps", "1", "--record", rec, NULL));
        assert_int_equal(run("trace", "cut", rec, "--rounds", "4", "-o", cut), 0);
        snprintf(set, sizeof set, "trace=%s", cut);
        a = run_doc("cg1.json", "--alloc=glibc,tcmalloc,mimalloc", "--workload=replay", "--set",
                    set, "--reps", "1", "--count", "callgrind", NULL);
        b = run_doc("cg2.json", "--alloc=glibc,tcmalloc,mimalloc", "--workload=replay", "--set",
                    set, "--reps", "1", "--count", "callgrind", NULL);
        for (size_t i = 0; i < 3; i++) {
                double n = num(point0(a, i), "instructions_per_op");
                assert_true(n > 10);
                assert_true(n == num(point0(b, i), "instructions_per_op"));
        }
        json_decref(a);
        json_decref(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_conn_leak_round_trip), cmocka_unit_test(test_threads_cross_free),
            cmocka_unit_test(test_borrowed_round_end),   cmocka_unit_test(test_compressed_and_cut),
            cmocka_unit_test(test_malformed_refused),
            cmocka_unit_test(test_programs),             cmocka_unit_test(test_callgrind_exact),
        };
        return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
