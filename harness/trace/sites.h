/*
 * sites.h - allocation sites from tracer dumps, symbolised and keyed: what
 * bench's `--trace` results (`sites`), detectors and table are built from.
 * Linked into bench (the parent), never into a traced process.
 *
 * A site is a normalised key (below) with its frames, its totals over the
 * process and its series per round. Raw stacks with the same key are ONE
 * site: their counters are summed (a function called from a loop at two
 * lines, or a stack that differs only below the key frames, is one site).
 * nstacks says how many raw stacks were merged; the frames shown are those
 * of the stack that allocated the most bytes among them.
 *
 * The key survives rebuilds, line shifts, inlining and ASLR: it is built
 * from module base names and function names only, never from addresses or
 * lines. From the innermost frame outward, with inlined functions expanded
 * into frames of their own:
 *   - frames of the tracer, of allocator libraries (libjemalloc*,
 *     libtcmalloc*, libmimalloc*, and any listed in opts.drop_modules), of
 *     libc's malloc family and of libstdc++'s operator new/delete are
 *     dropped;
 *   - function names lose C++ parameter lists and clone suffixes (.isra.N,
 *     .constprop.N, .part.N, .cold, .lto_priv.N, .llvm.N);
 *   - consecutive identical frames (recursion) collapse into one;
 *   - the first opts.key_frames (default 6) that remain make the key.
 * Module names drop their directory and any version after ".so"
 * (libc.so.6 -> libc.so). A function with no name is "?".
 * Text form, innermost first, '<' between frames (read "called from"), the
 * module written as "module!" before the first frame and wherever it changes:
 *     trace_prog!timer_new<open_conn<one_round<main<libc.so!__libc_start_call_main<...
 *
 * Series: rounds[r] holds what happened during round r (allocations,
 * frees, bytes) and the state at its end (live bytes and blocks: everything
 * allocated at the site so far and not freed), and the peak of live bytes
 * within the round (exact for a site used by one thread; an upper bound
 * when several threads allocate and free its blocks concurrently).
 * With sampling (ab_sites.sample_bytes > 0) counts and bytes are estimates.
 *
 * Several dumps (a process and its fork or exec children) merge by key:
 * totals add up; round r adds the round r of every process that has one.
 * A fork child's dump counts only what the child did after fork (its frees
 * of blocks from before the fork are "unknown frees", not subtracted), so
 * the merge counts no block twice.
 *
 * Ownership: everything reachable from struct ab_sites is owned by it and
 * released by ab_sites_free(), which is also safe after a failure.
 */
#ifndef AB_TRACE_SITES_H
#define AB_TRACE_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dumpfmt.h"

struct ab_site_frame {
        uint64_t addr;        /* return address as recorded (inlined frames share it) */
        const char *function; /* demangled, C++ parameters included; "?" unknown */
        const char *file;     /* source file; NULL without line information */
        uint32_t line;        /* 0 without line information */
        bool inlined;         /* inlined into the next frame (outward) */
        bool dropped;         /* not part of the key (allocator or tracer frame) */
        const char *module;   /* path of the module; "" unknown */
        const char *build_id; /* hex; "" unknown */
};

struct ab_site_round {
        uint64_t allocs, frees;            /* during the round */
        uint64_t bytes_alloc, bytes_freed; /* during the round */
        int64_t live_bytes, live_blocks;   /* at the round end */
        uint64_t peak_live;                /* the most live bytes within the round */
};

struct ab_site_totals {
        uint64_t allocs, frees, bytes_alloc, bytes_freed;
        int64_t live_bytes, live_blocks;     /* at the end of the process(es) */
        uint64_t peak_live;                  /* highest live bytes (summed over processes) */
        uint64_t big_ops;                    /* malloc/calloc/realloc/free of >= big_bytes */
        uint64_t zc_calls, zc_ns, zc_minflt; /* callocs >= 128 KiB: calls, wall ns, minor faults */
        uint64_t map_calls, map_bytes;       /* mmap, mmap64, mremap (growth) */
        uint64_t unmap_calls, unmap_bytes;   /* munmap (and mremap shrinkage bytes) */
        uint64_t commit_calls, commit_bytes; /* mprotect to an accessible protection */
        uint64_t zc_bytes;                   /* bytes of those big callocs */
        uint64_t reserve_bytes;              /* mapped PROT_NONE (a reservation) */
};

