/*
 * fuzz_jobfile.c - libFuzzer harness for job files (harness/measure/
 * jobfile.c over inih): any bytes must load or be refused with a message
 * that names the file (and its line, for a line's fault), and a loaded job
 * must be freed whole. Seeds: the shipped job files (workloads/NAME.ini). Run by
 * `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_memfile.h"
#include "measure/bench.h"
#include "measure/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char path[64], err[1024];
        struct ab_job j;
        int fd = fuzz_memfile(data, size, path, sizeof path);
        if (fd < 0)
                return 0;
        if (ab_jobfile_load(path, "fuzz", &j, err, sizeof err) == 0)
                ab_job_free(&j);
        else if (strncmp(err, path, strlen(path)) != 0)
                abort(); /* every refusal names the file */
        close(fd);
        return 0;
}
