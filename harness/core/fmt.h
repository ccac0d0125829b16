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

#endif
