/*
 * job.h - resolving a workload's parameters. See bench.h for struct ab_job.
 * Functions return 0 or -errno and write a message naming the parameter and
 * the accepted form into err.
 */
#ifndef AB_JOB_H
#define AB_JOB_H

#include "measure/bench.h"

int ab_job_init(struct ab_job *j, const struct ab_workload *w, const char *name, char *err,
                size_t errlen);
int ab_job_set(struct ab_job *j, int idx, const char *text, char *err, size_t errlen);
void ab_job_free(struct ab_job *j);
uint64_t ab_job_point_value(const struct ab_job *j, size_t point);

#endif
