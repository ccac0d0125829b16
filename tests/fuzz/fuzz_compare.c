/*
 * fuzz_compare.c - libFuzzer harness for bench compare end to end: the
 * input is split at its first NUL byte into BASE and NEW results files,
 * and `bench compare BASE NEW` runs over them in each output format. It
 * must end with one of its exit codes, never crash. Seeds: a real results
 * file against itself. Run by `make fuzz` (with the target's stdout and
 * stderr closed: -close_fd_mask=3).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "fuzz_memfile.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const formats[] = {"table", "json", "csv"};
        const uint8_t *nul = memchr(data, 0, size);
        size_t nb = nul ? (size_t)(nul - data) : size / 2;
        char base[64], new[64];
        int fb = fuzz_memfile(data, nb, base, sizeof base);
        int fn = fuzz_memfile(data + nb + (nul != NULL), size - nb - (nul != NULL), new,
                              sizeof new);
        for (size_t i = 0; fb >= 0 && fn >= 0 && i < 3; i++) {
                char fmt[32];
                char *argv[] = {"compare", base, new, "--format", fmt, NULL};
                int rc;
                snprintf(fmt, sizeof fmt, "%s", formats[(i + size) % 3]);
                optind = 1;
                rc = ab_cmd_compare(5, argv);
                if (rc != AB_OK && rc != AB_BAD_INPUT && rc != AB_REGRESSION)
                        abort();
                if (rc == AB_BAD_INPUT)
                        break; /* the same files are refused in any format */
        }
        if (fb >= 0)
                close(fb);
        if (fn >= 0)
                close(fn);
        return 0;
}
