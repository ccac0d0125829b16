/*
 * fmt.h - figures as a person reads them. Every human format of allocbench
 * lives here, so a time or a size reads the same in the table, compare,
 * history and the figures. Each writes into buf (always terminated) and
 * returns it; a figure that was not measured (NaN) reads "-".
 */
#ifndef AB_FMT_H
#define AB_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes as a short binary size: "4 KiB", "1.5 MiB", "1 GiB". */
const char *ab_fmt_size(uint64_t bytes, char *buf, size_t len);

/* Nanoseconds with three significant figures: "36.8ns", "16.0us", "472ms", "1.20s". */
const char *ab_fmt_ns(double ns, char *buf, size_t len);

/* KiB compactly: "512K", "1.6M", "1.02G". */
const char *ab_fmt_kib(double kib, char *buf, size_t len);

/* Bytes compactly: "512B" below 10 KiB, else as ab_fmt_kib. */
const char *ab_fmt_bytes(double bytes, char *buf, size_t len);

/* A figure by its unit (doc/metrics.def): "ns" as "37.8ns", "1.20us";
 * "KiB" as "40K", "1.6M", "1.02G" (rounded, not truncated like ab_fmt_kib);
 * any other unit as a plain number, "0.02", "154". Negative figures keep
 * their sign and scale like positive ones. */
const char *ab_fmt_value(double v, const char *unit, char *buf, size_t len);

/* A p value: "0.00032", or "<1e-16" below what a double tells apart from 1
 * in the test (the tail underflows; 0 would claim certainty). */
const char *ab_fmt_p(double p, char *buf, size_t len);

/* A relative change (0.2 for +20%): "+20.0%", "-3.1%"; "up from 0" or
 * "down from 0" for the infinite change from a figure of 0. */
const char *ab_fmt_change(double change, char *buf, size_t len);

#endif
