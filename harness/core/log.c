#include <stdarg.h>
#include <stdio.h>

#include "core/log.h"

int ab_argc;
char **ab_argv;

static void say(const char *who, const char *kind, const char *fmt, va_list ap)
{
        fprintf(stderr, "bench%s%s: %s", who && *who ? " " : "", who ? who : "", kind);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

void ab_err(const char *who, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        say(who, "", fmt, ap);
        va_end(ap);
}

int ab_bad(const char *who, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        say(who, "", fmt, ap);
        va_end(ap);
        fprintf(stderr, "(see bench %s --help)\n", who && *who ? who : "run");
        return AB_BAD_INPUT;
}

void ab_note(const char *who, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        say(who, "note: ", fmt, ap);
        va_end(ap);
}
