/*
 * host.c - the "host" object of a results file: what machine produced it.
 * hwloc gives the CPU model and topology; the platform layer the rest.
 */
#include <hwloc.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "measure/bench.h"
#include "prim/prim.h"

json_t *ab_host_json(void)
{
        char host[256] = "", os[256], libc[64], thp[32];
        const char *model = NULL;
        struct utsname u;
        hwloc_topology_t topo;
        int cores = -1, pus = -1, numa = -1;
        json_t *o;

        gethostname(host, sizeof host - 1);
        ab_prim_os_name(os, sizeof os);
        ab_prim_libc_version(libc, sizeof libc);
        ab_prim_thp_mode(thp, sizeof thp);
        if (uname(&u) != 0)
                memset(&u, 0, sizeof u);
        o = json_object();
        if (hwloc_topology_init(&topo) == 0 && hwloc_topology_load(topo) == 0) {
                hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
                hwloc_obj_t root = hwloc_get_root_obj(topo);
                model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
                if (!model)
                        model = hwloc_obj_get_info_by_name(root, "CPUModel");
                cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
                pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
                numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
                json_object_set_new(o, "cpu_model", model ? json_string(model) : json_null());
                hwloc_topology_destroy(topo);
        } else {
                json_object_set_new(o, "cpu_model", json_null());
        }
        json_object_set_new(o, "hostname", json_string(host));
        json_object_set_new(o, "os", json_string(os));
        json_object_set_new(o, "kernel", json_string(u.release[0] ? u.release : "unknown"));
        json_object_set_new(o, "arch", json_string(u.machine[0] ? u.machine : "unknown"));
        json_object_set_new(o, "libc", json_string(libc));
        json_object_set_new(o, "cores", cores > 0 ? json_integer(cores) : json_null());
        json_object_set_new(o, "cpus", pus > 0 ? json_integer(pus) : json_null());
        json_object_set_new(o, "numa_nodes", numa > 0 ? json_integer(numa) : json_null());
        json_object_set_new(o, "page_size", json_integer(sysconf(_SC_PAGESIZE)));
        json_object_set_new(o, "thp", json_string(thp));
        json_object_set_new(o, "platform", json_string(ab_prim_name()));
        return o;
}
