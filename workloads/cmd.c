/*
 * cmd: any program, given after `--`, measured whole with the allocator
 * preloaded. There is no kernel: the harness starts the program itself (see
 * run.c) and measures it from outside (wall time, wait4 rusage, the RSS/VSZ
 * timeline); ops is 1.
 */
#include "workload.h"

const struct ab_workload ab_wl_cmd = {
        .abi = AB_WORKLOAD_ABI,
        .kind = AB_WK_PROGRAM,
        .name = "cmd",
        .help = "the program after -- measured whole, with the allocator preloaded",
        .params = NULL,
        .nparams = 0,
};
