/*
 * store.h - where a history lives, as an interface with two backends: the
 * SQLite file of store_sqlite.c (--db PATH, the default) and the PostgreSQL
 * database of store_pg.c (--db postgresql://...), each one struct
 * ab_store_ops picked by ab_store_for. The command (cli.c, add.c) speaks
 * only through the ab_store_* functions below, and every backend turns its
 * rows into the in-memory history through the one builder of history.h, so
 * that filters, ordering and the validity of ids mean the same whatever the
 * backend.
 *
 * What a store keeps (store_sqlite.c's and store_pg.c's schemas say it in
 * SQL, `bench history --help` prints both, harness/doc/schema.md describes
 * every column; every backend keeps the same tables and columns under the
 * same names):
 *
 *   meta      key 'schema' = allocbench/history/3 (AB_HISTORY_STORE_SCHEMA)
 *   runs      one per results file: id (from 1), file_hash (unique), file,
 *             created (the time key), host, rev, tool_git, interrupted, added
 *   series    one figure of one point over time: id (from 1), host,
 *             allocator, workload, point, metric; the five unique together.
 *             A site's series (metric left_per_round or live_end) has the
 *             site's key as its point (ab_hsite_label)
 *   samples   (series_id, run_id) -> value, at most one per pair
 *   flags     the detectors' flags of each run
 *   sites     an allocation site of traced runs: id (from 1), host,
 *             allocator, workload, point, site (its key), unique together;
 *             frames, its stack as the newest run saw it
 *   site_runs (site_id, run_id) -> the site's verdict, verdict_new, note,
 *             left_per_round and live_end in that run: its verdict history
 *   settings  a distinct set of run settings (settings.h): id (from 1),
 *             digest (its SHA-256, unique), value (canonical JSON)
 *   run_settings (run_id, allocator, workload) -> settings_id: the settings
 *             each run had, allocator and workload '' for the run's own
 *
 * Versions: a store of allocbench/history/1 (no sites, site_runs) or /2 (no
 * settings, run_settings) is read as it is, with no sites or no settings;
 * opening it for writing migrates it to /3 (the tables it lacks made,
 * meta's schema changed) in one transaction, before anything is added. A
 * store of a schema this bench does not know is refused.
 *
 * The contract every backend keeps:
 *
 *  - Opening for reading changes nothing. Opening for writing creates the
 *    store when it is missing, and checks a store that exists (its meta
 *    schema) before changing anything in it: a store something else wrote
 *    is refused exactly as it was found.
 *  - ab_store_add stores one results file whole or not at all, waits for
 *    (or, after a serialization failure or a deadlock, retries after) other
 *    writers rather than failing, and finds a file already there by its
 *    hash or its legacy hash (canon.h).
 *  - A full disk is -ENOSPC with "the disk is full (WHERE)" in the message;
 *    it leaves nothing half-written, and no store that this session created
 *    and did not fill.
 *  - Functions return 0 or a negative errno with a message in err naming the
 *    store, the problem and the accepted form; the caller prints it after
 *    "bench history: ".
 */
#ifndef AB_HISTORY_STORE_H
#define AB_HISTORY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/history/history.h"

/* One figure of one point of one run. Strings are borrowed. */
struct ab_ssample {
        const char *alloc, *workload, *point, *metric;
        double value; /* finite, >= 0 */
};

/* One flag of a run. where: the flag's "where" as compact JSON with sorted
 * keys, or NULL; alloc, workload and message may be NULL. */
struct ab_sflag {
        const char *kind, *severity, *alloc, *workload, *where, *message;
};

/* One allocation site of a traced run (bench run --trace). Strings are
 * borrowed; frames, verdict and note may be NULL. Its series' values are
 * samples of their own (metric AB_HSITE_LEFT, AB_HSITE_LIVE). */
struct ab_ssite {
        const char *alloc, *workload, *point, *key;
        const char *frames;  /* one frame a line, innermost first */
        const char *verdict; /* bench run --verdicts: its verdict, NULL: none applied */
        bool verdict_new;    /* no entry matched */
        const char *note;
        double left_per_round, live_end; /* NAN: unknown */
};

/* One set of a run's settings (settings.h): alloc and workload "" for the
 * run's own. Strings are borrowed. */
