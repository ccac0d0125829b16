/*
 * symbols.h - offline symbolisation of return addresses from a dump's
 * module map, with elfutils' libdwfl. Each recorded module is reported at
 * its recorded load bias (dwfl_report_elf), so nothing of the traced
 * process needs to be alive; separate debug info is found the standard way
 * (build-id, .gnu_debuglink, /usr/lib/debug). A file whose build-id
 * differs from the recorded one (rebuilt or upgraded since the run) is not
 * used: its addresses stay unnamed rather than wrongly named.
 *
 * C++ names are demangled with __cxa_demangle, looked up with dlsym in
 * libstdc++.so.6 (loaded with dlopen on first need), so bench itself does
 * not link libstdc++; without it names stay mangled.
 *
 * Strings returned are owned by the struct ab_symbols and live until
 * ab_symbols_close().
 */
#ifndef AB_TRACE_SYMBOLS_H
#define AB_TRACE_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump.h"

struct ab_symbols;

struct ab_sym {
        const char *function; /* demangled, parameters included; NULL unknown */
        const char *name;     /* the same without parameters: for keys; NULL unknown */
        const char *file;     /* source file, NULL without line information */
        uint32_t line;        /* 0 without line information */
        bool inlined;         /* inlined into the next (outer) entry */
        int module;           /* index into the dump's modules, -1 none */
};

/* Sets up symbolisation of the n modules. Never fails for a missing or
 * stale file (those addresses stay unnamed): 0 or -ENOMEM. */
int ab_symbols_open(const struct ab_tdump_module *mods, size_t n, struct ab_symbols **out);
/* Symbolises return address pc (looked up at pc - 1, inside the call):
 * with inlines, out[0] is the innermost inlined function and the last
 * entry the function that holds the code; without, one entry. Returns the
 * number of entries (>= 1, at most max). */
int ab_symbols_lookup(struct ab_symbols *s, uint64_t pc, bool inlines, struct ab_sym *out, int max);
/* The module holding pc, -1 when none. */
int ab_symbols_module_of(const struct ab_symbols *s, uint64_t pc);
void ab_symbols_close(struct ab_symbols *s);

/* Copies name into dst without a C++ parameter list and without compiler
 * clone suffixes (.isra.N, .constprop.N, .part.N, .cold, .lto_priv.N,
 * .llvm.N) and without a symbol version (@GLIBC_2.2.5), for stable keys.
 * Returns dst. */
char *ab_symbols_base_name(const char *name, char *dst, size_t cap);

#endif
