/*
 * served.h - which loaded file serves malloc in this process (served.c),
 * for the agent's hello. Part of libabmark.so; allocates nothing.
 */
#ifndef AB_AGENT_SERVED_H
#define AB_AGENT_SERVED_H

#include <stddef.h>

/* The path of the file whose malloc this process calls, in out: the
 * executable's when it defines malloc itself. 0, or -1 when none is found. */
int ab_agent_malloc_owner(char *out, size_t len);

#endif
