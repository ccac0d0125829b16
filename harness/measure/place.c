/*
 * place.c - where the workload process runs: --cpus checked against the
 * machine's topology with hwloc, --numa policies checked and turned into a
 * node mask with libnuma. The harness prepares; the child applies with plain
 * system calls between fork and exec (prim.h), so the runner never links
 * these libraries.
 */
#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <string.h>

#include "measure/bench.h"
#include "measure/place.h"

int ab_place_cpus_check(const char *cpus, char *err, size_t len)
{
        hwloc_topology_t topo;
        hwloc_bitmap_t want;
        int r = 0;
        if (!*cpus || strspn(cpus, "0123456789,-") != strlen(cpus)) {
                snprintf(err, len, "--cpus '%s': expected a CPU list such as 0, 0-3 or 1,3", cpus);
                return -EINVAL;
        }
        want = hwloc_bitmap_alloc();
        if (hwloc_bitmap_list_sscanf(want, cpus) != 0 || hwloc_bitmap_iszero(want)) {
                snprintf(err, len, "--cpus '%s': expected a CPU list such as 0, 0-3 or 1,3", cpus);
                hwloc_bitmap_free(want);
                return -EINVAL;
        }
        if (hwloc_topology_init(&topo) == 0 && hwloc_topology_load(topo) == 0) {
                hwloc_const_bitmap_t have = hwloc_topology_get_allowed_cpuset(topo);
                if (!hwloc_bitmap_isincluded(want, have)) {
                        char list[256];
                        hwloc_bitmap_list_snprintf(list, sizeof list, have);
                        snprintf(err, len, "--cpus '%s': this machine has CPUs %s", cpus, list);
                        r = -ERANGE;
                }
                hwloc_topology_destroy(topo);
        }
        hwloc_bitmap_free(want);
        return r;
}

#ifdef AB_HAVE_NUMA
#include <numa.h>

int ab_place_numa_check(const char *policy, char *err, size_t len)
{
        struct ab_numa n;
        return ab_place_numa_prepare(policy, &n, err, len);
}

int ab_place_numa_prepare(const char *policy, struct ab_numa *out, char *err, size_t len)
{
        int max;
        memset(out, 0, sizeof out->mask);
        if (numa_available() < 0) {
                snprintf(err, len, "--numa: this kernel has no NUMA support");
                return -ENOSYS;
        }
        max = numa_max_node();
        if (strcmp(policy, "local") == 0) {
                out->mode = AB_NUMA_LOCAL;
                return 0;
        }
        if (strcmp(policy, "interleave") == 0) {
                out->mode = AB_NUMA_INTERLEAVE;
                for (int i = 0; i <= max && i < AB_NUMA_MAXNODE; i++)
                        if (numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)i))
                                out->mask[i / 64] |= 1ull << (i % 64);
                return 0;
        }
        if (strncmp(policy, "node:", 5) == 0) {
                char *end;
                long node = strtol(policy + 5, &end, 10);
                if (end != policy + 5 && !*end && node >= 0 && node <= max) {
                        out->mode = AB_NUMA_BIND;
                        out->mask[node / 64] |= 1ull << (node % 64);
                        return 0;
                }
                snprintf(err, len, "--numa '%s': this machine has nodes 0 to %d", policy, max);
                return -ERANGE;
        }
        snprintf(err, len, "--numa '%s': expected local, node:N or interleave", policy);
        return -EINVAL;
}
#else
int ab_place_numa_check(const char *policy, char *err, size_t len)
{
        snprintf(err, len, "--numa '%s': not supported on this platform", policy);
        return -ENOSYS;
}

int ab_place_numa_prepare(const char *policy, struct ab_numa *out, char *err, size_t len)
{
        memset(out, 0, sizeof *out);
        return ab_place_numa_check(policy, err, len);
}
#endif
