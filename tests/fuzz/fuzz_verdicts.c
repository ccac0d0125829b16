/*
 * fuzz_verdicts.c - libFuzzer harness for verdicts files (harness/report/
 * verdict_file.c): any bytes must load or be refused with a message naming
 * the file; a loaded file must write back and load again to the same
 * entries (sites, verdicts, bounds), and be freed whole. Seeds:
 * tests/fuzz/seeds/verdicts. Run by `make fuzz`.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_memfile.h"
#include "report/verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char path[64], out[64], err[1024];
        struct ab_verdicts v, w;
        int fd = fuzz_memfile(data, size, path, sizeof path);
        if (fd < 0)
                return 0;
        if (ab_verdicts_load(path, &v, err, sizeof err) != 0) {
                if (strncmp(err, path, strlen(path)) != 0)
                        abort(); /* every refusal names the file */
                close(fd);
                return 0;
        }
        /* what was read writes back, and reads back the same */
        snprintf(out, sizeof out, "/tmp/fuzz-verdicts.%d", (int)getpid());
        if (ab_verdicts_write(&v, out, err, sizeof err) == 0) {
                if (ab_verdicts_load(out, &w, err, sizeof err) != 0 || w.n != v.n)
                        abort();
                for (size_t i = 0; i < v.n; i++)
                        if (strcmp(v.e[i].site, w.e[i].site) != 0 ||
                            v.e[i].verdict != w.e[i].verdict ||
                            (isnan(v.e[i].bound) != isnan(w.e[i].bound)))
                                abort();
                ab_verdicts_free(&w);
                unlink(out);
        }
        ab_verdicts_free(&v);
        close(fd);
        return 0;
}
