/*
 * fuzz_results.c - libFuzzer harness for the results loader and everything
 * that reads a loaded document: the view (harness/doc), every detector,
 * the table, the flags and the CSV. Any bytes must load or be refused with
 * a message naming the file; a loaded document, however strange its
 * figures, must go through the detectors and the printers. Seeds: a real
 * results file. Run by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "doc/doc.h"
#include "fuzz_memfile.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char path[64], err[1024];
        struct ab_doc d;
        int fd = fuzz_memfile(data, size, path, sizeof path);
        FILE *null;
        json_t *flags;
        if (fd < 0)
                return 0;
        if (ab_doc_load(path, &d, err, sizeof err) != 0) {
                if (!strstr(err, path))
                        abort(); /* every refusal names the file */
                close(fd);
                return 0;
        }
        null = fopen("/dev/null", "w");
        flags = ab_detect_all(&d);
        json_decref(flags);
        if (null) {
                ab_table_print(null, &d);
                ab_flags_print(null, &d);
                ab_csv_print(null, &d);
                fclose(null);
        }
        ab_doc_free(&d);
        close(fd);
        return 0;
}
