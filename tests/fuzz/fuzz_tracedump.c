/*
 * fuzz_tracedump.c - libFuzzer harness for the tracer dump reader
 * (harness/trace/dump.c). Any input must parse or be refused with a
 * message naming a byte offset; the sanitizers (address, undefined) catch
 * what a refusal could hide. Built and run by `make fuzz-trace`, seeded
 * with real dumps and a header-only one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace/dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ab_tdump d;
        char err[256];
        int r;

        /* Most inputs would die at the magic or the size check: give the
         * fuzzer a correct header size so it reaches the sections. */
        uint8_t *copy = malloc(size ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        if (size >= AB_TD_HEADER_SIZE && (data[0] & 1))
                ab_td_put_le(copy + 64, size, 8);
        r = ab_tdump_parse(copy, size, &d, err, sizeof err);
        if (r != 0 && !strstr(err, "offset "))
                abort(); /* every refusal names its offset */
        if (r == 0) {
                /* touch what a reader would: every decoded record */
                volatile uint64_t sum = 0;
                for (size_t i = 0; i < d.nrounds; i++)
                        for (uint32_t k = 0; k < d.rounds[i].nrecs; k++)
                                sum += d.rounds[i].recs[k].v[0] +
                                       d.stacks[d.rounds[i].recs[k].site].depth;
                (void)sum;
        }
        ab_tdump_free(&d);
        free(copy);
        return 0;
}
