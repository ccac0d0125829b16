/*
 * fuzz_arec.c - libFuzzer harness for allocation records (trace/arec_read.c,
 * arec_sim.c, arec_cut.c): any input is parsed, played through and, when it
 * has rounds, cut; it must be accepted or refused with a message naming a
 * byte offset, and a cut of an accepted record must parse and play again.
 * The sanitizers catch what a refusal could hide. Seeded with records the
 * tracer wrote of the tracer's test program.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace/arec_cut.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ab_arec a, c;
        struct ab_arec_stats st;
        char err[1024];
        uint8_t *out = NULL;
        size_t len = 0;

        if (ab_arec_parse(&a, data, size, err, sizeof err) != 0) {
                if (!strstr(err, "byte "))
                        abort(); /* every refusal names its byte */
                return 0;
        }
        if (ab_arec_simulate(&a, NULL, &st, err, sizeof err) != 0) {
                if (!strstr(err, "byte ") && !strstr(err, "cannot be played") &&
                    !strstr(err, "out of memory"))
                        abort();
                return 0;
        }
        if (a.nrounds && ab_arec_cut(&a, a.nrounds / 2, a.nrounds - 1, &out, &len, err,
                                     sizeof err) == 0) {
                /* what cut writes is a record that plays */
                if (ab_arec_parse(&c, out, len, err, sizeof err) != 0 ||
                    ab_arec_simulate(&c, NULL, &st, err, sizeof err) != 0)
                        abort();
                free(out);
        }
        return 0;
}