struct ab_site {
        char *key;
        struct ab_site_frame *frames; /* innermost first */
        size_t nframes;
        size_t nstacks;       /* raw stacks merged under this key */
        uint32_t stack_flags; /* OR of their AB_TD_STACK_* */
        struct ab_site_totals total;
        struct ab_site_round *rounds; /* ab_sites.nrounds entries */
};

struct ab_sites_proc {
        char *path;                /* the dump file */
        uint32_t pid, ppid, flags; /* flags: AB_TD_F_* */
        size_t nrounds;
        uint64_t self[AB_TD_SELF_MAX]; /* the tracer's own figures, AB_TD_SELF_* */
};

struct ab_sites {
        struct ab_site *sites; /* most bytes allocated first, then by key */
        size_t nsites;
        size_t nrounds;         /* the most rounds of any process */
        uint64_t *round_end_us; /* per round, from the first dump that has it */
        char **round_phase;     /* per round: phase name or NULL */
        struct ab_sites_proc *procs;
        size_t nprocs;
        uint64_t sample_bytes; /* of the first dump; 0 = exact */
        uint64_t big_bytes;
        void *pool; /* internal: the strings' storage */
};

struct ab_sites_opts {
        unsigned key_frames;             /* frames in the key; 0 = 6 */
        unsigned inline_frames;          /* innermost raw frames expanded into inlines; 0 = 8 */
        size_t max_sites;                /* keep the N sites of most bytes allocated; 0 = all */
        const char *const *drop_modules; /* NULL-terminated module name prefixes */
        bool raw;                        /* no symbolisation: frames are module!+0xOFFSET */
        /* Which sites to keep, before their frames are resolved (key, totals
         * and rounds are set; frames must not be read): move them to the front
         * of sites[0..n) and return how many; the rest are dropped, and the
         * kept ones are put back in the usual order. NULL: max_sites alone. */
        size_t (*select)(struct ab_site *sites, size_t n, size_t nrounds, void *arg);
        void *select_arg;
};

/* Loads one dump. 0, or a negative errno with a message in err (a refused
 * dump names the byte offset). */
int ab_sites_load(const char *dump_path, const struct ab_sites_opts *o, struct ab_sites *out,
                  char *err, size_t errlen);
/* Loads and merges n dumps (the first is the parent, by convention). */
int ab_sites_load_many(const char *const *paths, size_t n, const struct ab_sites_opts *o,
                       struct ab_sites *out, char *err, size_t errlen);

/* ---- the key rule, for stacks from elsewhere (strace -k, measure/) ---------
 * What ab_sites_load() does to each stack, frame by frame: a stack named
 * by another tool gets the same key as the tracer's for the same frames. */

/* "/usr/lib/x86_64-linux-gnu/libc.so.6" -> "libc.so": the module as a key
 * names it ("?" for an empty path). */
void ab_site_module_name(const char *path, char *dst, size_t cap);

/* Whether the rule above leaves this frame out of a key: the tracer's and
 * the allocators' modules (and drop_modules, NULL-terminated prefixes, may
 * be NULL), libc's malloc family, operator new/delete. module as
 * ab_site_module_name() gives it; name without parameters (NULL unknown). */
bool ab_site_dropped(const char *module, const char *name, const char *const *drop_modules);

/* A key being built, innermost frame first: zero it, then ab_site_key_add()
 * each frame that is not dropped until frames reaches the key's length. */
struct ab_site_key {
        char text[4096]; /* the key so far; "" while it has no frame */
        size_t len;
        unsigned frames; /* frames in the key (recursion counts once) */
        char last_mod[256], last_fn[1024];
};
/* Adds a frame (module as ab_site_module_name() gives it, function without
 * parameters or clone suffixes, "?" unknown); a repeat of the last frame
 * (recursion) adds nothing. */
void ab_site_key_add(struct ab_site_key *k, const char *module, const char *function);

/* The site with this exact key, or NULL. */
const struct ab_site *ab_sites_find(const struct ab_sites *s, const char *key);
void ab_sites_free(struct ab_sites *s);

#endif
