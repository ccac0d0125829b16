/*
 * dump.h - reads a dump written by libabtrace.so (format: dumpfmt.h) into
 * plain structs. Used by bench (never preloaded) through sites.h, and by
 * the tests and the fuzzer directly.
 *
 * Everything is validated before it is believed: the magic, the version,
 * every length against the bytes that remain, every count against a
 * format limit and against the bytes it needs (so a crafted count cannot
 * make the reader allocate more than a small multiple of the file size),
 * site ids against the number of stacks, and the file size recorded in the
 * header. A refusal says what is wrong and at which byte offset.
 *
 * Ownership: ab_tdump_parse() and ab_tdump_read() fill *d with memory the
 * caller releases with ab_tdump_free(), also after a failure (it is then
 * empty). The records of a round are decoded in full: REPEAT records are
 * expanded, so every record holds its own values.
 */
#ifndef AB_TRACE_DUMP_H
#define AB_TRACE_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "dumpfmt.h"

struct ab_tdump_module {
        char *path; /* NUL-terminated; "" when the object had no file */
        uint64_t base, size;
        uint8_t build_id[AB_TD_BUILDID_MAX];
        uint32_t build_id_len;
};

struct ab_tdump_stack {
        uint32_t depth, flags; /* flags: AB_TD_STACK_* */
        uint64_t *pcs;         /* return addresses, innermost first */
};

struct ab_tdump_rec {
        uint32_t site;
        uint64_t v[AB_TD_NFIELDS]; /* AB_TD_FIELDS order */
};

struct ab_tdump_round {
        uint64_t end_us; /* since the start of tracing */
        uint32_t phase;  /* 0 none, k: phases[k-1] */
        uint32_t nrecs;
        struct ab_tdump_rec *recs; /* ascending site ids */
};

struct ab_tdump_phase {
        uint32_t first_round;
        char *name;
};

struct ab_tdump {
        uint32_t version, flags; /* flags: AB_TD_F_* */
        uint32_t pid, ppid, depth;
        uint64_t sample_bytes, big_bytes;
        uint64_t start_real_ns, duration_ns, file_size;
        size_t nmodules, nstacks, nphases, nrounds, ntotals;
        struct ab_tdump_module *modules;
        struct ab_tdump_stack *stacks; /* index = site id */
        struct ab_tdump_phase *phases;
        struct ab_tdump_round *rounds;
        struct ab_tdump_rec *totals;   /* peak_over holds the peak live bytes */
        uint64_t self[AB_TD_SELF_MAX]; /* by AB_TD_SELF_* key; 0 when absent */
};

/* Parses len bytes at buf. 0, or -EINVAL (malformed: err says what and
 * where), -ENOMEM. */
int ab_tdump_parse(const uint8_t *buf, size_t len, struct ab_tdump *d, char *err, size_t errlen);
/* Reads and parses the file at path: 0, -errno of the read, or as parse. */
int ab_tdump_read(const char *path, struct ab_tdump *d, char *err, size_t errlen);
void ab_tdump_free(struct ab_tdump *d);

/* The field names of AB_TD_FIELDS ("allocs", ...), by index. */
extern const char *const ab_tdump_field_names[AB_TD_NFIELDS];

#endif
