/*
 * log.h - how a command talks to the person who ran it: one way to say an
 * error or a note on stderr, and bench's exit codes (SPEC §1). Results go to
 * stdout and files, never through here.
 */
#ifndef AB_LOG_H
#define AB_LOG_H

/* Exit codes of bench. */
enum { AB_OK = 0, AB_BAD_INPUT = 1, AB_FLAGGED = 2, AB_REGRESSION = 3, AB_RUN_FAILED = 4 };

/* What stdout shows (the results file is always JSON). */
enum ab_format { AB_FMT_TABLE, AB_FMT_JSON, AB_FMT_CSV };

/* "bench WHO: message\n" on stderr (who: "plot", "history", "" for run).
 * ab_bad also says where to read more ("see bench WHO --help") and returns
 * AB_BAD_INPUT, for `return ab_bad(...)`. */
__attribute__((format(printf, 2, 3))) void ab_err(const char *who, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) int ab_bad(const char *who, const char *fmt, ...);
__attribute__((format(printf, 2, 3))) void ab_note(const char *who, const char *fmt, ...);

/* The command line bench was started with (set by main), for the results
 * file and for finding files next to the executable. */
extern int ab_argc;
extern char **ab_argv;

#endif
