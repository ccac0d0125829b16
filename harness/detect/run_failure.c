/*
 * run-failure: a repetition crashed, timed out or ran out of memory. The
 * evidence is what the process did; the hint says where to look next.
 */
#include <math.h>
#include <string.h>

#include "detect/detect.h"

static json_t *number_or_null(double v)
{
        return isnan(v) ? json_null() : json_integer((json_int_t)v);
}

/* A program that ended with a non-zero status: it said it failed, which
 * may be its normal answer (grep finding nothing): a warning. */
static void exited(struct ab_flags *flags, const struct ab_vrun *run, const struct ab_vpoint *p)
{
        ab_flag_add(flags, run, "run-failure", "warn", ab_where_point(p),
                    json_pack("{s:s,s:o,s:s,s:o}", "status", "exited", "exit_code",
                              number_or_null(p->exit_code), "error", p->error ? p->error : "",
                              "reps_completed", number_or_null(p->reps)),
                    "the program exited with status %.0f", p->exit_code);
        ab_flag_hint(flags, "its output is in the files named by program_output in the results "
                            "(or --program-output=inherit): read why it failed there; a "
                            "status it returns on purpose is not a failure of the allocator");
}

AB_DETECTOR(run_failure)
{
        (void)doc;
        for (size_t i = 0; i < run->npoints; i++) {
                const struct ab_vpoint *p = &run->points[i];
                const char *st = p->status, *err = p->error ? p->error : "";
                const char *said = strncmp(err, "out of memory: ", 15) == 0 ? err + 15 : err;
                if (p->ok)
                        continue;
                if (strcmp(st, "exited") == 0) {
                        exited(flags, run, p);
                        continue;
                }
                ab_flag_add(flags, run, "run-failure", "high", ab_where_point(p),
                            json_pack("{s:s,s:o,s:o,s:s,s:o}", "status", st, "exit_code",
                                      number_or_null(p->exit_code), "signal",
                                      number_or_null(p->signal), "error", err, "reps_completed",
                                      number_or_null(p->reps)),
                            "the workload process %s: %s",
                            strcmp(st, "oom") == 0       ? "ran out of memory"
                            : strcmp(st, "timeout") == 0 ? "did not finish in time"
                                                         : "crashed",
                            said);
                if (strcmp(st, "oom") == 0)
                        ab_flag_hint(flags,
                                     "an allocation failed under --mem-limit or the "
                                     "machine's memory%s: raise the limit, or compare how "
                                     "much the other allocators needed for this point",
                                     run->program ? " (the program's stderr, in the file "
                                                    "program_output names, says where)"
                                                  : "");
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
