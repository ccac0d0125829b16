/*
 * place.h - checking and preparing the placement of the workload process.
 * Functions return 0 or -errno with a message naming the option and the
 * accepted form in err.
 */
#ifndef AB_PLACE_H
#define AB_PLACE_H

#include <stddef.h>
#include <stdint.h>

#define AB_NUMA_MAXNODE 1024

enum ab_numa_mode { AB_NUMA_NONE, AB_NUMA_LOCAL, AB_NUMA_BIND, AB_NUMA_INTERLEAVE };

/* A memory policy ready for the child to apply with set_mempolicy(2). */
struct ab_numa {
        enum ab_numa_mode mode;
        uint64_t mask[AB_NUMA_MAXNODE / 64];
};

int ab_place_cpus_check(const char *cpus, char *err, size_t len);
int ab_place_numa_check(const char *policy, char *err, size_t len);
int ab_place_numa_prepare(const char *policy, struct ab_numa *out, char *err, size_t len);

#endif
