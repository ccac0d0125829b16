/*
 * run-failure: a repetition crashed, timed out or ran out of memory. The
 * evidence is what the process did; the hint says where to look next.
 */
#include <string.h>

#include "detect/detect.h"

AB_DETECTOR(run_failure)
{
        json_t *p;
        size_t i;
        (void)doc;
        json_array_foreach(json_object_get(run, "points"), i, p)
        {
                const char *st = ab_str(p, "status");
                const char *err = ab_str(p, "error") ?: "";
                if (!st || strcmp(st, "ok") == 0)
                        continue;
                ab_flag_add(flags, run, "run-failure", "high",
                            json_deep_copy(json_object_get(p, "params")),
                            json_pack("{s:s,s:O,s:O,s:s,s:O}", "status", st, "exit_code",
                                      json_object_get(p, "exit_code") ?: json_null(), "signal",
                                      json_object_get(p, "signal") ?: json_null(), "error", err,
                                      "reps_completed", json_object_get(p, "reps") ?: json_null()),
                            "the workload process %s: %s",
                            strcmp(st, "oom") == 0       ? "ran out of memory"
                            : strcmp(st, "timeout") == 0 ? "did not finish in time"
                                                         : "crashed",
                            err);
                if (strcmp(st, "oom") == 0)
                        ab_flag_hint(flags, "an allocation failed under --mem-limit or the "
                                            "machine's memory: raise the limit, or compare how "
                                            "much the other allocators needed for this point");
                else if (strcmp(st, "timeout") == 0)
                        ab_flag_hint(flags, "raise --timeout, or lower the work (--set "
                                            "iterations=N, rounds=N) to see where the time goes");
                else
                        ab_flag_hint(flags, "rerun the point alone under --wrap 'valgrind' or "
                                            "gdb; a crash inside the allocator under test points "
                                            "at the allocator, one in the program at the "
                                            "program");
        }
}
