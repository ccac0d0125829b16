/*
 * fuzz_parse.c - libFuzzer harness for the size and list parser
 * (harness/core/parse.c), which reads every --set value, job-file value and
 * size option. Any text must parse or be refused with -EINVAL or -ERANGE;
 * a list never yields more items than its capacity; a parsed size prints
 * back (ab_fmt_size) without overflow. Run by `make fuzz`.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "core/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1), buf[64];
        uint64_t v, list[64];
        size_t n = 0;
        int r;
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        r = ab_parse_size(s, &v);
        if (r != 0 && r != -EINVAL && r != -ERANGE)
                abort();
        if (r == 0)
                ab_fmt_size(v, buf, sizeof buf);
        r = ab_parse_u64(s, &v);
        if (r != 0 && r != -EINVAL && r != -ERANGE)
                abort();
        r = ab_parse_list(s, list, sizeof list / sizeof list[0], &n);
        if (r == 0 && n > sizeof list / sizeof list[0])
                abort();
        if (r != 0 && r != -EINVAL && r != -ERANGE && r != -E2BIG)
                abort();
        free(s);
        return 0;
}
