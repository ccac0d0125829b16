#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/parse.h"

/* Parse leading decimal digits of [s, end); returns 0, -EINVAL, -ERANGE. */
static int digits(const char **s, const char *end, uint64_t *out)
{
        const char *p = *s;
        uint64_t v = 0;
        if (p == end || *p < '0' || *p > '9')
                return -EINVAL;
        while (p < end && *p >= '0' && *p <= '9') {
                unsigned d = (unsigned)(*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
                p++;
        }
        *s = p;
        *out = v;
        return 0;
}

static int suffix_shift(const char *p, size_t n, unsigned *shift)
{
        static const struct {
                const char *name;
                unsigned shift;
        } tab[] = {
                {"", 0},     {"b", 0},    {"k", 10},  {"kb", 10},  {"kib", 10},
                {"m", 20},   {"mb", 20},  {"mib", 20}, {"g", 30},  {"gb", 30},
                {"gib", 30}, {"t", 40},   {"tb", 40},  {"tib", 40},
        };
        for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
                if (strlen(tab[i].name) == n && strncasecmp(p, tab[i].name, n) == 0) {
                        *shift = tab[i].shift;
                        return 0;
                }
        }
        return -EINVAL;
}

static int size_range(const char *s, const char *end, uint64_t *out)
{
        const char *p = s;
        uint64_t v;
        unsigned shift;
        int r = digits(&p, end, &v);
        if (r)
                return r;
        if (suffix_shift(p, (size_t)(end - p), &shift))
                return -EINVAL;
        if (shift && v > (UINT64_MAX >> shift))
                return -ERANGE;
        *out = v << shift;
        return 0;
}

int ab_parse_size(const char *s, uint64_t *out)
{
        if (!s)
                return -EINVAL;
        return size_range(s, s + strlen(s), out);
}

int ab_parse_u64(const char *s, uint64_t *out)
{
        const char *p = s;
        int r;
        if (!s)
                return -EINVAL;
        r = digits(&p, s + strlen(s), out);
        if (r)
                return r;
        return *p ? -EINVAL : 0;
}

static int push(uint64_t *out, size_t cap, size_t *n, uint64_t v)
{
        if (*n >= cap)
                return -E2BIG;
        out[(*n)++] = v;
        return 0;
}

/* One list item: a size, A..B*F or A..B+S. */
static int item(const char *s, const char *end, uint64_t *out, size_t cap, size_t *n)
{
        const char *dots = NULL, *op = NULL;
        uint64_t a, b, step;
        int r;

        for (const char *p = s; p + 1 < end; p++) {
                if (p[0] == '.' && p[1] == '.') {
                        dots = p;
                        break;
                }
        }
        if (!dots)
                return (r = size_range(s, end, &a)) ? r : push(out, cap, n, a);
        for (const char *p = dots + 2; p < end; p++) {
                if (*p == '*' || *p == '+') {
                        op = p;
                        break;
                }
        }
        if (!op)
                return -EINVAL;
        if ((r = size_range(s, dots, &a)) || (r = size_range(dots + 2, op, &b)))
                return r;
        if (*op == '+') {
                if ((r = size_range(op + 1, end, &step)))
                        return r;
        } else {
                const char *q = op + 1;
                if ((r = digits(&q, end, &step)))
                        return r;
                if (q != end)
                        return -EINVAL;
        }
        if (a > b)
                return -EINVAL;
        if (*op == '*') {
                if (a == 0 || step < 2)
                        return -EINVAL;
                for (uint64_t v = a;; v *= step) {
                        if ((r = push(out, cap, n, v)))
                                return r;
                        if (v > b / step)
                                break;
                }
        } else {
                if (step == 0)
                        return -EINVAL;
                for (uint64_t v = a;; v += step) {
                        if ((r = push(out, cap, n, v)))
                                return r;
                        if (b - v < step)
                                break;
                }
        }
        return 0;
}

int ab_parse_list(const char *s, uint64_t *out, size_t cap, size_t *n)
{
        const char *p = s;
        *n = 0;
        if (!s || !*s)
                return -EINVAL;
        if (cap > AB_LIST_MAX)
                cap = AB_LIST_MAX;
        for (;;) {
                const char *comma = strchr(p, ',');
                const char *end = comma ? comma : p + strlen(p);
                int r;
                if (end == p)
                        return -EINVAL;
                if ((r = item(p, end, out, cap, n)))
                        return r;
                if (!comma)
                        return 0;
                p = comma + 1;
        }
}

