#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/fmt.h"

const char *ab_fmt_size(uint64_t bytes, char *buf, size_t len)
{
        static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int u = 0;
        double v = (double)bytes;
        while (v >= 1024 && u < 6) {
                v /= 1024;
                u++;
        }
        if (u == 0 || v == (double)(uint64_t)v)
                snprintf(buf, len, "%.0f %s", v, unit[u]);
        else
                snprintf(buf, len, "%.1f %s", v, unit[u]);
        return buf;
}

const char *ab_fmt_ns(double ns, char *buf, size_t len)
{
        static const char *unit[] = {"ns", "us", "ms", "s"};
        int u = 0;
        if (!isfinite(ns)) {
                snprintf(buf, len, "-");
                return buf;
        }
        if (ns == 0) { /* none at all (CPU time under a clock tick, say) */
                snprintf(buf, len, "0");
                return buf;
        }
        while (ns >= 1000 && u < 3) {
                ns /= 1000;
                u++;
        }
        snprintf(buf, len, ns >= 100 ? "%.0f%s" : ns >= 10 ? "%.1f%s" : "%.2f%s", ns, unit[u]);
        return buf;
}

const char *ab_fmt_kib(double kib, char *buf, size_t len)
{
        if (!(kib >= 0))
                snprintf(buf, len, "-");
        else if (kib < 1024)
                snprintf(buf, len, "%lldK", (long long)kib);
        else if (kib < 1024 * 1024)
                snprintf(buf, len, "%.1fM", kib / 1024);
        else
                snprintf(buf, len, "%.2fG", kib / (1024 * 1024));
        return buf;
}

const char *ab_fmt_bytes(double b, char *buf, size_t len)
{
        if (!(b >= 0))
                snprintf(buf, len, "-");
        else if (b < 10240)
                snprintf(buf, len, "%.0fB", b);
        else
                ab_fmt_kib((double)(int64_t)(b / 1024), buf, len);
        return buf;
}

const char *ab_fmt_value(double v, const char *unit, char *buf, size_t len)
{
        if (isnan(v)) {
                snprintf(buf, len, "-");
        } else if (strcmp(unit, "ns") == 0) {
                static const char *u[] = {"ns", "us", "ms", "s"};
                int k = 0;
                while (fabs(v) >= 1000 && k < 3) {
                        v /= 1000;
                        k++;
                }
                snprintf(buf, len,
                         fabs(v) >= 100  ? "%.0f%s"
                         : fabs(v) >= 10 ? "%.1f%s"
                                         : "%.2f%s",
                         v, u[k]);
        } else if (strcmp(unit, "KiB") == 0) {
                if (fabs(v) < 1024)
                        snprintf(buf, len, "%.0fK", v);
                else if (fabs(v) < 1024 * 1024)
                        snprintf(buf, len, "%.1fM", v / 1024);
                else
                        snprintf(buf, len, "%.2fG", v / (1024 * 1024));
        } else {
                snprintf(buf, len, fabs(v) >= 100 ? "%.0f" : "%.3g", v);
        }
        return buf;
}

const char *ab_fmt_p(double p, char *buf, size_t len)
{
        if (p < 1e-16)
                snprintf(buf, len, "<1e-16");
        else
                snprintf(buf, len, "%.2g", p);
        return buf;
}

const char *ab_fmt_change(double c, char *buf, size_t len)
{
        if (isinf(c))
                snprintf(buf, len, "%s from 0", c > 0 ? "up" : "down");
        else
                snprintf(buf, len, "%+.1f%%", 100 * c);
        return buf;
}
