/*
 * proto.h - how bench starts the runner: the words of its command line, the
 * one protocol measure/ (child.c, list.c, calibrate.c) writes and runner.c
 * reads. What the runner answers travels back as the records of record.h.
 *
 *   ab-runner info      [--vq=N] [--expect=LIB]
 *   ab-runner run       [--vq=N] [--expect=LIB] --seed=S [--count=WHAT]
 *                       WORKLOAD KEY=VALUE...   (every parameter, as a plain value)
 *   ab-runner calibrate SIZES
 *
 * --vq is the version query of the allocator under test (enum ab_vquery),
 * --expect the library that must serve malloc, --count how the region is
 * counted (AB_COUNT_* of workloads/workload.h, by its name below).
 *
 * ab-runner-musl (runner/musl.mk) is the same program linked statically
 * against musl and speaks the same protocol; nothing can be preloaded into
 * it, so it never gets --expect.
 */
#ifndef AB_PROTO_H
#define AB_PROTO_H

#include <string.h>

#define AB_PROTO_INFO      "info"
#define AB_PROTO_RUN       "run"
#define AB_PROTO_CALIBRATE "calibrate"

#define AB_PROTO_VQ     "--vq="
#define AB_PROTO_EXPECT "--expect="
#define AB_PROTO_SEED   "--seed="
#define AB_PROTO_COUNT  "--count="

/* How the runner asks the loaded allocator for its version. */
enum ab_vquery {
        AB_VQ_GLIBC,    /* gnu_get_libc_version() */
        AB_VQ_JEMALLOC, /* mallctl("version") */
        AB_VQ_TCMALLOC, /* tc_version() */
        AB_VQ_MIMALLOC, /* mi_version() */
        AB_VQ_ANY,      /* a custom library: try every known query */
        AB_VQ_MUSL,     /* the static musl runner: the musl it was linked with */
};

/* --count=WHAT by AB_COUNT_* value (AB_COUNT_NONE has no word). */
static const char *const ab_proto_count_names[] = {NULL, "instructions", "callgrind", "markers"};

/* The AB_COUNT_* value of a --count word, or -1. */
static inline int ab_proto_count_mode(const char *word)
{
        for (int i = 1; i < (int)(sizeof ab_proto_count_names / sizeof ab_proto_count_names[0]); i++)
                if (strcmp(word, ab_proto_count_names[i]) == 0)
                        return i;
        return -1;
}

#endif