struct ab_ssetting {
        const char *alloc, *workload;
        const char *value;  /* canonical JSON */
        const char *digest; /* its SHA-256, 64 hex digits */
};

/* What add stores of one results file. Strings are borrowed. */
struct ab_srun {
        const char *hash;           /* canon.h: the identity, 64 hex digits */
        const char *legacy;         /* the identity stores before canonical numbers hold */
        const char *file;           /* the results file, as a real path where known */
        const char *created, *host; /* never NULL */
        const char *rev, *tool_git; /* NULL when unknown */
        const char *added;          /* now, UTC ISO-8601 */
        bool interrupted;
        const struct ab_ssample *samples;
        size_t nsamples;
        const struct ab_sflag *flags;
        size_t nflags;
        const struct ab_ssite *sites;
        size_t nsites;
        const struct ab_ssetting *settings;
        size_t nsettings;
};

/* What add did with it. */
struct ab_sadded {
        int64_t run_id; /* the new run, or the one already there (dup) */
        bool dup;       /* already in the store: nothing was added */
        size_t values;  /* samples stored (a second value for a series in the same run is not) */
        size_t new_series;
        size_t sites, new_sites; /* sites stored (a second sighting in the same run is not) */
};

/* What ab_store_load reads besides the runs and series. */
enum { AB_LOAD_FLAGS = 1, AB_LOAD_SITES = 2, AB_LOAD_SETTINGS = 4 };

enum ab_store_mode { AB_STORE_READ, AB_STORE_WRITE };

/* An open store. Every backend's handle begins with this. */
struct ab_store {
        const struct ab_store_ops *ops;
};

struct ab_store_ops {
        const char *name;   /* "sqlite" */
        const char *schema; /* the store's layout as its backend writes it (--help) */
        int (*open)(const char *where, enum ab_store_mode mode, struct ab_store **out, char *err,
                    size_t errlen);
        int (*add)(struct ab_store *s, const struct ab_srun *run, struct ab_sadded *res, char *err,
                   size_t errlen);
        int (*load)(struct ab_store *s, const struct ab_hfilter *filter, unsigned what,
                    struct ab_history *h, char *err, size_t errlen);
        int (*close)(struct ab_store *s, char *err, size_t errlen);
};

extern const struct ab_store_ops ab_store_sqlite;
extern const struct ab_store_ops ab_store_pg;

/* The version of a store whose meta table says schema v (1 to 3), or 0 for
 * anything else (NULL too). */
int ab_hstore_version(const char *v);

/* The backend for a --db argument: PostgreSQL for a URL (ab_store_is_url:
 * postgresql://... or postgres://...), SQLite for anything else. */
const struct ab_store_ops *ab_store_for(const char *where);
bool ab_store_is_url(const char *where);

/* where as messages and pages show it: a URL's password (user:PASSWORD@,
 * password=PASSWORD) as ***; anything else as it is. malloc'd, NULL when
 * out of memory. */
char *ab_store_display(const char *where);

/* Open the store `where`. WRITE creates it when missing (its directory must
 * exist); READ refuses a missing or empty one. */
int ab_store_open(const char *where, enum ab_store_mode mode, struct ab_store **out, char *err,
                  size_t errlen);

/* Add one results file in one transaction (see the contract above). On an
 * error nothing of it was stored and the store stays usable. */
int ab_store_add(struct ab_store *s, const struct ab_srun *run, struct ab_sadded *res, char *err,
                 size_t errlen);

/* Load the runs, the series the filter takes (with their values, oldest
 * first), with AB_LOAD_FLAGS in what the flags of each host's latest run,
 * with AB_LOAD_SITES the sites the filter takes (none from a store of
 * schema /1), with AB_LOAD_SETTINGS the runs' settings (none before /3) into h (whose db and params
 * the caller sets). On an error h is empty. */
int ab_store_load(struct ab_store *s, const struct ab_hfilter *filter, unsigned what,
                  struct ab_history *h, char *err, size_t errlen);

/* Close the store and free s (NULL is fine). After adds, this is what makes
 * them count: a store this session created appears only now, whole. Returns
 * -EAGAIN when another writer created the same store at the same moment:
 * nothing this session added was kept; open it again and add again. */
int ab_store_close(struct ab_store *s, char *err, size_t errlen);

#endif
